"""The threaded HTTP servers of the local hubs.

A protocol-agnostic core: :class:`CoreHTTPServer` tracks its connections (:meth:`close_all`),
:class:`CoreRequestHandler` parses requests (HTTP/1.1 keep-alive), keeps the request log,
paces and cuts streamed bodies (the ``bandwidth`` and ``drop_after`` faults) and hands each
request to an :class:`Application`, which answers it.  :class:`HubHTTPServer` serves the
DHuS application of :class:`~sentinelsat.testing.LocalHub` (HTTP basic authentication,
latency, maintenance and errors, then :func:`~sentinelsat.testing.routes.dispatch`); the local
CDSE runs three core servers with applications of its own.
"""

from __future__ import annotations

import base64
import binascii
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Protocol, TextIO
from urllib.parse import parse_qsl, unquote, urlsplit

from . import pages
from .routes import Request, Response, dispatch, html_response, realm

if TYPE_CHECKING:
    from .hub import LocalHub

_CONNECTION_ERRORS = (ConnectionError, BrokenPipeError, socket.timeout, OSError)


@dataclass(frozen=True)
class LoggedRequest:
    """One request as a local server saw it.

    Attributes
    ----------
    method : str
        ``GET``, ``HEAD``, ``POST``...
    path : str
        The decoded URL path (``/odata/v1/Products('...')/$value``).
    query : dict
        The decoded URL query parameters (the last value of a repeated one).
    form : dict
        The decoded ``application/x-www-form-urlencoded`` body parameters (``q`` of a POST search).
    status : int
        The HTTP status answered.
    bytes_sent : int
        Body bytes actually written (less than announced if the connection was dropped).
    range : str or None
        The ``Range`` request header.
    user : str or None
        The authenticated user (``None`` if authentication failed or was not reached); for the
        local CDSE, the user a valid token or a successful grant belongs to.
    time : float
        ``time.time()`` when the request arrived.
    duration : float
        Seconds until the response was complete.
    dropped : bool
        Whether the ``drop_after`` fault cut the body.
    server : str
        The name of the server that answered: ``hub`` for the DHuS hub; ``catalogue``,
        ``identity`` or ``download`` for the local CDSE.
    authorization : str or None
        The scheme of the ``Authorization`` header (``Basic``, ``Bearer``...), ``None`` when the
        request had none.
    """

    method: str
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    form: dict[str, Any] = field(default_factory=dict)
    status: int = 0
    bytes_sent: int = 0
    range: str | None = None
    user: str | None = None
    time: float = 0.0
    duration: float = 0.0
    dropped: bool = False
    server: str = ""
    authorization: str | None = None


@dataclass
class HTTPRequest(Request):
    """A parsed request with what the core keeps besides :class:`~.routes.Request`.

    Attributes
    ----------
    pairs : list of (str, str)
        The decoded URL query parameters in order, repeated ones included.
    body : bytes
        The raw request body.
    """

    pairs: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


class StreamFaults(Protocol):
    """The faults the core applies to streamed bodies."""

    bandwidth: float | None
    drop_after: int | None


class Application(Protocol):
    """What a :class:`CoreHTTPServer` serves: answers requests and keeps their log."""

    #: The server name written in :attr:`LoggedRequest.server`.
    name: str
    #: The ``Server`` response header.
    server_version: str

    @property
    def faults(self) -> StreamFaults: ...

    @property
    def access_log(self) -> TextIO | None: ...

    def respond(self, request: HTTPRequest) -> Response:
        """Answer a request (set ``request.user`` when it is known)."""
        ...

    def failure(self) -> Response:
        """The answer to a request whose handling raised an exception."""
        ...

    def record(self, entry: LogRecord) -> None:
        """Append a request in progress to the request log."""
        ...

    def wait(self, seconds: float) -> None:
        """Sleep, returning early when the application stops."""
        ...


class LogRecord:
    """The mutable log entry of a request in progress."""

    def __init__(self, request: Request, started: float, server: str = ""):
        self.request = request
        self.server = server
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
        scheme = (request.headers.get("Authorization") or "").strip().partition(" ")[0]
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
            server=self.server,
            authorization=scheme or None,
        )


class RequestLog:
    """The requests a local server answered, shared by its threads."""

    def __init__(self) -> None:
        self._records: list[LogRecord] = []
        self._lock = threading.Lock()

    def snapshot(self) -> list[LoggedRequest]:
        """The requests so far, in completion order, frozen."""
        with self._lock:
            records = list(self._records)
        return [record.freeze() for record in records]

    def clear(self) -> None:
        """Forget the logged requests."""
        with self._lock:
            self._records.clear()

    def append(self, record: LogRecord) -> None:
        """Log a request in progress (its entry is completed as it is answered)."""
        with self._lock:
            self._records.append(record)


