"""Authentication on CDSE: one session per client, tokens renewed before they expire (also in
the middle of a batch), credentials only to the identity server and tokens only to the
catalogue and download hosts, wrong passwords, two-factor accounts, ``~/.netrc``."""

from __future__ import annotations

import time

import pytest

from sentinelsat import SentinelAPI
from sentinelsat.backends.cdse import CDSEBackend
from sentinelsat.exceptions import UnauthorizedError

from .conftest import SPAN, by_server, client
from .test_downloads import assert_downloaded

SECRET = "JBSWY3DPEHPK3PXP"


def assert_credentials_and_tokens_in_their_place(cdse, password):
    """The request log: grants (with the password) only to the identity server, which never
    sees a token; no Basic authentication anywhere; the password in no other request."""
    assert cdse.request_log
    for record in cdse.request_log:
        if record.server == "identity":
            assert record.authorization is None
        else:
            assert record.authorization in (None, "Bearer")
            assert password not in str(record.query) and password not in str(record.form)
    grants = by_server(cdse, "identity")
    assert grants and all(r.form.get("client_id") == "cdse-public" for r in grants)


def test_one_session_for_searches_and_a_batch(cdse, api, tmp_path):
    products = api.query(platformname="Sentinel-2")
    downloaded, _, failed = api.download_all(list(products)[:6], str(tmp_path))
    assert len(downloaded) == 6 and not failed
    assert cdse.sessions_issued == 1 and cdse.tokens_refreshed == 0
    assert len(by_server(cdse, "identity")) == 1
    assert all(r.authorization == "Bearer" for r in by_server(cdse, "download"))
    assert_credentials_and_tokens_in_their_place(cdse, cdse.password)


def test_token_expires_in_the_middle_of_a_batch(make_local_cdse, monkeypatch, tmp_path):
    # each download takes about a second; an access token lives two
    cdse = make_local_cdse(
        products=24, seed=3, date_span=SPAN, product_size=6000, access_token_lifetime=2,
        bandwidth=6_000,
    )  # fmt: skip
    api = client(cdse, monkeypatch)
    ids = [entry.id for entry in cdse.entries[:10]]
    started = time.monotonic()
    downloaded, _, failed = api.download_all(ids, str(tmp_path))
    assert time.monotonic() - started > 2.5  # the batch outlived its first token
    assert set(downloaded) == set(ids) and not failed
    assert_downloaded(cdse, downloaded)
    assert cdse.sessions_issued == 1  # renewed with the refresh token, never a new login
    assert cdse.tokens_refreshed >= 1
    downloads = sorted(r.time for r in by_server(cdse, "download"))
    refreshes = [
        r.time for r in by_server(cdse, "identity") if r.form["grant_type"] == "refresh_token"
    ]
    assert any(downloads[0] < moment < downloads[-1] for moment in refreshes)  # mid-batch
    assert_credentials_and_tokens_in_their_place(cdse, cdse.password)


def test_new_login_only_once_the_refresh_token_expired(make_local_cdse, monkeypatch):
    cdse = make_local_cdse(products=5, access_token_lifetime=0.4, refresh_token_lifetime=1.5)
    api = client(cdse, monkeypatch)
    api.query()
    time.sleep(0.5)  # the access token expired, the refresh token lives
    api.query()
    assert (cdse.sessions_issued, cdse.tokens_refreshed) == (1, 1)
    time.sleep(1.6)  # both expired: a new login
    api.query()
    assert (cdse.sessions_issued, cdse.tokens_refreshed) == (2, 1)


def test_a_revoked_token_is_renewed_transparently(cdse, api, tmp_path):
    product_id = next(iter(api.query(platformname="Sentinel-1")))
    cdse.expire_tokens("access")  # the client still believes its token valid
    cdse.clear_log()
    assert api.download(product_id, str(tmp_path))["path"].endswith(".zip")
    statuses = [r.status for r in by_server(cdse, "download")]
    assert statuses == [401, 200]
    assert cdse.tokens_refreshed == 1 and cdse.sessions_issued == 1
    cdse.expire_tokens("all")  # now the refresh token too: a new login
    api.download(cdse.entries[5].id, str(tmp_path))
    assert cdse.sessions_issued == 2


