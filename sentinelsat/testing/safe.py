"""The files of a synthetic product: a SAFE folder (``.SAFE`` for Sentinel-1 and -2, ``.SEN3``
with ``xfdumanifest.xml`` for Sentinel-3), as the real products are organised.

A folder holds small metadata files (rendered from the product's attributes), a small
measurement or auxiliary file, ``preview/quick-look.png``, one large measurement file whose
size is whatever the product's size leaves, and the manifest, which lists every other file
with its path, size and MD5 in the XFDU structure of the real manifests.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from xml.sax.saxutils import quoteattr

MD5_PLACEHOLDER = "0" * 32


@dataclass(frozen=True)
class SafeFile:
    """A file of a SAFE folder.

    Attributes
    ----------
    path : str
        The path below the folder (``measurement/s1a-iw-grd-vv-....tiff``).
    object_id : str
        The ``dataObject`` ID of the manifest.
    rep_id : str
        Its ``repID`` (the schema of the file).
    mime : str
        The ``mimeType`` of its ``byteStream``.
    unit : str
        The ``unitType`` of its content unit (``Metadata Unit``, ``Measurement Data Unit``).
    data : bytes or None
        The bytes of a small file; ``None`` for the large measurement file.
    """

    path: str
    object_id: str
    rep_id: str
    mime: str
    unit: str
    data: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SafeFolder:
    """The folder of a product: its name, manifest name and files (the large one last)."""

    root: str
    manifest_name: str
    files: tuple[SafeFile, ...]
    namespaces: str
    package_version: str
    href_prefix: str
    facts: dict[str, str]
    compact: bool = False

    @property
    def measurement(self) -> SafeFile:
        """The large measurement file."""
        return self.files[-1]


# --------------------------------------------------------------------------- small files
def quick_look_png(identifier: str, width: int = 16, height: int = 16) -> bytes:
    """A small grey PNG, its pattern drawn from the product name."""
    pattern = hashlib.md5(identifier.encode()).digest()
    rows = b"".join(
        b"\x00" + bytes((x * 13 + pattern[(x + y) % 16]) & 0xFF for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">L", len(payload))
            + kind
            + payload
            + struct.pack(">L", zlib.crc32(kind + payload))
        )

    header = struct.pack(">2L5B", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _xml(root: str, values: dict[str, str]) -> bytes:
    body = "".join(f"    <{key}>{value}</{key}>\n" for key, value in values.items())
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>\n{body}</{root}>\n'.encode()


def _coordinates(footprint: str) -> list[tuple[str, str]]:
    return re.findall(r"(-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?)", footprint)


def _kml(identifier: str, footprint: str) -> bytes:
    corners = " ".join(f"{lon},{lat}" for lon, lat in _coordinates(footprint)[:4])
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns:gx="http://www.google.com/kml/ext/2.2">\n'
        f"  <Document>\n    <name>{identifier} Map Overlay</name>\n    <GroundOverlay>\n"
        "      <Icon>\n        <href>quick-look.png</href>\n      </Icon>\n"
        f"      <gx:LatLonQuad>\n        <coordinates>{corners}</coordinates>\n"
        "      </gx:LatLonQuad>\n    </GroundOverlay>\n  </Document>\n</kml>\n"
    ).encode()


def _time(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return str(value)


def _facts(attributes: dict[str, Any]) -> dict[str, str]:
    return {
        "start": _time(attributes.get("beginposition", "")),
        "stop": _time(attributes.get("endposition", "")),
        "platform": str(attributes.get("platformname", "")),
        "orbit": str(attributes.get("orbitnumber", "")),
        "type": str(attributes.get("producttype", "")),
    }


# --------------------------------------------------------------------------- missions
_S1_NAMESPACES = (
    'xmlns:xfdu="urn:ccsds:schema:xfdu:1" xmlns:safe="http://www.esa.int/safe/sentinel-1.0" '
    'xmlns:s1="http://www.esa.int/safe/sentinel-1.0/sentinel-1"'
)
_S2_NAMESPACES = (
    'xmlns:xfdu="urn:ccsds:schema:xfdu:1" xmlns:safe="http://www.esa.int/safe/sentinel/1.1"'
)
_S3_NAMESPACES = (
    'xmlns:xfdu="urn:ccsds:schema:xfdu:1" xmlns:sentinel-safe="http://www.esa.int/safe/sentinel/1.1" '
    'xmlns:sentinel3="http://www.esa.int/safe/sentinel/sentinel-3/1.0"'
)


def _sentinel1(identifier: str, attributes: dict[str, Any]) -> SafeFolder:
    satellite, mode, kind = (
        identifier[:3].lower(),
        identifier[4:6].lower(),
        identifier[7:10].lower(),
    )
    polarisation = str(attributes.get("polarisationmode", "VV")).split()[0].lower()
    pieces = [piece for piece in identifier.lower().split("_") if piece]
    stem = f"{satellite}-{mode}-{kind}-{polarisation}-" + "-".join(pieces[-5:-1])
    facts = _facts(attributes)
    files = (
        SafeFile(f"annotation/{stem}-001.xml", "product", "s1Level1ProductSchema", "text/xml", "Metadata Unit",
                 _xml("product", {"missionId": satellite.upper(), "productType": facts["type"],
                                  "polarisation": polarisation.upper(), "mode": mode.upper(),
                                  "startTime": facts["start"], "stopTime": facts["stop"],
                                  "absoluteOrbitNumber": facts["orbit"]})),
        SafeFile(f"annotation/calibration/calibration-{stem}-001.xml", "calibration",
                 "s1Level1CalibrationSchema", "text/xml", "Metadata Unit",
                 _xml("calibration", {"polarisation": polarisation.upper(), "absoluteCalibrationConstant": "1.0"})),
        SafeFile("preview/map-overlay.kml", "mapoverlay", "s1Level1MapOverlaySchema", "application/vnd.google-earth.kml+xml",
                 "Metadata Unit", _kml(identifier, str(attributes.get("footprint", "")))),
        SafeFile("preview/quick-look.png", "quicklook", "s1Level1QuickLookSchema", "image/png",
                 "Measurement Data Unit", quick_look_png(identifier)),
        SafeFile(f"measurement/{stem}-001.tiff", "measurement", "s1Level1MeasurementSchema",
                 "application/octet-stream", "Measurement Data Unit"),
    )  # fmt: skip
    return SafeFolder(identifier + ".SAFE", "manifest.safe", files, _S1_NAMESPACES,
                      "esa/safe/sentinel-1.0/sentinel-1", "./", facts)  # fmt: skip


def _sentinel2(identifier: str, attributes: dict[str, Any]) -> SafeFolder:
    level = "L2A" if "MSIL2A" in identifier else "L1C"
    parts = identifier.split("_")
    tile, sensed = str(attributes.get("tileid", parts[5][1:])), parts[2]
    granule = f"GRANULE/{level}_T{tile}_A{int(attributes.get('orbitnumber', 0)):06d}_{sensed}"
    images = f"{granule}/IMG_DATA" + ("/R10m" if level == "L2A" else "")
    suffix = "_10m" if level == "L2A" else ""
    facts = _facts(attributes)
    files = (
        SafeFile(f"MTD_MSI{level}.xml", "S2_Level-1C_Product_Metadata" if level == "L1C" else "S2_Level-2A_Product_Metadata",
                 "psd", "text/xml", "Metadata Unit",
                 _xml(f"n1:Level-{level[1:]}_User_Product", {"PRODUCT_URI": identifier + ".SAFE",
                      "PRODUCT_START_TIME": facts["start"], "PRODUCT_TYPE": facts["type"],
                      "PROCESSING_BASELINE": str(attributes.get("processingbaseline", ""))})),
        SafeFile(f"{granule}/MTD_TL.xml", "S2_Level-1C_Tile1_Metadata", "tile", "text/xml", "Metadata Unit",
                 _xml(f"n1:Level-{level[1:]}_Tile_ID", {"TILE_ID": f"T{tile}", "SENSING_TIME": facts["start"]})),
        SafeFile(f"{images}/T{tile}_{sensed}_B02{suffix}.jp2", "IMG_DATA_Band_B02", "jp2",
                 "application/octet-stream", "Measurement Data Unit", b"\x00\x00\x00\x0cjP  \r\n\x87\n" * 8),
        SafeFile("preview/quick-look.png", "quicklook", "png", "image/png", "Measurement Data Unit",
                 quick_look_png(identifier)),
        SafeFile(f"{images}/T{tile}_{sensed}_TCI{suffix}.jp2", "IMG_DATA_Band_TCI", "jp2",
                 "application/octet-stream", "Measurement Data Unit"),
    )  # fmt: skip
    return SafeFolder(identifier + ".SAFE", "manifest.safe", files, _S2_NAMESPACES,
                      "esa/safe/sentinel/1.1/sentinel-2/msi", "./", facts)  # fmt: skip


_S3_MEASUREMENTS = {"OL": "Oa08_radiance.nc", "SR": "measurement.nc", "SL": "S3_radiance_an.nc"}


def _sentinel3(identifier: str, attributes: dict[str, Any]) -> SafeFolder:
    instrument = identifier[4:6]
    facts = _facts(attributes)
    files = (
        SafeFile("time_coordinates.nc", "timeCoordinatesData", "timeCoordinatesSchema", "application/x-netcdf",
                 "Measurement Data Unit", b"CDF\x01" + identifier.encode() + b"\x00" * 60),
        SafeFile("geo_coordinates.nc", "geoCoordinatesData", "geoCoordinatesSchema", "application/x-netcdf",
                 "Measurement Data Unit", b"CDF\x01" + facts["start"].encode() + b"\x00" * 100),
        SafeFile("preview/quick-look.png", "quicklookData", "quicklookSchema", "image/png",
                 "Measurement Data Unit", quick_look_png(identifier)),
        SafeFile(_S3_MEASUREMENTS.get(instrument, "measurement.nc"), "measurementData", "measurementSchema",
                 "application/x-netcdf", "Measurement Data Unit"),
    )  # fmt: skip
    return SafeFolder(identifier + ".SEN3", "xfdumanifest.xml", files, _S3_NAMESPACES,
                      "esa/safe/sentinel/sentinel-3/1.0", "", facts)  # fmt: skip


_MISSIONS = {"Sentinel-1": _sentinel1, "Sentinel-2": _sentinel2, "Sentinel-3": _sentinel3}


def has_safe_folder(platformname: str) -> bool:
    """Whether products of this mission are zipped SAFE folders (Sentinel-5P: one netCDF file)."""
    return platformname in _MISSIONS


def safe_folder(identifier: str, platformname: str, attributes: dict[str, Any]) -> SafeFolder:
    """The files of a product (the large measurement file last, without its bytes)."""
    return _MISSIONS[platformname](identifier, attributes)


def minimal_folder(folder: SafeFolder) -> SafeFolder:
    """The same folder with the measurement file only (for products too small for more)."""
    return SafeFolder(folder.root, folder.manifest_name, (folder.measurement,), folder.namespaces,
                      folder.package_version, folder.href_prefix, folder.facts, compact=True)  # fmt: skip


# --------------------------------------------------------------------------- the manifest
def render_manifest(
    folder: SafeFolder, sizes: dict[str, int], md5s: dict[str, str], padding: int = 0
) -> bytes:
    """The manifest of a folder (``manifest.safe`` or ``xfdumanifest.xml``).

    Parameters
    ----------
    folder : SafeFolder
        The folder.
    sizes, md5s : dict
        Size and MD5 (hex) of every file, by path; render with :data:`MD5_PLACEHOLDER` to
        learn the manifest's length before the MD5s are known (it does not change).
    padding : int
        Spaces added before the end, so that the manifest has an exact length.
    """
    safe = "sentinel-safe" if folder.href_prefix == "" else "safe"
    units = "".join(
        f'      <xfdu:contentUnit unitType="{file.unit}" repID="{file.rep_id}">\n'
        f'        <dataObjectPointer dataObjectID="{file.object_id}"/>\n'
        "      </xfdu:contentUnit>\n"
        for file in folder.files
    )
    objects = "".join(
        f'    <dataObject ID="{file.object_id}" repID="{file.rep_id}">\n'
        f'      <byteStream mimeType="{file.mime}" size="{sizes[file.path]}">\n'
        f'        <fileLocation locatorType="URL" href={quoteattr(folder.href_prefix + file.path)}/>\n'
        f'        <checksum checksumName="MD5">{md5s[file.path]}</checksum>\n'
        "      </byteStream>\n"
        "    </dataObject>\n"
        for file in folder.files
    )
    facts = folder.facts
    metadata = (
        ""
        if folder.compact
        else (
            "  <metadataSection>\n"
            '    <metadataObject ID="acquisitionPeriod" classification="DESCRIPTION" category="DMD">\n'
            '      <metadataWrap mimeType="text/xml" vocabularyName="SAFE" textInfo="Acquisition Period">\n'
            f"        <xmlData>\n          <{safe}:acquisitionPeriod>\n"
            f"            <{safe}:startTime>{facts['start']}</{safe}:startTime>\n"
            f"            <{safe}:stopTime>{facts['stop']}</{safe}:stopTime>\n"
            f"          </{safe}:acquisitionPeriod>\n        </xmlData>\n"
            "      </metadataWrap>\n    </metadataObject>\n"
            '    <metadataObject ID="platform" classification="DESCRIPTION" category="DMD">\n'
            '      <metadataWrap mimeType="text/xml" vocabularyName="SAFE" textInfo="Platform Description">\n'
            f"        <xmlData>\n          <{safe}:platform>\n"
            f"            <{safe}:familyName>{facts['platform']}</{safe}:familyName>\n"
            f"          </{safe}:platform>\n        </xmlData>\n"
            "      </metadataWrap>\n    </metadataObject>\n"
            "  </metadataSection>\n"
        )
    )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<xfdu:XFDU {folder.namespaces} version="{folder.package_version}">\n'
        "  <informationPackageMap>\n"
        f'    <xfdu:contentUnit unitType="SAFE Archive Information Package" textInfo="{folder.root}" '
        'dmdID="acquisitionPeriod platform">\n'
        f"{units}"
        "    </xfdu:contentUnit>\n"
        "  </informationPackageMap>\n"
        f"{metadata}"
        "  <dataObjectSection>\n"
        f"{objects}"
        "  </dataObjectSection>\n"
        f"{' ' * padding}</xfdu:XFDU>\n"
    )
    return text.encode("utf-8")
