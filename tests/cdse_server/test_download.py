"""The download host: tokens, the redirect from the catalogue, ranges, the concurrency limit,
the Nodes API and the fault knobs."""

from __future__ import annotations

import hashlib
import http.client
import io
import threading
import time
import zipfile
from collections import Counter

import pytest
import requests
from blake3 import blake3
from kit import wait_until

from sentinelsat.testing.catalogue import CatalogueSpec, build_catalogue
from sentinelsat.testing.content import Content

from .conftest import SPAN, access_token, bearer


class BytesContent(Content):
    """The content of a product made of bytes built by a test (a zip)."""

    def __init__(self, data: bytes):
        self.data = data
        self.size = len(data)

    def cache_key(self) -> tuple:
        return ("test-bytes", hashlib.sha256(self.data).hexdigest())

    def iter_bytes(self, start: int = 0, end: int | None = None):
        start, end = self._bounds(start, end)
        for position in range(start, end, 1000):
            yield memoryview(self.data)[position : min(position + 1000, end)]


def value_url(cdse, entry) -> str:
    return f"{cdse.download_url}Products({entry.id})/$value"


def true_bytes(entry) -> bytes:
    return b"".join(bytes(chunk) for chunk in entry.product.content.iter_bytes())


@pytest.fixture
def token(cdse) -> str:
    return access_token(cdse)


# --------------------------------------------------------------------------- tokens
def test_download_with_a_bearer_token(cdse, token):
    entry = cdse.entries[1]
    reply = requests.get(value_url(cdse, entry), headers=bearer(token))
    assert reply.status_code == 200 and reply.content == true_bytes(entry)
    assert reply.headers["Content-Length"] == str(entry.product.size)
    assert reply.headers["Content-Type"] == "application/zip"
    assert reply.headers["Content-Disposition"] == f'attachment; filename="{entry.name}.zip"'
    assert reply.headers["Accept-Ranges"] == "bytes"
    checksums = {c["Algorithm"]: c["Value"] for c in
                 requests.get(f"{cdse.url}Products({entry.id})").json()["Checksum"]}  # fmt: skip
    assert checksums == {"MD5": hashlib.md5(reply.content).hexdigest(),
                         "BLAKE3": blake3(reply.content).hexdigest()}  # fmt: skip
    logged = cdse.request_log[-2]
    assert (logged.server, logged.user, logged.authorization, logged.bytes_sent) == (
        "download", cdse.user, "Bearer", entry.product.size
    )  # fmt: skip


