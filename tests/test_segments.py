"""Segmented downloads against the local hub: a product over the spare flows, the flow limit,
the hub's faults (drops, ignored ranges, corruption, the concurrent-download limit), resume
after an interruption with the segments kept, and the parts (ranges, pieces, the flow budget,
hashing behind the writers).

The segment sizes are lowered (``small_segments``) so that products of a few MiB are cut into
several pieces; the hub's ``bandwidth`` makes the connections overlap.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from kit import wait_until

from sentinelsat import InvalidChecksumError, SentinelAPI
from sentinelsat import segments as segments_module
from sentinelsat.flows import FlowBudget
from sentinelsat.prefix import PrefixFollower, WriteBehind
from sentinelsat.ranges import RangeSet, load_state, save_state, state_path
from sentinelsat.segments import Pieces
from sentinelsat.testing import LocalHub

pytestmark = [pytest.mark.hub, pytest.mark.timeout(120)]

KiB, MiB = 1 << 10, 1 << 20
REPO = pathlib.Path(__file__).resolve().parent.parent


class FastAPI(SentinelAPI):
    retry_backoff = 0


@pytest.fixture
def small_segments(monkeypatch):
    monkeypatch.setattr(segments_module, "MIN_PIECE", 64 * KiB)
    monkeypatch.setattr(segments_module, "MAX_PIECE", 512 * KiB)
    monkeypatch.setattr(segments_module, "MIN_SEGMENTED", 256 * KiB)
    monkeypatch.setattr(segments_module, "STATE_INTERVAL", 0.0)


def client(hub) -> SentinelAPI:
    return FastAPI(hub.user, hub.password, hub.url, show_progressbars=False)


def value_gets(hub, product=None) -> list:
    return [
        r
        for r in hub.request_log
        if r.method == "GET"
        and r.path.endswith("/$value")
        and (product is None or f"('{product.id}')" in r.path)
    ]


def most_flows_at_once(hub) -> int:
    """The most ``$value`` answers the hub was sending at the same time."""
    events = []
    for r in value_gets(hub):
        if r.status in (200, 206):
            events += [(r.time, 1), (r.time + r.duration, -1)]
    peak = current = 0
    for _, change in sorted(events):
        current += change
        peak = max(peak, current)
    return peak


def true_bytes(hub, product) -> bytes:
    return b"".join(hub.product_bytes(product.id))


def assert_verified(hub, directory, products) -> None:
    """Each product under its final name, exact; no partial or state file left."""
    for product in products:
        data = (pathlib.Path(directory) / product.download_name).read_bytes()
        assert hashlib.md5(data).hexdigest() == product.md5.lower()
        assert data == true_bytes(hub, product)
    leftovers = [name for name in os.listdir(directory) if "incomplete" in name]
    assert leftovers == []


# ---------------------------------------------------------------------------- the flows
def test_one_product_uses_every_flow(small_segments, tmp_path):
    with LocalHub(products=1, product_size=3 * MiB, bandwidth=3 * MiB) as hub:
        product = hub.products[0]
        info = client(hub).download(product.id, str(tmp_path))
        assert info["path"] == str(tmp_path / product.download_name)
        assert info["downloaded_bytes"] == product.size
        gets = value_gets(hub)
        assert most_flows_at_once(hub) == 4
        assert all(r.status == 206 and r.range for r in gets)
        assert sum(r.bytes_sent for r in gets) == product.size  # every byte fetched once
        assert_verified(hub, tmp_path, [product])


def test_two_products_share_the_flows(small_segments, tmp_path):
    with LocalHub(products=2, product_size=2 * MiB, bandwidth=2 * MiB) as hub:
        downloaded, triggered, failed = client(hub).download_all(
            [p.id for p in hub.products], str(tmp_path)
        )
        assert (len(downloaded), triggered, set(failed)) == (2, {}, set())
        assert most_flows_at_once(hub) == 4
        for product in hub.products:  # each got its share: its own flow and a borrowed one
            assert len(value_gets(hub, product)) >= 2
        assert_verified(hub, tmp_path, hub.products)


def test_eight_products_never_exceed_the_limit(small_segments, tmp_path):
    with LocalHub(
        products=8, product_size=1 * MiB, bandwidth=4 * MiB, max_concurrent_downloads=8
    ) as hub:
        downloaded, _, failed = client(hub).download_all(
            [p.id for p in hub.products], str(tmp_path)
        )
        assert len(downloaded) == 8 and not failed
        assert most_flows_at_once(hub) <= 4
        assert_verified(hub, tmp_path, hub.products)


def test_server_limit_below_ours_shrinks_the_flows(small_segments, tmp_path):
    """The hub allows 2 flows, the client believes 4: the refused segment connections lower
    the client's limit and the product still arrives whole."""
    with LocalHub(
        products=1, product_size=2 * MiB, bandwidth=2 * MiB, max_concurrent_downloads=2
    ) as hub:
        product = hub.products[0]
        client(hub).download(product.id, str(tmp_path))
        assert any(r.status == 403 for r in value_gets(hub))
        assert most_flows_at_once(hub) <= 2
        assert_verified(hub, tmp_path, [product])


