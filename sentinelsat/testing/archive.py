"""Server-side limits: the long term archive (offline products, retrieval quota) and the
per-user limit on concurrent downloads."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass

from .catalogue import Product

ONLINE = "online"
ACCEPTED = "accepted"
QUOTA_EXCEEDED = "quota exceeded"


@dataclass
class _Retrieval:
    product: Product
    user: str
    ready_at: float


class LongTermArchive:
    """Brings offline products online a while after a download request asked for them.

    A GET of an offline product starts a retrieval (answered 202 Accepted); the product
    becomes online ``delay`` seconds later.  A request for a product already being retrieved
    is accepted again without counting twice.  Each user may have at most ``quota``
    retrievals in progress; a retrieval stops counting once its product is online.
    """

    def __init__(self) -> None:
        self._pending: dict[str, _Retrieval] = {}
        self._condition = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread that completes retrievals."""
        self._stopping = False
        self._thread = threading.Thread(
            target=self._run, name="sentinelsat-hub-archive", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread; retrievals in progress stay pending."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def request(self, product: Product, user: str, delay: float, quota: int) -> str:
        """Ask for ``product``; returns ``ONLINE``, ``ACCEPTED`` or ``QUOTA_EXCEEDED``."""
        with self._condition:
            if product.online:
                return ONLINE
            if product.id in self._pending:
                return ACCEPTED
            if self.in_progress(user) >= quota:
                return QUOTA_EXCEEDED
            self._pending[product.id] = _Retrieval(
                product, user, time.monotonic() + max(delay, 0.0)
            )
            self._condition.notify_all()
            return ACCEPTED

    def in_progress(self, user: str) -> int:
        """The number of retrievals of ``user`` not yet completed."""
        with self._condition:
            return Counter(retrieval.user for retrieval in self._pending.values())[user]

    def set_online(self, product: Product, online: bool) -> None:
        """Set a product's availability now, cancelling any retrieval of it."""
        with self._condition:
            self._pending.pop(product.id, None)
            product.online = online

    def _complete_due(self) -> float | None:
        now = time.monotonic()
        for key, retrieval in list(self._pending.items()):
            if retrieval.ready_at <= now:
                retrieval.product.online = True
                del self._pending[key]
        if not self._pending:
            return None
        return min(retrieval.ready_at for retrieval in self._pending.values()) - now

    def _run(self) -> None:
        with self._condition:
            while not self._stopping:
                wait = self._complete_due()
                self._condition.wait(timeout=wait)


class DownloadRegulator:
    """Counts the ``$value`` downloads in progress per user."""

    def __init__(self) -> None:
        self._active: Counter[str] = Counter()
        self._lock = threading.Lock()

    def acquire(self, user: str, limit: int) -> bool:
        """Take a download slot for ``user``; ``False`` if ``limit`` are already in use."""
        with self._lock:
            if self._active[user] >= limit:
                return False
            self._active[user] += 1
            return True

    def release(self, user: str) -> None:
        """Give a slot back."""
        with self._lock:
            self._active[user] -= 1

    def active(self, user: str) -> int:
        """The number of downloads of ``user`` in progress."""
        with self._lock:
            return self._active[user]
