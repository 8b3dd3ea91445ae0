"""CDSE catalogue answers as sentinelsat 0.13 results.

Pure functions only: they take decoded JSON (one product of the OData catalogue) and return
dicts with the keys and Python types that sentinelsat 0.13 users read from DHuS (``title``
without ``.SAFE``, ``beginposition`` as a datetime, ``size`` as ``'1.2 GB'``...), plus the CDSE
attributes under their own names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from ..parsing import parse_iso_datetime

#: Top-level product fields kept in search results under their own names.
ENTRY_FIELDS = ("Online", "ContentLength", "OriginDate", "ModificationDate", "S3Path")

#: CDSE attributes and the 0.13 (DHuS) keys they also fill.
DHUS_KEYS = {
    "orbitNumber": "orbitnumber",
    "relativeOrbitNumber": "relativeorbitnumber",
    "orbitDirection": "orbitdirection",
    "cloudCover": "cloudcoverpercentage",
    "operationalMode": "sensoroperationalmode",
    "swathIdentifier": "swathidentifier",
    "tileId": "tileid",
    "timeliness": "timeliness",
    "productClass": "productclass",
    "sliceNumber": "slicenumber",
    "datatakeID": "missiondatatakeid",
}

#: Collections whose DHuS platform name is not the collection name capitalised.
PLATFORM_NAMES = {"SENTINEL-5P": "Sentinel-5 Precursor"}

#: The Sentinel-1 product types of DHuS, by the type field of a product name.
SENTINEL1_TYPES = {"GRD": "GRD", "SLC": "SLC", "OCN": "OCN", "RAW": "RAW"}

#: DHuS's ``processinglevel`` of the Sentinel-2 product types.
S2_LEVELS = {"S2MSI1C": "Level-1C", "S2MSI2A": "Level-2A", "S2MSI2Ap": "Level-2Ap"}

#: What a DHuS Sentinel-1 product called its instrument.
SENTINEL1_INSTRUMENT = "SAR-C SAR"

_NEVER = "9999-12-31"


def parse_datetime(value: Any) -> datetime | None:
    """A CDSE timestamp (``2024-06-04T11:01:00.494767Z``) as a naive UTC datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_iso_datetime(value)
    except ValueError:
        return None


def title_of(name: str) -> str:
    """A product's title as DHuS gave it: the ``Name`` without its extension (``.SAFE``,
    ``.SEN3``, ``.nc``...)."""
    return name.split(".", 1)[0]


def format_size(size: Any) -> str | None:
    """A byte count as DHuS wrote sizes: ``'34.79 KB'``, ``'1.21 GB'`` (binary multiples)."""
    if not isinstance(size, int) or isinstance(size, bool):
        return None
    amount, unit = float(size), 0
    units = ["B", "KB", "MB", "GB", "TB"]
    while amount >= 1024 and unit < len(units) - 1:
        amount /= 1024
        unit += 1
    return f"{size} B" if unit == 0 else f"{amount:.2f} {units[unit]}"


def footprint_wkt(entry: dict[str, Any]) -> str | None:
    """The footprint as WKT: ``Footprint`` without its ``geography'SRID=4326;...'`` wrapper, or
    ``GeoFootprint`` converted; ``None`` for products without one."""
    footprint = entry.get("Footprint")
    if isinstance(footprint, str) and footprint:
        text = footprint.strip()
        if text.lower().startswith("geography'") and text.endswith("'"):
            text = text[len("geography'") : -1]
        if text.upper().startswith("SRID="):
            text = text.split(";", 1)[1] if ";" in text else ""
        return text.strip() or None
    geometry = entry.get("GeoFootprint")
    if isinstance(geometry, dict) and geometry.get("type"):
        from geomet import wkt

        try:
            return str(wkt.dumps(geometry, decimals=6))
        except (ValueError, KeyError, TypeError, IndexError):
            return None
    return None


def attribute_value(attribute: dict[str, Any]) -> Any:
    """A typed attribute value: ``DateTimeOffset`` as a datetime, ``Integer`` as an int,
    ``Double`` as a float, the others as they are (values that do not convert are kept)."""
    value = attribute.get("Value")
    kind = attribute.get("ValueType")
    try:
        if kind == "DateTimeOffset":
            return parse_datetime(value) or value
        if kind == "Integer" and not isinstance(value, bool):
            return value if isinstance(value, int) else int(float(str(value)))
        if kind == "Double" and not isinstance(value, bool):
            return float(str(value)) if not isinstance(value, (int, float)) else float(value)
    except (TypeError, ValueError):
        return value
    return value


