"""HTTP plumbing: the session, credentials bound to their origin, retries, server messages.

Everything that talks HTTP goes through :func:`send`, which

- retries transient answers (500, 502, 503, 504 without an explanation from the application,
  and bodies cut off mid-way) with an exponential back-off, urllib3 retrying failed
  connections;
- turns transport failures into :class:`~sentinelsat.exceptions.NetworkError` instances that are
  also of the ``requests`` exception class that happened (sentinelsat 0.13 let those escape);
- never reads more than :data:`MAX_RESPONSE_SIZE` of an answer into memory.

:func:`check_response` turns error answers into the exception tree of
:mod:`sentinelsat.exceptions`, with the server's message verbatim in ``msg``
(:func:`server_message`).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Callable, ClassVar, Protocol
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase, _basic_auth_str
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

from .exceptions import (
    InvalidKeyError,
    QueryLengthError,
    SentinelAPIError,
    ServerError,
    TransferError,
    UnauthorizedError,
    network_error,
)

logger = logging.getLogger(__name__)

#: Transient server answers worth a retry: overloaded or restarting DHuS instances.
RETRY_STATUSES = (500, 502, 503, 504)

#: Retries of a transient answer or of a body cut off mid-way, after the first attempt.
STATUS_RETRIES = 3

#: Largest body read into memory (search pages, product metadata, error pages): DHuS
#: answers are a few MB at most; a larger or endless one is refused, not held.
MAX_RESPONSE_SIZE = 32 * 1024 * 1024

#: The ``msg`` of an answer that carries no message of its own (sentinelsat 0.13's wording).
INVALID_RESPONSE = "Invalid API response."

CREDENTIALS_HINT = (
    "Check the username and password (a new account may need some time before it is active "
    "on this endpoint)."
)

_ERROR_BODY_LIMIT = 200_000
_MARKUP = re.compile(r"\*\*|__|`+")
_BODY_ERRORS = (requests.exceptions.RequestException, urllib3.exceptions.HTTPError)
_DEFAULT_PORTS = {"http": 80, "https": 443}


# ---------------------------------------------------------------------- credentials
def origin(url: str) -> tuple[str, str, int | None]:
    """The origin of a URL: ``(scheme, host, port)``, the port made explicit."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


class OriginAuth(AuthBase):
    """HTTP basic authentication sent to one origin (scheme, host and port) only.

    Parameters
    ----------
    url : str
        A URL of the server the credentials belong to.
    user, password : str or None
        The credentials. When both are ``None`` they are read from ``~/.netrc`` (the entry of
        the server's host) on first use, as ``requests`` would.

    Notes
    -----
    ``user, password = api.session.auth`` works as with sentinelsat 0.13, whose session held
    a ``(user, password)`` tuple; the password never shows in ``repr``.
    """

    def __init__(self, url: str, user: str | None, password: str | None) -> None:
        self.origin = origin(url)
        self._url = url
        self._credentials: tuple[str, str] | None = None
        self._resolved = user is not None or password is not None
        if self._resolved:
            self._credentials = (user or "", password or "")
        self._lock = threading.Lock()

    @property
    def credentials(self) -> tuple[str, str] | None:
        """``(user, password)``, or ``None`` if there are none (no ``~/.netrc`` entry)."""
        if not self._resolved:
            with self._lock:
                if not self._resolved:
                    found = requests.utils.get_netrc_auth(self._url)
                    self._credentials = (found[0], found[1]) if found else None
                    self._resolved = True
        return self._credentials

    @property
    def username(self) -> str | None:
        credentials = self.credentials
        return credentials[0] if credentials else None

    @property
    def password(self) -> str | None:
        credentials = self.credentials
        return credentials[1] if credentials else None

    def applies_to(self, url: str) -> bool:
        """Whether requests to ``url`` may carry the credentials."""
        return origin(url) == self.origin

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        credentials = self.credentials
        if credentials is not None and self.applies_to(request.url or ""):
            request.headers["Authorization"] = _basic_auth_str(*credentials)
        return request

    # a truthy object, so that requests never adds ~/.netrc credentials of another host
    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Iterator[str | None]:
        credentials = self.credentials or (None, None)
        return iter(credentials)

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int) -> str | None:
        return (self.credentials or (None, None))[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, tuple):
            return self.credentials == other
        if isinstance(other, OriginAuth):
            return (self.origin, self.credentials) == (other.origin, other.credentials)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"OriginAuth(username={self.username!r}, password='***', origin={self.origin!r})"


