"""0.13 guarantee: query results and their conversions have 0.13's values and types.

The expected values are read straight from the recorded OpenSearch feed with the rules of
0.13 (``date`` → ``datetime``, ``int``/``long`` → ``int``, ``float``/``double`` → ``float``,
everything else a string; links as ``link``/``link_<rel>``), not from the code under test.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import geojson
import pytest
import shapely.wkt
import yaml
from kit import CASSETTES, recordings

from sentinelsat import SentinelAPI

MAP_AREA = (
    "POLYGON((-66.2695 -8.0592,-66.2695 0.7031,-57.3047 0.7031,-57.3047 -8.0592,-66.2695 -8.0592))"
)
CONVERTERS = {"date": "date", "int": int, "long": int, "float": float, "double": float}


def _iso(text: str) -> datetime:
    layout = "%Y-%m-%dT%H:%M:%S.%fZ" if "." in text else "%Y-%m-%dT%H:%M:%SZ"
    return datetime.strptime(text, layout)


def expected_products() -> dict[str, dict]:
    """The recorded feed of test_footprints_s1, converted by 0.13's rules."""
    cassette = yaml.safe_load((CASSETTES / "dhus-2018/test_footprints_s1.yaml").read_text())
    body = cassette["interactions"][0]["response"]["body"]["string"]
    entries = json.loads(body)["feed"]["entry"]
    products = {}
    for entry in entries:
        values = {}
        for key, value in entry.items():
            if key == "id":
                continue
            if isinstance(value, str):
                values[key] = value
            elif key == "link":
                for link in value if isinstance(value, list) else [value]:
                    values["link_" + link["rel"] if "rel" in link else "link"] = link["href"]
            else:
                convert = CONVERTERS.get(key, str)
                for item in value if isinstance(value, list) else [value]:
                    content = item["content"]
                    values[item["name"]] = _iso(content) if convert == "date" else convert(content)
        products[entry["id"]] = values
    return products


@pytest.fixture(scope="module")
def products():
    api = SentinelAPI("mock_user", "mock_password", show_progressbars=False)
    with recordings.use_cassette("dhus-2018/test_footprints_s1.yaml"):
        return api.query(MAP_AREA, ("20141010", "20141231"), producttype="GRD")


def test_query_values_and_types_are_0_13s(products):
    expected = expected_products()
    assert list(products) == list(expected)
    for product_id, attributes in products.items():
        assert attributes == expected[product_id]
        for key, value in attributes.items():
            assert type(value) is type(expected[product_id][key]), key


def test_to_geojson_writes_utc_dates_with_z_and_numbers_the_features(products):
    collection = SentinelAPI.to_geojson(products)
    expected = expected_products()
    assert [feature["id"] for feature in collection["features"]] == list(range(len(expected)))
    for feature, (product_id, values) in zip(collection["features"], expected.items()):
        properties = feature["properties"]
        want = {
            key: value.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if isinstance(value, datetime) else value
            for key, value in values.items()
            if key not in ("footprint", "gmlfootprint")
        }
        want["id"] = product_id
        assert properties == want
        shape = shapely.geometry.shape(feature["geometry"])
        assert shape.equals(shapely.wkt.loads(values["footprint"]))
    # written and read back, a date is UTC (a string without the Z would be local time)
    again = geojson.loads(geojson.dumps(collection))
    begin = again["features"][0]["properties"]["beginposition"]
    assert begin.endswith("Z")
    parsed = datetime.strptime(begin, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert parsed.replace(tzinfo=None) == next(iter(expected.values()))["beginposition"]


def test_to_dataframe_types(products):
    frame = SentinelAPI.to_dataframe(products)
    expected = expected_products()
    assert list(frame.index) == list(expected)
    assert frame.index.name is None
    first = next(iter(expected))
    for key, value in expected[first].items():
        cell = frame.loc[first, key]
        if isinstance(value, datetime):
            assert str(frame[key].dtype).startswith("datetime64") and cell == value
        elif isinstance(value, float):
            assert frame[key].dtype == "float64" and cell == value
        elif isinstance(value, int):
            assert frame[key].dtype == "int64" and cell == value
        else:
            assert cell == value


def test_to_geodataframe_drops_the_footprint_columns(products):
    frame = SentinelAPI.to_geodataframe(products)
    columns = set(SentinelAPI.to_dataframe(products).columns) - {"footprint", "gmlfootprint"}
    assert set(frame.columns) == columns | {"geometry"}
    assert frame.crs.to_epsg() == 4326
    expected = expected_products()
    for product_id, values in expected.items():
        assert frame.geometry[product_id].equals(shapely.wkt.loads(values["footprint"]))
