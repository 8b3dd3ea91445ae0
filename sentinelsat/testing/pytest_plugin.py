"""Pytest fixtures for the local DHuS hub.

Enable them in a ``conftest.py`` with::

    pytest_plugins = ["sentinelsat.testing.pytest_plugin"]

Fixtures
--------
local_hub
    A running :class:`~sentinelsat.testing.LocalHub` with the default knobs, stopped after
    the test.
make_local_hub
    A factory ``make_local_hub(**knobs) -> LocalHub`` that starts a hub with any
    ``LocalHub`` arguments; every hub it started is stopped after the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Callable

import pytest

from .hub import LocalHub


@pytest.fixture
def local_hub() -> Iterator[LocalHub]:
    """A running hub with the default knobs (100 products, user ``user``/``password``)."""
    with LocalHub() as hub:
        yield hub


@pytest.fixture
def make_local_hub() -> Iterator[Callable[..., LocalHub]]:
    """A factory of running hubs: ``make_local_hub(products=10, offline_share=1.0)``."""
    hubs: list[LocalHub] = []

    def factory(**knobs: Any) -> LocalHub:
        hub = LocalHub(**knobs)
        hubs.append(hub)
        return hub.start()

    yield factory
    for hub in hubs:
        hub.stop()
