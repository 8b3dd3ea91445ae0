"""Shared test fixtures: recorded DHuS exchanges (vcrpy) and the local hub."""

from __future__ import annotations

import pathlib
import re
from importlib import resources

import pytest
import vcr
from hypothesis import settings
from vcr.serializers import yamlserializer

from sentinelsat import SentinelAPI
from sentinelsat.sessions import TransportAdapter, default_retry

# the local hub's fixtures: local_hub, make_local_hub
pytest_plugins = ["sentinelsat.testing.pytest_plugin", "sentinelsat.testing.cdse.pytest_plugin"]

# bounded and reproducible property-based tests
settings.register_profile("ci", max_examples=150, derandomize=True, deadline=2000, print_blob=True)
settings.load_profile("ci")

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
CASSETTES = FIXTURES / "cassettes"
BINARY_BODIES = CASSETTES / "data"
#: Files the hub ships (the three real 2018 products) are read from its package data, not copied.
PACKAGE_DATA = resources.files("sentinelsat.testing") / "data"


def binary_body(name: str) -> bytes:
    """The bytes of a recorded product file: from the hub's package data, else ``BINARY_BODIES``."""
    packaged = PACKAGE_DATA / name
    if packaged.is_file():
        return packaged.read_bytes()
    return (BINARY_BODIES / name).read_bytes()


def _has_binary_body(name: str) -> bool:
    return (PACKAGE_DATA / name).is_file() or (BINARY_BODIES / name).is_file()


_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
_FILENAME = re.compile(r'filename="([^"]+)"')


def _header(headers: dict, name: str):
    for key, value in headers.items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) else value
    return None


def _fill_binary_body(interaction: dict) -> None:
    """Recorded product bodies are stored beside the cassettes; put the bytes back."""
    response = interaction["response"]
    body = response.get("body") or {}
    if body.get("string") or interaction["request"]["method"] == "HEAD":
        return
    content_range = _header(response["headers"], "content-range")
    disposition = _header(response["headers"], "content-disposition")
    if not content_range or not disposition:
        return
    first, last, _ = map(int, _CONTENT_RANGE.match(content_range).groups())
    name = _FILENAME.search(disposition).group(1)
    if _has_binary_body(name):
        response["body"] = {"string": binary_body(name)[first : last + 1]}


class BinaryBodySerializer:
    """vcrpy YAML serializer that restores product bodies kept as separate files."""

    @staticmethod
    def deserialize(cassette_string: str) -> dict:
        cassette = yamlserializer.deserialize(cassette_string)
        for interaction in cassette["interactions"]:
            _fill_binary_body(interaction)
        return cassette

    @staticmethod
    def serialize(cassette_dict: dict) -> str:
        return yamlserializer.serialize(cassette_dict)


def _range_matcher(r1, r2) -> None:
    assert r1.headers.get("Range") == r2.headers.get("Range")


recordings = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    serializer="binary_yaml",
    match_on=["method", "scheme", "host", "port", "path", "query", "body", "range"],
    decode_compressed_response=True,
)
recordings.register_serializer("binary_yaml", BinaryBodySerializer)
recordings.register_matcher("range", _range_matcher)


def for_replay(api: SentinelAPI) -> SentinelAPI:
    """Prepare a client for recorded exchanges: no waits between retries. Requests are sent
    from several threads, as they are against real servers (the library creates connection
    objects one at a time, which keeps vcrpy's replay from ever reaching the network)."""
    adapter = TransportAdapter(max_retries=default_retry(backoff_factor=0))
    api.session.mount("http://", adapter)
    api.session.mount("https://", adapter)
    api.retry_backoff = 0
    return api


def replay_api(api_url: str = "https://scihub.copernicus.eu/apihub/", **kwargs) -> SentinelAPI:
    """A client for recorded exchanges of the server at ``api_url``."""
    kwargs.setdefault("show_progressbars", False)
    return for_replay(SentinelAPI("mock_user", "mock_password", api_url, **kwargs))


@pytest.fixture
def api() -> SentinelAPI:
    """A client for the recorded Copernicus Open Access Hub exchanges."""
    return replay_api()


def record_requests(api: SentinelAPI) -> list:
    """Collect every request the API sends (``requests.PreparedRequest`` objects)."""
    sent: list = []
    api.session.hooks["response"].append(
        lambda response, *args, **kwargs: sent.append(response.request)
    )
    return sent


@pytest.fixture
def sent(api) -> list:
    """The requests sent by the ``api`` fixture, in the order they were answered."""
    return record_requests(api)


@pytest.fixture
def fixture_path():
    return lambda name: str(FIXTURES / name)
