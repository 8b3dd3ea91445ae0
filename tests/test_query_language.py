"""The query language: format_query, format_query_date, order_by and query length."""

from datetime import date, datetime, timedelta, timezone
from urllib.parse import quote_plus

import pytest

from sentinelsat import SentinelAPI, format_query_date
from sentinelsat.query import format_order_by, plan_pages

format_query = SentinelAPI.format_query
AOI = "POLYGON((0 0,1 1,0 1,0 0))"


# ----------------------------------------------------------------------------- dates
@pytest.mark.parametrize(
    "value, expected",
    [
        (datetime(2015, 1, 2, 3, 4, 5, 678000), "2015-01-02T03:04:05Z"),
        (date(2015, 1, 2), "2015-01-02T00:00:00Z"),
        ("20150102", "2015-01-02T00:00:00Z"),
        ("2015-01-02", "2015-01-02T00:00:00Z"),
        ("2015-01-02T03:04:05Z", "2015-01-02T03:04:05Z"),
        ("2015-01-02T03:04:05.678Z", "2015-01-02T03:04:05.678Z"),
        ("NOW", "NOW"),
        ("NOW-1DAY", "NOW-1DAY"),
        ("NOW-1DAYS", "NOW-1DAYS"),
        ("NOW-500DAYS", "NOW-500DAYS"),
        ("NOW-2MONTH", "NOW-2MONTH"),
        ("NOW-20MINUTES", "NOW-20MINUTES"),
        ("NOW+10HOUR", "NOW+10HOUR"),
        ("NOW+3MONTHS-7DAYS/DAYS", "NOW+3MONTHS-7DAYS/DAYS"),
        ("NOW/DAY", "NOW/DAY"),
        ("2015-01-01T00:00:00Z+1DAY", "2015-01-01T00:00:00Z+1DAY"),
        ("  NOW-1HOUR ", "NOW-1HOUR"),
        ("*", "*"),
        (None, "*"),
    ],
)
def test_format_query_date_accepts(value, expected):
    assert format_query_date(value) == expected


def test_format_query_date_converts_aware_datetimes_to_utc():
    aware = datetime(2015, 1, 2, 3, 0, tzinfo=timezone(timedelta(hours=2)))
    assert format_query_date(aware) == "2015-01-02T01:00:00Z"


@pytest.mark.parametrize(
    "value",
    [
        "NOW - 1HOUR",
        "NOW -   1HOURS",
        "NOW-1 HOURS",
        "NOW-1",
        "NOW-",
        "**",
        "+",
        "-",
        "",
        "now",
        "NOW-1WEEK",
        "20151340",
        "2015-13-01",
        "1/1/2015",
        "2015-01-01T00:00:00",
        20150101,
        1.5,
    ],
)
def test_format_query_date_rejects_malformed(value):
    with pytest.raises(ValueError):
        format_query_date(value)


# ----------------------------------------------------------------------------- format_query
def test_recorded_query_with_area_and_date():
    # the exact string a real server accepted (dhus-2018/test_small_query.yaml)
    query = format_query(AOI, ("20150101", "20150102"))
    assert query == (
        "beginPosition:[2015-01-01T00:00:00Z TO 2015-01-02T00:00:00Z] "
        'footprint:"Intersects(POLYGON((0 0,1 1,0 1,0 0)))"'
    )


def test_keywords_sorted_then_raw_then_footprint():
    query = format_query(
        AOI,
        ("NOW-1DAY", "NOW"),
        raw="filename:S2A*",
        producttype="GRD",
        cloudcoverpercentage=(0, 10),
    )
    assert query == (
        "beginPosition:[NOW-1DAY TO NOW] cloudcoverpercentage:[0 TO 10] producttype:GRD "
        'filename:S2A* footprint:"Intersects(POLYGON((0 0,1 1,0 1,0 0)))"'
    )


def test_no_keywords_gives_empty_query():
    assert format_query() == ""
    assert format_query(date=(None, None)) == ""


@pytest.mark.parametrize("relation", ["Intersects", "contains", "ISWITHIN", "IsWithin"])
def test_area_relation_emitted_as_given(relation):
    assert format_query(AOI, area_relation=relation) == f'footprint:"{relation}({AOI})"'


@pytest.mark.parametrize("relation", ["Intersection", "within", "", None])
def test_unknown_area_relation(relation):
    with pytest.raises(ValueError):
        format_query(AOI, area_relation=relation)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"platformname": "a", "PlatformName": "b"},
        {"date": ("NOW-1DAY", "NOW"), "beginPosition": ("NOW-1DAY", "NOW")},
        {"date": ("NOW-1DAY", "NOW"), "beginposition": "[NOW-1DAY TO NOW]"},
        {"area": AOI, "footprint": '"Intersects(POLYGON((0 0,1 1,0 1,0 0)))"'},
        {"area": AOI, "FOOTPRINT": "x"},
    ],
)
def test_duplicate_keywords(kwargs):
    with pytest.raises(ValueError, match="duplicate"):
        format_query(**kwargs)


