"""Product content generated on the fly, and its MD5.

A synthetic product's bytes are a sequence of 64 KiB blocks: the first block is unique to
the product, every following block is one of a pool of 64 random blocks (4 MiB, drawn once
per seed), picked per block index by hashing ``(product id, index)``.  Streaming is therefore
just slicing pre-computed blocks: many GB/s, never the whole product in memory.

The MD5 is computed lazily, the first time it is needed, by streaming the content through
``hashlib.md5`` (about 0.6–1 GB/s, so roughly one second per GB, once per product and seed).
The result is cached for the whole process, so every hub with the same seed reuses it.
"""

from __future__ import annotations

import functools
import hashlib
import random
import threading
from collections.abc import Iterator
from importlib import resources

BLOCK_SIZE = 64 * 1024
POOL_BLOCKS = 64

_md5_cache: dict[tuple, str] = {}
_md5_locks: dict[tuple, threading.Lock] = {}
_md5_guard = threading.Lock()


@functools.lru_cache(maxsize=8)
def _block_pool(seed: int) -> tuple[bytes, ...]:
    rng = random.Random(f"sentinelsat-hub-pool:{seed}")
    return tuple(rng.randbytes(BLOCK_SIZE) for _ in range(POOL_BLOCKS))


def _cached_md5(key: tuple, compute) -> str:
    with _md5_guard:
        if key in _md5_cache:
            return _md5_cache[key]
        lock = _md5_locks.setdefault(key, threading.Lock())
    with lock:
        if key not in _md5_cache:
            _md5_cache[key] = compute()
        return _md5_cache[key]


class Content:
    """The bytes of a product: a size, a range iterator and a (cached) MD5."""

    size: int

    def iter_bytes(self, start: int = 0, end: int | None = None) -> Iterator[bytes | memoryview]:
        """Yield the bytes ``start`` to ``end`` (exclusive; ``None`` = to the end) in chunks."""
        raise NotImplementedError

    def _cache_key(self) -> tuple:
        raise NotImplementedError

    def md5(self) -> str:
        """Return the MD5 hex digest (lower case) of the whole content, computed once."""

        def compute() -> str:
            digest = hashlib.md5()
            for chunk in self.iter_bytes():
                digest.update(chunk)
            return digest.hexdigest()

        return _cached_md5(self._cache_key(), compute)

    def _bounds(self, start: int, end: int | None) -> tuple[int, int]:
        end = self.size if end is None else min(end, self.size)
        if start < 0 or start > end:
            raise ValueError(f"invalid byte range {start}-{end} for {self.size} bytes")
        return start, end


class SyntheticContent(Content):
    """Deterministic pseudo-random content of ``size`` bytes derived from ``(seed, key)``.

    Parameters
    ----------
    seed : int
        The hub's seed.
    key : str
        A key unique to the product (its id).
    size : int
        The number of bytes.
    """

    def __init__(self, seed: int, key: str, size: int):
        self.seed = seed
        self.key = key
        self.size = size
        self._key_bytes = f"{seed}:{key}".encode()

    def _cache_key(self) -> tuple:
        return ("synthetic", self.seed, self.key, self.size)

    def _block(self, index: int) -> bytes:
        if index == 0:
            return random.Random(f"sentinelsat-hub-head:{self.seed}:{self.key}").randbytes(
                BLOCK_SIZE
            )
        digest = hashlib.blake2b(
            self._key_bytes + index.to_bytes(8, "little"), digest_size=8
        ).digest()
        return _block_pool(self.seed)[int.from_bytes(digest, "little") % POOL_BLOCKS]

    def iter_bytes(self, start: int = 0, end: int | None = None) -> Iterator[bytes | memoryview]:
        start, end = self._bounds(start, end)
        position = start
        while position < end:
            index, offset = divmod(position, BLOCK_SIZE)
            length = min(BLOCK_SIZE - offset, end - position)
            yield memoryview(self._block(index))[offset : offset + length]
            position += length


class PackagedContent(Content):
    """The bytes of a file shipped in ``sentinelsat/testing/data``."""

    def __init__(self, name: str):
        self.name = name
        self._data = read_data_bytes(name)
        self.size = len(self._data)

    def _cache_key(self) -> tuple:
        return ("packaged", self.name)

    def iter_bytes(self, start: int = 0, end: int | None = None) -> Iterator[bytes | memoryview]:
        start, end = self._bounds(start, end)
        view = memoryview(self._data)
        for position in range(start, end, BLOCK_SIZE):
            yield view[position : min(position + BLOCK_SIZE, end)]


@functools.cache
def read_data_bytes(name: str) -> bytes:
    """Return the bytes of a package data file of ``sentinelsat.testing``."""
    return resources.files("sentinelsat.testing").joinpath("data").joinpath(name).read_bytes()


def corrupt_offset(size: int) -> int:
    """Return the offset of the byte that the ``corrupt`` fault flips (the middle byte)."""
    return size // 2


def flip_byte(
    chunks: Iterator[bytes | memoryview], start: int, offset: int
) -> Iterator[bytes | memoryview]:
    """Yield ``chunks`` (which begin at byte ``start``) with the byte at ``offset`` inverted."""
    position = start
    for chunk in chunks:
        length = len(chunk)
        if position <= offset < position + length:
            changed = bytearray(chunk)
            changed[offset - position] ^= 0xFF
            chunk = bytes(changed)
        position += length
        yield chunk


def quicklook_bytes(identifier: str) -> bytes:
    """Return a small JPEG quicklook: a real quicklook with a comment naming the product."""
    template = read_data_bytes("quicklook.jpg")
    comment = f"sentinelsat local hub quicklook of {identifier}".encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return template[:2] + segment + template[2:]
