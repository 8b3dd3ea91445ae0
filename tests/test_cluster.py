"""download_all(..., executor=...): each product a task of the executor, the flow limit held
across every task (the hub's request log counts the flows), every file verified where the task
ran; with a thread pool and with a dask LocalCluster of two worker processes."""

from __future__ import annotations

import hashlib
import pathlib
from concurrent.futures import ThreadPoolExecutor

import pytest

from sentinelsat import SentinelAPI
from sentinelsat.cluster import RemoteClient, local_semaphore
from sentinelsat.testing import LocalHub

pytestmark = [pytest.mark.hub, pytest.mark.timeout(180)]

MiB = 1 << 20


def most_flows_at_once(hub) -> int:
    events = []
    for r in hub.request_log:
        if r.method == "GET" and r.path.endswith("/$value") and r.status in (200, 206):
            events += [(r.time, 1), (r.time + r.duration, -1)]
    peak = current = 0
    for _, change in sorted(events):
        current += change
        peak = max(peak, current)
    return peak


def assert_all_verified(hub, directory, result) -> None:
    downloaded, triggered, failed = result
    assert sorted(downloaded) == sorted(p.id for p in hub.products)
    assert (triggered, set(failed)) == ({}, set())
    for product in hub.products:
        path = pathlib.Path(directory) / product.download_name
        assert downloaded[product.id]["path"] == str(path)
        assert hashlib.md5(path.read_bytes()).hexdigest() == product.md5.lower()
    assert not [p for p in pathlib.Path(directory).iterdir() if "incomplete" in p.name]


def busy_hub() -> LocalHub:
    """Eight products whose transfers overlap; the hub itself would allow eight flows, so that
    only the client keeps to its limit of four."""
    return LocalHub(
        products=8, product_size=(1 * MiB, 2 * MiB), bandwidth=2 * MiB, max_concurrent_downloads=8
    )


def test_thread_pool_executor_keeps_the_flow_limit(tmp_path):
    with busy_hub() as hub, ThreadPoolExecutor(6) as executor:
        api = SentinelAPI(hub.user, hub.password, hub.url, show_progressbars=False)
        result = api.download_all([p.id for p in hub.products], str(tmp_path), executor=executor)
        assert_all_verified(hub, tmp_path, result)
        assert most_flows_at_once(hub) <= 4
        assert not [r for r in hub.request_log if r.status == 403]


def test_remote_client_names_its_flows_without_the_password():
    remote = RemoteClient("http://127.0.0.1:8080/", "dhus", "alice", "secret", "ua")
    assert remote.flow_name == "sentinelsat-flows:alice@http://127.0.0.1:8080"
    assert "secret" not in repr(remote)
    assert local_semaphore(remote.flow_name, 4) is local_semaphore(remote.flow_name, 4)


def test_dask_cluster_downloads_within_the_flow_limit(tmp_path):
    distributed = pytest.importorskip("distributed")
    with busy_hub() as hub:
        with (
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=3,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                worker_dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as dask_client,
        ):
            api = SentinelAPI(hub.user, hub.password, hub.url, show_progressbars=False)
            with distributed.get_task_stream(client=dask_client) as stream:
                result = api.download_all(
                    [p.id for p in hub.products],
                    str(tmp_path),
                    executor=dask_client.get_executor(),
                )
            workers = {task["worker"] for task in stream.data}
        assert_all_verified(hub, tmp_path, result)
        assert most_flows_at_once(hub) <= 4
        assert not [r for r in hub.request_log if r.status == 403]
        assert len(workers) == 2  # both workers downloaded