def attributes_of(entry: dict[str, Any]) -> dict[str, Any]:
    """The ``Attributes`` of a product, ``{name: typed value}``."""
    values: dict[str, Any] = {}
    for attribute in entry.get("Attributes") or ():
        if isinstance(attribute, dict) and isinstance(attribute.get("Name"), str):
            values[attribute["Name"]] = attribute_value(attribute)
    return values


def checksums_of(entry: dict[str, Any]) -> dict[str, str]:
    """The ``Checksum`` list as ``{algorithm in lower case: value}`` (``md5``, ``blake3``)."""
    found: dict[str, str] = {}
    for checksum in entry.get("Checksum") or ():
        if not isinstance(checksum, dict):
            continue
        algorithm, value = checksum.get("Algorithm"), checksum.get("Value")
        if isinstance(algorithm, str) and isinstance(value, str) and value.strip():
            found.setdefault(algorithm.strip().lower(), value.strip())
    return found


def quicklook_link(entry: dict[str, Any]) -> str | None:
    """The ``DownloadLink`` of the product's ``QUICKLOOK`` asset (``$expand=Assets``)."""
    for asset in entry.get("Assets") or ():
        if isinstance(asset, dict) and str(asset.get("Type", "")).upper() == "QUICKLOOK":
            link = asset.get("DownloadLink")
            if isinstance(link, str) and link:
                return link
    return None


def platform_name(collection: Any) -> str | None:
    """DHuS's ``platformname`` of a collection: ``SENTINEL-2`` → ``Sentinel-2``."""
    if not isinstance(collection, str) or not collection:
        return None
    return PLATFORM_NAMES.get(collection.upper(), collection.capitalize())


