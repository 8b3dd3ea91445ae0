"""What downloads return: sentinelsat 0.13's shapes and 1.x's names, at the same time.

- :class:`ResultTuple` ``(downloaded, retrieval_triggered, failed)``: the tuple 0.13's
  ``download_all`` returned, with 1.x's field names.
- :class:`FailedProducts`: ``failed`` is a set of ids, as in 0.13 (``failed == {...}``,
  ``failed | other``), that also maps each id to its product info with the ``"exception"``
  that made it fail, as 1.x's dict did (``failed[pid]["exception"]``, ``failed.items()``).
- :class:`DownloadStatus`: 1.x's states of a product in a batch.
- :class:`QuicklookResult` ``(downloaded, failed)``: what ``download_all_quicklooks`` returns.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

Info = dict[str, Any]


class FailedProducts(set):  # type: ignore[type-arg]
    """The ids of the products that failed, each mapped to its info (with ``"exception"``).

    A ``set`` of ids (sentinelsat 0.13): iteration, ``len``, ``in``, set operations and
    comparisons with sets see the ids. A mapping too (sentinelsat 1.x): ``failed[pid]``,
    ``failed.get(pid)``, ``keys()``, ``values()`` and ``items()`` give the product infos.

    Parameters
    ----------
    infos : mapping, optional
        Product id → product info (with the key ``"exception"``).
    """

    def __init__(self, infos: Mapping[str, Info] | None = None) -> None:
        infos = dict(infos or {})
        super().__init__(infos)
        self._infos = infos

    def add_failure(self, product_id: str, info: Info) -> None:
        """Record a failed product."""
        self.add(product_id)
        self._infos[product_id] = info

    def __getitem__(self, product_id: str) -> Info:
        if product_id not in self:
            raise KeyError(product_id)
        return self._infos.get(product_id, {"id": product_id})

    def get(self, product_id: str, default: Any = None) -> Any:
        """The info of a failed product, or ``default``."""
        return self[product_id] if product_id in self else default

    def keys(self) -> Iterable[str]:
        """The ids (as a set)."""
        return set(self)

    def values(self) -> list[Info]:
        """The infos of the failed products."""
        return [self[product_id] for product_id in self._ordered()]

    def items(self) -> list[tuple[str, Info]]:
        """``(id, info)`` pairs."""
        return [(product_id, self[product_id]) for product_id in self._ordered()]

    def _ordered(self) -> Iterator[str]:
        yield from (product_id for product_id in self._infos if product_id in self)
        yield from (product_id for product_id in self if product_id not in self._infos)

    def __repr__(self) -> str:  # as a set of ids shows itself (0.13 programs print it)
        return repr(set(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (FailedProducts, (self._infos,))


class ResultTuple(NamedTuple):
    """What ``download_all`` returns (unpacks as three values, as in sentinelsat 0.13)."""

    #: Product id → info (with ``path``) of every product now on disk.
    downloaded: dict[str, Info]
    #: Product id → info of the offline products whose retrieval was triggered.
    retrieval_triggered: dict[str, Info]
    #: The ids of the products that failed, also mapping them to their infos.
    failed: FailedProducts


class QuicklookResult(NamedTuple):
    """What ``download_all_quicklooks`` returns (named ``ResultTuple`` in sentinelsat 1.x)."""

    #: Product id → info (with ``path``, ``quicklook_size``...) of each quicklook now on disk.
    downloaded: dict[str, Info]
    #: Product id → why its quicklook could not be downloaded (a message).
    failed: dict[str, str]


class DownloadStatus(enum.Enum):
    """The states of a product in a batch (sentinelsat 1.1's order). Only ``DOWNLOADED`` is
    true as a boolean."""

    UNAVAILABLE = enum.auto()
    OFFLINE = enum.auto()
    TRIGGERED = enum.auto()
    ONLINE = enum.auto()
    DOWNLOAD_STARTED = enum.auto()
    DOWNLOADED = enum.auto()

    def __bool__(self) -> bool:
        return self is DownloadStatus.DOWNLOADED


class DownloaderResult(NamedTuple):
    """What :meth:`sentinelsat.downloader.Downloader.download_all` returns, as in 1.1."""

    #: Product id → :class:`DownloadStatus`.
    statuses: dict[str, DownloadStatus]
    #: Product id → the exception of a product that failed.
    exceptions: dict[str, BaseException]
    #: Product id → product info.
    product_infos: dict[str, Info]


__all__ = ["DownloadStatus", "DownloaderResult", "FailedProducts", "QuicklookResult", "ResultTuple"]
