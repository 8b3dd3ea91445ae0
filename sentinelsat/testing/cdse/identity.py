"""The identity server of the local CDSE: a Keycloak-like token endpoint of realm ``CDSE``.

Every password grant opens a session; a refresh grant renews the tokens of its session.  The
tokens are unsigned JWTs (``alg: none``) whose claims look like CDSE's; the servers do not
trust the claims but look each token up in :class:`Identity`, where it expires after the
lifetime that was set when it was issued.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import struct
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..routes import Response
from ..server import HTTPRequest
from .responses import CDSEApplication, json_answer

if TYPE_CHECKING:
    from .faults import CDSEFaults

CLIENT_ID = "cdse-public"
REALM_PATH = "/auth/realms/CDSE"
TOKEN_PATH = f"{REALM_PATH}/protocol/openid-connect/token"
CERTS_PATH = f"{REALM_PATH}/protocol/openid-connect/certs"
DISCOVERY_PATH = f"{REALM_PATH}/.well-known/openid-configuration"
SCOPE = "AUDIENCE_PUBLIC openid email profile user-context"
TOTP_STEP = 30
INVALID_CREDENTIALS = {"error": "invalid_grant", "error_description": "Invalid user credentials"}
INVALID_CLIENT = {
    "error": "invalid_client",
    "error_description": "Invalid client or Invalid client credentials",
}
TOKEN_NOT_ACTIVE = {"error": "invalid_grant", "error_description": "Token is not active"}
TOO_MANY_SESSIONS = {
    "error": "invalid_grant",
    "error_description": "Maximum number of active sessions exceeded",
}


def totp_code(secret: str, at: float | None = None) -> str:
    """The 6-digit time-based one-time password (RFC 6238, SHA-1, 30 s) of a base32 secret."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // TOTP_STEP)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def _b64url(document: dict[str, Any]) -> str:
    raw = json.dumps(document, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Session:
    """A login: opened by a password grant, alive while one of its refresh tokens is."""

    id: str
    user: str
    ends: float  # time.monotonic() when its last refresh token expires


@dataclass
class Token:
    """An issued access or refresh token."""

    kind: str  # "access" or "refresh"
    session: Session
    expires: float  # time.monotonic()


class Identity:
    """The users, sessions and tokens of a local CDSE, and the grants that change them.

    Parameters
    ----------
    users : dict
        ``{user: password}``.
    totp_secrets : dict
        ``{user: base32 secret}`` of the users who log in with a second factor.
    issuer : callable
        Returns the issuer URL written in the tokens (known once the server is bound).
    """

    def __init__(self, users: dict[str, str], totp_secrets: dict[str, str], issuer: Any):
        self.users = users
        self.totp_secrets = totp_secrets
        self._issuer = issuer
        self._tokens: dict[str, Token] = {}
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self.sessions_issued = 0
        self.tokens_refreshed = 0

    # ---- grants
    def password_grant(
        self, form: dict[str, str], faults: CDSEFaults
    ) -> tuple[int, dict[str, Any]]:
        """Check credentials (and the one-time password of 2FA users); open a session."""
        user, password = form.get("username", ""), form.get("password", "")
        if not user or self.users.get(user) != password:
            return 401, INVALID_CREDENTIALS
        secret = self.totp_secrets.get(user)
        if secret is not None and not self._totp_matches(secret, form.get("totp", "")):
            return 401, INVALID_CREDENTIALS
        with self._lock:
            now = time.monotonic()
            self._forget_expired(now)
            if self._active_sessions(now)[user] >= faults.max_sessions:
                return faults.session_limit_status, TOO_MANY_SESSIONS
            session = Session(str(uuid.uuid4()), user, now)
            self._sessions[session.id] = session
            self.sessions_issued += 1
            return 200, self._issue(session, now, faults)

    def refresh_grant(self, form: dict[str, str], faults: CDSEFaults) -> tuple[int, dict[str, Any]]:
        """Exchange a live refresh token for new tokens of the same session."""
        with self._lock:
            now = time.monotonic()
            token = self._tokens.get(form.get("refresh_token", ""))
            if token is None or token.kind != "refresh" or token.expires <= now:
                return 400, TOKEN_NOT_ACTIVE
            self.tokens_refreshed += 1
            return 200, self._issue(token.session, now, faults)

    @staticmethod
    def _totp_matches(secret: str, code: str) -> bool:
        now = time.time()
        return any(
            hmac.compare_digest(totp_code(secret, now + step * TOTP_STEP), code)
            for step in (-1, 0, 1)
        )

    def _issue(self, session: Session, now: float, faults: CDSEFaults) -> dict[str, Any]:
        access_lifetime = float(faults.access_token_lifetime)
        refresh_lifetime = float(faults.refresh_token_lifetime)
        access = self._token("Bearer", session, access_lifetime)
        refresh = self._token("Refresh", session, refresh_lifetime)
        self._tokens[access] = Token("access", session, now + access_lifetime)
        self._tokens[refresh] = Token("refresh", session, now + refresh_lifetime)
        session.ends = max(session.ends, now + refresh_lifetime)
        return {
            "access_token": access,
            "expires_in": _seconds(access_lifetime),
            "refresh_expires_in": _seconds(refresh_lifetime),
            "refresh_token": refresh,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "session_state": session.id,
            "scope": SCOPE,
        }

    def _token(self, kind: str, session: Session, lifetime: float) -> str:
        issued = int(time.time())
        claims = {
            "exp": issued + int(lifetime), "iat": issued, "jti": str(uuid.uuid4()),
            "iss": self._issuer(), "aud": ["CLOUDFERRO_PUBLIC", "account"],
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"cdse-user:{session.user}")),
            "typ": kind, "azp": CLIENT_ID, "sid": session.id, "scope": SCOPE,
            "preferred_username": session.user, "email": session.user,
            "nonce": secrets.token_hex(8),
        }  # fmt: skip
        return f"{_b64url({'alg': 'none', 'typ': 'JWT'})}.{_b64url(claims)}."

    # ---- state
    def _forget_expired(self, now: float) -> None:
        for value, token in list(self._tokens.items()):
            if token.expires <= now and token.session.ends <= now:
                del self._tokens[value]
        for key, session in list(self._sessions.items()):
            if session.ends <= now:
                del self._sessions[key]

    def _active_sessions(self, now: float) -> Counter[str]:
        return Counter(s.user for s in self._sessions.values() if s.ends > now)

    def active_sessions(self, user: str | None = None) -> int:
        """The number of sessions whose refresh tokens are not all expired (of ``user``)."""
        with self._lock:
            active = self._active_sessions(time.monotonic())
        return active[user] if user is not None else sum(active.values())

    def check(self, value: str | None) -> tuple[str | None, str]:
        """Look up an access token: ``(user, "ok")``, or ``(None, reason)`` with the reason
        ``missing``, ``unknown`` or ``expired``."""
        if not value:
            return None, "missing"
        with self._lock:
            token = self._tokens.get(value)
        if token is None or token.kind != "access":
            return None, "unknown"
        if token.expires <= time.monotonic():
            return None, "expired"
        return token.session.user, "ok"

    def expire(self, kind: str = "access") -> None:
        """Make every token of a kind (``access``, ``refresh`` or ``all``) expire now."""
        with self._lock:
            now = time.monotonic()
            for token in self._tokens.values():
                if kind in ("all", token.kind):
                    token.expires = min(token.expires, now)
                    if token.kind == "refresh":
                        token.session.ends = now


