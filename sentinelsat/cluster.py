"""Downloads as tasks of an executor: "download where you process".

``download_all(..., executor=...)`` hands each product to any
:class:`concurrent.futures.Executor` (a thread or process pool, or the executor of a
dask.distributed ``Client``: ``client.get_executor()``) as one task, which runs the whole
download of that product where it lands: its retries, its resume from the partial file and its
verification before the rename. The driver only gathers the outcomes into the usual
``ResultTuple``.

The user's flow limit holds across every task: each holds a lease of a semaphore named after
the user and the server, for its product's connection and for each segment connection it
borrows (:class:`~sentinelsat.flows.SharedFlows`). On a dask cluster that semaphore is a
``distributed.Semaphore`` (one for the whole cluster); elsewhere a ``threading`` semaphore of
the process, right for thread pools. Any other factory ``(name, limit) -> semaphore`` can be
passed as ``flow_lock`` (for a process pool, one backed by something the processes share).

A task rebuilds the client from a :class:`RemoteClient`: the server's URL, the backend's name,
the credentials, the User-Agent, the timeout and the back-off, nothing else (a session given
to ``SentinelAPI(session=...)`` stays on the driver). The tasks write to the directory as
*their* machine sees it: on a cluster, a directory of a shared file system, or one local to
the workers that will process the files.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .bulk import Batch, Outcome
from .flows import SharedFlows
from .log import logger
from .lta import ArchiveWait
from .products import NodeFilter
from .sessions import Connection, default_retry, origin

if TYPE_CHECKING:  # pragma: no cover
    from .backends import Backend

#: Makes the semaphore that counts the user's flows: ``(name, limit) -> semaphore`` with
#: ``acquire(timeout=...) -> bool`` and ``release()``.
FlowLockFactory = Callable[[str, int], Any]

_LOCAL_SEMAPHORES: dict[str, threading.BoundedSemaphore] = {}
_LOCAL_LOCK = threading.Lock()


def local_semaphore(name: str, limit: int) -> threading.BoundedSemaphore:
    """The process's semaphore of that name (created with ``limit`` leases)."""
    with _LOCAL_LOCK:
        if name not in _LOCAL_SEMAPHORES:
            _LOCAL_SEMAPHORES[name] = threading.BoundedSemaphore(limit)
        return _LOCAL_SEMAPHORES[name]


def dask_semaphore(name: str, limit: int) -> Any:
    """The dask cluster's ``distributed.Semaphore`` of that name, with ``limit`` leases."""
    from distributed import Semaphore

    return Semaphore(max_leases=limit, name=name)  # type: ignore[no-untyped-call]


def default_flow_lock(executor: Executor) -> FlowLockFactory:
    """:func:`dask_semaphore` for a dask.distributed executor, else :func:`local_semaphore`."""
    if type(executor).__module__.split(".")[0] == "distributed":
        return dask_semaphore
    return local_semaphore


@dataclass(frozen=True)
class RemoteClient:
    """What a task needs to talk to the server as the client does (picklable)."""

    api_url: str
    backend: str
    user: str | None
    password: str | None = field(repr=False)
    user_agent: str
    timeout: Any = None
    backoff: float = 0.5

    @property
    def flow_name(self) -> str:
        """The name of the user's flow semaphore on this server."""
        scheme, host, port = origin(self.api_url)
        return f"sentinelsat-flows:{self.user or ''}@{scheme}://{host}:{port}"

    def connect(self) -> tuple[Connection, Backend]:
        """A new session, as a connection, and the backend."""
        from .backends import select_backend

        backend = select_backend(self.api_url, self.backend)
        session = backend.create_session(
            self.user, self.password, self.user_agent, default_retry(self.backoff)
        )
        return Connection(session, self.timeout, self.backoff), backend


@dataclass(frozen=True)
class ProductTask:
    """The download of one product with a batch's settings, as a picklable callable."""

    client: RemoteClient
    directory: str
    max_attempts: int
    checksum: bool
    flow_limit: int
    flow_lock: FlowLockFactory
    nodefilter: NodeFilter | None = None
    retry_delay: float | None = None
    archive_wait: ArchiveWait | None = None

    def __call__(self, product_id: str) -> Outcome:
        connection, backend = self.client.connect()
        flows = SharedFlows(self.flow_lock(self.client.flow_name, self.flow_limit))
        batch = Batch(
            connection,
            backend,
            self.directory,
            self.max_attempts,
            self.checksum,
            1,
            nodefilter=self.nodefilter,
            retry_delay=self.retry_delay,
            archive_wait=self.archive_wait,
            flows=flows,
        )
        try:
            return batch.outcomes([product_id])[product_id]
        finally:
            connection.session.close()


def run_tasks(
    executor: Executor, task: ProductTask, ids: list[str], fail_fast: bool = False
) -> dict[str, Outcome]:
    """Run ``task`` for every product on ``executor``; the outcomes by id.

    Raises
    ------
    SentinelAPIError or InvalidChecksumError
        With ``fail_fast``, the first failure (the tasks not started are cancelled).
    KeyboardInterrupt
        The tasks not started are cancelled; those running finish where they run.
    """
    futures: dict[Future[Outcome], str] = {executor.submit(task, pid): pid for pid in ids}
    outcomes: dict[str, Outcome] = {}
    try:
        for future in as_completed(futures):
            product_id = futures[future]
            outcome = future.result()
            outcomes[product_id] = outcome
            logger.info("%s/%s products downloaded", len(outcomes), len(ids))
            if outcome.kind == "failed" and fail_fast:
                assert outcome.error is not None
                raise outcome.error
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return outcomes


__all__ = [
    "ProductTask",
    "RemoteClient",
    "dask_semaphore",
    "default_flow_lock",
    "local_semaphore",
    "run_tasks",
]
