"""``python -m sentinelsat``: the same as the ``sentinelsat`` command."""

from .scripts.cli import main

if __name__ == "__main__":  # pragma: no branch
    main()
