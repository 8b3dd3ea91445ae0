"""Searching the local CDSE with SentinelAPI: the same searches against a DHuS hub and a CDSE
serving the same products find the same products in the same order; counts; paging."""

from __future__ import annotations

import pytest
import shapely.wkt

from sentinelsat import SentinelAPI
from sentinelsat.backends.cdse import CDSEBackend
from sentinelsat.exceptions import QueryLengthError
from sentinelsat.testing import LocalCDSE, LocalHub

from .conftest import SPAN, by_server, client

CATALOGUE = {"products": 400, "seed": 11, "date_span": SPAN, "product_size": 2048}


@pytest.fixture(scope="module")
def twins():
    """A DHuS hub and a CDSE with the same 400 products, and a client of each."""
    with LocalHub(**CATALOGUE) as hub, LocalCDSE(**CATALOGUE) as cdse:
        backend = CDSEBackend(cdse.url, token_url=cdse.token_url, download_url=cdse.download_url)
        cdse_api = SentinelAPI(cdse.user, cdse.password, cdse.url, False, backend=backend)
        dhus_api = SentinelAPI(hub.user, hub.password, hub.url, show_progressbars=False)
        yield hub, cdse, dhus_api, cdse_api


def some(twins, attribute):
    """A value of a DHuS attribute that some products have."""
    hub = twins[0]
    return next(p.attributes[attribute] for p in hub.products if attribute in p.attributes)


SEARCHES = {
    "everything": {"ingestiondate": (None, "NOW")},
    "sentinel-2 with little cloud": {"platformname": "Sentinel-2", "cloudcoverpercentage": (0, 30)},
    "cloud, open bound": {"cloudcoverpercentage": (None, 12.5)},
    "GRD": {"producttype": "GRD"},
    "SLC": {"producttype": "SLC"},
    "S2MSI2A": {"producttype": "S2MSI2A"},
    "orbits": {"relativeorbitnumber": (10, 80), "orbitdirection": "ASCENDING"},
    "orbit number": {"orbitnumber": "[10000 TO 40000]"},
    "polarisation VV": {"polarisationmode": "VV"},
    "polarisation HH": {"polarisationmode": "HH"},
    "mode": {"sensoroperationalmode": "IW"},
    "swath": {"swathidentifier": "EW"},
    "sentinel-5p": {"platformname": "Sentinel-5 Precursor"},
    "sentinel-3 descending": {"platformname": "Sentinel-3", "orbitdirection": "descending"},
    "instrument": {"instrumentshortname": "SAR-C SAR"},
    "identifier wildcard": {"identifier": "S2A_MSIL1C*"},
    "identifier inside": {"identifier": "*_1SDV_*"},
    "dates": {"date": ("20240310", "2024-03-20T00:00:00Z")},
    "date math": {"date": ("2024-03-10T00:00:00Z+5DAYS", "2024-03-10T00:00:00Z+20DAYS/DAY")},
    "end dates": {"endposition": "[2024-03-05T00:00:00Z TO 2024-03-09T00:00:00Z}"},
    "ingestion": {"ingestiondate": ("2024-03-20T12:00:00Z", None)},
    "raw": {"raw": "identifier:S1A_* AND producttype:GRD"},
}


def search(api, keywords, **options):
    keywords = dict(keywords)
    return api.query(
        date=keywords.pop("date", None), raw=keywords.pop("raw", None), **options, **keywords
    )


@pytest.mark.parametrize("name", list(SEARCHES))
def test_same_products_in_the_same_order_as_dhus(twins, name):
    _, _, dhus_api, cdse_api = twins
    on_dhus = search(dhus_api, SEARCHES[name])
    on_cdse = search(cdse_api, SEARCHES[name])
    assert on_dhus, f"the catalogue should have products for {name}"
    assert list(on_cdse) == list(on_dhus)


def test_tile_filename_and_uuid(twins):
    hub, _, dhus_api, cdse_api = twins
    product = next(p for p in hub.products if p.platformname == "Sentinel-2")
    tile = product.attributes["tileid"]
    assert list(cdse_api.query(tileid=tile)) == list(dhus_api.query(tileid=tile))
    assert list(cdse_api.query(filename=product.filename)) == [product.id]
    assert list(cdse_api.query(uuid=product.id)) == [product.id]
    assert list(cdse_api.query(identifier=product.identifier)) == [product.id]


