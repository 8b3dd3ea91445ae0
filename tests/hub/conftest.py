"""Fixtures of the hub tests."""

from __future__ import annotations

import pytest
import requests

# The project's fixtures, imported so that these tests also run without the root conftest.
from sentinelsat.testing.pytest_plugin import local_hub, make_local_hub  # noqa: F401


@pytest.fixture
def session(local_hub):  # noqa: F811 - the fixture imported above
    """A requests session authenticated on ``local_hub``."""
    with requests.Session() as http:
        http.auth = (local_hub.user, local_hub.password)
        yield http
