"""The CDSE description of the hub's products, compared with their DHuS attributes."""

from __future__ import annotations

import hashlib
import re

import pytest
import requests
from shapely import wkt

from .conftest import SPAN

RECORDED_ID = "5618ce1b-923b-4df2-81d9-50b53e5aded9"
RECORDED_NAME = "S1A_WV_OCN__2SSV_20150526T081641_20150526T082418_006090_007E3E_104C.SAFE"
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


@pytest.fixture(scope="module")
def served(request):
    from sentinelsat.testing import LocalCDSE

    with LocalCDSE(products=120, seed=2, date_span=SPAN, include_recorded=True) as cdse:
        params = {"$top": 1000, "$expand": "Attributes"}
        listed = requests.get(cdse.url + "Products", params=params).json()["value"]
        yield cdse, {entry["Id"]: entry for entry in listed}


def attributes(entry: dict) -> dict:
    return {a["Name"]: a["Value"] for a in entry["Attributes"]}


def iso(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_recorded_sentinel1_product(served):
    cdse, entries = served
    entry = entries[RECORDED_ID]
    product = cdse.product(RECORDED_ID)
    assert entry["Name"] == RECORDED_NAME
    assert entry["ContentLength"] == product.size == 130222
    assert entry["PublicationDate"] == "2015-11-18T08:53:00.497000Z"  # DHuS ingestiondate
    assert entry["ContentDate"] == {"Start": "2015-05-26T08:16:40.873000Z",
                                    "End": "2015-05-26T08:24:18.591000Z"}  # fmt: skip
    assert entry["S3Path"] == f"/eodata/Sentinel-1/SAR/WV_OCN__2S/2015/05/26/{RECORDED_NAME}"
    assert entry["Footprint"] == (
        "geography'SRID=4326;POLYGON ((147.846664 3.979146, 148.030945 4.018075, "
        "148.068436 3.837322, 147.884155 3.798364, 147.846664 3.979146))'"
    )
    assert entry["GeoFootprint"]["coordinates"][0][0] == [147.846664, 3.979146]
    md5 = next(c["Value"] for c in entry["Checksum"] if c["Algorithm"] == "MD5")
    assert md5 == product.odata_checksum.lower()  # the checksum the 2018 hub reported
    assert attributes(entry) == {
        "beginningDateTime": "2015-05-26T08:16:40.873000Z",
        "datatakeID": 32318,
        "endingDateTime": "2015-05-26T08:24:18.591000Z",
        "instrumentShortName": "SAR",
        "operationalMode": "WV",
        "orbitDirection": "ASCENDING",
        "orbitNumber": 6090,
        "platformSerialIdentifier": "A",
        "platformShortName": "SENTINEL-1",
        "polarisationChannels": "VV",
        "processingLevel": "LEVEL2",
        "productClass": "S",
        "productType": "WV_OCN__2S",
        "relativeOrbitNumber": 68,
        "sliceProductFlag": False,
        "swathIdentifier": "WV1 WV2",
    }


def test_every_product_maps_from_its_dhus_attributes(served):
    cdse, entries = served
    collections = {"Sentinel-1": "SENTINEL-1", "Sentinel-2": "SENTINEL-2",
                   "Sentinel-3": "SENTINEL-3", "Sentinel-5 Precursor": "SENTINEL-5P"}  # fmt: skip
    for product in cdse.products:
        entry, dhus = entries[product.id], product.attributes
        mapped = attributes(entry)
        assert entry["Name"] == dhus["filename"] and entry["ContentLength"] == product.size
        assert entry["Online"] is product.online
        assert entry["OriginDate"] == iso(product.creationdate)
        assert entry["PublicationDate"] == iso(dhus["ingestiondate"])
        assert entry["PublicationDate"] < entry["ModificationDate"]
        assert entry["ContentDate"] == {
            "Start": iso(dhus["beginposition"]),
            "End": iso(dhus["endposition"]),
        }
        assert mapped["beginningDateTime"] == iso(dhus["beginposition"])
        assert mapped["platformShortName"] == collections[dhus["platformname"]]
        assert wkt.loads(entry["Footprint"][len("geography'SRID=4326;") : -1]).equals(
            product.geometry
        )
        for field in ("OriginDate", "PublicationDate", "ModificationDate"):
            assert DATETIME.match(entry[field])
        for dhus_name, cdse_name in (("orbitnumber", "orbitNumber"),
                                     ("relativeorbitnumber", "relativeOrbitNumber"),
                                     ("cloudcoverpercentage", "cloudCover"), ("tileid", "tileId")):  # fmt: skip
            assert mapped.get(cdse_name) == dhus.get(dhus_name)
        if "orbitdirection" in dhus:
            assert mapped["orbitDirection"] == dhus["orbitdirection"].upper()
        if dhus["platformname"] == "Sentinel-1":
            assert mapped["productType"] == entry["Name"][4:14]
            assert mapped["productType"].split("_")[1].startswith(dhus["producttype"][:3])
            assert mapped["polarisationChannels"] == dhus["polarisationmode"].replace(" ", "&")
            assert mapped["operationalMode"] == dhus["sensoroperationalmode"]
        else:
            assert mapped["productType"] == dhus["producttype"]


def test_value_types_follow_the_attributes_endpoint(served):
    cdse, entries = served
    python = {
        "String": str,
        "Integer": int,
        "Double": float,
        "Boolean": bool,
        "DateTimeOffset": str,
    }
    checked = 0
    for collection in ("SENTINEL-1", "SENTINEL-2", "SENTINEL-3", "SENTINEL-5P"):
        listed = requests.get(f"{cdse.url}Attributes({collection})").json()
        types = {a["Name"]: a["ValueType"] for a in listed}
        for entry_id, entry in entries.items():
            if cdse.entry(entry_id).collection != collection:
                continue
            for attribute in entry["Attributes"]:
                kind = types[attribute["Name"]]
                assert attribute["ValueType"] == kind
                assert attribute["@odata.type"] == f"#OData.CSC.{kind}Attribute"
                assert type(attribute["Value"]) is python[kind]
                checked += 1
    assert checked > 1000


def test_checksum_knob(served):
    cdse, _ = served
    product = cdse.products[0]
    data = b"".join(bytes(chunk) for chunk in product.content.iter_bytes())
    url = f"{cdse.url}Products({product.id})"
    try:
        md5, blake = requests.get(url).json()["Checksum"]
        assert (md5["Algorithm"], md5["Value"]) == ("MD5", hashlib.md5(data).hexdigest())
        assert blake["Algorithm"] == "BLAKE3" and len(blake["Value"]) == 64
        cdse.faults.checksums = "blake3"
        assert requests.get(url).json()["Checksum"] == [blake]
        cdse.faults.checksums = "none"
        assert requests.get(url).json()["Checksum"] == []
        listed = requests.get(
            cdse.url + "Products", params={"$top": 3, "$expand": "Locations"}
        ).json()
        assert all(e["Checksum"] == [] == e["Locations"][0]["Checksum"] for e in listed["value"])
    finally:
        cdse.faults.checksums = "md5+blake3"


def test_collections_and_names(served):
    cdse, entries = served
    suffixes = {
        "SENTINEL-1": ".SAFE",
        "SENTINEL-2": ".SAFE",
        "SENTINEL-3": ".SEN3",
        "SENTINEL-5P": ".nc",
    }
    seen = set()
    for collection, suffix in suffixes.items():
        text = f"Collection/Name eq '{collection}'"
        page = requests.get(cdse.url + "Products", params={"$filter": text, "$top": 1000}).json()[
            "value"
        ]
        assert page and all(e["Name"].endswith(suffix) for e in page)
        seen |= {e["Id"] for e in page}
    assert seen == set(entries)