class TokenSource(Protocol):
    """Where a :class:`BearerAuth` gets its tokens (e.g. an identity server's token endpoint)."""

    def token(self) -> str | None:
        """A valid access token, or ``None`` when there are no credentials to get one."""

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (a server refused it): the next :meth:`token` gets a new one."""


class BearerAuth(AuthBase):
    """A bearer token sent to a set of origins (scheme, host and port) only.

    The token comes from a :class:`TokenSource` when a request to one of the origins is
    prepared. When one of them answers 401 anyway (the token expired early, or was revoked),
    the token is renewed and the request sent once more, transparently.

    Parameters
    ----------
    urls : iterable of str
        URLs of the servers the token belongs to; more can be added (:meth:`add_origin`).
    tokens : TokenSource
    """

    def __init__(self, urls: Iterable[str], tokens: TokenSource) -> None:
        self.origins = {origin(url) for url in urls}
        self.tokens = tokens
        self._lock = threading.Lock()

    def add_origin(self, url: str) -> None:
        """Send the token to the origin of ``url`` too."""
        with self._lock:
            self.origins = self.origins | {origin(url)}

    def applies_to(self, url: str) -> bool:
        """Whether requests to ``url`` may carry the token."""
        return origin(url) in self.origins

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if not self.applies_to(request.url or ""):
            return request
        token = self.tokens.token()
        if token:
            request.headers["Authorization"] = f"Bearer {token}"
            request.register_hook("response", self._renew_refused_token)  # type: ignore[no-untyped-call]
        return request

    def _renew_refused_token(self, response: requests.Response, **kwargs: Any) -> Any:
        # called once per answer: the request sent again below goes straight to the
        # transport adapter, which runs no hooks
        request = response.request
        if response.status_code != 401:
            return response
        used = str(request.headers.get("Authorization", ""))[len("Bearer ") :]
        self.tokens.invalidate(used)
        token = self.tokens.token()
        if not token or token == used or response.connection is None:
            return response
        response.content  # noqa: B018 - read the refusal, so that the connection is reused
        response.close()
        retry = request.copy()
        retry.headers["Authorization"] = f"Bearer {token}"
        logger.debug("%s refused the token; sent again with a new one", request.url)
        renewed: requests.Response = response.connection.send(retry, **kwargs)
        renewed.history.append(response)
        renewed.request = retry
        return renewed

    def __repr__(self) -> str:
        return f"BearerAuth(origins={sorted(self.origins)!r})"


class Session(requests.Session):
    """A ``requests.Session`` whose credentials never leave their origin.

    ``requests`` strips the ``Authorization`` header when a redirect leads to another host,
    port or scheme, and then adds the ``~/.netrc`` credentials of the new host. Here a
    redirect keeps the credentials only when it stays on the origin they belong to, and
    ``~/.netrc`` is read for that origin only.
    """

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: Any) -> None:
        url = prepared_request.url or ""
        headers = prepared_request.headers
        auth = self.auth
        if isinstance(auth, OriginAuth) or hasattr(auth, "applies_to"):
            allowed = auth.applies_to(url)  # type: ignore[union-attr]
        else:
            allowed = not self.should_strip_auth(response.request.url, url)  # type: ignore[no-untyped-call]
        if "Authorization" in headers and not allowed:
            del headers["Authorization"]


class _SerialisedConnectionCreation:
    """Creates connection objects one thread at a time.

    Creating a connection object costs microseconds (connecting happens later, in parallel),
    but tools that patch urllib3's connection classes for a moment while they create one
    (vcrpy's replay does) would otherwise hand a concurrent thread an unpatched connection.
    """

    _lock = threading.Lock()

    def _new_conn(self) -> Any:
        with self._lock:
            return super()._new_conn()  # type: ignore[misc]


class _HTTPConnectionPool(_SerialisedConnectionCreation, HTTPConnectionPool):
    pass


class _HTTPSConnectionPool(_SerialisedConnectionCreation, HTTPSConnectionPool):
    pass


class TransportAdapter(HTTPAdapter):
    """The ``requests`` transport adapter of every sentinelsat session (see
    :class:`_SerialisedConnectionCreation`)."""

    _pool_classes: ClassVar[dict[str, type]] = {
        "http": _HTTPConnectionPool,
        "https": _HTTPSConnectionPool,
    }

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(self._pool_classes)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = dict(self._pool_classes)
        return manager


def follow_backoff(session: requests.Session, backoff: float) -> None:
    """Give the retries of failed connections of ``session``'s sentinelsat adapters the base
    ``backoff`` (adapters mounted by the user are left as they are)."""
    for adapter in session.adapters.values():
        if isinstance(adapter, TransportAdapter):
            retry = adapter.max_retries
            if retry.backoff_factor != backoff:
                adapter.max_retries = retry.new(backoff_factor=backoff)


def default_retry(backoff_factor: float = 0.5) -> Retry:
    """The retry policy of failed connections (transient answers are retried by :func:`send`).

    Parameters
    ----------
    backoff_factor : float, optional
        Base of the exponential wait between attempts, in seconds.

    Returns
    -------
    urllib3.util.retry.Retry
    """
    return Retry(
        total=3,
        connect=3,
        read=2,
        status=0,
        backoff_factor=backoff_factor,
        allowed_methods=frozenset(["GET", "HEAD", "POST"]),
        raise_on_status=False,
        respect_retry_after_header=True,
    )


def new_session(retry: Retry | None = None) -> Session:
    """A session for one server, without credentials: the transport (connection pool,
    :class:`TransportAdapter` with the retry policy) that every backend mounts.

    Parameters
    ----------
    retry : urllib3.util.retry.Retry, optional
        Retry policy of failed connections; :func:`default_retry` by default.
    """
    session = Session()
    adapter = TransportAdapter(
        max_retries=retry if retry is not None else default_retry(), pool_maxsize=16
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# ---------------------------------------------------------------------- the connection
class NullProgress:
    """A progress bar that shows nothing: what ``tqdm(disable=True)`` does for the engines
    (the methods they call), without importing tqdm (and the ``multiprocessing`` lock it
    creates). A replaced or overridden ``_tqdm`` hook is still called instead."""

    disable = True

    def __init__(self, total: float | None = None, initial: float = 0, **kwargs: Any) -> None:
        self.total = total
        self.n = initial

    def update(self, n: float = 1) -> None:
        self.n += n

    def refresh(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> NullProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass


def no_progress(**kwargs: Any) -> NullProgress:
    """The progress factory of a client without progress bars."""
    return NullProgress(**kwargs)


def hook_replaced(instance: object, name: str, base: type) -> bool:
    """Whether the method ``name`` of ``instance`` is not ``base``'s: replaced on the instance
    or overridden by a subclass (a program customising its progress bars, say)."""
    return name in vars(instance) or getattr(type(instance), name) is not getattr(base, name)


@dataclass(frozen=True)
class Connection:
    """What the engines need to talk to a server: the session and the settings of a request.

    The façade (:class:`~sentinelsat.SentinelAPI`) makes one from its current attributes for
    every call, so that changing ``api.timeout`` or overriding ``api._tqdm`` takes effect.

    Attributes
    ----------
    session : requests.Session
    timeout : float or tuple or None
        Passed to every request.
    backoff : float
        Base of the exponential wait between retries, in seconds.
    progress : callable
        Makes a progress bar: ``progress(desc=..., total=..., unit=...)`` returns a
        tqdm-like context manager.
    concurrency : int
        Metadata and search requests in flight at the same time.
    """

    session: requests.Session
    timeout: Any = None
    backoff: float = 0.5
    progress: Callable[..., Any] = no_progress
    concurrency: int = 4

    @property
    def quiet(self) -> bool:
        """Whether no progress bar is shown (the factory is :func:`no_progress`)."""
        return self.progress is no_progress

    def send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """:func:`send` with this connection's session, timeout and back-off."""
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("backoff", self.backoff)
        return send(self.session, method, url, **kwargs)


# ---------------------------------------------------------------------- sending
def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    stream: bool = False,
    retry_statuses: tuple[int, ...] = RETRY_STATUSES,
    backoff: float = 0.5,
    retries: int = STATUS_RETRIES,
    **kwargs: Any,
) -> requests.Response:
    """Send a request; retry transient answers; turn transport failures into exceptions.

    Parameters
    ----------
    session : requests.Session
    method, url : str
    stream : bool, optional
        Return as soon as the headers arrived (the caller reads and closes the body).
        Otherwise the whole body is read, and a body cut off mid-way is asked for again.
    retry_statuses : tuple of int, optional
        Answers sent again (after ``backoff * 2**n`` seconds, or the server's
        ``Retry-After``) unless the server explained the error in a ``cause-message`` header
        (a deterministic refusal). ``()`` to send once.
    backoff : float, optional
        Base of the exponential wait between attempts, in seconds.
    retries : int, optional
        Attempts after the first one.
    **kwargs
        Passed to :meth:`requests.Session.request` (``timeout``, ``data``, ``headers``...).

    Returns
    -------
    requests.Response
        Whatever the server answered at last, errors included.

    Raises
    ------
    NetworkError
        If no answer could be obtained (connection refused or reset, timeout, TLS failure,
        too many redirects); also an instance of the ``requests`` exception.
    TransferError
        If every attempt to read the body broke off.
    SentinelAPIError
        If the body is larger than :data:`MAX_RESPONSE_SIZE`.
    """
    attempt = 0
    while True:
        response = _request(session, method, url, kwargs)
        retryable = (
            response.status_code in retry_statuses and "cause-message" not in response.headers
        )
        if retryable and attempt < retries:
            wait = _retry_after(response) or backoff * 2**attempt
            logger.debug(
                "%s %s answered %s; retrying in %.1f s", method, url, response.status_code, wait
            )
            response.close()
            time.sleep(wait)
            attempt += 1
            continue
        if stream:
            return response
        try:
            _read_body(response, url)
            return response
        except _BODY_ERRORS as error:
            response.close()
            if attempt >= retries:
                raise network_error(
                    as_requests_error(error),
                    f"The connection broke while reading the server's answer to {url} "
                    f"({attempt + 1} attempts).",
                    base=TransferError,
                ) from error
            logger.debug("Reading the answer to %s %s broke off (%s); retrying", method, url, error)
            time.sleep(backoff * 2**attempt)
            attempt += 1


