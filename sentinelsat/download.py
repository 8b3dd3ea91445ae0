"""The download engine for a single product: lock, resume, hash while writing, verify, rename.

A product is written to ``<title><extension>.incomplete`` and renamed to its final name only
once it is complete and (with ``checksum=True``) its MD5 matches the server's. A file under
a final name is therefore always complete. The partial file is locked while it is written, so
two processes (or threads) downloading the same product into the same directory take turns
instead of corrupting each other's data.
"""

from __future__ import annotations

import hashlib
import os
import queue
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, BinaryIO

import requests
import urllib3

from .exceptions import (
    Cancelled,
    InvalidChecksumError,
    SentinelAPIError,
    SentinelAPILTAError,
    ServerError,
    ServerLimitError,
    TransferError,
    network_error,
)
from .files import (
    CHUNK_SIZE,
    DEFAULT_EXTENSION,
    PARTIAL_SUFFIX,
    checksums_match,
    extension_for,
    filename_from_disposition,
    locked_file,
    md5_of_file,
    product_files,
    safe_name,
)
from .log import logger
from .sessions import as_requests_error, check_response, send, server_message

if TYPE_CHECKING:  # pragma: no cover
    from .sentinel import SentinelAPI


_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")
_QUEUE_DEPTH = 8


#: sentinelsat 0.13's messages for a refused retrieval from the long term archive, by status.
LTA_REFUSALS = {
    403: "Requests for retrieval from LTA exceed user quota",
    500: "Trying to download an offline product",
    503: "Request for retrieval from LTA not accepted",
}


def classify_refusal(response: requests.Response, offline: bool = False) -> SentinelAPIError:
    """The exception for a refused product request.

    Parameters
    ----------
    response : requests.Response
        The server's answer (403, 500, 503...).
    offline : bool, optional
        Whether the product is offline, i.e. the request asked for its retrieval from the
        long term archive.

    Returns
    -------
    SentinelAPIError
        A :class:`ServerLimitError` for a 403 naming the user's concurrent flows (retry
        later); a :class:`SentinelAPILTAError` for a refusal (403, 500, 503) of an offline
        product (``msg`` in sentinelsat 0.13's words, the server's in ``hint``) and for a 403
        about the retrieval quota; otherwise the error :func:`check_response` gives.
    """
    message = server_message(response)
    lowered = message.lower()
    status = response.status_code
    if status == 403 and "concurrent flows" in lowered:
        return ServerLimitError(message, response)
    if offline and status in LTA_REFUSALS:
        return SentinelAPILTAError(LTA_REFUSALS[status], response, hint=message)
    if status == 403 and "quota" in lowered:
        return SentinelAPILTAError(message, response)
    try:
        check_response(response)
    except SentinelAPIError as error:
        return error
    return ServerError(message, response)


def trigger_offline_retrieval(
    session: requests.Session, url: str, timeout: Any = None, backoff: float = 0.5
) -> int:
    """Ask for an offline product, the way DHuS clients of 2018 did: a plain GET of its
    ``$value`` URL, closed without reading the body.

    Parameters
    ----------
    session : requests.Session
    url : str
        The product's ``$value`` URL.
    timeout : float or tuple, optional
    backoff : float, optional
        Base of the wait between attempts to connect.

    Returns
    -------
    int
        The HTTP status: 202 when the retrieval was accepted, 200 or 206 if the product was
        online after all.

    Raises
    ------
    SentinelAPILTAError
        The server refused the retrieval (403 quota, 500, 503).
    ServerLimitError
        The user's concurrent downloads are exhausted (403 "concurrent flows").
    """
    response = send(
        session, "GET", url, stream=True, retry_statuses=(), timeout=timeout, backoff=backoff
    )
    try:
        if response.status_code in (200, 202, 206):
            return response.status_code
        raise classify_refusal(response, offline=True)
    finally:
        response.close()


