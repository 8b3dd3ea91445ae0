"""The hub's catalogue: deterministic synthetic products and the recorded real products."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .content import Content, PackagedContent, SafeZipContent, SyntheticContent, read_data_bytes
from .extras import require_shapely
from .formatting import format_gml, format_size, format_wkt
from .missions import MISSIONS, Draft
from .safe import has_safe_folder

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

_UTC = timezone.utc

#: Footprint centres (lon, lat) that a share of the products is drawn around, so that small
#: catalogues still answer searches over well-known areas.  The first one is the centre of
#: the test area POLYGON((-66.2695 -8.0592,-66.2695 0.7031,-57.3047 0.7031,-57.3047 -8.0592,...)).
REGIONS: tuple[tuple[float, float], ...] = (
    (-61.79, -3.68),  # Amazon: the area of the project's tests and README
    (5.0, 51.0),  # Benelux
    (12.5, 41.9),  # Rome
    (-100.0, 40.0),  # Great Plains
    (135.0, -25.0),  # Australia
)


@dataclass(eq=False)
class Product:
    """A product of the catalogue.

    Attributes
    ----------
    id : str
        The product UUID (the OData key).
    identifier : str
        The product name (``title`` in OpenSearch, ``Name`` in OData).
    filename : str
        The product's file name as reported by the server (``...SAFE``, ``...SEN3``, ``...nc``).
    download_name : str
        The file name the server sends in ``Content-Disposition`` (``<identifier>.zip``).
    platformname, producttype : str
        Mission and product type (``Sentinel-2``, ``S2MSI1C``).
    size : int
        Content length in bytes.
    online : bool
        Whether the product can be downloaded now (``False``: in the long term archive).
    beginposition, endposition, ingestiondate : datetime
        Sensing start and stop, ingestion date (aware, UTC, millisecond precision).
    creationdate : datetime
        The OData ``CreationDate``.
    footprint : str
        The footprint as WKT (``lon lat`` order).
    attributes : dict
        Every OpenSearch attribute, typed: ``str``, ``int``, ``float`` or ``datetime``.
    recorded : bool
        ``True`` for the real products of the recordings.
    """

    id: str
    identifier: str
    filename: str
    download_name: str
    platformname: str
    producttype: str
    size: int
    online: bool
    beginposition: datetime
    endposition: datetime
    ingestiondate: datetime
    creationdate: datetime
    footprint: str
    attributes: dict[str, Any]
    content: Content = field(repr=False)
    recorded: bool = False
    summary: str = ""
    odata_checksum: str | None = field(default=None, repr=False)
    odata_geometry: str | None = field(default=None, repr=False)

    @property
    def title(self) -> str:
        """The product name, as in the OpenSearch ``title``."""
        return self.identifier

    @property
    def md5(self) -> str:
        """The MD5 hex digest (lower case) of the content; computed on first use, then cached."""
        return self.content.md5()

    @property
    def reported_md5(self) -> str:
        """The checksum the server reports (OData ``Checksum``, ``ETag``): the recorded one
        (upper case, as the 2018 server wrote it) for recorded products, else :attr:`md5`."""
        return self.odata_checksum or self.md5

    @cached_property
    def geometry(self) -> BaseGeometry:
        """The footprint as a (valid) shapely geometry; needs shapely (the ``hub`` extra).

        Raises
        ------
        MissingDependencyError
            If shapely is not installed.
        """
        shapely = require_shapely("Product.geometry")
        shape = shapely.wkt.loads(self.footprint)
        return shape if shape.is_valid else shape.buffer(0)

    @property
    def gml_footprint(self) -> str:
        """The footprint as the GML polygon of the OData ``ContentGeometry``."""
        return (
            self.odata_geometry or self.attributes.get("gmlfootprint") or format_gml(self.geometry)
        )

    def __getitem__(self, name: str) -> Any:
        return self.attributes[name]


@dataclass(frozen=True)
class CatalogueSpec:
    """The knobs that shape a synthetic catalogue."""

    count: int
    seed: int
    product_size: int | tuple[int, int]
    date_span: tuple[datetime, datetime]
    offline_share: float


def default_date_span(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Return the default sensing span: the 30 days up to the current hour (UTC)."""
    now = now or datetime.now(_UTC)
    end = now.replace(minute=0, second=0, microsecond=0)
    return end - timedelta(days=30), end


