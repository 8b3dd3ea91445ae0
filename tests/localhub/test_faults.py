"""Long term archive, server limits, fault knobs, the request log and shutdown."""

from __future__ import annotations

import base64
import hashlib
import http.client
import socket
import threading
import time

import pytest
import requests
from kit import wait_until

from sentinelsat.testing import LocalHub

from .helpers import odata_url, search


def raw_get(hub: LocalHub, path: str, headers: dict | None = None) -> tuple[int, dict, bytes, bool]:
    """GET with http.client: returns status, headers, the bytes received and whether all came."""
    token = base64.b64encode(f"{hub.user}:{hub.password}".encode()).decode()
    connection = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=10)
    try:
        connection.request(
            "GET", path, headers={"Authorization": f"Basic {token}", **(headers or {})}
        )
        response = connection.getresponse()
        try:
            return response.status, dict(response.getheaders()), response.read(), True
        except http.client.IncompleteRead as error:
            return response.status, dict(response.getheaders()), error.partial, False
    finally:
        connection.close()


def value_path(product_id: str) -> str:
    return f"/odata/v1/Products('{product_id}')/$value"


@pytest.fixture
def auth(local_hub):
    return local_hub.user, local_hub.password


# --------------------------------------------------------------------------- long term archive
def test_offline_product_is_retrieved_after_a_delay(make_local_hub):
    hub = make_local_hub(products=4, offline_share=1.0, lta_delay=0.3, lta_quota=1)
    first, second = hub.products[0], hub.products[1]
    auth = (hub.user, hub.password)
    response = requests.get(odata_url(hub, first.id, "/$value"), auth=auth)
    assert response.status_code == 202 and response.content == b""
    assert requests.get(odata_url(hub, first.id, "/$value"), auth=auth).status_code == 202
    refused = requests.get(odata_url(hub, second.id, "/$value"), auth=auth)
    assert refused.status_code == 403
    assert refused.headers["cause-message"].startswith("RetrievalQuotaException : ")
    assert (
        "offline products retrieval quota exceeded (1 fetches max)"
        in refused.headers["cause-message"]
    )
    head = requests.head(odata_url(hub, second.id, "/$value"), auth=auth)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(second.size)
    assert requests.get(odata_url(hub, first.id, "/Online/$value"), auth=auth).text == "false"
    assert wait_until(
        lambda: requests.get(odata_url(hub, first.id, "/Online/$value"), auth=auth).text == "true"
    )
    assert first.online
    download = requests.get(odata_url(hub, first.id, "/$value"), auth=auth)
    assert download.status_code == 200
    checksum = requests.get(odata_url(hub, first.id, "?$format=json"), auth=auth).json()["d"][
        "Checksum"
    ]["Value"]
    assert hashlib.md5(download.content).hexdigest() == checksum
    assert requests.get(odata_url(hub, second.id, "/$value"), auth=auth).status_code == 202


def test_quota_is_per_user(make_local_hub):
    hub = make_local_hub(
        products=3, offline_share=1.0, lta_delay=30, lta_quota=1, users={"a": "1", "b": "2"}
    )
    assert (
        requests.get(odata_url(hub, hub.products[0].id, "/$value"), auth=("a", "1")).status_code
        == 202
    )
    assert (
        requests.get(odata_url(hub, hub.products[1].id, "/$value"), auth=("a", "1")).status_code
        == 403
    )
    assert (
        requests.get(odata_url(hub, hub.products[1].id, "/$value"), auth=("b", "2")).status_code
        == 202
    )


def test_set_online(make_local_hub):
    hub = make_local_hub(products=2, offline_share=1.0, lta_delay=30)
    product = hub.products[0]
    auth = (hub.user, hub.password)
    assert requests.get(odata_url(hub, product.id, "/$value"), auth=auth).status_code == 202
    hub.set_online(product.id, True)
    assert requests.get(odata_url(hub, product.id, "/$value"), auth=auth).status_code == 200
    hub.set_online(product.identifier, False)
    assert requests.get(odata_url(hub, product.id, "/$value"), auth=auth).status_code == 202


