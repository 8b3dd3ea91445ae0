"""Checksums of product files: which one a product has, and hashing files with it.

A product's info carries its checksum under the algorithm's name, as sentinelsat 0.13 keyed it
(``md5``; ``sha3-256`` for the DHuS servers that sent SHA3-256; ``blake3`` on the Copernicus
Data Space Ecosystem). MD5 is preferred when there are several: it is the fastest to compute.
BLAKE3 needs the ``blake3`` package, imported when a product asks for it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .files import CHUNK_SIZE

#: Checksum keys of a product info, in the order of preference.
ALGORITHMS = ("md5", "sha3-256", "blake3")

_LABELS = {"md5": "MD5", "sha3-256": "SHA3-256", "blake3": "BLAKE3"}


def expected_checksum(info: dict[str, Any]) -> tuple[str, str] | None:
    """The product's checksum: ``(algorithm, hex digest)``, or ``None`` if it has none."""
    for algorithm in ALGORITHMS:
        value = info.get(algorithm)
        if isinstance(value, str) and value.strip():
            return algorithm, value.strip()
    return None


def label(algorithm: str) -> str:
    """How the algorithm is written for people: ``MD5``, ``SHA3-256``, ``BLAKE3``."""
    return _LABELS.get(algorithm, algorithm.upper())


def new_hash(algorithm: str = "md5") -> Any:
    """A new hash object of ``algorithm`` (one of :data:`ALGORITHMS`).

    Raises
    ------
    ImportError
        For BLAKE3 without the ``blake3`` package (the message says what to install).
    """
    if algorithm == "md5":
        return hashlib.md5()
    if algorithm == "sha3-256":
        return hashlib.sha3_256()
    if algorithm == "blake3":
        try:
            from blake3 import blake3
        except ImportError:
            raise ImportError(
                "This product is checked with BLAKE3, which needs the 'blake3' package: "
                'pip install blake3 (or pip install "sentinelsat[cdse]")'
            ) from None
        return blake3()
    raise ValueError(f"Unknown checksum algorithm {algorithm!r}")


def file_digest(
    path: str, algorithm: str = "md5", progress: Any | None = None, limit: int | None = None
) -> Any:
    """Hash a file (or its first ``limit`` bytes).

    Parameters
    ----------
    path : str
    algorithm : str, optional
        One of :data:`ALGORITHMS`; MD5 by default.
    progress : tqdm-like, optional
        Updated with the number of bytes read.
    limit : int, optional
        Hash only this many leading bytes.

    Returns
    -------
    hash object
        Can be updated further, e.g. with the rest of a resumed download.
    """
    digest = new_hash(algorithm)
    remaining = limit
    with open(path, "rb") as f:
        while remaining is None or remaining > 0:
            size = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
            chunk = f.read(size)
            if not chunk:
                break
            digest.update(chunk)
            if remaining is not None:
                remaining -= len(chunk)
            if progress is not None:
                progress.update(len(chunk))
    return digest


def md5_of_file(path: str, progress: Any | None = None, limit: int | None = None) -> Any:
    """:func:`file_digest` with MD5."""
    return file_digest(path, "md5", progress, limit)


def checksums_match(expected: str | None, actual: str) -> bool:
    """Compare hex digests case-insensitively (servers send either case)."""
    return expected is not None and expected.strip().lower() == actual.lower()


def matches(info: dict[str, Any], path: str, progress: Any | None = None) -> bool | None:
    """Whether the file at ``path`` has the product's checksum; ``None`` when the product
    has none (only its size can be compared)."""
    expected = expected_checksum(info)
    if expected is None:
        return None
    algorithm, value = expected
    return checksums_match(value, file_digest(path, algorithm, progress).hexdigest())
