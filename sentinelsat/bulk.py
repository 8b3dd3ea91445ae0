"""Downloading products: concurrency, retries and the server's download limits.

:class:`Batch` holds the settings of a batch; each :meth:`Batch.run` works on a fresh
:class:`_Run` (its workers, metadata prefetches, cancel event), so a batch can be run again.
``SentinelAPI.download()`` is a batch of one product with one attempt: the same policy for
the server's download limit (wait for a slot) as ``download_all()``.

Options of sentinelsat 1.x, all off by default: a node filter (only some files of each
product, :mod:`sentinelsat.partial`), ``fail_fast`` (the first failure stops the batch and is
raised), a fixed pause between attempts, and waiting for offline products
(:mod:`sentinelsat.lta`): they are then downloaded as soon as the archive brings them online,
while the other products keep transferring.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .download import ProductDownload
from .exceptions import (
    Cancelled,
    InvalidChecksumError,
    SentinelAPIError,
    SentinelAPILTAError,
    ServerLimitError,
)
from .flows import FlowBudget, ProductFlows, SharedFlows, SharedProductFlows
from .log import logger
from .lta import ArchiveRetrievals, ArchiveWait
from .partial import PartialDownload
from .products import NodeFilter, with_values
from .results import FailedProducts, ResultTuple
from .sessions import Connection

if TYPE_CHECKING:  # pragma: no cover
    from .backends import Backend

Info = dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """How a product's download ended."""

    kind: str  # "downloaded", "triggered", "failed"; internally also "offline" and "raise"
    info: Info
    error: BaseException | None = None


def unique_ids(products: Iterable[Any]) -> list[str]:
    """Product ids from a ``query()`` result, a list, a pandas index...; duplicates removed."""
    if isinstance(products, str):
        products = [products]
    return [str(product_id) for product_id in dict.fromkeys(products)]


def is_permanent(error: SentinelAPIError | InvalidChecksumError) -> bool:
    """Errors a retry cannot fix: refused LTA requests and client errors (unknown id, 401)."""
    if isinstance(error, SentinelAPILTAError):
        return True
    status = getattr(getattr(error, "response", None), "status_code", None)
    return status is not None and 400 <= status < 500 and status not in (408, 429)


