"""0.13 guarantee: the private names that scripts of the 0.13 era used still exist and behave
as they did (deprecated; :mod:`sentinelsat.legacy`)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from datetime import datetime

import pytest
import requests
import requests_mock
from kit import PACKAGE_DATA, recordings

from sentinelsat import SentinelAPI, SentinelAPIError, SentinelAPILTAError
from sentinelsat.sentinel import (
    InvalidChecksumError,
    _check_scihub_response,
    _format_order_by,
    _parse_gml_footprint,
    _parse_iso_date,
    _parse_odata_response,
    _parse_odata_timestamp,
    _parse_opensearch_response,
    format_query_date,
    geojson_to_wkt,
    read_geojson,
)

SMALL = "POLYGON((0 0,1 1,0 1,0 0))"
OFFLINE_URL = "https://scihub.copernicus.eu/apihub/odata/v1/Products('x')/$value"


@pytest.fixture
def api() -> SentinelAPI:
    return SentinelAPI("mock_user", "mock_password", show_progressbars=False)


def test_module_sentinel_still_has_0_13_names():
    assert callable(read_geojson) and callable(geojson_to_wkt) and callable(format_query_date)
    assert issubclass(InvalidChecksumError, Exception)
    assert SentinelAPIError.__module__ == "sentinelsat.exceptions"


def test_last_query_and_last_response(api):
    assert api._last_query is None and api._last_response is None
    with recordings.use_cassette("dhus-2018/test_SentinelAPI_connection.yaml"):
        api.query(SMALL, ("20150101", "20150102"))
    assert api._last_query == (
        'beginPosition:[2015-01-01T00:00:00Z TO 2015-01-02T00:00:00Z] footprint:"Intersects(POLYGON((0 0,1 1,0 1,0 0)))"'
    )
    assert api._last_response.status_code == 200
    with recordings.use_cassette("dhus-2018/test_count.yaml"):
        api.count(date=("20150101", "20151231"))
    assert api._last_query == "beginPosition:[2015-01-01T00:00:00Z TO 2015-12-31T00:00:00Z]"


def test_last_response_is_the_last_page(api):
    with recordings.use_cassette("dhus-2018/test_large_query.yaml"):
        api.query("POLYGON((0 0,0 10,10 10,10 0,0 0))", ("20151201", "20151231"))
    assert api._last_response.request.url.endswith("rows=100&start=200")


def test_format_url(api):
    with pytest.deprecated_call():
        assert api._format_url() == api.api_url + "search?format=json&rows=100&start=0"
        assert api._format_url(limit=50) == api.api_url + "search?format=json&rows=50&start=0"
        assert api._format_url(limit=150) == api.api_url + "search?format=json&rows=100&start=0"
        assert api._format_url(order_by="beginposition desc", limit=150, offset=10) == (
            api.api_url + "search?format=json&rows=100&start=10&orderby=beginposition desc"
        )
    for url in ("https://scihub.copernicus.eu/dhus", "https://scihub.copernicus.eu/dhus/"):
        with pytest.deprecated_call():
            assert (
                SentinelAPI("u", "p", url)
                ._format_url()
                .startswith("https://scihub.copernicus.eu/dhus/search")
            )


def test_load_query_returns_raw_entries_and_the_total(api):
    query = 'beginPosition:[2015-12-01T00:00:00Z TO 2015-12-31T00:00:00Z] footprint:"Intersects(POLYGON((0 0,0 10,10 10,10 0,0 0)))"'
    with recordings.use_cassette("dhus-2018/test_large_query.yaml"), pytest.deprecated_call():
        entries, total = api._load_query(query)
        limited, _ = api._load_query(query, limit=150)
    assert len(entries) == total > 200
    assert all(isinstance(entry, dict) and "id" in entry for entry in entries)
    assert [entry["id"] for entry in limited] == [entry["id"] for entry in entries[:150]]
    assert list(_parse_opensearch_response(entries)) == [entry["id"] for entry in entries]


def test_trigger_offline_retrieval(api):
    with requests_mock.Mocker() as mocker, pytest.deprecated_call():
        mocker.get(OFFLINE_URL, status_code=202)
        assert api._trigger_offline_retrieval(OFFLINE_URL) == 202
        assert "Range" not in mocker.last_request.headers
        for status, words in ((403, "quota"), (500, "offline product"), (503, "not accepted")):
            mocker.get(OFFLINE_URL, status_code=status, text="refused")
            with pytest.raises(SentinelAPILTAError, match=words) as error:
                api._trigger_offline_retrieval(OFFLINE_URL)
            assert error.value.response.status_code == status


def test_md5_compare(api, tmp_path):
    path = PACKAGE_DATA / "S1A_WV_OCN__2SSV_20150526T211029_20150526T211737_006097_007E78_134A.zip"
    digest = hashlib.md5(path.read_bytes()).hexdigest()
    bars = []

    class Recording(SentinelAPI):
        def _tqdm(self, **kwargs):
            bars.append(kwargs)
            return super()._tqdm(**kwargs)

    recording = Recording("u", "p", show_progressbars=False)
    with pytest.deprecated_call():
        assert recording._md5_compare(str(path), digest.upper()) is True
        assert recording._md5_compare(str(path), "0" * 32) is False
    assert bars[0]["desc"] == "MD5 checksumming" and bars[0]["total"] == path.stat().st_size


def test_module_functions():
    assert _parse_odata_timestamp("/Date(1445588544652)/") == datetime(
        2015, 10, 23, 8, 22, 24, 652000
    )
    assert _format_order_by(" +a, - b ") == "a asc,b desc"
    assert _format_order_by("cloudcoverpercentage") == "cloudcoverpercentage asc"
    assert _format_order_by(" ") is None
    with pytest.raises(ValueError):
        _format_order_by("+cloudcoverpercentage-beginposition")
    assert _parse_iso_date("2015-11-21T10:03:56.675Z") == datetime(2015, 11, 21, 10, 3, 56, 675000)
    assert _parse_iso_date("2015-11-21T10:03:56Z") == datetime(2015, 11, 21, 10, 3, 56)
    with pytest.raises(ValueError):
        _parse_iso_date("21.11.2015")
    gml = (
        '<gml:Polygon srsName="http://www.opengis.net/gml/srs/epsg.xml#4326" '
        'xmlns:gml="http://www.opengis.net/gml"><gml:outerBoundaryIs><gml:LinearRing>'
        "<gml:coordinates>-5.880887,-63.852531 -5.075419,-67.495872 -5.880887,-63.852531"
        "</gml:coordinates></gml:LinearRing></gml:outerBoundaryIs></gml:Polygon>"
    )
    assert _parse_gml_footprint(gml) == (
        "POLYGON((-63.852531 -5.880887,-67.495872 -5.075419,-63.852531 -5.880887))"
    )
    entries = [
        {"id": "a", "title": "T", "int": {"name": "orbitnumber", "content": "7"}},
        {"id": "b", "str": [{"name": "x", "str": "y"}]},  # a Sentinel-3 entry of 2017
    ]
    assert _parse_opensearch_response(entries) == OrderedDict(
        [("a", {"title": "T", "orbitnumber": 7}), ("b", {"x": "y"})]
    )


def test_parse_odata_response_and_check_response():
    product = {
        "Id": "x",
        "Name": "N",
        "ContentLength": "12",
        "Checksum": {"Algorithm": "MD5", "Value": "AB"},
        "ContentDate": {"Start": "/Date(1445588544652)/"},
        "ContentGeometry": None,
        "__metadata": {"media_src": "http://h/$value"},
        "CreationDate": "/Date(0)/",
        "IngestionDate": "/Date(0)/",
        "Attributes": {
            "results": [{"Name": "Orbit", "Value": "5"}, {"Name": "Mode", "Value": "IW"}]
        },
    }
    info = _parse_odata_response(product)
    assert (info["id"], info["size"], info["md5"], info["Orbit"], info["Mode"]) == (
        "x",
        12,
        "AB",
        5,
        "IW",
    )
    response = requests.Response()
    response.status_code, response._content = 200, b"{not json"
    with pytest.raises(SentinelAPIError, match="Invalid API response"):
        _check_scihub_response(response)
    _check_scihub_response(response, test_json=False)
