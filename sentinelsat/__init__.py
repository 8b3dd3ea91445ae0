"""sentinelsat: search, inspect and download Copernicus Sentinel products from a DHuS server
or the Copernicus Data Space Ecosystem.

The public API:

- :class:`SentinelAPI`, the client;
- :func:`read_geojson`, :func:`geojson_to_wkt` and :func:`format_query_date`, helpers to
  build queries;
- :class:`SentinelAPIError` and its subclasses (:mod:`sentinelsat.exceptions` draws the
  tree), and :class:`InvalidChecksumError`.

The names are imported on first use, so that ``import sentinelsat`` (and the start of the
``sentinelsat`` command) stays fast.

The layers, each using only those below it (``docs/architecture.rst``):

- the façade, :class:`SentinelAPI` (``sentinel.py``), and the command line (``scripts/``);
- the backends (:mod:`sentinelsat.backends`), one per server protocol;
- the protocol-agnostic engines: paging (``search``), downloads (``download``, ``bulk``),
  ``integrity``, ``checksums``, the query language (``query``), ``parsing``, ``geo``,
  ``conversions``;
- the transport (``sessions``) and the exceptions (``exceptions``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "1.0.0"

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
    "read_geojson": "geo",
    "geojson_to_wkt": "geo",
    "format_query_date": "query",
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
    "read_geojson",
    "geojson_to_wkt",
    "format_query_date",
    "__version__",
]

if TYPE_CHECKING:  # pragma: no cover - what type checkers and IDEs see
    from .exceptions import (
        EmptyQueryValueError,
        InvalidChecksumError,
        InvalidKeyError,
        LTAError,
        LTATriggered,
        NetworkError,
        QueryLengthError,
        QuerySyntaxError,
        SentinelAPIError,
        SentinelAPILTAError,
        ServerError,
        UnauthorizedError,
    )
    from .geo import geojson_to_wkt, read_geojson
    from .query import format_query_date
    from .sentinel import SentinelAPI


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module("." + module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
