"""Parsing of OpenSearch and OData responses (pure functions, recorded bodies)."""

import json
from datetime import datetime

import pytest
import yaml
from kit import CASSETTES

from sentinelsat import SentinelAPIError
from sentinelsat.parsing import (
    gml_to_wkt,
    parse_iso_datetime,
    parse_odata_date,
    parse_odata_response,
    parse_opensearch_response,
    parse_size,
)


def recorded_json(cassette, index=0):
    interactions = yaml.safe_load((CASSETTES / cassette).read_text())["interactions"]
    return json.loads(interactions[index]["response"]["body"]["string"])


# ----------------------------------------------------------------------------- values
@pytest.mark.parametrize(
    "text, expected",
    [
        ("2015-05-26T21:10:28.984Z", datetime(2015, 5, 26, 21, 10, 28, 984000)),
        ("2015-12-27T14:22:29Z", datetime(2015, 12, 27, 14, 22, 29)),
        ("2016-09-22T01:42:38.742563Z", datetime(2016, 9, 22, 1, 42, 38, 742563)),
        ("2016-09-22T01:42:38.7425639Z", datetime(2016, 9, 22, 1, 42, 38, 742563)),
        ("2016-09-22T03:42:38+02:00", datetime(2016, 9, 22, 1, 42, 38)),
        ("2016-09-22T01:42:38", datetime(2016, 9, 22, 1, 42, 38)),
    ],
)
def test_parse_iso_datetime(text, expected):
    assert parse_iso_datetime(text) == expected


def test_parse_odata_date():
    # 1448100236675 ms after the epoch, as sent by the server for 2015-11-21T10:03:56.675Z
    assert parse_odata_date("/Date(1448100236675)/") == datetime(2015, 11, 21, 10, 3, 56, 675000)


@pytest.mark.parametrize(
    "text, gb",
    [
        ("5.47 GB", 5.47),
        ("507 MB", 507 / 1024),
        ("10.65 KB", 10.65 / 1024**2),
        ("2 TB", 2048),
        ("1073741824 B", 1.0),
    ],
)
def test_parse_size(text, gb):
    assert parse_size(text) == pytest.approx(gb)


@pytest.mark.parametrize("text", ["", "5.47", "GB", "5.47 PB", "a GB"])
def test_parse_size_rejects(text):
    with pytest.raises(ValueError):
        parse_size(text)


# ----------------------------------------------------------------------------- OpenSearch
def test_single_entry_as_object():
    total, products = parse_opensearch_response(recorded_json("dhus-2018/test_name_search.yaml"))
    assert total == 1
    [(product_id, attributes)] = products
    assert product_id == "d8340134-878f-4891-ba4f-4df54f1e3ab4"
    assert (
        attributes["title"] == "S1A_WV_OCN__2SSV_20150526T211029_20150526T211737_006097_007E78_134A"
    )
    assert attributes["summary"].startswith("Date: 2015-05-26T21:10:28.984Z, Instrument: SAR-C SAR")
    assert attributes["beginposition"] == datetime(2015, 5, 26, 21, 10, 28, 984000)
    assert attributes["ingestiondate"] == datetime(2015, 11, 17, 23, 28, 1, 852000)
    assert attributes["orbitnumber"] == 6097
    assert attributes["relativeorbitnumber"] == 75
    assert attributes["size"] == "10.65 KB"
    assert attributes["uuid"] == product_id
    assert attributes["footprint"].startswith("POLYGON ((-32.055458 -53.931976,")
    base = f"https://scihub.copernicus.eu/apihub/odata/v1/Products('{product_id}')"
    assert attributes["link"] == base + "/$value"
    assert attributes["link_alternative"] == base + "/"
    assert attributes["link_icon"] == base + "/Products('Quicklook')/$value"
    assert "id" not in attributes


