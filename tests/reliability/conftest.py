"""Fixtures of the reliability tests: the local hub and a home without credentials."""
from __future__ import annotations

import pytest

# the project's hub fixtures (imported: pytest_plugins is only allowed in the root conftest)
from sentinelsat.testing.pytest_plugin import local_hub, make_local_hub  # noqa: F401


@pytest.fixture(autouse=True)
def no_user_credentials(monkeypatch, tmp_path_factory):
    """No ~/.netrc or DHUS_* variables of the developer can take part in a test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NETRC", str(home / ".netrc"))
    for name in ("DHUS_USER", "DHUS_PASSWORD", "DHUS_URL"):
        monkeypatch.delenv(name, raising=False)
    return home
