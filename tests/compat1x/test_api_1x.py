"""sentinelsat 1.x's names and pure additions: imports, result shapes, set queries, geometry,
OData keys, quicklooks, streams, the server version."""

from __future__ import annotations

import importlib
import json
import pickle
import zipfile

import pytest
from kit import FIXTURES, binary_body, recordings, replay_api

import sentinelsat
from sentinelsat import (
    DownloadStatus,
    InvalidKeyError,
    NotSupportedError,
    ResultTuple,
    SentinelAPI,
    geojson_to_wkt,
    is_wkt,
    read_geojson,
)
from sentinelsat.backends import Backend
from sentinelsat.products import ProductInfo, describe
from sentinelsat.results import FailedProducts

from .conftest import hub_api
from .proxy import Answer, RewritingProxy

ODATA_KEYS_013 = {
    "id", "title", "size", "md5", "date", "footprint", "url", "Online", "Creation Date",
    "Ingestion Date",
}  # fmt: skip
APIHUB = "https://apihub.copernicus.eu/apihub/"


# ---------------------------------------------------------------------- names
@pytest.mark.parametrize(
    "module, names",
    [
        ("sentinelsat", ["SentinelAPI", "make_path_filter", "make_size_filter",
                         "all_nodes_filter", "ResultTuple", "DownloadStatus", "Downloader",
                         "is_wkt", "LTAError", "LTATriggered", "ServerError",
                         "UnauthorizedError", "QuerySyntaxError", "QueryLengthError",
                         "InvalidKeyError", "SentinelAPILTAError", "SentinelProductsAPI"]),
        ("sentinelsat.sentinel", ["SentinelAPI", "SentinelAPIError", "InvalidChecksumError",
                                  "is_wkt", "geojson_to_wkt", "read_geojson",
                                  "format_query_date", "ResultTuple"]),
        ("sentinelsat.products", ["make_path_filter", "make_size_filter", "all_nodes_filter"]),
        ("sentinelsat.download", ["Downloader", "DownloadStatus"]),
        ("sentinelsat.exceptions", ["LTAError", "LTATriggered", "ServerError",
                                    "UnauthorizedError", "QuerySyntaxError",
                                    "QueryLengthError", "InvalidKeyError"]),
    ],
)  # fmt: skip
def test_names_importable_as_in_1x(module, names):
    imported = importlib.import_module(module)
    missing = [name for name in names if not hasattr(imported, name)]
    assert not missing


def test_version_is_2_0_0():
    assert sentinelsat.__version__ == "2.0.0"
    from packaging.version import Version

    assert Version(sentinelsat.__version__) >= Version("1.1"), "programs pin sentinelsat>=1.1"


def test_download_status_as_in_1_1():
    assert [status.name for status in DownloadStatus] == [
        "UNAVAILABLE", "OFFLINE", "TRIGGERED", "ONLINE", "DOWNLOAD_STARTED", "DOWNLOADED",
    ]  # fmt: skip
    assert [bool(status) for status in DownloadStatus] == [False] * 5 + [True]


def test_sentinel_products_api_is_deprecated(local_hub):
    with pytest.warns(DeprecationWarning):
        api = sentinelsat.SentinelProductsAPI(local_hub.user, local_hub.password, local_hub.url)
    assert isinstance(api, SentinelAPI)


def test_failed_products_are_a_set_and_a_mapping():
    error = InvalidKeyError("Invalid key")
    failed = FailedProducts({"a": {"id": "a", "exception": error}})
    failed.add_failure("b", {"id": "b", "title": "B", "exception": error})
    assert failed == {"a", "b"} and failed | {"c"} == {"a", "b", "c"} and len(failed) == 2
    assert sorted(failed) == ["a", "b"] and "a" in failed
    assert failed["b"]["title"] == "B" and failed["a"]["exception"] is error
    assert dict(failed.items())["a"]["id"] == "a" and failed.get("x") is None
    assert sorted(failed.keys()) == ["a", "b"] and len(failed.values()) == 2
    with pytest.raises(KeyError):
        failed["x"]
    assert pickle.loads(pickle.dumps(failed)) == failed