def test_download_with_the_token_in_the_query(cdse, token):
    entry = cdse.entries[1]
    reply = requests.get(value_url(cdse, entry), params={"token": token})
    assert reply.status_code == 200 and reply.content == true_bytes(entry)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"},
                                     {"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}])  # fmt: skip
def test_no_valid_token_is_a_401(cdse, headers):
    reply = requests.get(value_url(cdse, cdse.entries[0]), headers=headers)
    assert reply.status_code == 401
    assert reply.json() == {"code": "DAT-ZIP-604", "message": "Token not found"}
    assert requests.head(value_url(cdse, cdse.entries[0]), headers=headers).status_code == 401


def test_requests_loses_the_header_on_the_redirect_from_the_catalogue(cdse, token):
    entry = cdse.entries[2]
    reply = requests.get(f"{cdse.url}Products({entry.id})/$value", headers=bearer(token))
    assert [r.status_code for r in reply.history] == [301]
    assert reply.status_code == 401 and reply.url == value_url(cdse, entry)
    redirect, refused = cdse.request_log[-2:]
    assert (redirect.server, redirect.authorization) == ("catalogue", "Bearer")
    assert (refused.server, refused.authorization, refused.status) == ("download", None, 401)
    # the query-string token survives the redirect
    reply = requests.get(f"{cdse.url}Products({entry.id})/$value", params={"token": token})
    assert reply.status_code == 200 and reply.content == true_bytes(entry)


def test_unknown_or_malformed_products(cdse, token):
    reply = requests.get(f"{cdse.download_url}Products(00000000-0000-4000-8000-000000000000)/$value",
                         headers=bearer(token))  # fmt: skip
    assert reply.status_code == 404
    reply = requests.get(f"{cdse.download_url}Products(not-an-id)/$value", headers=bearer(token))
    assert (reply.status_code, reply.json()["code"]) == (422, "DAT-ZIP-111")
    assert requests.get(cdse.download_url + "Products", headers=bearer(token)).status_code == 404


# --------------------------------------------------------------------------- ranges, HEAD
def test_range_requests(cdse, token):
    entry = cdse.entries[3]
    data, size = true_bytes(entry), entry.product.size
    reply = requests.get(value_url(cdse, entry), headers={**bearer(token), "Range": "bytes=100-"})
    assert reply.status_code == 206 and reply.content == data[100:]
    assert reply.headers["Content-Range"] == f"bytes 100-{size - 1}/{size}"
    assert reply.headers["Content-Length"] == str(size - 100)
    reply = requests.get(value_url(cdse, entry), headers={**bearer(token), "Range": "bytes=-10"})
    assert reply.status_code == 206 and reply.content == data[-10:]
    reply = requests.get(
        value_url(cdse, entry), headers={**bearer(token), "Range": f"bytes={size}-"}
    )
    assert reply.status_code == 416 and reply.headers["Content-Range"] == f"bytes */{size}"
    assert cdse.regulator.active(cdse.user) == 0  # a 416 holds no download slot


def test_range_knobs(cdse, token):
    entry = cdse.entries[3]
    cdse.faults.content_range = False
    cdse.faults.accept_ranges = False
    reply = requests.get(value_url(cdse, entry), headers={**bearer(token), "Range": "bytes=5-9"})
    assert reply.status_code == 206 and reply.content == true_bytes(entry)[5:10]
    assert "Content-Range" not in reply.headers and "Accept-Ranges" not in reply.headers
    cdse.faults.ignore_range = True
    reply = requests.get(value_url(cdse, entry), headers={**bearer(token), "Range": "bytes=5-9"})
    assert reply.status_code == 200 and reply.content == true_bytes(entry)


def test_head(cdse, token):
    entry = cdse.entries[4]
    reply = requests.head(value_url(cdse, entry), headers=bearer(token))
    assert reply.status_code == 200 and reply.content == b""
    assert reply.headers["Content-Length"] == str(entry.product.size)
    assert cdse.request_log[-1].bytes_sent == 0


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [("none", None), ("stem", "{stem}.zip"), ("name", "{name}.zip")],
)
def test_content_disposition_knob(cdse, token, disposition, expected):
    entry = cdse.entries[0]
    cdse.faults.disposition = disposition
    cdse.faults.download_content_type = "application/octet-stream"
    headers = requests.head(value_url(cdse, entry), headers=bearer(token)).headers
    assert headers["Content-Type"] == "application/octet-stream"
    if expected is None:
        assert "Content-Disposition" not in headers
    else:
        filename = expected.format(stem=entry.stem, name=entry.name)
        assert headers["Content-Disposition"] == f'attachment; filename="{filename}"'
        assert not entry.stem.endswith((".SAFE", ".SEN3", ".nc"))


def test_offline_products(cdse, token):
    entry = cdse.entries[5]
    cdse.set_online(entry.id, False)
    reply = requests.get(value_url(cdse, entry), headers=bearer(token))
    assert reply.status_code == 404 and "offline" in reply.json()["message"]
    cdse.faults.offline_status = 403
    assert requests.head(value_url(cdse, entry), headers=bearer(token)).status_code == 403


