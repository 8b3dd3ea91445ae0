"""Waiting for products to come back from the long term archive, during a batch.

sentinelsat 0.13 asked for an offline product and moved on; 1.x waits for it. A batch waits
when the caller opts in (:class:`ArchiveWait`): :class:`ArchiveRetrievals` then runs one
thread beside the downloads that

- asks for the offline products' retrieval, at most ``trigger_limit`` in progress at once;
- pauses asking (but not the downloads, nor the polls) for ``retry_delay`` when the server
  says the user's retrieval quota is used up, and asks again afterwards;
- asks the server every ``retry_delay`` seconds whether each requested product is online,
  and hands a product to the downloads as soon as it is;
- gives up the products still offline when ``timeout`` seconds have passed since the batch
  started, with a :class:`~sentinelsat.exceptions.LTAError`.

It is protocol-agnostic: the backend says how a retrieval is asked for
(:meth:`~sentinelsat.backends.Backend.request_retrieval`) and whether a product is online
(:meth:`~sentinelsat.backends.Backend.is_online`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .exceptions import SentinelAPIError, SentinelAPILTAError, ServerLimitError
from .log import logger
from .products import with_values
from .sessions import Connection

if TYPE_CHECKING:  # pragma: no cover
    from .backends import Backend

Info = dict[str, Any]


@dataclass(frozen=True)
class ArchiveWait:
    """How a batch waits for offline products (sentinelsat 1.x's settings).

    Attributes
    ----------
    retry_delay : float
        Seconds between two requests about the same product (asking for it, or whether it is
        online), and the pause of all requests for retrievals after a refusal for the quota.
    timeout : float or None
        Seconds after the start of the batch when the products still offline are given up;
        ``None`` waits as long as it takes.
    trigger_limit : int
        Retrievals in progress at the same time, at most.
    """

    retry_delay: float = 60.0
    timeout: float | None = None
    trigger_limit: int = 10


def is_permanent_refusal(error: SentinelAPIError) -> bool:
    """A refusal that asking again cannot change: an unknown product, wrong credentials."""
    status = getattr(getattr(error, "response", None), "status_code", None)
    if isinstance(error, SentinelAPILTAError):
        return False
    return status in (400, 401, 404)


@dataclass
class _Waiting:
    info: Info
    requested: bool = False  # the server accepted its retrieval
    next_request: float = 0.0


@dataclass
class ArchiveRetrievals:
    """The products of a batch that wait for the long term archive (see the module doc).

    Parameters
    ----------
    connection : Connection
    backend : Backend
    wait : ArchiveWait
    started : float
        ``time.monotonic()`` when the batch started (``wait.timeout`` counts from there).
    on_online : callable
        ``on_online(product_id, info)``: the product can be downloaded now (its info has
        ``Online`` true).
    on_failed : callable
        ``on_failed(product_id, info, error)``: the product is given up.
    cancel : threading.Event
        Set when the batch stops; the thread ends soon after.
    """

    connection: Connection
    backend: Backend
    wait: ArchiveWait
    started: float
    on_online: Callable[[str, Info], None]
    on_failed: Callable[[str, Info, BaseException], None]
    cancel: threading.Event
    _waiting: dict[str, _Waiting] = field(default_factory=dict)
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _quota_pause_until: float = 0.0
    _thread: threading.Thread | None = None
    _started: list[threading.Thread] = field(default_factory=list)
    _progress: Any = None
    _total: int = 0

    # -------------------------------------------------------------- the batch's side
    def add(self, product_id: str, info: Info, requested: bool = False) -> None:
        """Wait for a product; ``requested`` when its retrieval was already accepted."""
        with self._lock:
            self._waiting[product_id] = _Waiting(info, requested, self._now())
            self._total += 1
            if self._thread is None:  # none running (the last one ended with nothing to do)
                self._thread = threading.Thread(
                    target=self._run, name="sentinelsat-archive", daemon=True
                )
                self._started.append(self._thread)
                self._thread.start()
            self._lock.notify_all()

    def stop(self) -> None:
        """End the threads (the batch is over, or cancelled): the products still waiting are
        forgotten."""
        with self._lock:
            self._waiting.clear()
            self._lock.notify_all()
            threads = list(self._started)
        for thread in threads:
            thread.join()

    # -------------------------------------------------------------- the thread
    def _now(self) -> float:
        return time.monotonic()

    def _run(self) -> None:
        try:
            with self.connection.progress(
                desc="Archive retrieval", total=0, unit="product", leave=False
            ) as progress:
                self._progress = progress
                self._loop(progress)
        except BaseException as error:  # the products still waiting fail with it
            with self._lock:
                given_up, self._waiting = self._waiting, {}
            for product_id, item in given_up.items():
                self.on_failed(product_id, item.info, error)
        finally:
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None

    def _loop(self, progress: Any) -> None:
        while not self.cancel.is_set():
            with self._lock:
                if not self._waiting:
                    self._thread = None  # decided under the lock: add() starts a new one
                    return
                progress.total = self._total
                progress.refresh()
            if self._expired():
                continue
            self._request_retrievals()
            self._poll()
            self._sleep()

    def _sleep(self) -> None:
        """Wait until the next request is due (at most a second, to notice a cancel)."""
        with self._lock:
            if not self._waiting:
                return
            can_request = (
                sum(item.requested for item in self._waiting.values()) < self.wait.trigger_limit
            )
            due = [
                item.next_request
                if item.requested
                else max(item.next_request, self._quota_pause_until)
                for item in self._waiting.values()
                if item.requested or can_request
            ]
            if self.wait.timeout is not None:
                due.append(self.started + self.wait.timeout)
            delay = min([*due, self._now() + 1.0]) - self._now()
            if delay > 0:
                self._lock.wait(min(delay, 1.0))

    def _expired(self) -> bool:
        if self.wait.timeout is None or self._now() < self.started + self.wait.timeout:
            return False
        with self._lock:
            given_up, self._waiting = self._waiting, {}
        for product_id, item in given_up.items():
            message = (
                f"Product {product_id} did not come online from the Long Term Archive within "
                f"lta_timeout ({self.wait.timeout:g} s)"
            )
            logger.warning(message)
            self.on_failed(product_id, item.info, SentinelAPILTAError(message))
        return True

    def _due(self, requested: bool) -> list[tuple[str, _Waiting]]:
        now = self._now()
        with self._lock:
            return [
                (product_id, item)
                for product_id, item in self._waiting.items()
                if item.requested == requested and item.next_request <= now
            ]

    def _in_progress(self) -> int:
        with self._lock:
            return sum(item.requested for item in self._waiting.values())

    def _request_retrievals(self) -> None:
        for product_id, item in self._due(requested=False):
            if self.cancel.is_set() or self._now() < self._quota_pause_until:
                return
            if self._in_progress() >= self.wait.trigger_limit:
                return
            try:
                accepted = self.backend.request_retrieval(self.connection, item.info)
            except ServerLimitError as error:  # "concurrent flows": ask again a little later
                logger.debug("Server download limit reached while triggering: %s", error.msg)
                item.next_request = self._now() + min(self.wait.retry_delay, 10.0)
                continue
            except SentinelAPILTAError as error:
                self._refused(product_id, item, error)
                if _is_quota(error):
                    return
                continue
            except SentinelAPIError as error:
                if is_permanent_refusal(error):
                    self._give_up(product_id, item, error)
                    continue
                logger.warning("Could not trigger the retrieval of %s: %s", product_id, error)
                item.next_request = self._now() + self.wait.retry_delay
                continue
            if not accepted:
                self._online(product_id, item)
                continue
            logger.info(
                "Triggered the retrieval of %s from the Long Term Archive", _title(item.info)
            )
            with self._lock:
                item.requested = True
            item.next_request = self._now() + self.wait.retry_delay

    def _refused(self, product_id: str, item: _Waiting, error: SentinelAPILTAError) -> None:
        retry_at = self._now() + self.wait.retry_delay
        if _is_quota(error):
            logger.info(
                "The Long Term Archive quota is used up; triggering again in %g s (%s)",
                self.wait.retry_delay,
                error.hint or error.msg,
            )
            self._quota_pause_until = retry_at
        else:
            logger.warning(
                "The retrieval of %s was refused; trying again later: %s", product_id, error
            )
        item.next_request = retry_at

    def _poll(self) -> None:
        for product_id, item in self._due(requested=True):
            if self.cancel.is_set():
                return
            try:
                online = self.backend.is_online(self.connection, product_id)
            except SentinelAPIError as error:
                if is_permanent_refusal(error):
                    self._give_up(product_id, item, error)
                    continue
                logger.debug("Could not ask whether %s is online: %s", product_id, error)
                online = False
            if online:
                self._online(product_id, item)
            else:
                item.next_request = self._now() + self.wait.retry_delay

    def _online(self, product_id: str, item: _Waiting) -> None:
        with self._lock:
            if self._waiting.pop(product_id, None) is None:
                return
        if self._progress is not None:
            self._progress.update(1)
        logger.info("%s is online", _title(item.info))
        self.on_online(product_id, with_values(item.info, Online=True))

    def _give_up(self, product_id: str, item: _Waiting, error: BaseException) -> None:
        with self._lock:
            if self._waiting.pop(product_id, None) is None:
                return
        self.on_failed(product_id, item.info, error)


def _is_quota(error: SentinelAPIError) -> bool:
    status = getattr(getattr(error, "response", None), "status_code", None)
    return status == 403


def _title(info: Info) -> str:
    return str(info.get("title") or info.get("id"))


__all__ = ["ArchiveRetrievals", "ArchiveWait"]
