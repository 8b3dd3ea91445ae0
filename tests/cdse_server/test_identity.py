"""The identity server: password and refresh grants, expiry, sessions, TOTP and discovery."""

from __future__ import annotations

import base64
import json
import time

import pytest
import requests

from sentinelsat.testing.cdse.identity import totp_code

from .conftest import bearer, password_grant


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def refresh(cdse, refresh_token: str, **fields) -> requests.Response:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": "cdse-public",
            **fields}  # fmt: skip
    return requests.post(cdse.token_url, data=form)


def download_status(cdse, token: str) -> int:
    url = f"{cdse.download_url}Products({cdse.entries[0].id})/$value"
    return requests.head(url, headers=bearer(token)).status_code


def test_password_grant_reply(cdse):
    reply = password_grant(cdse)
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "application/json"
    tokens = reply.json()
    assert list(tokens) == ["access_token", "expires_in", "refresh_expires_in", "refresh_token",
                            "token_type", "not-before-policy", "session_state", "scope"]  # fmt: skip
    assert (tokens["expires_in"], tokens["refresh_expires_in"], tokens["token_type"]) == (
        600,
        3600,
        "Bearer",
    )
    assert tokens["scope"] == "AUDIENCE_PUBLIC openid email profile user-context"
    access = claims(tokens["access_token"])
    assert access["preferred_username"] == cdse.user and access["azp"] == "cdse-public"
    assert access["sid"] == tokens["session_state"] and access["typ"] == "Bearer"
    assert access["iss"] == cdse.identity_url.rstrip("/")
    assert access["exp"] - access["iat"] == 600
    assert claims(tokens["refresh_token"])["typ"] == "Refresh"
    assert download_status(cdse, tokens["access_token"]) == 200


@pytest.mark.parametrize(
    ("fields", "status", "body"),
    [
        ({"password": "wrong"}, 401, {"error": "invalid_grant", "error_description": "Invalid user credentials"}),
        ({"username": "nobody"}, 401, {"error": "invalid_grant", "error_description": "Invalid user credentials"}),
        ({"client_id": "cdse-private"}, 401, {"error": "invalid_client",
                                               "error_description": "Invalid client or Invalid client credentials"}),
        ({"client_id": ""}, 401, {"error": "invalid_client",
                                  "error_description": "Invalid client or Invalid client credentials"}),
        ({"grant_type": "client_credentials"}, 400, {"error": "unsupported_grant_type",
                                                      "error_description": "Unsupported grant_type"}),
        ({"grant_type": ""}, 400, {"error": "invalid_request",
                                   "error_description": "Missing form parameter: grant_type"}),
    ],
)  # fmt: skip
def test_refused_grants(cdse, fields, status, body):
    reply = password_grant(cdse, **fields)
    assert (reply.status_code, reply.json()) == (status, body)
    assert cdse.sessions_issued == 0


def test_token_endpoint_wants_a_post(cdse):
    assert requests.get(cdse.token_url).status_code == 405


def test_refresh_grant_keeps_the_session_and_the_refresh_token_is_reusable(cdse):
    first = password_grant(cdse).json()
    renewed = refresh(cdse, first["refresh_token"])
    assert renewed.status_code == 200
    tokens = renewed.json()
    assert tokens["session_state"] == first["session_state"]
    assert tokens["access_token"] != first["access_token"]
    assert refresh(cdse, first["refresh_token"]).status_code == 200  # usable several times
    assert (cdse.sessions_issued, cdse.tokens_refreshed, cdse.active_sessions()) == (1, 2, 1)
    assert download_status(cdse, tokens["access_token"]) == 200
    assert download_status(cdse, first["access_token"]) == 200  # the old one stays valid


def test_unknown_or_misused_refresh_tokens(cdse):
    tokens = password_grant(cdse).json()
    not_active = {"error": "invalid_grant", "error_description": "Token is not active"}
    for value in ("nonsense", tokens["access_token"]):
        reply = refresh(cdse, value)
        assert (reply.status_code, reply.json()) == (400, not_active)
    assert refresh(cdse, tokens["refresh_token"], client_id="other").status_code == 401