# --------------------------------------------------------------------------- concurrent downloads
def test_concurrent_downloads_limit(make_local_hub):
    hub = make_local_hub(
        products=2, product_size=4 * 1024 * 1024, bandwidth=256 * 1024, max_concurrent_downloads=1
    )
    auth = (hub.user, hub.password)
    product = hub.products[0]
    slow = requests.get(odata_url(hub, product.id, "/$value"), auth=auth, stream=True)
    assert slow.status_code == 200
    refused = requests.get(odata_url(hub, hub.products[1].id, "/$value"), auth=auth)
    assert refused.status_code == 403
    assert refused.headers["cause-message"] == (
        "MediaRegulationException : An exception occured while creating a stream: "
        'Maximum number of 1 concurrent flows achieved by the user "user"'
    )
    assert requests.head(odata_url(hub, product.id, "/$value"), auth=auth).status_code == 200
    slow.close()
    assert wait_until(lambda: hub.regulator.active("user") == 0)
    again = requests.get(
        odata_url(hub, hub.products[1].id, "/$value"), auth=auth, headers={"Range": "bytes=0-99"}
    )
    assert again.status_code == 206 and len(again.content) == 100


# --------------------------------------------------------------------------- faults
def test_error_rate_is_reproducible(make_local_hub):
    def statuses(hub: LocalHub) -> list[int]:
        with requests.Session() as http:
            http.auth = (hub.user, hub.password)
            return [http.get(hub.url + "search?q=*&rows=1").status_code for _ in range(30)]

    first = statuses(make_local_hub(products=2, seed=3, error_rate=0.5))
    second = statuses(make_local_hub(products=2, seed=3, error_rate=0.5))
    assert first == second
    assert set(first) == {200, 500}


def test_error_rate_page(local_hub, auth):
    local_hub.faults.error_rate = 1.0
    response = requests.get(
        odata_url(local_hub, local_hub.products[0].id, "?$format=json"), auth=auth
    )
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/html;charset=utf-8"
    assert "HTTP Status 500" in response.text
    local_hub.faults.error_rate = 0.0
    assert (
        requests.get(
            odata_url(local_hub, local_hub.products[0].id, "?$format=json"), auth=auth
        ).status_code
        == 200
    )


def test_drop_after_and_resume(make_local_hub):
    hub = make_local_hub(products=1, product_size=10_000, drop_after=3000)
    product = hub.products[0]
    status, headers, data, complete = raw_get(hub, value_path(product.id))
    assert (status, len(data), complete) == (200, 3000, False)
    assert headers["Content-Length"] == "10000"
    received = data
    while len(received) < product.size:
        status, headers, data, complete = raw_get(
            hub, value_path(product.id), {"Range": f"bytes={len(received)}-"}
        )
        assert status == 206
        assert len(data) == min(3000, product.size - len(received))
        received += data
    assert complete
    assert hashlib.md5(received).hexdigest() == product.md5
    log = [entry for entry in hub.request_log if entry.path.endswith("$value")]
    assert [entry.bytes_sent for entry in log] == [3000, 3000, 3000, 1000]
    assert [entry.dropped for entry in log] == [True, True, True, False]


def test_drop_after_can_be_set_while_running(local_hub):
    product = local_hub.products[0]
    local_hub.faults.drop_after = 10
    assert raw_get(local_hub, value_path(product.id))[2:] == (
        b"".join(local_hub.product_bytes(product.id, 0, 10)),
        False,
    )
    local_hub.faults.drop_after = None
    assert raw_get(local_hub, value_path(product.id))[3] is True


def test_ignore_range(make_local_hub):
    hub = make_local_hub(products=1, ignore_range=True)
    product = hub.products[0]
    status, headers, data, _ = raw_get(hub, value_path(product.id), {"Range": "bytes=100-"})
    assert status == 200 and len(data) == product.size
    assert headers["Content-Range"] == f"bytes 0-{product.size - 1}/{product.size}"


def test_corrupt_flips_one_byte_consistently(make_local_hub):
    clean = make_local_hub(products=2, product_size=100_000, seed=9)
    broken = make_local_hub(products=2, product_size=100_000, seed=9, corrupt=True)
    product = broken.products[0]
    good = raw_get(clean, value_path(product.id))[2]
    bad = raw_get(broken, value_path(product.id))[2]
    differences = [index for index in range(len(good)) if good[index] != bad[index]]
    assert len(differences) == 1
    assert hashlib.md5(good).hexdigest() == broken.product(product.id).md5
    assert hashlib.md5(bad).hexdigest() != broken.product(product.id).md5
    head = raw_get(broken, value_path(product.id), {"Range": "bytes=0-49999"})[2]
    tail = raw_get(broken, value_path(product.id), {"Range": "bytes=50000-"})[2]
    assert head + tail == bad