def _seconds(lifetime: float) -> int | float:
    return int(lifetime) if float(lifetime).is_integer() else lifetime


class IdentityApplication(CDSEApplication):
    """``/auth/realms/CDSE/...``: the token endpoint, OIDC discovery and an empty JWKS."""

    name = "identity"

    def route(self, request: HTTPRequest) -> Response:
        if request.path == TOKEN_PATH:
            if request.method != "POST":
                return json_answer(405, {"error": "HTTP 405 Method Not Allowed"})
            return self.token(request)
        if request.path == DISCOVERY_PATH and request.method in ("GET", "HEAD"):
            return json_answer(200, self.discovery())
        if request.path == CERTS_PATH and request.method in ("GET", "HEAD"):
            return json_answer(200, {"keys": []})
        return json_answer(404, {"error": "Unable to find matching target resource method"})

    def discovery(self) -> dict[str, Any]:
        issuer = self.cdse.identity_url.rstrip("/")
        return {
            "issuer": issuer,
            "token_endpoint": self.cdse.token_url,
            "jwks_uri": f"{issuer}/protocol/openid-connect/certs",
            "grant_types_supported": ["password", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "id_token_signing_alg_values_supported": ["none"],
            "response_types_supported": ["token"],
            "scopes_supported": SCOPE.split(),
        }

    def token(self, request: HTTPRequest) -> Response:
        form = request.form
        identity = self.cdse.identity
        grant = form.get("grant_type")
        if not grant:
            return json_answer(
                400,
                {
                    "error": "invalid_request",
                    "error_description": "Missing form parameter: grant_type",
                },
            )
        if form.get("client_id") != CLIENT_ID:
            return json_answer(401, INVALID_CLIENT)
        if grant == "password":
            status, document = identity.password_grant(form, self.cdse.faults)
            if status == 200:
                request.user = form.get("username")
        elif grant == "refresh_token":
            status, document = identity.refresh_grant(form, self.cdse.faults)
            if status == 200:
                request.user = identity.check(document["access_token"])[0]
        else:
            status = 400
            document = {
                "error": "unsupported_grant_type",
                "error_description": "Unsupported grant_type",
            }
        return json_answer(status, document, ("Cache-Control", "no-store"), ("Pragma", "no-cache"))