def _request(
    session: requests.Session, method: str, url: str, kwargs: dict[str, Any]
) -> requests.Response:
    try:
        response = session.request(method, url, stream=True, **kwargs)
    except requests.exceptions.RequestException as error:
        raise network_error(error, _network_hint(error, url, kwargs.get("timeout"))) from error
    logger.debug("%s %s: %s", method, url, response.status_code)
    return response


def _network_hint(error: requests.exceptions.RequestException, url: str, timeout: Any) -> str:
    if isinstance(error, requests.exceptions.Timeout):
        return f"The server did not answer within the timeout ({timeout} s): {url}"
    if isinstance(error, requests.exceptions.SSLError):
        return f"The TLS connection to {url} failed (its certificate could not be verified)."
    if isinstance(error, requests.exceptions.TooManyRedirects):
        return f"The server redirected {url} too many times."
    return f"Could not connect to the server at {url}."


def as_requests_error(error: BaseException) -> requests.exceptions.RequestException:
    """The ``requests`` exception for an error raised while a body was read."""
    if isinstance(error, requests.exceptions.RequestException):
        return error
    if isinstance(error, urllib3.exceptions.ReadTimeoutError):
        return requests.exceptions.ReadTimeout(error)
    if isinstance(error, urllib3.exceptions.ProtocolError):
        return requests.exceptions.ChunkedEncodingError(error)
    return requests.exceptions.ConnectionError(error)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), 60.0)


