"""The test helper kit: recorded exchanges, clients of the local servers, and the checks the
tests share. Test modules import from here (never from ``conftest``, which holds fixtures)."""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

import vcr
from vcr.serializers import yamlserializer

from sentinelsat import SentinelAPI
from sentinelsat.files import PARTIAL_SUFFIX
from sentinelsat.sessions import TransportAdapter, default_retry

# ---------------------------------------------------------------------- recorded exchanges
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


def _header(headers: dict, name: str) -> Any:
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


def _range_matcher(r1: Any, r2: Any) -> None:
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


def record_requests(api: SentinelAPI) -> list:
    """Collect every request the API sends (``requests.PreparedRequest`` objects)."""
    sent: list = []
    api.session.hooks["response"].append(
        lambda response, *args, **kwargs: sent.append(response.request)
    )
    return sent


# ---------------------------------------------------------------------- the local servers
class FastAPI(SentinelAPI):
    """A client that does not wait between retries (the waits are not what is tested)."""

    retry_backoff = 0


def hub_client(hub: Any, password: str | None = None, **kwargs: Any) -> SentinelAPI:
    """A :class:`FastAPI` client of ``hub`` (its first user), without progress bars unless
    asked."""
    kwargs.setdefault("show_progressbars", False)
    return FastAPI(hub.user, hub.password if password is None else password, hub.url, **kwargs)


def product_bytes(hub: Any, product_id: str) -> bytes:
    """The product's content as it should end up on disk."""
    return b"".join(hub.product_bytes(product_id))


def assert_true_files(hub: Any, directory: Any) -> dict[str, set[str]]:
    """Check every file of ``directory``: the bytes on disk are true.

    The only files allowed are a product under its final name whose bytes are exactly the
    product's, a ``.incomplete`` file whose bytes are a prefix of the product's, and the
    command line's ``corrupt_scenes.txt``. Anything else fails the test.

    Returns
    -------
    dict
        ``{"final": ids, "partial": ids}``.
    """
    by_name = {p.download_name: p for p in hub.products}
    found: dict[str, set[str]] = {"final": set(), "partial": set()}
    for entry in sorted(os.listdir(directory)):
        if entry == "corrupt_scenes.txt":
            continue
        partial = entry.endswith(PARTIAL_SUFFIX)
        name = entry[: -len(PARTIAL_SUFFIX)] if partial else entry
        assert name in by_name, f"unexpected file {entry!r} in {directory}"
        product = by_name[name]
        data = pathlib.Path(directory, entry).read_bytes()
        expected = product_bytes(hub, product.id)
        if partial:
            assert expected.startswith(data), f"{entry} is not a prefix of the product"
            found["partial"].add(product.id)
        else:
            assert len(data) == product.size, f"{entry} has {len(data)} bytes, not {product.size}"
            assert hashlib.md5(data).hexdigest() == product.md5.lower(), f"{entry} is corrupt"
            assert data == expected
            found["final"].add(product.id)
    return found


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, step: float = 0.005) -> bool:
    """Poll ``predicate`` until it holds; False if it never did within ``timeout`` seconds.

    A wait, never an assertion about speed: the timeout only guards against hangs.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


class BackgroundServer:
    """An HTTP server on 127.0.0.1 (a free port), answering in threads of its own until
    :meth:`stop` (or the end of its ``with`` block) shuts it down and joins them."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> BackgroundServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
