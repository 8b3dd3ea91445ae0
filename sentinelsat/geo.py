"""GeoJSON helpers: read an area of interest and turn it into the WKT a DHuS server expects."""

from __future__ import annotations

import math
import re
from typing import Any

import geojson
from geomet import wkt

_TRAILING_ZEROS = re.compile(r"(\.\d*?)0+(?=[ ,)])")
_BARE_POINT = re.compile(r"\.(?=[ ,)])")
_NEGATIVE_ZERO = re.compile(r"(?<![\d.])-0(?=[ ,)])")


def read_geojson(geojson_file: str) -> dict[str, Any]:
    """Read a GeoJSON file.

    Parameters
    ----------
    geojson_file : str or path-like
        Path to the file.

    Returns
    -------
    geojson.GeoJSON
        The parsed object (a dict subclass).

    Raises
    ------
    ValueError
        If the file is not valid JSON.
    OSError
        If the file cannot be read.
    """
    with open(geojson_file, encoding="utf-8") as f:
        loaded: dict[str, Any] = geojson.load(f)
        return loaded


def geojson_to_wkt(
    geojson_obj: dict[str, Any], feature_number: int | None = 0, decimals: int = 4
) -> str:
    """Convert a GeoJSON object into compact Well-Known Text for a DHuS search.

    Parameters
    ----------
    geojson_obj : dict
        A FeatureCollection, a Feature or a bare geometry.
    feature_number : int or None, optional
        Which feature of a FeatureCollection to use (the first by default, as in sentinelsat
        0.13). ``None`` takes them all, as sentinelsat 1.1 did: a FeatureCollection becomes a
        ``GEOMETRYCOLLECTION`` of the geometries of its features (a Feature or a bare
        geometry is converted as it is).
    decimals : int, optional
        Decimal places to round the coordinates to (4 by default, about 10 m).

    Returns
    -------
    str
        E.g. ``POLYGON((-66.2695 -8.0592,-66.2695 0.7031,...))``. A third coordinate is
        dropped. The input is not modified.

    Raises
    ------
    ValueError
        If the object is not valid GeoJSON, has no such feature, or a coordinate is not a
        number or lies outside [-180, 180] (longitude) or [-90, 90] (latitude).
    """
    geometry = _select_geometry(geojson_obj, feature_number)
    flat = _to_2d(geometry)
    text = wkt.dumps(flat, decimals=decimals)
    return _compact(text)


def _select_geometry(obj: Any, feature_number: int | None) -> dict[str, Any]:
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        raise ValueError(f"Not a GeoJSON object: {_shorten(obj)}")
    kind = obj["type"]
    if kind == "FeatureCollection":
        features = obj.get("features")
        if not isinstance(features, list) or not features:
            raise ValueError("The GeoJSON FeatureCollection contains no features")
        if feature_number is None:
            geometries = [_select_geometry(feature, 0) for feature in features]
            return {"type": "GeometryCollection", "geometries": geometries}
        if not isinstance(feature_number, int) or not -len(features) <= feature_number < len(
            features
        ):
            raise ValueError(
                f"feature_number {feature_number!r} is out of range: the FeatureCollection has {len(features)} "
                "feature(s)"
            )
        return _select_geometry(features[feature_number], 0)
    if kind == "Feature":
        geometry = obj.get("geometry")
        if not isinstance(geometry, dict):
            raise ValueError("The GeoJSON Feature has no geometry")
        return _select_geometry(geometry, 0)
    return obj


def _to_2d(geometry: dict[str, Any]) -> dict[str, Any]:
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        members = geometry.get("geometries")
        if not isinstance(members, list) or not members:
            raise ValueError("The GeoJSON GeometryCollection is empty")
        return {"type": kind, "geometries": [_to_2d(member) for member in members]}
    if kind not in (
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
    ):
        raise ValueError(f"Unsupported GeoJSON geometry type: {kind!r}")
    coordinates = geometry.get("coordinates")
    depth = {
        "Point": 0,
        "MultiPoint": 1,
        "LineString": 1,
        "MultiLineString": 2,
        "Polygon": 2,
        "MultiPolygon": 3,
    }[kind]
    return {"type": kind, "coordinates": _flatten_positions(coordinates, depth)}


def _flatten_positions(coordinates: Any, depth: int) -> Any:
    if depth == 0:
        return _position_2d(coordinates)
    if not isinstance(coordinates, list) or not coordinates:
        raise ValueError(f"Empty or malformed GeoJSON coordinates: {_shorten(coordinates)}")
    return [_flatten_positions(item, depth - 1) for item in coordinates]


def _position_2d(position: Any) -> list[float]:
    if not isinstance(position, list) or len(position) < 2:
        raise ValueError(f"Malformed GeoJSON position: {_shorten(position)}")
    lon, lat = position[0], position[1]
    for name, value, bound in (("Longitude", lon, 180), ("Latitude", lat, 90)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{name} {_shorten(value)} is not a number")
        if not math.isfinite(value) or not -bound <= value <= bound:
            raise ValueError(
                f"{name} {value!r} is out of bounds [-{bound}, {bound}]: check that the GeoJSON uses "
                "WGS84 longitude/latitude"
            )
    return [lon, lat]


def _compact(text: str) -> str:
    text = _TRAILING_ZEROS.sub(r"\1", text)
    text = _BARE_POINT.sub("", text)
    text = _NEGATIVE_ZERO.sub("0", text)
    return text.replace(", ", ",").replace(" (", "(")


def _shorten(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_WKT_TYPES = (
    "POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|GEOMETRYCOLLECTION|ENVELOPE"
)
_WKT = re.compile(
    rf"^\s*(?:{_WKT_TYPES})(?:\s+(?:Z|M|ZM))?\s*(?:\(\s*[-+0-9.eE\s,()A-Za-z]*\)|EMPTY)\s*$",
    re.IGNORECASE,
)


def is_wkt(possible_wkt: str) -> bool:
    """Whether a string looks like Well-Known Text: a geometry type (``POINT``,
    ``LINESTRING``, ``POLYGON``, their ``MULTI`` forms, ``GEOMETRYCOLLECTION``, or the
    ``ENVELOPE`` of Solr) followed by coordinates in balanced parentheses.

    Parameters
    ----------
    possible_wkt : str

    Returns
    -------
    bool
        A syntax check only: it does not say that the geometry is valid.
    """
    if not isinstance(possible_wkt, str) or not _WKT.match(possible_wkt):
        return False
    depth = 0
    for character in possible_wkt:
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth < 0:
            return False
    return depth == 0
