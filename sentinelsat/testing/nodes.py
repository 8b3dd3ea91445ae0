"""The node tree of a product (OData ``Nodes``): the folders and files inside its zip.

A zipped product has one root node, its SAFE folder (``<identifier>.SAFE``); every folder
node lists its children, and every file node has a ``$value``. A product that is a single
file (Sentinel-5P's netCDF) has one file node, named like its ``Filename`` attribute.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

from .catalogue import Product
from .content import ArchiveFile

#: Manifest file names, reported with the ``ContentType`` "SAFE Manifest" as the server did.
MANIFEST_NAMES = ("manifest.safe", "xfdumanifest.xml")


@dataclass
class Node:
    """A folder or a file of a product.

    Attributes
    ----------
    name : str
        The node's name (the last part of its path).
    path : tuple of str
        The names from the root node to this one.
    children : dict
        A folder's nodes by name, in archive order (empty for a file).
    file : ArchiveFile or None
        A file's place in the product; ``None`` for a folder, and for the single file of a
        product that is not a zip (then the whole product is the file).
    size : int
        A file's size in bytes (0 for a folder).
    """

    name: str
    path: tuple[str, ...]
    children: dict[str, Node] = field(default_factory=dict)
    file: ArchiveFile | None = None
    size: int = 0
    is_folder: bool = True

    @property
    def content_type(self) -> str:
        """The OData ``ContentType`` of the node."""
        if self.name in MANIFEST_NAMES:
            return "SAFE Manifest"
        return "Folder" if self.is_folder else "application/octet-stream"

    @property
    def children_number(self) -> int:
        """The OData ``ChildrenNumber``: a folder's entries; an XML file has one (its root
        element, as the server counted it); other files none."""
        if self.is_folder:
            return len(self.children)
        return 1 if self.name.endswith((".xml", ".safe", ".kml")) else 0


def _folder(root: Node, parts: list[str]) -> Node:
    node = root
    for part in parts:
        child = node.children.get(part)
        if child is None:
            child = node.children[part] = Node(part, (*node.path, part))
        node = child
    return node


@functools.lru_cache(maxsize=256)
def product_nodes(product: Product) -> Node:
    """The node tree of a product, under an unnamed top node (the product itself)."""
    top = Node("", ())
    files = product.content.archive_files()
    if files is None:
        top.children[product.filename] = Node(
            product.filename, (product.filename,), size=product.size, is_folder=False
        )
        return top
    for archive_file in files:
        *folders, name = archive_file.path.split("/")
        parent = _folder(top, folders)
        parent.children[name] = Node(
            name, (*parent.path, name), file=archive_file, size=archive_file.size, is_folder=False
        )
    return top


def find_node(product: Product, path: tuple[str, ...]) -> Node | None:
    """The node at ``path`` (names from the root node), or ``None``."""
    node = product_nodes(product)
    for name in path:
        found = node.children.get(name)
        if found is None:
            return None
        node = found
    return node


def walk(node: Node) -> Iterator[Node]:
    """Every node below ``node`` (depth first, in archive order)."""
    for child in node.children.values():
        yield child
        yield from walk(child)
