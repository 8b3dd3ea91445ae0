"""Downloads from the local CDSE: the download host with the bearer token (found through the
catalogue's cross-port redirect when it is not given), the limit of concurrent downloads,
resuming, checksums (MD5, BLAKE3, none), corrupt data and offline products."""

from __future__ import annotations

import hashlib
import logging
import os

import pytest
import requests
from blake3 import blake3

from sentinelsat import SentinelAPI
from sentinelsat.backends.cdse import CDSEBackend
from sentinelsat.exceptions import InvalidChecksumError, LTAError, SentinelAPIError

from .conftest import SPAN, by_server, client


def digest(path, algorithm=hashlib.md5):
    with open(path, "rb") as f:
        return algorithm(f.read()).hexdigest()


def catalogue(make_local_cdse, **knobs):
    return make_local_cdse(products=30, seed=5, date_span=SPAN, product_size=(4000, 9000), **knobs)


def assert_downloaded(cdse, result):
    """Each file is complete, named ``<title>.zip``, with the product's bytes."""
    for product_id, info in result.items():
        product = cdse.product(product_id)
        assert os.path.basename(info["path"]) == product.identifier + ".zip"
        assert os.path.getsize(info["path"]) == product.size
        assert digest(info["path"]) == product.md5


def test_downloads_come_from_the_download_host(cdse, api, tmp_path):
    ids = [entry.id for entry in cdse.entries[:5]]
    downloaded, triggered, failed = api.download_all(ids, str(tmp_path))
    assert set(downloaded) == set(ids) and not triggered and not failed
    assert_downloaded(cdse, downloaded)
    values = [r for r in cdse.request_log if r.path.endswith("$value")]
    assert {r.server for r in values} == {"download"} and len(values) == 5
    assert not list(tmp_path.glob("*.incomplete"))


@pytest.mark.parametrize(
    "knobs",
    [{}, {"redirect_status": 302}, {"redirect_status": 307, "redirect_keeps_query": False}],
)
def test_download_host_found_through_the_cross_port_redirect(
    make_local_cdse, monkeypatch, tmp_path, knobs
):
    cdse = catalogue(make_local_cdse, **knobs)
    monkeypatch.setenv("CDSE_TOKEN_URL", cdse.token_url)  # and no CDSE_DOWNLOAD_URL
    api = SentinelAPI(cdse.user, cdse.password, cdse.url, show_progressbars=False)
    ids = [entry.id for entry in cdse.entries[:4]]
    downloaded, _, failed = api.download_all(ids, str(tmp_path))
    assert set(downloaded) == set(ids) and not failed
    assert_downloaded(cdse, downloaded)
    [redirect] = [r for r in by_server(cdse, "catalogue") if r.path.endswith("$value")]
    assert redirect.method == "HEAD" and redirect.status == knobs.get("redirect_status", 301)
    downloads = by_server(cdse, "download")
    assert len(downloads) == 4 and all(
        r.authorization == "Bearer" and r.status == 200 for r in downloads
    )
    assert api.get_product_odata(ids[0])["url"].startswith(cdse.download_url)


def test_following_the_redirect_loses_the_token_unless_it_belongs_there(cdse, api):
    """Why the download host is asked directly: requests drops the header on the redirect to
    another port; the client's session keeps it there only because the token belongs to it."""
    product_id = cdse.entries[0].id
    api.query(uuid=product_id)
    token = api.session.auth.tokens.token()
    url = f"{cdse.url}Products({product_id})/$value"
    lost = requests.get(url, headers={"Authorization": f"Bearer {token}"})
    assert lost.status_code == 401 and lost.history[0].status_code == 301
    assert lost.json()["code"] == "DAT-ZIP-604"
    kept = api.session.get(url)
    assert kept.status_code == 200 and kept.history[0].status_code == 301


def test_never_more_downloads_than_the_server_allows(make_local_cdse, monkeypatch, tmp_path):
    # the account's limit is 2 here; the client runs 4 at a time
    cdse = catalogue(make_local_cdse, max_concurrent_downloads=2, bandwidth=20_000)
    api = client(cdse, monkeypatch)
    ids = [entry.id for entry in cdse.entries[:8]]
    downloaded, _, failed = api.download_all(ids, str(tmp_path), n_concurrent_dl=4)
    assert set(downloaded) == set(ids) and not failed
    assert_downloaded(cdse, downloaded)
    statuses = [r.status for r in by_server(cdse, "download")]
    assert 429 in statuses  # refused: "Max session number 2 exceeded"; waited for a slot
    assert cdse.peak_concurrent_downloads[cdse.user] == 2


