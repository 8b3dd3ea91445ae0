"""Benchmarks of sentinelsat against the local DHuS hub.

Usage::

    python bench/run.py            # the full run recorded in bench/RESULTS.md
    python bench/run.py --quick    # smaller sizes, under 3 minutes (CI)

Each workload runs in a fresh process against a hub started here with the workload's knobs.
The runner checks every result (same ids in the same order, every file's MD5) and prints one
table: wall time, throughput, peak RSS and the ratio to the workload's limit. It exits
non-zero if a result is wrong, never because something is slow.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from sentinelsat.testing import LocalHub  # noqa: E402

MiB = 1 << 20


@dataclass
class Row:
    """One line of the result table."""

    workload: str
    wall: float
    throughput: str
    peak_rss_mb: float
    limit: str
    ratio: float
    target: str
    met: bool
    errors: list[str] = field(default_factory=list)


def workload(name: str, *args: str) -> dict:
    """Run ``bench/workloads.py`` in a fresh process and return its JSON result."""
    command = [sys.executable, os.path.join(HERE, "workloads.py"), name, *args]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"workload {name} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout)


def file_md5(path: str) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(8 * MiB), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_files(hub: LocalHub, paths: dict) -> list[str]:
    errors = []
    for product in hub.products:
        path = paths.get(product.id)
        if path is None or not os.path.exists(path):
            errors.append(f"{product.identifier} was not downloaded")
        elif file_md5(path) != product.md5.lower():
            errors.append(f"{path} has the wrong MD5")
    return errors


def fresh_dir(base: str, name: str) -> str:
    path = os.path.join(base, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


# ---------------------------------------------------------------------------- workloads
def bench_query(quick: bool) -> Row:
    products, latency, concurrency, runs = 5000, 0.05, 4, 1 if quick else 5
    errors = []
    with LocalHub(products=products, latency=latency) as hub:
        expected = [product.id for product in hub.products]
        pairs, floors = [], []
        for _ in range(runs):
            ours = workload("query", "--url", hub.url, "--concurrency", str(concurrency))
            peer = workload("query", "--url", hub.url, "--client", "peer")
            floor = workload("query_transport", "--url", hub.url, "--size", str(products),
                             "--concurrency", str(concurrency))  # fmt: skip
            pairs.append((peer["wall"] / ours["wall"], ours, peer))
            floors.append(floor["wall"])
            if ours["ids"] != peer["ids"]:
                errors.append("ours and the peer model returned different ids or order")
            if sorted(ours["ids"]) != sorted(expected):
                errors.append(f"the query did not return the hub's {products} products")
    ratio, ours, peer = sorted(pairs, key=lambda pair: pair[0])[len(pairs) // 2]
    pages = -(-products // 100)
    bound = latency * (1 + -(-(pages - 1) // concurrency))
    return Row(
        f"QUERY {products} products (median of {runs})",
        ours["wall"],
        "{:.0f} products/s".format(products / ours["wall"]),
        ours["peak_rss_mb"],
        "peer model: {:.2f} s; round trips: {:.2f} s (x{:.2f}); answers alone: {:.2f} s "
        "(x{:.2f})".format(
            peer["wall"],
            bound,
            ours["wall"] / bound,
            statistics.median(floors),
            ours["wall"] / statistics.median(floors),
        ),
        ratio,
        ">= 4.0x peer, <= 1.1x bound",
        ratio >= 4.0 and ours["wall"] <= 1.1 * bound,
        errors,
    )


def bench_query_memory(quick: bool) -> Row:
    products = 5000 if quick else 50_000
    with LocalHub(products=products) as hub:
        result = workload("query_memory", "--url", hub.url)
    errors = [] if result["count"] == products else [f"{result['count']} of {products} found"]
    ratio = result["peak_mb"] / result["result_mb"]
    return Row(
        f"QUERY_MEMORY {products} products",
        result["wall"],
        "result {:.0f} MB".format(result["result_mb"]),
        result["peak_rss_mb"],
        "peak RSS +{:.0f} MB during the search, +{:.0f} MB after".format(
            result["peak_mb"], result["held_mb"]
        ),
        ratio,
        "peak < 2x result",
        ratio < 2.0,
        errors,
    )


def value_flows(hub: LocalHub) -> int:
    """The most ``$value`` transfers the hub served at once (from its request log)."""
    events = []
    for entry in hub.request_log:
        if entry.method == "GET" and entry.path.endswith("/$value") and entry.status in (200, 206):
            events += [(entry.time, 1), (entry.time + entry.duration, -1)]
    peak = current = 0
    for _, change in sorted(events, key=lambda event: (event[0], event[1])):
        current += change
        peak = max(peak, current)
    return peak


def refused_flows(hub: LocalHub) -> int:
    return sum(
        1 for entry in hub.request_log if entry.path.endswith("/$value") and entry.status == 403
    )


def bench_segmented(quick: bool, base: str) -> list[Row]:
    """One product over spare flows, and two products sharing them."""
    size, bandwidth, flows = (64 if quick else 256) * MiB, 40 * MiB, 4
    rows = []
    for count, client in ((1, "ours"), (1, "peer"), (2, "ours")):
        if quick and client == "peer":
            continue
        product_size = size if count == 1 else size // 2
        with LocalHub(
            products=count,
            product_size=product_size,
            bandwidth=bandwidth,
            max_concurrent_downloads=flows,
        ) as hub:
            for product in hub.products:
                _ = product.md5
            directory = fresh_dir(base, "segmented")
            ids = [p.id for p in hub.products]
            name = "download_one" if count == 1 else "download_many"
            result = workload(name, "--url", hub.url, "--dir", directory, "--ids", *ids,
                              "--client", client)  # fmt: skip
            errors = check_files(hub, result["paths"])
            held, refused = value_flows(hub), refused_flows(hub)
        if refused:
            errors.append(f"{refused} downloads refused for too many flows")
        if held > flows:
            errors.append(f"{held} flows held at once (limit {flows})")
        limit = count * product_size / (flows * bandwidth)
        ratio = result["wall"] / limit
        target = 1.1
        what = "peer model" if client == "peer" else f"{held} flows used"
        rows.append(
            Row(
                f"SEGMENTED {count} x {product_size // MiB} MiB, {flows} flows ({client})",
                result["wall"],
                f"{count * product_size / MiB / result['wall']:.0f} MiB/s",
                result["peak_rss_mb"],
                f"{flows} x 40 MiB/s: {limit:.2f} s; {what}",
                ratio,
                "-" if client == "peer" else f"<= {target} of limit, {flows} flows",
                client == "peer" or (ratio <= target and held == flows),
                errors,
            )
        )
    return rows


def bench_download_many(quick: bool, base: str) -> Row:
    count, size, bandwidth, flows = 8, (16 if quick else 64) * MiB, 40 * MiB, 4
    with LocalHub(
        products=count, product_size=size, bandwidth=bandwidth, max_concurrent_downloads=flows
    ) as hub:
        for product in hub.products:
            _ = product.md5  # computed once by the hub, before the clock starts
        directory = fresh_dir(base, "download_many")
        result = workload(
            "download_many",
            "--url",
            hub.url,
            "--dir",
            directory,
            "--ids",
            *[p.id for p in hub.products],
            "--concurrency",
            str(flows),
        )
        errors = check_files(hub, result["paths"]) + ["failed: {}".format(result["failed"])] * bool(
            result["failed"]
        )
        held = value_flows(hub)
        if held > flows:
            errors.append(f"{held} flows held at once (limit {flows})")
    limit = count * size / (flows * bandwidth)
    ratio = result["wall"] / limit
    return Row(
        f"DOWNLOAD_MANY {count} x {size // MiB} MiB",
        result["wall"],
        "{:.0f} MiB/s".format(count * size / MiB / result["wall"]),
        result["peak_rss_mb"],
        f"{flows} x 40 MiB/s: {limit:.2f} s",
        ratio,
        "<= 1.03 of limit",
        ratio <= 1.03,
        errors,
    )


def download_one(
    size: int, base: str, runs: int, client: str = "ours", limits: bool = False, **knobs
) -> list[dict]:
    """``runs`` downloads of one product of ``size`` bytes; with ``limits``, the MD5 and
    disk throughputs measured after each (same files, same disk)."""
    results = []
    with LocalHub(products=1, product_size=size, **knobs) as hub:
        product = hub.products[0]
        _ = product.md5
        for _ in range(runs):
            directory = fresh_dir(base, "download_one")
            result = workload("download_one", "--url", hub.url, "--dir", directory,
                              "--ids", product.id, "--client", client)  # fmt: skip
            result["errors"] = check_files(hub, result["paths"])
            if limits:
                result["md5_limit"] = workload("md5", "--path", result["paths"][product.id])
                os.remove(result["paths"][product.id])
                result["disk_limit"] = workload(
                    "disk_write", "--dir", directory, "--size", str(size)
                )
            results.append(result)
            shutil.rmtree(directory)
    return results


def bench_download_one(quick: bool, disk: str) -> list[Row]:
    """One large download with checksum, written to the real disk (``--disk-dir``)."""
    size = (256 if quick else 1024) * MiB
    runs = download_one(size, disk, 1 if quick else 3, limits=True)
    median = sorted(runs, key=lambda r: r["wall"])[len(runs) // 2]
    throughput = size / median["wall"]
    md5_throughput = statistics.median(size / r["md5_limit"]["wall"] for r in runs)
    disk_throughput = statistics.median(size / r["disk_limit"]["wall"] for r in runs)
    limit = min(md5_throughput, disk_throughput)
    ratio = throughput / limit
    return [
        Row(
            f"DOWNLOAD_ONE {size // MiB} MiB to {disk} (median of {len(runs)})",
            median["wall"],
            f"{throughput / MiB:.0f} MiB/s",
            median["peak_rss_mb"],
            f"md5: {md5_throughput / MiB:.0f} MiB/s; disk with fsync: "
            f"{disk_throughput / MiB:.0f} MiB/s",
            ratio,
            ">= 0.85 of min(md5, disk)",
            ratio >= 0.85,
            [error for r in runs for error in r["errors"]],
        )
    ]


def bench_memory(quick: bool, base: str) -> list[Row]:
    """Peak RSS of one download with checksum: ours (one connection, then segments) against
    the peer model, and ours for a product four times smaller (flat in the size)."""
    size = (256 if quick else 1024) * MiB
    runs = 1 if quick else 3
    ours = [r["peak_rss_mb"] for r in download_one(size, base, runs)]
    peer = [r["peak_rss_mb"] for r in download_one(size, base, runs, client="peer")]
    small = download_one(size // 4, base, 1)[0]
    segmented = download_one(size, base, 1, bandwidth=100 * MiB, max_concurrent_downloads=4)[0]
    errors = small["errors"] + segmented["errors"]
    ours_mb, peer_mb = statistics.median(ours), statistics.median(peer)
    bound = 1.1 * peer_mb
    growth = ours_mb - small["peak_rss_mb"]
    return [
        Row(
            f"MEMORY {size // MiB} MiB download (median of {runs})",
            0.0,
            f"{size // 4 // MiB} MiB: {small['peak_rss_mb']:.1f} MB",
            ours_mb,
            f"peer model: {peer_mb:.1f} MB; growth from {size // 4 // MiB} MiB: {growth:+.1f} MB",
            ours_mb / peer_mb,
            "<= 1.1x peer, growth < 2 MB",
            ours_mb <= bound and growth < 2,
            errors,
        ),
        Row(
            f"MEMORY {size // MiB} MiB segmented (4 flows)",
            segmented["wall"],
            f"{size / MiB / segmented['wall']:.0f} MiB/s",
            segmented["peak_rss_mb"],
            f"peer model: {peer_mb:.1f} MB",
            segmented["peak_rss_mb"] / peer_mb,
            "<= 1.1x peer",
            segmented["peak_rss_mb"] <= bound,
        ),
    ]


def bench_check_files(quick: bool, base: str) -> Row:
    count, size = 8, (16 if quick else 64) * MiB
    with LocalHub(products=count, product_size=size) as hub:
        directory = fresh_dir(base, "check_files")
        for product in hub.products:
            with open(os.path.join(directory, product.download_name), "wb") as f:
                for chunk in hub.product_bytes(product.id):
                    f.write(chunk)
        result = workload(
            "check_files",
            "--url",
            hub.url,
            "--dir",
            directory,
            "--ids",
            *[p.id for p in hub.products],
        )
        single = workload("md5", "--path", os.path.join(directory, hub.products[0].download_name))
    errors = ["reported corrupt: {}".format(result["corrupt"])] if result["corrupt"] else []
    one_core = size / single["wall"]
    throughput = count * size / result["wall"]
    cores = os.cpu_count() or 1
    return Row(
        f"CHECK_FILES {count} x {size // MiB} MiB",
        result["wall"],
        f"{throughput / MiB:.0f} MiB/s",
        result["peak_rss_mb"],
        f"1 core md5: {one_core / MiB:.0f} MiB/s ({cores} cores)",
        throughput / one_core,
        "> 1 with cores > 1",
        cores == 1 or throughput / one_core > 1.0,
        errors,
    )


def timed_runs(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_startup(quick: bool) -> Row:
    runs = 5 if quick else 15
    # the console script pip installed beside this interpreter (not a shim found on PATH,
    # which would add its own start-up time)
    script = os.path.join(os.path.dirname(sys.executable), "sentinelsat")
    command = (
        [script, "--help"]
        if os.path.exists(script)
        else [sys.executable, "-m", "sentinelsat", "--help"]
    )
    baseline = timed_runs([sys.executable, "-c", "import requests, click"], runs)
    helped = timed_runs(command, runs)
    output = subprocess.run(command, capture_output=True, text=True).stdout
    errors = [] if "--download" in output else ["sentinelsat --help printed no option list"]
    ratio = helped / baseline
    return Row(
        f"STARTUP sentinelsat --help (median of {runs})",
        helped,
        "-",
        0.0,
        f"import requests, click: {baseline:.3f} s",
        ratio,
        "<= 1.3",
        ratio <= 1.3,
        errors,
    )


# ---------------------------------------------------------------------------- report
def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = f"{len(names)} x {names[0]}" if names else cpu
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            memory = f"{int(f.readline().split()[1]) / 2**20:.0f} GiB RAM"
    except OSError:
        memory = "unknown RAM"
    return f"{cpu}; {memory}; Python {platform.python_version()}; {platform.platform()}"


def load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def table(rows: list[Row]) -> str:
    lines = [
        "| workload | wall (s) | throughput | peak RSS (MB) | limit | ratio | target | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            "| {} | {:.2f} | {} | {:.0f} | {} | {:.2f} | {} | {} |".format(
                row.workload,
                row.wall,
                row.throughput,
                row.peak_rss_mb,
                row.limit,
                row.ratio,
                row.target,
                "yes" if row.met else "NO",
            )
        )
    return "\n".join(lines)


def default_directory() -> str:
    """Downloads go to a RAM-backed directory when there is one: the targets compare the
    client with the network and MD5 limits, not with this machine's disk."""
    return (
        "/dev/shm"
        if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK)
        else tempfile.gettempdir()
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes, for CI (under 3 minutes)"
    )
    parser.add_argument("--dir", default=default_directory(), help="where downloads are written")
    parser.add_argument(
        "--disk-dir",
        default=tempfile.gettempdir(),
        help="a directory on the real disk, for the DOWNLOAD_ONE workload",
    )
    parser.add_argument(
        "--only",
        nargs="*",
        help="run only these workloads (query, querymem, segmented, many, one, memory, check, "
        "startup)",
    )
    args = parser.parse_args(argv)
    base = tempfile.mkdtemp(prefix="sentinelsat-bench-", dir=args.dir)
    disk = tempfile.mkdtemp(prefix="sentinelsat-bench-", dir=args.disk_dir)
    everything = ["query", "querymem", "segmented", "many", "one", "memory", "check", "startup"]
    selected = set(args.only or everything)
    rows: list[Row] = []
    load_before = load_average()
    started = time.perf_counter()
    try:
        if "query" in selected:
            rows.append(bench_query(args.quick))
        if "querymem" in selected:
            rows.append(bench_query_memory(args.quick))
        if "segmented" in selected:
            rows.extend(bench_segmented(args.quick, base))
        if "many" in selected:
            rows.append(bench_download_many(args.quick, base))
        if "one" in selected:
            rows.extend(bench_download_one(args.quick, disk))
        if "memory" in selected:
            rows.extend(bench_memory(args.quick, base))
        if "check" in selected:
            rows.append(bench_check_files(args.quick, base))
        if "startup" in selected:
            rows.append(bench_startup(args.quick))
    finally:
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(disk, ignore_errors=True)
    print("Machine: " + machine())
    print(f"Downloads written to: {args.dir} (DOWNLOAD_ONE: {args.disk_dir})")
    print(f"Load average before / after: {load_before} / {load_average()}")
    print(table(rows))
    print(f"Total time: {time.perf_counter() - started:.0f} s")
    errors = [(row.workload, error) for row in rows for error in row.errors]
    for name, error in errors:
        print(f"WRONG RESULT in {name}: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
