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

import contextlib
from collections.abc import Iterator
from typing import Any, Callable, TypeVar

import pytest

from .hub import LocalHub

_Server = TypeVar("_Server")


@contextlib.contextmanager
def started_servers(server_class: Callable[..., _Server]) -> Iterator[Callable[..., _Server]]:
    """A factory that builds and starts servers of a class (``LocalHub``, ``LocalCDSE``);
    every server it started is stopped when the context ends."""
    started: list[Any] = []

    def factory(*args: Any, **knobs: Any) -> _Server:
        server: Any = server_class(*args, **knobs)
        started.append(server)
        started_server: _Server = server.start()
        return started_server

    try:
        yield factory
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def local_hub() -> Iterator[LocalHub]:
    """A running hub with the default knobs (100 products, user ``user``/``password``)."""
    with LocalHub() as hub:
        yield hub


@pytest.fixture
def make_local_hub() -> Iterator[Callable[..., LocalHub]]:
    """A factory of running hubs: ``make_local_hub(products=10, offline_share=1.0)``."""
    with started_servers(LocalHub) as factory:
        yield factory
