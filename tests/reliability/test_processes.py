"""Downloads in other processes: killed at random points, interrupted with Ctrl-C, two at
once in one directory, and a full disk. The hub runs in the test process; each download runs
in a child process, so that it can really be killed, interrupted or limited."""

from __future__ import annotations

import errno
import os
import random
import resource
import signal
import subprocess
import sys

import pytest
from kit import assert_true_files, hub_client, product_bytes, wait_until

from .faultkit import child_env, finish, python_child, value_requests

pytestmark = [pytest.mark.hub, pytest.mark.timeout(90)]

# argv: url user password directory start ids...; "start" is "now", or "go" to wait for a
# line on stdin first (after the imports), so that two children start at the same moment
DOWNLOAD = """
    import logging, sys
    from sentinelsat import SentinelAPI
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    url, user, password, directory, start, *ids = sys.argv[1:]
    api = SentinelAPI(user, password, url, show_progressbars=False)
    if start == "go":
        print("ready", flush=True)
        sys.stdin.readline()
    try:
        if len(ids) == 1:
            api.download(ids[0], directory)
        else:
            print(api.download_all(ids, directory, n_concurrent_dl=2)[2], flush=True)
    except OSError as error:
        print("OSError", error.errno, error.filename, error, flush=True)
        sys.exit(3)
    print("done", flush=True)
"""


def start_download(hub, directory, ids, start="now", **kwargs):
    args = [hub.url, hub.user, hub.password, str(directory), start, *ids]
    return python_child(DOWNLOAD, *args, **kwargs)


def partial_size(directory, product) -> int:
    try:
        return os.path.getsize(os.path.join(directory, product.download_name + ".incomplete"))
    except FileNotFoundError:
        return -1


def assert_resumed(hub, product, kept: int, info) -> None:
    """The rerun transferred exactly the bytes missing from the partial file."""
    gets = value_requests(hub, product.id)
    if kept == product.size:  # killed after the last byte, before the rename
        assert gets == []
    else:
        assert [g.range for g in gets] == [f"bytes={kept}-" if kept else None]
        assert gets[0].bytes_sent == product.size - kept
    assert info["downloaded_bytes"] == product.size - kept


# ---------------------------------------------------------------------------- SIGKILL
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_killed_download_resumes_with_only_the_missing_bytes(make_local_hub, tmp_path, seed):
    size = 6 * 1024 * 1024
    hub = make_local_hub(products=2, seed=seed, product_size=size, bandwidth=12_000_000)
    product = hub.products[0]
    assert product.md5  # hashed here, before the child asks for it
    kill_at = random.Random(seed).randrange(0, size)
    child = start_download(hub, tmp_path, [product.id])
    try:
        reached = wait_until(
            lambda: partial_size(tmp_path, product) >= kill_at or child.poll() is not None,
            timeout=30,
        )
        assert reached and child.poll() is None, "the download ended before the kill point"
    finally:
        child.kill()  # SIGKILL: no cleanup of any kind in the child
        finish(child)
    assert child.returncode == -signal.SIGKILL
    on_disk = assert_true_files(hub, tmp_path)  # the partial file is a prefix of the product
    assert on_disk == {"final": set(), "partial": {product.id}}
    kept = partial_size(tmp_path, product)
    assert kept >= kill_at

    hub.faults.bandwidth = None
    hub.clear_log()
    info = hub_client(hub).download(product.id, str(tmp_path))
    assert (tmp_path / product.download_name).read_bytes() == product_bytes(hub, product.id)
    assert os.listdir(tmp_path) == [product.download_name]
    assert_resumed(hub, product, kept, info)