def test_corrupt_only_listed_products(make_local_hub):
    hub = make_local_hub(products=3)
    hub.faults.corrupt = [hub.products[1].identifier]
    sums = [
        hashlib.md5(raw_get(hub, value_path(p.id))[2]).hexdigest() == p.md5 for p in hub.products
    ]
    assert sums == [True, False, True]


def test_maintenance(local_hub, auth):
    local_hub.faults.maintenance = True
    for url, credentials in (
        (local_hub.url + "search?q=*", auth),
        (odata_url(local_hub, "x", "?$format=json"), None),
    ):
        response = requests.get(url, auth=credentials)
        assert response.status_code == 503
        assert "The Sentinels Scientific Data Hub will be back soon!" in response.text
        assert response.headers["Content-Type"].startswith("text/html")
    local_hub.faults.maintenance = False
    assert requests.get(local_hub.url + "search?q=*", auth=auth).status_code == 200


def test_hostile_filename(make_local_hub):
    hub = make_local_hub(products=1, hostile_filename="../../evil.zip")
    response = requests.get(
        odata_url(hub, hub.products[0].id, "/$value"), auth=(hub.user, hub.password)
    )
    assert response.headers["Content-Disposition"] == 'inline;filename="../../evil.zip"'


def test_latency(make_local_hub):
    hub = make_local_hub(products=1, latency=0.2)
    started = time.monotonic()
    assert requests.get(hub.url + "search?q=*", auth=(hub.user, hub.password)).status_code == 200
    assert time.monotonic() - started >= 0.2


def test_bandwidth(make_local_hub):
    hub = make_local_hub(products=1, product_size=30_000, bandwidth=100_000)
    started = time.monotonic()
    response = requests.get(
        odata_url(hub, hub.products[0].id, "/$value"), auth=(hub.user, hub.password)
    )
    assert len(response.content) == 30_000
    assert time.monotonic() - started >= 0.3


# --------------------------------------------------------------------------- request log
def test_request_log(local_hub, session):
    product = local_hub.products[0]
    search(local_hub, session, "platformname:Sentinel-2", rows=5)
    session.get(odata_url(local_hub, product.id, "/$value"), headers={"Range": "bytes=10-"})
    first, second = local_hub.request_log
    assert (first.method, first.path, first.status, first.user) == ("POST", "/search", 200, "user")
    assert first.query == {"format": "json", "rows": "5", "start": "0"}
    assert first.form == {"q": "platformname:Sentinel-2"}
    assert first.bytes_sent > 0
    assert (second.method, second.path, second.status) == (
        "GET",
        f"/odata/v1/Products('{product.id}')/$value",
        206,
    )
    assert second.range == "bytes=10-"
    assert second.bytes_sent == product.size - 10
    assert first.time <= second.time
    local_hub.clear_log()
    assert local_hub.request_log == []


def test_request_log_is_thread_safe(local_hub, auth):
    def worker() -> None:
        with requests.Session() as http:
            http.auth = auth
            for _ in range(10):
                http.get(local_hub.url + "search?q=*&rows=1")

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(local_hub.request_log) == 50


# --------------------------------------------------------------------------- lifecycle
def test_stop_ends_connections_threads_and_socket():
    hub = LocalHub(products=2, product_size=8 * 1024 * 1024, bandwidth=64 * 1024)
    hub.start()
    port = hub.port
    idle = requests.Session()
    idle.auth = (hub.user, hub.password)
    assert idle.get(hub.url + "search?q=*").status_code == 200  # keeps a keep-alive connection open
    streaming = requests.get(
        odata_url(hub, hub.products[0].id, "/$value"), auth=idle.auth, stream=True
    )
    assert streaming.status_code == 200
    hub.stop()
    assert not hub.running
    assert not [t for t in threading.enumerate() if t.name.startswith("sentinelsat-hub")]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    streaming.close()
    idle.close()
    hub.stop()  # stopping twice is harmless


def test_restart_on_the_same_port():
    hub = LocalHub(products=1)
    with hub:
        url = hub.url
    with hub:
        assert hub.url == url
        assert requests.get(url + "search?q=*", auth=(hub.user, hub.password)).status_code == 200


def test_url_needs_a_running_hub():
    with pytest.raises(RuntimeError):
        _ = LocalHub(products=1).url