# ---------------------------------------------------------------------------- the faults
def test_dropped_connections_resume_each_segment(small_segments, tmp_path):
    with LocalHub(products=1, product_size=2 * MiB, bandwidth=4 * MiB, drop_after=200 * KiB) as hub:
        product = hub.products[0]
        client(hub).download(product.id, str(tmp_path))
        gets = value_gets(hub)
        assert any(r.dropped for r in gets)
        # nothing received is fetched again: the bytes sent add up to the product
        assert sum(r.bytes_sent for r in gets) == product.size
        assert_verified(hub, tmp_path, [product])


def test_ignored_range_falls_back_to_one_connection(small_segments, tmp_path):
    with LocalHub(products=1, product_size=1 * MiB, ignore_range=True) as hub:
        product = hub.products[0]
        client(hub).download(product.id, str(tmp_path))
        assert [r.status for r in value_gets(hub)][-1] == 200
        assert_verified(hub, tmp_path, [product])


def test_corrupt_segmented_download_leaves_nothing(small_segments, tmp_path):
    with LocalHub(products=1, product_size=2 * MiB, bandwidth=4 * MiB, corrupt=True) as hub:
        product = hub.products[0]
        with pytest.raises(InvalidChecksumError):
            client(hub).download(product.id, str(tmp_path))
        assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------- resume
def test_interrupted_download_keeps_its_segments(small_segments, tmp_path):
    """Ctrl-C in the middle: the partial file has holes, its state file says which ranges
    are complete, and the next run fetches only the others."""
    with LocalHub(products=1, product_size=4 * MiB, bandwidth=1 * MiB) as hub:
        product = hub.products[0]
        api = client(hub)
        partial = tmp_path / (product.download_name + ".incomplete")

        def interrupt_when_half_done() -> None:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                state = load_state(str(partial), product.size, product.size)
                if state is not None and state.total() >= product.size // 2:
                    break
                time.sleep(0.01)
            os.kill(os.getpid(), signal.SIGINT)  # a real signal: it interrupts any wait

        watcher = threading.Thread(target=interrupt_when_half_done)
        watcher.start()
        with pytest.raises(KeyboardInterrupt):
            api.download(product.id, str(tmp_path))
        watcher.join()
        state = load_state(str(partial), product.size, os.path.getsize(partial))
        assert state is not None and 0 < state.total() < product.size
        data = partial.read_bytes()
        truth = true_bytes(hub, product)
        for start, end in state.ranges:  # every recorded range holds the product's bytes
            assert data[start:end] == truth[start:end]

        hub.clear_log()
        info = api.download(product.id, str(tmp_path))
        fetched = sum(r.bytes_sent for r in value_gets(hub) if r.status == 206)
        assert fetched == product.size - state.total() == info["downloaded_bytes"]
        assert_verified(hub, tmp_path, [product])


