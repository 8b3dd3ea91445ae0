"""Exceptions raised by sentinelsat.

Every failure the library reports to its users is a :class:`SentinelAPIError` or one of its
subclasses; raw ``requests`` exceptions never escape the public API.
"""

from __future__ import annotations

from typing import Any


class SentinelAPIError(Exception):
    """A request to the DHuS server failed or returned something unusable.

    Parameters
    ----------
    msg : str, optional
        A human readable description of the problem, usually the server's own message.
    response : requests.Response, optional
        The server's response, when there was one.

    Attributes
    ----------
    msg : str
        The error message.
    response : requests.Response or None
        The response from the server as a ``requests.Response`` object.
    """

    def __init__(self, msg: str | None = None, response: Any = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.response = response

    def __str__(self) -> str:
        msg = self.msg or ""
        if self.response is None:
            return msg
        status = "HTTP status {} {}".format(
            self.response.status_code, self.response.reason or ""
        ).rstrip()
        separator = "\n" if "\n" in msg else " "
        return f"{status}:{separator}{msg}" if msg else status

    def __reduce__(self) -> tuple[Any, ...]:
        # keep the exception picklable (the response is dropped: it is not picklable)
        return (self.__class__, (self.msg, None))


class SentinelAPILTAError(SentinelAPIError):
    """Retrieving an offline product from the Long Term Archive was refused or failed."""


class InvalidChecksumError(SentinelAPIError):
    """The MD5 checksum of a downloaded file does not match the one from the server."""


class ServerLimitError(SentinelAPIError):
    """The server refused a download because the user's concurrent download limit is reached.

    This is a transient condition: the request can be retried once another download of the
    same user has finished.
    """
