"""The Nodes of a product: the folders and files of its zip, read in place from its content.

:class:`ContentFile` is a read-only, seekable file over a
:class:`~sentinelsat.testing.content.Content` (each read is an ``iter_bytes`` range), so that
:mod:`zipfile` reads only the central directory of a product to list its members.  A content
that is not a zip has a single node, the product, without children.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..content import Content

_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # the 30 bytes before a member's name
_LOCAL_SIGNATURE = b"PK\x03\x04"
CHUNK = 64 * 1024


class ContentFile(io.RawIOBase):
    """A read-only binary file over the bytes of a content."""

    def __init__(self, content: Content):
        super().__init__()
        self.content = content
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.content.size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self.position = base + offset
        return self.position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        end = min(self.position + len(view), self.content.size)
        written = 0
        if end > self.position:
            for chunk in self.content.iter_bytes(self.position, end):
                view[written : written + len(chunk)] = chunk
                written += len(chunk)
        self.position += written
        return written


@dataclass
class Node:
    """A folder or a file of a product."""

    name: str
    member: zipfile.ZipInfo | None = None  # None for folders
    children: dict[str, Node] = field(default_factory=dict)

    @property
    def is_file(self) -> bool:
        return self.member is not None

    @property
    def size(self) -> int:
        """Bytes of a file (uncompressed); 0 for a folder."""
        return self.member.file_size if self.member is not None else 0

    def child(self, name: str) -> Node | None:
        return self.children.get(name)


def read_tree(root_name: str, content: Content) -> Node:
    """The node tree of a product whose folder is ``root_name``.

    The members of the zip under ``root_name/`` are the root's descendants; a zip with other
    top-level names has them all under the root.  A content that is not a zip gives a root
    without children.
    """
    root = Node(root_name)
    try:
        with zipfile.ZipFile(ContentFile(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return root
    prefix = root_name + "/"
    if any(member.filename.startswith(prefix) for member in members):
        members = [member for member in members if member.filename.startswith(prefix)]
    else:
        prefix = ""
    for member in members:
        parts = [part for part in member.filename[len(prefix) :].split("/") if part]
        node = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            found = node.children.get(part)
            if found is None:
                is_file = last and not member.is_dir()
                found = node.children[part] = Node(part, member if is_file else None)
            node = found
    return root


def member_bytes(
    content: Content, member: zipfile.ZipInfo, start: int, end: int
) -> Iterator[bytes | memoryview]:
    """Yield bytes ``start`` to ``end`` (exclusive) of a member's uncompressed data.

    A stored member is served straight from the content (a range of the zip); a compressed
    one is decompressed, skipping up to ``start``.
    """
    if member.compress_type == zipfile.ZIP_STORED:
        header = b"".join(
            bytes(chunk)
            for chunk in content.iter_bytes(
                member.header_offset, member.header_offset + _LOCAL_HEADER.size
            )
        )
        fields = _LOCAL_HEADER.unpack(header)
        if fields[0] != _LOCAL_SIGNATURE:
            raise zipfile.BadZipFile(f"no local header for {member.filename}")
        data = member.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1]
        yield from content.iter_bytes(data + start, data + end)
        return
    with zipfile.ZipFile(ContentFile(content)) as archive, archive.open(member) as stream:
        position = 0
        while position < end:
            chunk = stream.read(CHUNK)
            if not chunk:
                return
            low, high = max(start - position, 0), min(end - position, len(chunk))
            if low < high:
                yield chunk[low:high]
            position += len(chunk)
