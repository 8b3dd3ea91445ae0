"""A zip archive laid out arithmetically, streamed from any offset without being built.

The archive holds *stored* (uncompressed) members: for each, a local file header and the
member's bytes, then the central directory and the end records (ZIP64 ones when the archive
reaches 4 GiB). Every offset is computed from the member names and sizes alone, so a byte
range anywhere in the archive is produced by slicing the members' own byte sources; the CRC32
of a member is only computed when a header that holds it is first sent.

:func:`crc32_of_blocks` computes the CRC32 of data made of repeated blocks from the blocks'
own CRCs (the zlib "combine" operation), so the CRC of a generated 1 GiB member costs
milliseconds instead of a pass over its bytes.
"""

from __future__ import annotations

import functools
import struct
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

Chunks = Iterator["bytes | memoryview"]

_ZIP64_LIMIT = 0xFFFFFFFF
_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")
_END64 = struct.Struct("<4sQ2H2L4Q")
_LOCATOR64 = struct.Struct("<4sLQL")


# --------------------------------------------------------------------------- CRC32 arithmetic
_CRC_POLYNOMIAL = 0xEDB88320


def _gf2_times(matrix: Sequence[int], vector: int) -> int:
    total, row = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[row]
        vector >>= 1
        row += 1
    return total


def _gf2_square(matrix: Sequence[int]) -> list[int]:
    return [_gf2_times(matrix, matrix[row]) for row in range(32)]


@functools.lru_cache(maxsize=64)
def _zeros_operator(length: int) -> tuple[int, ...]:
    """The GF(2) matrix that advances a CRC32 over ``length`` zero bytes."""
    odd = [_CRC_POLYNOMIAL] + [1 << row for row in range(31)]  # one zero bit
    operator = [1 << row for row in range(32)]  # identity
    power = _gf2_square(_gf2_square(_gf2_square(odd)))  # one zero byte
    while length:
        if length & 1:
            operator = [_gf2_times(power, column) for column in operator]
        length >>= 1
        if length:
            power = _gf2_square(power)
    return tuple(operator)


@functools.lru_cache(maxsize=64)
def _zeros_tables(length: int) -> tuple[tuple[int, ...], ...]:
    """The zeros operator of ``length`` as four byte-indexed tables (fast to apply)."""
    operator = _zeros_operator(length)
    return tuple(
        tuple(_gf2_times(operator, value << (8 * byte)) for value in range(256))
        for byte in range(4)
    )


def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """The CRC32 of ``A + B`` from ``crc32(A)``, ``crc32(B)`` and ``len(B)``."""
    return _gf2_times(_zeros_operator(length2), crc1) ^ crc2


def crc32_of_blocks(
    block_crcs: Iterable[int], block_size: int, tail: tuple[int, int] | None
) -> int:
    """The CRC32 of whole blocks of ``block_size`` bytes given their CRCs, then of a shorter
    ``tail`` given as ``(crc, length)``."""
    t0, t1, t2, t3 = _zeros_tables(block_size)
    crc = 0
    for block_crc in block_crcs:
        crc = (
            t0[crc & 0xFF]
            ^ t1[(crc >> 8) & 0xFF]
            ^ t2[(crc >> 16) & 0xFF]
            ^ t3[crc >> 24]
            ^ block_crc
        )
    if tail is not None and tail[1]:
        crc = crc32_combine(crc, *tail)
    return crc


# --------------------------------------------------------------------------- members
@dataclass
class ZipMember:
    """A stored member: its name in the archive, size, bytes and CRC32 (both lazy).

    Attributes
    ----------
    name : str
        The path in the archive (``/``-separated; a directory ends with ``/``).
    size : int
        The number of bytes.
    read : callable
        ``read(start, end)`` yields the member's bytes from ``start`` to ``end``.
    crc32 : callable
        Returns the CRC32 of the member's bytes.
    """

    name: str
    size: int
    read: Callable[[int, int], Chunks]
    crc32: Callable[[], int]


def bytes_member(name: str, data: bytes) -> ZipMember:
    """A member whose bytes are known."""
    import zlib

    view = memoryview(data)
    return ZipMember(
        name,
        len(data),
        lambda start, end: iter((view[start:end],)),
        functools.lru_cache(maxsize=1)(lambda: zlib.crc32(data)),
    )