class _Throttle:
    """Paces writes to ``faults.bandwidth`` bytes per second (re-read for every piece)."""

    def __init__(self, app: Application):
        self.app = app
        self.started = time.monotonic()
        self.sent = 0

    def pieces(self, chunk: bytes | memoryview) -> Iterable[bytes | memoryview]:
        bandwidth = self.app.faults.bandwidth
        if not bandwidth:
            self.sent += len(chunk)
            yield chunk
            return
        step = max(1, int(bandwidth / 20))
        for offset in range(0, len(chunk), step):
            piece = chunk[offset : offset + step]
            bandwidth = self.app.faults.bandwidth or 0
            if bandwidth:
                delay = self.started + (self.sent + len(piece)) / bandwidth - time.monotonic()
                if delay > 0:
                    self.app.wait(delay)
            self.sent += len(piece)
            yield piece


class CoreRequestHandler(BaseHTTPRequestHandler):
    """Handles one connection (HTTP/1.1 keep-alive) for the application of its server."""

    protocol_version = "HTTP/1.1"
    timeout = 120
    server: CoreHTTPServer

    # ---- plumbing
    def setup(self) -> None:
        super().setup()
        # headers and body go in separate writes: without this, Nagle's algorithm and delayed
        # ACKs add ~40 ms to every keep-alive request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return self.server.app.server_version

    def log_message(self, format: str, *args: object) -> None:
        stream = self.server.app.access_log
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
    def _read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(length) if length > 0 else b""

    def _parse(self) -> HTTPRequest:
        parts = urlsplit(self.path)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        body = self._read_body()
        form: dict[str, str] = {}
        content_type = (self.headers.get("Content-Type") or "").lower()
        if self.command == "POST" and "json" not in content_type:
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return HTTPRequest(
            self.command,
            unquote(parts.path),
            dict(pairs),
            form,
            self.headers,
            pairs=pairs,
            body=body,
        )

    def _handle(self) -> None:
        app = self.server.app
        request = self._parse()
        record = LogRecord(request, time.time(), app.name)
        response: Response | None = None
        try:
            try:
                response = app.respond(request)
            except Exception:  # a bug of the server: answer 500 and report it
                traceback.print_exc()
                response = app.failure()
            record.user, record.status = request.user, response.status
            self._send(response, record)
        finally:
            if response is not None:
                response.close()
            record.finish()
            if not record.logged:
                record.logged = True
                app.record(record)

    # ---- response
    # The log entry is appended, and its byte count and download slot updated, *before* the
    # bytes go out: a client that has received a whole response sees it in the log and may
    # start its next request at once.
    def _send(self, response: Response, record: LogRecord) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(response.content_length))
        record.logged = True
        self.server.app.record(record)
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

    def _stream(self, response: Response, record: LogRecord) -> None:
        app = self.server.app
        limit = app.faults.drop_after
        throttle = _Throttle(app)
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


class CoreHTTPServer(ThreadingHTTPServer):
    """A threaded server of an :class:`Application` that tracks its connections so that
    :meth:`close_all` can end them."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: Application):
        self.app = app
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._lock = threading.Lock()
        super().__init__(address, CoreRequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name=f"sentinelsat-{self.app.name}-connection",
        )
        thread.daemon = True
        with self._lock:
            self._connections[request] = thread
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
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

    def handle_error(self, request: Any, client_address: Any) -> None:
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


# --------------------------------------------------------------------------- the DHuS hub
def basic_auth_user(headers: Message, users: dict[str, str]) -> str | None:
    """The user of a valid HTTP basic ``Authorization`` header, else ``None``."""
    header = headers.get("Authorization") or ""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user if users.get(user) == password and user else None


class DHuSApplication:
    """The DHuS protocol of a :class:`~sentinelsat.testing.LocalHub`: latency, maintenance,
    basic authentication and errors, then the hub's routes."""

    name = "hub"
    server_version = "Apache-Coyote/1.1"

    def __init__(self, hub: LocalHub):
        self.hub = hub

    @property
    def faults(self) -> StreamFaults:
        return self.hub.faults

    @property
    def access_log(self) -> TextIO | None:
        return self.hub.access_log

    def record(self, entry: LogRecord) -> None:
        self.hub.record(entry)

    def wait(self, seconds: float) -> None:
        self.hub.wait(seconds)

    def failure(self) -> Response:
        return html_response(500, pages.internal_error_page())

    def respond(self, request: HTTPRequest) -> Response:
        hub = self.hub
        faults = hub.faults
        if faults.latency > 0:
            hub.wait(faults.latency)
        if faults.maintenance:
            return html_response(503, pages.maintenance_page())
        request.user = basic_auth_user(request.headers, hub.users)
        if request.user is None:
            return html_response(
                401,
                pages.unauthorized_page(),
                ("WWW-Authenticate", f'Basic realm="{realm(request.path)}"'),
            )
        if faults.error_rate > 0 and hub.draw_error(faults.error_rate):
            return html_response(500, pages.internal_error_page())
        return dispatch(hub, request)


class HubHTTPServer(CoreHTTPServer):
    """The server of a :class:`~sentinelsat.testing.LocalHub`."""

    def __init__(self, address: tuple[str, int], hub: LocalHub):
        self.hub = hub
        super().__init__(address, DHuSApplication(hub))
