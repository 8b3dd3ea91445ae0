"""Partial downloads: the files of a product chosen by a node filter (sentinelsat 1.x's
``nodefilter``), fetched one by one through the server's node interface.

The product's folder ``<directory>/<title>.SAFE/`` (``.SEN3`` for Sentinel-3) gets the
manifest first, then each selected file at the path the manifest gives it. Each file is
downloaded by the single-product engine (:mod:`sentinelsat.download`): written as
``<file>.incomplete``, locked, resumed with ``Range`` after a cut, hashed while written and
checked against the manifest's checksum before it gets its name. A manifest path that would
lead outside the folder (``../../x``, an absolute path) is never written: it is left out, with
a warning.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from .download import ProductDownload
from .exceptions import ServerError
from .files import PARTIAL_SUFFIX, safe_name
from .log import logger
from .products import (
    NodeFilter,
    NodeInfo,
    manifest_name,
    parse_manifest,
    product_root_dir,
    with_values,
)
from .sessions import Connection

if TYPE_CHECKING:  # pragma: no cover
    from .backends import Backend

Info = dict[str, Any]


class FileDownload(ProductDownload):
    """The download of one file of a product to a given path (the engine of
    :class:`~sentinelsat.download.ProductDownload`, without a product's naming rules)."""

    def __init__(
        self,
        connection: Connection,
        backend: Backend,
        url: str,
        path: str,
        node: NodeInfo,
        checksum: bool,
        cancel: threading.Event | None = None,
    ) -> None:
        name = os.path.basename(path)
        info = {key: value for key, value in node.items() if key not in ("path", "url")}
        info.update(id=name, title=name, Online=True)
        super().__init__(connection, backend, info, os.path.dirname(path), checksum, cancel)
        self.name = node.get("node_path", name)
        self.url = url
        self.target = path

    def _partial_path(self) -> str:
        return self.target + PARTIAL_SUFFIX

    def _complete_candidates(self) -> list[str]:
        return [self.target] if os.path.isfile(self.target) else []

    def _url(self) -> str:
        return self.url

    def _final_path(self, response: requests.Response) -> str:
        return self.target


class PartialDownload:
    """Download the files of one product selected by a node filter.

    Parameters
    ----------
    connection : Connection
    backend : Backend
    info : dict
        The product's info.
    directory : str
        Where the product's folder goes.
    nodefilter : callable
        ``node_info -> bool`` (see :mod:`sentinelsat.products`).
    checksum : bool
        Check each file against the manifest's checksum.
    cancel : threading.Event, optional
    """

    def __init__(
        self,
        connection: Connection,
        backend: Backend,
        info: Info,
        directory: str,
        nodefilter: NodeFilter,
        checksum: bool = True,
        cancel: threading.Event | None = None,
    ) -> None:
        self.connection = connection
        self.backend = backend
        self.info = info
        self.nodefilter = nodefilter
        self.checksum = checksum
        self.cancel = cancel or threading.Event()
        title = info.get("title")
        self.remote_root = product_root_dir(title)  # the server's name of the folder node
        self.root = product_root_dir(safe_name(title, str(info["id"])))
        self.manifest = manifest_name(title)
        self.folder = os.path.join(directory, self.root)
        self.transferred = 0

    def run(self) -> tuple[Info, bool]:
        """Download the manifest and the selected files, or trigger the retrieval of an
        offline product.

        Returns
        -------
        tuple of (dict, bool)
            The product info plus ``path`` (the product's folder), ``node_path`` (its name),
            ``nodes`` (``node_path`` → node info, with ``url`` and ``path``, for the manifest
            and every selected file) and ``downloaded_bytes``; and whether the retrieval of an
            offline product was triggered instead.

        Raises
        ------
        InvalidChecksumError, SentinelAPIError, OSError
            As a whole product's download does; the files already complete are kept.
        """
        if not self.info.get("Online", True):
            self.backend.trigger_retrieval(self.connection, self.info)
            logger.info(
                "Accepted for retrieval: triggered the retrieval of offline product %s from the "
                "long term archive",
                self.info.get("title"),
            )
            return self._result({}), True
        manifest = self._manifest()
        if manifest is None:  # went offline meanwhile: the server accepted its retrieval
            return self._result({}), True
        nodes = {self.manifest: manifest}
        for node in self._selected(Path(manifest["path"]).read_bytes()):
            if not self._fetch(node):
                return self._result(nodes), True
            nodes[node["node_path"]] = node
        logger.info(
            "Downloaded %d files of %s to %s", len(nodes), self.info.get("title"), self.folder
        )
        return self._result(nodes), False

    def _result(self, nodes: dict[str, NodeInfo]) -> Info:
        return with_values(
            self.info,
            path=self.folder,
            node_path=self.root,
            nodes=nodes,
            downloaded_bytes=self.transferred,
        )

    def _manifest(self) -> NodeInfo | None:
        """Download the manifest (its size from the server: it has no checksum)."""
        path = (self.remote_root, self.manifest)
        described = self.backend.node_info(self.connection, self.info, path)
        node: NodeInfo = {"node_path": self.manifest, "size": described["size"]}
        return node if self._fetch(node, checksum=False) else None

    def _selected(self, manifest: bytes) -> list[NodeInfo]:
        try:
            nodes, refused = parse_manifest(manifest)
        except ValueError as error:
            raise ServerError(
                f"The manifest of {self.info.get('title')} is unusable: {error}"
            ) from None
        for href in refused:
            logger.warning(
                "The manifest of %s lists %r, outside the product's folder: left out",
                self.info.get("title"),
                href,
            )
        return [
            node
            for node in nodes
            if node["node_path"] != self.manifest and self.nodefilter(dict(node))
        ]

    def _fetch(self, node: NodeInfo, checksum: bool | None = None) -> bool:
        """Download one file into the folder; ``False`` if the product went offline."""
        parts = node["node_path"].split("/")
        target = os.path.join(self.folder, *parts)
        url = self.backend.node_url(self.info, (self.remote_root, *parts))
        download = FileDownload(
            self.connection,
            self.backend,
            url,
            target,
            node,
            self.checksum if checksum is None else checksum,
            self.cancel,
        )
        try:
            _, triggered = download.run()
        finally:
            self.transferred += download.transferred
        node.update(url=url, path=Path(target))
        return not triggered


__all__ = ["FileDownload", "PartialDownload"]
