"""Shared test fixtures; the helpers the tests share are in ``kit.py``."""

from __future__ import annotations

import pytest
from hypothesis import settings
from kit import FIXTURES, record_requests, replay_api

from sentinelsat import SentinelAPI

# the local servers' fixtures: local_hub, make_local_hub, local_cdse, make_local_cdse
pytest_plugins = ["sentinelsat.testing.pytest_plugin", "sentinelsat.testing.cdse.pytest_plugin"]

# bounded and reproducible property-based tests
settings.register_profile("ci", max_examples=150, derandomize=True, deadline=2000, print_blob=True)
settings.load_profile("ci")


@pytest.fixture
def api() -> SentinelAPI:
    """A client for the recorded Copernicus Open Access Hub exchanges."""
    return replay_api()


@pytest.fixture
def sent(api) -> list:
    """The requests sent by the ``api`` fixture, in the order they were answered."""
    return record_requests(api)


@pytest.fixture
def fixture_path():
    return lambda name: str(FIXTURES / name)
