"""HTTP plumbing: the authenticated session, request wrappers and server error messages."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.auth import HTTPBasicAuth
from urllib3.util.retry import Retry

from .exceptions import SentinelAPIError

logger = logging.getLogger(__name__)

#: Transient server answers worth a retry: overloaded or restarting DHuS instances.
RETRY_STATUSES = (500, 502, 503, 504)

#: Largest body read into memory (search pages, product metadata, error pages): DHuS
#: answers are a few MB at most; a larger or endless one is refused, not held.
MAX_RESPONSE_SIZE = 32 * 1024 * 1024

_MAX_MESSAGE_LINES = 6
_MAX_MESSAGE_CHARS = 1000
_XML_MESSAGE = re.compile(r"<message[^>]*>(.*?)</message>", re.DOTALL)


class BasicAuth(HTTPBasicAuth):
    """HTTP basic authentication whose ``repr`` never shows the password."""

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password='***')"


def default_retry(backoff_factor: float = 0.5) -> Retry:
    """The retry policy for connection errors and transient 5xx answers.

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
        status=3,
        backoff_factor=backoff_factor,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset(["GET", "HEAD", "POST"]),
        raise_on_status=False,
        respect_retry_after_header=True,
    )


def create_session(
    user: str | None, password: str | None, user_agent: str, retry: Retry | None = None
) -> requests.Session:
    """Create the session used for every request to one server.

    Parameters
    ----------
    user, password : str or None
        Credentials for HTTP basic authentication. With ``None``, ``requests`` takes them
        from ``~/.netrc`` for the server's host.
    user_agent : str
        The ``User-Agent`` header.
    retry : urllib3.util.retry.Retry, optional
        Retry policy; :func:`default_retry` by default.

    Returns
    -------
    requests.Session
    """
    session = requests.Session()
    if user is not None or password is not None:
        session.auth = BasicAuth(user or "", password or "")
    session.headers["User-Agent"] = user_agent
    adapter = HTTPAdapter(
        max_retries=retry if retry is not None else default_retry(), pool_maxsize=16
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def send(session: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
    """Send a request, turning transport failures into :class:`SentinelAPIError`.

    Parameters
    ----------
    session : requests.Session
    method : str
    url : str
    **kwargs
        Passed to :meth:`requests.Session.request` (``timeout``, ``data``, ``stream``...).

    Returns
    -------
    requests.Response
        Whatever the server answered, errors included. Unless ``stream=True``, its body
        has been read.

    Raises
    ------
    SentinelAPIError
        If no answer could be obtained (connection refused or reset, timeout, too many
        retries), or the body is larger than :data:`MAX_RESPONSE_SIZE`.
    """
    stream = kwargs.pop("stream", False)
    try:
        response = session.request(method, url, stream=True, **kwargs)
        if not stream:
            _read_body(response, url)
        return response
    except requests.exceptions.Timeout as error:
        raise SentinelAPIError(
            "The server did not answer within the timeout ({}): {}".format(
                kwargs.get("timeout"), url
            )
        ) from error
    except requests.exceptions.RequestException as error:
        raise SentinelAPIError(
            f"Could not connect to the server at {url}: {_describe(error)}"
        ) from error


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


def _describe(error: Exception) -> str:
    text = str(error)
    # urllib3 wraps the root cause in several layers; keep the innermost reason
    match = re.search(r"\(Caused by (\w+)\((.*)\)\)$", text)
    return f"{match.group(1)}({match.group(2)[:200]})" if match else text[:300]


def check_response(response: requests.Response, context: str = "") -> None:
    """Raise :class:`SentinelAPIError` unless the response has a 2xx status.

    Parameters
    ----------
    response : requests.Response
    context : str, optional
        Appended to the server's message, e.g. a hint about the likely cause.
    """
    if 200 <= response.status_code < 300:
        return
    message = server_message(response)
    if response.status_code == 401:
        message += (
            "\nCheck the username and password (a new account may need some time before "
            "it is active on this endpoint)."
        )
    if context:
        message += "\n" + context
    raise SentinelAPIError(message, response)


def decode_json(response: requests.Response, context: str = "") -> Any:
    """Return the JSON body of a successful response.

    Raises
    ------
    SentinelAPIError
        If the status is not 2xx or the body is not JSON.
    """
    check_response(response, context)
    try:
        return response.json()
    except ValueError:
        message = "The server's answer is not the expected JSON"
        text = server_message(response)
        if text:
            message += ": " + text
        raise SentinelAPIError(message, response) from None


def server_message(response: requests.Response) -> str:
    """Extract the server's own description of a failed request.

    In order of preference: the ``cause-message`` header, a JSON error message (OData or
    OpenSearch), an XML OData error message, or the readable text of an HTML error page.

    Parameters
    ----------
    response : requests.Response

    Returns
    -------
    str
        The message; the HTTP reason phrase if the server gave no details.
    """
    cause = response.headers.get("cause-message")
    if cause:
        return cause.strip()
    text = _body_text(response)
    message = _json_message(text) or _xml_message(text) or _html_message(response, text)
    return message or response.reason or "no details given"


def _body_text(response: requests.Response, limit: int = 200_000) -> str:
    """The start of the body: an error page is short, and a hostile server's endless body
    must not be read whole."""
    try:
        content = next(response.iter_content(limit), b"")
    except (requests.exceptions.RequestException, RuntimeError):
        return ""
    return content[:limit].decode(response.encoding or "utf-8", errors="replace")


def _json_message(text: str) -> str | None:
    try:
        body = json.loads(text)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if error is None and isinstance(body.get("feed"), dict):
        error = body["feed"].get("error")
    if isinstance(error, dict):
        message = error.get("message")
        if isinstance(message, dict):
            message = message.get("value")
        return str(message) if message else None
    return str(error) if error else None


def _xml_message(text: str) -> str | None:
    if not text.lstrip().startswith("<?xml"):
        return None
    match = _XML_MESSAGE.search(text)
    return match.group(1).strip() if match else None


def _html_message(response: requests.Response, text: str) -> str | None:
    if (
        "html" not in response.headers.get("Content-Type", "").lower()
        and "<html" not in text[:500].lower()
    ):
        return text.strip()[:_MAX_MESSAGE_CHARS] or None
    return html_to_text(text)


def html_to_text(html: str) -> str:
    """Turn an HTML error page into a few lines of readable text (stack traces dropped)."""
    import html2text

    converter = html2text.HTML2Text()
    converter.ignore_links = True
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.body_width = 0
    lines = []
    for line in converter.handle(html).splitlines():
        line = line.strip(" #*\t")
        if not line:
            continue
        if line.lower() == "exception":
            break
        lines.append(line)
        if len(lines) == _MAX_MESSAGE_LINES:
            break
    return "\n".join(lines)[:_MAX_MESSAGE_CHARS]