class Batch:
    """Downloads a list of products with a pool of workers.

    Parameters
    ----------
    connection : Connection
    backend : Backend
    directory : str
    max_attempts : int
        Attempts per product before it is given up.
    checksum : bool
    n_concurrent_dl : int
        Downloads running at the same time.
    nodefilter : callable, optional
        Download only the files of each product that it selects (``node_info -> bool``).
    fail_fast : bool, optional
        Stop the batch at the first product that fails, and raise its error.
    retry_delay : float, optional
        Seconds between the attempts of a product; by default a short growing pause (and none
        after a corrupt download).
    archive_wait : ArchiveWait, optional
        Wait for the offline products and download them once online; by default their
        retrieval is triggered and they are reported as triggered (sentinelsat 0.13).
    describe : callable, optional
        Applied to each product's info from the backend (e.g. to add 1.x's keys).
    flow_limit : int, optional
        Connections to the server's downloads the batch holds at once (the user's
        ``concurrent_dl_limit``; ``n_concurrent_dl`` by default). Each product in flight
        holds one; the spare ones fetch segments of large products (:mod:`sentinelsat.flows`).
    flows : SharedFlows, optional
        Flows counted elsewhere (by a semaphore several processes share) instead of by the
        batch.
    """

    #: Longest total time a product waits for a free download slot on the server.
    max_limit_wait = 3600.0

    def __init__(
        self,
        connection: Connection,
        backend: Backend,
        directory: str,
        max_attempts: int,
        checksum: bool,
        n_concurrent_dl: int,
        *,
        nodefilter: NodeFilter | None = None,
        fail_fast: bool = False,
        retry_delay: float | None = None,
        archive_wait: ArchiveWait | None = None,
        describe: Callable[[Info], Info] | None = None,
        flow_limit: int | None = None,
        flows: SharedFlows | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts!r}")
        if n_concurrent_dl < 1:
            raise ValueError(f"n_concurrent_dl must be at least 1, got {n_concurrent_dl!r}")
        self.connection = connection
        self.backend = backend
        self.directory = directory
        self.max_attempts = max_attempts
        self.checksum = checksum
        self.n_concurrent_dl = n_concurrent_dl
        self.nodefilter = nodefilter
        self.fail_fast = fail_fast
        self.retry_delay = retry_delay
        self.archive_wait = archive_wait
        self.describe = describe
        self.flow_limit = max(n_concurrent_dl, flow_limit or 0)
        self.flows = flows

    def run(self, ids: list[str]) -> ResultTuple:
        """Download every product; return ``(downloaded, retrieval_triggered, failed)``.

        Raises
        ------
        SentinelAPIError or InvalidChecksumError
            The last error, if every product failed; with ``fail_fast``, the first one.
        OSError
            A local file could not be written (e.g. disk full); the batch stops.
        KeyboardInterrupt
            The batch stops at once; partial downloads are kept for the next run.
        """
        outcomes = _Run(self, ids).outcomes()
        return summarise(ids, outcomes)

    def download_one(self, product_id: str) -> Info:
        """Download one product (a batch of one); return its info with ``path``.

        Raises
        ------
        SentinelAPIError or InvalidChecksumError
            The product could not be downloaded.
        """
        return self.download_one_outcome(product_id).info

    def download_one_outcome(self, product_id: str) -> Outcome:
        """Download one product; return how it ended (``"downloaded"`` or ``"triggered"``).

        Raises
        ------
        SentinelAPIError or InvalidChecksumError
            The product could not be downloaded.
        """
        outcome = _Run(self, [product_id]).outcomes()[product_id]
        if outcome.error is not None:
            raise outcome.error
        return outcome

    def outcomes(self, ids: list[str]) -> dict[str, Outcome]:
        """How the download of each product ended (nothing raised for a failed product,
        except with ``fail_fast``)."""
        return _Run(self, ids).outcomes()


