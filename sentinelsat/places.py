"""Place names to search areas, through a geocoder (sentinelsat 1.x's ``placename_to_wkt``).

The geocoder is OpenStreetMap's Nominatim (:data:`~sentinelsat.backends.endpoints.NOMINATIM_URL`,
or the URL in the environment variable ``SENTINELSAT_NOMINATIM_URL``). Its usage policy asks for
at most one request a second and an identifying ``User-Agent``: geocode a place once and keep
the area.
"""

from __future__ import annotations

import math
import os
from typing import Any

from . import __version__
from .backends.endpoints import NOMINATIM_URL

#: Seconds to wait for the geocoder.
TIMEOUT = 30


def geocoder_url() -> str:
    """The geocoder's search URL: ``SENTINELSAT_NOMINATIM_URL``, else Nominatim's."""
    return os.environ.get("SENTINELSAT_NOMINATIM_URL") or NOMINATIM_URL


def placename_to_wkt(place_name: str, session: Any = None) -> tuple[str, dict[str, Any]]:
    """The bounding box of a place, as a WKT ``ENVELOPE`` for a search's ``area``.

    Parameters
    ----------
    place_name : str
        E.g. ``"Berlin"`` or ``"Lake Geneva"``; the geocoder's first match is used.
    session : requests.Session, optional
        The session to ask the geocoder with (a new one by default).

    Returns
    -------
    tuple of (str, dict)
        ``"ENVELOPE(minX, maxX, maxY, minY)"`` (longitudes and latitudes, in Solr's order),
        and the match's properties (``display_name``, ``type``...) plus its ``bbox``
        ``[minX, minY, maxX, maxY]``.

    Raises
    ------
    ValueError
        The geocoder knows no such place.
    requests.HTTPError
        The geocoder refused the request.
    """
    import requests

    http = session if session is not None else requests.Session()
    params: dict[str, str | int] = {"q": place_name, "format": "geojson", "limit": 1}
    response = http.get(
        geocoder_url(),
        params=params,
        headers={"User-Agent": f"sentinelsat/{__version__}"},
        timeout=TIMEOUT,
    )
    response.raise_for_status()
    features = response.json().get("features") or []
    if not features:
        raise ValueError(f'Unable to find a matching location for "{place_name}"')
    feature = features[0]
    min_x, min_y, max_x, max_y = (float(value) for value in feature["bbox"])
    info = dict(feature.get("properties") or {})
    info["bbox"] = feature["bbox"]
    return f"ENVELOPE({min_x}, {max_x}, {max_y}, {min_y})", info


def bbox_polygon(bbox: list[float]) -> str:
    """The ``POLYGON`` of a ``[minX, minY, maxX, maxY]`` box (the area of an ``ENVELOPE``,
    for servers that take WKT polygons only)."""
    min_x, min_y, max_x, max_y = (float(value) for value in bbox)
    corners = [(min_x, min_y), (max_x, min_y), (max_x, max_y), (min_x, max_y), (min_x, min_y)]
    return "POLYGON((" + ",".join(f"{x} {y}" for x, y in corners) + "))"


def extent_km(bbox: list[float]) -> tuple[float, float]:
    """The width and height of a ``[minX, minY, maxX, maxY]`` box, in km (at its middle)."""
    min_x, min_y, max_x, max_y = (float(value) for value in bbox)
    km_per_degree = 6371.0 * math.pi / 180
    width = (max_x - min_x) * km_per_degree * math.cos(math.radians((min_y + max_y) / 2))
    return abs(width), abs(max_y - min_y) * km_per_degree


__all__ = ["bbox_polygon", "extent_km", "geocoder_url", "placename_to_wkt"]