def test_killed_process_resumes_from_its_segments(small_segments, tmp_path):
    with LocalHub(products=1, product_size=4 * MiB, bandwidth=2 * MiB) as hub:
        product = hub.products[0]
        script = textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(REPO)!r})
            from sentinelsat import SentinelAPI, segments
            segments.MIN_PIECE, segments.MAX_PIECE = 64 * 1024, 512 * 1024
            segments.MIN_SEGMENTED, segments.STATE_INTERVAL = 256 * 1024, 0.0
            api = SentinelAPI({hub.user!r}, {hub.password!r}, {hub.url!r},
                              show_progressbars=False)
            api.download({product.id!r}, {str(tmp_path)!r})
            """
        )
        child = subprocess.Popen([sys.executable, "-c", script])
        partial = tmp_path / (product.download_name + ".incomplete")
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                state = load_state(str(partial), product.size, product.size)
                if state is not None and state.total() >= MiB:
                    break
                time.sleep(0.01)
        finally:
            child.kill()
            child.wait()
        state = load_state(str(partial), product.size, os.path.getsize(partial))
        assert state is not None and state.total() >= MiB
        hub.clear_log()
        client(hub).download(product.id, str(tmp_path))
        fetched = sum(r.bytes_sent for r in value_gets(hub) if r.status == 206)
        assert fetched <= product.size - state.total()
        assert_verified(hub, tmp_path, [product])


def test_partial_file_of_an_older_version_resumes(small_segments, tmp_path):
    """A partial file without a state file is a contiguous prefix (as every version before
    segments wrote it): the rest is fetched, in segments."""
    with LocalHub(products=1, product_size=2 * MiB, bandwidth=4 * MiB) as hub:
        product = hub.products[0]
        prefix = 700 * KiB + 3
        partial = tmp_path / (product.download_name + ".incomplete")
        partial.write_bytes(true_bytes(hub, product)[:prefix])
        client(hub).download(product.id, str(tmp_path))
        gets = value_gets(hub)
        assert min(int(r.range.split("=")[1].split("-")[0]) for r in gets) == prefix
        assert sum(r.bytes_sent for r in gets) == product.size - prefix
        assert_verified(hub, tmp_path, [product])


def test_unreadable_state_counts_nothing_beyond_the_prefix(small_segments, tmp_path):
    with LocalHub(products=1, product_size=1 * MiB) as hub:
        product = hub.products[0]
        partial = tmp_path / (product.download_name + ".incomplete")
        partial.write_bytes(b"\0" * product.size)  # holes only, and a broken record
        pathlib.Path(state_path(str(partial))).write_text("{not json")
        client(hub).download(product.id, str(tmp_path))
        assert_verified(hub, tmp_path, [product])


# ---------------------------------------------------------------------------- the parts
def test_range_set_merges_and_reports_gaps():
    ranges = RangeSet([(10, 20), (0, 5), (5, 8), (19, 30)])
    assert ranges.ranges == [(0, 8), (10, 30)]
    assert (ranges.prefix(), ranges.total()) == (8, 28)
    assert ranges.missing(40) == [(8, 10), (30, 40)]
    assert not ranges.covers(30) and RangeSet([(0, 30)]).covers(30)


def test_state_file_round_trip_and_atomic_name(tmp_path):
    partial = str(tmp_path / "x.zip.incomplete")
    save_state(partial, 100, RangeSet([(0, 10), (50, 60)]))
    assert json.loads(pathlib.Path(state_path(partial)).read_text())["size"] == 100
    assert load_state(partial, 100, 55).ranges == [(0, 10), (50, 55)]  # cut at the file's end
    assert load_state(partial, 99, 100).ranges == []  # recorded for another size
    assert os.listdir(tmp_path) == ["x.zip.incomplete-segments"]


def test_pieces_shrink_towards_the_end_and_cover_everything():
    pieces = Pieces([(0, 100 * MiB)], min_piece=MiB, max_piece=16 * MiB)
    taken = []
    while (piece := pieces.take(4)) is not None:
        taken.append(piece)
    sizes = [end - start for start, end in taken]
    assert sizes[0] == 100 * MiB // 8  # what is left over twice the connections
    assert min(sizes[:-1]) >= MiB and sizes[:-1] == sorted(sizes[:-1], reverse=True)
    assert RangeSet(taken).ranges == [(0, 100 * MiB)]
    pieces.give_back(5, 9)
    assert pieces.take(4) == (5, 9)


def test_flow_budget_shares_and_takes_back():
    budget = FlowBudget(4)
    first = budget.acquire()
    lent = [first.borrow() for _ in range(4)]
    assert sum(lease is not None for lease in lent) == 3 and budget.in_use == 4
    second_started = threading.Event()

    def second_product() -> None:
        budget.acquire()
        second_started.set()

    thread = threading.Thread(target=second_product)
    thread.start()
    time.sleep(0.1)
    assert not second_started.is_set()  # waits for a flow...
    assert all(lease.should_return() for lease in lent if lease is not None)
    lent[0].release()  # ...given back between two segments
    thread.join(5)
    assert second_started.is_set() and budget.in_use == 4 and budget.peak == 4
    assert budget.share() == 2 and lent[1].should_return()
    first.refused()
    assert budget.limit == 3


def test_prefix_follower_hashes_in_order_from_the_file(tmp_path):
    data = os.urandom(3 * MiB + 123)
    path = tmp_path / "f"
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        digest = hashlib.md5(data[:1000])
        follower = PrefixFollower(fd, digest, 1000, WriteBehind(fd))
        os.pwrite(fd, data[:1000], 0)
        os.pwrite(fd, data[2 * MiB :], 2 * MiB)  # ahead of the prefix
        os.pwrite(fd, data[1000 : 2 * MiB], 1000)
        follower.advance(2 * MiB)
        assert follower.finish(len(data)) == hashlib.md5(data).hexdigest()
    finally:
        os.close(fd)


class SlowDigest:
    """An MD5 that takes its time, so that a writer outruns it."""

    def __init__(self) -> None:
        self.md5 = hashlib.md5()

    def update(self, data) -> None:
        time.sleep(0.002)
        self.md5.update(data)

    def hexdigest(self) -> str:
        return self.md5.hexdigest()


def test_an_in_order_writer_faster_than_the_hash_is_hashed_from_memory(tmp_path):
    """The chunks of one connection wait for room in the bounded buffer rather than being
    read back: the file holds other bytes than those offered, and the digest is still that of
    the offered ones (a read of the file would have changed it)."""
    chunks = [os.urandom(64 << 10) for _ in range(128)]  # 8 MiB, four times the buffer
    path = tmp_path / "f"
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        os.pwrite(fd, bytes(8 * MiB), 0)  # zeros where the chunks "were written"
        follower = PrefixFollower(fd, SlowDigest(), 0)
        offset = 0
        for chunk in chunks:
            follower.offer(offset, chunk)
            offset += len(chunk)
            follower.advance(offset)
        assert follower.finish(offset) == hashlib.md5(b"".join(chunks)).hexdigest()
    finally:
        os.close(fd)


def test_a_chunk_ahead_of_the_prefix_never_waits_for_the_hash(tmp_path):
    """A segment ahead of the prefix fills the buffer and goes on at once: its bytes are
    read back from the file once the prefix reaches them."""
    data = os.urandom(2 * MiB)
    path = tmp_path / "f"
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        os.pwrite(fd, data, 0)
        follower = PrefixFollower(fd, hashlib.md5(), 0)
        done = threading.Event()

        def ahead_writer() -> None:
            for offset in range(MiB, 2 * MiB, 64 << 10):  # twice the buffer, never advanced
                follower.offer(offset, data[offset : offset + (64 << 10)])
            done.set()

        writer = threading.Thread(target=ahead_writer)
        writer.start()
        assert done.wait(10), "a writer ahead of the prefix waited for the hash"
        writer.join()
        assert follower.finish(len(data)) == hashlib.md5(data).hexdigest()
    finally:
        os.close(fd)


def test_write_behind_makes_the_data_durable_while_it_is_written(tmp_path, monkeypatch):
    """The data reaches the disk (``fdatasync``) every few MiB while the writer goes on, so
    the final ``fsync`` has little left: here with steps of 1 MiB over 8 MiB."""
    from sentinelsat import prefix

    monkeypatch.setattr(prefix, "FLUSH_STEP", 256 << 10)
    monkeypatch.setattr(prefix, "SYNC_STEP", 1 << 20)
    synced = []
    monkeypatch.setattr(prefix, "_datasync", lambda fd: synced.append(os.fstat(fd).st_size))
    fd = os.open(tmp_path / "f", os.O_RDWR | os.O_CREAT)
    try:
        behind = WriteBehind(fd)
        block = os.urandom(256 << 10)
        for offset in range(0, 8 * MiB, len(block)):
            os.pwrite(fd, block, offset)
            behind.follow(offset + len(block))
            time.sleep(0.002)  # the flush thread keeps up with a writer of this pace
        assert wait_until(lambda: len(synced) >= 6, timeout=10)
        behind.close()
    finally:
        os.close(fd)
    assert synced == sorted(synced) and synced[0] < 4 * MiB  # during the writes, in order


def write_segment(fd, data, follower, complete, lock, start, end, rng) -> None:
    """Write ``data[start:end]`` as a segment's connection does: chunks of varied sizes,
    each offered to the follower, the completed bytes recorded every 256 KiB."""
    position = recorded = start
    while position < end:
        chunk = data[position : min(end, position + rng.choice((4096, 40000, 65536)))]
        os.pwrite(fd, chunk, position)
        follower.offer(position, chunk)
        position += len(chunk)
        if position - recorded >= 256 << 10 or position == end:
            with lock:
                complete.add(recorded, position)
                prefix = complete.prefix()
            follower.advance(prefix)
            recorded = position


def test_writers_of_segments_and_the_hash_never_wait_for_each_other_for_good(tmp_path):
    """Four writers at their offsets with a hash faster or slower than them (seeded runs):
    everything is hashed, in order, and no writer is left waiting for room in the buffer."""
    import random

    size, writers = 24 * MiB, 4
    data = os.urandom(size)
    bounds = [size * i // writers for i in range(writers + 1)]
    for seed in range(6):
        fd = os.open(tmp_path / f"f{seed}", os.O_RDWR | os.O_CREAT)
        try:
            rng = random.Random(seed)
            follower = PrefixFollower(fd, SlowDigest() if seed % 2 else hashlib.md5(), 0)
            follower.writers_share()
            complete, lock = RangeSet(), threading.Lock()
            threads = [
                threading.Thread(
                    target=write_segment,
                    args=(fd, data, follower, complete, lock, a, b, random.Random(rng.random())),
                )
                for a, b in zip(bounds, bounds[1:])
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert not any(thread.is_alive() for thread in threads), f"seed {seed}: a writer hangs"
            assert follower.finish(size) == hashlib.md5(data).hexdigest()
        finally:
            os.close(fd)