def _ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _draw_size(rng: random.Random, product_size: int | tuple[int, int]) -> int:
    if isinstance(product_size, int):
        return product_size
    low, high = product_size
    return rng.randint(low, high)


def _draw_place(rng: random.Random, index: int) -> tuple[float, float]:
    if _is_recent_sentinel2(index):
        centre = REGIONS[0]
        return centre[0] + rng.uniform(-3, 3), centre[1] + rng.uniform(-3, 3)
    if rng.random() < 0.3:
        centre = REGIONS[0] if rng.random() < 0.5 else rng.choice(REGIONS[1:])
        return centre[0] + rng.uniform(-4, 4), centre[1] + rng.uniform(-4, 4)
    return rng.uniform(-175, 175), rng.uniform(-70, 75)


def _is_recent_sentinel2(index: int) -> bool:
    # every 20th product is a Sentinel-2 product sensed in the last day of the span over the
    # test area, every other one of them with little cloud: the README demo finds something
    return index % 20 == 7


def _draw_begin(rng: random.Random, index: int, span: tuple[datetime, datetime]) -> datetime:
    start, end = span
    if _is_recent_sentinel2(index) and end - start > timedelta(hours=24):
        return _ms(end - timedelta(hours=rng.uniform(2, 20)))
    usable = max((end - start) - timedelta(hours=2), timedelta(0))
    return _ms(start + usable * rng.random())


def _draft(rng: random.Random, index: int, span: tuple[datetime, datetime]) -> Draft:
    if _is_recent_sentinel2(index):
        mission = "Sentinel-2"
    else:
        names = list(MISSIONS)
        mission = rng.choices(names, weights=[MISSIONS[name][0] for name in names])[0]
    begin = _draw_begin(rng, index, span)
    lon, lat = _draw_place(rng, index)
    draft = MISSIONS[mission][1](rng, begin, lon, lat)
    if index % 40 == 7:
        draft.double_attributes["cloudcoverpercentage"] = round(rng.uniform(0, 25), 6)
    return draft


def _attributes(draft: Draft, product_id: str, size: int, ingestion: datetime) -> dict[str, Any]:
    wkt = format_wkt(draft.footprint)
    attributes: dict[str, Any] = {
        "filename": draft.identifier + draft.extension,
        "gmlfootprint": format_gml(draft.footprint),
        "format": "netCDF" if draft.extension == ".nc" else "SAFE",
        "identifier": draft.identifier,
        **draft.str_attributes,
        "footprint": wkt,
        "size": format_size(size),
        "uuid": product_id,
        **draft.int_attributes,
        **draft.double_attributes,
        **draft.extra_dates,
        "ingestiondate": ingestion,
        "beginposition": draft.beginposition,
        "endposition": draft.endposition,
    }
    return attributes


def _ingestion(rng: random.Random, draft: Draft, span_end: datetime) -> datetime:
    after = draft.extra_dates.get("creationdate", draft.endposition)
    ingestion = after + timedelta(minutes=rng.uniform(20, 300))
    return _ms(max(draft.endposition, min(ingestion, span_end)))


def make_product(spec: CatalogueSpec, index: int) -> Product:
    """Generate product number ``index`` of a catalogue (independent of the catalogue size)."""
    rng = random.Random(f"sentinelsat-hub:{spec.seed}:{index}")
    product_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    draft = _draft(rng, index, spec.date_span)
    ingestion = _ingestion(rng, draft, spec.date_span[1])
    size = _draw_size(random.Random(f"sentinelsat-hub:{spec.seed}:{index}:size"), spec.product_size)
    offline = (
        random.Random(f"sentinelsat-hub:{spec.seed}:{index}:online").random() < spec.offline_share
    )
    attributes = _attributes(draft, product_id, size, ingestion)
    return Product(
        id=product_id,
        identifier=draft.identifier,
        filename=attributes["filename"],
        download_name=draft.identifier + draft.download_extension,
        platformname=draft.platformname,
        producttype=draft.producttype,
        size=size,
        online=not offline,
        beginposition=draft.beginposition,
        endposition=draft.endposition,
        ingestiondate=ingestion,
        creationdate=ingestion,
        footprint=attributes["footprint"],
        attributes=attributes,
        content=_content(spec.seed, product_id, size, draft, attributes, ingestion),
        summary=_summary(draft, attributes["size"]),
    )