# --------------------------------------------------------------------------- concurrency
def test_five_concurrent_downloads_get_one_429(make_local_cdse):
    cdse = make_local_cdse(products=5, date_span=SPAN, product_size=200_000, bandwidth=400_000)
    token = access_token(cdse)
    statuses: list[int] = []
    bodies: list[dict] = []

    def download(entry) -> None:
        reply = requests.get(value_url(cdse, entry), headers=bearer(token))
        statuses.append(reply.status_code)
        if reply.status_code == 429:
            bodies.append(reply.json())

    threads = [threading.Thread(target=download, args=(entry,)) for entry in cdse.entries]
    for thread in threads:
        thread.start()
        time.sleep(0.05)  # each GET is in progress before the next one starts
    for thread in threads:
        thread.join()
    assert Counter(statuses) == {200: 4, 429: 1}
    (body,) = bodies
    assert list(body) == ["trace-id", "code", "message"] and len(body["trace-id"]) == 32
    assert (body["code"], body["message"]) == ("DAT-ZIP-100", "Max session number 4 exceeded")
    assert cdse.peak_concurrent_downloads == {cdse.user: 4}
    assert cdse.active_downloads() == 0


def test_the_limit_is_per_user_and_a_knob(make_local_cdse):
    cdse = make_local_cdse(products=3, users={"a": "1", "b": "2"}, product_size=100_000,
                           bandwidth=500_000, max_concurrent_downloads=1)  # fmt: skip
    tokens = {}
    for user, password in cdse.users.items():
        form = {
            "grant_type": "password",
            "username": user,
            "password": password,
            "client_id": "cdse-public",
        }
        tokens[user] = requests.post(cdse.token_url, data=form).json()["access_token"]
    results: dict[str, int] = {}
    first = threading.Thread(target=lambda: results.update(
        a1=requests.get(value_url(cdse, cdse.entries[0]), headers=bearer(tokens["a"])).status_code))  # fmt: skip
    first.start()
    time.sleep(0.05)
    results["a2"] = requests.get(
        value_url(cdse, cdse.entries[1]), headers=bearer(tokens["a"])
    ).status_code
    results["b1"] = requests.get(
        value_url(cdse, cdse.entries[1]), headers=bearer(tokens["b"])
    ).status_code
    first.join()
    assert results == {"a1": 200, "a2": 429, "b1": 200}
    assert cdse.peak_concurrent_downloads == {"a": 1, "b": 1}


# --------------------------------------------------------------------------- faults
def raw_get(cdse, entry, token) -> tuple[int, bytes, bool]:
    connection = http.client.HTTPConnection("127.0.0.1", cdse.ports["download"], timeout=10)
    try:
        connection.request("GET", f"/odata/v1/Products({entry.id})/$value", headers=bearer(token))
        response = connection.getresponse()
        try:
            return response.status, response.read(), True
        except http.client.IncompleteRead as error:
            return response.status, error.partial, False
    finally:
        connection.close()


def test_drop_after_cuts_the_body(cdse, token):
    entry = cdse.entries[0]
    cdse.faults.drop_after = 1000
    status, received, complete = raw_get(cdse, entry, token)
    assert (status, complete, received) == (200, False, true_bytes(entry)[:1000])
    logged = cdse.request_log[-1]
    assert logged.dropped and logged.bytes_sent == 1000
    assert cdse.active_downloads() == 0


def test_corrupt_flips_a_byte_and_keeps_the_true_checksum(cdse, token):
    bad, good = cdse.entries[0], cdse.entries[1]
    cdse.faults.corrupt = [bad.name]
    served = requests.get(value_url(cdse, bad), headers=bearer(token)).content
    true = true_bytes(bad)
    assert len(served) == len(true) and sum(a != b for a, b in zip(served, true)) == 1
    md5 = requests.get(f"{cdse.url}Products({bad.id})").json()["Checksum"][0]["Value"]
    assert md5 == hashlib.md5(true).hexdigest() != hashlib.md5(served).hexdigest()
    assert requests.get(value_url(cdse, good), headers=bearer(token)).content == true_bytes(good)
    cdse.faults.corrupt = True
    assert requests.get(value_url(cdse, good), headers=bearer(token)).content != true_bytes(good)


