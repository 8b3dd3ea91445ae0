"""Fixtures of the hub tests."""

from __future__ import annotations

import pytest
import requests


@pytest.fixture
def session(local_hub):
    """A requests session authenticated on ``local_hub``."""
    with requests.Session() as http:
        http.auth = (local_hub.user, local_hub.password)
        yield http
