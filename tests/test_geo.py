"""GeoJSON reading and conversion to the compact WKT the server expects."""

import json

import pytest

from sentinelsat import geojson_to_wkt, read_geojson

MAP_WKT = (
    "POLYGON((-66.2695 -8.0592,-66.2695 0.7031,-57.3047 0.7031,-57.3047 -8.0592,-66.2695 -8.0592))"
)


@pytest.mark.parametrize("name", ["map.geojson", "map_z.geojson", "map_nested.geojson"])
def test_recorded_area_of_interest(fixture_path, name):
    # the footprint string of the recorded searches (e.g. dhus-2018/test_s2_cloudcover.yaml)
    assert geojson_to_wkt(read_geojson(fixture_path(name))) == MAP_WKT


def test_feature_collection_picks_feature(fixture_path):
    collection = read_geojson(fixture_path("map_collection.geojson"))
    assert len(collection["features"]) > 1
    first = geojson_to_wkt(collection)
    assert first == geojson_to_wkt(collection["features"][0])
    second = geojson_to_wkt(collection, feature_number=1)
    assert second == geojson_to_wkt(collection["features"][1]["geometry"])
    assert first != second


def test_decimals():
    point = {"type": "Point", "coordinates": [12.3456789, -45.6789]}
    assert geojson_to_wkt(point, decimals=2) == "POINT(12.35 -45.68)"
    assert geojson_to_wkt(point, decimals=6) == "POINT(12.345679 -45.6789)"
    assert geojson_to_wkt({"type": "Point", "coordinates": [1, -0.00001]}) == "POINT(1 0)"


def test_other_geometries():
    multi = {
        "type": "MultiPolygon",
        "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]], [[[2, 2], [3, 2], [3, 3], [2, 2]]]],
    }
    assert geojson_to_wkt(multi) == "MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((2 2,3 2,3 3,2 2)))"
    line = {"type": "LineString", "coordinates": [[0.5, 0.25, 10], [1, 2, 20]]}
    assert geojson_to_wkt(line) == "LINESTRING(0.5 0.25,1 2)"


@pytest.mark.parametrize(
    "name, bad_value",
    [("map_boundaries_lat.geojson", "-266.269"), ("map_boundaries_lon.geojson", "90.703")],
)
def test_coordinates_out_of_bounds(fixture_path, name, bad_value):
    with pytest.raises(ValueError, match="out of bounds") as error:
        geojson_to_wkt(read_geojson(fixture_path(name)))
    assert bad_value in str(error.value)


@pytest.mark.parametrize(
    "obj",
    [
        None,
        [],
        {"type": "FeatureCollection", "features": []},
        {"type": "Feature", "geometry": None},
        {"type": "Polygon", "coordinates": []},
        {"type": "Point", "coordinates": ["a", 1]},
        {"type": "Point", "coordinates": [float("nan"), 1]},
        {"type": "Point", "coordinates": [1e300, 1]},
        {"type": "Point", "coordinates": [1]},
        {"type": "Circle", "coordinates": [1, 2]},
        {"type": "GeometryCollection", "geometries": []},
    ],
)
def test_invalid_geojson(obj):
    with pytest.raises(ValueError):
        geojson_to_wkt(obj)


def test_feature_number_out_of_range(fixture_path):
    with pytest.raises(ValueError, match="out of range"):
        geojson_to_wkt(read_geojson(fixture_path("map.geojson")), feature_number=5)


def test_read_geojson_invalid_json(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "Feature", ')
    with pytest.raises(ValueError):
        read_geojson(str(path))


def test_read_geojson_round_trip(tmp_path):
    data = {"type": "Point", "coordinates": [1.5, 2.5]}
    path = tmp_path / "point.geojson"
    path.write_text(json.dumps(data))
    assert read_geojson(path) == data
