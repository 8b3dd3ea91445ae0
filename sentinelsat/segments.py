"""Segmented downloads: one product over several connections at once, within the flow limit.

:class:`SegmentedTransfer` fetches the ranges of a product that its partial file still lacks.
The product is cut into pieces as it goes: large ones first, smaller ones towards the end
(each piece is a part of what is left over twice the connections, between
:data:`MIN_PIECE` and :data:`MAX_PIECE`), so that every connection ends at about the same
time and the pieces in flight sit next to each other. Each piece is one ``Range`` request
read to its end (a server counts a flow until its answer is complete), written at its offset
with ``pwrite``.

The product's own flow is connection 0, in the calling thread; the others run on flows
borrowed from the batch (:mod:`sentinelsat.flows`) and give them back between pieces when
another product needs one, or when the server refuses one ("concurrent flows", 429). After
each piece the complete ranges are recorded beside the partial file (:mod:`sentinelsat.ranges`)
and the contiguous prefix is handed to the hasher (:class:`~sentinelsat.prefix.PrefixFollower`),
which reads it back from the page cache: one pass, in order.

Any failure stops every connection; what each one received is kept and recorded, and the
error is raised for :class:`~sentinelsat.download.ProductDownload` to resume.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
import urllib3

from .exceptions import Cancelled, ServerLimitError, TransferError, network_error
from .files import PARTIAL_SUFFIX
from .flows import Flows, Lease
from .log import logger
from .prefix import PrefixFollower
from .ranges import Range, RangeSet, save_state
from .sessions import Connection, as_requests_error

#: Smallest piece requested (except what is left of a range): the connections end within
#: the time of one such piece of each other.
MIN_PIECE = 1 << 20
#: Largest piece requested: bounds how far the pieces in flight run ahead of the hashed prefix.
MAX_PIECE = 64 << 20
#: Fewest missing bytes for which a product is fetched in segments.
MIN_SEGMENTED = 16 << 20

#: Most bytes read from one connection at a time (several connections read at once).
READ_SIZE = 128 << 10

#: Seconds of the first answer measured before the borrowed connections start...
PROBE_SECONDS = 0.02
#: ...unless one connection brings this many bytes per second.
FAST_CONNECTION = 128 << 20

#: Bytes of a piece after which what it received so far is recorded (and hashed).
RECORD_STEP = 256 << 10

#: Breaks in a row, without a byte received, after which a connection gives up.
MAX_STALLS = 3

#: Seconds between two records of the state while pieces complete.
STATE_INTERVAL = 0.5

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


class RangesIgnored(TransferError):
    """The server answered a range request with the whole product."""


class Pieces:
    """The ranges still to fetch, handed out piece by piece (thread-safe).

    Parameters
    ----------
    missing : list of (int, int)
        The ranges to fetch, in file order.
    min_piece, max_piece : int
        Bounds of a piece's size.
    """

    def __init__(
        self, missing: list[Range], min_piece: int | None = None, max_piece: int | None = None
    ) -> None:
        self.missing = list(missing)
        self.min_piece = min_piece or MIN_PIECE
        self.max_piece = max_piece or MAX_PIECE
        self._lock = threading.Lock()

    def take(self, connections: int) -> Range | None:
        """The next piece for one of ``connections`` connections (one connection: up to
        ``max_piece``; 0: the whole next range), or ``None`` when none is left."""
        with self._lock:
            if not self.missing:
                return None
            left = sum(end - start for start, end in self.missing)
            if connections <= 0:  # one connection for good: the whole range at once
                size = self.missing[0][1] - self.missing[0][0]
            elif connections == 1:  # nothing to balance: fewer requests
                size = self.max_piece
            else:
                size = min(self.max_piece, max(self.min_piece, left // (2 * connections)))
            start, end = self.missing[0]
            stop = end if end - start < size + self.min_piece // 2 else start + size
            if stop == end:
                self.missing.pop(0)
            else:
                self.missing[0] = (stop, end)
            return start, stop

    def give_back(self, start: int, end: int) -> None:
        """Put ``[start, end)`` back (a piece that was not completed)."""
        if end <= start:
            return
        with self._lock:
            self.missing.append((start, end))
            self.missing.sort()

    def left(self) -> int:
        with self._lock:
            return sum(end - start for start, end in self.missing)


class SegmentedTransfer:
    """Fetch the missing ranges of a product into its partial file.

    Parameters
    ----------
    connection : Connection
    url : str
        The product's ``$value`` URL.
    refusal : callable
        Turns a refused answer into its exception (the backend's).
    fd : int
        The partial file, open for writing (not in append mode).
    name_file : callable
        Called with the first answer; gives the partial file the name the answer calls for
        and returns the final path (the partial file's is that plus ``.incomplete``).
    size : int
        The product's size.
    complete : RangeSet
        The ranges already in the file.
    follower : PrefixFollower
        Hashes the contiguous prefix as it grows.
    flows : Flows or None
        Where spare flows are borrowed; ``None`` for one connection.
    cancel : threading.Event
    received : callable
        Called with the number of body bytes of every chunk (from any thread).
    """

    def __init__(
        self,
        connection: Connection,
        url: str,
        refusal: Callable[[requests.Response], Exception],
        fd: int,
        name_file: Callable[[requests.Response], str],
        size: int,
        complete: RangeSet,
        follower: PrefixFollower,
        flows: Flows | None,
        cancel: threading.Event,
        received: Callable[[int], None],
    ) -> None:
        self.connection = connection
        self.url = url
        self.refusal = refusal
        self.fd = fd
        self.name_file = name_file
        self.partial: str | None = None  # known from the first answer
        self.size = size
        self.complete = complete
        self.follower = follower
        self.flows = flows
        self.cancel = cancel
        self.received = received
        self.pieces = Pieces(complete.missing(size))
        self.connections = 1
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._saved_at = 0.0
        self._save_lock = threading.Lock()
        self.received_bytes = 0  # by all connections (for their stall counts)
        self.single = False  # one connection is fast enough: borrow no flow
        self._held: list[Lease] = []  # borrowed, not started yet
        self._probe_from = 0.0
        self._workers: list[threading.Thread] = []

    # -------------------------------------------------------------- the whole transfer
    def run(self) -> None:
        """Fetch every missing range.

        Raises
        ------
        TransferError
            A connection broke (``progressed`` tells whether the file grew); the partial
            file and its state keep what was received.
        RangesIgnored
            The server answered a range request with the whole product.
        ServerLimitError
            The server refused the product's own connection.
        """
        try:
            self._first_piece()
            self._connection_loop(None)
        except BaseException as error:
            self._fail(error)
        finally:
            self.stop.set()
            for worker in self._workers:
                worker.join()
            self._save(force=True)
        if self.errors:
            raise self.errors[0]

    def _first_piece(self) -> None:
        """Ask for the first piece, sized for every flow that can be borrowed now. Once the
        answer says the server accepts ranges, and its first :data:`PROBE_SECONDS` show that
        one connection is slower than :data:`FAST_CONNECTION`, start the borrowed connections
        (a fast one alone is best left alone: more would only share the same CPU and disk)."""
        self._held = self._borrow_leases()
        self.connections += len(self._held)
        try:
            piece = self.pieces.take(self.connections)
            if piece is None:
                return
            response = self._request(piece, None)
            assert response is not None
            try:
                if response.status_code != 206:
                    raise RangesIgnored("The server ignored a range request", response)
                self.partial = self.name_file(response) + PARTIAL_SUFFIX
                self._probe_from = time.monotonic()
                self._receive(response, piece, probe=True)
                self._decide(piece[1] - piece[0], force=True)
            except RangesIgnored:
                raise
            except TransferError as error:  # the rest of the piece was given back
                logger.info("A segment connection broke (%s); going on", error.msg)
            finally:
                response.close()
        finally:
            self._release_held()

    def _decide(self, received: int, force: bool = False) -> None:
        """Start the borrowed connections, or give them back if one connection is fast."""
        if not self._held:
            return
        elapsed = time.monotonic() - self._probe_from
        if elapsed < PROBE_SECONDS and not force:
            return
        if received >= FAST_CONNECTION * max(elapsed, 1e-3):
            logger.debug(
                "One connection brings %.0f MiB/s: no segments", received / elapsed / 2**20
            )
            self.single = True
            self._release_held()
            return
        held, self._held = self._held, []
        for lease in held:
            self._start(lease)

    def _release_held(self) -> None:
        held, self._held = self._held, []
        for lease in held:
            lease.release()
        with self._lock:
            self.connections -= len(held)

    def _borrow_leases(self) -> list[Lease]:
        """Flows the batch can spare, as long as each connection gets some work."""
        leases: list[Lease] = []
        if self.flows is None or self.single or self.pieces.left() < MIN_SEGMENTED:
            return leases
        while self.pieces.left() >= 2 * MIN_PIECE * (self.connections + len(leases) + 1):
            lease = self.flows.borrow()
            if lease is None:
                break
            leases.append(lease)
        return leases

    def _borrow_flows(self) -> None:
        """Start a connection on every flow the batch can spare now."""
        leases = self._borrow_leases()
        with self._lock:
            self.connections += len(leases)
        for lease in leases:
            self._start(lease)

    def _start(self, lease: Lease) -> None:
        self.follower.writers_share()
        worker = threading.Thread(
            target=self._connection,
            args=(lease,),
            name=f"sentinelsat-segment-{len(self._workers) + 1}",
            daemon=True,
        )
        self._workers.append(worker)
        worker.start()

    def _connection(self, lease: Lease) -> None:
        try:
            self._connection_loop(lease)
        except BaseException as error:
            self._fail(error)
        finally:
            with self._lock:
                self.connections -= 1
            lease.release()

    def _connection_loop(self, lease: Lease | None) -> None:
        """Fetch pieces until none is left, the transfer stops or the lease is wanted back.
        A connection that breaks gives the rest of its piece back and goes on; one that
        breaks :data:`MAX_STALLS` times in a row without receiving a byte gives up."""
        stalls = 0
        while not self.stop.is_set():
            if lease is not None and lease.should_return():
                return
            piece = self.pieces.take(0 if self.single else self.connections)
            if piece is None:
                if lease is None and any(worker.is_alive() for worker in self._workers):
                    self.stop.wait(0.05)  # a borrowed connection may give a piece back
                    continue
                return
            before = self.received_bytes
            try:
                response = self._request(piece, lease)
                if response is None:  # the server refused a borrowed flow
                    return
                try:
                    self._receive(response, piece)
                finally:
                    response.close()
                stalls = 0
            except RangesIgnored:
                raise
            except TransferError as error:
                stalls = 0 if self.received_bytes > before else stalls + 1
                if stalls >= MAX_STALLS:
                    raise
                logger.info("A segment connection broke (%s); going on", error.msg)
            if lease is None:
                self._borrow_flows()  # flows freed by other products

    # -------------------------------------------------------------- one piece
    def _request(self, piece: Range, lease: Lease | None) -> requests.Response | None:
        start, end = piece
        try:
            response = self.connection.send(
                "GET", self.url, headers={"Range": f"bytes={start}-{end - 1}"}, stream=True
            )
        except BaseException:
            self.pieces.give_back(start, end)
            raise
        if response.status_code in (200, 206):
            return response
        self.pieces.give_back(start, end)
        try:
            error = self.refusal(response) if response.status_code != 200 else None
        finally:
            response.close()
        if error is None:
            raise RangesIgnored("The server ignored a range request", response)
        refused = isinstance(error, ServerLimitError) or response.status_code == 429
        if refused and lease is not None and self.flows is not None:
            logger.debug("The server refused a segment connection: %s", error)
            self.flows.refused()
            return None
        raise error

    def _receive(self, response: requests.Response, piece: Range, probe: bool = False) -> None:
        """Write the answer for ``piece`` at its offset; record what was written. ``probe``:
        decide on the borrowed connections while receiving (:meth:`_decide`)."""
        start, end = piece
        if response.status_code == 200 or content_range_start(response) != start:
            self.pieces.give_back(start, end)
            if response.status_code == 200:
                raise RangesIgnored("The server ignored a range request", response)
            raise TransferError("The server answered another range than asked", response)
        position = recorded = start
        try:
            for chunk in _chunks(response, end - start):
                if self.cancel.is_set():
                    raise Cancelled()
                if self.stop.is_set():
                    break
                written = os.pwrite(self.fd, chunk, position)
                while written < len(chunk):  # pragma: no cover - short writes are rare
                    written += os.pwrite(self.fd, memoryview(chunk)[written:], position + written)
                self.follower.offer(position, chunk)
                position += len(chunk)
                self.received(len(chunk))
                self.received_bytes += len(chunk)
                if probe and self._held:
                    self._decide(position - start)
                if position - recorded >= RECORD_STEP:  # a killed process keeps most of it
                    self._completed(recorded, position)
                    recorded = position
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as error:
            transfer = network_error(
                as_requests_error(error),
                f"Connection lost after {position - start} bytes of a segment.",
                TransferError,
            )
            transfer.response = response
            raise transfer from error
        finally:
            self._completed(recorded, position)
            self.pieces.give_back(position, end)
        if position < end and not self.stop.is_set():
            raise TransferError(f"A segment ended after {position - start} of {end - start} bytes")

    def _completed(self, start: int, end: int) -> None:
        if end <= start:
            return
        with self._lock:
            self.complete.add(start, end)
            prefix = self.complete.prefix()
        self.follower.advance(prefix)
        self._save()

    def _save(self, force: bool = False) -> None:
        if self.partial is None:
            return
        with self._lock:
            now = time.monotonic()
            if not force and now - self._saved_at < STATE_INTERVAL:
                return
            self._saved_at = now
        with self._save_lock:  # one writer of the state file at a time, the latest ranges
            with self._lock:
                ranges = RangeSet(self.complete.ranges)
            try:
                save_state(self.partial, self.size, ranges)
            except OSError as error:  # e.g. disk full: the data is what matters
                logger.warning("Could not record the segments of %s: %s", self.partial, error)

    def _fail(self, error: BaseException) -> None:
        with self._lock:
            self.errors.append(error)
        self.stop.set()


def content_range_start(response: requests.Response) -> int:
    """The first byte of a 206 answer's ``Content-Range``, -1 if it has none."""
    match = _CONTENT_RANGE.match(response.headers.get("Content-Range", "").strip())
    return int(match.group(1)) if match else -1


def _chunks(response: requests.Response, limit: int) -> Any:
    """The body, undecoded, in chunks of what the connection delivered, at most ``limit``."""
    raw = response.raw
    while limit > 0:
        size = min(READ_SIZE, limit)
        chunk = raw.read1(size) if hasattr(raw, "read1") else raw.read(size)
        if not chunk:
            return
        limit -= len(chunk)
        yield chunk


__all__ = ["MIN_SEGMENTED", "Pieces", "RangesIgnored", "SegmentedTransfer"]