def _content(
    seed: int,
    product_id: str,
    size: int,
    draft: Draft,
    attributes: dict[str, Any],
    modified: datetime,
) -> Content:
    """A zip of the SAFE folder for Sentinel-1, -2 and -3, generated bytes (a netCDF file) for 5P."""
    if has_safe_folder(draft.platformname):
        return SafeZipContent(
            seed, product_id, size, draft.identifier, draft.platformname, attributes, modified
        )
    return SyntheticContent(seed, product_id, size)


def _summary(draft: Draft, size: str) -> str:
    from .formatting import format_solr_date

    return (
        f"Date: {format_solr_date(draft.beginposition)}, Instrument: {draft.instrument}, "
        f"Mode: {draft.summary_mode}, Satellite: {draft.platformname}, Size: {size}"
    )


def build_catalogue(spec: CatalogueSpec) -> list[Product]:
    """Generate the synthetic products of a catalogue, in index order."""
    return [make_product(spec, index) for index in range(spec.count)]


# --------------------------------------------------------------------------- recorded products
def _parse_typed(kind: str, text: str) -> Any:
    if kind == "date":
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    if kind == "int":
        return int(text)
    if kind == "double":
        return float(text)
    return text


def _odata_date(text: str) -> datetime:
    millis = int(text.strip("/").removeprefix("Date(").rstrip(")"))
    return datetime.fromtimestamp(millis / 1000, _UTC)


def _recorded_product(record: dict[str, Any]) -> Product:
    attributes = {name: _parse_typed(kind, text) for name, kind, text in record["attributes"]}
    odata = record["odata"]
    content = PackagedContent(record["file"])
    return Product(
        id=record["id"],
        identifier=record["title"],
        filename=attributes["filename"],
        download_name=record["file"],
        platformname=attributes["platformname"],
        producttype=attributes["producttype"],
        size=content.size,
        online=True,
        beginposition=attributes["beginposition"],
        endposition=attributes["endposition"],
        ingestiondate=attributes["ingestiondate"],
        creationdate=_odata_date(odata["CreationDate"]),
        footprint=attributes["footprint"],
        attributes=attributes,
        content=content,
        recorded=True,
        summary=record["summary"],
        odata_checksum=odata["Checksum"]["Value"],
        odata_geometry=odata["ContentGeometry"],
    )


def load_recorded_products() -> list[Product]:
    """Load the three real Sentinel-1 OCN products recorded from the Copernicus hub in 2018."""
    records = json.loads(read_data_bytes("recorded_products.json"))["products"]
    return [_recorded_product(record) for record in records]


def validate_spec(spec: CatalogueSpec) -> None:
    """Raise ``ValueError`` for knobs that cannot make a catalogue."""
    if spec.count < 0:
        raise ValueError("products must be >= 0")
    sizes: Sequence[int] = (
        (spec.product_size,) if isinstance(spec.product_size, int) else spec.product_size
    )
    if len(sizes) not in (1, 2) or min(sizes) < 0 or sizes[0] > sizes[-1]:
        raise ValueError(f"invalid product_size {spec.product_size!r}")
    if spec.date_span[0].tzinfo is None or spec.date_span[1].tzinfo is None:
        raise ValueError("date_span must hold timezone-aware datetimes")
    if spec.date_span[0] >= spec.date_span[1]:
        raise ValueError("date_span must run forward")
    if not 0.0 <= spec.offline_share <= 1.0:
        raise ValueError("offline_share must be between 0 and 1")
