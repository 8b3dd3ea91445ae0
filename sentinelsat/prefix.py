"""Following a partial file's contiguous prefix while it is written: hashing and write-behind.

A download writes its partial file with one connection (in order) or several (each at its
offset). :class:`PrefixFollower` runs in a background thread behind the writers:

- it hashes the bytes in order as the contiguous prefix grows: from the chunks just written
  while they continue it (a bounded buffer; the writer of the prefix waits for room, so a
  network faster than the hash holds no more memory), else reading them back from the page
  cache into one reused buffer (the segments written ahead of the prefix);
- a :class:`WriteBehind` thread starts the write-back of the written data as it grows
  (``sync_file_range`` on Linux) and makes it durable every few tens of MiB (``fdatasync``,
  which also empties the disk's own cache), so that the ``fsync`` before the final rename has
  little left to do; for a file larger than a share of the memory it also drops the pages
  already on disk from the cache.

The writers only call :meth:`PrefixFollower.advance` (which never blocks) and
:meth:`PrefixFollower.offer`.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from typing import Any, Callable

from .log import logger

#: Bytes read back from the page cache at a time, into one reused buffer.
WINDOW = 256 << 10

#: Most bytes of chunks held for the hash (hashed from memory rather than the page cache).
BUFFER = 2 << 20
#: ...when several connections write (each also holds the chunk it is reading).
SHARED_BUFFER = 512 << 10

#: Write-back is started every this many written bytes...
FLUSH_STEP = 8 << 20
#: ...and the data made durable (``fdatasync``) every this many: the disk's cache is flushed
#: bit by bit instead of all at once by the final ``fsync`` (on a virtual disk, a flush of
#: the host's cache: a 1 GiB download with checksum took 3.6-4.2 s with only the
#: write-back started, 2.9-3.0 s with this).
SYNC_STEP = 32 << 20

_datasync: Callable[[int], None] = getattr(os, "fdatasync", os.fsync)

_WRITE = 2  # SYNC_FILE_RANGE_WRITE: start the write-back, do not wait


def _load_sync_file_range() -> Callable[[int, int, int, int], int] | None:
    """``sync_file_range(2)`` through ctypes (Python's ``os`` has no binding), or ``None``."""
    if not hasattr(os, "posix_fadvise"):  # not Linux-like
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_sync_file_range: Any = None
_sync_loaded = threading.Lock()


def sync_file_range() -> Callable[[int, int, int, int], int] | None:
    """The process's ``sync_file_range`` function (loaded once), or ``None``."""
    global _sync_file_range
    with _sync_loaded:
        if _sync_file_range is None:
            _sync_file_range = _load_sync_file_range() or False
    return _sync_file_range or None


def larger_than_memory_share(size: int | None, share: float = 0.25) -> bool:
    """Whether ``size`` bytes are more than ``share`` of the machine's physical memory."""
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return False
    return size is not None and size > share * memory


class WriteBehind:
    """Flushes a file's data to the disk behind its writers, region by region, in a thread of
    its own (waiting for the disk never holds up the hashing).

    Parameters
    ----------
    fd : int
        The file, open for writing.
    drop_cache : bool, optional
        Drop the cached pages of regions already on the disk (for files larger than memory).
    """

    def __init__(self, fd: int, drop_cache: bool = False) -> None:
        self.fd = fd
        self.drop_cache = drop_cache
        self.dropped = 0  # pages before this offset were dropped from the cache
        self.droppable: Callable[[], int] = lambda: 0  # how far the cache may be dropped
        self.started = 0  # write-back started up to here
        self.flushed = 0  # on the disk up to here
        self._sync: Callable[[int, int, int, int], int] | None = None  # loaded by the thread
        self._target = 0
        self._closing = False
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def follow(self, end: int) -> None:
        """The data before ``end`` may be flushed (never blocks)."""
        with self._changed:
            if end - self._target < FLUSH_STEP or self._closing:
                return
            self._target = end
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sentinelsat-flush", daemon=True
                )
                self._thread.start()
            self._changed.notify()

    def close(self) -> None:
        """Stop flushing (what is left is for the final ``fsync``)."""
        with self._changed:
            self._closing = True
            self._changed.notify()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        self._sync = sync_file_range()  # (ctypes: loaded here, not in the writer's way)
        try:
            while True:
                with self._changed:
                    while self._target <= self.started and not self._closing:
                        self._changed.wait()
                    if self._closing:
                        return
                    end = self._target
                self._flush(end)
        except OSError as error:  # e.g. a file system without the call: the final fsync does it
            logger.debug("Write-behind stopped: %s", error)

    def _flush(self, end: int) -> None:
        """Start the write-back before ``end``; make the data durable every
        :data:`SYNC_STEP` bytes."""
        if self._sync is not None:
            self._call(self.started, end - self.started, _WRITE)
        self.started = end
        if end - self.flushed >= SYNC_STEP:
            _datasync(self.fd)
            self._dropped(self.flushed, end)
            self.flushed = end

    def _call(self, offset: int, length: int, flags: int) -> None:
        assert self._sync is not None
        if self._sync(self.fd, offset, length, flags) != 0:
            import ctypes

            number = ctypes.get_errno()
            raise OSError(number, os.strerror(number))

    def _dropped(self, start: int, end: int) -> None:
        """Drop the pages of ``[start, end)``, on the disk now, once nothing reads them."""
        end = min(end, self.droppable())
        if self.drop_cache and end > self.dropped:
            os.posix_fadvise(self.fd, self.dropped, end - self.dropped, os.POSIX_FADV_DONTNEED)
            self.dropped = end


