"""The download engine against the local hub: what recordings cannot show.

Interrupted and resumed downloads, a server that ignores ``Range``, corrupted data, hostile
file names, Ctrl-C during ``download_all``, the long term archive, the server's limit on
concurrent downloads, ``check_files`` and memory use on a large product. Every test asserts
the bytes on disk against the hub's true content and the transfers against its request log.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest
import requests
from kit import FastAPI, assert_true_files, hub_client, product_bytes, wait_until

import sentinelsat
from sentinelsat import InvalidChecksumError, SentinelAPI, SentinelAPIError, SentinelAPILTAError
from sentinelsat.exceptions import TransferError

pytestmark = [pytest.mark.hub, pytest.mark.timeout(120)]

REPO = pathlib.Path(sentinelsat.__file__).resolve().parent.parent


def value_gets(hub, product_id=None) -> list:
    return [
        r
        for r in hub.request_log
        if r.method == "GET"
        and r.path.endswith("/$value")
        and (product_id is None or f"('{product_id}')" in r.path)
    ]


def final_path(directory, product) -> pathlib.Path:
    return pathlib.Path(directory) / product.download_name


def partial_path(directory, product) -> pathlib.Path:
    return pathlib.Path(directory) / (product.download_name + ".incomplete")


# ---------------------------------------------------------------------------- plain download
def test_download_writes_the_verified_product(make_local_hub, tmp_path):
    hub = make_local_hub(products=3, product_size=150_000)
    product = hub.products[1]
    info = hub_client(hub).download(product.id, str(tmp_path))
    assert info["path"] == str(final_path(tmp_path, product))
    assert final_path(tmp_path, product).read_bytes() == product_bytes(hub, product.id)
    assert (info["id"], info["size"], info["md5"].lower()) == (
        product.id,
        product.size,
        product.md5,
    )
    assert info["downloaded_bytes"] == product.size
    assert os.listdir(tmp_path) == [product.download_name]
    again = hub_client(hub).download(product.id, str(tmp_path))
    assert again["downloaded_bytes"] == 0 and len(value_gets(hub)) == 1  # not downloaded twice


# ---------------------------------------------------------------------------- interruptions
def test_dropped_connection_resumes_from_the_bytes_received(make_local_hub, tmp_path):
    hub = make_local_hub(products=2, product_size=300_000, drop_after=100_000)
    product = hub.products[0]
    info = hub_client(hub).download(product.id, str(tmp_path))
    assert final_path(tmp_path, product).read_bytes() == product_bytes(hub, product.id)
    gets = value_gets(hub, product.id)
    # each request continues exactly where the previous connection broke
    assert [r.range for r in gets] == [None, "bytes=100000-", "bytes=200000-"]
    assert [r.bytes_sent for r in gets] == [100_000, 100_000, 100_000]
    assert info["downloaded_bytes"] == product.size == sum(r.bytes_sent for r in gets)


def test_connection_that_never_delivers_gives_up_after_a_few_attempts(make_local_hub, tmp_path):
    hub = make_local_hub(products=2, product_size=100_000, drop_after=0)
    product = hub.products[0]
    with pytest.raises(SentinelAPIError, match="Connection lost") as error:
        hub_client(hub).download(product.id, str(tmp_path))
    # a SentinelAPIError, and also the requests exception that happened (0.13 let those escape)
    assert isinstance(error.value, TransferError)
    assert isinstance(error.value, requests.exceptions.RequestException)
    assert len(value_gets(hub, product.id)) == 3
    assert not final_path(tmp_path, product).exists()
    hub.faults.drop_after = None
    hub_client(hub).download(product.id, str(tmp_path))  # a rerun finishes the job
    assert final_path(tmp_path, product).read_bytes() == product_bytes(hub, product.id)


def test_partial_file_is_resumed_with_a_range_request(make_local_hub, tmp_path):
    hub = make_local_hub(products=2, product_size=200_000)
    product = hub.products[0]
    partial_path(tmp_path, product).write_bytes(product_bytes(hub, product.id)[:123_456])
    info = hub_client(hub).download(product.id, str(tmp_path))
    [get] = value_gets(hub, product.id)
    assert (get.range, get.status, get.bytes_sent) == ("bytes=123456-", 206, product.size - 123_456)
    assert info["downloaded_bytes"] == product.size - 123_456
    assert final_path(tmp_path, product).read_bytes() == product_bytes(hub, product.id)
    assert not partial_path(tmp_path, product).exists()


def test_server_ignoring_range_restarts_the_file(make_local_hub, tmp_path):
    hub = make_local_hub(products=2, product_size=200_000, ignore_range=True)
    product = hub.products[0]
    partial_path(tmp_path, product).write_bytes(product_bytes(hub, product.id)[:50_000])
    info = hub_client(hub).download(product.id, str(tmp_path))
    [get] = value_gets(hub, product.id)
    assert (get.range, get.status, get.bytes_sent) == ("bytes=50000-", 200, product.size)
    assert info["downloaded_bytes"] == product.size
    assert final_path(tmp_path, product).read_bytes() == product_bytes(
        hub, product.id
    )  # never appended


@pytest.mark.timeout(30)
def test_server_ignoring_range_and_dropping_gives_up(make_local_hub, tmp_path):
    # every attempt restarts from byte 0 and breaks half-way: no attempt gets further than
    # the first, so the download must stop instead of looping for ever
    hub = make_local_hub(products=2, product_size=200_000, ignore_range=True, drop_after=100_000)
    product = hub.products[0]
    with pytest.raises(SentinelAPIError):
        hub_client(hub).download(product.id, str(tmp_path))
    assert len(value_gets(hub, product.id)) <= 4
    assert not final_path(tmp_path, product).exists()
    assert assert_true_files(hub, tmp_path)["partial"] == {product.id}


# ---------------------------------------------------------------------------- corruption
def test_corrupted_byte_raises_and_leaves_nothing(make_local_hub, tmp_path):
    hub = make_local_hub(products=2, product_size=100_000)
    product = hub.products[0]
    hub.faults.corrupt = [product.id]
    with pytest.raises(InvalidChecksumError, match="does not match") as error:
        hub_client(hub).download(product.id, str(tmp_path))
    assert product.md5 in str(error.value)
    assert os.listdir(tmp_path) == []


def test_download_all_ten_products_one_corrupted(make_local_hub, tmp_path):
    hub = make_local_hub(products=12, product_size=(20_000, 120_000))
    products = hub.products[:10]
    bad = products[6]
    hub.faults.corrupt = [bad.id]
    downloaded, triggered, failed = hub_client(hub).download_all(
        [p.id for p in products], str(tmp_path), max_attempts=3
    )
    assert sorted(downloaded) == sorted(p.id for p in products if p is not bad)
    assert (triggered, failed) == ({}, {bad.id})
    assert assert_true_files(hub, tmp_path) == {"final": set(downloaded), "partial": set()}
    assert len(value_gets(hub, bad.id)) == 3  # retried up to max_attempts
    for product_id, info in downloaded.items():
        assert info["path"] == str(final_path(tmp_path, hub.product(product_id)))


# ---------------------------------------------------------------------------- file extensions
def test_product_with_another_extension_than_zip(make_local_hub, tmp_path):
    # Sentinel-5P products are netCDF files: the server names them <title>.nc
    hub = make_local_hub(products=100, product_size=150_000)
    products = [p for p in hub.products if p.download_name.endswith(".nc")][:2]
    assert len(products) == 2
    api = hub_client(hub)
    info = api.download(products[0].id, str(tmp_path))
    assert info["path"] == str(tmp_path / (products[0].identifier + ".nc"))
    hub.faults.drop_after = 60_000  # and resumed from its .nc.incomplete file
    downloaded, _, failed = api.download_all([p.id for p in products], str(tmp_path))
    assert failed == set() and downloaded[products[1].id]["path"].endswith(".nc")
    assert [r.range for r in value_gets(hub, products[1].id)] == [
        None,
        "bytes=60000-",
        "bytes=120000-",
    ]
    assert assert_true_files(hub, tmp_path) == {
        "final": {p.id for p in products},
        "partial": set(),
    }


# ---------------------------------------------------------------------------- hostile names
HOSTILE_FILENAMES = [
    "../../escaped.zip",
    "/tmp/absolute.zip",
    "..",
    "../",
    "sub/dir/x.zip",
    "a\x01b\x1f.zip",
    "..\\..\\windows.zip",
    ".hidden",
]


@pytest.mark.parametrize("filename", HOSTILE_FILENAMES)
def test_malicious_filename_stays_in_the_directory(make_local_hub, tmp_path, filename):
    hub = make_local_hub(products=2, product_size=30_000, hostile_filename=filename)
    product = hub.products[0]
    target = tmp_path / "a" / "b" / "target"
    info = hub_client(hub).download(product.id, str(target))
    [entry] = os.listdir(target)
    assert entry.startswith(product.identifier + ".") and "/" not in entry
    assert not any(ord(c) < 32 for c in entry)
    assert info["path"] == str(target / entry)
    assert (target / entry).read_bytes() == product_bytes(hub, product.id)
    written = [
        os.path.relpath(os.path.join(d, f), tmp_path) for d, _, fs in os.walk(tmp_path) for f in fs
    ]
    assert written == [os.path.join("a", "b", "target", entry)]


@pytest.mark.parametrize(
    "title", ["../../escaped", "/etc/passwd", "..", "a/../../b", "x\x00y", "\x1b[2Jcls", ""]
)
def test_malicious_title_stays_in_the_directory(make_local_hub, tmp_path, monkeypatch, title):
    hub = make_local_hub(products=2, product_size=30_000)
    product = hub.products[0]
    real = SentinelAPI.get_product_odata
    monkeypatch.setattr(
        SentinelAPI,
        "get_product_odata",
        lambda self, i, full=False: dict(real(self, i, full), title=title),
    )
    target = tmp_path / "a" / "target"
    info = hub_client(hub).download(product.id, str(target))
    [entry] = os.listdir(target)
    assert info["path"] == str(target / entry)
    assert not entry.startswith(".") and not any(ord(c) < 32 for c in entry)
    assert (target / entry).read_bytes() == product_bytes(hub, product.id)
    written = [
        os.path.relpath(os.path.join(d, f), tmp_path) for d, _, fs in os.walk(tmp_path) for f in fs
    ]
    assert written == [os.path.join("a", "target", entry)]


# ---------------------------------------------------------------------------- Ctrl-C
class InterruptingBar:
    """The overall bar of ``download_all``: the user presses Ctrl-C when a product is done."""

    def __init__(self, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n=1):
        raise KeyboardInterrupt


class CtrlCAPI(FastAPI):
    def _tqdm(self, **kwargs):
        if kwargs.get("desc") == "Downloading products":
            return InterruptingBar(**kwargs)
        return super()._tqdm(**kwargs)


def test_ctrl_c_during_download_all_keeps_resumable_partial_files(make_local_hub, tmp_path):
    # four transfers at 4 MB/s each: when the smallest is done, the others are mid-way
    hub = make_local_hub(products=12, product_size=(2_000_000, 4_000_000), bandwidth=4_000_000)
    by_size = sorted(hub.products, key=lambda p: p.size)
    products = [by_size[0]] + by_size[-3:]
    assert products[1].size - products[0].size > 1_000_000
    api = CtrlCAPI(hub.user, hub.password, hub.url, show_progressbars=False)
    with pytest.raises(KeyboardInterrupt):
        api.download_all([p.id for p in products], str(tmp_path))
    on_disk = assert_true_files(hub, tmp_path)
    assert on_disk["final"] == {products[0].id}
    assert on_disk["partial"] == {p.id for p in products[1:]}
    kept = {p.id: partial_path(tmp_path, p).stat().st_size for p in products[1:]}
    assert all(0 < size < hub.product(i).size for i, size in kept.items())

    hub.faults.bandwidth = None
    hub.clear_log()
    downloaded, _, failed = hub_client(hub).download_all([p.id for p in products], str(tmp_path))
    assert failed == set() and len(downloaded) == 4
    assert assert_true_files(hub, tmp_path) == {
        "final": {p.id for p in products},
        "partial": set(),
    }
    assert downloaded[products[0].id]["downloaded_bytes"] == 0
    for product_id, size in kept.items():
        [get] = value_gets(hub, product_id)
        assert get.range == f"bytes={size}-"  # resumed, only the missing bytes sent
        assert (
            get.bytes_sent
            == downloaded[product_id]["downloaded_bytes"]
            == hub.product(product_id).size - size
        )


# ---------------------------------------------------------------------------- long term archive
def test_offline_products_are_triggered_quota_refused_and_downloaded_later(
    make_local_hub, tmp_path
):
    hub = make_local_hub(
        products=3, product_size=40_000, offline_share=1.0, lta_delay=0.3, lta_quota=1
    )
    first, second = hub.products[:2]
    api = hub_client(hub)
    info = api.download(first.id, str(tmp_path))
    # as in 0.13: the path the file will have, and a plain GET of $value triggers it
    assert info["path"] == str(final_path(tmp_path, first)) and info["Online"] is False
    [trigger] = value_gets(hub, first.id)
    assert (trigger.range, trigger.status) == (None, 202)
    with pytest.raises(SentinelAPILTAError, match="exceed user quota") as error:
        api.download(second.id, str(tmp_path))
    assert error.value.response.status_code == 403
    assert len(value_gets(hub, second.id)) == 1  # not retried
    assert os.listdir(tmp_path) == []  # not even an empty partial file

    assert wait_until(lambda: hub.product(first.id).online)  # the archive delivered it
    downloaded, triggered, failed = api.download_all([first.id, second.id], str(tmp_path))
    assert list(downloaded) == [first.id] and list(triggered) == [second.id] and failed == set()
    assert final_path(tmp_path, first).read_bytes() == product_bytes(hub, first.id)


def test_download_all_does_not_retry_a_quota_refusal(make_local_hub, tmp_path):
    hub = make_local_hub(products=3, product_size=40_000, lta_quota=0)
    offline, online = hub.products[:2]
    hub.set_online(offline.id, False)
    downloaded, triggered, failed = hub_client(hub).download_all(
        [offline.id, online.id], str(tmp_path), max_attempts=5
    )
    assert (list(downloaded), triggered, failed) == ([online.id], {}, {offline.id})
    assert len(value_gets(hub, offline.id)) == 1


# ---------------------------------------------------------------------------- server limits
def test_concurrent_download_limit_waits_and_finishes(make_local_hub, tmp_path):
    hub = make_local_hub(
        products=5, product_size=200_000, max_concurrent_downloads=1, bandwidth=2_000_000
    )
    products = hub.products[:4]
    downloaded, triggered, failed = hub_client(hub).download_all(
        [p.id for p in products], str(tmp_path), n_concurrent_dl=4
    )
    assert len(downloaded) == 4 and (triggered, failed) == ({}, set())
    assert assert_true_files(hub, tmp_path)["final"] == {p.id for p in products}
    refused = [r for r in value_gets(hub) if r.status == 403]
    assert refused  # the hub did refuse: more downloads were asked for than allowed
    for product in products:  # ...and each product was then transferred exactly once
        assert [r.bytes_sent for r in value_gets(hub, product.id) if r.status == 200] == [
            product.size
        ]


# ---------------------------------------------------------------------------- check_files
def test_check_files_against_the_hub(make_local_hub, tmp_path):
    hub = make_local_hub(products=6, product_size=(10_000, 50_000))
    products = hub.products[:5]
    api = hub_client(hub)
    api.download_all([p.id for p in products], str(tmp_path))
    good, flipped, truncated, missing, _ = products
    path = {p.id: str(final_path(tmp_path, p)) for p in products}
    data = bytearray(pathlib.Path(path[flipped.id]).read_bytes())
    data[len(data) // 2] ^= 0xFF
    pathlib.Path(path[flipped.id]).write_bytes(bytes(data))
    with open(path[truncated.id], "r+b") as f:
        f.truncate(truncated.size - 1)
    os.remove(path[missing.id])

    by_ids = api.check_files(ids=[p.id for p in products], directory=str(tmp_path))
    bad = {flipped.id, truncated.id, missing.id}
    assert {k: [i["id"] for i in v] for k, v in by_ids.items()} == {path[i]: [i] for i in bad}
    existing = [path[p.id] for p in products if p is not missing]
    by_paths = api.check_files(paths=existing)
    assert {k: [i["id"] for i in v] for k, v in by_paths.items()} == {
        path[i]: [i] for i in (flipped.id, truncated.id)
    }

    api.check_files(ids=[p.id for p in products], directory=str(tmp_path), delete=True)
    assert sorted(os.listdir(tmp_path)) == sorted(
        final_path(tmp_path, p).name for p in (good, products[4])
    )
    api.download_all([p.id for p in products], str(tmp_path))
    assert api.check_files(ids=[p.id for p in products], directory=str(tmp_path)) == {}
    assert assert_true_files(hub, tmp_path)["final"] == {p.id for p in products}


# ---------------------------------------------------------------------------- memory
LARGE_DOWNLOAD = """
    import json, resource, sys
    from sentinelsat import SentinelAPI
    url, user, password, product_id, directory = sys.argv[1:]
    api = SentinelAPI(user, password, url, show_progressbars=False)
    info = api.get_product_odata(product_id)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = api.download(product_id, directory)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"before_kib": before, "peak_kib": after, "bytes": result["downloaded_bytes"]}))
