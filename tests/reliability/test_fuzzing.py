"""Bad input: only ValueError or SentinelAPIError (with a message) may come out, quickly.

Hypothesis runs with the fixed, derandomised profile registered in tests/conftest.py.
"""

import copy
import json
import math
import os
import posixpath
from datetime import date, datetime

import pytest
import requests
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from kit import CASSETTES
from requests.structures import CaseInsensitiveDict

from sentinelsat import (
    SentinelAPI,
    SentinelAPIError,
    format_query_date,
    geojson_to_wkt,
    read_geojson,
)
from sentinelsat.backends.dhus import classify_refusal, parse_page
from sentinelsat.files import PARTIAL_SUFFIX, extension_for, filename_from_disposition, safe_name
from sentinelsat.parsing import parse_odata_response, parse_opensearch_response
from sentinelsat.sessions import decode_json, server_message

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
query_values = (
    json_scalars
    | st.datetimes()
    | st.dates()
    | st.tuples(json_scalars | st.datetimes(), json_scalars | st.datetimes())
    | st.lists(json_scalars, max_size=3)
    | st.binary(max_size=8)
)
keyword_names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,15}", fullmatch=True).filter(
    lambda name: name not in ("area", "date", "raw", "area_relation")
)


def expect_clean_failure(function, *args, **kwargs):
    """Call; a failure must be a ValueError or SentinelAPIError with a message."""
    try:
        return function(*args, **kwargs)
    except (ValueError, SentinelAPIError) as error:
        assert str(error).strip(), "an error without a message"
        return error


@given(
    area=st.none() | st.text(max_size=40),
    date=st.none() | query_values | st.text(max_size=30),
    raw=st.none() | st.text(max_size=30),
    relation=st.sampled_from(["Intersects", "contains", "IsWithin", "Within", "", "x"]),
    keywords=st.dictionaries(keyword_names, query_values, max_size=4),
)
def test_format_query(area, date, raw, relation, keywords):
    result = expect_clean_failure(SentinelAPI.format_query, area, date, raw, relation, **keywords)
    assert isinstance(result, (str, ValueError))


@given(
    value=query_values
    | st.text(max_size=40)
    | st.from_regex(r"NOW([+-]\d{1,3}[A-Z]{3,7})*(/[A-Z]{3,6})?")
)
def test_format_query_date(value):
    result = expect_clean_failure(format_query_date, value)
    if isinstance(result, str):
        assert result == result.strip() and result


coordinates = (
    st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(-(10**6), 10**6)
    | st.text(max_size=3)
)
positions = st.lists(coordinates, max_size=4)
geometries = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            [
                "Point",
                "MultiPoint",
                "LineString",
                "Polygon",
                "MultiPolygon",
                "GeometryCollection",
                "Nope",
            ]
        ),
        "coordinates": st.recursive(
            positions, lambda inner: st.lists(inner, max_size=3), max_leaves=12
        ),
    }
)
geojson_objects = (
    geometries
    | st.fixed_dictionaries({"type": st.just("Feature"), "geometry": geometries | json_values})
    | st.fixed_dictionaries(
        {
            "type": st.just("FeatureCollection"),
            "features": st.lists(
                st.fixed_dictionaries({"type": st.just("Feature"), "geometry": geometries}),
                max_size=3,
            ),
        }
    )
    | json_values
)


@given(obj=geojson_objects, feature_number=st.integers(-3, 3), decimals=st.integers(-2, 20))
@example({"type": "FeatureCollection", "features": []}, 0, 7)
@example({"type": "GeometryCollection", "geometries": []}, 0, 7)
@example({"type": "Polygon", "coordinates": []}, 0, 7)
@example({"type": "MultiPolygon", "coordinates": [[[]]]}, 0, 7)
@example({"type": "Point", "coordinates": [1e308, -1e308]}, 0, 7)
@example({"type": "Point", "coordinates": [1e308 * 10, 0]}, 0, 7)
@example({"type": "LineString", "coordinates": [[0, float("nan")], [1, 1]]}, 0, 7)
@example({"type": "Point", "coordinates": ["1", "2"]}, 0, 7)
@example({"type": "Feature", "geometry": None}, 0, 7)
@example([], 0, 7)
def test_geojson_to_wkt(obj, feature_number, decimals):
    result = expect_clean_failure(geojson_to_wkt, obj, feature_number, decimals)
    if isinstance(result, str):
        assert "nan" not in result.lower() and "inf" not in result.lower()


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_read_geojson(tmp_path, content):
    path = tmp_path / "area.geojson"
    path.write_bytes(content)
    result = expect_clean_failure(read_geojson, str(path))
    if not isinstance(result, Exception):
        expect_clean_failure(geojson_to_wkt, result)


def _recorded_bodies(cassette):
    interactions = yaml.safe_load((CASSETTES / cassette).read_text())["interactions"]
    return [
        json.loads(i["response"]["body"]["string"])
        for i in interactions
        if i["response"]["status"]["code"] == 200
        and "json" in str(i["response"]["headers"]).lower()
    ]


SEARCH_BODIES = (
    _recorded_bodies("dhus-2018/test_s2_cloudcover.yaml")
    + _recorded_bodies("dhus-2018/test_name_search.yaml")
    + _recorded_bodies("dhus-2018/test_invalid_query.yaml")
)
ODATA_BODIES = (
    _recorded_bodies("dhus-2018/test_get_product_odata_short.yaml")
    + _recorded_bodies("dhus-2023/test_get_product_odata_full.yaml")[:1]
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, prefix + (index,))


@st.composite
def mutated(draw, bodies):
    body = copy.deepcopy(draw(st.sampled_from(bodies)))
    for _ in range(draw(st.integers(1, 4))):
        paths = [path for path in _paths(body) if path]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = body
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return body