def test_result_tuple_fields():
    result = ResultTuple({"a": {}}, {}, FailedProducts())
    downloaded, triggered, failed = result
    assert result.downloaded is downloaded and result.retrieval_triggered is triggered
    assert result.failed is failed and result._fields == (
        "downloaded",
        "retrieval_triggered",
        "failed",
    )


# ---------------------------------------------------------------------- queries
@pytest.mark.parametrize(
    "keywords, expected",
    [
        ({"producttype": {"SLC", "GRD"}}, "(producttype:GRD OR producttype:SLC)"),
        ({"producttype": {"GRD"}}, "(producttype:GRD)"),
        ({"producttype": set(), "platformname": "Sentinel-1"}, "platformname:Sentinel-1"),
        (
            {"cloudcoverpercentage": {(50, 60), (0, 10)}},
            "(cloudcoverpercentage:[0 TO 10] OR cloudcoverpercentage:[50 TO 60])",
        ),
        (
            {"beginposition": {("20200101", "20200102"), ("NOW-1DAY", "NOW")}},
            "(beginposition:[2020-01-01T00:00:00Z TO 2020-01-02T00:00:00Z] OR "
            "beginposition:[NOW-1DAY TO NOW])",
        ),
        ({"timeliness": {"Non Time Critical"}}, "(timeliness:Non\\ Time\\ Critical)"),
    ],
)
def test_sets_mean_or(keywords, expected):
    assert SentinelAPI.format_query(**keywords) == expected


def test_a_set_inside_a_set_is_refused():
    with pytest.raises(ValueError):
        SentinelAPI.format_query(producttype={frozenset({"GRD"})})


def test_a_set_query_finds_every_alternative(local_hub):
    api = hub_api(local_hub)
    grd, slc = api.count(producttype="GRD"), api.count(producttype="SLC")
    assert grd and slc
    assert api.count(producttype={"GRD", "SLC"}) == grd + slc
    assert len(api.query(producttype={"GRD", "SLC"})) == grd + slc


# ---------------------------------------------------------------------- geometry
def test_all_features_as_a_geometry_collection():
    collection = read_geojson(FIXTURES / "map_collection.geojson")
    first = geojson_to_wkt(collection)
    everything = geojson_to_wkt(collection, feature_number=None)
    assert first.startswith("POLYGON((")
    assert everything.startswith("GEOMETRYCOLLECTION(POLYGON((") and first[7:] in everything
    assert everything.count("POLYGON") == len(collection["features"])
    single = read_geojson(FIXTURES / "map.geojson")
    assert (
        geojson_to_wkt(single, feature_number=None)
        == f"GEOMETRYCOLLECTION({geojson_to_wkt(single)})"
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("POLYGON((0 0,1 1,0 1,0 0))", True),
        ("multipolygon(((0 0,1 1,0 1,0 0)))", True),
        ("POINT (30 10)", True),
        ("GEOMETRYCOLLECTION(POINT(1 2),LINESTRING(0 0,1 1))", True),
        ("ENVELOPE(-10, 10, 5, -5)", True),
        ("POLYGON((0 0,1 1)", False),
        ("POLYGON)0 0(", False),
        ("map.geojson", False),
        ('{"type": "Point", "coordinates": [1, 2]}', False),
        ("", False),
    ],
)
def test_is_wkt(text, expected):
    assert is_wkt(text) is expected


# ---------------------------------------------------------------------- OData keys
LTA_CASSETTE = "dhus-2023/test_download_all_lta.yaml"
S3_ID = "0cbef871-b908-4410-a197-af0888ad048c"  # an offline Sentinel-3 product
FULL_ID = "11af8bd9-24d0-4401-9789-b7b73786e122"


