"""CDSE catalogue entries read as sentinelsat 0.13 results (pure functions). The entries have
the shapes of the real service's answers (field order, six-digit UTC timestamps, the
``geography'SRID=4326;...'`` footprint, the Checksum list, typed attributes)."""

from __future__ import annotations

import copy
from datetime import datetime

import pytest

from sentinelsat.backends.cdse_parsing import (
    footprint_wkt,
    format_size,
    parse_product_info,
    parse_search_entry,
    title_of,
)
from sentinelsat.conversions import to_geojson
from sentinelsat.parsing import parse_size

PRODUCT_ID = "05edf2bb-d103-49f1-a677-9e474138d84f"

SENTINEL2 = {
    "@odata.mediaContentType": "application/octet-stream",
    "Id": PRODUCT_ID,
    "Name": "S2A_MSIL1C_20200808T010311_N0500_R045_T54PXA_20230413T212505.SAFE",
    "ContentType": "application/octet-stream",
    "ContentLength": 224105657,
    "OriginDate": "2023-08-22T13:50:20.043000Z",
    "PublicationDate": "2023-08-23T09:26:23.105134Z",
    "ModificationDate": "2024-05-08T14:55:49.434177Z",
    "Online": True,
    "EvictionDate": "9999-12-31T23:59:59.999999Z",
    "S3Path": "/eodata/Sentinel-2/MSI/L1C_N0500/2020/08/08/S2A_MSIL1C_20200808T010311_N0500_R045_T54PXA_20230413T212505.SAFE",
    "Checksum": [
        {"Value": "923ac4992d90b57d41e7ace4d9d90757", "Algorithm": "MD5",
         "ChecksumDate": "2023-08-23T09:26:29.109555Z"},
        {"Value": "2f787caed527ffeb3245594a465abd127da5ee7eaeb974f9a9ab4342f2fba7cf",
         "Algorithm": "BLAKE3", "ChecksumDate": "2023-08-23T09:26:29.570886Z"},
    ],
    "ContentDate": {"Start": "2020-08-08T01:03:11.024000Z", "End": "2020-08-08T01:03:11.024000Z"},
    "Footprint": "geography'SRID=4326;POLYGON ((142.35 13.47, 142.93 13.47, 142.94 14.15, 142.35 13.47))'",
    "GeoFootprint": {"type": "Polygon", "coordinates": [[[142.35, 13.47], [142.93, 13.47],
                                                          [142.94, 14.15], [142.35, 13.47]]]},
    "Attributes": [
        {"@odata.type": "#OData.CSC.StringAttribute", "Name": "tileId", "Value": "54PXA", "ValueType": "String"},
        {"@odata.type": "#OData.CSC.DoubleAttribute", "Name": "cloudCover", "Value": 95.136736479015, "ValueType": "Double"},
        {"@odata.type": "#OData.CSC.IntegerAttribute", "Name": "orbitNumber", "Value": 26783, "ValueType": "Integer"},
        {"@odata.type": "#OData.CSC.DateTimeOffsetAttribute", "Name": "processingDate", "Value": "2023-04-13T21:25:05.000000Z", "ValueType": "DateTimeOffset"},
        {"@odata.type": "#OData.CSC.StringAttribute", "Name": "platformShortName", "Value": "SENTINEL-2", "ValueType": "String"},
        {"@odata.type": "#OData.CSC.IntegerAttribute", "Name": "relativeOrbitNumber", "Value": 45, "ValueType": "Integer"},
        {"@odata.type": "#OData.CSC.StringAttribute", "Name": "platformSerialIdentifier", "Value": "A", "ValueType": "String"},
        {"@odata.type": "#OData.CSC.StringAttribute", "Name": "productType", "Value": "S2MSI1C", "ValueType": "String"},
        {"@odata.type": "#OData.CSC.StringAttribute", "Name": "instrumentShortName", "Value": "MSI", "ValueType": "String"},
        {"@odata.type": "#OData.CSC.StringAttribute", "Name": "processorVersion", "Value": "05.00", "ValueType": "String"},
    ],
    "Assets": [
        {"Type": "QUICKLOOK", "Id": "385d0a62-ec57-413b-a8b8-12c0e79848f6",
         "DownloadLink": "https://cat.example/odata/v1/Assets(385d0a62-ec57-413b-a8b8-12c0e79848f6)/$value",
         "S3Path": "/eodata/..."},
    ],
}  # fmt: skip