def test_bandwidth_paces_the_body(make_local_cdse):
    cdse = make_local_cdse(products=1, product_size=60_000, bandwidth=200_000)
    token = access_token(cdse)
    started = time.monotonic()
    assert requests.get(value_url(cdse, cdse.entries[0]), headers=bearer(token)).status_code == 200
    assert time.monotonic() - started >= 0.25


def test_latency_and_maintenance_apply_to_every_server(cdse):
    cdse.faults.latency = 0.2
    started = time.monotonic()
    requests.get(cdse.url + "Products", params={"$top": 1})
    assert time.monotonic() - started >= 0.2
    cdse.faults.latency = 0
    cdse.faults.maintenance = True
    for url in (
        cdse.url + "Products",
        cdse.openid_configuration_url,
        value_url(cdse, cdse.entries[0]),
    ):
        reply = requests.get(url)
        assert reply.status_code == 503 and "503 Service Temporarily Unavailable" in reply.text


def test_error_rate_is_seeded_and_only_on_the_chosen_servers(make_local_cdse):
    def statuses(cdse) -> list[int]:
        return [
            requests.get(cdse.url + "Products", params={"$top": 1}).status_code for _ in range(30)
        ]

    first = make_local_cdse(products=5, seed=3, error_rate=0.5)
    second = make_local_cdse(products=5, seed=3, error_rate=0.5)
    seen = statuses(first)
    assert seen == statuses(second)
    assert set(seen) == {200, 500, 502, 503}
    assert all(requests.get(first.openid_configuration_url).status_code == 200 for _ in range(10))
    first.faults.error_servers = ("identity",)
    assert all(requests.get(first.url + "Products").status_code == 200 for _ in range(10))


def test_choice_knobs_are_checked():
    from sentinelsat.testing import CDSEFaults, LocalCDSE
    from sentinelsat.testing.cdse import knob_help

    with pytest.raises(ValueError, match="disposition"):
        LocalCDSE(products=1, disposition="filename")
    with pytest.raises(TypeError):
        LocalCDSE(products=1, no_such_knob=1)
    help_texts = knob_help()
    assert list(help_texts)[:3] == ["latency", "bandwidth", "error_rate"]
    assert all(help_texts.values()) and len(help_texts) == len(CDSEFaults.__dataclass_fields__)


# --------------------------------------------------------------------------- nodes
def zip_product(stored: bool = True):
    """A product whose content is a zip of a SAFE folder (stored or deflated members)."""
    (product,) = build_catalogue(CatalogueSpec(1, 9, 1000, SPAN, 0.0))
    buffer = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    files = {"manifest.safe": b"<manifest/>" * 50, "measurement/s1a-iw-grd-vv.tiff": bytes(range(256)) * 40,
             "annotation/s1a-iw-grd-vv.xml": b"<annotation/>", "preview/quick-look.png": b"\x89PNG" * 10}  # fmt: skip
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr(product.filename + "/", b"")
        for name, data in files.items():
            archive.writestr(f"{product.filename}/{name}", data)
    product.content = BytesContent(buffer.getvalue())
    product.size = product.content.size
    return product, files


