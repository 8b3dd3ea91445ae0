"""A deliberately misbehaving DHuS imitation on 127.0.0.1 for the hostile-server tests.

It serves one product of a (never started) :class:`LocalHub` catalogue: its OData entity
correctly (rendered by the hub's own code, with a title that may be overridden), and its
body, or a search page, in one of the hostile ways of :data:`BODIES` and :data:`PAGES`.
Every request's path and headers are recorded. HTTP/1.0: one request per connection.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Callable

from kit import BackgroundServer

from sentinelsat.testing import LocalHub, odata

CHUNK = 64 * 1024
ENDLESS_LIMIT = 512 * 1024 * 1024  # an "endless" body stops here, should a client read it all


class HostileServer:
    """Parameters
    ----------
    body : str
        How ``$value`` is answered: a key of :data:`BODIES`.
    page : str
        How ``search`` is answered: a key of :data:`PAGES`.
    title : str, optional
        The product title (OData ``Name``) to announce instead of the real one.
    redirect_to : str, optional
        Base URL every request is redirected to (302), path and query kept.
    host : str
        The address in :attr:`url` (``127.0.0.1`` or ``localhost``: another host name).
    """

    def __init__(
        self,
        body: str = "true",
        page: str = "huge",
        title: str | None = None,
        redirect_to: str | None = None,
        host: str = "127.0.0.1",
    ):
        catalogue = LocalHub(products=1, product_size=200_000)
        self.product = catalogue.products[0]
        self.content = b"".join(catalogue.product_bytes(self.product.id))
        self.body, self.page, self.title, self.redirect_to, self.host = (
            body,
            page,
            title,
            redirect_to,
            host,
        )
        self.requests: list[dict] = []
        self.stopping = threading.Event()
        self._server = BackgroundServer(_handler(self))

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._server.port}/"

    def __enter__(self) -> HostileServer:
        self._server.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self._server.stop()

    def entity(self) -> bytes:
        document = odata.product_entity(self.url, self.product, True, self.product.md5, False)
        if self.title is not None:
            document["d"]["Name"] = self.title
        return odata.dumps(document)


def _handler(server: HostileServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self._answer()

        def _answer(self) -> None:
            server.requests.append(
                {"path": self.path, "headers": dict(self.headers.items()), "raw": str(self.headers)}
            )
            try:
                if server.redirect_to is not None:
                    self._head(
                        302, [("Location", server.redirect_to.rstrip("/") + self.path)], length=0
                    )
                elif self.path.startswith("/search"):
                    PAGES[server.page](self, server)
                elif re.search(r"\)/\$value$", self.path):
                    BODIES[server.body](self, server)
                elif "/odata/v1/Products(" in self.path:
                    entity = server.entity()
                    self._head(200, [("Content-Type", "application/json")], len(entity))
                    self.wfile.write(entity)
                else:
                    self._head(404, [], 0)
            except OSError:  # the client hung up: that is what it should do
                pass

        def _head(self, status: int, headers, length: int | None) -> None:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            if length is not None:
                self.send_header("Content-Length", str(length))
            self.end_headers()

        def product_head(self, status: int = 200, length: int | None = None) -> None:
            name = server.product.download_name
            self._head(
                status,
                [
                    ("Content-Type", "application/octet-stream"),
                    ("Content-Disposition", f'inline;filename="{name}"'),
                ],
                length,
            )

        def endless(self, first: bytes = b"", filler: bytes = b"\xa5" * CHUNK) -> None:
            sent = 0
            self.wfile.write(first)
            while not server.stopping.is_set() and sent < ENDLESS_LIMIT:
                self.wfile.write(filler)
                sent += len(filler)

        def stall(self) -> None:
            self.wfile.flush()
            server.stopping.wait(60)

    return Handler


def _true(h, s: HostileServer) -> None:
    h.product_head(length=len(s.content))
    h.wfile.write(s.content)


def _short_length(h, s: HostileServer) -> None:
    """Announces 1000 bytes (and sends them all), whatever Range was asked for."""
    h.product_head(length=1000)
    h.wfile.write(s.content)


def _long_length_then_stall(h, s: HostileServer) -> None:
    """Announces 10 kB more than the product, sends the product, then holds the connection."""
    h.product_head(length=len(s.content) + 10_000)
    h.wfile.write(s.content)
    h.stall()


def _endless_garbage(h, s: HostileServer) -> None:
    h.product_head(length=None)  # no Content-Length: the body ends when the connection does
    h.endless()


def _true_then_endless(h, s: HostileServer) -> None:
    h.product_head(length=None)
    h.endless(first=s.content)


def _half_then_stall(h, s: HostileServer) -> None:
    h.product_head(length=len(s.content))
    h.wfile.write(s.content[: len(s.content) // 2])
    h.stall()


BODIES: dict[str, Callable] = {
    "true": _true,
    "short content-length": _short_length,
    "long content-length": _long_length_then_stall,
    "endless garbage": _endless_garbage,
    "true then endless": _true_then_endless,
    "half then stall": _half_then_stall,
}


def _huge_page(h, s: HostileServer) -> None:
    """A well-formed JSON page of 100 MB (one enormous string)."""
    head, tail = b'{"feed": {"opensearch:totalResults": "1", "title": "', b'"}}'
    size = 100 * 1024 * 1024
    h._head(200, [("Content-Type", "application/json")], len(head) + size + len(tail))
    h.wfile.write(head)
    for _ in range(size // CHUNK):
        if s.stopping.is_set():
            return
        h.wfile.write(b"x" * CHUNK)
    h.wfile.write(tail)


def _endless_page(h, s: HostileServer) -> None:
    """A JSON array of entries that never ends."""
    h._head(200, [("Content-Type", "application/json")], None)
    entry = json.dumps({"id": "x", "title": "y"}).encode() + b","
    h.endless(first=b'{"feed": {"entry": [', filler=entry * (CHUNK // len(entry)))


PAGES: dict[str, Callable] = {"huge": _huge_page, "endless": _endless_page}


def peak_memory_growth(function: Callable[[], object]) -> tuple:
    """Run ``function``; return ``(result or exception, peak RSS growth in MiB)``."""
    import psutil

    process = psutil.Process()
    baseline = process.memory_info().rss
    peak = [baseline]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        try:
            outcome: object = function()
        except Exception as error:  # handed back to the test
            outcome = error
    finally:
        done.set()
        sampler.join()
    return outcome, (peak[0] - baseline) / (1024 * 1024)