def _read_body(response: requests.Response, url: str) -> None:
    """Read the whole body into ``response.content``, up to :data:`MAX_RESPONSE_SIZE`."""
    chunks, size = [], 0
    for chunk in response.iter_content(1 << 16):
        size += len(chunk)
        if size > MAX_RESPONSE_SIZE:
            response.close()
            raise SentinelAPIError(
                f"The server's answer to {url} is larger than {MAX_RESPONSE_SIZE >> 20} MB: refused",
                response,
            )
        chunks.append(chunk)
    response._content = b"".join(chunks)  # what requests itself does when it reads a body
    response._content_consumed = True  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- answers
def check_response(
    response: requests.Response,
    test_json: bool = False,
    hint: Callable[[], str] | str = "",
) -> None:
    """Raise the matching :class:`SentinelAPIError` unless the answer is usable.

    Parameters
    ----------
    response : requests.Response
    test_json : bool, optional
        Also require the body to be valid JSON.
    hint : str or callable, optional
        sentinelsat's diagnosis to attach to an error (a callable is called only then).

    Raises
    ------
    SentinelAPIError
        Of the most specific class (:func:`error_class`), ``msg`` from :func:`server_message`.
    """
    if 200 <= response.status_code < 300:
        if not test_json:
            return
        try:
            json.loads(response.content)
            return
        except (ValueError, TypeError):
            pass
    message = server_message(response)
    text = hint() if callable(hint) else hint
    cls = error_class(response, message)
    if cls is UnauthorizedError:
        text = f"{CREDENTIALS_HINT}\n{text}".strip()
    raise cls(message, response, text)


def decode_json(response: requests.Response, hint: Callable[[], str] | str = "") -> Any:
    """Return the JSON body of a successful response (see :func:`check_response`), decoded
    once (with ``orjson`` when it is installed: several times faster on search pages)."""
    if 200 <= response.status_code < 300:
        try:
            return loads_json(response.content)
        except (ValueError, TypeError):
            pass
    check_response(response, test_json=True, hint=hint)
    return response.json()