class ProductDownload:
    """Download one product into a directory.

    Parameters
    ----------
    api : SentinelAPI
        Provides the session, timeout, progress bars and URLs.
    info : dict
        The product's OData info (``get_product_odata``).
    directory : str
        Target directory (created if missing).
    checksum : bool, optional
        Verify the MD5 checksum (``True`` by default).
    cancel : threading.Event, optional
        When set, the transfer stops at the next chunk and the partial file is kept.
    """

    #: Attempts in a row that receive no new byte before a broken transfer is given up.
    max_stalled_attempts = 3

    def __init__(
        self,
        api: SentinelAPI,
        info: dict[str, Any],
        directory: str,
        checksum: bool = True,
        cancel: threading.Event | None = None,
    ) -> None:
        self.api = api
        self.info = info
        self.directory = directory
        self.checksum = checksum
        self.cancel = cancel or threading.Event()
        self.name = safe_name(info.get("title"), str(info["id"]))
        self.size: int | None = info.get("size")
        self.offline = not info.get("Online", True)
        self._reached = 0  # the largest partial file so far: attempts must get beyond it
        self._partial: str | None = None  # the locked partial file's current path

    def run(self) -> tuple[dict[str, Any], bool]:
        """Download the product, or trigger its retrieval if it is offline.

        Returns
        -------
        tuple of (dict, bool)
            The product info plus ``path`` (``None`` if only triggered) and
            ``downloaded_bytes``; and whether the retrieval of an offline product from the
            long term archive was triggered instead of a download.

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
        result = dict(self.info, path=None, downloaded_bytes=0)
        stalled = 0
        while True:
            try:
                triggered = self._attempt(result)
                return result, triggered
            except TransferError as error:
                stalled = 0 if error.progressed else stalled + 1
                if stalled >= self.max_stalled_attempts:
                    raise
                logger.info("Transfer of %s interrupted (%s); resuming", self.name, error.msg)

    # -------------------------------------------------------------- files on disk
    @contextmanager
    def _locked_partial(self) -> Iterator[tuple[BinaryIO, str]]:
        """Lock the product's partial file (an existing one, or a new ``.zip.incomplete``).

        An empty partial file is removed when the lock is released, whatever happened: a
        product that was skipped, triggered or refused leaves no file behind."""
        existing = product_files(self.directory, self.name, partial=True)
        path = (
            existing[0]
            if existing
            else os.path.join(self.directory, self.name + DEFAULT_EXTENSION + PARTIAL_SUFFIX)
        )
        # locked_file yields only once the file it locked is the one at ``path``
        with locked_file(path, self.cancel.is_set) as handle:
            self._partial = path
            try:
                yield handle, path
            finally:
                _remove_if_empty(handle, self._partial)

    def _complete_copy(self) -> str | None:
        """The path of a correct copy of the product already on disk, if any."""
        for path in product_files(self.directory, self.name):
            if self.size is not None and os.path.getsize(path) != self.size:
                continue
            if not self.checksum or self._verify_file(path):
                logger.info("Skipping %s: already downloaded to %s", self.name, path)
                return path
            logger.warning("%s exists but its checksum is wrong: downloading it again", path)
        return None

    def _verify_file(self, path: str) -> bool:
        with self.api._tqdm(
            desc="MD5 checksumming " + os.path.basename(path),
            total=os.path.getsize(path),
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            leave=False,
        ) as progress:
            return checksums_match(self.info.get("md5"), md5_of_file(path, progress).hexdigest())

    # -------------------------------------------------------------- one attempt
    def _attempt(self, result: dict[str, Any]) -> bool:
        with self._locked_partial() as (handle, partial):
            complete = self._complete_copy()
            if complete is not None:
                result["path"] = complete
                return False
            if self.offline:
                self._trigger_retrieval(result)
                return True
            offset, digest = self._usable_prefix(handle)
            self._reached = max(self._reached, offset)
            if offset == self.size:  # complete, but its download was killed before the rename
                result["path"] = self._finish(
                    handle, partial, partial[: -len(PARTIAL_SUFFIX)], digest, 0
                )
                return False
            response = self._request(offset)
            try:
                if response.status_code == 202:  # went offline since its info was read
                    result["path"] = os.path.join(self.directory, self.name + DEFAULT_EXTENSION)
                    return True
                final, partial = self._name_from_response(response, partial)
                digest, written = self._receive(response, handle, partial, offset, result)
            finally:
                response.close()
            result["path"] = self._finish(handle, partial, final, digest, written)
            return False

    def _usable_prefix(self, handle: BinaryIO) -> tuple[int, str | None]:
        """Bytes of the partial file to keep, and the MD5 of a complete one.

        A partial file that cannot be part of the product (larger than it, or complete but
        with the wrong checksum) is emptied."""
        size = os.fstat(handle.fileno()).st_size
        if self.size is None or size < self.size:
            return size, None
        if size == self.size:
            if not self.checksum:
                return size, None
            digest = md5_of_file(handle.name).hexdigest()
            if checksums_match(self.info.get("md5"), digest):
                return size, digest
        logger.warning("Discarding %s: it does not match the product", handle.name)
        handle.truncate(0)
        return 0, None

    def _trigger_retrieval(self, result: dict[str, Any]) -> None:
        """Ask for the offline product's retrieval from the long term archive. As in
        sentinelsat 0.13, the result's ``path`` is where the file will be once downloaded."""
        trigger_offline_retrieval(
            self.api.session, self._url(), self.api.timeout, self.api.retry_backoff
        )
        logger.info(
            "Accepted for retrieval: triggered the retrieval of offline product %s from the "
            "long term archive",
            self.name,
        )
        result["path"] = os.path.join(self.directory, self.name + DEFAULT_EXTENSION)

    def _url(self) -> str:
        return self.api._odata_url(self.info["id"], "/$value")

    def _request(self, offset: int | None) -> requests.Response:
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        response = send(
            self.api.session,
            "GET",
            self._url(),
            headers=headers,
            stream=True,
            timeout=self.api.timeout,
            backoff=self.api.retry_backoff,
        )
        if response.status_code in (200, 202, 206):
            return response
        if response.status_code == 416 and offset:
            response.close()
            return self._request(0)
        try:
            raise classify_refusal(response, self.offline)  # reads the error body first
        finally:
            response.close()

    def _name_from_response(self, response: requests.Response, partial: str) -> tuple[str, str]:
        """Final and partial paths, with the extension the server gives the product."""
        server_filename = filename_from_disposition(response.headers.get("Content-Disposition"))
        final = os.path.join(
            self.directory, self.name + extension_for(self.info.get("title"), server_filename)
        )
        if partial != final + PARTIAL_SUFFIX:
            os.replace(partial, final + PARTIAL_SUFFIX)  # the lock follows the file
            self._partial = final + PARTIAL_SUFFIX
        return final, final + PARTIAL_SUFFIX

    def _receive(
        self,
        response: requests.Response,
        handle: BinaryIO,
        partial: str,
        offset: int,
        result: dict[str, Any],
    ) -> tuple[str | None, int]:
        """Write the body after the kept prefix, or from the start if the server ignored
        the range (never appending a whole body). Return the MD5 of the whole file (if
        checksumming) and the number of bytes written."""
        if response.status_code != 206 or _range_start(response) != offset:
            if response.status_code == 206:
                raise TransferError("The server resumed at an unexpected offset", response)
            offset = 0
        handle.truncate(offset)
        handle.seek(offset)
        # by its current path: handle.name is the path before a rename to the server's extension
        digest = md5_of_file(partial, limit=offset) if self.checksum else None
        with self.api._tqdm(
            desc=self.name,
            total=self.size,
            initial=offset,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            leave=False,
        ) as progress:
            limit = None if self.size is None else self.size - offset
            try:
                written = _copy_body(response, handle, digest, progress, self.cancel, limit, result)
            except TransferError as error:
                error.progressed = self._advanced(handle.tell())
                raise
            except OSError as error:  # e.g. disk full
                named = _naming_file(error, partial)
                if named is error:
                    raise
                raise named from error
        return (digest.hexdigest() if digest is not None else None), written

    def _advanced(self, size: int) -> bool:
        """Whether the partial file, now ``size`` bytes, is larger than ever before."""
        if size <= self._reached:
            return False
        self._reached = size
        return True

    def _finish(
        self, handle: BinaryIO, partial: str, final: str, digest: str | None, written: int
    ) -> str:
        """Check size and checksum, then give the partial file its final name."""
        handle.flush()
        os.fsync(handle.fileno())
        size = os.fstat(handle.fileno()).st_size
        if self.size is not None and size != self.size:
            error = TransferError(
                f"Download of {self.name} incomplete: {size} of {self.size} bytes"
            )
            error.progressed = self._advanced(size)
            raise error
        if self.checksum and not checksums_match(self.info.get("md5"), digest or ""):
            os.remove(partial)
            raise InvalidChecksumError(
                hint=f"The MD5 checksum of {self.name} ({digest}) does not match the server's "
                f"({self.info.get('md5')}); the corrupt download was deleted."
            )
        os.replace(partial, final)
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
    digest: hashlib._Hash | None,
    progress: Any,
    cancel: threading.Event,
    limit: int | None,
    result: dict[str, Any],
) -> int:
    """Stream the body into ``handle``, never more than ``limit`` bytes; return the bytes
    written. A second thread hashes the chunks while this one receives and writes them
    (hashlib and file writes release the GIL), so checksumming costs no extra pass."""
    hasher = _BackgroundHasher(digest) if digest is not None else None
    received = 0
    try:
        for chunk in _body_chunks(response, limit):
            if cancel.is_set():
                raise Cancelled()
            if limit is not None and received + len(chunk) > limit:
                logger.warning(
                    "The server sent more than the product's size; the excess is ignored"
                )
                chunk = chunk[: limit - received]
            if hasher is not None:
                hasher.update(chunk)
            handle.write(chunk)
            received += len(chunk)
            result["downloaded_bytes"] += len(chunk)
            progress.update(len(chunk))
            if limit is not None and received >= limit:
                break
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as error:
        transfer = network_error(
            as_requests_error(error), f"Connection lost after {received} bytes.", TransferError
        )
        transfer.response = response
        transfer.progressed = received > 0
        raise transfer from error
    finally:
        if hasher is not None:
            hasher.finish()
    return received


