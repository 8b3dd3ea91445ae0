"""The files inside a product: node filters for partial downloads, and reading a manifest.

Pure functions only (no request is sent here). A *node* is one file of a product's SAFE
folder, described by a dict (``node_info``) with

``node_path``
    Its path below the product's folder, with ``/`` separators and no leading ``./``
    (``GRANULE/L1C_T33UUP_A012345_20200101T100000/IMG_DATA/T33UUP_20200101T100000_B02.jp2``);
``size``
    Its size in bytes, as the manifest gives it;
``md5`` or ``sha3-256``
    Its checksum from the manifest, keyed by the algorithm as product infos are;
``url``, ``path``
    Added by the download: where it was fetched from, and the local file (a ``pathlib.Path``).

A *node filter* is a function ``node_info -> bool`` that selects the files to download
(``download(..., nodefilter=...)``): :func:`make_path_filter`, :func:`make_size_filter` and
:func:`all_nodes_filter` make the usual ones, as in sentinelsat 1.x.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from xml.etree.ElementTree import Element

NodeInfo = dict[str, Any]
NodeFilter = Callable[[NodeInfo], bool]

#: The manifest of Sentinel-1 and -2 products, and that of Sentinel-3 products.
SAFE_MANIFEST = "manifest.safe"
SEN3_MANIFEST = "xfdumanifest.xml"

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


# ---------------------------------------------------------------------- node filters
def make_size_filter(max_size: int) -> NodeFilter:
    """A node filter that selects the files of at most ``max_size`` bytes.

    Parameters
    ----------
    max_size : int
        Largest size in bytes.

    Returns
    -------
    callable
        ``node_info -> bool``.
    """

    def node_filter(node_info: NodeInfo) -> bool:
        return int(node_info["size"]) <= max_size

    return node_filter


def make_path_filter(pattern: str, exclude: bool = False) -> NodeFilter:
    """A node filter that selects the files whose ``node_path`` matches a glob pattern.

    Parameters
    ----------
    pattern : str
        An :mod:`fnmatch` pattern matched against the whole ``node_path``, e.g. ``"*B0[234]*"``
        or ``"GRANULE/*/IMG_DATA/*_TCI.jp2"``. The match is case-sensitive on every system
        (sentinelsat 1.0 lowercased the paths, and 1.x matched case-insensitively on Windows).
    exclude : bool, optional
        Select the files that do *not* match instead.

    Returns
    -------
    callable
        ``node_info -> bool``.
    """

    def node_filter(node_info: NodeInfo) -> bool:
        matched = fnmatch.fnmatchcase(node_info["node_path"], pattern)
        return matched != exclude

    return node_filter


def all_nodes_filter(node_info: NodeInfo) -> bool:
    """A node filter that selects every file."""
    return True


# ---------------------------------------------------------------------- names
def is_sentinel3(title: str | None) -> bool:
    """Whether a product title is a Sentinel-3 one (its folder is ``.SEN3``)."""
    return bool(title) and str(title).startswith("S3")


def manifest_name(title: str | None) -> str:
    """The manifest file of a product: ``xfdumanifest.xml`` for Sentinel-3, else
    ``manifest.safe``."""
    return SEN3_MANIFEST if is_sentinel3(title) else SAFE_MANIFEST


def product_root_dir(title: str | None) -> str:
    """The name of a product's folder: ``<title>.SEN3`` for Sentinel-3, else ``<title>.SAFE``."""
    return f"{title}.SEN3" if is_sentinel3(title) else f"{title}.SAFE"


def contained_path(href: str) -> str | None:
    """A manifest ``href`` as a ``node_path`` that stays inside the product's folder.

    ``./measurement/x.tiff`` gives ``measurement/x.tiff``; an absolute path, a Windows drive,
    a backslash, a control character or a ``..`` that leaves the folder gives ``None``.
    """
    if not href or "\\" in href or any(ord(character) < 32 for character in href):
        return None
    if href.startswith("/") or _WINDOWS_DRIVE.match(href):
        return None
    normalised = posixpath.normpath(href)
    if normalised in (".", "") or normalised == ".." or normalised.startswith("../"):
        return None
    return normalised


# ---------------------------------------------------------------------- manifests
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> Iterator[Element]:
    for child in element.iter():
        if _local(child.tag) == name:
            yield child


def _document(data: bytes) -> Element:
    """The root element of an XML document; anything after its end is ignored (some recorded
    manifests have a few stray bytes there)."""
    import xml.etree.ElementTree as ElementTree  # (for partial downloads only)

    parser: Any = ElementTree.XMLPullParser(events=("start", "end"))
    depth = 0
    try:
        parser.feed(data)
        for event, element in parser.read_events():
            depth += 1 if event == "start" else -1
            if depth == 0:
                root: Element = element
                return root
        parser.close()
    except ElementTree.ParseError as error:
        raise ValueError(f"The manifest is not valid XML: {error}") from None
    raise ValueError("The manifest is not valid XML: it ends before its root element")