class PrefixFollower:
    """Hashes (and flushes) a file's bytes in order, in a background thread, as the
    contiguous prefix that the writers completed grows.

    Parameters
    ----------
    fd : int
        The partial file, open for reading (a descriptor the follower may keep using until
        :meth:`finish` or :meth:`stop` returns).
    digest : hash object or None
        Holds the bytes before ``start``; updated with the following ones. ``None`` to only
        flush.
    start : int
        Bytes already hashed (and considered written).
    write_behind : WriteBehind, optional
        Flushes the hashed regions.
    """

    def __init__(
        self,
        fd: int,
        digest: Any | None,
        start: int = 0,
        write_behind: WriteBehind | None = None,
    ) -> None:
        self.fd = fd
        self.digest = digest
        self.hashed = start
        self.write_behind = write_behind
        if write_behind is not None:
            write_behind.droppable = lambda: self.hashed if digest is not None else 1 << 62
        self._target = start
        self._buffer: deque[tuple[int, bytes]] = deque()  # chunks offered, in file order
        self._buffered = 0
        self._closing = False
        self._abandoned = False
        self._error: BaseException | None = None
        self._changed = threading.Condition()
        self._scratch: bytearray | None = None  # the buffer of reads from the file
        self._limit = BUFFER  # most bytes of chunks held
        self._thread = threading.Thread(target=self._run, name="sentinelsat-hash", daemon=True)
        self._thread.start()

    def advance(self, end: int) -> None:
        """The file is now complete up to ``end`` (never blocks)."""
        with self._changed:
            if end > self._target:
                self._target = end
                self._changed.notify_all()
        if self.write_behind is not None:  # the disk follows the writers, not the hash
            self.write_behind.follow(end)

    def offer(self, offset: int, chunk: bytes) -> None:
        """A chunk just written at ``offset``, hashed from memory instead of the page cache
        while the bounded buffer (:data:`BUFFER`, :data:`SHARED_BUFFER` once several writers
        share the file) has room for it.

        A chunk that continues the buffered ones waits for room as long as the hash will make
        some (the first buffered chunk is within the completed prefix): a network faster
        than the hash is slowed down instead of making the hash read the bytes back. Any
        other chunk (a segment's ahead of the prefix) never waits: it is hashed from the
        page cache if the buffer has no room for it."""
        if self.digest is None:
            return
        with self._changed:
            self._discard_hashed()
            last_end = self._buffer[-1][0] + len(self._buffer[-1][1]) if self._buffer else 0
            if offset < max(last_end, self.hashed):
                return
            if offset == max(last_end, self.hashed):
                while self._buffered + len(chunk) > self._limit and self._room_coming():
                    self._changed.wait(0.05)  # (woken when room is made; never for long)
                    self._discard_hashed()
            if self._buffered + len(chunk) <= self._limit or not self._buffer:
                self._buffer.append((offset, chunk))
                self._buffered += len(chunk)

    def writers_share(self) -> None:
        """Several connections write the file from now on: hold fewer chunks for the hash."""
        with self._changed:
            self._limit = SHARED_BUFFER

    def _room_coming(self) -> bool:
        """Whether the hash thread will take a buffered chunk (the caller holds the lock)."""
        if self._closing or self._abandoned or self._error is not None or not self._buffer:
            return False
        offset, chunk = self._buffer[0]
        end = offset + len(chunk)
        return self.hashed < end <= self._target  # the hash thread goes that far anyway

    def _discard_hashed(self) -> None:
        """Drop the buffered chunks already hashed from the page cache (the caller holds the
        lock), and wake the writers waiting for their room."""
        discarded = False
        while self._buffer and self._buffer[0][0] + len(self._buffer[0][1]) <= self.hashed:
            self._buffered -= len(self._buffer.popleft()[1])
            discarded = True
        if discarded:
            self._changed.notify_all()

    def finish(self, end: int) -> str | None:
        """Wait until the bytes before ``end`` are hashed; return the hex digest (``None``
        without a digest)."""
        self.advance(end)
        self._close()
        if self._error is not None:
            raise self._error
        if self.hashed < end:  # pragma: no cover - the thread stops only at the target
            raise RuntimeError(f"hashed {self.hashed} of {end} bytes")
        return self.digest.hexdigest() if self.digest is not None else None

    def stop(self) -> None:
        """Stop the thread (at once, in the middle of the announced bytes if need be)."""
        self._abandoned = True
        self._close()

    def _close(self) -> None:
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self._thread.join()
        if self.write_behind is not None:
            self.write_behind.close()

    def _run(self) -> None:
        try:
            while True:
                with self._changed:
                    self._discard_hashed()  # before waiting: their writers may wait for room
                    while self._target <= self.hashed and not self._closing:
                        self._changed.wait()
                    target = self._target
                    if target <= self.hashed or self._abandoned:
                        return
                self._hash_until(target)
        except BaseException as error:  # reported by finish()
            with self._changed:
                self._error = error
                self._changed.notify_all()

    def _hash_until(self, target: int) -> None:
        while self.hashed < target and not self._abandoned:
            chunk = self._buffered_chunk(target)
            if chunk is not None:  # from memory
                assert self.digest is not None
                self.digest.update(chunk)
                self.hashed += len(chunk)
                continue
            end = min(target, (self.hashed // WINDOW + 1) * WINDOW, self._next_buffered())
            if self.digest is not None:
                self._hash_region(self.hashed, end)
            self.hashed = end

    def _buffered_chunk(self, target: int) -> memoryview | None:
        """The part of the first buffered chunk that continues the hashed bytes (within
        ``target``), taken off the buffer; ``None`` if the next bytes are not buffered."""
        with self._changed:
            self._discard_hashed()
            if not self._buffer:
                return None
            offset, chunk = self._buffer[0]
            if offset > self.hashed or offset + len(chunk) > target:
                return None
            self._buffer.popleft()
            self._buffered -= len(chunk)
            self._changed.notify_all()  # room for a waiting writer
            return memoryview(chunk)[self.hashed - offset :]

    def _next_buffered(self) -> int:
        """Where the first buffered chunk starts (beyond any file)."""
        with self._changed:
            return (
                self._buffer[0][0] if self._buffer and self._buffer[0][0] > self.hashed else 1 << 62
            )

    def _hash_region(self, start: int, end: int) -> None:
        """Hash ``[start, end)`` read back from the file (the page cache) into one reused
        buffer: a copy, but no mapping to set up and tear down in a threaded process."""
        assert self.digest is not None
        if self._scratch is None:
            self._scratch = bytearray(WINDOW)
        view = memoryview(self._scratch)
        while start < end:
            count = os.preadv(self.fd, [view[: min(WINDOW, end - start)]], start)
            if count <= 0:
                raise OSError(f"the partial file ends at {start} bytes, before {end}")
            self.digest.update(view[:count])
            start += count
        view.release()


__all__ = ["PrefixFollower", "WriteBehind", "larger_than_memory_share", "sync_file_range"]