def test_lifetimes_in_seconds_make_tokens_expire_mid_batch(cdse):
    cdse.faults.access_token_lifetime = 0.4
    cdse.faults.refresh_token_lifetime = 1.2
    tokens = password_grant(cdse).json()
    assert (tokens["expires_in"], tokens["refresh_expires_in"]) == (0.4, 1.2)
    assert download_status(cdse, tokens["access_token"]) == 200
    time.sleep(0.5)
    url = f"{cdse.download_url}Products({cdse.entries[0].id})/$value"
    expired = requests.get(url, headers=bearer(tokens["access_token"]))
    assert expired.status_code == 401
    assert expired.json() == {"code": "DAT-ZIP-604", "message": "Token expired"}
    renewed = refresh(cdse, tokens["refresh_token"]).json()
    assert download_status(cdse, renewed["access_token"]) == 200
    time.sleep(0.8)  # the first refresh token has expired, the renewed one not yet
    assert refresh(cdse, tokens["refresh_token"]).status_code == 400
    assert refresh(cdse, renewed["refresh_token"]).status_code == 200


def test_expire_tokens_on_demand(cdse):
    tokens = password_grant(cdse).json()
    cdse.expire_tokens()
    assert download_status(cdse, tokens["access_token"]) == 401
    assert refresh(cdse, tokens["refresh_token"]).status_code == 200
    cdse.expire_tokens("refresh")
    assert refresh(cdse, tokens["refresh_token"]).status_code == 400
    assert cdse.active_sessions() == 0


def test_every_password_grant_is_a_session_up_to_the_limit(cdse):
    cdse.faults.max_sessions = 3
    states = {password_grant(cdse).json()["session_state"] for _ in range(3)}
    assert len(states) == 3 and cdse.sessions_issued == 3 and cdse.active_sessions(cdse.user) == 3
    refused = password_grant(cdse)
    assert refused.status_code == 401
    assert refused.json() == {"error": "invalid_grant",
                              "error_description": "Maximum number of active sessions exceeded"}  # fmt: skip
    cdse.faults.session_limit_status = 429
    assert password_grant(cdse).status_code == 429
    cdse.expire_tokens("refresh")  # sessions end with their refresh tokens
    assert password_grant(cdse).status_code == 200 and cdse.sessions_issued == 4


def test_sessions_are_counted_per_user(make_local_cdse):
    cdse = make_local_cdse(products=2, users={"a": "1", "b": "2"}, max_sessions=1)
    assert password_grant(cdse, username="a", password="1").status_code == 200
    assert password_grant(cdse, username="b", password="2").status_code == 200
    assert password_grant(cdse, username="a", password="1").status_code == 401
    assert (cdse.active_sessions("a"), cdse.active_sessions("b"), cdse.active_sessions()) == (
        1,
        1,
        2,
    )


def test_two_factor_users_need_the_current_one_time_password(make_local_cdse):
    secret = "JBSWY3DPEHPK3PXP"
    cdse = make_local_cdse(products=2, users={"u": "p", "v": "q"}, totp_secrets={"u": secret})
    now = time.time()
    assert cdse.totp("u", now) == totp_code(secret, now)
    accepted = {cdse.totp("u", now + step) for step in (-30, 0, 30)}
    wrong = next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)
    assert password_grant(cdse, username="u", password="p").status_code == 401
    assert password_grant(cdse, username="u", password="p", totp=wrong).status_code == 401
    assert password_grant(cdse, username="u", password="p", totp=cdse.totp()).status_code == 200
    previous = cdse.totp("u", time.time() - 30)  # one step of clock drift is allowed
    assert password_grant(cdse, username="u", password="p", totp=previous).status_code == 200
    assert password_grant(cdse, username="v", password="q").status_code == 200  # no 2FA


def test_totp_follows_rfc_6238():
    # RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (the last 6 digits)
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp_code(secret, 59) == "287082"
    assert totp_code(secret, 1111111109) == "081804"


def test_discovery_and_certs(cdse):
    document = requests.get(cdse.openid_configuration_url).json()
    assert document["token_endpoint"] == cdse.token_url
    assert document["issuer"] + "/" == cdse.identity_url
    assert requests.get(document["jwks_uri"]).json() == {"keys": []}
    assert requests.get(cdse.identity_url + "protocol/openid-connect/userinfo").status_code == 404


def test_identity_requests_are_logged_with_the_user(cdse):
    password_grant(cdse)
    password_grant(cdse, password="wrong")
    good, bad = cdse.request_log
    assert (good.server, good.method, good.status, good.user) == (
        "identity",
        "POST",
        200,
        cdse.user,
    )
    assert good.form["grant_type"] == "password" and good.form["client_id"] == "cdse-public"
    assert (bad.status, bad.user) == (401, None)
