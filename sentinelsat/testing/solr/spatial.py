"""Spatial predicates on footprints: ``Intersects``, ``Contains``, ``IsWithin``, ``IsDisjointTo``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable

from ..extras import require_shapely
from .errors import QueryError

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

_PURPOSE = "a footprint search"

# --------------------------------------------------------------------------- geometry
_SPATIAL_RE = re.compile(
    r"^\s*(intersects|contains|iswithin|isdisjointto)\s*\((.*)\)\s*$", re.I | re.S
)
_ENVELOPE_RE = re.compile(r"^\s*envelope\s*\(([^)]*)\)\s*$", re.I)
_POINT_RE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


def parse_shape(text: str) -> BaseGeometry:
    """Parse the shape of a spatial predicate: WKT, ``ENVELOPE(minX, maxX, maxY, minY)`` or ``lat, lon``.

    Raises
    ------
    QueryError
        For a shape the server could not parse.
    MissingDependencyError
        If shapely is not installed.
    """
    shapely = require_shapely(_PURPOSE)
    envelope = _ENVELOPE_RE.match(text)
    if envelope:
        try:
            min_x, max_x, max_y, min_y = (float(part) for part in envelope.group(1).split(","))
        except ValueError:
            raise QueryError(
                f'Unable to parse shape given formats "lat,lon", "x y" or as WKT because {text}'
            ) from None
        return shapely.geometry.box(min_x, min_y, max_x, max_y)
    point = _POINT_RE.match(text)
    if point:
        return shapely.geometry.Point(float(point.group(2)), float(point.group(1)))
    try:
        shape = shapely.wkt.loads(text)
    except (shapely.errors.ShapelyError, ValueError, TypeError):
        raise QueryError(
            f'Unable to parse shape given formats "lat,lon", "x y" or as WKT because {text}'
        ) from None
    if shape.is_empty:
        raise QueryError(
            f'Unable to parse shape given formats "lat,lon", "x y" or as WKT because {text}'
        )
    return shape


def spatial_predicate(text: str) -> Callable[[BaseGeometry], bool]:
    """Compile ``Intersects(<shape>)`` (or ``Contains``, ``IsWithin``, ``IsDisjointTo``) into a
    test of a footprint geometry."""
    match = _SPATIAL_RE.match(text)
    if not match:
        raise QueryError(f"Unknown spatial operation or invalid shape: {text}")
    shape = parse_shape(match.group(2))
    if not shape.is_valid:
        shape = shape.buffer(0)
    relation = match.group(1).lower()
    predicate: Callable[[Any], bool]
    if relation == "intersects":
        predicate = shape.intersects
    elif relation == "contains":
        predicate = lambda footprint: footprint.contains(shape)  # noqa: E731
    elif relation == "iswithin":
        predicate = shape.contains
    else:
        predicate = shape.disjoint
    return predicate