@pytest.mark.parametrize("stored", [True, False])
def test_nodes_listing_and_values(make_local_cdse, stored):
    product, files = zip_product(stored)
    cdse = make_local_cdse([product])
    token = access_token(cdse)
    base = f"{cdse.download_url}Products({product.id})"
    root = requests.get(base + "/Nodes").json()
    assert root == {"result": [{"Id": product.filename, "Name": product.filename, "ContentLength": 0,
                                "ChildrenNumber": 4,
                                "Nodes": {"uri": f"{base}/Nodes({product.filename})/Nodes"}}]}  # fmt: skip
    children = requests.get(root["result"][0]["Nodes"]["uri"]).json()["result"]
    by_name = {child["Name"]: child for child in children}
    assert set(by_name) == {"manifest.safe", "measurement", "annotation", "preview"}
    assert by_name["manifest.safe"]["ContentLength"] == len(files["manifest.safe"])
    assert by_name["manifest.safe"]["ChildrenNumber"] == 0
    assert (
        by_name["measurement"]["ChildrenNumber"] == 1
        and by_name["measurement"]["ContentLength"] == 0
    )
    (tiff,) = requests.get(by_name["measurement"]["Nodes"]["uri"]).json()["result"]
    assert (
        tiff["Nodes"]["uri"]
        == f"{base}/Nodes({product.filename})/Nodes(measurement)/Nodes(s1a-iw-grd-vv.tiff)/Nodes"
    )
    assert requests.get(tiff["Nodes"]["uri"]).json() == {"result": []}  # a file has no children
    value = tiff["Nodes"]["uri"].removesuffix("/Nodes") + "/$value"
    data = files["measurement/s1a-iw-grd-vv.tiff"]
    assert requests.get(value).status_code == 401
    reply = requests.get(value, headers=bearer(token))
    assert reply.status_code == 200 and reply.content == data
    assert reply.headers["Content-Length"] == str(len(data))
    ranged = requests.get(value, headers={**bearer(token), "Range": "bytes=1000-2999"})
    assert ranged.status_code == 206 and ranged.content == data[1000:3000]
    missing = f"{base}/Nodes({product.filename})/Nodes(nothing.xml)/$value"
    assert requests.get(missing, headers=bearer(token)).status_code == 404
    folder = f"{base}/Nodes({product.filename})/Nodes(measurement)/$value"
    assert requests.get(folder, headers=bearer(token)).status_code == 404


def test_a_content_that_is_not_a_zip_has_only_the_root_node(cdse):
    # Sentinel-5P products are single netCDF files, not zips
    entry = next(e for e in cdse.entries if e.product.content.archive_files() is None)
    base = f"{cdse.download_url}Products({entry.id})"
    (root,) = requests.get(base + "/Nodes").json()["result"]
    assert (root["Name"], root["ChildrenNumber"]) == (entry.name, 0)
    assert requests.get(root["Nodes"]["uri"]).json() == {"result": []}
    assert requests.get(base + "/Nodes(other.SAFE)/Nodes").status_code == 404


def test_every_knob_is_documented():
    from pathlib import Path

    from sentinelsat.testing.cdse import knob_help

    page = (Path(__file__).resolve().parents[2] / "docs" / "cdse_hub.rst").read_text()
    table = page.split("\nKnobs\n-----\n", 1)[1].split("\nPytest fixtures\n", 1)[0]
    documented = [line.split("``")[1] for line in table.splitlines() if line.startswith("``")]
    assert documented == list(knob_help())


def test_stop_ends_downloads_in_progress_and_every_thread():
    from sentinelsat.testing import LocalCDSE

    cdse = LocalCDSE(products=1, product_size=500_000, bandwidth=20_000).start()
    token = access_token(cdse)
    outcome: list[object] = []

    def download() -> None:
        try:
            outcome.append(
                requests.get(value_url(cdse, cdse.entries[0]), headers=bearer(token)).content
            )
        except requests.RequestException as error:
            outcome.append(error)

    client = threading.Thread(target=download)
    client.start()
    assert wait_until(lambda: cdse.active_downloads() == 1)
    started = time.monotonic()
    cdse.stop()
    client.join(10)
    assert time.monotonic() - started < 5 and not client.is_alive()
    assert len(outcome) == 1  # the client got an answer or an error, it does not hang
    assert not [
        t
        for t in threading.enumerate()
        if t.name.startswith(
            (
                "sentinelsat-cdse",
                "sentinelsat-catalogue",
                "sentinelsat-identity",
                "sentinelsat-download",
            )
        )
    ]
    assert not cdse.running
