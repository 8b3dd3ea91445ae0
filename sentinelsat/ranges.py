"""Byte ranges of a partial download: which are complete, which are still to fetch, and the
small state file beside the partial file that remembers them.

A download over one connection writes its partial file in order: the file's size is what is
complete (that is how every version of sentinelsat left it). A segmented download writes at
several offsets at once, so the file can have holes; the complete ranges are then recorded in
``<partial file>-segments`` (JSON, replaced atomically after each completed piece) and the
state file is removed with the partial file. A partial file without a state file is a
contiguous prefix.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

from .log import logger

#: Added to the partial file's path to make the state file's (not a product file name:
#: ``files.product_files`` never takes it for a product).
STATE_SUFFIX = "-segments"

Range = tuple[int, int]  # [start, end)


class RangeSet:
    """A set of disjoint byte ranges ``[start, end)``, merged and sorted."""

    def __init__(self, ranges: Iterable[Range] = ()) -> None:
        self.ranges: list[Range] = []
        for start, end in ranges:
            self.add(start, end)

    def add(self, start: int, end: int) -> None:
        """Add ``[start, end)``, merging it with the ranges it touches."""
        if end <= start:
            return
        merged: list[Range] = []
        for low, high in self.ranges:
            if high < start or low > end:
                merged.append((low, high))
            else:
                start, end = min(start, low), max(end, high)
        merged.append((start, end))
        self.ranges = sorted(merged)

    def prefix(self) -> int:
        """The end of the range that starts at 0 (0 if none does)."""
        return self.ranges[0][1] if self.ranges and self.ranges[0][0] == 0 else 0

    def total(self) -> int:
        """The number of bytes covered."""
        return sum(end - start for start, end in self.ranges)

    def missing(self, size: int) -> list[Range]:
        """The ranges of ``[0, size)`` not covered."""
        gaps, position = [], 0
        for start, end in self.ranges:
            if start > position:
                gaps.append((position, min(start, size)))
            position = max(position, end)
        if position < size:
            gaps.append((position, size))
        return [(start, end) for start, end in gaps if end > start]

    def covers(self, size: int) -> bool:
        """Whether ``[0, size)`` is covered."""
        return not self.missing(size)

    def __repr__(self) -> str:
        return f"RangeSet({self.ranges!r})"


def state_path(partial: str) -> str:
    """The state file of the partial file at ``partial``."""
    return partial + STATE_SUFFIX


def load_state(partial: str, size: int | None, file_size: int) -> RangeSet | None:
    """The complete ranges recorded beside ``partial``; ``None`` if there is no usable record
    (then the file is a contiguous prefix). Ranges beyond the file or the product are dropped."""
    try:
        with open(state_path(partial), encoding="utf-8") as f:
            state = json.load(f)
        if size is not None and state.get("size") not in (None, size):
            raise ValueError(f"recorded for a product of {state.get('size')} bytes")
        ranges = [(int(start), int(end)) for start, end in state["complete"]]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        logger.warning("Ignoring the segment state of %s: %s", partial, error)
        return RangeSet()  # unknown: only what the next download writes counts
    limit = file_size if size is None else min(file_size, size)
    return RangeSet((start, min(end, limit)) for start, end in ranges if start < limit)


def save_state(partial: str, size: int | None, complete: RangeSet) -> None:
    """Record the complete ranges beside ``partial`` (write a temporary file, then rename)."""
    path = state_path(partial)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump({"size": size, "complete": complete.ranges}, f, separators=(",", ":"))
    os.replace(temporary, path)


def remove_state(partial: str) -> None:
    """Remove the state file of ``partial`` (if any)."""
    for path in (state_path(partial), state_path(partial) + ".tmp"):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


def move_state(old_partial: str, new_partial: str) -> None:
    """Rename the state file along with its partial file."""
    try:
        os.replace(state_path(old_partial), state_path(new_partial))
    except FileNotFoundError:
        pass


__all__ = ["RangeSet", "load_state", "move_state", "remove_state", "save_state", "state_path"]
