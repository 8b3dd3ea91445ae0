"""Helpers of the local hub's tests: the recordings of real DHuS exchanges and search requests.

The recordings are the project's copies in ``tests/fixtures/cassettes`` (shared with the
client's tests); files the hub itself ships are read from its package data.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import requests
import yaml

CASSETTES = Path(__file__).resolve().parents[1] / "fixtures" / "cassettes"
RECORDED_FILES = CASSETTES / "data"
AOI = (
    "POLYGON((-66.2695 -8.0592,-66.2695 0.7031,-57.3047 0.7031,-57.3047 -8.0592,-66.2695 -8.0592))"
)


def load_cassette(name: str) -> list[dict[str, Any]]:
    """Return the interactions of a recorded cassette (``dhus-2018/test_download.yaml``)."""
    with open(CASSETTES / name, encoding="utf-8") as stream:
        return yaml.safe_load(stream)["interactions"]


def recorded_body(interaction: dict[str, Any]) -> Any:
    """Return a recorded response body, decoded (JSON when it is JSON)."""
    body = interaction["response"]["body"]
    text = body.get("string") if isinstance(body, dict) else body
    if isinstance(text, bytes):
        text = (gzip.decompress(text) if text[:2] == b"\x1f\x8b" else text).decode("utf-8")
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def recorded_headers(interaction: dict[str, Any]) -> dict[str, str]:
    """Return the recorded response headers, names in lower case."""
    return {name.lower(): values[0] for name, values in interaction["response"]["headers"].items()}


def search(hub, http, q: str, method: str = "POST", **params: Any) -> requests.Response:
    """Send a search the way the client does (POST form body by default)."""
    query = {"format": "json", "rows": 100, "start": 0, **params}
    if method == "POST":
        return http.post(hub.url + "search", params=query, data={"q": q})
    return http.get(hub.url + "search", params={**query, "q": q})


def entries(feed: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries of a feed as a list (the server sends a single entry as an object)."""
    found = feed["feed"].get("entry", [])
    return [found] if isinstance(found, dict) else found


def odata_url(hub, product_id: str, suffix: str = "") -> str:
    """The OData URL of a product (plus ``suffix``)."""
    return f"{hub.url}odata/v1/Products('{product_id}'){suffix}"