_orjson: Any = None

#: Bodies smaller than this are decoded by ``json``: ``orjson`` pays off on search pages, and
#: a product's metadata is not worth the memory of importing it.
ORJSON_FROM = 64 << 10


def loads_json(data: bytes | str) -> Any:
    """``json.loads``, by ``orjson`` for a large body when it is installed and accepts the
    text (it refuses a few things ``json`` takes, such as ``NaN`` and integers beyond 64
    bits)."""
    global _orjson
    if len(data) < ORJSON_FROM:
        return json.loads(data)
    if _orjson is None:
        try:
            import orjson

            _orjson = orjson
        except ImportError:
            _orjson = False
    if _orjson:
        try:
            return _orjson.loads(data)
        except _orjson.JSONDecodeError:
            pass
    return json.loads(data)


def error_class(response: requests.Response, message: str) -> type[SentinelAPIError]:
    """The exception class for an unusable answer, by its status and the server's message.

    sentinelsat 1.x's classes: :class:`UnauthorizedError` (401), :class:`InvalidKeyError`
    ("Invalid key"), :class:`QueryLengthError` (413, 414, "Request Entity Too Large",
    "Request-URI Too Long") and :class:`ServerError` for everything else.
    """
    status = response.status_code
    if status == 401:
        return UnauthorizedError
    if "Invalid key" in message:
        return InvalidKeyError
    if status in (413, 414) or any(
        text in message for text in ("Request Entity Too Large", "Request-URI Too Long")
    ):
        return QueryLengthError
    return ServerError


def server_message(response: requests.Response) -> str:
    """The server's own description of a failed request, exactly as sentinelsat 0.13 read it.

    1. the ``cause-message`` response header;
    2. else the OData JSON error's ``error.message.value``;
    3. else, for a body that does not start with ``{``, the body rendered as text by
       html2text, stripped;
    4. else ``'Invalid API response.'``.

    Parameters
    ----------
    response : requests.Response

    Returns
    -------
    str
    """
    cause = response.headers.get("cause-message")
    if cause is not None:
        return cause
    text = _body_text(response)
    try:
        value = json.loads(text)["error"]["message"]["value"]
        if isinstance(value, str):
            return value
    except (ValueError, KeyError, TypeError, IndexError):
        pass
    if not text.strip().startswith("{"):
        try:
            return html_to_text(text)
        except Exception:
            logger.debug("html2text could not read the error page", exc_info=True)
    return INVALID_RESPONSE


def _body_text(response: requests.Response) -> str:
    """The start of the body as text (UTF-8, as the DHuS servers write): an error page is
    short, and a hostile server's endless body must not be read whole."""
    if getattr(response, "_content_consumed", False):
        content = (response.content or b"")[:_ERROR_BODY_LIMIT]
    else:
        try:
            content = next(response.iter_content(_ERROR_BODY_LIMIT), b"")
        except (*_BODY_ERRORS, RuntimeError):
            return ""
    response.encoding = "utf-8"
    return content[:_ERROR_BODY_LIMIT].decode("utf-8", errors="replace")


def error_text(response: requests.Response) -> str:
    """The start of an error answer's body as text (see :func:`server_message`), kept in the
    response so that it can be read again (e.g. as JSON, then by :func:`server_message`)."""
    text = _body_text(response)
    if not getattr(response, "_content_consumed", False):
        response._content = text.encode("utf-8")
        response._content_consumed = True  # type: ignore[attr-defined]
    return text


def html_to_text(html: str) -> str:
    """Render an HTML page as text the way sentinelsat 0.13 did (html2text, images
    ignored), stripped."""
    import html2text

    converter = html2text.HTML2Text()
    converter.ignore_images = True
    converter.ignore_anchors = True  # type: ignore[attr-defined]  # as sentinelsat 0.13 set it
    return str(converter.handle(html)).strip()


def summarize(message: str, max_lines: int = 6, max_chars: int = 1000) -> str:
    """A few readable lines of a server message (for the command line): Markdown marks and
    blank lines dropped, a Java stack trace cut."""
    lines: list[str] = []
    for line in message.splitlines():
        line = _MARKUP.sub("", line).strip(" #*_\t")
        if not line or set(line) <= {"*", " ", "-"}:
            continue
        if line.lower() == "exception" or line.startswith("at "):
            break
        lines.append(line)
        if len(lines) == max_lines:
            break
    return "\n".join(lines)[:max_chars]