def test_four_at_a_time_by_default(make_local_cdse, monkeypatch, tmp_path):
    cdse = catalogue(make_local_cdse, bandwidth=20_000)
    api = client(cdse, monkeypatch)
    downloaded, _, _ = api.download_all([e.id for e in cdse.entries[:10]], str(tmp_path))
    assert len(downloaded) == 10
    assert cdse.peak_concurrent_downloads[cdse.user] == 4  # CDSE's limit, reached, never passed
    assert 429 not in [r.status for r in by_server(cdse, "download")]


def test_resume_after_a_cut(make_local_cdse, monkeypatch, tmp_path):
    cdse = catalogue(make_local_cdse, drop_after=1500)
    api = client(cdse, monkeypatch)
    product_id = cdse.entries[2].id
    info = api.download(product_id, str(tmp_path))
    assert_downloaded(cdse, {product_id: info})
    ranges = [r.range for r in by_server(cdse, "download")]
    assert ranges[0] is None and ranges[1:4] == ["bytes=1500-", "bytes=3000-", "bytes=4500-"]
    assert info["downloaded_bytes"] == cdse.product(product_id).size


def test_resume_without_content_range(make_local_cdse, monkeypatch, tmp_path):
    cdse = catalogue(make_local_cdse, drop_after=2000, content_range=False)
    api = client(cdse, monkeypatch)
    product_id = cdse.entries[3].id
    assert_downloaded(cdse, {product_id: api.download(product_id, str(tmp_path))})
    assert any(r.status == 206 for r in by_server(cdse, "download"))


def test_corrupt_data_is_not_kept(make_local_cdse, monkeypatch, tmp_path):
    cdse = catalogue(make_local_cdse)
    bad, good = cdse.entries[0], cdse.entries[1]
    cdse.faults.corrupt = [bad.id]
    api = client(cdse, monkeypatch)
    downloaded, _, failed = api.download_all([bad.id, good.id], str(tmp_path), max_attempts=2)
    assert set(downloaded) == {good.id} and set(failed) == {bad.id}
    assert sorted(os.listdir(tmp_path)) == [good.product.identifier + ".zip"]
    with pytest.raises(InvalidChecksumError):
        api.download(bad.id, str(tmp_path))


def test_blake3_only(make_local_cdse, monkeypatch, tmp_path):
    cdse = catalogue(make_local_cdse, checksums="blake3")
    api = client(cdse, monkeypatch)
    product = cdse.entries[4]
    info = api.get_product_odata(product.id)
    assert "md5" not in info and info["blake3"] == digest_of(cdse, product.id, blake3)
    result = api.download(product.id, str(tmp_path))
    assert digest(result["path"], blake3) == info["blake3"]
    cdse.faults.corrupt = True  # BLAKE3 is really checked
    with pytest.raises(InvalidChecksumError, match="BLAKE3"):
        api.download(cdse.entries[5].id, str(tmp_path))
    assert api.check_files(ids=[product.id], directory=str(tmp_path)) == {}


def digest_of(cdse, product_id, algorithm):
    content = cdse.product(product_id).content
    return algorithm(b"".join(bytes(chunk) for chunk in content.iter_bytes())).hexdigest()


def test_no_checksum_verifies_the_size(make_local_cdse, monkeypatch, tmp_path, caplog):
    cdse = catalogue(make_local_cdse, checksums="none")
    api = client(cdse, monkeypatch)
    product = cdse.entries[6]
    with caplog.at_level(logging.WARNING, logger="sentinelsat"):
        info = api.download(product.id, str(tmp_path))
    assert "has no checksum on the server: only its size is verified" in caplog.text
    assert_downloaded(cdse, {product.id: info})


def test_offline_products_fail_with_an_lta_error(cdse, api, tmp_path, caplog):
    offline, online = cdse.entries[7], cdse.entries[8]
    cdse.set_online(offline.id, False)
    with caplog.at_level(logging.ERROR, logger="sentinelsat"):
        downloaded, triggered, failed = api.download_all([offline.id, online.id], str(tmp_path))
    assert set(downloaded) == {online.id} and not triggered and set(failed) == {offline.id}
    error = failed[offline.id]["exception"]
    assert isinstance(error, LTAError) and "cannot retrieve offline products" in error.msg
    assert "cannot retrieve offline products through this API" in caplog.text
    with pytest.raises(LTAError) as error:
        api.download(offline.id, str(tmp_path))
    assert "Data Workspace" in error.value.hint
    assert not [r for r in by_server(cdse, "download") if offline.id in r.path]
    assert sorted(os.listdir(tmp_path)) == [online.product.identifier + ".zip"]


