"""Fixtures of the sentinelsat 1.x tests: clients of the local hub, progress bars observed."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from sentinelsat import SentinelAPI


def hub_api(hub: Any, url: str | None = None, **kwargs: Any) -> SentinelAPI:
    """A client of a running local hub (or of ``url``, a proxy in front of it), without
    progress bars or pauses between retries."""
    kwargs.setdefault("show_progressbars", False)
    api = SentinelAPI(hub.user, hub.password, url or hub.url, **kwargs)
    api.retry_backoff = 0.01
    return api


class Bars:
    """Records the progress bars a client creates (their ``desc`` and final count)."""

    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> Any:
        record = {"desc": kwargs.get("desc"), "total": kwargs.get("total"), "n": 0}
        self.created.append(record)
        return _Bar(record)

    @property
    def descriptions(self) -> list[str]:
        return [str(bar["desc"]) for bar in self.created]


class _Bar(contextlib.AbstractContextManager):
    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record
        self.total = record["total"]

    def update(self, count: int = 1) -> None:
        self.record["n"] += count

    def refresh(self) -> None:
        self.record["total"] = self.total

    def close(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        self.refresh()


@pytest.fixture
def bars() -> Bars:
    return Bars()
