"""Downloading many products: concurrency, retries and the server's download limits."""

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

if TYPE_CHECKING:  # pragma: no cover
    from .sentinel import SentinelAPI


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
    api : SentinelAPI
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
        api: SentinelAPI,
        directory: str,
        max_attempts: int,
        checksum: bool,
        n_concurrent_dl: int,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts!r}")
        if n_concurrent_dl < 1:
            raise ValueError(f"n_concurrent_dl must be at least 1, got {n_concurrent_dl!r}")
        self.api = api
        self.directory = directory
        self.max_attempts = max_attempts
        self.checksum = checksum
        self.n_concurrent_dl = n_concurrent_dl
        self.cancel = threading.Event()
        self.slot_freed = threading.Condition()
        self.ids: list[str] = []
        self.metadata: dict[int, Future[dict[str, Any]]] = {}
        self.metadata_lock = threading.Lock()
        self.metadata_pool: ThreadPoolExecutor | None = None

    def run(self, ids: list[str]) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
        """Download every product; return ``(downloaded, triggered, failed)``.

        Raises
        ------
        SentinelAPIError
            The last error, if every product failed.
        OSError
            A local file could not be written (e.g. disk full); the batch stops.
        KeyboardInterrupt
            The batch stops at once; partial downloads are kept for the next run.
        """
        outcomes: dict[str, Outcome] = {}
        self.ids = ids
        _create_progress_lock()
        logger.info(
            "Will download %d products (%d at a time)",
            len(ids),
            min(len(ids), self.n_concurrent_dl),
        )
        self.metadata_pool = ThreadPoolExecutor(2, thread_name_prefix="sentinelsat-metadata")
        pool = ThreadPoolExecutor(self.n_concurrent_dl, thread_name_prefix="sentinelsat-download")
        try:
            pending = {
                pool.submit(self._product, index): product_id
                for index, product_id in enumerate(ids)
            }
            with self.api._tqdm(
                desc="Downloading products", total=len(ids), unit="product"
            ) as overall:
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        outcomes[pending.pop(future)] = future.result()
                        overall.update(1)
                        logger.info("%s/%s products downloaded", len(outcomes), len(ids))
        except BaseException:
            self.cancel.set()
            with self.slot_freed:
                self.slot_freed.notify_all()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            self.metadata_pool.shutdown(wait=True, cancel_futures=True)
        return self._summarise(ids, outcomes)

    def _prefetch(self, index: int) -> Future[dict[str, Any]] | None:
        """Ask for a product's OData info ahead of its download, so that metadata requests
        overlap the transfers of the products before it."""
        if index >= len(self.ids) or self.metadata_pool is None:
            return None
        with self.metadata_lock:
            if index not in self.metadata:
                self.metadata[index] = self.metadata_pool.submit(
                    self.api.get_product_odata, self.ids[index]
                )
            return self.metadata[index]

    def _info(self, index: int, attempt: int) -> dict[str, Any]:
        """The product's info: prefetched for a first attempt, fresh for a retry."""
        self._prefetch(index + self.n_concurrent_dl)
        future = self._prefetch(index) if attempt == 0 else None
        if future is None:
            return self.api.get_product_odata(self.ids[index])
        try:
            return future.result()
        except CancelledError:
            raise Cancelled() from None

    def _summarise(self, ids: list[str], outcomes: dict[str, Outcome]):
        downloaded, triggered, failed = {}, {}, set()
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

    def _product(self, index: int) -> Outcome:
        """Download one product with retries; never raises for server-side failures."""
        product_id = self.ids[index]
        attempts, waited = 0, 0.0
        while True:
            try:
                info = self._info(index, attempts)
                result, was_triggered = ProductDownload(
                    self.api, info, self.directory, self.checksum, self.cancel
                ).run()
                self._release_slot()
                return ("triggered" if was_triggered else "downloaded"), result
            except ServerLimitError as error:
                if waited >= self.max_limit_wait:
                    return "failed", error
                waited += self._wait_for_slot(error)
            except (SentinelAPIError, InvalidChecksumError) as error:
                attempts += 1
                corrupt = isinstance(error, InvalidChecksumError)
                if corrupt:  # sentinelsat 0.13's words
                    logger.warning(
                        "Invalid checksum. The downloaded file for '%s' is corrupted.", product_id
                    )
                if corrupt or not is_permanent(error):
                    if attempts < self.max_attempts:
                        logger.warning(
                            "There was an error downloading %s (attempt %d of %d): %s",
                            product_id,
                            attempts,
                            self.max_attempts,
                            error,
                        )
                        # corrupt data is asked for again at once; a failing server gets time
                        self._pause(0 if corrupt else self.api.retry_backoff * min(attempts, 2))
                        continue
                logger.error("Giving up %s after %d attempt(s): %s", product_id, attempts, error)
                self._release_slot()
                return "failed", error

    def _wait_for_slot(self, error: ServerLimitError) -> float:
        """Wait until one of our downloads ends (or a while, for flows held elsewhere)."""
        logger.debug("Server download limit reached, waiting: %s", error.msg)
        started = time.monotonic()
        with self.slot_freed:
            self.slot_freed.wait(timeout=max(1.0, 10 * self.api.retry_backoff))
        if self.cancel.is_set():
            raise Cancelled()
        return time.monotonic() - started

    def _release_slot(self) -> None:
        with self.slot_freed:
            self.slot_freed.notify_all()

    def _pause(self, seconds: float) -> None:
        if self.cancel.wait(seconds):
            raise Cancelled()


def _create_progress_lock() -> None:
    """Create tqdm's global lock now, in the calling thread: created by a worker's first
    progress bar, a Ctrl-C at that moment could leave it held and every worker waiting."""
    from tqdm import tqdm

    tqdm.get_lock()
