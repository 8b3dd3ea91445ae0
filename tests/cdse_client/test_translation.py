"""The translation of sentinelsat 0.13 searches into CDSE ``$filter`` expressions (pure
functions, no server). Every filter produced is also parsed by the local CDSE's parser of
the documented grammar, so that a typo in the syntax cannot pass."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from sentinelsat.backends.cdse_query import (
    KEYWORDS,
    attribute_clause,
    format_datetime,
    parse_raw,
    plan_order,
    resolve_date,
    sort_results,
    translate,
    window_clause,
)
from sentinelsat.exceptions import EmptyQueryValueError
from sentinelsat.testing.cdse.filters import parse

NOW = datetime(2024, 3, 31, 12, 30, 15, 250000)


def odata(**keywords) -> str:
    """The ``$filter`` of keywords (checked to be valid CDSE syntax)."""
    text = translate(keywords=keywords, now=NOW).filter
    if text:
        parse(text)
    return text


def double(name, op, value):
    return attribute_clause(name, "Double", op, value)


def integer(name, op, value):
    return attribute_clause(name, "Integer", op, value)


def string(name, value):
    return attribute_clause(name, "String", "eq", f"'{value}'")


# ---------------------------------------------------------------------- dates
@pytest.mark.parametrize(
    ("keyword", "field"),
    [
        ("beginposition", "ContentDate/Start"),
        ("endposition", "ContentDate/End"),
        ("ingestiondate", "PublicationDate"),
    ],
)
def test_date_keywords(keyword, field):
    text = odata(**{keyword: ("20240101", datetime(2024, 2, 1, 6, 30))})
    assert text == f"{field} ge 2024-01-01T00:00:00.000Z and {field} le 2024-02-01T06:30:00.000Z"


def test_date_argument_is_the_sensing_start():
    text = translate(date=(date(2024, 1, 1), "NOW"), now=NOW).filter
    assert text == (
        "ContentDate/Start ge 2024-01-01T00:00:00.000Z and "
        "ContentDate/Start le 2024-03-31T12:30:15.250Z"
    )


def test_date_math_and_open_bounds():
    assert (
        odata(beginposition=("NOW-1DAY", None)) == "ContentDate/Start ge 2024-03-30T12:30:15.250Z"
    )
    assert odata(beginposition=("*", "NOW/DAY")) == "ContentDate/Start le 2024-03-31T00:00:00.000Z"
    assert odata(beginposition=(None, None)) == ""  # both open: the keyword is left out


def test_interval_strings_keep_their_brackets():
    text = odata(beginposition="{2024-01-01T00:00:00Z TO NOW-1MONTH]")
    assert text == (
        "ContentDate/Start gt 2024-01-01T00:00:00.000Z and "
        "ContentDate/Start le 2024-02-29T12:30:15.250Z"  # March 31 minus a month, clamped
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NOW", NOW),
        ("NOW-7DAYS", NOW - timedelta(days=7)),
        ("NOW+2HOURS-30MINUTES", NOW + timedelta(hours=1, minutes=30)),
        ("NOW/DAY", datetime(2024, 3, 31)),
        ("NOW/MONTH-1DAY", datetime(2024, 2, 29)),
        ("NOW-1YEAR/YEAR", datetime(2023, 1, 1)),
        ("NOW-1MONTHS", datetime(2024, 2, 29, 12, 30, 15, 250000)),
        ("NOW/SECOND+500MILLIS", datetime(2024, 3, 31, 12, 30, 15, 500000)),
        ("20240229", datetime(2024, 2, 29)),
        ("2024-02-29", datetime(2024, 2, 29)),
        ("2015-01-01T00:00:00Z+1DAY", datetime(2015, 1, 2)),
        ("2015-01-31T10:00:00.123Z+1MONTH", datetime(2015, 2, 28, 10, 0, 0, 123000)),
    ],
)
def test_resolve_date(text, expected):
    assert resolve_date(text, NOW) == expected


def test_resolve_aware_datetimes_in_utc():
    moment = datetime(2024, 1, 1, 2, tzinfo=timezone(timedelta(hours=2)))
    assert resolve_date(moment, NOW) == datetime(2024, 1, 1)


@pytest.mark.parametrize("bad", ["yesterday", "2024-13-01", "NOW-1FORTNIGHT", "now"])
def test_invalid_dates_are_refused_with_013s_message(bad):
    with pytest.raises(ValueError, match="date"):
        translate(date=(bad, "NOW"), now=NOW)


def test_a_date_keyword_needs_an_interval():
    with pytest.raises(ValueError, match="expects a \\(start, end\\) tuple"):
        translate(keywords={"ingestiondate": "NOW"}, now=NOW)


def test_microseconds_are_kept():
    assert format_datetime(datetime(2024, 1, 1, 0, 0, 0, 123456)) == "2024-01-01T00:00:00.123456Z"


# ---------------------------------------------------------------------- collections, types
@pytest.mark.parametrize(
    ("platform", "collection"),
    [
        ("Sentinel-1", "SENTINEL-1"),
        ("sentinel-2", "SENTINEL-2"),
        ("Sentinel-3", "SENTINEL-3"),
        ("Sentinel-5 Precursor", "SENTINEL-5P"),
        ("Sentinel-5", "SENTINEL-5P"),
    ],
)
def test_platformname(platform, collection):
    assert odata(platformname=platform) == f"Collection/Name eq '{collection}'"


def test_producttype():
    assert odata(producttype="S2MSI2A") == string("productType", "S2MSI2A")
    assert odata(producttype="iw_grdh_1s") == string("productType", "IW_GRDH_1S")


@pytest.mark.parametrize(("short", "marker"), [("GRD", "_GRD"), ("SLC", "_SLC_"), ("ocn", "_OCN_")])
def test_sentinel1_short_product_types_search_the_name(short, marker):
    expected = f"(Collection/Name eq 'SENTINEL-1' and contains(Name,'{marker}'))"
    assert odata(producttype=short) == expected


def test_instrumentshortname():
    assert odata(instrumentshortname="SAR-C SAR") == string("instrumentShortName", "SAR")
    assert odata(instrumentshortname="msi") == string("instrumentShortName", "MSI")


# ---------------------------------------------------------------------- numbers
def test_cloudcoverpercentage_range():
    assert odata(cloudcoverpercentage=(0, 30)) == (
        double("cloudCover", "ge", "0") + " and " + double("cloudCover", "le", "30")
    )


def test_cloudcoverpercentage_single_open_and_text_ranges():
    assert odata(cloudcoverpercentage=12.5) == double("cloudCover", "eq", "12.5")
    assert odata(cloudcoverpercentage=(None, 30)) == double("cloudCover", "le", "30")
    assert odata(cloudcoverpercentage="[5 TO *]") == double("cloudCover", "ge", "5")
    assert odata(cloudcoverpercentage="{5 TO 10}") == (
        double("cloudCover", "gt", "5") + " and " + double("cloudCover", "lt", "10")
    )
    assert odata(cloudcoverpercentage=(None, "*")) == ""


@pytest.mark.parametrize(
    ("keyword", "attribute"),
    [("orbitnumber", "orbitNumber"), ("relativeorbitnumber", "relativeOrbitNumber")],
)
def test_orbit_numbers(keyword, attribute):
    assert odata(**{keyword: 37}) == integer(attribute, "eq", "37")
    assert odata(**{keyword: "37"}) == integer(attribute, "eq", "37")  # as -q gives it
    assert odata(**{keyword: (10, 80)}) == (
        integer(attribute, "ge", "10") + " and " + integer(attribute, "le", "80")
    )
    with pytest.raises(ValueError, match="whole number"):
        translate(keywords={keyword: 10.5})
    with pytest.raises(ValueError, match="expects a number"):
        translate(keywords={keyword: "ten"})


def test_bad_ranges():
    with pytest.raises(ValueError, match="exactly two elements"):
        translate(keywords={"cloudcoverpercentage": (1, 2, 3)})
    with pytest.raises(ValueError, match="takes no range"):
        translate(keywords={"tileid": ("A", "B")})


# ---------------------------------------------------------------------- strings
@pytest.mark.parametrize(
    ("keyword", "value", "attribute", "sent"),
    [
        ("orbitdirection", "Ascending", "orbitDirection", "ASCENDING"),
        ("sensoroperationalmode", "iw", "operationalMode", "IW"),
        ("swathidentifier", "EW", "swathIdentifier", "EW"),
        ("tileid", "21mqa", "tileId", "21MQA"),
    ],
)
def test_string_attributes(keyword, value, attribute, sent):
    assert odata(**{keyword: value}) == string(attribute, sent)


def test_polarisationmode_matches_a_channel_like_dhus():
    # DHuS found VV among the words of "VV VH"; CDSE compares whole values
    assert odata(polarisationmode="VV") == (
        "(" + string("polarisationChannels", "VV") + " or "
        + string("polarisationChannels", "VV&VH") + ")"
    )  # fmt: skip
    assert odata(polarisationmode="HH HV") == string("polarisationChannels", "HH&HV")
    assert odata(polarisationmode='"VV VH"') == string("polarisationChannels", "VV&VH")


def test_quotes_in_values_are_escaped():
    assert odata(tileid="A'B") == string("tileId", "A''B")


def test_wildcards_only_in_names():
    with pytest.raises(ValueError, match="only filename and identifier"):
        translate(keywords={"tileid": "21M*"})


def test_empty_values():
    with pytest.raises(EmptyQueryValueError):
        translate(keywords={"orbitdirection": "  "})
    with pytest.raises(ValueError, match="has no value"):
        translate(keywords={"tileid": None})


# ---------------------------------------------------------------------- names and ids
def checks(text_or_pattern, identifier=False):
    keyword = "identifier" if identifier else "filename"
    return translate(keywords={keyword: text_or_pattern})


def test_filename_patterns_that_the_server_expresses_exactly():
    assert odata(filename="S1A_X.SAFE") == "Name eq 'S1A_X.SAFE'"
    assert odata(filename="S1A_*") == "startswith(Name,'S1A_')"
    assert odata(filename="*.SEN3") == "endswith(Name,'.SEN3')"
    assert odata(filename="*T21MQA*") == "contains(Name,'T21MQA')"
    for pattern in ["S1A_X.SAFE", "S1A_*", "*.SEN3", "*T21MQA*"]:
        assert checks(pattern).checks == ()


def test_identifier_is_the_name_without_extension():
    assert odata(identifier="S2A_MSIL1C_X") == "startswith(Name,'S2A_MSIL1C_X.')"
    assert odata(identifier="s2a_msil1c*") == "startswith(Name,'S2A_MSIL1C')"
    assert checks("S2A_MSIL1C*", identifier=True).checks == ()


def test_other_patterns_are_checked_on_the_client():
    translation = checks("S1A_IW*20151224*", identifier=True)
    assert translation.filter == "(startswith(Name,'S1A_IW') and contains(Name,'20151224'))"
    parse(translation.filter)
    (check,) = translation.checks
    assert check({"title": "S1A_IW_GRDH_1SDV_20151224T000000_X"})
    assert not check({"title": "S1A_EW_20151224"})
    overlapping = checks("S1A_IW*IW_G*", identifier=True)
    assert overlapping.filter == "(startswith(Name,'S1A_IW') and contains(Name,'IW_G'))"
    # the server's filter finds S1A_IW_GRDH, whose only IW_G overlaps the prefix: 0.13 did not
    assert not overlapping.checks[0]({"title": "S1A_IW_GRDH"})
    question = checks("S1?_IW_*")
    assert question.filter == "(startswith(Name,'S1') and contains(Name,'_IW_'))"
    assert question.checks[0]({"filename": "S1B_IW_X"}) and not question.checks[0](
        {"filename": "S1_IW_X"}
    )
    ending = checks("*_9571", identifier=True)
    assert ending.filter == "contains(Name,'_9571')" and ending.checks


def test_names_or_ed_like_the_command_line_does():
    translation = checks("(S1A_A OR S2B_B)", identifier=True)
    assert translation.filter == "(startswith(Name,'S1A_A.') or startswith(Name,'S2B_B.'))"
    assert translation.checks == ()
    mixed = checks("(S1A_A OR *_B)", identifier=True)
    assert mixed.filter == "(startswith(Name,'S1A_A.') or contains(Name,'_B'))"
    (check,) = mixed.checks
    assert check({"title": "S1A_A"}) and check({"title": "X_B"}) and not check({"title": "X_BC"})


def test_uuid():
    product_id = "8DF46C9E-A20C-43DB-A19A-4240C2ED3B8B"
    assert odata(uuid=product_id) == f"Id eq {product_id.lower()}"
    with pytest.raises(ValueError, match="UUID"):
        translate(keywords={"uuid": "not-a-uuid') or (1"})


# ---------------------------------------------------------------------- sets
def test_sets_mean_or():
    assert odata(producttype={"S2MSI2A", "S2MSI1C"}) == (
        "(" + string("productType", "S2MSI1C") + " or " + string("productType", "S2MSI2A") + ")"
    )
    assert odata(relativeorbitnumber=frozenset([1, 2])) == (
        "(" + integer("relativeOrbitNumber", "eq", "1") + " or "
        + integer("relativeOrbitNumber", "eq", "2") + ")"
    )  # fmt: skip


def test_a_set_of_date_ranges():
    text = odata(beginposition={("20240101", "20240102"), ("20240301", "20240302")})
    assert text.startswith("(ContentDate/Start ge 2024-01-01") and " or " in text


def test_empty_set_drops_the_keyword_and_nested_sets_are_refused():
    assert odata(tileid=set(), platformname="Sentinel-2") == "Collection/Name eq 'SENTINEL-2'"
    with pytest.raises(ValueError, match="set inside a set"):
        translate(keywords={"tileid": {frozenset(["A"])}})


# ---------------------------------------------------------------------- keywords and raw
def test_every_keyword_has_a_translation():
    values = {
        "date": ("NOW-1DAY", "NOW"),
        "String": "X",
        "Integer": 1,
        "Double": 1.5,
        "collection": "Sentinel-1",
        "producttype": "S2MSI1C",
        "polarisation": "VV",
        "instrument": "MSI",
        "filename": "S1A_*",
        "identifier": "S1A_*",
        "uuid": "8df46c9e-a20c-43db-a19a-4240c2ed3b8b",
    }
    for name, keyword in KEYWORDS.items():
        text = odata(**{name: values[keyword.kind]})
        assert keyword.cdse.split("/")[0] in text, name


def test_unknown_keywords_name_themselves_and_the_supported_ones():
    with pytest.raises(ValueError) as error:
        translate(keywords={"creationdate": ("NOW-1DAY", "NOW")})
    message = str(error.value)
    assert "'creationdate'" in message and "no OData translation" in message
    assert all(name in message for name in KEYWORDS)


def test_keyword_names_are_case_insensitive_and_unique():
    assert odata(PlatformName="Sentinel-1") == "Collection/Name eq 'SENTINEL-1'"
    with pytest.raises(ValueError, match="duplicate"):
        translate(date=("NOW-1DAY", "NOW"), keywords={"beginPosition": ("NOW-2DAYS", "NOW")})


def test_raw_terms():
    assert parse_raw('identifier:S2A* AND cloudcoverpercentage:[0 TO 30] tileid:"21MQA"') == [
        ("identifier", "S2A*"),
        ("cloudcoverpercentage", "[0 TO 30]"),
        ("tileid", '"21MQA"'),
    ]
    translation = translate(raw="platformname:Sentinel-2 producttype:(S2MSI1C OR S2MSI2A)")
    parse(translation.filter)
    assert "Collection/Name eq 'SENTINEL-2'" in translation.filter
    assert " or " in translation.filter


@pytest.mark.parametrize(
    "raw",
    [
        "platformname:Sentinel-1 OR platformname:Sentinel-2",
        "NOT platformname:Sentinel-1",
        "S1A_IW_GRDH",
        "(platformname:Sentinel-1)",
        "notakeyword:1",
    ],
)
def test_raw_queries_without_translation(raw):
    with pytest.raises(ValueError, match="no OData translation"):
        translate(raw=raw)


def test_raw_and_keywords_must_not_repeat():
    with pytest.raises(ValueError, match="duplicate"):
        translate(raw="tileid:21MQA", keywords={"TileId": "21MQB"})


# ---------------------------------------------------------------------- areas
def test_area_intersects():
    area = "POLYGON((10 50,11 50,11 51,10 51,10 50))"
    text = translate(area).filter
    assert text == f"OData.CSC.Intersects(area=geography'SRID=4326;{area}')"
    parse(text)
    assert translate("POINT(10 50)").filter.endswith("POINT(10 50)')")


def test_multipolygons_are_searched_polygon_by_polygon():
    text = translate("MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))").filter
    assert text == (
        "(OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((0 0,1 0,1 1,0 0))') or "
        "OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((5 5,6 5,6 6,5 5))'))"
    )
    parse(text)


def test_contains_and_iswithin_are_checked_on_the_client():
    area = "POLYGON((10 50,11 50,11 51,10 51,10 50))"
    big = {"footprint": "POLYGON((0 40,20 40,20 60,0 60,0 40))"}
    small = {"footprint": "POLYGON((10.2 50.2,10.4 50.2,10.4 50.4,10.2 50.2))"}
    contains = translate(area, area_relation="Contains")
    within = translate(area, area_relation="IsWithin")
    assert contains.filter == within.filter == translate(area).filter  # the server's superset
    assert contains.accepts(big) and not contains.accepts(small)
    assert within.accepts(small) and not within.accepts(big)
    assert not within.accepts({"footprint": None})


def test_bad_areas():
    with pytest.raises(ValueError, match="not valid WKT"):
        translate("POLYGON((10 50")
    with pytest.raises(ValueError, match="LineString"):
        translate("LINESTRING(0 0,1 1)")
    with pytest.raises(ValueError, match="area_relation"):
        translate("POINT(0 0)", area_relation="Touches")
    with pytest.raises(ValueError, match="footprint"):
        translate(keywords={"footprint": '"Intersects(POINT(0 0))"'})


# ---------------------------------------------------------------------- order
def test_server_order():
    assert plan_order("-beginposition").orderby == "ContentDate/Start desc"
    plan = plan_order("endposition, -ingestiondate")
    assert plan.orderby == "ContentDate/End asc,PublicationDate desc" and plan.client == ()
    assert plan_order(None).orderby == "PublicationDate desc"  # DHuS: newest ingestion first


def test_client_order():
    plan = plan_order("cloudcoverpercentage,-beginposition")
    assert plan.orderby == "PublicationDate desc"
    assert plan.client == (("cloudcoverpercentage", False), ("beginposition", True))
    assert plan_order("-size").client == (("ContentLength", True),)
    with pytest.raises(ValueError, match="cannot be sorted by"):
        plan_order("footprint")
    with pytest.raises(ValueError, match="Invalid order_by"):
        plan_order("cloud cover")


def test_sort_results_puts_missing_values_last():
    rows = [("a", {"x": 2}), ("b", {}), ("c", {"x": 1}), ("d", {"x": 2, "y": 1})]
    assert [key for key, _ in sort_results(rows, [("x", True)])] == ["a", "d", "c", "b"]
    assert [key for key, _ in sort_results(rows, [("x", False), ("y", True)])] == [
        "c",
        "d",
        "a",
        "b",
    ]


def test_window_clause():
    start, end = datetime(2024, 1, 1), datetime(2024, 1, 2, 0, 0, 0, 1)
    assert window_clause("PublicationDate", start, end) == (
        "PublicationDate ge 2024-01-01T00:00:00.000Z and "
        "PublicationDate lt 2024-01-02T00:00:00.000001Z"
    )
    assert window_clause("ContentDate/Start", None, end).startswith("ContentDate/Start lt")
