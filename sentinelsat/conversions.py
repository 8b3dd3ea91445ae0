"""Conversions of search results into GeoJSON, pandas and GeoPandas objects.

pandas, geopandas and shapely are optional: they are imported only when a conversion that
needs them is called.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import geojson
from geomet import wkt

from .parsing import parse_size

logger = logging.getLogger(__name__)

Products = Mapping[str, Mapping[str, Any]]


def _import_optional(module: str, purpose: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        raise ImportError(
            f"{purpose} requires the optional dependency '{module}': pip install {module}"
        ) from None


#: How :func:`to_geojson` writes datetimes, as sentinelsat 0.13 did: UTC with a ``Z``.
GEOJSON_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

#: Attributes that become the geometry instead of properties.
FOOTPRINT_ATTRIBUTES = ("footprint", "gmlfootprint")


def _json_value(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.strftime(GEOJSON_DATETIME_FORMAT)
    return value


def to_geojson(products: Products) -> geojson.FeatureCollection:
    """Return the products of a search as a GeoJSON FeatureCollection.

    Parameters
    ----------
    products : dict
        Product id → attributes, as returned by ``SentinelAPI.query()``.

    Returns
    -------
    geojson.FeatureCollection
        One Feature per product, numbered from 0 in the order of ``products`` (its ``id``),
        with the footprint as geometry and the other attributes as properties, plus the
        product id as the ``id`` property. Datetimes are written as
        ``2015-05-26T08:16:40.873000Z`` (UTC), exactly as sentinelsat 0.13 wrote them.
    """
    features = []
    for number, (product_id, attributes) in enumerate(products.items()):
        properties = {
            key: _json_value(value)
            for key, value in attributes.items()
            if key not in FOOTPRINT_ATTRIBUTES
        }
        properties["id"] = product_id
        footprint = attributes.get("footprint")
        geometry = wkt.loads(footprint) if footprint else None
        features.append(geojson.Feature(geometry=geometry, id=number, properties=properties))
    return geojson.FeatureCollection(features)


def to_dataframe(products: Products) -> Any:
    """Return the products of a search as a pandas DataFrame indexed by product id.

    Parameters
    ----------
    products : dict
        Product id → attributes, as returned by ``SentinelAPI.query()``.

    Returns
    -------
    pandas.DataFrame
    """
    pd = _import_optional("pandas", "to_dataframe()")
    frame = pd.DataFrame.from_dict(dict(products), orient="index")
    frame.index.name = None
    return frame


def to_geodataframe(products: Products) -> Any:
    """Return the products of a search as a GeoPandas GeoDataFrame in EPSG:4326.

    Parameters
    ----------
    products : dict
        Product id → attributes, as returned by ``SentinelAPI.query()``.

    Returns
    -------
    geopandas.GeoDataFrame
        The footprints are the geometries (the ``footprint`` and ``gmlfootprint`` columns
        are dropped, as in sentinelsat 0.13); an empty input gives an empty GeoDataFrame.
    """
    gpd = _import_optional("geopandas", "to_geodataframe()")
    _import_optional("shapely", "to_geodataframe()")
    import shapely.wkt

    crs = "EPSG:4326"
    if not products:
        return gpd.GeoDataFrame(crs=crs, geometry=[])
    frame = to_dataframe(products)
    footprints = frame["footprint"] if "footprint" in frame else [None] * len(frame)
    geometry = [shapely.wkt.loads(text) if isinstance(text, str) else None for text in footprints]
    frame = frame.drop(columns=[name for name in FOOTPRINT_ATTRIBUTES if name in frame])
    return gpd.GeoDataFrame(frame, crs=crs, geometry=geometry)


def get_products_size(products: Products) -> float:
    """Return the total size in GB of the products of a search.

    Parameters
    ----------
    products : dict
        Product id → attributes; each product's ``size`` is a string such as ``'5.47 GB'``.

    Returns
    -------
    float
        The total in GB, rounded to two decimals. Products without a readable size are
        skipped with a warning.
    """
    total = 0.0
    for product_id, attributes in products.items():
        try:
            total += parse_size(attributes["size"])
        except (KeyError, ValueError):
            logger.warning(
                "Product %s has no readable size: %r", product_id, attributes.get("size")
            )
    return round(total, 2)
