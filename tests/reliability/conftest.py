"""Fixtures of the reliability tests: a home without credentials.

The hub fixtures (``local_hub``, ``make_local_hub``) come from the plugin that the root
conftest registers.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_user_credentials(monkeypatch, tmp_path_factory):
    """No ~/.netrc or DHUS_* variables of the developer can take part in a test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NETRC", str(home / ".netrc"))
    for name in ("DHUS_USER", "DHUS_PASSWORD", "DHUS_URL"):
        monkeypatch.delenv(name, raising=False)
    return home
