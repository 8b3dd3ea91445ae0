"""Local files: safe product file names and locks on partial downloads."""

from __future__ import annotations

import errno
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from typing import BinaryIO, Callable

from .log import logger

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock; downloads are then unlocked
    fcntl = None  # type: ignore[assignment]


#: Bytes read or written at a time. Large enough for hashlib to release the GIL and for
#: few system calls, small enough to keep memory flat.
CHUNK_SIZE = 1 << 20

PARTIAL_SUFFIX = ".incomplete"
DEFAULT_EXTENSION = ".zip"

_UNSAFE_CHARACTERS = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_EXTENSION = re.compile(r"^(?:\.[A-Za-z0-9]{1,10}){1,3}$")
_MAX_NAME_LENGTH = 200


def safe_name(title: str | None, fallback: str) -> str:
    """Turn a product title from the server into a file name that stays in its directory.

    Path separators, control characters and characters that are invalid on common file
    systems become ``_``; leading dots are removed (no ``..`` or hidden files); an empty
    result falls back to ``fallback`` (the product id, sanitised the same way).

    Parameters
    ----------
    title : str or None
        The product title.
    fallback : str
        Used when the title gives no usable name.

    Returns
    -------
    str
    """
    name = _UNSAFE_CHARACTERS.sub("_", title or "").strip().lstrip(".").strip()
    if not name:
        name = _UNSAFE_CHARACTERS.sub("_", fallback).strip().lstrip(".") or "product"
    return name[:_MAX_NAME_LENGTH]


def filename_from_disposition(content_disposition: str | None) -> str | None:
    """The base name of the ``filename`` in a ``Content-Disposition`` header, if any."""
    if not content_disposition:
        return None
    message = Message()
    message["Content-Disposition"] = content_disposition
    filename = message.get_filename()
    if not filename:
        return None
    return filename.replace("\\", "/").rsplit("/", 1)[-1]


def extension_for(title: str | None, server_filename: str | None) -> str:
    """The file extension the server gives a product (``.zip`` for SAFE products).

    Parameters
    ----------
    title : str or None
        The product title.
    server_filename : str or None
        The file name from the ``Content-Disposition`` header.

    Returns
    -------
    str
        The server's extension if it is a plain one (letters and digits, e.g. ``.zip``,
        ``.nc``, ``.tar.gz``), otherwise ``.zip``.
    """
    if not server_filename:
        return DEFAULT_EXTENSION
    if title and server_filename.startswith(title) and len(server_filename) > len(title):
        extension = server_filename[len(title) :]
    else:
        extension = os.path.splitext(server_filename)[1]
    return extension if _EXTENSION.match(extension) else DEFAULT_EXTENSION


def product_files(directory: str, name: str, partial: bool = False) -> list[str]:
    """Files in ``directory`` holding the product ``name`` (its safe title).

    Parameters
    ----------
    directory : str
    name : str
        The product's file name without extension (see :func:`safe_name`).
    partial : bool, optional
        Look for partial downloads (``<name><extension>.incomplete``) instead of complete
        files (``<name><extension>``).

    Returns
    -------
    list of str
        Paths, sorted by name; empty if the directory does not exist.
    """
    try:
        entries = sorted(os.listdir(directory))
    except FileNotFoundError:
        return []
    found = []
    for entry in entries:
        if not entry.startswith(name + ".") or entry.endswith(PARTIAL_SUFFIX) != partial:
            continue
        stem = entry[: -len(PARTIAL_SUFFIX)] if partial else entry
        path = os.path.join(directory, entry)
        if extension_for(name, stem) == stem[len(name) :] and os.path.isfile(path):
            found.append(path)
    return found


@contextmanager
def locked_file(
    path: str, cancelled: Callable[[], bool] = lambda: False, poll: float = 0.2
) -> Iterator[BinaryIO]:
    """Open (creating it if needed) and exclusively lock a partial download file.

    Another process or thread working on the same product holds the lock while it writes;
    this waits until it is released. Because the holder renames the file when it is done,
    the lock is only kept if the path still refers to the locked file.

    Parameters
    ----------
    path : str
        The ``.incomplete`` file.
    cancelled : callable, optional
        Polled while waiting; when it returns True, :class:`KeyboardInterrupt` is raised.
    poll : float, optional
        Seconds between attempts to take the lock.

    Yields
    ------
    file object
        Opened for reading and writing, positioned at the start.
    """
    waited = False
    while True:
        handle = open(path, "a+b")
        if _try_lock(handle):
            if _still_linked(handle, path):
                break
        elif not waited:
            logger.info("Waiting for another download of %s to finish", os.path.basename(path))
            waited = True
        handle.close()
        if cancelled():
            raise KeyboardInterrupt
        time.sleep(poll)
    try:
        handle.seek(0)
        yield handle
    finally:
        handle.close()


def _try_lock(handle: BinaryIO) -> bool:
    if fcntl is None:  # pragma: no cover
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return False
        raise


def _still_linked(handle: BinaryIO, path: str) -> bool:
    try:
        return os.path.samestat(os.fstat(handle.fileno()), os.stat(path))
    except FileNotFoundError:
        return False