def parse_manifest(manifest: bytes) -> tuple[list[NodeInfo], list[str]]:
    """The files a manifest lists (its ``dataObjectSection``).

    Parameters
    ----------
    manifest : bytes
        The content of ``manifest.safe`` or ``xfdumanifest.xml``.

    Returns
    -------
    nodes : list of dict
        One ``node_info`` per file (``node_path``, ``size``, and ``md5`` or ``sha3-256`` when
        the manifest gives a checksum), in manifest order, without duplicates.
    refused : list of str
        The hrefs that would lead outside the product's folder; they are left out.

    Raises
    ------
    ValueError
        If the manifest is not XML.
    """
    root = _document(manifest)
    nodes: dict[str, NodeInfo] = {}
    refused: list[str] = []
    for stream in _children(root, "byteStream"):
        location = next(_children(stream, "fileLocation"), None)
        if location is None:
            continue
        href = location.get("href", "")
        node_path = contained_path(href)
        if node_path is None:
            refused.append(href)
            continue
        info: NodeInfo = {"node_path": node_path}
        size = stream.get("size")
        if size is not None and size.strip().isdigit():
            info["size"] = int(size)
        for checksum in _children(stream, "checksum"):
            algorithm = (checksum.get("checksumName") or "MD5").strip().lower()
            if checksum.text and checksum.text.strip():
                info[algorithm] = checksum.text.strip().lower()
        nodes.setdefault(node_path, info)
    return list(nodes.values()), refused


# ---------------------------------------------------------------------- product infos
class ProductInfo(dict):  # type: ignore[type-arg]
    """A product's description: a ``dict`` with sentinelsat 0.13's keys, whose extra keys of
    sentinelsat 1.x can be read without being among its keys.

    ``info["quicklook_url"]``, ``info["manifest_name"]`` and ``info["product_root_dir"]``
    (and ``info.get(...)``) give the values 1.x added, while ``set(info)``, ``len(info)``,
    iteration and comparisons see the 0.13 keys only, as 0.13 programs and tests expect.
    With ``SentinelAPI(..., semantics="1.x")`` the extra keys are ordinary keys instead.

    Parameters
    ----------
    values : mapping
        The keys and values.
    extra : mapping, optional
        Values readable by key but not among the keys.
    """

    def __init__(self, values: Mapping[str, Any] = (), extra: Mapping[str, Any] | None = None):  # type: ignore[assignment]
        super().__init__(values)
        self.extra: dict[str, Any] = dict(extra or {})

    def __missing__(self, key: str) -> Any:
        try:
            return self.extra[key]
        except KeyError:
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        if key in self:
            return super().get(key)
        return self.extra.get(key, default)

    def copy(self) -> ProductInfo:
        return ProductInfo(self, self.extra)

    def updated(self, **values: Any) -> ProductInfo:
        """A copy with ``values`` set."""
        copy = self.copy()
        copy.update(values)
        return copy

    def __reduce__(self) -> tuple[Any, ...]:
        return (ProductInfo, (dict(self), self.extra))


def describe(
    info: Mapping[str, Any], quicklook_url: str | None = None, as_keys: bool = False
) -> ProductInfo:
    """A product info with sentinelsat 1.x's extra keys: ``quicklook_url`` (when the server
    has quicklooks), ``manifest_name`` and ``product_root_dir``.

    Parameters
    ----------
    info : mapping
        The info with 0.13's keys (``title`` is used).
    quicklook_url : str, optional
        The URL of the product's quicklook.
    as_keys : bool, optional
        Make them ordinary keys (1.x); by default they are readable by key without being
        among the keys (see :class:`ProductInfo`).
    """
    title = info.get("title")
    extra: dict[str, Any] = {} if quicklook_url is None else {"quicklook_url": quicklook_url}
    extra.update(manifest_name=manifest_name(title), product_root_dir=product_root_dir(title))
    if isinstance(info, ProductInfo):
        extra = {**info.extra, **extra}
    if as_keys:
        return ProductInfo({**info, **extra})
    return ProductInfo({key: value for key, value in info.items() if key not in extra}, extra)


def with_values(info: Mapping[str, Any], **values: Any) -> dict[str, Any]:
    """A copy of a product info with ``values`` set, of the same kind (a :class:`ProductInfo`
    keeps its extra keys)."""
    if isinstance(info, ProductInfo):
        return info.updated(**values)
    return dict(info, **values)


__all__ = [
    "ProductInfo",
    "all_nodes_filter",
    "contained_path",
    "describe",
    "make_path_filter",
    "make_size_filter",
    "manifest_name",
    "parse_manifest",
    "product_root_dir",
    "with_values",
]
