"""One benchmark workload, run in a fresh process by ``bench/run.py``.

Prints a single JSON object on stdout: the wall time of the measured part, the peak RSS of
this process, and what the runner needs to check correctness.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import mmap
import os
import resource
import sys
import time


def peak_rss_mb() -> float:
    """Peak resident memory of this process. ``VmHWM`` belongs to the process image;
    ``getrusage`` would report the parent's peak when that was higher (Linux keeps it
    across fork and exec)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def api_for(url: str):
    from sentinelsat import SentinelAPI

    return SentinelAPI("user", "password", url, show_progressbars=False)


def peer_for(url: str):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from peer import PeerClient

    return PeerClient("user", "password", url)


def run_query(args) -> dict:
    if args.client == "peer":
        peer = peer_for(args.url)
        peer.query("ingestiondate:[* TO NOW]")  # warm-up
        started = time.perf_counter()
        products = peer.query("ingestiondate:[* TO NOW]")
        return {"wall": time.perf_counter() - started, "ids": list(products)}
    api = api_for(args.url)
    api.query_concurrency = args.concurrency
    api.query(ingestiondate=(None, "NOW"))  # warm-up: connections, and the hub's caches
    started = time.perf_counter()
    products = api.query(ingestiondate=(None, "NOW"))
    return {"wall": time.perf_counter() - started, "ids": list(products)}


def run_query_transport(args) -> dict:
    """The same search requests as ``query`` (the first page, then the others ``concurrency``
    at a time), their answers read but never decoded: what the server and the HTTP stack
    cost, the floor under any client in this process."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    session = requests.Session()
    session.auth = ("user", "password")
    form = {"q": "ingestiondate:[* TO NOW]"}

    def page(start: int) -> int:
        url = f"{args.url}search?format=json&rows=100&start={start}"
        return len(session.post(url, data=form).content)

    page(0)  # warm-up: connections
    started = time.perf_counter()
    page(0)
    with ThreadPoolExecutor(args.concurrency) as pool:
        sizes = list(pool.map(page, range(100, args.size, 100)))
    return {"wall": time.perf_counter() - started, "pages": 1 + len(sizes)}


def deep_size(value, seen=None) -> int:
    """Bytes of an object and of everything it holds (each object once)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    size = sys.getsizeof(value)
    if isinstance(value, dict):
        size += sum(deep_size(k, seen) + deep_size(v, seen) for k, v in value.items())
    elif isinstance(value, (list, tuple, set, frozenset)):
        size += sum(deep_size(item, seen) for item in value)
    return size


def current_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def run_query_memory(args) -> dict:
    """What a search adds to the process's peak memory (its high-water mark, from the
    resident size before it), against the size of its result (every object counted once)."""
    import gc

    api = api_for(args.url)
    api.query_concurrency = args.concurrency
    api.query(ingestiondate=(None, "NOW"), limit=200)  # imports and connections first
    gc.collect()
    before = current_rss_mb()
    if peak_rss_mb() > before + 1:  # the high-water mark must start where the process is
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    before = current_rss_mb()
    started = time.perf_counter()
    products = api.query(ingestiondate=(None, "NOW"))
    wall = time.perf_counter() - started
    peak = peak_rss_mb()
    return {
        "wall": wall,
        "count": len(products),
        "peak_mb": peak - before,
        "held_mb": current_rss_mb() - before,
        "result_mb": deep_size(products) / 2**20,
    }


def run_disk_write(args) -> dict:
    """Write ``--size`` bytes in 1 MiB blocks and fsync: the disk's throughput with flush."""
    block = os.urandom(1 << 20)
    path = os.path.join(args.dir, "disk-write.bin")
    started = time.perf_counter()
    with open(path, "wb") as f:
        for _ in range(args.size >> 20):
            f.write(block)
        f.flush()
        os.fsync(f.fileno())
    wall = time.perf_counter() - started
    os.remove(path)
    return {"wall": wall}


def run_download_many(args) -> dict:
    if args.client == "peer":
        peer = peer_for(args.url)
        started = time.perf_counter()
        paths = peer.download_all(args.ids, args.dir)
        return {"wall": time.perf_counter() - started, "paths": paths, "failed": []}
    api = api_for(args.url)
    started = time.perf_counter()
    downloaded, triggered, failed = api.download_all(
        args.ids, args.dir, n_concurrent_dl=args.concurrency
    )
    return {
        "wall": time.perf_counter() - started,
        "paths": {pid: info["path"] for pid, info in downloaded.items()},
        "failed": sorted(failed) + sorted(triggered),
    }


def run_download_one(args) -> dict:
    if args.client == "peer":
        peer = peer_for(args.url)
        started = time.perf_counter()
        path = peer.download(args.ids[0], args.dir)
        return {"wall": time.perf_counter() - started, "paths": {args.ids[0]: path}}
    api = api_for(args.url)
    started = time.perf_counter()
    info = api.download(args.ids[0], args.dir)
    return {"wall": time.perf_counter() - started, "paths": {args.ids[0]: info["path"]}}


def run_md5(args) -> dict:
    """hashlib.md5 over the bytes of a file, without copies (mmap): the hashing limit."""
    with open(args.path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        data.madvise(mmap.MADV_WILLNEED) if hasattr(data, "madvise") else None
        view = memoryview(data)
        started = time.perf_counter()
        digest = hashlib.md5()
        for offset in range(0, len(view), 1 << 22):
            digest.update(view[offset : offset + (1 << 22)])
        wall = time.perf_counter() - started
        view.release()
    return {"wall": wall, "md5": digest.hexdigest()}


def run_check_files(args) -> dict:
    api = api_for(args.url)
    started = time.perf_counter()
    corrupt = api.check_files(ids=args.ids, directory=args.dir)
    return {"wall": time.perf_counter() - started, "corrupt": sorted(corrupt)}


WORKLOADS = {
    "query": run_query,
    "query_transport": run_query_transport,
    "download_many": run_download_many,
    "download_one": run_download_one,
    "md5": run_md5,
    "query_memory": run_query_memory,
    "disk_write": run_disk_write,
    "check_files": run_check_files,
}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--url")
    parser.add_argument("--dir")
    parser.add_argument("--path")
    parser.add_argument("--ids", nargs="*", default=[])
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--client", choices=["ours", "peer"], default="ours")
    parser.add_argument("--size", type=int, default=1 << 30)
    args = parser.parse_args(argv)
    result = WORKLOADS[args.workload](args)
    result["peak_rss_mb"] = peak_rss_mb()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