@recordings.use_cassette(LTA_CASSETTE)
def test_odata_keys_stay_0_13_s_and_the_1x_keys_are_readable():
    info = replay_api(APIHUB).get_product_odata(S3_ID)
    assert set(info) == ODATA_KEYS_013 and len(info) == 10
    title = info["title"]
    assert title.startswith("S3A_") and info["Online"] is False
    assert info["manifest_name"] == "xfdumanifest.xml"
    assert info["product_root_dir"] == f"{title}.SEN3"
    assert info["quicklook_url"] == (
        f"{APIHUB}odata/v1/Products('{S3_ID}')/Products('Quicklook')/$value"
    )
    assert info.get("quicklook_url") == info["quicklook_url"] and "quicklook_url" not in info
    assert json.loads(json.dumps(info, default=str)).keys() == ODATA_KEYS_013


@recordings.use_cassette("dhus-2023/test_get_product_odata_full.yaml")
def test_full_odata_keys_stay_too():
    full = replay_api(APIHUB).get_product_odata(FULL_ID, full=True)
    assert ODATA_KEYS_013 < set(full) and "quicklook_url" not in set(full)
    assert full["product_root_dir"] == f"{full['title']}.SEN3"


@recordings.use_cassette(LTA_CASSETTE)
def test_semantics_1x_makes_them_keys():
    info = replay_api(APIHUB, semantics="1.x").get_product_odata(S3_ID)
    assert set(info) == ODATA_KEYS_013 | {"quicklook_url", "manifest_name", "product_root_dir"}


@recordings.use_cassette("dhus-2023/test_get_product_odata_short_with_missing_online_key.yaml")
def test_missing_online_means_online():
    info = replay_api(APIHUB).get_product_odata("8df46c9e-a20c-43db-a19a-4240c2ed3b8b")
    assert info["Online"] is True
    assert (info["manifest_name"], info["product_root_dir"]) == (
        "manifest.safe",
        f"{info['title']}.SAFE",
    )


def test_product_info_copies_keep_the_extra_keys():
    info = describe({"id": "x", "title": "S2A_MSIL1C_X"}, "http://q")
    assert isinstance(info, ProductInfo)
    for copy in (info.copy(), pickle.loads(pickle.dumps(info)), info.updated(path="p")):
        assert (
            copy["quicklook_url"] == "http://q" and copy["product_root_dir"] == "S2A_MSIL1C_X.SAFE"
        )
    assert info == {"id": "x", "title": "S2A_MSIL1C_X"}


def test_downloads_return_the_1x_keys_too(local_hub, tmp_path):
    product = local_hub.products[0]
    info = hub_api(local_hub).download(product.id, str(tmp_path))
    assert info["product_root_dir"].startswith(product.identifier) and "path" in info


def test_unsupported_features_of_a_backend_say_so():
    class Minimal(Backend):
        name = "minimal"
        create_session = search = count = search_names = product_info = None  # type: ignore
        download_url = trigger_retrieval = refusal = None  # type: ignore

    Minimal.__abstractmethods__ = frozenset()
    backend = Minimal("http://example.invalid/")
    for call in (
        lambda: backend.quicklook_url({"id": "x"}),
        lambda: backend.is_online(None, "x"),
        lambda: backend.version(None),
        lambda: backend.node_url({"id": "x"}, ("a",)),
    ):
        with pytest.raises(NotSupportedError, match="not supported by this server"):
            call()
    assert issubclass(NotSupportedError, NotImplementedError)


# ---------------------------------------------------------------------- quicklooks
QUICKLOOK_ID = "6b126ea4-fe27-440c-9a5c-686f386b7291"
QUICKLOOK_TITLE = "S2A_MSIL2A_20201007T022601_N0214_R046_T49MFN_20201007T064142"