SENTINEL1_AUX = {
    "Id": "67360f3a-f36b-11ef-9d3f-0050561a7772",
    "Name": "S1A_IW_GRDH_1SDV_20240604T110100_20240604T110131_054172_069690_E33E.SAFE",
    "ContentLength": 0,
    "OriginDate": "2024-06-04T12:12:03.404000Z",
    "PublicationDate": "2024-06-04T12:18:40.284131Z",
    "Online": False,
    "Checksum": [],
    "ContentDate": {"Start": "2024-06-04T11:01:00.494767Z", "End": "2024-06-04T11:01:31.089640Z"},
    "Footprint": None,
    "GeoFootprint": None,
    "Attributes": [
        {"Name": "platformShortName", "Value": "SENTINEL-1", "ValueType": "String"},
        {"Name": "productType", "Value": "IW_GRDH_1S", "ValueType": "String"},
        {"Name": "instrumentShortName", "Value": "SAR", "ValueType": "String"},
        {"Name": "polarisationChannels", "Value": "VV&VH", "ValueType": "String"},
        {"Name": "orbitDirection", "Value": "ASCENDING", "ValueType": "String"},
        {"Name": "sliceProductFlag", "Value": False, "ValueType": "Boolean"},
        {"Name": "spatialResolution", "Value": "2.3", "ValueType": "Integer"},
    ],
    "Assets": [],
}


def download(product_id):
    return f"https://dl.example/odata/v1/Products({product_id})/$value"


def entity(product_id):
    return f"https://cat.example/odata/v1/Products({product_id})"


def search_result(entry):
    product_id, values = parse_search_entry(entry, download, entity)
    return product_id, values


def test_search_result_has_013s_keys_and_types():
    product_id, result = search_result(SENTINEL2)
    assert product_id == PRODUCT_ID
    assert (
        result["title"]
        == result["identifier"]
        == ("S2A_MSIL1C_20200808T010311_N0500_R045_T54PXA_20230413T212505")
    )
    assert result["filename"] == SENTINEL2["Name"] and result["uuid"] == PRODUCT_ID
    assert result["beginposition"] == datetime(2020, 8, 8, 1, 3, 11, 24000)
    assert result["ingestiondate"] == datetime(2023, 8, 23, 9, 26, 23, 105134)
    assert result["platformname"] == "Sentinel-2"
    assert result["platformserialidentifier"] == "Sentinel-2A"
    assert result["producttype"] == "S2MSI1C" and result["processinglevel"] == "Level-1C"
    assert result["cloudcoverpercentage"] == pytest.approx(95.136736479015)
    assert result["orbitnumber"] == 26783 and result["relativeorbitnumber"] == 45
    assert result["tileid"] == "54PXA" and result["processingbaseline"] == "05.00"
    assert result["size"] == "213.72 MB" and parse_size(result["size"]) == pytest.approx(
        0.2087, 1e-3
    )
    assert (
        result["footprint"] == "POLYGON ((142.35 13.47, 142.93 13.47, 142.94 14.15, 142.35 13.47))"
    )
    assert result["link"] == download(PRODUCT_ID)
    assert result["link_alternative"] == entity(PRODUCT_ID)
    assert result["link_icon"].endswith("Assets(385d0a62-ec57-413b-a8b8-12c0e79848f6)/$value")
    assert result["summary"] == (
        "Date: 2020-08-08T01:03:11.024Z, Instrument: MSI, Mode: , Satellite: Sentinel-2, "
        "Size: 213.72 MB"
    )


def test_search_result_keeps_the_cdse_attributes_under_their_names():
    _, result = search_result(SENTINEL2)
    assert result["cloudCover"] == pytest.approx(95.136736479015)
    assert result["processingDate"] == datetime(2023, 4, 13, 21, 25, 5)
    assert result["productType"] == "S2MSI1C" and result["tileId"] == "54PXA"
    assert result["Online"] is True and result["ContentLength"] == 224105657
    assert result["ModificationDate"] == datetime(2024, 5, 8, 14, 55, 49, 434177)
    assert result["S3Path"].startswith("/eodata/Sentinel-2/")