def test_unknown_product(cdse, api, tmp_path):
    with pytest.raises(SentinelAPIError) as error:
        api.download("00000000-0000-4000-8000-000000000000", str(tmp_path))
    assert isinstance(error.value, KeyError) and error.value.response.status_code == 404


def test_file_names_without_content_disposition(make_local_cdse, monkeypatch, tmp_path):
    cdse = catalogue(make_local_cdse, disposition="none")
    api = client(cdse, monkeypatch)
    product_id = cdse.entries[0].id
    assert_downloaded(cdse, {product_id: api.download(product_id, str(tmp_path))})


def test_a_downloaded_product_is_not_fetched_again(cdse, api, tmp_path):
    product_id = cdse.entries[9].id
    api.download(product_id, str(tmp_path))
    cdse.clear_log()
    again = api.download(product_id, str(tmp_path))
    assert again["downloaded_bytes"] == 0 and by_server(cdse, "download") == []


def test_quicklooks_through_the_assets(cdse, api):
    sentinel2 = next(e for e in cdse.entries if e.collection == "SENTINEL-2")
    url = api.backend.quicklook_url(api.get_product_odata(sentinel2.id))
    assert url == f"{cdse.url}Assets({sentinel2.asset_id})/$value"
    reply = api.session.get(url)
    assert reply.status_code == 200 and reply.content[:3] == b"\xff\xd8\xff"  # a JPEG
    result = api.query(uuid=sentinel2.id)[sentinel2.id]
    assert api.backend.quicklook_url(result) == url
    sentinel5p = next(e for e in cdse.entries if e.collection == "SENTINEL-5P")
    with pytest.raises(SentinelAPIError, match="no quicklook"):
        api.backend.quicklook_url(api.get_product_odata(sentinel5p.id))


def test_explicit_backend_for_another_host(cdse, monkeypatch, tmp_path):
    backend = CDSEBackend(cdse.url, token_url=cdse.token_url, download_url=cdse.download_url)
    api = SentinelAPI(cdse.user, cdse.password, cdse.url, show_progressbars=False, backend=backend)
    assert api.backend is backend
    assert api.download(cdse.entries[0].id, str(tmp_path))["path"].endswith(".zip")
    proxy = "http://127.0.0.1:9/catalogue/"  # a URL the backend is not guessed from
    assert SentinelAPI("u", "p", proxy).backend.name == "dhus"
    with pytest.raises(ValueError, match="CDSE_TOKEN_URL"):
        SentinelAPI("u", "p", proxy, backend="cdse")
    monkeypatch.setenv("CDSE_TOKEN_URL", cdse.token_url)
    assert SentinelAPI("u", "p", proxy, backend="cdse").backend.name == "cdse"


def test_a_session_of_the_caller(cdse, monkeypatch, tmp_path):
    monkeypatch.setenv("CDSE_TOKEN_URL", cdse.token_url)
    monkeypatch.setenv("CDSE_DOWNLOAD_URL", cdse.download_url)
    session = requests.Session()
    api = SentinelAPI(cdse.user, cdse.password, cdse.url, False, session=session)
    assert api.session is session and api.query(uuid=cdse.entries[0].id)


def test_the_token_is_not_sent_to_a_redirect_host_it_does_not_belong_to(
    make_local_cdse, monkeypatch, tmp_path
):
    # the catalogue is reached as "localhost", its redirect names 127.0.0.1: another host
    cdse = catalogue(make_local_cdse)
    monkeypatch.setenv("CDSE_TOKEN_URL", cdse.token_url)  # and no CDSE_DOWNLOAD_URL
    url = cdse.url.replace("127.0.0.1", "localhost")
    api = SentinelAPI(cdse.user, cdse.password, url, backend="cdse", show_progressbars=False)
    with pytest.raises(SentinelAPIError, match="the token is not sent there") as error:
        api.download(cdse.entries[0].id, str(tmp_path))
    assert "CDSE_DOWNLOAD_URL" in error.value.hint
    assert by_server(cdse, "download") == []  # not a single request, so no token, went there