class _Run:
    """The state of one run of a :class:`Batch`."""

    def __init__(self, batch: Batch, ids: list[str]) -> None:
        self.batch = batch
        self.ids = ids
        self.index = {product_id: index for index, product_id in enumerate(ids)}
        self.backoff = batch.connection.backoff  # read once for the whole run
        self.started = time.monotonic()
        self.cancel = threading.Event()
        self.slot_freed = threading.Condition()
        self.metadata: dict[int, Future[Info]] = {}
        self.metadata_lock = threading.Lock()
        self.metadata_pool = ThreadPoolExecutor(2, thread_name_prefix="sentinelsat-metadata")
        self.finished: queue.Queue[tuple[str, Outcome]] = queue.Queue()
        self.flows: FlowBudget | SharedFlows = batch.flows or FlowBudget(batch.flow_limit)
        self.pool: ThreadPoolExecutor | None = None
        self.archive: ArchiveRetrievals | None = None
        if batch.archive_wait is not None:
            self.archive = ArchiveRetrievals(
                batch.connection,
                batch.backend,
                batch.archive_wait,
                self.started,
                self._submit_online,
                self._archive_failed,
                self.cancel,
            )

    def outcomes(self) -> dict[str, Outcome]:
        batch = self.batch
        outcomes: dict[str, Outcome] = {}
        if len(self.ids) > 1:
            logger.info(
                "Will download %d products (%d at a time)",
                len(self.ids),
                min(len(self.ids), batch.n_concurrent_dl),
            )
        if not batch.connection.quiet:
            _create_progress_lock()
        self.pool = ThreadPoolExecutor(
            batch.n_concurrent_dl, thread_name_prefix="sentinelsat-download"
        )
        try:
            for index in range(len(self.ids)):
                self._submit(index)
            with batch.connection.progress(
                desc="Downloading products", total=len(self.ids), unit="product"
            ) as overall:
                while len(outcomes) < len(self.ids):
                    try:
                        product_id, outcome = self.finished.get(timeout=0.5)
                    except queue.Empty:
                        continue
                    if outcome.kind == "raise":
                        assert outcome.error is not None
                        raise outcome.error
                    if outcome.kind == "offline":
                        assert self.archive is not None
                        self.archive.add(product_id, outcome.info, outcome.error is not None)
                        continue
                    outcomes[product_id] = outcome
                    overall.update(1)
                    if len(self.ids) > 1:
                        logger.info("%s/%s products downloaded", len(outcomes), len(self.ids))
                    if outcome.kind == "failed" and batch.fail_fast:
                        assert outcome.error is not None
                        logger.error("Stopping the downloads (fail_fast): %s failed", product_id)
                        raise outcome.error
        except BaseException:
            self.cancel.set()
            self._release_slot()
            raise
        finally:
            if self.archive is not None:
                self.archive.stop()
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.metadata_pool.shutdown(wait=True, cancel_futures=True)
        return outcomes

    def _submit(self, index: int, info: Info | None = None) -> None:
        assert self.pool is not None
        product_id = self.ids[index]

        def job() -> None:
            try:
                outcome = self._product(index, info)
            except BaseException as error:
                outcome = Outcome("raise", {"id": product_id}, error)
            if isinstance(self.flows, FlowBudget):
                self.flows.forget(product_id)
            self.finished.put((product_id, outcome))

        if isinstance(self.flows, FlowBudget):
            self.flows.expect(product_id)
        try:
            self.pool.submit(job)
        except RuntimeError:  # the pool is shut down: the batch is over
            pass

    # -------------------------------------------------------------- the archive's callbacks
    def _submit_online(self, product_id: str, info: Info) -> None:
        self._submit(self.index[product_id], info)

    def _archive_failed(self, product_id: str, info: Info, error: BaseException) -> None:
        self.finished.put((product_id, Outcome("failed", info, error)))

    # -------------------------------------------------------------- metadata
    def _prefetch(self, index: int) -> Future[Info] | None:
        """Ask for a product's info ahead of its download, so that metadata requests
        overlap the transfers of the products before it."""
        if index >= len(self.ids):
            return None
        with self.metadata_lock:
            if index not in self.metadata:
                self.metadata[index] = self.metadata_pool.submit(self._fetch_info, index)
            return self.metadata[index]

    def _fetch_info(self, index: int) -> Info:
        batch = self.batch
        info = batch.backend.product_info(batch.connection, self.ids[index])
        return batch.describe(info) if batch.describe is not None else info

    def _info(self, index: int, attempt: int) -> Info:
        """The product's info: prefetched for a first attempt, fresh for a retry."""
        self._prefetch(index + self.batch.n_concurrent_dl)
        future = self._prefetch(index) if attempt == 0 else None
        if future is None:
            return self._fetch_info(index)
        try:
            return future.result()
        except CancelledError:
            raise Cancelled() from None

    # -------------------------------------------------------------- one product
    def _download(self, info: Info) -> tuple[Info, bool]:
        """Download with one of the batch's flows (and the spare ones it may borrow)."""
        flows = (
            self.flows.acquire(self.cancel, str(info.get("id")))
            if isinstance(self.flows, FlowBudget)
            else self.flows.acquire(self.cancel)
        )
        try:
            return self._download_with(info, flows)
        except ServerLimitError:
            flows.refused()
            raise
        finally:
            flows.release()

    def _download_with(
        self, info: Info, flows: ProductFlows | SharedProductFlows
    ) -> tuple[Info, bool]:
        batch = self.batch
        if batch.nodefilter is not None:
            return PartialDownload(
                batch.connection,
                batch.backend,
                info,
                batch.directory,
                batch.nodefilter,
                batch.checksum,
                self.cancel,
            ).run()
        return ProductDownload(
            batch.connection,
            batch.backend,
            info,
            batch.directory,
            batch.checksum,
            self.cancel,
            flows,
        ).run()

    def _product(self, index: int, known: Info | None = None) -> Outcome:
        """Download one product with retries; never raises for server-side failures.

        ``known`` is the info of a product the archive brought online."""
        batch = self.batch
        product_id = self.ids[index]
        attempts, waited = 0, 0.0
        info: Info = {"id": product_id}
        while True:
            try:
                info = known if known is not None and attempts == 0 else self._info(index, attempts)
                if self.archive is not None and not info.get("Online", True):
                    return Outcome("offline", info)  # the archive thread asks for it
                result, was_triggered = self._download(info)
                self._release_slot()
                if was_triggered and self.archive is not None:  # went offline meanwhile
                    return Outcome("offline", with_values(info, Online=False), LTARequested())
                return Outcome("triggered" if was_triggered else "downloaded", result)
            except ServerLimitError as error:
                if waited >= batch.max_limit_wait:
                    return Outcome("failed", info, error)
                waited += self._wait_for_slot(error)
            except (SentinelAPIError, InvalidChecksumError) as error:
                attempts += 1
                if self._retry(product_id, error, attempts):
                    continue
                logger.error("Giving up %s after %d attempt(s): %s", product_id, attempts, error)
                self._release_slot()
                return Outcome("failed", info, error)

    def _retry(
        self, product_id: str, error: SentinelAPIError | InvalidChecksumError, attempts: int
    ) -> bool:
        """Whether to try again (after a pause); logs the failure."""
        corrupt = isinstance(error, InvalidChecksumError)
        if corrupt:  # sentinelsat 0.13's words
            logger.warning(
                "Invalid checksum. The downloaded file for '%s' is corrupted.", product_id
            )
        if (not corrupt and is_permanent(error)) or attempts >= self.batch.max_attempts:
            return False
        logger.warning(
            "There was an error downloading %s (attempt %d of %d): %s",
            product_id,
            attempts,
            self.batch.max_attempts,
            error,
        )
        # corrupt data is asked for again at once; a failing server gets some time
        if self.batch.retry_delay is not None:
            self._pause(self.batch.retry_delay)
        else:
            self._pause(0 if corrupt else self.backoff * min(attempts, 2))
        return True

    def _wait_for_slot(self, error: ServerLimitError) -> float:
        """Wait until one of our downloads ends (or a while, for flows held elsewhere)."""
        logger.debug("Server download limit reached, waiting: %s", error.msg)
        started = time.monotonic()
        with self.slot_freed:
            self.slot_freed.wait(timeout=max(1.0, 10 * self.backoff))
        if self.cancel.is_set():
            raise Cancelled()
        return time.monotonic() - started

    def _release_slot(self) -> None:
        with self.slot_freed:
            self.slot_freed.notify_all()

    def _pause(self, seconds: float) -> None:
        if self.cancel.wait(seconds):
            raise Cancelled()