def test_sentinel1_result_uses_dhus_names():
    _, result = search_result(SENTINEL1_AUX)
    assert result["producttype"] == "GRD" and result["productType"] == "IW_GRDH_1S"
    assert result["instrumentshortname"] == "SAR-C SAR"
    assert result["polarisationmode"] == "VV VH" and result["orbitdirection"] == "ASCENDING"
    assert "Mode: VV VH" in result["summary"]
    assert result["footprint"] is None and "link_icon" not in result
    assert result["sliceProductFlag"] is False
    assert result["spatialResolution"] == 2  # "2.3" in an Integer attribute, as CDSE sends


def test_results_convert_to_geojson():
    collection = to_geojson(dict([search_result(SENTINEL2), search_result(SENTINEL1_AUX)]))
    first, second = collection["features"]
    assert first["geometry"]["type"] == "Polygon" and second["geometry"] is None
    assert first["properties"]["beginposition"] == "2020-08-08T01:03:11.024000Z"


def test_product_info_has_exactly_013s_keys():
    info = parse_product_info(SENTINEL2, download)
    assert list(info) == [
        "id", "title", "size", "md5", "date", "footprint", "url", "Online", "Creation Date",
        "Ingestion Date",
    ]  # fmt: skip
    assert info["size"] == 224105657 and info["md5"] == "923ac4992d90b57d41e7ace4d9d90757"
    assert info["date"] == datetime(2020, 8, 8, 1, 3, 11, 24000)
    assert info["url"] == download(PRODUCT_ID) and info["Online"] is True
    assert info["Creation Date"] == datetime(2023, 8, 22, 13, 50, 20, 43000)
    assert info["Ingestion Date"] == datetime(2023, 8, 23, 9, 26, 23, 105134)


def test_product_info_checksum_keys():
    blake3_only = copy.deepcopy(SENTINEL2)
    blake3_only["Checksum"] = blake3_only["Checksum"][1:]
    info = parse_product_info(blake3_only, download)
    assert "md5" not in info and info["blake3"].startswith("2f787cae")
    none = parse_product_info(SENTINEL1_AUX, download)
    assert "md5" not in none and "blake3" not in none
    assert none["size"] is None  # CDSE's 0 for an unknown size
    assert none["Online"] is False and none["footprint"] is None


def test_full_product_info():
    info = parse_product_info(SENTINEL2, download, full=True)
    assert {key: info[key] for key in parse_product_info(SENTINEL2, download)} == (
        parse_product_info(SENTINEL2, download)
    )
    assert info["blake3"].startswith("2f787cae") and info["md5"].startswith("923ac499")
    assert info["cloudCover"] == pytest.approx(95.136736479015)
    assert info["EvictionDate"] is None  # never
    assert info["ContentDate/End"] == datetime(2020, 8, 8, 1, 3, 11, 24000)
    assert info["S3Path"].startswith("/eodata/")


def test_footprints():
    assert footprint_wkt({"Footprint": "geography'SRID=4326;POINT (1 2)'"}) == "POINT (1 2)"
    geo = {"Footprint": None, "GeoFootprint": {"type": "Point", "coordinates": [1.5, 2.0]}}
    assert footprint_wkt(geo) == "POINT (1.500000 2.000000)"
    assert footprint_wkt({}) is None


@pytest.mark.parametrize(
    ("size", "text"), [(512, "512 B"), (35629, "34.79 KB"), (1288490189, "1.20 GB"), (0, "0 B")]
)
def test_sizes_as_dhus_wrote_them(size, text):
    assert format_size(size) == text


def test_titles():
    assert title_of("S3A_OL_1_EFR____20240101T000000.SEN3") == "S3A_OL_1_EFR____20240101T000000"
    assert title_of("S5P_OFFL_L2__NO2____20240101.nc") == "S5P_OFFL_L2__NO2____20240101"
    assert title_of("NOEXTENSION") == "NOEXTENSION"
    with pytest.raises(ValueError):
        parse_product_info({"detail": "Not Found"}, download)