@recordings.use_cassette("dhus-2023/test_download_quicklook.yaml")
def test_recorded_quicklook(tmp_path):
    api = replay_api(APIHUB)
    sent: list = []
    api.session.hooks["response"].append(lambda response, **kw: sent.append(response.request))
    result = api.download_quicklook(QUICKLOOK_ID, str(tmp_path))
    path = tmp_path / f"{QUICKLOOK_TITLE}.jpeg"
    assert result["path"] == str(path) and result["error"] == ""
    assert path.read_bytes() == binary_body(f"{QUICKLOOK_TITLE}-ql.jpg")
    assert result["quicklook_size"] == result["downloaded_bytes"] == 15006
    again = api.download_quicklook(QUICKLOOK_ID, str(tmp_path))
    assert again["downloaded_bytes"] == 0 and again["quicklook_size"] == 15006
    assert [request.url.endswith("$value") for request in sent] == [False, True, False], (
        "an existing quicklook is not downloaded again"
    )


@recordings.use_cassette("dhus-2023/test_download_all_quicklooks.yaml")
def test_recorded_quicklooks_of_several_products(tmp_path):
    ids = [
        "6b126ea4-fe27-440c-9a5c-686f386b7291",
        "1a9401bc-6986-4707-b38d-f6c29ca58c00",
        "54e6c4ad-6f4e-4fbf-b163-1719f60bfaeb",
    ]
    downloaded, failed = replay_api(APIHUB).download_all_quicklooks(ids, str(tmp_path))
    assert sorted(downloaded) == sorted(ids) and failed == {}
    assert sorted(path.suffix for path in tmp_path.iterdir()) == [".jpeg"] * 3
    for info in downloaded.values():
        assert open(info["path"], "rb").read(3) == b"\xff\xd8\xff"


def test_a_quicklook_that_is_not_a_jpeg(local_hub, tmp_path):
    def not_an_image(path: str, answer: Answer) -> Answer:
        return Answer(200, {"Content-Type": "text/html"}, b"<html>maintenance</html>")

    product = local_hub.products[0]
    with RewritingProxy(local_hub, [(r"Quicklook", not_an_image)]) as proxy:
        downloaded, failed = hub_api(local_hub, proxy.url).download_all_quicklooks(
            [product.id, local_hub.products[1].id], str(tmp_path)
        )
    assert set(failed) == {product.id, local_hub.products[1].id} and downloaded == {}
    assert "not a JPEG" in failed[product.id]
    assert list(tmp_path.iterdir()) == []


def test_quicklooks_of_an_unknown_product_raise(local_hub, tmp_path):
    with pytest.raises(InvalidKeyError):
        hub_api(local_hub).download_all_quicklooks(
            [local_hub.products[0].id, "no-such-id"], str(tmp_path)
        )


# ---------------------------------------------------------------------- streams, version
@recordings.use_cassette("dhus-2023/test_get_stream.yaml")
def test_recorded_stream():
    response = replay_api(APIHUB).get_stream("b1d8a9ab-6072-4ecd-bc44-8d64419d71cb")
    with response:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/octet-stream"


def test_stream_of_a_hub_product(local_hub):
    product = local_hub.products[0]
    with hub_api(local_hub).get_stream(product.id, headers={"Range": "bytes=10-19"}) as response:
        assert response.status_code == 206
        assert response.raw.read() == b"".join(local_hub.product_bytes(product.id))[10:20]


@recordings.use_cassette("dhus-2023/test_info_cli.yaml")
def test_recorded_dhus_version():
    # the API host has no stub: the version comes from the hub's own site, as 1.x asked it
    api = replay_api(APIHUB)
    assert api.dhus_version == "2.4.1"
    assert api.dhus_version == "2.4.1"  # asked once


def test_hub_dhus_version(make_local_hub):
    assert hub_api(make_local_hub(products=1, dhus_version="2.9.0")).dhus_version == "2.9.0"
    with pytest.raises(sentinelsat.SentinelAPIError):
        _ = hub_api(make_local_hub(products=1, dhus_version="")).dhus_version


def test_a_downloaded_hub_product_opens_as_a_zip(local_hub, tmp_path):
    product = next(p for p in local_hub.products if p.platformname == "Sentinel-2")
    info = hub_api(local_hub).download(product.id, str(tmp_path))
    with zipfile.ZipFile(info["path"]) as archive:
        assert archive.testzip() is None
        assert f"{product.identifier}.SAFE/manifest.safe" in archive.namelist()