@given(body=mutated(SEARCH_BODIES))
def test_opensearch_parser_on_mutated_responses(body):
    result = expect_clean_failure(parse_opensearch_response, body)
    if isinstance(result, tuple):
        total, products = result
        assert total >= 0 and all(isinstance(pid, str) for pid, _ in products)


@given(body=mutated(ODATA_BODIES), full=st.booleans())
def test_odata_parser_on_mutated_responses(body, full):
    result = expect_clean_failure(parse_odata_response, body, full)
    if isinstance(result, dict):
        assert "id" in result


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_coordinates(value):
    with pytest.raises(ValueError):
        geojson_to_wkt({"type": "Point", "coordinates": [value, 0]})


def test_dates_and_datetimes_are_accepted():
    assert format_query_date(date(2020, 1, 1)) == "2020-01-01T00:00:00Z"
    assert format_query_date(datetime(2020, 1, 1, 1, 2, 3)) == "2020-01-01T01:02:03Z"


# ---------------------------------------------------------------------------- raw responses
def _recorded_texts(cassette):
    interactions = yaml.safe_load((CASSETTES / cassette).read_text())["interactions"]
    return [
        i["response"]["body"]["string"].encode("utf-8")
        for i in interactions
        if i["response"]["status"]["code"] == 200
        and "json" in str(i["response"]["headers"]).lower()
    ]


SEARCH_TEXTS = _recorded_texts("dhus-2018/test_s2_cloudcover.yaml")[:1] + _recorded_texts(
    "dhus-2018/test_name_search.yaml"
)
ODATA_TEXTS = _recorded_texts("dhus-2018/test_get_product_odata_short.yaml")


def fake_response(status, body, headers=None):
    response = requests.Response()
    response.status_code, response._content, response.url = status, body, "http://127.0.0.1/"
    response._content_consumed = True  # as after requests has read the body
    response.headers = CaseInsensitiveDict(headers or {"Content-Type": "application/json"})
    response.reason = "Reason"
    return response


@st.composite
def byte_mutations(draw, texts):
    """A recorded body with bytes flipped, cut out, inserted or the whole cut short."""
    data = bytearray(draw(st.sampled_from(texts)))
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        if kind == "flip":
            data[at] = draw(st.integers(0, 255))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[at:at] = draw(
                st.sampled_from(
                    [b"{", b"}", b"[", b"]", b'"', b",", b":", b"null", b"-1e999", b"\\u0000"]
                )
            )
        else:
            del data[at:]
    return bytes(data)


@given(body=byte_mutations(SEARCH_TEXTS))
def test_search_page_from_mutated_bytes(body):
    result = expect_clean_failure(parse_page, "*", fake_response(200, body))
    if isinstance(result, tuple):
        assert result[0] >= 0


@given(body=byte_mutations(ODATA_TEXTS), full=st.booleans())
def test_odata_from_mutated_bytes(body, full):
    result = expect_clean_failure(
        lambda: parse_odata_response(decode_json(fake_response(200, body)), full)
    )
    if isinstance(result, dict):
        assert "id" in result


# ---------------------------------------------------------------------------- error pages
error_bodies = (
    st.binary(max_size=300)
    | st.text(max_size=300).map(lambda t: t.encode("utf-8"))
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.text(max_size=200).map(
        lambda t: f"<html><body><h1>{t}</h1><p>{t[::-1]}</p></body></html>".encode()
    )
    | st.text(max_size=100).map(
        lambda t: f'<?xml version="1.0"?><error><message>{t}</message></error>'.encode()
    )
)
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=80)


@given(
    status=st.integers(400, 599),
    body=error_bodies,
    offline=st.booleans(),
    content_type=st.sampled_from(
        ["text/html", "application/json", "application/xml", "text/plain", ""]
    ),
    cause=st.none() | header_text,
)
def test_any_error_page_gives_a_message(status, body, offline, content_type, cause):
    headers = {"Content-Type": content_type}
    if cause is not None:
        headers["cause-message"] = cause
    response = fake_response(status, body, headers)
    message = server_message(response)
    assert isinstance(message, str)  # verbatim, as in 0.13: empty for an empty page
    error = classify_refusal(response, offline)
    assert isinstance(error, SentinelAPIError) and str(error).strip()


# ---------------------------------------------------------------------------- names from the server
hostile_text = st.lists(
    st.characters(blacklist_categories=("Cs",))
    | st.sampled_from(["/", "\\", "..", ".", "\x00", "\n", ":", "~", ".zip"]),
    max_size=30,
).map("".join)
dispositions = (
    st.none()
    | hostile_text.map(lambda n: 'inline;filename="{}"'.format(n.replace('"', "")))
    | hostile_text.map(
        lambda n: "attachment; filename*=UTF-8''{}".format(requests.utils.quote(n, safe=""))
    )
    | hostile_text
)


@given(title=st.none() | hostile_text, fallback=hostile_text, disposition=dispositions)
@example(title="../../etc/passwd", fallback="x", disposition='inline;filename="../../.bashrc"')
@example(title="..", fallback="..", disposition='inline;filename="/abs/x.zip"')
@example(title="", fallback="", disposition=None)
def test_file_names_from_the_server_stay_in_the_directory(title, fallback, disposition):
    directory = "/data/downloads"
    name = safe_name(title, fallback)
    server_filename = filename_from_disposition(disposition)
    extension = extension_for(title, server_filename)
    for path in (
        os.path.join(directory, name + extension),
        os.path.join(directory, name + extension + PARTIAL_SUFFIX),
    ):
        assert posixpath.dirname(posixpath.normpath(path)) == directory
    assert name and not name.startswith(".") and len(name) <= 200
    assert not any(ord(c) < 32 or c in "/\\" for c in name + extension)
