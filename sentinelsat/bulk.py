"""Downloading products: concurrency, retries and the server's download limits.

:class:`Batch` holds the settings of a batch; each :meth:`Batch.run` works on a fresh
:class:`_Run` (its workers, metadata prefetches, cancel event), so a batch can be run again.
``SentinelAPI.download()`` is a batch of one product with one attempt: the same policy for
the server's download limit (wait for a slot) as ``download_all()``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from .download import ProductDownload
from .exceptions import (
    Cancelled,
    InvalidChecksumError,
    SentinelAPIError,
    SentinelAPILTAError,
    ServerLimitError,
)
from .log import logger
from .sessions import Connection

if TYPE_CHECKING:  # pragma: no cover
    from .backends import Backend

Info = dict[str, Any]
Outcome = tuple[str, Any]  # ("downloaded" | "triggered", info) or ("failed", exception)


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

    def run(self, ids: list[str]) -> tuple[dict[str, Info], dict[str, Info], set[str]]:
        """Download every product; return ``(downloaded, triggered, failed)``.

        Raises
        ------
        SentinelAPIError or InvalidChecksumError
            The last error, if every product failed.
        OSError
            A local file could not be written (e.g. disk full); the batch stops.
        KeyboardInterrupt
            The batch stops at once; partial downloads are kept for the next run.
        """
        outcomes = _Run(self, ids).outcomes()
        return _summarise(ids, outcomes)

    def download_one(self, product_id: str) -> Info:
        """Download one product (a batch of one); return its info with ``path``.

        Raises
        ------
        SentinelAPIError or InvalidChecksumError
            The product could not be downloaded.
        """
        kind, value = _Run(self, [product_id]).outcomes()[product_id]
        if kind == "failed":
            raise value
        return value  # type: ignore[no-any-return]


class _Run:
    """The state of one run of a :class:`Batch`."""

    def __init__(self, batch: Batch, ids: list[str]) -> None:
        self.batch = batch
        self.ids = ids
        self.backoff = batch.connection.backoff  # read once for the whole run
        self.cancel = threading.Event()
        self.slot_freed = threading.Condition()
        self.metadata: dict[int, Future[Info]] = {}
        self.metadata_lock = threading.Lock()
        self.metadata_pool = ThreadPoolExecutor(2, thread_name_prefix="sentinelsat-metadata")

    def outcomes(self) -> dict[str, Outcome]:
        batch = self.batch
        outcomes: dict[str, Outcome] = {}
        if len(self.ids) > 1:
            logger.info(
                "Will download %d products (%d at a time)",
                len(self.ids),
                min(len(self.ids), batch.n_concurrent_dl),
            )
        _create_progress_lock()
        pool = ThreadPoolExecutor(batch.n_concurrent_dl, thread_name_prefix="sentinelsat-download")
        try:
            pending = {
                pool.submit(self._product, index): product_id
                for index, product_id in enumerate(self.ids)
            }
            with batch.connection.progress(
                desc="Downloading products", total=len(self.ids), unit="product"
            ) as overall:
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        outcomes[pending.pop(future)] = future.result()
                        overall.update(1)
                        if len(self.ids) > 1:
                            logger.info("%s/%s products downloaded", len(outcomes), len(self.ids))
        except BaseException:
            self.cancel.set()
            self._release_slot()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            self.metadata_pool.shutdown(wait=True, cancel_futures=True)
        return outcomes

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
        return batch.backend.product_info(batch.connection, self.ids[index])

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
    def _product(self, index: int) -> Outcome:
        """Download one product with retries; never raises for server-side failures."""
        batch = self.batch
        product_id = self.ids[index]
        attempts, waited = 0, 0.0
        while True:
            try:
                info = self._info(index, attempts)
                result, was_triggered = ProductDownload(
                    batch.connection,
                    batch.backend,
                    info,
                    batch.directory,
                    batch.checksum,
                    self.cancel,
                ).run()
                self._release_slot()
                return ("triggered" if was_triggered else "downloaded"), result
            except ServerLimitError as error:
                if waited >= batch.max_limit_wait:
                    return "failed", error
                waited += self._wait_for_slot(error)
            except (SentinelAPIError, InvalidChecksumError) as error:
                attempts += 1
                if self._retry(product_id, error, attempts):
                    continue
                logger.error("Giving up %s after %d attempt(s): %s", product_id, attempts, error)
                self._release_slot()
                return "failed", error

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


def _summarise(
    ids: list[str], outcomes: dict[str, Outcome]
) -> tuple[dict[str, Info], dict[str, Info], set[str]]:
    downloaded: dict[str, Info] = {}
    triggered: dict[str, Info] = {}
    failed: set[str] = set()
    last_error: BaseException | None = None
    for product_id in ids:
        kind, value = outcomes[product_id]
        if kind == "downloaded":
            downloaded[product_id] = value
        elif kind == "triggered":
            triggered[product_id] = value
        else:
            failed.add(product_id)
            last_error = value
    if ids and len(failed) == len(ids) and last_error is not None:
        raise last_error
    logger.info(
        "%d downloaded, %d triggered from the long term archive, %d failed",
        len(downloaded),
        len(triggered),
        len(failed),
    )
    return downloaded, triggered, failed


def _create_progress_lock() -> None:
    """Create tqdm's global lock now, in the calling thread: created by a worker's first
    progress bar, a Ctrl-C at that moment could leave it held and every worker waiting."""
    from tqdm import tqdm

    tqdm.get_lock()


__all__ = ["Batch", "is_permanent", "unique_ids"]
