"""Verifying product files on disk against the server's sizes and checksums."""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from .checksums import checksums_match, expected_checksum, file_digest, label
from .files import DEFAULT_EXTENSION, product_files, safe_name
from .log import logger
from .sessions import Connection

if TYPE_CHECKING:  # pragma: no cover
    from .backends import Backend


Info = dict[str, Any]


def check_files(
    connection: Connection,
    backend: Backend,
    paths: Iterable[str] | None = None,
    ids: Iterable[str] | None = None,
    directory: str | None = None,
    delete: bool = False,
) -> dict[str, list[Info]]:
    """Verify product files on disk; see :meth:`SentinelAPI.check_files`."""
    if paths is not None and ids is not None:
        raise ValueError("Give either paths or ids (with a directory), not both")
    if ids is not None:
        if directory is None:
            raise ValueError("Checking by ids needs the directory the files are in")
        expected = _expected_files_for_ids(connection, backend, list(ids), directory)
    elif paths is not None:
        expected = _expected_files_for_paths(connection, backend, list(paths))
    else:
        raise ValueError("Give the file paths, or the product ids and their directory")
    corrupt = _verify(connection, expected)
    if delete:
        for path, infos in corrupt.items():
            if infos and os.path.exists(path):
                logger.info("Deleting corrupt file %s", path)
                os.remove(path)
    return corrupt


def _product_infos(connection: Connection, backend: Backend, ids: list[str]) -> dict[str, Info]:
    """The info of each product, ``connection.concurrency`` requests at a time."""

    def info(product_id: str) -> Info:
        return backend.product_info(connection, product_id)

    with ThreadPoolExecutor(max(1, min(connection.concurrency, len(ids)))) as pool:
        return dict(zip(ids, pool.map(info, ids)))


def _expected_files_for_ids(
    connection: Connection, backend: Backend, ids: list[str], directory: str
) -> dict[str, list[Info]]:
    expected: dict[str, list[Info]] = {}
    for info in _product_infos(connection, backend, ids).values():
        name = safe_name(info.get("title"), str(info["id"]))
        found = product_files(directory, name) or [
            os.path.join(directory, name + DEFAULT_EXTENSION)
        ]
        for path in found:
            expected.setdefault(path, []).append(info)
    return expected


def _product_name(path: str) -> str:
    """The product title a file is named after: its name up to the first dot."""
    return os.path.basename(path).split(".", 1)[0]


def _expected_files_for_paths(
    connection: Connection, backend: Backend, paths: list[str]
) -> dict[str, list[Info]]:
    names = {path: _product_name(path) for path in paths}
    ids_by_name = backend.search_names(connection, dict.fromkeys(names.values()))
    infos = _product_infos(
        connection, backend, sorted({pid for ids in ids_by_name.values() for pid in ids})
    )
    expected = {}
    for path, name in names.items():
        expected[path] = [infos[pid] for pid in ids_by_name.get(name, [])]
        if not expected[path]:
            logger.warning("No product named %s found on the server", name)
    return expected


def _verify(connection: Connection, expected: dict[str, list[Info]]) -> dict[str, list[Info]]:
    """Map each file that is missing, unknown or does not match any of its products to those
    products."""
    corrupt: dict[str, list[Info]] = {}
    to_hash: dict[str, list[Info]] = {}
    for path, infos in expected.items():
        if not os.path.isfile(path):
            logger.info("%s is missing", path)
            corrupt[path] = infos
            continue
        same_size = [info for info in infos if info.get("size") == os.path.getsize(path)]
        if same_size:
            to_hash[path] = same_size
        else:
            corrupt[path] = infos
    for path, infos in expected.items():
        if len(infos) > 1:
            logger.warning(
                "%d products on the server are named like %s: any match is accepted",
                len(infos),
                path,
            )
    wanted = {
        (path, checksum[0]): checksum[1]
        for path, infos in to_hash.items()
        for checksum in map(expected_checksum, infos)
        if checksum is not None
    }
    digests = _hash_files(connection, list(wanted))
    for path, infos in to_hash.items():
        if not any(_matches(info, path, digests) for info in infos):
            corrupt[path] = expected[path]
    return corrupt


def _matches(info: Info, path: str, digests: dict[tuple[str, str], str]) -> bool:
    checksum = expected_checksum(info)
    if checksum is None:  # only the size can be compared, and it matched
        return True
    return checksums_match(checksum[1], digests[(path, checksum[0])])


def _hash_files(connection: Connection, files: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The digest of every ``(path, algorithm)``, several files at a time (hashlib and file
    reads release the GIL)."""
    if not files:
        return {}
    total = sum(os.path.getsize(path) for path, _ in files)
    workers = max(1, min(len(files), os.cpu_count() or 1))
    algorithms = {algorithm for _, algorithm in files}
    name = label(algorithms.pop()) if len(algorithms) == 1 else "Checksum"
    with connection.progress(
        desc=f"{name} checksumming", total=total, unit="B", unit_scale=True, unit_divisor=1024
    ) as progress:
        with ThreadPoolExecutor(workers, thread_name_prefix="sentinelsat-checksum") as pool:
            digests = pool.map(
                lambda file: file_digest(file[0], file[1], progress).hexdigest(), files
            )
            return dict(zip(files, digests))