def test_list_of_entries_in_server_order_with_single_typed_value():
    total, products = parse_opensearch_response(recorded_json("dhus-2018/test_order_by_flag.yaml"))
    assert total == 3
    assert [product_id for product_id, _ in products] == [
        "6ed0b7de-3435-43df-98bf-ad63c8d077ef",
        "0848f6b8-5730-4759-850e-fc9945d42296",
        "37ecee60-23d8-4ec2-a65f-2de24f51d30e",
    ]
    # "double" is a single object in these entries, not a list
    assert [attributes["cloudcoverpercentage"] for _, attributes in products] == [
        pytest.approx(5.166666666666667),
        pytest.approx(6.230769230769231),
        pytest.approx(6.666666666666667),
    ]


def test_empty_result():
    total, products = parse_opensearch_response(recorded_json("dhus-2018/test_small_query.yaml"))
    assert (total, products) == (0, [])


def test_invalid_query_null_total():
    with pytest.raises(SentinelAPIError, match="Invalid query"):
        parse_opensearch_response(recorded_json("dhus-2018/test_invalid_query.yaml"))


def test_invalid_query_feed_error():
    with pytest.raises(SentinelAPIError, match="undefined field xxx"):
        parse_opensearch_response(recorded_json("dhus-2023/test_invalid_query.yaml"))


def test_unknown_shapes_are_kept():
    feed = {
        "feed": {
            "opensearch:totalResults": "1",
            "entry": {
                "id": "abc",
                "int": [
                    {"name": "orbitnumber", "content": "not a number"},
                    {"name": "big", "content": "12345678901234"},
                ],
                "long": {"name": "volume", "content": "7"},
                "bool": {"name": "online", "content": "true"},
                "date": {"name": "odd", "content": "yesterday"},
                "str": {"name": "footprint", "content": "POINT(1 2)"},
                "link": {"href": "http://x/$value"},
                "novel": {"some": "structure"},
            },
        }
    }
    total, [(product_id, attributes)] = parse_opensearch_response(feed)
    assert (total, product_id) == (1, "abc")
    assert attributes == {
        "orbitnumber": "not a number",
        "big": 12345678901234,
        "volume": 7,
        "online": True,
        "odd": "yesterday",
        "footprint": "POINT(1 2)",
        "link": "http://x/$value",
        "novel": {"some": "structure"},
    }


@pytest.mark.parametrize(
    "body", [None, [], {}, {"feed": "x"}, {"feed": {"opensearch:totalResults": "many"}}]
)
def test_not_a_feed(body):
    with pytest.raises(SentinelAPIError):
        parse_opensearch_response(body)


# ----------------------------------------------------------------------------- OData
def test_odata_short():
    info = parse_odata_response(recorded_json("dhus-2018/test_get_product_odata_short.yaml"))
    assert info == {
        "id": "8df46c9e-a20c-43db-a19a-4240c2ed3b8b",
        "title": "S1A_EW_GRDM_1SDV_20151121T100356_20151121T100429_008701_00C622_A0EC",
        "size": 143549851,
        "md5": "D5E4DF5C38C6E97BF7E7BD540AB21C05",
        "date": datetime(2015, 11, 21, 10, 3, 56, 675000),
        "footprint": "POLYGON((-63.852531 -5.880887,-67.495872 -5.075419,-67.066071 -3.084356,"
        "-63.430576 -3.880541,-63.852531 -5.880887))",
        "url": "https://scihub.copernicus.eu/apihub/odata/v1/Products('8df46c9e-a20c-43db-a19a-4240c2ed3b8b')/$value",
        "Online": False,
        "Creation Date": datetime(2015, 11, 21, 13, 22, 1, 652000),
        "Ingestion Date": datetime(2015, 11, 21, 13, 22, 4, 992000),
    }


def test_odata_missing_online_means_online():
    body = recorded_json("dhus-2023/test_get_product_odata_short_with_missing_online_key.yaml")
    assert "Online" not in body["d"]
    assert parse_odata_response(body)["Online"] is True


