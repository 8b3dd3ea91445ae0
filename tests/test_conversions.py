"""to_geojson, to_dataframe, to_geodataframe and get_products_size on recorded results."""

import json
from datetime import datetime

import pytest
from kit import recordings

from sentinelsat import SentinelAPI, geojson_to_wkt, read_geojson


@pytest.fixture
def products(api, fixture_path):
    area = geojson_to_wkt(read_geojson(fixture_path("map.geojson")))
    with recordings.use_cassette("dhus-2018/test_footprints_s1.yaml"):
        return api.query(area, ("20141010", "20141231"), producttype="GRD")


def test_to_geojson(products):
    collection = SentinelAPI.to_geojson(products)
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == len(products) > 0
    json.dumps(collection)  # serialisable as it is
    for number, (feature, (product_id, attributes)) in enumerate(
        zip(collection["features"], products.items())
    ):
        assert feature["id"] == number  # as in 0.13: the features are numbered
        assert feature["properties"]["id"] == product_id
        assert feature["properties"]["title"] == attributes["title"]
        assert feature["properties"]["beginposition"] == attributes["beginposition"].strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ"
        )
        assert "footprint" not in feature["properties"]
        assert "gmlfootprint" not in feature["properties"]
        assert feature["geometry"]["type"] == "Polygon"
        # footprint "POLYGON ((lon lat,...))" from the server, read back from the geometry
        first_lon, first_lat = attributes["footprint"].split("((")[1].split(",")[0].split()
        assert feature["geometry"]["coordinates"][0][0] == [float(first_lon), float(first_lat)]


def test_to_geojson_empty():
    assert SentinelAPI.to_geojson({}) == {"type": "FeatureCollection", "features": []}


def test_to_dataframe(products):
    frame = SentinelAPI.to_dataframe(products)
    assert list(frame.index) == list(products)
    assert set(frame.columns) >= {"title", "footprint", "beginposition", "size"}
    first_id = next(iter(products))
    assert frame.loc[first_id, "title"] == products[first_id]["title"]
    assert isinstance(frame.loc[first_id, "beginposition"], datetime)


def test_to_geodataframe(products):
    import shapely.wkt

    frame = SentinelAPI.to_geodataframe(products)
    assert frame.crs.to_epsg() == 4326
    assert list(frame.index) == list(products)
    for product_id, attributes in products.items():
        assert frame.geometry[product_id].equals(shapely.wkt.loads(attributes["footprint"]))
    assert "footprint" not in frame.columns and "gmlfootprint" not in frame.columns  # as in 0.13


def test_to_geodataframe_empty():
    frame = SentinelAPI.to_geodataframe({})
    assert len(frame) == 0
    assert frame.crs.to_epsg() == 4326
    assert type(frame).__name__ == "GeoDataFrame"


def test_get_products_size(api, fixture_path):
    area = geojson_to_wkt(read_geojson(fixture_path("map.geojson")))
    with recordings.use_cassette("dhus-2018/test_returned_filesize.yaml"):
        one = api.query(area, ("20141205", "20141208"), producttype="GRD")
        many = api.query(area, ("20170101", "20170105"), producttype="GRD")
    # sizes read off the recorded responses: one product of '507 MB'; 18 products of
    # 7 x 1.61 GB, 492.88 MB, 7 x 1.6 GB and 3 x 1.62 GB
    assert SentinelAPI.get_products_size(one) == round(507 / 1024, 2)
    assert SentinelAPI.get_products_size(many) == round(
        7 * 1.61 + 492.88 / 1024 + 7 * 1.6 + 3 * 1.62, 2
    )
    assert SentinelAPI.get_products_size({}) == 0


def test_optional_dependency_message(monkeypatch, products):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "geopandas":
            raise ImportError("No module named geopandas")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match="pip install geopandas"):
        SentinelAPI.to_geodataframe(products)