def test_ranges():
    assert format_query(orbitnumber=(16302, None)) == "orbitnumber:[16302 TO *]"
    assert format_query(orbitnumber=(None, 16302)) == "orbitnumber:[* TO 16302]"
    assert format_query(orbitnumber=["*", 5]) == "orbitnumber:[* TO 5]"
    assert format_query(orbitnumber=(None, None)) == ""
    assert format_query(orbitnumber=("*", "*"), producttype="SLC") == "producttype:SLC"


@pytest.mark.parametrize("value", [(1,), (1, 2, 3), ()])
def test_range_with_wrong_length(value):
    with pytest.raises(ValueError):
        format_query(orbitnumber=value)


def test_date_keywords_take_intervals():
    assert (
        format_query(ingestiondate=(date(2017, 1, 1), "NOW"), endposition="[NOW-1DAY TO NOW]")
        == "endposition:[NOW-1DAY TO NOW] ingestiondate:[2017-01-01T00:00:00Z TO NOW]"
    )
    assert format_query(IngestionDate=(None, "NOW-1YEAR")) == "IngestionDate:[* TO NOW-1YEAR]"
    assert format_query(creationdate="{NOW-1DAY TO *}") == "creationdate:{NOW-1DAY TO *}"
    assert format_query(date=(None, None)) == ""


@pytest.mark.parametrize(
    "kwargs",
    [
        {"date": "20150101"},
        {"date": datetime(2015, 1, 1)},
        {"ingestiondate": "NOW"},
        {"endposition": 5},
        {"date": ("NOW - 1DAY", "NOW")},
        {"date": "[NOW - 1DAY TO NOW]"},
        {"beginposition": ("NOW",)},
    ],
)
def test_date_keywords_reject_other_values(kwargs):
    with pytest.raises(ValueError):
        format_query(**kwargs)


def test_string_values_trimmed_and_spaces_escaped():
    # the escaped form a real server accepted (dhus-2018/test_api_query_format_escape_spaces.yaml)
    assert format_query(timeliness=" Non Time Critical ") == r"timeliness:Non\ Time\ Critical"
    assert format_query(timeliness="a\tb\nc") == r"timeliness:a\ b\ c"


@pytest.mark.parametrize("value", ["[0 TO 10]", "{0 TO 10}", "/S[123 ]A.*/", "(A OR B)"])
def test_wrapped_values_left_alone(value):
    assert format_query(keyword=" " + value + " ") == "keyword:" + value


def test_non_string_values():
    assert format_query(relativeorbitnumber=70, cloudcoverpercentage=1.5, online=True) == (
        "cloudcoverpercentage:1.5 online:true relativeorbitnumber:70"
    )


def test_unicode_values_kept():
    assert format_query(filename="é*ß") == "filename:é*ß"


def test_raw_only():
    assert (
        format_query(raw=" identifier:S1A*") == " identifier:S1A*"
    )  # as given, like the recordings


# ----------------------------------------------------------------------------- order_by
@pytest.mark.parametrize(
    "value, expected",
    [
        ("cloudcoverpercentage, -beginposition", "cloudcoverpercentage asc,beginposition desc"),
        ("+ingestiondate", "ingestiondate asc"),
        ("-size", "size desc"),
    ],
)
def test_order_by(value, expected):
    assert format_order_by(value) == expected


@pytest.mark.parametrize("value", ["", ",", "a,,b", "a b", "--a", "a;drop", "a desc"])
def test_order_by_malformed(value):
    with pytest.raises(ValueError):
        format_order_by(value)


# ----------------------------------------------------------------------------- query length
def _java_urlencoded_length(query):
    # independent reference: Python's quote_plus keeps '~' and encodes '*', Java does the opposite
    return len(quote_plus(query, safe="*").replace("~", "%7E"))


@pytest.mark.parametrize(
    "query", ["a_-.*:,?+~!", "beginPosition:[NOW TO NOW]", "äöü €", "x" * 3938]
)
def test_check_query_length_matches_java_url_encoding(query):
    assert SentinelAPI.check_query_length(query) == pytest.approx(
        _java_urlencoded_length(query) / 3938
    )


def test_check_query_length_limit():
    assert SentinelAPI.check_query_length("a" * 3938) == 1.0
    assert SentinelAPI.check_query_length(":" * 1313) == pytest.approx(3939 / 3938)


# ----------------------------------------------------------------------------- paging plan
@pytest.mark.parametrize(
    "total, offset, limit, expected",
    [
        (290, 0, None, [(0, 100), (100, 100), (200, 100)]),
        (290, 0, 150, [(0, 100), (100, 50)]),
        (290, 90, 20, [(90, 20)]),
        (290, 280, 20, [(280, 20)]),
        (290, 300, None, []),
        (0, 0, None, []),
        (100, 0, None, [(0, 100)]),
        (101, 0, None, [(0, 100), (100, 100)]),
        (500, 50, 0, []),
    ],
)
def test_plan_pages(total, offset, limit, expected):
    assert plan_pages(total, offset, limit, 100) == expected
