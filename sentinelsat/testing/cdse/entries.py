"""The CDSE view of the hub's products: names, dates, attributes, and their JSON.

Each :class:`~sentinelsat.testing.catalogue.Product` of the DHuS catalogue becomes one
:class:`Entry`, by a fixed mapping (the same product always gives the same entry):

==========================  ===============================================================
CDSE                        from the DHuS product
==========================  ===============================================================
``Id``                      ``id``
``Name``                    ``filename`` (``<identifier>.SAFE``, ``.SEN3``, ``.nc``)
``ContentLength``           ``size``
``OriginDate``              ``creationdate`` (the OData ``CreationDate``)
``PublicationDate``         ``ingestiondate``
``ModificationDate``        ``ingestiondate`` + 1 to 600 s (drawn from the id)
``Online``                  ``online`` (live: :meth:`~.LocalCDSE.set_online` changes it)
``ContentDate``             ``beginposition``, ``endposition``
``Footprint``               ``footprint`` as ``geography'SRID=4326;<WKT>'``
``Collection/Name``         ``platformname``: ``SENTINEL-1``, ``-2``, ``-3``, ``-5P``
``Checksum``                MD5 and BLAKE3 of the content (the bytes that are downloaded)
==========================  ===============================================================

The attributes (:func:`attributes_of`) follow CDSE's names and value types; see
``docs/cdse_hub.rst`` for the table.  Datetimes are written with 6 fractional digits and
``Z``.  An entry's JSON is rendered once per product in pieces and then reused, so that a
page of 1000 products is a concatenation of cached byte strings.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from ..catalogue import Product
from ..content import Content

_UTC = timezone.utc
EVICTION_NEVER = "9999-12-31T23:59:59.999999Z"
ASSET_NAMESPACE = uuid.UUID("6f1d5a52-4c62-4a0e-9a39-3c1f1b7e0c55")
COLLECTIONS = {
    "Sentinel-1": "SENTINEL-1",
    "Sentinel-2": "SENTINEL-2",
    "Sentinel-3": "SENTINEL-3",
    "Sentinel-5 Precursor": "SENTINEL-5P",
}
#: The attributes of each collection and their value types (``Attributes(<collection>)``).
COLLECTION_ATTRIBUTES: dict[str, dict[str, str]] = {
    "SENTINEL-1": {
        "beginningDateTime": "DateTimeOffset", "datatakeID": "Integer",
        "endingDateTime": "DateTimeOffset", "instrumentShortName": "String",
        "operationalMode": "String", "orbitDirection": "String", "orbitNumber": "Integer",
        "platformSerialIdentifier": "String", "platformShortName": "String",
        "polarisationChannels": "String", "processingLevel": "String", "productClass": "String",
        "productType": "String", "relativeOrbitNumber": "Integer", "sliceNumber": "Integer",
        "sliceProductFlag": "Boolean", "swathIdentifier": "String", "timeliness": "String",
    },
    "SENTINEL-2": {
        "beginningDateTime": "DateTimeOffset", "cloudCover": "Double",
        "endingDateTime": "DateTimeOffset", "instrumentShortName": "String",
        "operationalMode": "String", "orbitDirection": "String", "orbitNumber": "Integer",
        "platformSerialIdentifier": "String", "platformShortName": "String",
        "processingDate": "DateTimeOffset", "processingLevel": "String",
        "processorVersion": "String", "productType": "String", "relativeOrbitNumber": "Integer",
        "tileId": "String",
    },
    "SENTINEL-3": {
        "beginningDateTime": "DateTimeOffset", "cloudCover": "Double",
        "endingDateTime": "DateTimeOffset", "instrumentShortName": "String",
        "operationalMode": "String", "orbitDirection": "String", "orbitNumber": "Integer",
        "platformSerialIdentifier": "String", "platformShortName": "String",
        "processingDate": "DateTimeOffset", "processingLevel": "String", "productType": "String",
        "relativeOrbitNumber": "Integer", "timeliness": "String",
    },
    "SENTINEL-5P": {
        "beginningDateTime": "DateTimeOffset", "endingDateTime": "DateTimeOffset",
        "instrumentShortName": "String", "orbitNumber": "Integer", "platformShortName": "String",
        "processingLevel": "String", "processingMode": "String", "processorVersion": "String",
        "productType": "String",
    },
}  # fmt: skip
#: ``{attribute name: value type}`` over every collection.
ATTRIBUTE_TYPES: dict[str, str] = {
    name: kind for table in COLLECTION_ATTRIBUTES.values() for name, kind in table.items()
}
_S3_INSTRUMENT_DIRECTORIES = {"OL": "OLCI", "SR": "SRAL", "SL": "SLSTR"}


def format_datetime(value: datetime) -> str:
    """Format a datetime as CDSE does: UTC, 6 fractional digits and ``Z``."""
    return value.astimezone(_UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _compact_date(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=_UTC)


# --------------------------------------------------------------------------- attributes
def _sentinel1(product: Product) -> dict[str, Any]:
    dhus = product.attributes
    product_type = product.identifier[4:14]
    values: dict[str, Any] = {
        "platformSerialIdentifier": product.identifier[2],
        "instrumentShortName": "SAR",
        "productType": product_type,
        "processingLevel": f"LEVEL{product_type[8]}",
        "operationalMode": dhus.get("sensoroperationalmode"),
        "swathIdentifier": dhus.get("swathidentifier"),
        "polarisationChannels": str(dhus.get("polarisationmode", "")).replace(" ", "&") or None,
        "orbitDirection": str(dhus.get("orbitdirection", "")).upper() or None,
        "orbitNumber": dhus.get("orbitnumber"),
        "relativeOrbitNumber": dhus.get("relativeorbitnumber"),
        "datatakeID": dhus.get("missiondatatakeid"),
        "sliceNumber": dhus.get("slicenumber"),
        "sliceProductFlag": "slicenumber" in dhus,
        "timeliness": dhus.get("timeliness"),
        "productClass": dhus.get("productclass"),
    }
    return values


def _sentinel2(product: Product) -> dict[str, Any]:
    dhus = product.attributes
    return {
        "platformSerialIdentifier": product.identifier[2],
        "instrumentShortName": "MSI",
        "productType": product.producttype,
        "processingLevel": product.producttype,
        "operationalMode": dhus.get("sensoroperationalmode"),
        "orbitDirection": str(dhus.get("orbitdirection", "")).upper() or None,
        "orbitNumber": dhus.get("orbitnumber"),
        "relativeOrbitNumber": dhus.get("relativeorbitnumber"),
        "tileId": dhus.get("tileid"),
        "cloudCover": dhus.get("cloudcoverpercentage"),
        "processorVersion": dhus.get("processingbaseline"),
        "processingDate": _compact_date(product.identifier.rsplit("_", 1)[1]),
    }


def _sentinel3(product: Product) -> dict[str, Any]:
    dhus = product.attributes
    return {
        "platformSerialIdentifier": product.identifier[2],
        "instrumentShortName": dhus.get("instrumentshortname"),
        "productType": product.producttype,
        "processingLevel": dhus.get("processinglevel"),
        "operationalMode": dhus.get("mode"),
        "orbitDirection": str(dhus.get("orbitdirection", "")).upper() or None,
        "orbitNumber": dhus.get("orbitnumber"),
        "relativeOrbitNumber": dhus.get("relativeorbitnumber"),
        "timeliness": product.identifier.split("_O_", 1)[1][:2]
        if "_O_" in product.identifier
        else None,
        "cloudCover": dhus.get("cloudcoverpercentage"),
        "processingDate": dhus.get("creationdate"),
    }


def _sentinel5p(product: Product) -> dict[str, Any]:
    dhus = product.attributes
    return {
        "instrumentShortName": "TROPOMI",
        "productType": product.producttype,
        "processingLevel": dhus.get("processinglevel"),
        "processingMode": product.identifier[4:8],
        "processorVersion": dhus.get("processorversion"),
        "orbitNumber": dhus.get("orbitnumber"),
    }


_MISSION_ATTRIBUTES = {
    "SENTINEL-1": _sentinel1,
    "SENTINEL-2": _sentinel2,
    "SENTINEL-3": _sentinel3,
    "SENTINEL-5P": _sentinel5p,
}


def collection_of(product: Product) -> str:
    """The CDSE collection of a product (``SENTINEL-1``...)."""
    return COLLECTIONS[product.platformname]


def attributes_of(product: Product) -> dict[str, tuple[str, Any]]:
    """The CDSE attributes of a product, ``{name: (value type, value)}``, sorted by name.

    Attributes the product has no value for are left out.
    """
    collection = collection_of(product)
    values = _MISSION_ATTRIBUTES[collection](product)
    values.update(
        platformShortName=collection,
        beginningDateTime=product.beginposition,
        endingDateTime=product.endposition,
    )
    types = COLLECTION_ATTRIBUTES[collection]
    return {
        name: (types[name], values[name]) for name in sorted(values) if values[name] is not None
    }


def short_product_type(product: Product) -> tuple[str, ...]:
    """The DHuS product type a Sentinel-1 ``productType`` filter also matches (``GRD``...)."""
    if collection_of(product) == "SENTINEL-1":
        return (product.producttype,)
    return ()


def s3_path(product: Product) -> str:
    """The ``/eodata/...`` path of a product, as CDSE lays its bucket out."""
    collection = collection_of(product)
    day = product.beginposition.astimezone(_UTC).strftime("%Y/%m/%d")
    name = product.filename
    if collection == "SENTINEL-1":
        return f"/eodata/Sentinel-1/SAR/{product.identifier[4:14]}/{day}/{name}"
    if collection == "SENTINEL-2":
        return f"/eodata/Sentinel-2/MSI/L{product.producttype[-2:]}/{day}/{name}"
    if collection == "SENTINEL-3":
        instrument = _S3_INSTRUMENT_DIRECTORIES.get(product.producttype[:2], "OLCI")
        return f"/eodata/Sentinel-3/{instrument}/{product.producttype}/{day}/{name}"
    return f"/eodata/Sentinel-5P/TROPOMI/{product.producttype}/{day}/{name}"


# --------------------------------------------------------------------------- checksums
def blake3_hexdigest(content: Content) -> str:
    """The BLAKE3 hex digest of a content, computed once per process (like its MD5)."""
    return content.digest("blake3")


# --------------------------------------------------------------------------- entries
def _dumps(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _attribute_json(name: str, value_type: str, value: Any) -> dict[str, Any]:
    if isinstance(value, datetime):
        value = format_datetime(value)
    return {"@odata.type": f"#OData.CSC.{value_type}Attribute", "Name": name, "Value": value,
            "ValueType": value_type}  # fmt: skip


def _modification_date(product: Product) -> datetime:
    digest = hashlib.blake2b(f"sentinelsat-cdse-modified:{product.id}".encode(), digest_size=8)
    micros = 1_000_000 + int.from_bytes(digest.digest(), "little") % 599_000_000
    return product.ingestiondate + timedelta(microseconds=micros)


@dataclass(eq=False)
class Entry:
    """A product as the CDSE catalogue describes it (also a :class:`~.filters.Record`)."""

    product: Product
    id: str
    name: str
    collection: str
    content_start: datetime
    content_end: datetime
    origin_date: datetime
    publication_date: datetime
    modification_date: datetime
    attribute_values: dict[str, tuple[str, Any]]
    attribute_aliases: dict[str, tuple[str, ...]]
    asset_id: str | None
    s3_path: str
    _pieces: dict[str, bytes] = field(default_factory=dict, repr=False)
    _parts: tuple[bytes, bytes, bytes] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def online(self) -> bool:
        """Whether the product can be downloaded (the hub product's live flag)."""
        return self.product.online

    @property
    def geometry(self) -> BaseGeometry | None:
        """The footprint (``None`` for a product without one)."""
        return self.product.geometry if self.product.footprint else None

    @property
    def stem(self) -> str:
        """The name without its extension (``.SAFE``, ``.SEN3``, ``.nc``)."""
        return self.name.rsplit(".", 1)[0] if "." in self.name else self.name

    # ---- JSON pieces
    def checksums(self, which: str) -> list[dict[str, str]]:
        """The ``Checksum`` list: ``md5+blake3``, ``blake3`` or ``none`` (an empty list)."""
        if which == "none":
            return []
        date = format_datetime(self.modification_date)
        blake = {"Value": blake3_hexdigest(self.product.content), "Algorithm": "BLAKE3",
                 "ChecksumDate": date}  # fmt: skip
        if which == "blake3":
            return [blake]
        md5 = {"Value": self.product.md5.lower(), "Algorithm": "MD5", "ChecksumDate": date}
        return [md5, blake]

    def fields(self, checksums: str) -> dict[str, Any]:
        """Every field of the entry (without expansions), in CDSE's order."""
        geometry = self.geometry
        footprint = (
            None
            if geometry is None
            else f"geography'SRID=4326;{shapely.to_wkt(geometry, trim=True)}'"
        )
        return {
            "@odata.mediaContentType": "application/octet-stream",
            "Id": self.id,
            "Name": self.name,
            "ContentType": "application/octet-stream",
            "ContentLength": self.product.size,
            "OriginDate": format_datetime(self.origin_date),
            "PublicationDate": format_datetime(self.publication_date),
            "ModificationDate": format_datetime(self.modification_date),
            "Online": self.online,
            "EvictionDate": EVICTION_NEVER,
            "S3Path": self.s3_path,
            "Checksum": self.checksums(checksums),
            "ContentDate": {"Start": format_datetime(self.content_start),
                            "End": format_datetime(self.content_end)},
            "Footprint": footprint,
            "GeoFootprint": None if geometry is None else json.loads(json.dumps(mapping(geometry))),
        }  # fmt: skip

    def attributes_json(self) -> list[dict[str, Any]]:
        return [
            _attribute_json(name, value_type, value)
            for name, (value_type, value) in self.attribute_values.items()
        ]

    def assets_json(self, catalogue_url: str) -> list[dict[str, Any]]:
        if self.asset_id is None:
            return []
        return [{"Type": "QUICKLOOK", "Id": self.asset_id,
                 "DownloadLink": f"{catalogue_url}Assets({self.asset_id})/$value",
                 "S3Path": self.s3_path}]  # fmt: skip

    def locations_json(self, catalogue_url: str, checksums: str) -> list[dict[str, Any]]:
        return [{"FormatType": "Extracted",
                 "DownloadLink": f"{catalogue_url}Products({self.id})/$value",
                 "ContentLength": self.product.size, "Checksum": self.checksums(checksums),
                 "S3Path": self.s3_path}]  # fmt: skip

    def piece(self, key: str, render: Any) -> bytes:
        """A rendered piece of JSON, rendered on first use and then kept."""
        cached = self._pieces.get(key)
        if cached is None:
            with self._lock:
                cached = self._pieces.get(key)
                if cached is None:
                    cached = self._pieces[key] = render()
        return cached

    def _base_parts(self) -> tuple[bytes, bytes, bytes]:
        """The fields before ``Online``, between it and ``Checksum``, and after ``Checksum``
        (the two live or chosen fields are spliced in at every render)."""
        parts = self._parts
        if parts is None:
            document = self.fields("none")
            del document["Online"], document["Checksum"]
            base = _dumps(document)[1:-1]
            head, tail = base.split(b',"EvictionDate":', 1)
            middle, rest = tail.split(b',"ContentDate":', 1)
            parts = self._parts = (head, b',"EvictionDate":' + middle, b',"ContentDate":' + rest)
        return parts

    def render(self, catalogue_url: str, checksums: str, expand: Iterable[str]) -> bytes:
        """The entry's JSON object with the given expansions, from cached pieces."""
        head, middle, rest = self._base_parts()
        checksum = self.piece(f"checksum:{checksums}", lambda: _dumps(self.checksums(checksums)))
        online = b',"Online":true' if self.online else b',"Online":false'
        parts = [b"{", head, online, middle, b',"Checksum":', checksum, rest]
        for name in expand:
            parts += [b',"', name.encode(), b'":', self._expansion(name, catalogue_url, checksums)]
        parts.append(b"}")
        return b"".join(parts)

    def _expansion(self, name: str, catalogue_url: str, checksums: str) -> bytes:
        if name == "Attributes":
            return self.piece("Attributes", lambda: _dumps(self.attributes_json()))
        if name == "Assets":
            return self.piece("Assets", lambda: _dumps(self.assets_json(catalogue_url)))
        return self.piece(
            f"Locations:{checksums}", lambda: _dumps(self.locations_json(catalogue_url, checksums))
        )


def make_entry(product: Product) -> Entry:
    """Map a hub product to its CDSE entry (see the module's table)."""
    collection = collection_of(product)
    aliases = {"productType": short_product_type(product)} if collection == "SENTINEL-1" else {}
    has_quicklook = collection != "SENTINEL-5P"
    return Entry(
        product=product,
        id=product.id,
        name=product.filename,
        collection=collection,
        content_start=product.beginposition,
        content_end=product.endposition,
        origin_date=product.creationdate,
        publication_date=product.ingestiondate,
        modification_date=_modification_date(product),
        attribute_values=attributes_of(product),
        attribute_aliases=aliases,
        asset_id=str(uuid.uuid5(ASSET_NAMESPACE, product.id)) if has_quicklook else None,
        s3_path=s3_path(product),
    )
