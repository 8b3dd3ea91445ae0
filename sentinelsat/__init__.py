"""sentinelsat: search, inspect and download Copernicus Sentinel products from a DHuS server.

The public API:

- :class:`SentinelAPI`, the client;
- :func:`read_geojson`, :func:`geojson_to_wkt` and :func:`format_query_date`, helpers to
  build queries;
- :class:`SentinelAPIError` and its subclasses :class:`SentinelAPILTAError` and
  :class:`InvalidChecksumError`.
"""
__version__ = "1.0.0"

from .exceptions import InvalidChecksumError, SentinelAPIError, SentinelAPILTAError  # noqa: E402
from .geo import geojson_to_wkt, read_geojson  # noqa: E402
from .query import format_query_date  # noqa: E402
from .sentinel import SentinelAPI  # noqa: E402

__all__ = [
    "SentinelAPI",
    "SentinelAPIError",
    "SentinelAPILTAError",
    "InvalidChecksumError",
    "read_geojson",
    "geojson_to_wkt",
    "format_query_date",
    "__version__",
]