"""


@pytest.mark.slow
def test_memory_stays_flat_while_downloading_a_large_product(make_local_hub, tmp_path):
    size = 256 * 1024 * 1024
    hub = make_local_hub(products=1, product_size=size)
    product = hub.products[0]
    assert product.md5  # computed here, not while the child waits for the metadata
    env = dict(os.environ, PYTHONPATH=str(REPO))
    code = textwrap.dedent(LARGE_DOWNLOAD)
    run = subprocess.run(
        [sys.executable, "-c", code, hub.url, hub.user, hub.password, product.id, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=110,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["bytes"] == size
    growth_mib = (report["peak_kib"] - report["before_kib"]) / 1024
    assert growth_mib < 64, (
        f"peak memory grew by {growth_mib:.0f} MiB for a {size >> 20} MiB download"
    )
    path = final_path(tmp_path, product)
    assert path.stat().st_size == size
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    assert digest.hexdigest() == product.md5


# ----------------------------------------------------------------------------- progress bars
def test_download_progress_bar_shows_product_and_resumed_offset(make_local_hub, tmp_path, capsys):
    hub = make_local_hub(products=1, product_size=300_000)
    product = hub.products[0]
    kept = 120_000
    partial_path(tmp_path, product).write_bytes(product_bytes(hub, product.id)[:kept])
    bars = []

    class RecordingAPI(FastAPI):
        def _tqdm(self, **kwargs):
            bars.append(kwargs)
            return super()._tqdm(**kwargs)

    RecordingAPI(hub.user, hub.password, hub.url).download(product.id, str(tmp_path))
    [bar] = [kwargs for kwargs in bars if kwargs.get("desc") == product.identifier]
    assert (bar["total"], bar["initial"], bar["unit"]) == (product.size, kept, "B")
    err = capsys.readouterr().err
    assert (
        product.identifier in err and "117k/293k" in err
    )  # starts at the kept 120,000 of 300,000 bytes
    assert final_path(tmp_path, product).read_bytes() == product_bytes(hub, product.id)


def test_progress_bars_silenced(make_local_hub, tmp_path, capsys):
    hub = make_local_hub(products=3, product_size=50_000)
    api = hub_client(hub)  # show_progressbars=False
    api.download_all([p.id for p in hub.products], str(tmp_path))
    api.check_files(ids=[p.id for p in hub.products], directory=str(tmp_path))
    api.query(ingestiondate=(None, "NOW"))
    assert capsys.readouterr().err == ""


SILENT_DOWNLOAD = """
    import json, sys
    from sentinelsat import SentinelAPI
    url, user, password, directory, *ids = sys.argv[1:]
    api = SentinelAPI(user, password, url, show_progressbars=False)
    api.download(ids[0], directory)
    api.download_all(ids, directory)
    print(json.dumps(sorted(m for m in ("tqdm", "multiprocessing") if m in sys.modules)))