def test_threads_share_one_login(cdse, api):
    api.query_concurrency = 8
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        infos = list(pool.map(api.get_product_odata, [e.id for e in cdse.entries[:16]]))
    assert len(infos) == 16 and cdse.sessions_issued == 1


def test_wrong_password(cdse, monkeypatch, tmp_path):
    api = client(cdse, monkeypatch, password="wrong")
    with pytest.raises(UnauthorizedError) as error:
        api.query(platformname="Sentinel-2")
    assert error.value.msg == "Invalid user credentials"  # the server's words
    assert "Check the username and password" in error.value.hint
    assert error.value.response.status_code == 401 and "wrong" not in str(error.value)
    # a batch fails cleanly, without trying the password again for each product
    with pytest.raises(UnauthorizedError):
        api.download_all([e.id for e in cdse.entries[:5]], str(tmp_path))
    assert len(by_server(cdse, "identity")) == 1
    assert not list(tmp_path.iterdir())


def test_two_factor_authentication(make_local_cdse, monkeypatch):
    cdse = make_local_cdse(products=5, totp_secrets={"user": SECRET})
    without = client(cdse, monkeypatch)
    with pytest.raises(UnauthorizedError, match="one-time password"):
        without.query()
    backend = CDSEBackend(
        cdse.url, token_url=cdse.token_url, download_url=cdse.download_url, totp=cdse.totp
    )
    api = SentinelAPI(cdse.user, cdse.password, cdse.url, False, backend=backend)
    assert len(api.query()) == 5
    [grant] = [r for r in by_server(cdse, "identity") if r.status == 200]
    assert grant.form["totp"].isdigit() and len(grant.form["totp"]) == 6


def test_credentials_from_netrc_of_the_identity_host(cdse, monkeypatch, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1\nlogin {cdse.user}\npassword {cdse.password}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    api = client(cdse, monkeypatch, user=None, password=None)
    product_id = next(iter(api.query(platformname="Sentinel-1")))
    api.download(product_id, str(tmp_path))
    grant = by_server(cdse, "identity")[0]
    assert grant.form["username"] == cdse.user
    # the entry also matches the catalogue and download hosts (same address): never sent there
    assert_credentials_and_tokens_in_their_place(cdse, cdse.password)


def test_without_credentials_the_catalogue_still_answers(cdse, monkeypatch, tmp_path):
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))
    api = client(cdse, monkeypatch, user=None, password=None)
    products = api.query(platformname="Sentinel-2")
    assert products and by_server(cdse, "identity") == []
    assert all(r.authorization is None for r in cdse.request_log)
    with pytest.raises(UnauthorizedError) as error:
        api.download(next(iter(products)), str(tmp_path))
    assert error.value.msg == "Token not found" and "need an account" in error.value.hint


def test_an_unknown_identity_server_is_a_clear_error(cdse):
    with pytest.raises(ValueError, match="CDSE_TOKEN_URL"):
        SentinelAPI("user", "password", cdse.url)


def test_the_real_service_endpoints_are_the_defaults(monkeypatch):
    monkeypatch.setenv("CDSE_TOKEN_URL", "http://127.0.0.1:1/token")  # never for the real one
    api = SentinelAPI("user", "password", "https://catalogue.dataspace.copernicus.eu/odata/v1/")
    backend = api.backend
    assert backend.name == "cdse"
    assert backend.token_url.startswith("https://identity.dataspace.copernicus.eu/auth/realms/CDSE")
    assert backend.download_base == "https://download.dataspace.copernicus.eu/odata/v1/"
    assert api.session.auth.applies_to("https://download.dataspace.copernicus.eu/odata/v1/x")
    assert not api.session.auth.applies_to(backend.token_url)
    assert SentinelAPI("u", "p", "https://scihub.copernicus.eu/dhus/").backend.name == "dhus"
