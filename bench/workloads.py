"""One benchmark workload, run in a fresh process by ``bench/run.py``.

Prints a single JSON object on stdout: the wall time of the measured part, the peak RSS of
this process, and what the runner needs to check correctness.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import mmap
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


def run_query(args) -> dict:
    api = api_for(args.url)
    api.query_concurrency = args.concurrency
    api.query(ingestiondate=(None, "NOW"))  # warm-up: connections, and the hub's caches
    started = time.perf_counter()
    products = api.query(ingestiondate=(None, "NOW"))
    return {"wall": time.perf_counter() - started, "ids": list(products)}


def run_download_many(args) -> dict:
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
    "download_many": run_download_many,
    "download_one": run_download_one,
    "md5": run_md5,
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
    args = parser.parse_args(argv)
    result = WORKLOADS[args.workload](args)
    result["peak_rss_mb"] = peak_rss_mb()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