class LTARequested(Exception):
    """Marks a product whose retrieval the server accepted in answer to its download. Internal."""


def summarise(ids: list[str], outcomes: dict[str, Outcome]) -> ResultTuple:
    """The batch's result, in the order of ``ids``; raises the last error if every product
    failed (as sentinelsat 0.13 did)."""
    downloaded: dict[str, Info] = {}
    triggered: dict[str, Info] = {}
    failed = FailedProducts()
    last_error: BaseException | None = None
    for product_id in ids:
        outcome = outcomes[product_id]
        if outcome.kind == "downloaded":
            downloaded[product_id] = outcome.info
        elif outcome.kind == "triggered":
            triggered[product_id] = outcome.info
        else:
            failed.add_failure(product_id, with_values(outcome.info, exception=outcome.error))
            last_error = outcome.error
    if ids and len(failed) == len(ids) and last_error is not None:
        raise last_error
    logger.info(
        "%d downloaded, %d triggered from the long term archive, %d failed",
        len(downloaded),
        len(triggered),
        len(failed),
    )
    return ResultTuple(downloaded, triggered, failed)


def _create_progress_lock() -> None:
    """Create tqdm's global lock now, in the calling thread: created by a worker's first
    progress bar, a Ctrl-C at that moment could leave it held and every worker waiting."""
    from tqdm import tqdm

    tqdm.get_lock()


__all__ = ["Batch", "Outcome", "is_permanent", "summarise", "unique_ids"]
