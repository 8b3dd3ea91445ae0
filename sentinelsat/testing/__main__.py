"""``python -m sentinelsat.testing``: the ``sentinelsat-hub`` command line."""

from .cli import main

main(prog_name="python -m sentinelsat.testing")
