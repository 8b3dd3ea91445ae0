"""The fault matrix: every operation against every fault of the local hub.

Each row of ``MATRIX`` is one (operation, fault) pair and its expected outcome:

* what the call does: returns (checked), raises (exception type and the server's message) or,
  for the command line, exits (code and message);
* what is on disk afterwards: which products are under their final names and which have a
  ``.incomplete`` file. Beyond that, *every* row checks that a file under a final name is the
  exact product and a partial file is a prefix of it (:func:`kit.assert_true_files`);
* what the hub saw (its request log): retries where retrying is right, none where not.

A new fault is an entry of ``FAULTS`` plus its rows; a new operation an entry of
``OPERATIONS`` plus its rows. ``test_matrix_is_complete`` makes sure no pair is forgotten.
"""

from __future__ import annotations

import os
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import click
import pytest
from click.testing import CliRunner
from kit import assert_true_files, hub_client, wait_until

from sentinelsat import InvalidChecksumError, SentinelAPI, SentinelAPIError, SentinelAPILTAError
from sentinelsat.scripts.cli import main

from .faultkit import value_requests, write_prefix

pytestmark = [pytest.mark.hub, pytest.mark.timeout(60)]

TIMEOUT = 0.1  # the client's timeout in the latency rows...
#: ...and the hub's latency, well beyond it: a thread of a loaded machine that starts reading
#: its answer late (scheduled out, or waiting for the GIL) must still find nothing there (at
#: 0.3 s, one run in CI read an answer it should have given up on).
LATENCY = 1.0


def quiet_error_seed(rate: float, draws: int = 80, most: int = 3) -> int:
    """A hub seed whose ``error_rate`` draws fail the very first request but no more than
    ``most`` requests overall: every operation then meets a 500 and, since urllib3 tries a
    request four times, always gets through, whatever order its threads draw in.
    (Mirrors the hub's seeded generator; the rows assert that the 500s really happened.)"""
    for seed in range(10_000):
        rng = random.Random(f"sentinelsat-hub-errors:{seed}")
        hits = [rng.random() < rate for _ in range(draws)]
        if hits[0] and sum(hits) <= most:
            return seed
    raise AssertionError("no seed found")  # pragma: no cover


# ---------------------------------------------------------------------------- the context
@dataclass
class Ctx:
    """One row's world: the hub, the products, the directory and the client's settings."""

    hub: Any
    directory: Any
    password: str
    timeout: float | None = None
    timers: list[threading.Timer] = field(default_factory=list)

    @property
    def target(self):
        """The product every fault is aimed at."""
        return self.hub.products[0]

    @property
    def batch(self) -> list:
        """The products of the batch operations: the target and three others."""
        return self.hub.products[:4]

    def role(self, name: str) -> list:
        return {"target": [self.target], "others": self.batch[1:], "all": self.batch, "none": []}[
            name
        ]

    def api(self) -> SentinelAPI:
        return hub_client(self.hub, self.password, timeout=self.timeout)


# ---------------------------------------------------------------------------- the faults
@dataclass(frozen=True)
class Fault:
    name: str
    setup: Callable[[Ctx], None]
    hub_knobs: dict[str, Any] = field(default_factory=dict)


def _latency(ctx: Ctx) -> None:
    ctx.timeout = TIMEOUT
    ctx.hub.faults.latency = LATENCY


def _hold_the_only_download_slot(ctx: Ctx) -> None:
    """Another client of the same user holds the only download slot for a moment."""
    hub = ctx.hub
    hub.faults.max_concurrent_downloads = 1
    hub.faults.bandwidth = 1_000_000  # the batch's downloads overlap
    assert hub.regulator.acquire(hub.user, 1)
    timer = threading.Timer(0.3, hub.regulator.release, args=(hub.user,))
    ctx.timers.append(timer)
    timer.start()


