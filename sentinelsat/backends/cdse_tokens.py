"""Access tokens of the CDSE identity server (Keycloak, client ``cdse-public``).

CDSE counts every password grant as a new session and bans accounts that open too many, so a
client logs in once: :class:`KeycloakTokens` keeps the access token until shortly before it
expires, then renews it with the refresh token, and logs in again only when the refresh token
has expired too (or the server refused it). One lock serialises the grants: threads that need
a token while one is being fetched wait for it and share it.

The password is sent to the token endpoint only, in the body of a ``POST`` that is never
redirected; the tokens go wherever the :class:`~sentinelsat.sessions.BearerAuth` that asks for
them is bound.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Union

import requests

from ..exceptions import ServerError, UnauthorizedError
from ..log import logger
from ..sessions import RETRY_STATUSES, OriginAuth, check_response, error_text, send

CLIENT_ID = "cdse-public"

#: A one-time password of an account with two-factor authentication, or what makes one.
TOTP = Union[str, Callable[[], str], None]

#: Seconds to wait for the identity server.
TOKEN_TIMEOUT = 60.0

LOGIN_HINT = (
    "Check the username and password of the CDSE account (a new account must be confirmed "
    "first); an account with two-factor authentication also needs a one-time password "
    "(CDSEBackend(..., totp=...))."
)


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


def renewal_margin(lifetime: float) -> float:
    """Seconds before its expiry that a token is renewed: a tenth of its lifetime, at most 30."""
    return min(30.0, 0.1 * lifetime)


class KeycloakTokens:
    """The tokens of one client session with the identity server.

    Parameters
    ----------
    session : requests.Session
        Sends the grants (its transport and User-Agent; its auth is not used).
    token_url : str
        The token endpoint.
    credentials : OriginAuth
        The user name and password (or the ``~/.netrc`` entry of the identity host).
    totp : str or callable, optional
        The one-time password of an account with two-factor authentication, or a function
        that returns the current one (called for each login).
    client_id : str, optional
        ``cdse-public``.
    """

    def __init__(
        self,
        session: requests.Session,
        token_url: str,
        credentials: OriginAuth,
        totp: TOTP = None,
        client_id: str = CLIENT_ID,
    ) -> None:
        self.session = session
        self.token_url = token_url
        self.credentials = credentials
        self.totp = totp
        self.client_id = client_id
        self.timeout = TOKEN_TIMEOUT
        self.logins = 0
        self.refreshes = 0
        self._lock = threading.Lock()
        self._access: str | None = None
        self._access_until = 0.0
        self._refresh: str | None = None
        self._refresh_until = 0.0
        self._failure: UnauthorizedError | None = None

    # ------------------------------------------------------------------ TokenSource
    def token(self) -> str | None:
        """A valid access token (``None`` without credentials).

        Raises
        ------
        UnauthorizedError
            The identity server refused the credentials (raised again, without asking the
            server, by every later call: repeated failed logins can lock an account).
        SentinelAPIError
            The identity server failed or could not be reached.
        """
        with self._lock:
            now = time.monotonic()
            if self._access is not None and now < self._access_until:
                return self._access
            if self._refresh is not None and now < self._refresh_until:
                if self._renew():
                    return self._access
            return self._login()

    def invalidate(self, token: str) -> None:
        """Forget the access token if it is ``token`` (a server refused it)."""
        with self._lock:
            if token == self._access:
                self._access = None

    # ------------------------------------------------------------------ grants
    def _login(self) -> str | None:
        if self._failure is not None:
            raise self._failure
        credentials = self.credentials.credentials
        if credentials is None:
            return None
        form = {
            "grant_type": "password",
            "client_id": self.client_id,
            "username": credentials[0],
            "password": credentials[1],
        }
        code = self.totp() if callable(self.totp) else self.totp
        if code:
            form["totp"] = str(code)
        try:
            self._store(self._grant(form))
        except UnauthorizedError as error:
            self._failure = error
            raise
        self.logins += 1
        logger.debug("Logged in to %s as %s", self.token_url, credentials[0])
        return self._access

    def _renew(self) -> bool:
        """Exchange the refresh token for new tokens; ``False`` if the server refused it."""
        form = {
            "grant_type": "refresh_token",
            "client_id": self.client_id,
            "refresh_token": self._refresh or "",
        }
        try:
            self._store(self._grant(form, refreshing=True))
        except UnauthorizedError:
            self._refresh = None
            return False
        self.refreshes += 1
        return True

    def _grant(self, form: dict[str, str], refreshing: bool = False) -> dict[str, Any]:
        """POST a grant; the decoded token answer.

        Raises
        ------
        UnauthorizedError
            The grant was refused (401; 400 ``invalid_grant`` for a refresh token).
        """
        response = send(
            self.session,
            "POST",
            self.token_url,
            data=form,
            auth=_no_auth,
            allow_redirects=False,
            timeout=self.timeout,
            retry_statuses=RETRY_STATUSES,
        )
        if response.status_code in (400, 401) and (refreshing or response.status_code == 401):
            raise UnauthorizedError(_grant_message(response), response, LOGIN_HINT)
        check_response(response, test_json=True)
        document = response.json()
        if not isinstance(document, dict) or not isinstance(document.get("access_token"), str):
            raise ServerError("The identity server answered without an access token", response)
        return document

    def _store(self, document: dict[str, Any]) -> None:
        now = time.monotonic()
        access_lifetime = _seconds(document.get("expires_in"), 300.0)
        refresh_lifetime = _seconds(document.get("refresh_expires_in"), 0.0)
        self._access = document["access_token"]
        self._access_until = now + access_lifetime - renewal_margin(access_lifetime)
        refresh = document.get("refresh_token")
        self._refresh = refresh if isinstance(refresh, str) and refresh else None
        self._refresh_until = now + refresh_lifetime - renewal_margin(refresh_lifetime)

    def __repr__(self) -> str:
        return f"KeycloakTokens({self.token_url!r}, user={self.credentials.username!r})"


def _seconds(value: Any, default: float) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return default
    return seconds if seconds > 0 else default


def _grant_message(response: requests.Response) -> str:
    """The identity server's reason (Keycloak's ``error_description``, else ``error``)."""
    import json

    text = error_text(response)
    try:
        document = json.loads(text)
    except ValueError:
        return text.strip()[:500] or f"HTTP {response.status_code}"
    if isinstance(document, dict):
        for key in ("error_description", "error", "message", "detail"):
            if isinstance(document.get(key), str) and document[key]:
                return str(document[key])
    return text.strip()[:500]


__all__ = ["CLIENT_ID", "KeycloakTokens", "renewal_margin"]
