"""Value formatting the way DHuS wrote it on the wire (dates, sizes, geometries)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

#: A closed ring of ``(lon, lat)`` points, the first repeated at the end.
Ring = Sequence[tuple[float, float]]
#: A footprint: a ring (what the catalogue generates) or a shapely (multi)polygon.
Footprint = Union[Ring, "BaseGeometry"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def to_millis(value: datetime) -> int:
    """Return the milliseconds since the Unix epoch of an aware datetime."""
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def format_solr_date(value: datetime) -> str:
    """Format a date as Solr did: ``2015-12-27T10:05:10.98Z`` (millis without trailing zeros).

    Parameters
    ----------
    value : datetime
        An aware datetime.

    Returns
    -------
    str
        The date in UTC, with milliseconds only when they are not zero.
    """
    value = value.astimezone(timezone.utc)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    millis = value.microsecond // 1000
    if millis:
        text += ("." + f"{millis:03d}").rstrip("0")
    return text + "Z"


def format_odata_date(value: datetime | None) -> str | None:
    """Format a date as an OData v2 JSON date ``/Date(1447802881852)/``."""
    if value is None:
        return None
    return f"/Date({to_millis(value)})/"


def format_size(size: int) -> str:
    """Format a byte count as DHuS did in the ``size`` attribute, e.g. ``5.47 GB``."""
    units = ["B", "KB", "MB", "GB", "TB"]
    amount = float(size)
    unit = 0
    while amount >= 1024 and unit < len(units) - 1:
        amount /= 1024
        unit += 1
    if unit == 0:
        return f"{size} B"
    return f"{amount:.2f} {units[unit]}"


def format_double(value: float) -> str:
    """Format a double like Java's ``Double.toString`` for ordinary magnitudes."""
    text = repr(float(value))
    return text if ("." in text or "e" in text or "n" in text) else text + ".0"


def _exterior_rings(geometry: Footprint) -> list[Ring]:
    kind = getattr(geometry, "geom_type", None)
    if kind is None:
        return [geometry]
    if kind == "Polygon":
        return [list(geometry.exterior.coords)]  # type: ignore[union-attr]
    if kind == "MultiPolygon":
        return [list(polygon.exterior.coords) for polygon in geometry.geoms]  # type: ignore[union-attr]
    raise ValueError(f"unsupported footprint geometry {kind}")


def format_wkt(geometry: Footprint) -> str:
    """Format a polygon footprint as DHuS did: ``POLYGON ((lon lat,lon lat,...))``.

    ``geometry`` is a ring of ``(lon, lat)`` points or a shapely polygon or multipolygon.
    """
    rings = _exterior_rings(geometry)
    parts = ["((" + ",".join(f"{x:.6f} {y:.6f}" for x, y in ring) + "))" for ring in rings]
    if getattr(geometry, "geom_type", "Polygon") == "Polygon":
        return "POLYGON " + parts[0]
    return "MULTIPOLYGON (" + ", ".join(parts) + ")"


def format_gml(geometry: Footprint) -> str:
    """Format a footprint as the GML polygon DHuS reported (``lat,lon`` pairs)."""
    ring = _exterior_rings(geometry)[0]
    coordinates = " ".join(f"{y:.6f},{x:.6f}" for x, y in ring)
    return (
        '<gml:Polygon srsName="http://www.opengis.net/gml/srs/epsg.xml#4326" '
        'xmlns:gml="http://www.opengis.net/gml">\n'
        "   <gml:outerBoundaryIs>\n"
        "      <gml:LinearRing>\n"
        f"         <gml:coordinates>{coordinates}</gml:coordinates>\n"
        "      </gml:LinearRing>\n"
        "   </gml:outerBoundaryIs>\n"
        "</gml:Polygon>"
    )


def format_compact_date(value: datetime) -> str:
    """Format a date as it appears inside product names: ``20170205T105221``."""
    return value.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S")
