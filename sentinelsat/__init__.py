"""sentinelsat: search, inspect and download Copernicus Sentinel products from a DHuS server
or the Copernicus Data Space Ecosystem.

The public API:

- :class:`SentinelAPI`, the client;
- :func:`read_geojson`, :func:`geojson_to_wkt`, :func:`is_wkt`, :func:`placename_to_wkt` and
  :func:`format_query_date`,
  helpers to build queries;
- :func:`make_path_filter`, :func:`make_size_filter` and :func:`all_nodes_filter`, node
  filters for partial downloads (also in :mod:`sentinelsat.products`);
- :class:`ResultTuple`, what ``download_all`` returns, :class:`DownloadStatus` and
  :class:`Downloader`, as sentinelsat 1.x named them;
- :class:`SentinelAPIError` and its subclasses (:mod:`sentinelsat.exceptions` draws the
  tree), and :class:`InvalidChecksumError`.

The names are imported on first use, so that ``import sentinelsat`` (and the start of the
``sentinelsat`` command) stays fast.

The layers, each using only those below it (``docs/architecture.rst``):

- the façade, :class:`SentinelAPI` (``sentinel.py``, with ``downloader.py``), and the command
  line (``scripts/``);
- the backends (:mod:`sentinelsat.backends`), one per server protocol;
- the protocol-agnostic engines: paging (``search``), downloads (``download``, ``bulk``,
  ``partial``, ``lta``), ``integrity``, ``checksums``, the query language (``query``),
  ``parsing``, ``geo``, ``products``, ``results``, ``conversions``;
- the transport (``sessions``) and the exceptions (``exceptions``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "2.0.0"

_EXPORTS = {
    "SentinelAPI": "sentinel",
    "SentinelAPIError": "exceptions",
    "SentinelAPILTAError": "exceptions",
    "InvalidChecksumError": "exceptions",
    "ServerError": "exceptions",
    "UnauthorizedError": "exceptions",
    "QuerySyntaxError": "exceptions",
    "QueryLengthError": "exceptions",
    "InvalidKeyError": "exceptions",
    "LTAError": "exceptions",
    "LTATriggered": "exceptions",
    "NetworkError": "exceptions",
    "EmptyQueryValueError": "exceptions",
    "NotSupportedError": "exceptions",
    "read_geojson": "geo",
    "geojson_to_wkt": "geo",
    "is_wkt": "geo",
    "placename_to_wkt": "places",
    "format_query_date": "query",
    "make_path_filter": "products",
    "make_size_filter": "products",
    "all_nodes_filter": "products",
    "ResultTuple": "results",
    "DownloadStatus": "results",
    "Downloader": "downloader",
    "SentinelProductsAPI": "sentinel",
}

__all__ = [
    "SentinelAPI",
    "SentinelAPIError",
    "SentinelAPILTAError",
    "InvalidChecksumError",
    "ServerError",
    "UnauthorizedError",
    "QuerySyntaxError",
    "QueryLengthError",
    "InvalidKeyError",
    "LTAError",
    "LTATriggered",
    "NetworkError",
    "EmptyQueryValueError",
    "NotSupportedError",
    "read_geojson",
    "geojson_to_wkt",
    "is_wkt",
    "placename_to_wkt",
    "format_query_date",
    "make_path_filter",
    "make_size_filter",
    "all_nodes_filter",
    "ResultTuple",
    "DownloadStatus",
    "Downloader",
    "SentinelProductsAPI",
    "__version__",
]

if TYPE_CHECKING:  # pragma: no cover - what type checkers and IDEs see
    from .downloader import Downloader
    from .exceptions import (
        EmptyQueryValueError,
        InvalidChecksumError,
        InvalidKeyError,
        LTAError,
        LTATriggered,
        NetworkError,
        NotSupportedError,
        QueryLengthError,
        QuerySyntaxError,
        SentinelAPIError,
        SentinelAPILTAError,
        ServerError,
        UnauthorizedError,
    )
    from .geo import geojson_to_wkt, is_wkt, read_geojson
    from .places import placename_to_wkt
    from .products import all_nodes_filter, make_path_filter, make_size_filter
    from .query import format_query_date
    from .results import DownloadStatus, ResultTuple
    from .sentinel import SentinelAPI, SentinelProductsAPI


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module("." + module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
