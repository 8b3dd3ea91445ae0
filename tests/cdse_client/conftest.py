"""Fixtures of the CDSE client's tests: SentinelAPI against the local CDSE."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sentinelsat import SentinelAPI

#: A fixed sensing span, so that the catalogue does not follow the clock.
SPAN = (datetime(2024, 3, 1, tzinfo=timezone.utc), datetime(2024, 3, 31, tzinfo=timezone.utc))


@pytest.fixture(autouse=True)
def no_waits(monkeypatch):
    """No back-off between retries, and no CDSE endpoints from the developer's environment."""
    monkeypatch.setattr(SentinelAPI, "retry_backoff", 0)
    for name in ("CDSE_TOKEN_URL", "CDSE_DOWNLOAD_URL", "DHUS_URL", "DHUS_USER", "DHUS_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def client(cdse, monkeypatch=None, **kwargs) -> SentinelAPI:
    """A 0.13-style client of a local CDSE: only the catalogue URL and the credentials are
    given; the identity and download hosts come from the environment, as with
    ``sentinelsat-hub run --cdse``."""
    if monkeypatch is not None:
        monkeypatch.setenv("CDSE_TOKEN_URL", cdse.token_url)
        monkeypatch.setenv("CDSE_DOWNLOAD_URL", cdse.download_url)
    user = kwargs.pop("user", cdse.user)
    password = kwargs.pop("password", cdse.password)
    kwargs.setdefault("show_progressbars", False)
    return SentinelAPI(user, password, cdse.url, **kwargs)


@pytest.fixture
def cdse(make_local_cdse):
    """A CDSE of 80 small products over a fixed span."""
    return make_local_cdse(products=80, seed=3, date_span=SPAN, product_size=(2048, 8192))


@pytest.fixture
def api(cdse, monkeypatch) -> SentinelAPI:
    return client(cdse, monkeypatch)


def by_server(cdse, server: str) -> list:
    return [record for record in cdse.request_log if record.server == server]