"""


def test_silenced_bars_create_no_progress_bar_object(make_local_hub, tmp_path):
    """Without bars, tqdm (and the multiprocessing lock it creates) is never loaded: its
    memory is not paid for bars nobody sees."""
    hub = make_local_hub(products=3, product_size=50_000)
    ids = [p.id for p in hub.products]
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SILENT_DOWNLOAD), hub.url, hub.user, hub.password]
        + [str(tmp_path), *ids],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == []
    assert assert_true_files(hub, tmp_path) == {"final": set(ids), "partial": set()}


def test_an_overridden_progress_hook_is_called_with_bars_silenced(make_local_hub, tmp_path):
    hub = make_local_hub(products=2, product_size=50_000)
    calls = []

    class RecordingAPI(FastAPI):
        def _tqdm(self, **kwargs):
            calls.append(kwargs)
            return super()._tqdm(**kwargs)

    api = RecordingAPI(hub.user, hub.password, hub.url, show_progressbars=False)
    api.download_all([p.id for p in hub.products], str(tmp_path))
    assert {c.get("desc") for c in calls} >= {p.identifier for p in hub.products}
    instance = FastAPI(hub.user, hub.password, hub.url, show_progressbars=False)
    replaced = []
    instance._tqdm = lambda **kwargs: replaced.append(kwargs) or api._tqdm(**kwargs)
    instance.download(hub.products[0].id, str(tmp_path / "again"))
    assert hub.products[0].identifier in {c.get("desc") for c in replaced}