def _body_chunks(response: requests.Response, limit: int | None) -> Iterator[bytes]:
    """The body in chunks of up to ``CHUNK_SIZE`` bytes, never more than ``limit`` in all.

    A body the server did not encode (products never are) is read undecoded, each chunk
    being what the connection has delivered so far: the bytes that arrived before the
    connection broke or stalled are kept, and nothing beyond the product is waited for.
    (A decoding read waits for a whole chunk, and drops it when the connection fails.)"""
    raw = response.raw
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity") or not hasattr(raw, "read1"):  # urllib3 < 2 has no read1
        yield from response.iter_content(CHUNK_SIZE)
        return
    while limit is None or limit > 0:
        chunk = raw.read1(
            CHUNK_SIZE if limit is None else min(CHUNK_SIZE, limit)
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


class _BackgroundHasher:
    """Feeds chunks to a hash object in a background thread, in order."""

    def __init__(self, digest: hashlib._Hash) -> None:
        self.digest = digest
        self.chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=_QUEUE_DEPTH)
        self.thread = threading.Thread(target=self._run, name="sentinelsat-md5", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for chunk in iter(self.chunks.get, None):
            self.digest.update(chunk)

    def update(self, chunk: bytes) -> None:
        """Queue a chunk (blocks while the hasher is ``_QUEUE_DEPTH`` chunks behind)."""
        self.chunks.put(chunk)

    def finish(self) -> None:
        """Wait until every queued chunk is hashed."""
        self.chunks.put(None)
        self.thread.join()