def _expected_from_other_client(name):
    # dhus-2023/odata_response_*.yml: the same responses as parsed by another client
    return yaml.load((CASSETTES / "dhus-2023" / name).read_text(), Loader=yaml.UnsafeLoader)


@pytest.mark.parametrize("index", [0, 1, 2])
def test_odata_full_matches_independent_parse(index):
    body = recorded_json("dhus-2023/test_get_product_odata_full.yaml", index)
    expected = _expected_from_other_client("odata_response_full.yml")[body["d"]["Id"]]
    expected.pop("quicklook_url")  # not part of our result
    info = parse_odata_response(body, full=True)
    # the other client upper-cases the checksum; we keep the server's value
    assert info.pop("md5") == body["d"]["Checksum"]["Value"]
    assert expected.pop("md5").lower() == body["d"]["Checksum"]["Value"].lower()
    assert info == expected


def test_odata_short_fields_match_independent_parse():
    body = recorded_json("dhus-2023/test_get_product_odata_full.yaml")
    expected = _expected_from_other_client("odata_response_short.yml")[body["d"]["Id"]]
    expected.pop("quicklook_url")
    body["d"].pop("Attributes")
    info = parse_odata_response(body)
    assert info.pop("md5").lower() == expected.pop("md5").lower()
    assert info == expected


def test_odata_full_2018_attribute_types():
    info = parse_odata_response(
        recorded_json("dhus-2018/test_get_product_odata_full.yaml"), full=True
    )
    assert info["Cycle number"] == 64
    assert info["Sensing start"] == datetime(2015, 11, 21, 10, 3, 56, 675000)
    assert info["Size"] == "223.88 MB"
    assert info["Launch date"] == "April 3rd, 2014"
    assert info["NSSDC identifier"] == "0000-000A"
    assert info["size"] == 143549851
    assert info["id"] == "8df46c9e-a20c-43db-a19a-4240c2ed3b8b"


def test_odata_no_geometry():
    body = recorded_json("dhus-2018/test_get_product_odata_short.yaml")
    body["d"]["ContentGeometry"] = None
    assert parse_odata_response(body)["footprint"] is None


@pytest.mark.parametrize("body", [None, {}, {"d": {}}, {"error": {"message": "x"}}])
def test_odata_not_a_product(body):
    with pytest.raises(SentinelAPIError):
        parse_odata_response(body)


def test_gml_multipolygon_and_holes():
    gml = (
        '<gml:MultiPolygon xmlns:gml="http://www.opengis.net/gml"><gml:polygonMember><gml:Polygon>'
        "<gml:outerBoundaryIs><gml:LinearRing><gml:coordinates>0,0 0,10 10,10 0,0</gml:coordinates>"
        "</gml:LinearRing></gml:outerBoundaryIs><gml:innerBoundaryIs><gml:LinearRing>"
        "<gml:coordinates>1,1 1,2 2,2 1,1</gml:coordinates></gml:LinearRing></gml:innerBoundaryIs>"
        "</gml:Polygon></gml:polygonMember><gml:polygonMember><gml:Polygon><gml:outerBoundaryIs>"
        "<gml:LinearRing><gml:coordinates>20,20 20,21 21,21 20,20</gml:coordinates></gml:LinearRing>"
        "</gml:outerBoundaryIs></gml:Polygon></gml:polygonMember></gml:MultiPolygon>"
    )
    assert gml_to_wkt(gml) == (
        "MULTIPOLYGON(((0 0,10 0,10 10,0 0),(1 1,2 1,2 2,1 1)),((20 20,21 20,21 21,20 20)))"
    )


@pytest.mark.parametrize(
    "gml", ["", "not xml", "<a/>", '<gml:Polygon xmlns:gml="http://www.opengis.net/gml"/>']
)
def test_gml_unreadable(gml):
    assert gml_to_wkt(gml) is None