@pytest.mark.parametrize("relation", ["Intersects", "Contains", "IsWithin"])
def test_area_relations(twins, relation):
    hub, _, _, cdse_api = twins
    area = shapely.wkt.loads("POLYGON((-70 -12,-70 5,-50 5,-50 -12,-70 -12))")
    big = next(p for p in hub.products if shapely.wkt.loads(p.footprint).area > 300)
    if relation == "Contains":  # an area inside a large footprint
        area = shapely.wkt.loads(big.footprint).centroid.buffer(0.5)
    test = {
        "Intersects": area.intersects,
        "Contains": lambda footprint: footprint.contains(area),
        "IsWithin": area.contains,
    }[relation]
    expected = {p.id for p in hub.products if test(shapely.wkt.loads(p.footprint))}
    found = cdse_api.query(area.wkt, area_relation=relation)
    assert expected and set(found) == expected
    assert cdse_api.count(area.wkt, area_relation=relation) == len(expected)


def test_multipolygon_area(twins):
    hub, _, _, cdse_api = twins
    parts = [(-70, -12, -60, -2), (100, 10, 120, 30)]
    area = shapely.wkt.loads(
        "MULTIPOLYGON("
        + ",".join(f"(({a} {b},{c} {b},{c} {d},{a} {d},{a} {b}))" for a, b, c, d in parts)
        + ")"
    )
    expected = {p.id for p in hub.products if area.intersects(shapely.wkt.loads(p.footprint))}
    assert expected and set(cdse_api.query(area.wkt)) == expected


def test_sets_mean_or(twins):
    hub, _, _, cdse_api = twins
    found = cdse_api.query(producttype={"GRD", "S2MSI2A"}, relativeorbitnumber={10, 20, 30, 40})
    expected = {
        p.id
        for p in hub.products
        if p.producttype in ("GRD", "S2MSI2A")
        and p.attributes.get("relativeorbitnumber") in (10, 20, 30, 40)
    }
    assert set(found) == expected
    assert set(cdse_api.query(producttype=set(), platformname="Sentinel-1")) == {
        p.id for p in hub.products if p.platformname == "Sentinel-1"
    }


def test_several_names_as_the_command_line_writes_them(twins):
    hub, _, _, cdse_api = twins
    names = [p.identifier for p in hub.products[:3]]
    found = cdse_api.query(identifier="({})".format(" OR ".join(names)))
    assert {attributes["identifier"] for attributes in found.values()} == set(names)


@pytest.mark.parametrize(
    "order_by", ["-beginposition", "beginposition", "endposition,-ingestiondate", "-ingestiondate"]
)
def test_server_side_order(twins, order_by):
    _, _, dhus_api, cdse_api = twins
    everything = {"ingestiondate": (None, "NOW")}
    assert list(cdse_api.query(order_by=order_by, **everything)) == list(
        dhus_api.query(order_by=order_by, **everything)
    )


@pytest.mark.parametrize(
    "order_by", ["cloudcoverpercentage", "-cloudcoverpercentage,beginposition"]
)
def test_client_side_order(twins, order_by):
    _, cdse, dhus_api, cdse_api = twins
    keywords = {"platformname": "Sentinel-2"}  # every product has a cloud cover
    expected = list(dhus_api.query(order_by=order_by, **keywords))
    cdse.clear_log()
    assert list(cdse_api.query(order_by=order_by, **keywords)) == expected
    for limit, offset in [(10, 0), (7, 5), (100, len(expected) - 3)]:
        page = cdse_api.query(order_by=order_by, limit=limit, offset=offset, **keywords)
        assert list(page) == expected[offset : offset + limit]
    orders = {r.query.get("$orderby") for r in by_server(cdse, "catalogue")}
    assert orders == {"PublicationDate desc"}  # the server cannot sort by cloud cover


def test_limit_and_offset(twins):
    _, cdse, dhus_api, cdse_api = twins
    everything = {"ingestiondate": (None, "NOW"), "order_by": "-beginposition"}
    ids = list(dhus_api.query(**everything))
    for limit, offset in [(150, 0), (30, 90), (120, 250), (50, len(ids) - 10), (None, 395)]:
        page = cdse_api.query(limit=limit, offset=offset, **everything)
        assert list(page) == ids[offset : None if limit is None else offset + limit]
    cdse.clear_log()
    assert cdse_api.query(limit=0, **everything) == {}
    assert cdse.request_log == []


def test_count(twins):
    hub, cdse, dhus_api, cdse_api = twins
    assert cdse_api.count(ingestiondate=(None, "NOW")) == len(hub.products)
    assert cdse_api.count(platformname="Sentinel-1") == dhus_api.count(platformname="Sentinel-1")
    cdse.clear_log()
    assert cdse_api.count(producttype="GRD", limit=5, order_by="beginposition") == (
        dhus_api.count(producttype="GRD")
    )
    [request] = by_server(cdse, "catalogue")
    assert request.query["$count"] == "true" and request.query["$top"] == "1"