def _dos_time(moment: datetime) -> tuple[int, int]:
    year = min(max(moment.year, 1980), 2107)
    date = ((year - 1980) << 9) | (moment.month << 5) | moment.day
    time = (moment.hour << 11) | (moment.minute << 5) | (moment.second // 2)
    return time, date


# --------------------------------------------------------------------------- the layout
def _local_length(name: bytes, zip64: bool) -> int:
    return _LOCAL.size + len(name) + (20 if zip64 else 0)


def _central_length(name: bytes, zip64: bool) -> int:
    return _CENTRAL.size + len(name) + (28 if zip64 else 0)


def archive_overhead(names: Sequence[str], zip64: bool) -> int:
    """The bytes of a stored archive that are not member data: headers and end records."""
    encoded = [name.encode("utf-8") for name in names]
    headers = sum(_local_length(n, zip64) + _central_length(n, zip64) for n in encoded)
    return headers + _END.size + (_END64.size + _LOCATOR64.size if zip64 else 0)


def needs_zip64(total_size: int) -> bool:
    """Whether an archive of ``total_size`` bytes uses the ZIP64 records (every member then
    carries its sizes and offset in a ZIP64 extra field)."""
    return total_size >= _ZIP64_LIMIT


@dataclass
class _Segment:
    offset: int
    length: int
    read: Callable[[int, int], Chunks]
    member: int | None  # the index of the member whose data this is


class ZipLayout:
    """A stored zip archive of ``members``, addressed by byte offset.

    Parameters
    ----------
    members : sequence of ZipMember
        The members, in archive order.
    modified : datetime
        The modification time of every member.
    zip64 : bool
        Write ZIP64 extra fields and end records (see :func:`needs_zip64`).
    """

    def __init__(self, members: Sequence[ZipMember], modified: datetime, zip64: bool):
        self.members = list(members)
        self.zip64 = zip64
        self._time, self._date = _dos_time(modified)
        self._names = [member.name.encode("utf-8") for member in self.members]
        self._lock = threading.Lock()
        self._headers: dict[int, bytes] = {}
        self._tail: bytes | None = None
        self.segments: list[_Segment] = []
        self.data_offsets: list[int] = []
        self.header_offsets: list[int] = []
        offset = 0
        for index, member in enumerate(self.members):
            length = _local_length(self._names[index], zip64)
            self.header_offsets.append(offset)
            self.segments.append(_Segment(offset, length, self._header_reader(index), None))
            offset += length
            self.data_offsets.append(offset)
            self.segments.append(_Segment(offset, member.size, member.read, index))
            offset += member.size
        self.directory_offset = offset
        self.directory_size = sum(_central_length(name, zip64) for name in self._names)
        tail_length = (
            self.directory_size + _END.size + (_END64.size + _LOCATOR64.size if zip64 else 0)
        )
        self.segments.append(_Segment(offset, tail_length, self._tail_reader, None))
        self.size = offset + tail_length

    # ---- headers (built on first use: they hold the CRC32s)
    def _flags(self) -> tuple[int, int]:
        version = 45 if self.zip64 else 20
        return version, version

    def local_header(self, index: int) -> bytes:
        """The local file header of member ``index``."""
        with self._lock:
            header = self._headers.get(index)
        if header is not None:
            return header
        member, name = self.members[index], self._names[index]
        version, _ = self._flags()
        size = _ZIP64_LIMIT if self.zip64 else member.size
        header = _LOCAL.pack(b"PK\x03\x04", version, 0, 0, self._time, self._date, member.crc32(),
                             size, size, len(name), 20 if self.zip64 else 0) + name  # fmt: skip
        if self.zip64:
            header += struct.pack("<2H2Q", 1, 16, member.size, member.size)
        with self._lock:
            self._headers[index] = header
        return header

    def _central_header(self, index: int) -> bytes:
        member, name = self.members[index], self._names[index]
        made_by, needed = self._flags()
        size = _ZIP64_LIMIT if self.zip64 else member.size
        offset = _ZIP64_LIMIT if self.zip64 else self.header_offsets[index]
        external = 0x10 if member.name.endswith("/") else 0
        header = _CENTRAL.pack(b"PK\x01\x02", made_by, needed, 0, 0, self._time, self._date,
                               member.crc32(), size, size, len(name), 28 if self.zip64 else 0,
                               0, 0, 0, external, offset) + name  # fmt: skip
        if self.zip64:
            header += struct.pack(
                "<2H3Q", 1, 24, member.size, member.size, self.header_offsets[index]
            )
        return header

    def tail(self) -> bytes:
        """The central directory and the end records."""
        with self._lock:
            if self._tail is not None:
                return self._tail
        directory = b"".join(self._central_header(index) for index in range(len(self.members)))
        count = len(self.members)
        end = b""
        if self.zip64:
            end64_offset = self.directory_offset + len(directory)
            end += _END64.pack(b"PK\x06\x06", _END64.size - 12, 45, 45, 0, 0, count, count,
                               len(directory), self.directory_offset)  # fmt: skip
            end += _LOCATOR64.pack(b"PK\x06\x07", 0, end64_offset, 1)
            end += _END.pack(b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, _ZIP64_LIMIT, _ZIP64_LIMIT, 0)
        else:
            end += _END.pack(
                b"PK\x05\x06", 0, 0, count, count, len(directory), self.directory_offset, 0
            )
        with self._lock:
            self._tail = directory + end
        return self._tail

    def _header_reader(self, index: int) -> Callable[[int, int], Chunks]:
        return lambda start, end: iter((self.local_header(index)[start:end],))

    def _tail_reader(self, start: int, end: int) -> Chunks:
        return iter((self.tail()[start:end],))

    # ---- streaming
    def iter_bytes(
        self, start: int, end: int, tap: Callable[[int, bytes | memoryview], None] | None = None
    ) -> Chunks:
        """Yield the archive's bytes from ``start`` to ``end`` (exclusive).

        ``tap(member_index, chunk)``, if given, also receives every chunk of member data.
        """
        for segment in self.segments:
            first = max(start, segment.offset)
            last = min(end, segment.offset + segment.length)
            if first >= last:
                continue
            for chunk in segment.read(first - segment.offset, last - segment.offset):
                if tap is not None and segment.member is not None:
                    tap(segment.member, chunk)
                yield chunk