def _content_dates(entry: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    content = entry.get("ContentDate")
    if not isinstance(content, dict):
        return None, None
    return parse_datetime(content.get("Start")), parse_datetime(content.get("End"))


def _dhus_attributes(name: str, attributes: dict[str, Any]) -> dict[str, Any]:
    """The 0.13 keys the CDSE attributes give (``producttype``, ``orbitnumber``...)."""
    values: dict[str, Any] = {}
    platform = platform_name(attributes.get("platformShortName"))
    sentinel1 = platform == "Sentinel-1"
    if platform is not None:
        values["platformname"] = platform
        serial = attributes.get("platformSerialIdentifier")
        if isinstance(serial, str) and serial:
            values["platformserialidentifier"] = platform + serial
    product_type = attributes.get("productType")
    if sentinel1:
        product_type = SENTINEL1_TYPES.get(name[7:10], product_type)
    if product_type is not None:
        values["producttype"] = product_type
    instrument = attributes.get("instrumentShortName")
    if instrument is not None:
        values["instrumentshortname"] = SENTINEL1_INSTRUMENT if sentinel1 else instrument
    for cdse, dhus in DHUS_KEYS.items():
        if cdse in attributes:
            values[dhus] = attributes[cdse]
    if platform == "Sentinel-2":
        if "processorVersion" in attributes:
            values["processingbaseline"] = attributes["processorVersion"]
        level = S2_LEVELS.get(str(product_type))
        if level is not None:
            values["processinglevel"] = level
    polarisation = attributes.get("polarisationChannels")
    if isinstance(polarisation, str):
        values["polarisationmode"] = polarisation.replace("&", " ")
    return values


def _summary(values: dict[str, Any]) -> str:
    """The ``summary`` line of a DHuS result."""
    begin = values.get("beginposition")
    stamp = ""
    if isinstance(begin, datetime):  # milliseconds without trailing zeros, as DHuS wrote them
        millis = f".{begin.microsecond // 1000:03d}".rstrip("0").rstrip(".")
        stamp = begin.strftime("%Y-%m-%dT%H:%M:%S") + millis + "Z"
    mode = values.get("polarisationmode", "") if values.get("platformname") == "Sentinel-1" else ""
    return (
        f"Date: {stamp}, Instrument: {values.get('instrumentshortname', '')}, Mode: {mode}, "
        f"Satellite: {values.get('platformname', '')}, Size: {values.get('size') or ''}"
    )


def parse_search_entry(
    entry: dict[str, Any], download_link: Callable[[str], str], entity_link: Callable[[str], str]
) -> tuple[str, dict[str, Any]] | None:
    """One product of a search page as ``(id, result)``.

    Parameters
    ----------
    entry : dict
        A member of the page's ``value`` (with ``$expand=Attributes`` and ``Assets``).
    download_link, entity_link : callable
        The download URL and the catalogue URL of a product id (``link`` and
        ``link_alternative``).

    Returns
    -------
    tuple of (str, dict) or None
        ``None`` for an entry without ``Id``.
    """
    product_id = entry.get("Id")
    if not isinstance(product_id, str):
        return None
    name = _name(entry, product_id)
    title = title_of(name)
    attributes = attributes_of(entry)
    begin, end = _content_dates(entry)
    values: dict[str, Any] = {
        "title": title,
        "link": download_link(product_id),
        "link_alternative": entity_link(product_id),
    }
    icon = quicklook_link(entry)
    if icon is not None:
        values["link_icon"] = icon
    values.update(
        ingestiondate=parse_datetime(entry.get("PublicationDate")),
        beginposition=begin,
        endposition=end,
        filename=name,
        identifier=title,
    )
    values.update(_dhus_attributes(name, attributes))
    values["footprint"] = footprint_wkt(entry)
    values["size"] = format_size(entry.get("ContentLength"))
    values["uuid"] = product_id
    values["summary"] = _summary(values)
    for field in ENTRY_FIELDS:
        if field in entry:
            values[field] = _entry_field(field, entry[field])
    for key, value in attributes.items():
        values.setdefault(key, value)
    return product_id, values


def _name(entry: dict[str, Any], product_id: str) -> str:
    name = entry.get("Name")
    return name if isinstance(name, str) and name else product_id


def _entry_field(field: str, value: Any) -> Any:
    if field in ("OriginDate", "ModificationDate"):
        return parse_datetime(value)
    return value


def parse_product_info(
    entry: dict[str, Any], download_link: Callable[[str], str], full: bool = False
) -> dict[str, Any]:
    """A product (``Products(<id>)``) as ``get_product_odata()`` returns it.

    Parameters
    ----------
    entry : dict
        The decoded answer.
    download_link : callable
        The download URL of a product id (``url``).
    full : bool, optional
        Also every attribute (``$expand=Attributes``) and top-level field under its CDSE name,
        and every checksum under its algorithm's name.

    Returns
    -------
    dict
        sentinelsat 0.13's keys: ``id``, ``title``, ``size`` (bytes; ``None`` when CDSE says
        0, which it does for some products whose size it does not know), the checksum
        (``md5`` if CDSE lists an MD5, else ``blake3``, else none), ``date``, ``footprint``,
        ``url``, ``Online``, ``Creation Date`` (``OriginDate``) and ``Ingestion Date``
        (``PublicationDate``).

    Raises
    ------
    ValueError
        If the answer is not a product.
    """
    if not isinstance(entry, dict) or not isinstance(entry.get("Id"), str):
        raise ValueError("The answer does not describe a product")
    product_id = entry["Id"]
    name = _name(entry, product_id)
    size = entry.get("ContentLength")
    checksums = checksums_of(entry)
    values: dict[str, Any] = {"id": product_id, "title": title_of(name)}
    values["size"] = size if isinstance(size, int) and size > 0 else None
    for algorithm in ("md5", "blake3"):
        if algorithm in checksums:
            values[algorithm] = checksums[algorithm]
            break
    online = entry.get("Online", True)
    values.update(
        {
            "date": _content_dates(entry)[0],
            "footprint": footprint_wkt(entry),
            "url": download_link(product_id),
            "Online": online if isinstance(online, bool) else True,
            "Creation Date": parse_datetime(entry.get("OriginDate")),
            "Ingestion Date": parse_datetime(entry.get("PublicationDate")),
        }
    )
    if full:
        values.update(_full_fields(entry, checksums))
    return values


def _full_fields(entry: dict[str, Any], checksums: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field, value in entry.items():
        if field.startswith("@") or field in ("Attributes", "Assets", "Locations", "Checksum"):
            continue
        if field in ("OriginDate", "PublicationDate", "ModificationDate", "EvictionDate"):
            value = None if str(value).startswith(_NEVER) else parse_datetime(value)
        elif field == "ContentDate" and isinstance(value, dict):
            values["ContentDate/Start"], values["ContentDate/End"] = _content_dates(entry)
            continue
        values[field] = value
    values.update(checksums)
    values.update(attributes_of(entry))
    return values


__all__ = [
    "attributes_of",
    "checksums_of",
    "footprint_wkt",
    "format_size",
    "parse_product_info",
    "parse_search_entry",
    "quicklook_link",
    "title_of",
]