def test_results_have_the_dhus_values(twins):
    _, _, dhus_api, cdse_api = twins
    on_dhus = dhus_api.query(ingestiondate=(None, "NOW"))
    on_cdse = cdse_api.query(ingestiondate=(None, "NOW"))
    same = [
        "title", "identifier", "filename", "uuid", "beginposition", "endposition",
        "ingestiondate", "platformname", "producttype", "instrumentshortname", "orbitnumber",
        "relativeorbitnumber", "cloudcoverpercentage", "polarisationmode", "swathidentifier",
        "tileid", "size", "summary", "slicenumber", "missiondatatakeid", "productclass",
    ]  # fmt: skip
    for product_id, dhus in on_dhus.items():
        cdse = on_cdse[product_id]
        for key in same:
            assert cdse.get(key) == dhus.get(key), (key, product_id)
        if "orbitdirection" in dhus:  # S3 in lower case on DHuS, in upper case on CDSE
            assert cdse["orbitdirection"] == dhus["orbitdirection"].upper()
        assert shapely.wkt.loads(cdse["footprint"]).equals_exact(
            shapely.wkt.loads(dhus["footprint"]), 1e-6
        )
        if "platformserialidentifier" in dhus and dhus["platformname"] != "Sentinel-5 Precursor":
            assert cdse["platformserialidentifier"] == dhus["platformserialidentifier"]


def test_conversions_work_on_cdse_results(twins, tmp_path):
    _, _, _, cdse_api = twins
    products = cdse_api.query(platformname="Sentinel-2")
    frame = cdse_api.to_dataframe(products)
    assert list(frame.index) == list(products) and "cloudCover" in frame
    geoframe = cdse_api.to_geodataframe(products)
    assert len(geoframe) == len(products) and geoframe.geometry.notna().all()
    assert len(cdse_api.to_geojson(products)["features"]) == len(products)
    assert cdse_api.get_products_size(products) >= 0


def test_the_query_is_remembered_as_in_013(twins):
    _, _, _, cdse_api = twins
    cdse_api.query(platformname="Sentinel-2", tileid="21MQA")
    assert "tileId" in cdse_api._last_query
    assert cdse_api._last_response.status_code == 200


def test_unsupported_keywords_are_refused_before_sending(cdse, api):
    with pytest.raises(ValueError, match="'creationdate' has no OData translation"):
        api.query(creationdate=("NOW-1DAY", "NOW"))
    with pytest.raises(ValueError, match="no OData translation"):
        api.query(raw="platformname:Sentinel-1 OR producttype:GRD")
    assert cdse.request_log == []


def test_a_filter_longer_than_the_server_takes(make_local_cdse, monkeypatch):
    cdse = make_local_cdse(products=5, max_filter_length=300)
    api = client(cdse, monkeypatch)
    with pytest.raises(QueryLengthError) as error:
        api.query(identifier={f"S1A_{index:040d}" for index in range(10)})
    assert error.value.response.status_code == 414


# ---------------------------------------------------------------------- paging
@pytest.fixture(scope="module")
def paged():
    """2,500 products: three pages of 1000."""
    with LocalCDSE(products=2500, seed=4, date_span=SPAN, product_size=1024) as cdse:
        backend = CDSEBackend(cdse.url, token_url=cdse.token_url, download_url=cdse.download_url)
        yield cdse, SentinelAPI(cdse.user, cdse.password, cdse.url, False, backend=backend)


def expected_order(cdse, key=lambda entry: entry.publication_date, descending=True):
    """The ids in the order of a sort field, ties by id (as the server orders them)."""
    entries = sorted(cdse.entries, key=lambda entry: entry.id)
    return [entry.id for entry in sorted(entries, key=key, reverse=descending)]


def test_pages_of_1000_fetched_concurrently_in_order(paged):
    cdse, api = paged
    cdse.clear_log()
    found = api.query()
    assert list(found) == expected_order(cdse)
    pages = sorted(
        (int(r.query.get("$skip", 0)), int(r.query["$top"])) for r in by_server(cdse, "catalogue")
    )
    assert pages == [(0, 1000), (1000, 1000), (2000, 500)]
    first = min(by_server(cdse, "catalogue"), key=lambda r: r.time)
    assert first.query.get("$count") == "true" and "$skip" not in first.query


def test_paging_with_limit_and_offset(paged):
    cdse, api = paged
    ids = expected_order(cdse)
    cdse.clear_log()
    page = api.query(limit=1500, offset=700)
    assert list(page) == ids[700:2200]
    pages = sorted(
        (int(r.query["$skip"]), int(r.query["$top"])) for r in by_server(cdse, "catalogue")
    )
    assert pages == [(700, 1000), (1700, 500)]


def test_one_page_at_a_time(paged):
    cdse, api = paged
    api.query_concurrency = 1
    try:
        assert list(api.query(order_by="beginposition")) == expected_order(
            cdse, lambda entry: entry.content_start, descending=False
        )
    finally:
        api.query_concurrency = 4
