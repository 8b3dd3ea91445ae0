"""Every exception sentinelsat raises, in one tree.

::

    Exception
    ├── SentinelAPIError(msg, response)     .msg .response .hint
    │   ├── ServerError                     an unexpected answer (5xx, a body that is not the JSON expected)
    │   │   └── ServerLimitError            "too many downloads": retried by the library (internal)
    │   ├── UnauthorizedError               401: wrong user name or password
    │   ├── QuerySyntaxError                the server rejected the query (also a SyntaxError)
    │   ├── QueryLengthError                the query is longer than the server accepts
    │   ├── EmptyQueryValueError            a search keyword with an empty value (also a ValueError)
    │   ├── InvalidKeyError                 no product with this id (also a KeyError)
    │   ├── SentinelAPILTAError = LTAError  the long term archive refused a retrieval, or it timed out
    │   ├── LTATriggered(uuid)              an offline product's retrieval was triggered
    │   ├── NotSupportedError               the server does not offer this (also a NotImplementedError)
    │   └── NetworkError                    no answer: refused, reset, timed out, TLS failure...
    │       └── TransferError               the connection broke while a body was being received
    └── InvalidChecksumError                a downloaded file does not match the server's checksum

``NetworkError`` is never raised as such: each one is an instance of a class derived from both
``NetworkError`` (or ``TransferError``) and the ``requests`` exception that happened, e.g.
``NetworkConnectTimeout(NetworkError, requests.exceptions.ConnectTimeout)``, so that code written
for sentinelsat 0.13, which let ``requests`` exceptions escape, still catches them
(:func:`network_error` makes them, one class per ``requests`` class).

Public: every name above except ``ServerLimitError`` and ``TransferError``, which the download
engine handles itself (they reach the caller only as the last error of a product that failed),
and :class:`Cancelled`, the internal signal that stops a batch on Ctrl-C.

``msg`` is always what sentinelsat 0.13 put there: the server's own message, verbatim (see
:func:`sentinelsat.sessions.server_message`), or 0.13's fixed wording. sentinelsat's own
explanations ("the query is probably too long", "check the user name and password") are in
``hint``; ``str(error)`` shows both.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "EmptyQueryValueError",
    "InvalidChecksumError",
    "InvalidKeyError",
    "LTAError",
    "LTATriggered",
    "NetworkError",
    "NotSupportedError",
    "QueryLengthError",
    "QuerySyntaxError",
    "SentinelAPIError",
    "SentinelAPILTAError",
    "ServerError",
    "UnauthorizedError",
]


class SentinelAPIError(Exception):
    """A request to the server failed or returned something unusable.

    Parameters
    ----------
    msg : str, optional
        The server's message, or a description of the problem.
    response : requests.Response, optional
        The server's response, when there was one.
    hint : str, optional
        sentinelsat's explanation of the likely cause and what to do.

    Attributes
    ----------
    msg : str
        The error message, as sentinelsat 0.13 gave it (machine-comparable).
    response : requests.Response or None
        The response from the server as a ``requests.Response`` object.
    hint : str
        A diagnosis added by sentinelsat (may be empty).
    """

    def __init__(self, msg: str | None = None, response: Any = None, hint: str = "") -> None:
        super().__init__(msg)
        self.msg = msg
        self.response = response
        self.hint = hint

    def __str__(self) -> str:
        msg = self.msg or ""
        if self.response is not None:
            # sentinelsat 0.13's form, a line break before a message of several lines included
            response = self.response
            separator = "\n" if "\n" in msg else ""
            text = f"HTTP status {response.status_code} {response.reason}: {separator}{msg}"
        else:
            text = msg
        return f"{text}\n{self.hint}" if self.hint else text

    def __reduce__(self) -> tuple[Any, ...]:
        # picklable: the response is dropped (it is not picklable)
        return (_rebuild, (type(self), self.msg, self.hint, _extra_state(self)))


def _extra_state(error: BaseException) -> dict[str, Any]:
    state = dict(getattr(error, "__dict__", {}))
    for name in ("msg", "response", "hint", "request"):
        state.pop(name, None)
    return state


def _rebuild(cls: type, msg: str | None, hint: str, state: dict[str, Any]) -> BaseException:
    error: Any = cls.__new__(cls)  # type: ignore[call-overload]
    SentinelAPIError.__init__(error, msg, None, hint)
    error.__dict__.update(state)
    rebuilt: BaseException = error
    return rebuilt


class ServerError(SentinelAPIError):
    """The server answered something unexpected: an error status (5xx, or a 4xx not covered by
    another class) or a body that is not what the API promises."""


class ServerLimitError(ServerError):
    """The server refused a download because the user's concurrent downloads are exhausted
    (DHuS: 403 "... concurrent flows"; CDSE: 429 "Max session number ... exceeded").

    Transient: the download engine waits for one of its own downloads to end and retries.
    """


class UnauthorizedError(SentinelAPIError):
    """The server refused the credentials (HTTP 401)."""


class QuerySyntaxError(SentinelAPIError, SyntaxError):  # type: ignore[misc]
    """The server could not parse the search query. Also a :class:`SyntaxError`."""

    def __init__(self, msg: str | None = None, response: Any = None, hint: str = "") -> None:
        SentinelAPIError.__init__(self, msg, response, hint)

    __str__ = SentinelAPIError.__str__


class QueryLengthError(SentinelAPIError):
    """The search query is longer than the server accepts."""


class EmptyQueryValueError(SentinelAPIError, ValueError):
    """A search keyword has an empty value, which no server accepts. Also a :class:`ValueError`.

    sentinelsat 0.13 sent such a query and reported the server's refusal as a
    ``SentinelAPIError``; 1.x raised a ``ValueError`` before sending it. This error is both and
    is raised before anything is sent.
    """


class InvalidKeyError(SentinelAPIError, KeyError):
    """No product with the given id exists on the server. Also a :class:`KeyError`."""

    __str__ = SentinelAPIError.__str__


class SentinelAPILTAError(SentinelAPIError):
    """Retrieving an offline product from the Long Term Archive was refused (quota exceeded,
    request not accepted) or did not finish in time. ``LTAError`` is the same class."""


#: The name sentinelsat 1.x gave :class:`SentinelAPILTAError`.
LTAError = SentinelAPILTAError


class LTATriggered(SentinelAPIError):
    """The product is offline; its retrieval from the Long Term Archive has been triggered.

    Parameters
    ----------
    uuid : str
        The product's id.
    """

    def __init__(self, uuid: str, msg: str | None = None, response: Any = None, hint: str = ""):
        self.uuid = uuid
        super().__init__(
            msg or f"Product {uuid} is not online. Triggered retrieval from the Long Term Archive.",
            response,
            hint,
        )


class NotSupportedError(SentinelAPIError, NotImplementedError):
    """The server does not offer this feature (e.g. quicklooks, or the files inside a product,
    on a server whose backend does not implement them). Also a :class:`NotImplementedError`."""

    __str__ = SentinelAPIError.__str__


class NetworkError(SentinelAPIError):
    """No usable answer came from the server: the connection was refused or reset, a timeout
    expired, TLS verification failed, too many redirects...

    Every instance is also an instance of the ``requests`` exception that happened (see the
    module documentation); ``msg`` is that exception's text and ``hint`` explains it.
    """

    #: The ``requests`` exception class this class also derives from.
    requests_class: type[BaseException] | None = None


class TransferError(NetworkError):
    """The connection broke while a response body was being received.

    ``progressed`` tells whether the attempt got further into the product than the attempts
    before it (a server that ignores ``Range`` makes every attempt start again from byte 0).
    """

    progressed = False


class InvalidChecksumError(Exception):
    """The checksum of a downloaded file does not match the one from the server.

    A plain ``Exception``, as in sentinelsat 0.13 (not a :class:`SentinelAPIError`).

    Attributes
    ----------
    msg : str
        ``'File corrupt: checksums do not match'``, 0.13's wording.
    hint : str
        Which file, and both checksums.
    """

    def __init__(self, msg: str = "File corrupt: checksums do not match", hint: str = "") -> None:
        super().__init__(msg)
        self.msg = msg
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.msg}\n{self.hint}" if self.hint else self.msg

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.msg, self.hint))


class Cancelled(KeyboardInterrupt):
    """Raised inside a download when the user interrupted a batch (Ctrl-C). Internal."""


# ---------------------------------------------------------------------- network errors
_network_classes: dict[tuple[type, type], type] = {}


def network_class(base: type[NetworkError], requests_class: type[BaseException]) -> type:
    """The class deriving from ``base`` and ``requests_class``, made once per pair.

    Parameters
    ----------
    base : type
        :class:`NetworkError` or :class:`TransferError`.
    requests_class : type
        A ``requests.exceptions.RequestException`` subclass.

    Returns
    -------
    type
        E.g. ``NetworkConnectTimeout``; it is also an attribute of this module, so that its
        instances can be pickled.
    """
    key = (base, requests_class)
    cls = _network_classes.get(key)
    if cls is None:
        prefix = "Transfer" if base is TransferError else "Network"
        name = prefix + requests_class.__name__
        cls = type(
            name, (base, requests_class), {"__module__": __name__, "requests_class": requests_class}
        )
        cls.__str__ = SentinelAPIError.__str__  # type: ignore[method-assign,assignment]
        _network_classes[key] = cls
        globals().setdefault(name, cls)
    return cls


def network_error(
    error: BaseException, hint: str = "", base: type[NetworkError] = NetworkError
) -> Any:
    """Wrap a ``requests`` exception so that it is both a :class:`NetworkError` and of its own
    class.

    Parameters
    ----------
    error : requests.exceptions.RequestException
        The exception ``requests`` raised.
    hint : str, optional
        sentinelsat's explanation.
    base : type, optional
        :class:`NetworkError` (the default) or :class:`TransferError`.

    Returns
    -------
    NetworkError
        Its ``msg`` is ``str(error)``; ``request`` is the original's.
    """
    cls = network_class(base, type(error))
    wrapped: Any = cls.__new__(cls)  # type: ignore[call-overload]
    SentinelAPIError.__init__(wrapped, str(error), None, hint)
    wrapped.args = error.args
    wrapped.request = getattr(error, "request", None)
    return wrapped


def __getattr__(name: str) -> Any:
    # unpickling looks the dynamic classes up by name, possibly in a new process
    for prefix, base in (("Transfer", TransferError), ("Network", NetworkError)):
        if name.startswith(prefix):
            import requests.exceptions

            requests_class = getattr(requests.exceptions, name[len(prefix) :], None)
            if isinstance(requests_class, type) and issubclass(requests_class, Exception):
                return network_class(base, requests_class)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