# ---------------------------------------------------------------------------- Ctrl-C (SIGINT)
def test_ctrl_c_in_the_command_line_keeps_resumable_files(make_local_hub, tmp_path):
    hub = make_local_hub(products=3, product_size=3 * 1024 * 1024, bandwidth=6_000_000)
    products = hub.products[:3]
    args = [
        "-m",
        "sentinelsat",
        "-d",
        "--uuid",
        ",".join(p.id for p in products),
        "--path",
        str(tmp_path),
    ]
    env = child_env(DHUS_URL=hub.url, DHUS_USER=hub.user, DHUS_PASSWORD=hub.password)
    child = subprocess.Popen(
        [sys.executable, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert wait_until(
            lambda: all(partial_size(tmp_path, p) >= 1024 * 1024 for p in products), timeout=30
        )
    finally:
        child.send_signal(signal.SIGINT)
        code, _out, err = finish(child, timeout=30)
    assert code == 130 and "Interrupted" in err, err  # one line, no traceback
    assert "Traceback" not in err
    on_disk = assert_true_files(hub, tmp_path)
    assert on_disk["final"] == set() and sorted(on_disk["partial"]) == sorted(
        p.id for p in products
    )
    kept = {p.id: partial_size(tmp_path, p) for p in products}

    hub.faults.bandwidth = None
    hub.clear_log()
    downloaded, _, failed = hub_client(hub).download_all([p.id for p in products], str(tmp_path))
    assert failed == set()
    assert sorted(assert_true_files(hub, tmp_path)["final"]) == sorted(p.id for p in products)
    for product in products:
        assert_resumed(hub, product, kept[product.id], downloaded[product.id])


# ---------------------------------------------------------------------------- two processes
def test_two_processes_share_a_directory(make_local_hub, tmp_path):
    hub = make_local_hub(products=10, product_size=(800_000, 1_200_000), bandwidth=2_000_000)
    first = [p.id for p in hub.products[:6]]
    second = [p.id for p in hub.products[:2] + hub.products[6:10]]  # both start with the same two
    assert all(p.md5 for p in hub.products)  # hashed here, not while the children wait
    children = [
        start_download(hub, tmp_path, ids, "go", stdin=subprocess.PIPE) for ids in (first, second)
    ]
    try:
        for child in children:
            assert child.stdout.readline().strip() == b"ready"
        for child in children:
            child.stdin.write(b"go\n")
            child.stdin.flush()
        results = [finish(child) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                finish(child)
    for code, out, err in results:
        assert code == 0, err
        assert out.splitlines() == ["set()", "done"]  # nothing failed
    # the second process found the first one's partial file locked and waited for it
    assert any("Waiting for another download" in err for _, _, err in results)
    on_disk = assert_true_files(hub, tmp_path)
    assert sorted(on_disk["final"]) == sorted(set(first + second)) and on_disk["partial"] == set()
    for product_id in set(first + second):  # each product crossed the network once
        sent = [r.bytes_sent for r in value_requests(hub, product_id) if r.status in (200, 206)]
        assert sent == [hub.product(product_id).size]


# ---------------------------------------------------------------------------- disk full
def _file_size_limit(limit: int):
    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


def test_disk_full_leaves_a_resumable_partial_file(make_local_hub, tmp_path):
    hub = make_local_hub(products=2, product_size=3 * 1024 * 1024)
    product = hub.products[0]
    limit = 1_500_000  # a write beyond this fails with EFBIG, as it would with ENOSPC
    env = child_env(PYTHONDONTWRITEBYTECODE="1")
    child = start_download(hub, tmp_path, [product.id], env=env, preexec_fn=_file_size_limit(limit))
    code, out, err = finish(child)
    assert code == 3, (out, err)  # the OSError came out of download()
    partial = tmp_path / (product.download_name + ".incomplete")
    assert out.startswith(f"OSError {errno.EFBIG} {partial} "), out  # names the file
    assert "File too large" in out
    on_disk = assert_true_files(hub, tmp_path)
    assert on_disk == {"final": set(), "partial": {product.id}}
    kept = partial_size(tmp_path, product)
    assert 0 < kept <= limit

    hub.clear_log()
    info = hub_client(hub).download(product.id, str(tmp_path))  # room again: the rerun finishes
    assert (tmp_path / product.download_name).read_bytes() == product_bytes(hub, product.id)
    assert_resumed(hub, product, kept, info)


def test_disk_full_in_the_command_line_is_one_clear_error(make_local_hub, tmp_path):
    hub = make_local_hub(products=3, product_size=3 * 1024 * 1024)
    products = hub.products[:2]
    env = child_env(
        PYTHONDONTWRITEBYTECODE="1",
        DHUS_URL=hub.url,
        DHUS_USER=hub.user,
        DHUS_PASSWORD=hub.password,
    )
    args = [
        "-m",
        "sentinelsat",
        "-d",
        "--uuid",
        ",".join(p.id for p in products),
        "--path",
        str(tmp_path),
    ]
    child = subprocess.Popen(
        [sys.executable, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_file_size_limit(1_500_000),
    )
    code, _out, err = finish(child)
    assert code == 1, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]  # after the escape codes that clear the progress bars
    assert f"Error: [Errno {errno.EFBIG}] File too large" in last, err
    assert ".zip.incomplete" in last  # says which file could not be written
    on_disk = assert_true_files(hub, tmp_path)
    assert on_disk["final"] == set() and on_disk["partial"]
