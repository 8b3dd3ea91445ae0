"""Pytest fixtures for the local CDSE.

Enable them in a ``conftest.py`` with::

    pytest_plugins = ["sentinelsat.testing.cdse.pytest_plugin"]

Fixtures
--------
local_cdse
    A running :class:`~sentinelsat.testing.LocalCDSE` with the default knobs, stopped after
    the test.
make_local_cdse
    A factory ``make_local_cdse(**arguments) -> LocalCDSE`` that starts a CDSE with any
    ``LocalCDSE`` arguments; every CDSE it started is stopped after the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Callable

import pytest

from ..pytest_plugin import started_servers
from .emulator import LocalCDSE


@pytest.fixture
def local_cdse() -> Iterator[LocalCDSE]:
    """A running CDSE with the default knobs (100 products, user ``user``/``password``)."""
    with LocalCDSE() as cdse:
        yield cdse


@pytest.fixture
def make_local_cdse() -> Iterator[Callable[..., LocalCDSE]]:
    """A factory of running CDSEs: ``make_local_cdse(products=10, max_concurrent_downloads=2)``."""
    with started_servers(LocalCDSE) as factory:
        yield factory