def _corrupt(ctx: Ctx) -> None:
    ctx.hub.faults.corrupt = [ctx.target.id]
    final = ctx.directory / ctx.target.download_name
    if final.exists():  # check_files: the corrupted byte is in the copy on disk
        data = bytearray(final.read_bytes())
        data[len(data) // 2] ^= 0x01
        final.write_bytes(bytes(data))


def _offline(ctx: Ctx) -> None:
    ctx.hub.faults.lta_delay = 600  # stays offline during the row
    ctx.hub.set_online(ctx.target.id, False)


def _quota(ctx: Ctx) -> None:
    ctx.hub.set_online(ctx.target.id, False)
    ctx.hub.faults.lta_quota = 0


def _wrong_password(ctx: Ctx) -> None:
    ctx.password = "not-the-password"


def _ignore_range(ctx: Ctx) -> None:
    ctx.hub.faults.ignore_range = True
    write_prefix(
        ctx.hub, ctx.target.id, ctx.directory, ctx.target.size // 2
    )  # an earlier, interrupted run


def _set(**knobs) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        for name, value in knobs.items():
            setattr(ctx.hub.faults, name, value)

    return setup


FAULTS = {
    f.name: f
    for f in [
        Fault("latency beyond timeout", _latency),
        Fault("random 500s", _set(error_rate=0.1), {"seed": quiet_error_seed(0.1)}),
        Fault("dropped connection", _set(drop_after=40_000)),
        Fault("range ignored", _ignore_range),
        Fault("corrupted byte", _corrupt),
        Fault("maintenance", _set(maintenance=True)),
        Fault("401", _wrong_password),
        Fault("403 quota", _quota),
        Fault("concurrent limit", _hold_the_only_download_slot),
        Fault("offline product", _offline),
    ]
}


# ---------------------------------------------------------------------------- the operations
def _check_files_prepare(ctx: Ctx) -> None:
    """check_files needs the products on disk: downloaded before the fault starts."""
    downloaded, _, _ = hub_client(ctx.hub).download_all(
        [p.id for p in ctx.batch], str(ctx.directory)
    )
    assert len(downloaded) == 4


def _cli(ctx: Ctx):
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:  # Click >= 8.2 keeps stderr apart anyway
        runner = CliRunner()
    args = [
        "-u",
        ctx.hub.user,
        "-p",
        ctx.password,
        "--url",
        ctx.hub.url,
        "-d",
        "--uuid",
        ",".join(p.id for p in ctx.batch),
        "--path",
        str(ctx.directory),
    ]
    return runner.invoke(console_script, args)


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def console_script(ctx: click.Context) -> None:
    """The installed ``sentinelsat`` command (errors on one line), for the test runner."""
    main(ctx.args)


@dataclass(frozen=True)
class Operation:
    name: str
    run: Callable[[Ctx], Any]
    prepare: Callable[[Ctx], None] | None = None
    writes: bool = True


OPERATIONS = {
    o.name: o
    for o in [
        Operation("query", lambda c: c.api().query(raw="*"), writes=False),
        Operation("count", lambda c: c.api().count(raw="*"), writes=False),
        Operation(
            "get_product_odata", lambda c: c.api().get_product_odata(c.target.id), writes=False
        ),
        Operation("download", lambda c: c.api().download(c.target.id, str(c.directory))),
        Operation(
            "download_all",
            lambda c: c.api().download_all(
                [p.id for p in c.batch], str(c.directory), max_attempts=3
            ),
        ),
        Operation(
            "check_files",
            lambda c: c.api().check_files(
                ids=[p.id for p in c.batch], directory=str(c.directory), delete=True
            ),
            prepare=_check_files_prepare,
        ),
        Operation("cli -d", _cli),
    ]
}


# ---------------------------------------------------------------------------- outcomes
Check = Callable[[Ctx, Any], None]


@dataclass(frozen=True)
class Outcome:
    kind: str  # "returns", "raises" or "exits"
    check: Check | None = None
    error: type[BaseException] | None = None
    code: int = 0
    fragments: tuple[str, ...] = ()


def returns(check: Check | None = None) -> Outcome:
    return Outcome("returns", check)


def raises(error: type[BaseException], *fragments: str) -> Outcome:
    return Outcome("raises", error=error, fragments=fragments)


def exits(code: int, *fragments: str, check: Check | None = None) -> Outcome:
    return Outcome("exits", check, code=code, fragments=fragments)


def cli_output(result) -> str:
    try:
        return result.stdout + result.stderr
    except ValueError:  # Click < 8.2 mixing both into stdout
        return result.stdout


def product_count(ctx: Ctx, result) -> None:
    assert result == len(ctx.hub.products)


def all_products(ctx: Ctx, result) -> None:
    assert sorted(result) == sorted(p.id for p in ctx.hub.products)


def odata_of_target(online: bool = True) -> Check:
    def check(ctx: Ctx, info) -> None:
        assert (info["id"], info["size"], info["Online"]) == (
            ctx.target.id,
            ctx.target.size,
            online,
        )

    return check


def downloaded_target(ctx: Ctx, info) -> None:
    assert info["path"] == str(ctx.directory / ctx.target.download_name)


def triggered_target(ctx: Ctx, info) -> None:
    # as in 0.13: where the file will be once the product is online again
    assert info["path"] == str(ctx.directory / (ctx.target.identifier + ".zip"))
    assert info["Online"] is False and not os.path.exists(info["path"])


def batch_result(downloaded: str, triggered: str = "none", failed: str = "none") -> Check:
    def check(ctx: Ctx, result) -> None:
        got = tuple(sorted(part) for part in result)
        want = tuple(sorted(p.id for p in ctx.role(r)) for r in (downloaded, triggered, failed))
        assert got == want

    return check


def corrupt_files(role: str) -> Check:
    def check(ctx: Ctx, result) -> None:
        want = {str(ctx.directory / p.download_name): [p.id] for p in ctx.role(role)}
        assert {path: [i["id"] for i in infos] for path, infos in result.items()} == want

    return check


def scenes(role: str) -> Check:
    """The CLI listed these products in corrupt_scenes.txt."""

    def check(ctx: Ctx, result) -> None:
        lines = (ctx.directory / "corrupt_scenes.txt").read_text().splitlines()
        assert lines == [f"{p.id} : {p.identifier}" for p in ctx.role(role)]

    return check


# ---------------------------------------------------------------------------- request log checks
def _key(r) -> tuple:
    return r.method, r.path, tuple(sorted(r.query.items())), tuple(sorted(r.form.items()))


def sent_each(times: int, requests: int = 1, at_least: int | None = None) -> Check:
    """``requests`` distinct requests, each sent ``times`` times (1: never retried).

    With ``at_least``, between ``at_least`` and ``requests`` distinct requests: check_files
    asks for its products' metadata in parallel and stops at the first failure, so the
    requests not yet started when it fails are never sent."""

    def check(ctx: Ctx, _) -> None:
        def counts() -> Counter:
            return Counter(_key(r) for r in ctx.hub.request_log)

        # requests that timed out on the client are logged once the hub has answered them
        wait_until(lambda: counts() and set(counts().values()) == {times}, timeout=15)
        found = counts()
        assert set(found.values()) == {times}, found
        assert (at_least or requests) <= len(found) <= requests, found

    return check


def errors_retried(status: int = 500) -> Check:
    """Some requests were answered ``status``; each was repeated until it succeeded."""

    def check(ctx: Ctx, _) -> None:
        log = ctx.hub.request_log
        failed = [i for i, r in enumerate(log) if r.status == status]
        assert failed, "the fault never happened"
        for i in failed:
            assert any(_key(r) == _key(log[i]) and r.status < 400 for r in log[i + 1 :]), log[i]

    return check


def no_errors(ctx: Ctx, _) -> None:
    assert [r for r in ctx.hub.request_log if r.status >= 400] == []


def resumed(role: str) -> Check:
    """Each product's body came in pieces, each request continuing where the last broke off."""

    def check(ctx: Ctx, _) -> None:
        for product in ctx.role(role):
            gets = [r for r in value_requests(ctx.hub, product.id) if r.status in (200, 206)]
            assert len(gets) > 1 and gets[-1].bytes_sent < 40_000 + 1
            offset = 0
            for r in gets:
                assert r.range == (f"bytes={offset}-" if offset else None)
                offset += r.bytes_sent
            assert offset == product.size

    return check


def restarted(ctx: Ctx, _) -> None:
    """The target's partial file was offered for resuming; the server sent everything."""
    [get] = value_requests(ctx.hub, ctx.target.id)
    assert (get.range, get.status, get.bytes_sent) == (
        f"bytes={ctx.target.size // 2}-",
        200,
        ctx.target.size,
    )


def value_sent(times: int, status: int, byte_range: str | None = None) -> Check:
    """The target's ``$value`` was asked for ``times`` times, answered ``status``."""

    def check(ctx: Ctx, _) -> None:
        gets = value_requests(ctx.hub, ctx.target.id)
        assert [(r.status, r.range) for r in gets] == [(status, byte_range)] * times

    return check


def waited_for_slot(role: str) -> Check:
    """Refused for the download limit, then each product transferred exactly once."""

    def check(ctx: Ctx, _) -> None:
        refused = [r for r in value_requests(ctx.hub) if r.status == 403]
        assert refused, "the limit was never hit"
        for product in ctx.role(role):
            assert [
                r.bytes_sent for r in value_requests(ctx.hub, product.id) if r.status == 200
            ] == [product.size]

    return check


# ---------------------------------------------------------------------------- the matrix
@dataclass(frozen=True)
class Row:
    operation: str
    fault: str
    outcome: Outcome
    final: str = "none"  # the products under their final names afterwards (a role)
    partial: str = "none"  # the products with a .incomplete file afterwards
    log: Check | None = None  # what the hub saw

    @property
    def id(self) -> str:
        return f"{self.operation} | {self.fault}"


SAE, LTA, BAD_MD5 = SentinelAPIError, SentinelAPILTAError, InvalidChecksumError
TIMED_OUT, MAINTENANCE, UNAUTHORIZED = "timed out", "will be back soon", "401 Unauthorized"
QUOTA = "quota exceeded"

MATRIX = [
    # ---- latency beyond the client's timeout: reported; GETs retried by urllib3 (3 tries)
    Row("query", "latency beyond timeout", raises(SAE, TIMED_OUT), log=sent_each(3)),
    Row("count", "latency beyond timeout", raises(SAE, TIMED_OUT), log=sent_each(3)),
    Row("get_product_odata", "latency beyond timeout", raises(SAE, TIMED_OUT), log=sent_each(3)),
    Row("download", "latency beyond timeout", raises(SAE, TIMED_OUT), log=sent_each(3)),
    Row("download_all", "latency beyond timeout", raises(SAE, TIMED_OUT), log=sent_each(3 * 3, 4)),
    Row(
        "check_files",
        "latency beyond timeout",
        raises(SAE, TIMED_OUT),
        "all",
        log=sent_each(3, 4, at_least=1),
    ),
    # the command line sets no timeout: a slow server is waited for
    Row("cli -d", "latency beyond timeout", exits(0, "Downloaded 4 of 4"), "all", log=no_errors),
    # ---- intermittent 500s: retried until they succeed
    Row("query", "random 500s", returns(all_products), log=errors_retried()),
    Row("count", "random 500s", returns(product_count), log=errors_retried()),
    Row("get_product_odata", "random 500s", returns(odata_of_target()), log=errors_retried()),
    Row("download", "random 500s", returns(downloaded_target), "target", log=errors_retried()),
    Row("download_all", "random 500s", returns(batch_result("all")), "all", log=errors_retried()),
    Row("check_files", "random 500s", returns(corrupt_files("none")), "all", log=errors_retried()),
    Row("cli -d", "random 500s", exits(0, "Downloaded 4 of 4"), "all", log=errors_retried()),
    # ---- the connection breaks every 40 kB of a body: resumed from the bytes received
    Row("query", "dropped connection", returns(all_products), log=no_errors),
    Row("count", "dropped connection", returns(product_count), log=no_errors),
    Row("get_product_odata", "dropped connection", returns(odata_of_target()), log=no_errors),
    Row(
        "download",
        "dropped connection",
        returns(downloaded_target),
        "target",
        log=resumed("target"),
    ),
    Row(
        "download_all",
        "dropped connection",
        returns(batch_result("all")),
        "all",
        log=resumed("all"),
    ),
    Row("check_files", "dropped connection", returns(corrupt_files("none")), "all", log=no_errors),
    Row("cli -d", "dropped connection", exits(0, "Downloaded 4 of 4"), "all", log=resumed("all")),
    # ---- a partial file exists and the server ignores Range: restarted, never appended
    Row("query", "range ignored", returns(all_products), partial="target", log=no_errors),
    Row("count", "range ignored", returns(product_count), partial="target", log=no_errors),
    Row(
        "get_product_odata",
        "range ignored",
        returns(odata_of_target()),
        partial="target",
        log=no_errors,
    ),
    Row("download", "range ignored", returns(downloaded_target), "target", log=restarted),
    Row("download_all", "range ignored", returns(batch_result("all")), "all", log=restarted),
    Row(
        "check_files",
        "range ignored",
        returns(corrupt_files("none")),
        "all",
        "target",
        log=no_errors,
    ),
    Row("cli -d", "range ignored", exits(0, "Downloaded 4 of 4"), "all", log=restarted),
    # ---- the server sends the target with one byte flipped (check_files: the copy on disk is)
    Row("query", "corrupted byte", returns(all_products), log=no_errors),
    Row("count", "corrupted byte", returns(product_count), log=no_errors),
    Row("get_product_odata", "corrupted byte", returns(odata_of_target()), log=no_errors),
    Row("download", "corrupted byte", raises(BAD_MD5, "does not match"), log=value_sent(1, 200)),
    Row(
        "download_all",
        "corrupted byte",
        returns(batch_result("others", failed="target")),
        "others",
        log=value_sent(3, 200),
    ),
    Row("check_files", "corrupted byte", returns(corrupt_files("target")), "others", log=no_errors),
    Row(
        "cli -d",
        "corrupted byte",
        exits(0, "1 of 4 products failed", check=scenes("target")),  # 0.13: some were fine
        "others",
        log=value_sent(10, 200),
    ),
    # ---- maintenance page (503): retried 3 times by urllib3, then the page's text is reported
    Row("query", "maintenance", raises(SAE, MAINTENANCE, "503"), log=sent_each(4)),
    Row("count", "maintenance", raises(SAE, MAINTENANCE, "503"), log=sent_each(4)),
    Row("get_product_odata", "maintenance", raises(SAE, MAINTENANCE, "503"), log=sent_each(4)),
    Row("download", "maintenance", raises(SAE, MAINTENANCE, "503"), log=sent_each(4)),
    Row("download_all", "maintenance", raises(SAE, MAINTENANCE, "503"), log=sent_each(4 * 3, 4)),
    Row(
        "check_files",
        "maintenance",
        raises(SAE, MAINTENANCE, "503"),
        "all",
        log=sent_each(4, 4, at_least=1),
    ),
    Row("cli -d", "maintenance", exits(1, MAINTENANCE), log=sent_each(4)),
    # ---- wrong password: reported with a hint, never retried
    Row(
        "query",
        "401",
        raises(SAE, UNAUTHORIZED, "Check the username and password"),
        log=sent_each(1),
    ),
    Row(
        "count",
        "401",
        raises(SAE, UNAUTHORIZED, "Check the username and password"),
        log=sent_each(1),
    ),
    Row("get_product_odata", "401", raises(SAE, UNAUTHORIZED), log=sent_each(1)),
    Row("download", "401", raises(SAE, UNAUTHORIZED), log=sent_each(1)),
    Row("download_all", "401", raises(SAE, UNAUTHORIZED), log=sent_each(1, 4)),
    Row("check_files", "401", raises(SAE, UNAUTHORIZED), "all", log=sent_each(1, 4, at_least=1)),
    Row(
        "cli -d", "401", exits(1, UNAUTHORIZED, "Check the username and password"), log=sent_each(1)
    ),
    # ---- the target is offline and the user's retrieval quota is exhausted: an LTA error, not retried
    Row("query", "403 quota", returns(all_products), log=no_errors),
    Row("count", "403 quota", returns(product_count), log=no_errors),
    Row("get_product_odata", "403 quota", returns(odata_of_target(online=False)), log=no_errors),
    Row("download", "403 quota", raises(LTA, QUOTA, "403"), log=value_sent(1, 403, None)),
    Row(
        "download_all",
        "403 quota",
        returns(batch_result("others", failed="target")),
        "others",
        log=value_sent(1, 403, None),
    ),
    Row("check_files", "403 quota", returns(corrupt_files("none")), "all", log=no_errors),
    Row(
        "cli -d",
        "403 quota",
        exits(0, "1 of 4 products failed", check=scenes("target")),  # 0.13: some were fine
        "others",
        log=value_sent(1, 403, None),
    ),
    # ---- another download of the user holds the only slot for a while: waited for, then finished
    Row("query", "concurrent limit", returns(all_products), log=no_errors),
    Row("count", "concurrent limit", returns(product_count), log=no_errors),
    Row("get_product_odata", "concurrent limit", returns(odata_of_target()), log=no_errors),
    Row(
        "download",
        "concurrent limit",
        returns(downloaded_target),
        "target",
        log=waited_for_slot("target"),
    ),
    Row(
        "download_all",
        "concurrent limit",
        returns(batch_result("all")),
        "all",
        log=waited_for_slot("all"),
    ),
    Row("check_files", "concurrent limit", returns(corrupt_files("none")), "all", log=no_errors),
    Row(
        "cli -d",
        "concurrent limit",
        exits(0, "Downloaded 4 of 4"),
        "all",
        log=waited_for_slot("all"),
    ),
    # ---- the target is in the long term archive: its retrieval is triggered (202), nothing written
    Row("query", "offline product", returns(all_products), log=no_errors),
    Row("count", "offline product", returns(product_count), log=no_errors),
    Row(
        "get_product_odata",
        "offline product",
        returns(odata_of_target(online=False)),
        log=no_errors,
    ),
    Row(
        "download",
        "offline product",
        returns(triggered_target),
        log=value_sent(1, 202, None),
    ),
    Row(
        "download_all",
        "offline product",
        returns(batch_result("others", triggered="target")),
        "others",
        log=value_sent(1, 202, None),
    ),
    Row("check_files", "offline product", returns(corrupt_files("none")), "all", log=no_errors),
    Row(
        "cli -d",
        "offline product",
        exits(0, "Downloaded 3 of 4", "1 products are offline"),
        "others",
        log=value_sent(1, 202, None),
    ),
]


def test_matrix_is_complete():
    pairs = Counter((row.operation, row.fault) for row in MATRIX)
    assert set(pairs) == {(o, f) for o in OPERATIONS for f in FAULTS}
    assert set(pairs.values()) == {1}


@pytest.fixture
def ctx(make_local_hub, tmp_path, monkeypatch, request):
    row: Row = request.param
    monkeypatch.setattr(SentinelAPI, "retry_backoff", 0)  # the command line's client too
    fault = FAULTS[row.fault]
    hub = make_local_hub(products=6, product_size=(60_000, 120_000), **fault.hub_knobs)
    context = Ctx(hub, tmp_path / "downloads", hub.password)
    yield context
    for timer in context.timers:
        timer.cancel()
        timer.join()


@pytest.mark.parametrize("ctx", MATRIX, ids=[row.id for row in MATRIX], indirect=True)
def test_fault(ctx: Ctx, request):
    row: Row = request.node.callspec.params["ctx"]
    operation = OPERATIONS[row.operation]
    if operation.prepare:
        operation.prepare(ctx)
    FAULTS[row.fault].setup(ctx)
    ctx.hub.clear_log()

    outcome = row.outcome
    if outcome.kind == "raises":
        with pytest.raises(outcome.error) as error:
            operation.run(ctx)
        # never a raw requests exception (InvalidChecksumError is a plain Exception, as in 0.13)
        assert isinstance(error.value, (SentinelAPIError, InvalidChecksumError))
        for fragment in outcome.fragments:
            assert fragment in str(error.value)
    else:
        result = operation.run(ctx)
        if outcome.kind == "exits":
            output = cli_output(result)
            assert result.exit_code == outcome.code, output
            assert "Traceback" not in output
            for fragment in outcome.fragments:
                assert fragment in output
        if outcome.check is not None:
            outcome.check(ctx, result)

    if operation.writes:
        on_disk = (
            assert_true_files(ctx.hub, ctx.directory)
            if ctx.directory.exists()
            else {"final": set(), "partial": set()}
        )
        assert sorted(on_disk["final"]) == sorted(p.id for p in ctx.role(row.final))
        assert sorted(on_disk["partial"]) == sorted(p.id for p in ctx.role(row.partial))
    else:
        partial = ctx.role(row.partial)
        assert not ctx.directory.exists() or list(ctx.directory.iterdir()) == [
            ctx.directory / (p.download_name + ".incomplete") for p in partial
        ]
    if row.log is not None:
        row.log(ctx, None)
