"""The user's download flows: how many ``$value`` connections the batch may hold at once.

A server allows each user a few concurrent downloads ("flows": 4 on DHuS and on CDSE,
``concurrent_dl_limit``). A batch gives each product in flight one flow; when fewer products
than the limit are in flight, a product whose server accepts ranges borrows the spare flows
to fetch segments at once (:mod:`sentinelsat.segments`). The sum never exceeds the limit, and
the server's own word ("concurrent flows" refusals, 429) lowers it for the rest of the run.

:class:`FlowBudget` counts flows in one process. :class:`SharedFlows` puts the same policy on
a semaphore shared by several processes or machines (e.g. a ``distributed.Semaphore`` of a
dask cluster), where the budget cannot see who waits: borrowed flows are then given back
after every segment.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol


class Lease(Protocol):
    """A borrowed flow."""

    def should_return(self) -> bool:
        """Whether another product needs the flow now (give it back between segments)."""

    def release(self) -> None:
        """Give the flow back."""


class Flows(Protocol):
    """What a download asks of the batch's flow accounting."""

    def borrow(self) -> Lease | None:
        """A spare flow for one more segment connection, or ``None`` (never blocks)."""

    def refused(self) -> None:
        """The server refused a connection for too many flows: hold fewer from now on."""


class FlowBudget:
    """The flows of one batch in one process.

    Parameters
    ----------
    limit : int
        Flows the user may hold at once.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"the flow limit must be at least 1, got {limit!r}")
        self.limit = limit
        self.in_use = 0
        self.peak = 0  # the most flows held at once (for tests and benchmarks)
        self.waiting = 0  # products waiting for their first flow
        self.expected: set[str] = set()  # products of the batch without their flow yet
        self.products = 0  # products holding a flow
        self.condition = threading.Condition()

    @property
    def pending(self) -> int:
        """Products expected to ask for a flow (no flow is lent while there are some)."""
        return len(self.expected)

    def expect(self, product_id: str) -> None:
        """The product will ask for a flow."""
        with self.condition:
            self.expected.add(product_id)

    def forget(self, product_id: str) -> None:
        """The product will not ask for a flow (any more)."""
        with self.condition:
            self.expected.discard(product_id)

    def acquire(
        self, cancel: threading.Event | None = None, product_id: str | None = None
    ) -> ProductFlows:
        """Take the flow of a product (waits for one: borrowed flows are given back to
        waiting products between segments).

        Raises
        ------
        KeyboardInterrupt
            ``cancel`` was set while waiting.
        """
        with self.condition:
            self.waiting += 1
            try:
                while self.in_use >= self.limit:
                    self.condition.wait(0.2)
                    if cancel is not None and cancel.is_set():
                        raise KeyboardInterrupt
            finally:
                self.waiting -= 1
            self.take_flow()
            self.products += 1
            self.expected.discard(product_id or "")
        return ProductFlows(self)

    def share(self) -> int:
        """The flows one product may hold now: the limit over the products in flight and
        waiting."""
        return max(1, self.limit // max(1, self.products + self.waiting + self.pending))

    def refused(self) -> None:
        """Lower the limit to the flows in use, minus the refused one (at least 1)."""
        with self.condition:
            self.limit = max(1, min(self.limit, self.in_use - 1))

    def take_flow(self) -> None:
        self.in_use += 1
        self.peak = max(self.peak, self.in_use)

    def give_flow(self) -> None:
        self.in_use -= 1
        self.condition.notify_all()


class ProductFlows:
    """The flows one product holds in a :class:`FlowBudget`: its own and borrowed ones."""

    def __init__(self, budget: FlowBudget) -> None:
        self.budget = budget
        self.borrowed = 0
        self.released = False

    def borrow(self) -> _BudgetLease | None:
        """A spare flow, if the limit, the products waiting and this product's share leave
        one (never blocks)."""
        budget = self.budget
        with budget.condition:
            if (
                self.released
                or budget.waiting
                or budget.pending
                or budget.in_use >= budget.limit
                or 1 + self.borrowed >= budget.share()
            ):
                return None
            budget.take_flow()
            self.borrowed += 1
            return _BudgetLease(self)

    def refused(self) -> None:
        self.budget.refused()

    def release(self) -> None:
        """Give the product's own flow back."""
        with self.budget.condition:
            if not self.released:
                self.released = True
                self.budget.products -= 1
                self.budget.give_flow()


class _BudgetLease:
    def __init__(self, owner: ProductFlows) -> None:
        self.owner = owner
        self.released = False

    def should_return(self) -> bool:
        budget = self.owner.budget
        return bool(
            budget.waiting
            or budget.pending
            or budget.in_use > budget.limit
            or 1 + self.owner.borrowed > budget.share()
        )

    def release(self) -> None:
        budget = self.owner.budget
        with budget.condition:
            if not self.released:
                self.released = True
                self.owner.borrowed -= 1
                budget.give_flow()


class SharedFlows:
    """Flows counted by a semaphore that several processes share.

    Parameters
    ----------
    semaphore : object
        With ``acquire(timeout=...)`` returning whether a lease was taken, and ``release()``
        (``distributed.Semaphore``, ``threading.BoundedSemaphore``...).
    """

    def __init__(self, semaphore: Any) -> None:
        self.semaphore = semaphore

    def acquire(self, cancel: threading.Event | None = None) -> SharedProductFlows:
        """Take a product's flow (waits for one)."""
        while not self.semaphore.acquire(timeout=0.5):
            if cancel is not None and cancel.is_set():
                raise KeyboardInterrupt
        return SharedProductFlows(self.semaphore)


class SharedProductFlows:
    """A product's flows in a :class:`SharedFlows`."""

    def __init__(self, semaphore: Any) -> None:
        self.semaphore = semaphore
        self.refusals = 0
        self.released = False

    def borrow(self) -> _SharedLease | None:
        if self.refusals or not self.semaphore.acquire(timeout=0):
            return None
        return _SharedLease(self.semaphore)

    def refused(self) -> None:
        """The server refused: this product borrows no more flows."""
        self.refusals += 1

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.semaphore.release()


class _SharedLease:
    def __init__(self, semaphore: Any) -> None:
        self.semaphore = semaphore
        self.released = False

    def should_return(self) -> bool:
        return True  # nobody's waiters are visible: give the flow back after each segment

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.semaphore.release()


__all__ = ["FlowBudget", "Flows", "Lease", "ProductFlows", "SharedFlows", "SharedProductFlows"]
