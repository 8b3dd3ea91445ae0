"""``python -m sentinelsat``: the same as the ``sentinelsat`` command."""

from .scripts.cli import cli

if __name__ == "__main__":  # pragma: no branch
    cli(prog_name="sentinelsat")
