"""The threaded HTTP server: authentication, faults, streaming and the request log."""

from __future__ import annotations

import base64
import binascii
import socket
import threading
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

from . import pages
from .routes import Request, Response, dispatch, html_response, realm

if TYPE_CHECKING:
    from .hub import LocalHub

_CONNECTION_ERRORS = (ConnectionError, BrokenPipeError, socket.timeout, OSError)


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the hub saw it.

    Attributes
    ----------
    method : str
        ``GET``, ``HEAD``, ``POST``...
    path : str
        The decoded URL path (``/odata/v1/Products('...')/$value``).
    query : dict
        The decoded URL query parameters.
    form : dict
        The decoded ``application/x-www-form-urlencoded`` body parameters (``q`` of a POST search).
    status : int
        The HTTP status answered.
    bytes_sent : int
        Body bytes actually written (less than announced if the connection was dropped).
    range : str or None
        The ``Range`` request header.
    user : str or None
        The authenticated user (``None`` if authentication failed or was not reached).
    time : float
        ``time.time()`` when the request arrived.
    duration : float
        Seconds until the response was complete.
    dropped : bool
        Whether the ``drop_after`` fault cut the body.
    """

    method: str
    path: str
    query: dict = field(default_factory=dict)
    form: dict = field(default_factory=dict)
    status: int = 0
    bytes_sent: int = 0
    range: str | None = None
    user: str | None = None
    time: float = 0.0
    duration: float = 0.0
    dropped: bool = False


class _LogRecord:
    """The mutable log entry of a request in progress."""

    def __init__(self, request: Request, started: float):
        self.request = request
        self.time = started
        self.started = time.monotonic()
        self.user: str | None = None
        self.status = 0
        self.bytes_sent = 0
        self.duration = 0.0
        self.dropped = False
        self.logged = False

    def add(self, count: int) -> None:
        self.bytes_sent += count

    def finish(self) -> None:
        self.duration = time.monotonic() - self.started

    def freeze(self) -> LoggedRequest:
        request = self.request
        return LoggedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            form=dict(request.form),
            status=self.status,
            bytes_sent=self.bytes_sent,
            range=request.headers.get("Range"),
            user=self.user,
            time=self.time,
            duration=self.duration or (time.monotonic() - self.started),
            dropped=self.dropped,
        )


class _Throttle:
    """Paces writes to ``hub.faults.bandwidth`` bytes per second (re-read for every piece)."""

    def __init__(self, hub: LocalHub):
        self.hub = hub
        self.started = time.monotonic()
        self.sent = 0

    def pieces(self, chunk: bytes | memoryview) -> Iterable[bytes | memoryview]:
        bandwidth = self.hub.faults.bandwidth
        if not bandwidth:
            self.sent += len(chunk)
            yield chunk
            return
        step = max(1, int(bandwidth / 20))
        for offset in range(0, len(chunk), step):
            piece = chunk[offset : offset + step]
            bandwidth = self.hub.faults.bandwidth or 0
            if bandwidth:
                delay = self.started + (self.sent + len(piece)) / bandwidth - time.monotonic()
                if delay > 0:
                    self.hub.wait(delay)
            self.sent += len(piece)
            yield piece


class HubRequestHandler(BaseHTTPRequestHandler):
    """Handles one connection (HTTP/1.1 keep-alive) for a :class:`LocalHub`."""

    protocol_version = "HTTP/1.1"
    server_version = "Apache-Coyote/1.1"
    timeout = 120
    server: HubHTTPServer

    # ---- plumbing
    def setup(self) -> None:
        super().setup()
        # headers and body go in separate writes: without this, Nagle's algorithm and delayed
        # ACKs add ~40 ms to every keep-alive request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:
        stream = self.server.hub.access_log
        if stream is not None:
            stream.write(f"{self.address_string()} - {format % args}\n")
            stream.flush()

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    # ---- request
    def _read_form(self) -> dict[str, str]:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        body = self.rfile.read(length) if length > 0 else b""
        if self.command != "POST":
            return {}
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))

    def _parse(self) -> Request:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        form = self._read_form()
        return Request(self.command, unquote(parts.path), query, form, self.headers)

    def _authenticate(self) -> str | None:
        header = self.headers.get("Authorization") or ""
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user if self.server.hub.users.get(user) == password and user else None

    # ---- the pipeline
    def _respond(self, request: Request) -> Response:
        hub = self.server.hub
        faults = hub.faults
        if faults.latency > 0:
            hub.wait(faults.latency)
        if faults.maintenance:
            return html_response(503, pages.maintenance_page())
        request.user = self._authenticate()
        if request.user is None:
            return html_response(
                401,
                pages.unauthorized_page(),
                ("WWW-Authenticate", f'Basic realm="{realm(request.path)}"'),
            )
        if faults.error_rate > 0 and hub.draw_error(faults.error_rate):
            return html_response(500, pages.internal_error_page())
        return dispatch(hub, request)

    def _handle(self) -> None:
        hub = self.server.hub
        request = self._parse()
        record = _LogRecord(request, time.time())
        response: Response | None = None
        try:
            try:
                response = self._respond(request)
            except Exception:  # a bug of the hub: answer 500 and report it
                traceback.print_exc()
                response = html_response(500, pages.internal_error_page())
            record.user, record.status = request.user, response.status
            self._send(response, record)
        finally:
            if response is not None:
                response.close()
            record.finish()
            if not record.logged:
                record.logged = True
                hub.record(record)

    # ---- response
    # The log entry is appended, and its byte count and download slot updated, *before* the
    # bytes go out: a client that has received a whole response sees it in the log and may
    # start its next download at once.
    def _send(self, response: Response, record: _LogRecord) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(response.content_length))
        record.logged = True
        self.server.hub.record(record)
        if self.command == "HEAD" or (response.chunks is None and not response.body):
            response.close()
            self.end_headers()
            return
        self.end_headers()
        if response.chunks is None:
            record.add(len(response.body))
            self.wfile.write(response.body)
            return
        self._stream(response, record)

    def _stream(self, response: Response, record: _LogRecord) -> None:
        hub = self.server.hub
        limit = hub.faults.drop_after
        throttle = _Throttle(hub)
        remaining = response.content_length
        for chunk in response.chunks or ():
            for piece in throttle.pieces(chunk):
                if limit is not None and record.bytes_sent + len(piece) > limit:
                    piece = piece[: max(limit - record.bytes_sent, 0)]
                    record.add(len(piece))
                    record.dropped = True
                    response.close()
                    self.wfile.write(piece)
                    self._drop()
                    return
                remaining -= len(piece)
                if remaining <= 0:
                    response.close()
                record.add(len(piece))
                try:
                    self.wfile.write(piece)
                except OSError:
                    record.add(-len(piece))
                    raise

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class HubHTTPServer(ThreadingHTTPServer):
    """A threaded server that tracks its connections so that :meth:`close_all` can end them."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], hub: LocalHub):
        self.hub = hub
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._lock = threading.Lock()
        super().__init__(address, HubRequestHandler)

    def process_request(self, request, client_address) -> None:  # type: ignore[override]
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name="sentinelsat-hub-connection",
        )
        thread.daemon = True
        with self._lock:
            self._connections[request] = thread
        thread.start()

    def _serve_connection(self, request, client_address) -> None:
        try:
            self.finish_request(request, client_address)
        except _CONNECTION_ERRORS:
            pass
        except Exception:  # pragma: no cover - reported like socketserver does
            self.handle_error(request, client_address)
        finally:
            with self._lock:
                self._connections.pop(request, None)
            self.shutdown_request(request)

    def handle_error(self, request, client_address) -> None:  # type: ignore[override]
        import sys

        if not isinstance(sys.exc_info()[1], _CONNECTION_ERRORS):
            super().handle_error(request, client_address)

    def close_all(self, timeout: float = 5.0) -> None:
        """Shut down every open connection and wait for their threads to finish."""
        with self._lock:
            connections = list(self._connections.items())
        for sock, _ in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        for _, thread in connections:
            thread.join(max(0.0, deadline - time.monotonic()))
