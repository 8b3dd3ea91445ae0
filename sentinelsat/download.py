"""The download engine for a single product: lock, resume, hash while writing, verify, rename.

A product is written to ``<title><extension>.incomplete`` and renamed to its final name only
once it is complete and (with ``checksum=True``) its MD5 matches the server's. A file under
a final name is therefore always complete. The partial file is locked while it is written, so
two processes (or threads) downloading the same product into the same directory take turns
instead of corrupting each other's data.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, BinaryIO

import requests
import urllib3

from .checksums import checksums_match, expected_checksum, file_digest, label
from .exceptions import (
    Cancelled,
    InvalidChecksumError,
    TransferError,
    network_error,
)
from .files import (
    DEFAULT_EXTENSION,
    PARTIAL_SUFFIX,
    filename_from_disposition,
    locked_file,
    product_files,
    safe_name,
)
from .log import logger
from .prefix import PrefixFollower, WriteBehind, larger_than_memory_share
from .products import with_values
from .ranges import RangeSet, load_state, move_state, remove_state
from .sessions import Connection, as_requests_error

if TYPE_CHECKING:  # pragma: no cover
    from .backends import Backend
    from .flows import Flows


_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")

#: Most bytes read from the connection at a time: each read is a new bytes object, so a
#: small one keeps the process's memory close to what it needs besides the download.
READ_SIZE = 256 << 10


class ProductDownload:
    """Download one product into a directory.

    Parameters
    ----------
    connection : Connection
        The session, timeout, back-off and progress bars.
    backend : Backend
        The server's protocol: the product's URL, how an offline product is asked for, how a
        refusal is read.
    info : dict
        The product's info (:meth:`Backend.product_info`).
    directory : str
        Target directory (created if missing).
    checksum : bool, optional
        Verify the MD5 checksum (``True`` by default).
    cancel : threading.Event, optional
        When set, the transfer stops at the next chunk and the partial file is kept.
    flows : Flows, optional
        The batch's flow accounting: with it, a large product whose server accepts ranges is
        fetched in segments over the flows it can spare (:mod:`sentinelsat.segments`).
    """

    #: Attempts in a row that receive no new byte before a broken transfer is given up.
    max_stalled_attempts = 3

    def __init__(
        self,
        connection: Connection,
        backend: Backend,
        info: dict[str, Any],
        directory: str,
        checksum: bool = True,
        cancel: threading.Event | None = None,
        flows: Flows | None = None,
    ) -> None:
        self.connection = connection
        self.flows = flows
        self.backend = backend
        self.info = info
        self.directory = directory
        self.checksum = checksum
        self.cancel = cancel or threading.Event()
        self.name = safe_name(info.get("title"), str(info["id"]))
        self.size: int | None = info.get("size")
        self.offline = not info.get("Online", True)
        self.expected = expected_checksum(info) if checksum else None  # (algorithm, digest)
        if checksum and self.expected is None:
            logger.warning("%s has no checksum on the server: only its size is verified", self.name)
        self.transferred = 0  # body bytes received by this download, over all attempts
        self.partial: str | None = None  # the locked partial file's current path
        self._reached = 0  # the largest partial file so far: attempts must get beyond it

    def run(self) -> tuple[dict[str, Any], bool]:
        """Download the product, or trigger its retrieval if it is offline.

        Returns
        -------
        tuple of (dict, bool)
            The product info plus ``path`` (where the file is, or will be once an offline
            product is online again) and ``downloaded_bytes``; and whether the retrieval of an
            offline product from the long term archive was triggered instead of a download.

        Raises
        ------
        InvalidChecksumError
            The downloaded data does not match the server's checksum (it is deleted).
        SentinelAPILTAError
            The server refused to retrieve an offline product.
        ServerLimitError
            The server refused because the user's concurrent downloads are exhausted.
        SentinelAPIError
            Any other failure; the partial file is kept for the next attempt.
        OSError
            The file could not be written (e.g. disk full); the partial file is kept.
        """
        os.makedirs(self.directory, exist_ok=True)
        stalled = 0
        while True:
            try:
                path, triggered = self._attempt()
                result = with_values(self.info, path=path, downloaded_bytes=self.transferred)
                return result, triggered
            except TransferError as error:
                stalled = 0 if error.progressed else stalled + 1
                if stalled >= self.max_stalled_attempts:
                    raise
                logger.info("Transfer of %s interrupted (%s); resuming", self.name, error.msg)

    # -------------------------------------------------------------- files on disk
    @contextmanager
    def _locked_partial(self) -> Iterator[BinaryIO]:
        """Lock the product's partial file (an existing one, or a new ``.zip.incomplete``).

        An empty partial file is removed when the lock is released, whatever happened: a
        product that was skipped, triggered or refused leaves no file behind."""
        path = self._partial_path()
        # locked_file yields only once the file it locked is the one at ``path``
        with locked_file(path, self.cancel.is_set) as handle:
            self.partial = path
            try:
                yield handle
            finally:
                _remove_if_empty(handle, self.partial)

    def _path(self, extension: str) -> str:
        return os.path.join(self.directory, self.name + extension)

    # the hooks a download of something else than a whole product overrides
    def _partial_path(self) -> str:
        """The partial file to continue: an existing one, or a new ``.zip.incomplete``."""
        existing = product_files(self.directory, self.name, partial=True)
        return existing[0] if existing else self._path(DEFAULT_EXTENSION) + PARTIAL_SUFFIX

    def _complete_candidates(self) -> list[str]:
        """Files that may already hold the complete download."""
        return product_files(self.directory, self.name)

    def _url(self) -> str:
        return self.backend.download_url(self.info)

    def _final_path(self, response: requests.Response) -> str:
        """The final path, with the extension the server gives the product."""
        server_filename = filename_from_disposition(response.headers.get("Content-Disposition"))
        return self._path(self.backend.file_extension(self.info, server_filename))

    def _complete_copy(self) -> str | None:
        """The path of a correct copy of the product already on disk, if any."""
        for path in self._complete_candidates():
            if self.size is not None and os.path.getsize(path) != self.size:
                continue
            if self.expected is None or self._verify_file(path):
                logger.info("Skipping %s: already downloaded to %s", self.name, path)
                return path
            logger.warning("%s exists but its checksum is wrong: downloading it again", path)
        return None

    def _verify_file(self, path: str) -> bool:
        assert self.expected is not None
        algorithm, expected = self.expected
        with self.connection.progress(
            desc=f"{label(algorithm)} checksumming {os.path.basename(path)}",
            total=os.path.getsize(path),
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            leave=False,
        ) as progress:
            return checksums_match(expected, file_digest(path, algorithm, progress).hexdigest())

    # -------------------------------------------------------------- one attempt
    def _attempt(self) -> tuple[str, bool]:
        """One attempt: ``(path, triggered)``."""
        with self._locked_partial() as handle:
            complete = self._complete_copy()
            if complete is not None:
                return complete, False
            if self.offline:
                return self._trigger_retrieval(), True
            segmented = self._segmented(handle)
            if segmented is not None:
                return segmented, False
            offset, digest = self._usable_prefix(handle)
            self._reached = max(self._reached, offset)
            if offset == self.size:  # complete, but its download was killed before the rename
                return self._finish(handle, self._final_of_partial(), digest), False
            response = self._request(offset)
            try:
                if self.backend.is_accepted_retrieval(response):  # went offline meanwhile
                    return self._path(DEFAULT_EXTENSION), True
                final = self._name_from_response(response)
                digest = self._receive(response, handle, offset)
            finally:
                response.close()
            return self._finish(handle, final, digest), False

    def _final_of_partial(self) -> str:
        assert self.partial is not None
        return self.partial[: -len(PARTIAL_SUFFIX)]

    def _usable_prefix(self, handle: BinaryIO) -> tuple[int, str | None]:
        """Bytes of the partial file to keep, and the MD5 of a complete one.

        A partial file that cannot be part of the product (larger than it, or complete but
        with the wrong checksum) is emptied; one with holes (segments) is cut after its
        contiguous prefix."""
        size = os.fstat(handle.fileno()).st_size
        assert self.partial is not None
        state = load_state(self.partial, self.size, size)
        if state is not None:
            if self.size is None or not state.covers(self.size):
                size = state.prefix()
                handle.truncate(size)
            remove_state(self.partial)
        if self.size is None or size < self.size:
            return size, None
        if size == self.size:
            if self.expected is None:
                return size, None
            algorithm, expected = self.expected
            digest = file_digest(handle.name, algorithm).hexdigest()
            if checksums_match(expected, digest):
                return size, digest
        logger.warning("Discarding %s: it does not match the product", handle.name)
        handle.truncate(0)
        return 0, None

    def _trigger_retrieval(self) -> str:
        """Ask for the offline product's retrieval from the long term archive; return where
        the file will be once it is downloaded (as sentinelsat 0.13 did)."""
        self.backend.trigger_retrieval(self.connection, self.info)
        logger.info(
            "Accepted for retrieval: triggered the retrieval of offline product %s from the "
            "long term archive",
            self.name,
        )
        return self._path(DEFAULT_EXTENSION)

    def _request(self, offset: int | None) -> requests.Response:
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        url = self._url()
        response = self.connection.send("GET", url, headers=headers, stream=True)
        if response.status_code in (200, 202, 206):
            return response
        if response.status_code == 416 and offset:
            response.close()
            return self._request(0)
        try:
            raise self.backend.refusal(response, self.offline)  # reads the error body first
        finally:
            response.close()

    def _name_from_response(self, response: requests.Response) -> str:
        """The final path, with the extension the server gives the product; the partial
        file is renamed to match it."""
        final = self._final_path(response)
        if self.partial != final + PARTIAL_SUFFIX:
            assert self.partial is not None
            os.replace(self.partial, final + PARTIAL_SUFFIX)  # the lock follows the file
            move_state(self.partial, final + PARTIAL_SUFFIX)
            self.partial = final + PARTIAL_SUFFIX
        return final

    def _receive(self, response: requests.Response, handle: BinaryIO, offset: int) -> str | None:
        """Write the body after the kept prefix, or from the start if the server ignored
        the range (never appending a whole body). Return the MD5 of the whole file (if
        checksumming)."""
        start = _range_start(response)
        if response.status_code == 206 and "Content-Range" not in response.headers:
            start = offset  # a partial answer to our range that does not say where it starts
        if response.status_code != 206 or start != offset:
            if response.status_code == 206:
                raise TransferError("The server resumed at an unexpected offset", response)
            offset = 0
        handle.truncate(offset)
        handle.seek(offset)
        assert self.partial is not None
        # by its current path: handle.name is the path before a rename to the server's extension
        digest = (
            file_digest(self.partial, self.expected[0], limit=offset) if self.expected else None
        )
        with self._progress(offset) as progress:
            limit = None if self.size is None else self.size - offset
            follower = self._follower(handle.fileno(), digest, offset)
            try:
                _copy_body(response, handle, follower, self._counter(progress), self.cancel, limit)
            except BaseException as error:
                follower.stop()
                if isinstance(error, TransferError):
                    error.progressed = self._advanced(handle.tell())
                elif isinstance(error, OSError):  # e.g. disk full
                    named = _naming_file(error, self.partial)
                    if named is not error:
                        raise named from error
                raise
            return follower.finish(handle.tell())

    def _progress(self, initial: int) -> Any:
        return self.connection.progress(
            desc=self.name,
            total=self.size,
            initial=initial,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            leave=False,
        )

    def _counter(self, progress: Any) -> Callable[[int], None]:
        """Counts received bytes (from any thread) in :attr:`transferred` and the bar."""
        lock = threading.Lock()

        def received(count: int) -> None:
            with lock:
                self.transferred += count
                progress.update(count)

        return received

    def _follower(self, fd: int, digest: Any | None, start: int) -> PrefixFollower:
        """Hashes the file behind the writers and flushes it to the disk as it goes."""
        drop_cache = larger_than_memory_share(self.size)
        return PrefixFollower(fd, digest, start, WriteBehind(fd, drop_cache))

    # -------------------------------------------------------------- segments
    def _segmented(self, handle: BinaryIO) -> str | None:
        """Fetch the product in segments when that is worth it (a large product and flows
        to borrow, or segments of an earlier run to keep); return the final path, or
        ``None`` to download it over one connection."""
        from .segments import MIN_SEGMENTED

        assert self.partial is not None
        file_size = os.fstat(handle.fileno()).st_size
        if self.size is None or file_size > self.size:
            return None
        state = load_state(self.partial, self.size, file_size)
        complete = state if state is not None else RangeSet([(0, file_size)])
        missing = self.size - complete.total()
        has_holes = complete.total() != complete.prefix()
        if missing == 0 or (not has_holes and (self.flows is None or missing < MIN_SEGMENTED)):
            return None  # (a complete file is verified as any complete partial file)
        return self._fetch_segments(handle, complete)

    def _fetch_segments(self, handle: BinaryIO, complete: RangeSet) -> str | None:
        from .segments import RangesIgnored, SegmentedTransfer

        assert self.partial is not None and self.size is not None
        prefix, before = complete.prefix(), complete.total()
        digest = (
            file_digest(self.partial, self.expected[0], limit=prefix) if self.expected else None
        )
        fd = os.open(self.partial, os.O_RDWR)
        try:
            with self._progress(before) as progress:
                follower = self._follower(fd, digest, prefix)
                transfer = SegmentedTransfer(
                    self.connection,
                    self._url(),
                    lambda response: self.backend.refusal(response, self.offline),
                    fd,
                    self._name_from_response,
                    self.size,
                    complete,
                    follower,
                    self.flows,
                    self.cancel,
                    self._counter(progress),
                )
                try:
                    transfer.run()
                except RangesIgnored:
                    follower.stop()
                    return None  # over one connection, as the server wants
                except BaseException as error:
                    follower.stop()
                    if isinstance(error, TransferError):
                        error.progressed = complete.total() > before
                    elif isinstance(error, OSError):  # e.g. disk full
                        named = _naming_file(error, self.partial)
                        if named is not error:
                            raise named from error
                    raise
                digest_hex = follower.finish(self.size)
        finally:
            os.close(fd)
        remove_state(self.partial)
        return self._finish(handle, self._final_of_partial(), digest_hex)

    def _advanced(self, size: int) -> bool:
        """Whether the partial file, now ``size`` bytes, is larger than ever before."""
        if size <= self._reached:
            return False
        self._reached = size
        return True

    def _finish(self, handle: BinaryIO, final: str, digest: str | None) -> str:
        """Check size and checksum, then give the partial file its final name."""
        assert self.partial is not None
        handle.flush()
        os.fsync(handle.fileno())
        size = os.fstat(handle.fileno()).st_size
        if self.size is not None and size != self.size:
            error = TransferError(
                f"Download of {self.name} incomplete: {size} of {self.size} bytes"
            )
            error.progressed = self._advanced(size)
            raise error
        if self.expected is not None and not checksums_match(self.expected[1], digest or ""):
            os.remove(self.partial)
            raise InvalidChecksumError(
                hint=f"The {label(self.expected[0])} checksum of {self.name} ({digest}) does not "
                f"match the server's ({self.expected[1]}); the corrupt download was deleted."
            )
        os.replace(self.partial, final)
        logger.info("Downloaded %s to %s", self.name, final)
        return final


def _remove_if_empty(handle: BinaryIO, path: str | None) -> None:
    """Remove the locked partial file at ``path`` if nothing was written to it."""
    try:
        handle.flush()
        if path is not None and os.fstat(handle.fileno()).st_size == 0 and _same_file(handle, path):
            os.remove(path)
    except OSError:  # already renamed or removed, or the flush failed: keep what is there
        pass


def _same_file(handle: BinaryIO, path: str) -> bool:
    return os.path.samestat(os.fstat(handle.fileno()), os.stat(path))


def _range_start(response: requests.Response) -> int:
    match = _CONTENT_RANGE.match(response.headers.get("Content-Range", "").strip())
    return int(match.group(1)) if match else -1


def _copy_body(
    response: requests.Response,
    handle: BinaryIO,
    follower: PrefixFollower,
    received_bytes: Callable[[int], None],
    cancel: threading.Event,
    limit: int | None,
) -> int:
    """Stream the body into ``handle``, never more than ``limit`` bytes; return the bytes
    written. The follower hashes (and flushes) what is written in a second thread, reading
    it back from the page cache, so checksumming costs no extra pass and holds no chunk."""
    received = 0
    start = handle.tell()
    try:
        for chunk in _body_chunks(response, limit):
            if cancel.is_set():
                raise Cancelled()
            if limit is not None and received + len(chunk) > limit:
                logger.warning(
                    "The server sent more than the product's size; the excess is ignored"
                )
                chunk = chunk[: limit - received]
            handle.write(chunk)
            handle.flush()
            follower.offer(start + received, chunk)
            received += len(chunk)
            follower.advance(start + received)
            received_bytes(len(chunk))
            if limit is not None and received >= limit:
                break
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as error:
        transfer = network_error(
            as_requests_error(error), f"Connection lost after {received} bytes.", TransferError
        )
        transfer.response = response
        transfer.progressed = received > 0
        raise transfer from error
    return received


def _body_chunks(response: requests.Response, limit: int | None) -> Iterator[bytes]:
    """The body in chunks of up to ``READ_SIZE`` bytes, never more than ``limit`` in all.

    A body the server did not encode (products never are) is read undecoded, each chunk
    being what the connection has delivered so far: the bytes that arrived before the
    connection broke or stalled are kept, and nothing beyond the product is waited for.
    (A decoding read waits for a whole chunk, and drops it when the connection fails.)"""
    raw = response.raw
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity") or not hasattr(raw, "read1"):  # urllib3 < 2 has no read1
        yield from response.iter_content(READ_SIZE)
        return
    while limit is None or limit > 0:
        chunk = raw.read1(
            READ_SIZE if limit is None else min(READ_SIZE, limit)
        )  # requests turns decoding off
        if not chunk:
            return
        if limit is not None:
            limit -= len(chunk)
        yield chunk


def _naming_file(error: OSError, path: str) -> OSError:
    """A write error that says which file (``[Errno 28] No space left on device: '...'``)."""
    if error.filename is not None or error.errno is None:
        return error
    return OSError(error.errno, error.strerror, path)


def __getattr__(name: str) -> Any:
    # sentinelsat 1.x's module ``sentinelsat.download`` held these
    if name == "Downloader":
        from .downloader import Downloader

        return Downloader
    if name == "DownloadStatus":
        from .results import DownloadStatus

        return DownloadStatus
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
