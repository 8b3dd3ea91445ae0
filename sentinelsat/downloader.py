"""``Downloader``: the download settings of a client, and the downloads sentinelsat 1.x added.

Every :class:`~sentinelsat.SentinelAPI` has one, ``api.downloader``; ``api.download()`` and
``api.download_all()`` work on a copy of it with the arguments of the call, as in sentinelsat
1.1. Its attributes are 1.x's, with 1.x's defaults, and ``api.concurrent_dl_limit``,
``api.dl_retry_delay``, ``api.lta_retry_delay``, ``api.lta_timeout`` and
``api.concurrent_lta_trigger_limit`` read and set them. Progress bars of downloads go through
:meth:`Downloader._tqdm`, which programs may replace.

**1.x behaviours that contradict sentinelsat 0.13 are opt-in.** Waiting for offline products
(:mod:`sentinelsat.lta`) and the fixed pause ``dl_retry_delay`` between attempts apply once
a program sets ``lta_retry_delay``, ``lta_timeout`` or ``dl_retry_delay`` (on the instance or
as an argument), or with ``SentinelAPI(..., semantics="1.x")``; until then offline products
are triggered and reported, as 0.13 did, and retries follow 0.13's quick rhythm.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, Executor, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import Any

import requests

from .bulk import Batch, Outcome, summarise, unique_ids
from .cluster import FlowLockFactory, ProductTask, RemoteClient, default_flow_lock, run_tasks
from .exceptions import LTATriggered, ServerLimitError
from .files import CHUNK_SIZE, PARTIAL_SUFFIX, safe_name
from .log import logger
from .lta import ArchiveWait
from .products import NodeFilter, describe, with_values
from .results import DownloaderResult, DownloadStatus, QuicklookResult, ResultTuple
from .sessions import Connection, check_response, hook_replaced

Info = dict[str, Any]

#: sentinelsat 1.x's defaults.
DEFAULT_CONCURRENT_DL = 4
DEFAULT_LTA_TRIGGER_LIMIT = 10
DEFAULT_DL_RETRY_DELAY = 10.0
DEFAULT_LTA_RETRY_DELAY = 60.0

#: The media type of a quicklook.
JPEG = "image/jpeg"


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


UNSET: Any = _Unset()


class Downloader:
    """The downloads of a client (sentinelsat 1.1's class).

    Parameters
    ----------
    api : SentinelAPI
        The client whose session, server and settings are used.
    connection : callable, optional
        Makes the client's :class:`~sentinelsat.sessions.Connection` (``SentinelAPI`` passes
        its own); by default one is made from ``api.session``, ``api.timeout`` and
        ``api.retry_backoff``.
    node_filter : callable, optional
        Download only the files of each product that it selects (see
        :mod:`sentinelsat.products`).
    verify_checksum : bool, optional
        Verify the checksum of each file (``True``).
    fail_fast : bool, optional
        Stop a batch at the first product that fails, and raise its error (``False``).
    n_concurrent_dl : int, optional
        Downloads at the same time (4, the Copernicus Open Access Hub's limit per user).
    max_attempts : int, optional
        Attempts per product (10).
    dl_retry_delay : float, optional
        Seconds between the attempts of a product (10). Applies once set (see the module).
    lta_retry_delay : float, optional
        Seconds between two requests about an offline product (60). Setting it makes
        batches wait for offline products.
    lta_timeout : float or None, optional
        Seconds after which a batch gives up the products still offline (``None``: no
        limit). Setting it (also to ``None``) makes batches wait for offline products.
    lta_trigger_limit : int, optional
        Retrievals from the long term archive in progress at once, while waiting (10).

    Attributes
    ----------
    chunk_size : int
        Bytes read at a time (1 MiB).
    """

    chunk_size = CHUNK_SIZE

    def __init__(
        self,
        api: Any,
        *,
        connection: Callable[[], Connection] | None = None,
        node_filter: NodeFilter | None = None,
        verify_checksum: bool = True,
        fail_fast: bool = False,
        n_concurrent_dl: int | None = None,
        max_attempts: int = 10,
        dl_retry_delay: Any = UNSET,
        lta_retry_delay: Any = UNSET,
        lta_timeout: Any = UNSET,
        lta_trigger_limit: int | None = None,
    ) -> None:
        self.api = api
        self._make_connection = connection or (lambda: _connection_of(api))
        self.node_filter = node_filter
        self.verify_checksum = verify_checksum
        self.fail_fast = fail_fast
        self.n_concurrent_dl = n_concurrent_dl or DEFAULT_CONCURRENT_DL
        self.max_attempts = max_attempts
        self.lta_trigger_limit = lta_trigger_limit or DEFAULT_LTA_TRIGGER_LIMIT
        self._dl_retry_delay = _optional_seconds("dl_retry_delay", dl_retry_delay)
        self._lta_retry_delay = _optional_seconds("lta_retry_delay", lta_retry_delay)
        self._lta_timeout = _optional_seconds("lta_timeout", lta_timeout)

    # ------------------------------------------------------------------ settings
    @property
    def dl_retry_delay(self) -> float:
        """Seconds between the attempts of a product (10); applies once set."""
        return DEFAULT_DL_RETRY_DELAY if self._dl_retry_delay is UNSET else self._dl_retry_delay

    @dl_retry_delay.setter
    def dl_retry_delay(self, value: float) -> None:
        self._dl_retry_delay = _seconds("dl_retry_delay", value)

    @property
    def lta_retry_delay(self) -> float:
        """Seconds between two requests about an offline product (60); setting it makes
        batches wait for offline products."""
        if self._lta_retry_delay is UNSET:
            return DEFAULT_LTA_RETRY_DELAY
        return float(self._lta_retry_delay)

    @lta_retry_delay.setter
    def lta_retry_delay(self, value: float) -> None:
        self._lta_retry_delay = _seconds("lta_retry_delay", value)

    @property
    def lta_timeout(self) -> float | None:
        """Seconds after which a batch gives up the products still offline (``None``: no
        limit); setting it makes batches wait for offline products."""
        return None if self._lta_timeout is UNSET else self._lta_timeout

    @lta_timeout.setter
    def lta_timeout(self, value: float | None) -> None:
        self._lta_timeout = None if value is None else _seconds("lta_timeout", value)

    @property
    def semantics_1x(self) -> bool:
        """Whether the client asked for sentinelsat 1.x's behaviour everywhere."""
        return getattr(self.api, "semantics", "0.13") == "1.x"

    @property
    def waits_for_archive(self) -> bool:
        """Whether batches wait for offline products (see the module documentation)."""
        return (
            self.semantics_1x
            or self._lta_retry_delay is not UNSET
            or self._lta_timeout is not UNSET
        )

    def copy(self, **settings: Any) -> Downloader:
        """A copy with some settings changed (``None`` values are ignored)."""
        twin = copy.copy(self)
        for name, value in settings.items():
            if value is not None:
                setattr(twin, name, value)
        return twin

    # ------------------------------------------------------------------ progress bars
    def _tqdm(self, **kwargs: Any) -> Any:
        """Create a progress bar of a download; replace it to change or silence them. By
        default the client's (``SentinelAPI._tqdm``)."""
        return self._make_connection().progress(**kwargs)

    def connection(self) -> Connection:
        """The connection of the client, with this downloader's progress bars."""
        base = self._make_connection()
        if base.quiet and not hook_replaced(self, "_tqdm", Downloader):
            return base
        return replace(base, progress=self._tqdm)

    # ------------------------------------------------------------------ batches
    def batch(self, directory: str, wait_for_archive: bool = True) -> Batch:
        """A :class:`~sentinelsat.bulk.Batch` with these settings (never waiting for offline
        products without ``wait_for_archive``)."""
        wait = None
        if wait_for_archive and self.waits_for_archive:
            wait = ArchiveWait(self.lta_retry_delay, self.lta_timeout, self.lta_trigger_limit)
        explicit_delay = self._dl_retry_delay is not UNSET or self.semantics_1x
        backend = self.api.backend
        return Batch(
            self.connection(),
            backend,
            directory,
            self.max_attempts,
            self.verify_checksum,
            self.n_concurrent_dl,
            nodefilter=self.node_filter,
            fail_fast=self.fail_fast,
            retry_delay=self.dl_retry_delay if explicit_delay else None,
            archive_wait=wait,
            describe=self.describe,
            flow_limit=getattr(self.api, "concurrent_dl_limit", DEFAULT_CONCURRENT_DL),
        )

    def describe(self, info: Info) -> Info:
        """A product's info with sentinelsat 1.x's extra keys (see
        :class:`~sentinelsat.products.ProductInfo`)."""
        try:
            quicklook = self.api.backend.quicklook_url(info)
        except NotImplementedError:
            quicklook = None
        return describe(info, quicklook, as_keys=self.semantics_1x)

    def download_outcome(self, product_id: str, directory: str = ".") -> Outcome:
        """Download one product (one attempt, as ``SentinelAPI.download``)."""
        single = self.copy(max_attempts=1, n_concurrent_dl=1, fail_fast=False)
        return single.batch(directory, wait_for_archive=False).download_one_outcome(product_id)

    def results(
        self,
        products: Iterable[Any],
        directory: str = ".",
        executor: Executor | None = None,
        flow_lock: FlowLockFactory | None = None,
    ) -> ResultTuple:
        """Download several products: ``ResultTuple(downloaded, retrieval_triggered, failed)``;
        with an ``executor``, each as a task there (see :mod:`sentinelsat.cluster`)."""
        ids = unique_ids(products)
        if executor is None:
            return summarise(ids, self.batch(directory).outcomes(ids))
        batch = self.batch(directory)
        task = ProductTask(
            self.remote_client(),
            directory,
            batch.max_attempts,
            batch.checksum,
            batch.flow_limit,
            flow_lock or default_flow_lock(executor),
            batch.nodefilter,
            batch.retry_delay,
            batch.archive_wait,
        )
        outcomes = run_tasks(executor, task, ids, batch.fail_fast)
        described = {
            product_id: replace(outcome, info=self.describe(outcome.info))
            if "title" in outcome.info
            else outcome
            for product_id, outcome in outcomes.items()
        }
        return summarise(ids, described)

    def remote_client(self) -> RemoteClient:
        """The client's server, credentials and settings, for tasks elsewhere."""
        api = self.api
        auth = api.session.auth  # an OriginAuth, or a (user, password) tuple
        user, password = (auth[0], auth[1]) if auth else (None, None)
        return RemoteClient(
            api.api_url,
            api.backend.name,
            user,
            password,
            api.user_agent,
            api.timeout,
            api.retry_backoff,
        )

    # ------------------------------------------------------------------ 1.x's methods
    def download(self, product_id: str, directory: str = ".", *, stop_event: Any = None) -> Info:
        """Download one product, as ``SentinelAPI.download``; with ``semantics="1.x"`` an
        offline product raises :class:`~sentinelsat.exceptions.LTATriggered` once its
        retrieval is triggered. (``stop_event`` is accepted for 1.x programs; Ctrl-C stops
        a download.)"""
        outcome = self.download_outcome(product_id, directory)
        if outcome.kind == "triggered" and self.semantics_1x:
            raise LTATriggered(product_id)
        return outcome.info

    def download_all(self, products: Iterable[Any], directory: str = ".") -> DownloaderResult:
        """Download several products; return 1.1's ``(statuses, exceptions, product_infos)``.

        Raises
        ------
        SentinelAPIError or InvalidChecksumError
            With ``fail_fast``, the first failure.
        """
        ids = unique_ids(products)
        outcomes = self.batch(directory).outcomes(ids)
        statuses: dict[str, DownloadStatus] = {}
        exceptions: dict[str, BaseException] = {}
        infos: dict[str, Info] = {}
        for product_id in ids:
            outcome = outcomes[product_id]
            infos[product_id] = outcome.info
            if outcome.kind == "downloaded":
                statuses[product_id] = DownloadStatus.DOWNLOADED
            elif outcome.kind == "triggered":
                statuses[product_id] = DownloadStatus.TRIGGERED
            else:
                statuses[product_id] = DownloadStatus.UNAVAILABLE
                assert outcome.error is not None
                exceptions[product_id] = outcome.error
        return DownloaderResult(statuses, exceptions, infos)

    def is_online(self, product_id: str) -> bool:
        """Whether a product can be downloaded now."""
        return bool(self.api.backend.is_online(self.connection(), product_id))

    def trigger_offline_retrieval(self, product_id: str) -> bool:
        """Ask for a product's retrieval from the long term archive.

        Returns
        -------
        bool
            ``True`` when the retrieval was triggered (the product is offline), ``False``
            when the product is online.

        Raises
        ------
        LTAError
            The server refused (retrieval quota used up, request not accepted).
        InvalidKeyError
            There is no such product.

        Notes
        -----
        When the server answers that the user's concurrent downloads are exhausted (403
        "concurrent flows"), the request is sent again once a slot may be free, for up to an
        hour; sentinelsat 1.x took that answer for "online".
        """
        connection = self.connection()
        backend = self.api.backend
        info = backend.product_info(connection, product_id)
        started = time.monotonic()
        while True:
            try:
                return bool(backend.request_retrieval(connection, info))
            except ServerLimitError as error:
                if time.monotonic() - started > Batch.max_limit_wait:
                    raise
                logger.debug("Server download limit reached, waiting: %s", error.msg)
                time.sleep(max(1.0, 10 * connection.backoff))

    def get_stream(self, product_id: str, **kwargs: Any) -> requests.Response:
        """Open a product's download as a stream (``requests.Response`` with ``stream=True``;
        read it with ``iter_content`` or ``raw`` and close it).

        Parameters
        ----------
        product_id : str
        **kwargs
            Passed to ``requests.Session.get`` (e.g. ``headers={"Range": "bytes=0-99"}``).

        Raises
        ------
        LTATriggered
            The product is offline: its retrieval was triggered.
        SentinelAPIError
            The server refused (unknown id, too many downloads...).
        """
        connection = self.connection()
        backend = self.api.backend
        if not backend.is_online(connection, product_id):
            self._trigger_and_raise(connection, product_id)
        kwargs.pop("stream", None)
        response = connection.send(
            "GET", backend.stream_url(connection, product_id), stream=True, **kwargs
        )
        if response.status_code in (200, 206):
            return response
        try:
            if backend.is_accepted_retrieval(response):
                raise LTATriggered(product_id, response=response)
            raise backend.refusal(response)
        finally:
            response.close()

    def _trigger_and_raise(self, connection: Connection, product_id: str) -> None:
        backend = self.api.backend
        backend.trigger_retrieval(connection, backend.product_info(connection, product_id))
        raise LTATriggered(product_id)

    # ------------------------------------------------------------------ quicklooks
    def download_quicklook(self, product_id: str, directory: str = ".") -> Info:
        """Download a product's quicklook to ``<directory>/<title>.jpeg`` (skipped if that
        file exists).

        Returns
        -------
        dict
            The product info plus ``path``, ``downloaded_bytes``, ``quicklook_size`` and
            ``error`` (``""``, or why nothing was written: the server sent no JPEG).

        Raises
        ------
        InvalidKeyError, SentinelAPIError, NotSupportedError
            As the server answers; ``NotSupportedError`` for a server without quicklooks.
        """
        connection = self.connection()
        backend = self.api.backend
        info = self.describe(backend.product_info(connection, product_id))
        path = os.path.join(directory, safe_name(info.get("title"), product_id) + ".jpeg")
        if os.path.isfile(path):
            logger.info("Skipping the quicklook of %s: %s exists", info.get("title"), path)
            size = os.path.getsize(path)
            return with_values(info, path=path, downloaded_bytes=0, quicklook_size=size, error="")
        response = connection.send("GET", backend.quicklook_url(info))
        check_response(response)
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        content = response.content
        if content_type != JPEG:
            error = f"The quicklook is not a JPEG image: its Content-Type is {content_type!r}"
            return with_values(
                info, path=path, downloaded_bytes=len(content), quicklook_size=None, error=error
            )
        os.makedirs(directory or ".", exist_ok=True)
        partial = path + PARTIAL_SUFFIX
        with open(partial, "wb") as handle:
            handle.write(content)
        os.replace(partial, path)
        logger.info("Downloaded the quicklook of %s to %s", info.get("title"), path)
        size = len(content)
        return with_values(info, path=path, downloaded_bytes=size, quicklook_size=size, error="")

    def download_all_quicklooks(
        self, products: Iterable[Any], directory: str = ".", n_concurrent_dl: int | None = None
    ) -> QuicklookResult:
        """Download the quicklooks of several products, several at a time.

        Returns
        -------
        QuicklookResult
            ``(downloaded, failed)``: product id → :meth:`download_quicklook`'s result, and
            product id → the ``error`` of each quicklook that was not written.

        Raises
        ------
        SentinelAPIError
            The first request that failed (e.g. an unknown id); the others are cancelled.
        """
        ids = unique_ids(products)
        downloaded: dict[str, Info] = {}
        failed: dict[str, str] = {}
        workers = n_concurrent_dl or self.n_concurrent_dl
        with ThreadPoolExecutor(workers, thread_name_prefix="sentinelsat-quicklook") as pool:
            futures = [pool.submit(self.download_quicklook, pid, directory) for pid in ids]
            _, pending = wait(futures, return_when=FIRST_EXCEPTION)
            for future in pending:
                future.cancel()
        for product_id, future in zip(ids, futures):
            if future.cancelled():
                continue
            info = future.result()  # raises the first error
            if info["error"]:
                failed[product_id] = info["error"]
            else:
                downloaded[product_id] = info
        if failed:
            logger.warning("Some quicklooks failed: %d out of %d", len(failed), len(ids))
        return QuicklookResult(downloaded, failed)


def _optional_seconds(name: str, value: Any) -> Any:
    """A constructor's value: ``None`` (or nothing) leaves the setting unset."""
    return UNSET if value is None or value is UNSET else _seconds(name, value)


def _seconds(name: str, value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number of seconds, got {value!r}") from None
    if seconds < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return seconds


def _connection_of(api: Any) -> Connection:
    """A connection from a client's public attributes (for a ``Downloader`` made by a
    program)."""
    from tqdm.auto import tqdm

    def progress(**kwargs: Any) -> Any:
        kwargs.setdefault("disable", not getattr(api, "show_progressbars", True))
        return tqdm(**kwargs)

    return Connection(
        api.session,
        getattr(api, "timeout", None),
        getattr(api, "retry_backoff", 0.5),
        progress,
        getattr(api, "query_concurrency", 4),
    )


__all__ = ["Downloader"]
