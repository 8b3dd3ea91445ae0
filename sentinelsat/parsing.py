"""Parsing of DHuS responses into Python values.

Pure functions only: they take decoded JSON (dicts and lists) and return dicts of typed
values. Unknown shapes are kept as they are instead of failing, because DHuS versions differ
in the details of what they send.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable

from .exceptions import QuerySyntaxError, ServerError

if TYPE_CHECKING:  # pragma: no cover
    from xml.etree.ElementTree import Element

_ISO_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)
_ODATA_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d+)?\)/$")
_GML_NS = "{http://www.opengis.net/gml}"

#: sentinelsat 0.13's messages for an unusable search answer.
INVALID_QUERY = "Invalid query string. Check the parameters and format."
INVALID_FEED = "API response not valid. JSON decoding failed."
_EPOCH = datetime(1970, 1, 1)


def parse_iso_datetime(text: str) -> datetime:
    """Parse an ISO-8601 timestamp into a naive UTC datetime.

    Parameters
    ----------
    text : str
        E.g. ``2015-05-26T21:10:28.984Z`` or ``2015-12-27T14:22:29Z``; any number of
        fractional digits; an explicit UTC offset is converted to UTC.

    Returns
    -------
    datetime.datetime

    Raises
    ------
    ValueError
        If the text is not such a timestamp.
    """
    if text.endswith("Z") and "T" in text:
        try:  # fast path for the usual "2015-05-26T21:10:28.984Z"
            value = datetime.fromisoformat(text[:-1])
            if value.tzinfo is None:
                return value
        except ValueError:
            pass
    match = _ISO_TIMESTAMP.match(text.strip())
    if not match:
        raise ValueError(f"Not an ISO-8601 timestamp: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micros)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        value = (value - sign * offset).replace(tzinfo=None)
    return value


def parse_odata_date(text: str) -> datetime:
    """Parse an OData ``/Date(milliseconds)/`` stamp into a naive UTC datetime."""
    match = _ODATA_DATE.match(text.strip())
    if not match:
        raise ValueError(f"Not an OData date: {text!r}")
    return _EPOCH + timedelta(milliseconds=int(match.group(1)))


def _to_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError(f"Not a boolean: {text!r}")


_OPENSEARCH_TYPES: dict[str, Callable[[str], Any]] = {
    "str": str,
    "int": int,
    "long": int,
    "float": float,
    "double": float,
    "date": parse_iso_datetime,
    "bool": _to_bool,
    "boolean": _to_bool,
}


def _as_list(value: Any) -> list[Any]:
    """DHuS sends a single element as an object instead of a one-element list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _convert(converter: Callable[[str], Any], value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return converter(value)
    except (ValueError, TypeError, OverflowError):
        return value


def parse_opensearch_entry(entry: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """Convert one OpenSearch result entry into ``(product id, attributes)``.

    Parameters
    ----------
    entry : dict
        One element of ``feed.entry``.

    Returns
    -------
    tuple of (str or None, dict)
        The entry's ``id`` and its attributes: typed arrays converted by their type
        (``str``, ``int``/``long``, ``float``/``double``, ``date``, ``bool``), ``link``
        entries as ``link``, ``link_alternative``, ``link_icon``, other fields kept as given.
    """
    # the hot loop of large searches (5,000 entries a second and more): kept lean on purpose
    attributes: dict[str, Any] = {}
    for key, value in entry.items():
        if key == "id":
            continue
        if key == "link":
            attributes.update(_parse_links(value))
            continue
        converter = _OPENSEARCH_TYPES.get(key)
        if converter is None or type(value) not in (list, dict):
            attributes[key] = value
        elif converter is str:
            _add_strings(attributes, value)
        else:
            _add_typed(attributes, converter, value)
    product_id = entry.get("id")
    return (product_id if isinstance(product_id, str) else None), attributes


def _parse_links(value: Any) -> dict[str, Any]:
    links: dict[str, Any] = {}
    for link in _as_list(value):
        if isinstance(link, dict) and "href" in link:
            rel = link.get("rel")
            links["link_" + rel if isinstance(rel, str) and rel else "link"] = link["href"]
    return links


def _named(value: Any) -> Any:
    """The ``{"name": ..., "content": ...}`` items of a typed array (one or a list)."""
    return value if type(value) is list else (value,)


# In the two functions below, an item's value is its "content" member, or its "str" member
# (Sentinel-3 entries of 2017 had one instead); the code is inlined for speed.
def _add_strings(attributes: dict[str, Any], value: Any) -> None:
    for item in _named(value):
        if type(item) is dict:
            name = item.get("name")
            if type(name) is str:
                attributes[name] = item["content"] if "content" in item else item.get("str")


def _add_typed(attributes: dict[str, Any], converter: Callable[[str], Any], value: Any) -> None:
    for item in _named(value):
        if type(item) is dict:
            name = item.get("name")
            if type(name) is str:
                content = item["content"] if "content" in item else item.get("str")
                if type(content) is str:
                    try:
                        content = converter(content)
                    except (ValueError, TypeError, OverflowError):
                        pass
                attributes[name] = content


def parse_opensearch_response(
    response_json: Any,
) -> tuple[int, list[tuple[str, dict[str, Any]]]]:
    """Parse one page of OpenSearch results.

    Parameters
    ----------
    response_json : dict
        The decoded JSON body of a ``search?format=json`` response.

    Returns
    -------
    tuple of (int, list of (str, dict))
        The total number of matching products on the server and the page's products in
        server order.

    Raises
    ------
    QuerySyntaxError
        The server did not accept the query: the feed's total is ``null`` (how the DHuS
        servers of 2017-2019 answered) or the feed carries an ``error`` (later servers). The
        ``msg`` is sentinelsat 0.13's ``'Invalid query string. Check the parameters and
        format.'``; the server's own words, if any, are in ``hint``.
    ServerError
        The answer is not a search feed (0.13's ``'API response not valid. JSON decoding
        failed.'``).
    """
    feed = response_json.get("feed") if isinstance(response_json, dict) else None
    if not isinstance(feed, dict):
        raise ServerError(INVALID_FEED)
    if "error" in feed:
        raise QuerySyntaxError(INVALID_QUERY, hint=feed_error_message(feed["error"]))
    if "opensearch:totalResults" not in feed:
        raise ServerError(INVALID_FEED)
    total = _parse_total(feed["opensearch:totalResults"])
    products = []
    for entry in _as_list(feed.get("entry")):
        if not isinstance(entry, dict):
            continue
        product_id, attributes = parse_opensearch_entry(entry)
        if product_id is not None:
            products.append((product_id, attributes))
    return total, products


def feed_error_message(error: Any) -> str:
    """The text of a search feed's ``error`` member, without Solr's exception class."""
    message = error.get("message") if isinstance(error, dict) else error
    text = str(message if message is not None else error).strip()
    prefix = "org.apache.solr.search.SyntaxError:"
    return text[len(prefix) :].strip() if text.startswith(prefix) else text


def _parse_total(value: Any) -> int:
    if value is None:
        raise QuerySyntaxError(INVALID_QUERY)
    try:
        total = int(value)
    except (TypeError, ValueError):
        raise ServerError(INVALID_FEED) from None
    if total < 0:
        raise ServerError(INVALID_FEED)
    return total


def gml_to_wkt(gml: str) -> str | None:
    """Convert a DHuS GML footprint (``lat,lon`` pairs) into WKT (``lon lat``).

    Parameters
    ----------
    gml : str
        A ``gml:Polygon`` or ``gml:MultiPolygon`` element as DHuS sends it.

    Returns
    -------
    str or None
        ``POLYGON((...))`` or ``MULTIPOLYGON(((...)))`` keeping the server's number
        formatting, or ``None`` if the GML cannot be read.
    """
    import xml.etree.ElementTree as ElementTree  # (only the DHuS feeds have GML)

    try:
        root = ElementTree.fromstring(gml)
    except ElementTree.ParseError:
        return None
    polygons = [root] if root.tag == _GML_NS + "Polygon" else root.iter(_GML_NS + "Polygon")
    converted = [_gml_polygon_to_wkt(polygon) for polygon in polygons]
    rendered = [polygon for polygon in converted if polygon]
    if not rendered:
        return None
    if len(rendered) == 1:
        return "POLYGON" + rendered[0]
    return f"MULTIPOLYGON({','.join(rendered)})"


def _gml_polygon_to_wkt(polygon: Element) -> str | None:
    rings = []
    for coordinates in polygon.iter(_GML_NS + "coordinates"):
        points = []
        for pair in (coordinates.text or "").split():
            lat_lon = pair.split(",")
            if len(lat_lon) < 2:
                return None
            points.append(f"{lat_lon[1]} {lat_lon[0]}")
        if points:
            rings.append(f"({','.join(points)})")
    return f"({','.join(rings)})" if rings else None


def parse_odata_response(response_json: Any, full: bool = False) -> dict[str, Any]:
    """Parse an OData product description.

    Parameters
    ----------
    response_json : dict
        The decoded JSON body of ``odata/v1/Products('<id>')?$format=json``.
    full : bool, optional
        Also add every attribute of an ``$expand=Attributes`` response under its server
        name, converted to int, float or datetime where it parses as one.

    Returns
    -------
    dict
        ``id``, ``title``, ``size`` (bytes), ``md5``, ``date``, ``footprint`` (WKT or
        ``None``), ``url``, ``Online``, ``Creation Date``, ``Ingestion Date``.

    Raises
    ------
    ServerError
        If the response does not describe a product.
    """
    product = response_json.get("d") if isinstance(response_json, dict) else None
    if not isinstance(product, dict) or "Id" not in product:
        raise ServerError("Invalid API response.")
    metadata = product.get("__metadata") or {}
    checksum = product.get("Checksum") or {}
    content_date = product.get("ContentDate") or {}
    geometry = product.get("ContentGeometry")
    values = {
        "id": product["Id"],
        "title": product.get("Name"),
        "size": _convert(int, product.get("ContentLength")),
        # keyed by the algorithm, lower case, as 0.13 did: 'md5', or 'sha3-256' on newer DHuS
        _checksum_key(checksum): checksum.get("Value") if isinstance(checksum, dict) else None,
        "date": _odata_date_or_none(content_date.get("Start"))
        if isinstance(content_date, dict)
        else None,
        "footprint": gml_to_wkt(geometry) if isinstance(geometry, str) and geometry else None,
        "url": metadata.get("media_src") if isinstance(metadata, dict) else None,
        "Online": _parse_online(product.get("Online", True)),
        "Creation Date": _odata_date_or_none(product.get("CreationDate")),
        "Ingestion Date": _odata_date_or_none(product.get("IngestionDate")),
    }
    if full:
        values.update(_parse_attributes(product.get("Attributes")))
    return values


def _checksum_key(checksum: Any) -> str:
    algorithm = checksum.get("Algorithm") if isinstance(checksum, dict) else None
    return algorithm.strip().lower() if isinstance(algorithm, str) and algorithm.strip() else "md5"


def _odata_date_or_none(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_odata_date(value)
    except (ValueError, OverflowError):
        return None


def _parse_online(value: Any) -> Any:
    if isinstance(value, str):
        return _convert(_to_bool, value)
    return bool(value) if value is not None else True


def _parse_attributes(attributes: Any) -> dict[str, Any]:
    results = attributes.get("results") if isinstance(attributes, dict) else attributes
    parsed: dict[str, Any] = {}
    for attribute in _as_list(results):
        if isinstance(attribute, dict) and isinstance(attribute.get("Name"), str):
            parsed[attribute["Name"]] = parse_attribute_value(attribute.get("Value"))
    return parsed


def parse_attribute_value(value: Any) -> Any:
    """Convert an OData attribute value as sentinelsat 0.13 did: the first of ``int()``,
    ``float()`` and a ``yyyy-MM-ddThh:mm:ss[.SSS]Z`` timestamp that accepts it, else the
    string itself."""
    if not isinstance(value, str):
        return value
    for converter in (int, float, parse_odata_attribute_date):
        try:
            return converter(value)
        except (ValueError, OverflowError):
            continue
    return value


def parse_odata_attribute_date(text: str) -> datetime:
    """Parse ``2015-11-21T10:03:56.675Z`` or ``2015-11-21T10:03:56Z`` (and nothing else) into
    a naive UTC datetime, as sentinelsat 0.13 did."""
    layout = "%Y-%m-%dT%H:%M:%S.%fZ" if "." in text else "%Y-%m-%dT%H:%M:%SZ"
    return datetime.strptime(text, layout)


def parse_size(size: str) -> float:
    """Convert a DHuS size string such as ``'5.47 GB'`` into gigabytes.

    Parameters
    ----------
    size : str
        A number followed by one of B, KB, MB, GB, TB (binary multiples, as DHuS uses).

    Returns
    -------
    float
        The size in GB.

    Raises
    ------
    ValueError
        If the string is not a size.
    """
    units = {"B": 1024**-3, "KB": 1024**-2, "MB": 1024**-1, "GB": 1.0, "TB": 1024.0}
    parts = str(size).split()
    if len(parts) != 2 or parts[1].upper() not in units:
        raise ValueError(f"Not a size: {size!r}")
    return float(parts[0]) * units[parts[1].upper()]
