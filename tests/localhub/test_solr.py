"""Unit tests of the Solr query parser and evaluator."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest
from shapely import wkt
from shapely.geometry.base import BaseGeometry

from sentinelsat.testing.solr import (
    MAX_QUERY_LENGTH,
    And,
    MatchAll,
    Not,
    Or,
    Query,
    QueryError,
    QuerySyntaxError,
    Range,
    Term,
    UndefinedFieldError,
    java_urlencoded_length,
    parse_date_math,
    parse_query,
)

UTC = timezone.utc
NOW = datetime(2020, 5, 17, 13, 45, 12, 345000, tzinfo=UTC)


@dataclass
class Doc:
    name: str
    attributes: dict[str, Any] = field(default_factory=dict)
    footprint: str = "POLYGON((0 0,1 0,1 1,0 1,0 0))"

    @property
    def geometry(self) -> BaseGeometry:
        return wkt.loads(self.footprint)


DOCS = [
    Doc(
        "s1",
        {
            "identifier": "S1A_IW_GRDH_1SDV_20151224T094034_20151224T094103_009182_00D395_986A",
            "filename": "S1A_IW_GRDH_1SDV_20151224T094034_20151224T094103_009182_00D395_986A.SAFE",
            "uuid": "11111111-1111-4111-8111-111111111111",
            "platformname": "Sentinel-1",
            "producttype": "GRD",
            "polarisationmode": "VV VH",
            "orbitdirection": "ASCENDING",
            "relativeorbitnumber": 51,
            "timeliness": "Fast-24h",
            "size": "1.59 GB",
            "beginposition": datetime(2015, 12, 24, 9, 40, 34, 129000, tzinfo=UTC),
            "ingestiondate": datetime(2020, 5, 17, 1, 0, tzinfo=UTC),
        },
        "POLYGON((-62 -4,-60 -4,-60 -2,-62 -2,-62 -4))",
    ),
    Doc(
        "s2",
        {
            "identifier": "S2A_MSIL1C_20170205T105221_N0204_R051_T31TCF_20170205T105426",
            "filename": "S2A_MSIL1C_20170205T105221_N0204_R051_T31TCF_20170205T105426.SAFE",
            "uuid": "22222222-2222-4222-8222-222222222222",
            "platformname": "Sentinel-2",
            "producttype": "S2MSI1C",
            "cloudcoverpercentage": 12.5,
            "relativeorbitnumber": 51,
            "tileid": "31TCF",
            "beginposition": datetime(2017, 2, 5, 10, 52, 21, 26000, tzinfo=UTC),
            "ingestiondate": datetime(2020, 5, 16, 14, 0, tzinfo=UTC),
        },
        "POLYGON((1 41,2 41,2 42,1 42,1 41))",
    ),
    Doc(
        "s2cloudy",
        {
            "identifier": "S2B_MSIL2A_20201007T121649_N0214_R123_T23FQB_20201007T160401",
            "filename": "S2B_MSIL2A_20201007T121649_N0214_R123_T23FQB_20201007T160401.SAFE",
            "uuid": "33333333-3333-4333-8333-333333333333",
            "platformname": "Sentinel-2",
            "producttype": "S2MSI2A",
            "cloudcoverpercentage": 30.0,
            "relativeorbitnumber": 123,
            "beginposition": datetime(2020, 10, 7, 12, 16, 49, tzinfo=UTC),
            "ingestiondate": datetime(2020, 5, 10, tzinfo=UTC),
        },
        "POLYGON((-50 -50,-40 -50,-40 -40,-50 -40,-50 -50))",
    ),
    Doc(
        "s3",
        {
            "identifier": "S3A_SR_1_SRA____20230309T204558_20230309T204623_20230309T225028_0024_096_214______PS1_O_NR_004",
            "filename": "S3A_SR_1_SRA____20230309T204558_20230309T204623_20230309T225028_0024_096_214______PS1_O_NR_004.SEN3",
            "uuid": "44444444-4444-4444-8444-444444444444",
            "platformname": "Sentinel-3",
            "producttype": "SR_1_SRA___",
            "timeliness": "Non Time Critical",
            "orbitdirection": "ascending",
            "size": "995.77 KB",
            "beginposition": datetime(2023, 3, 9, 20, 45, 58, 338000, tzinfo=UTC),
            "ingestiondate": datetime(2020, 5, 17, 13, 0, tzinfo=UTC),
        },
        "POLYGON((10 10,30 10,30 30,10 30,10 10))",
    ),
]


def names(query: str) -> list[str]:
    return [doc.name for doc in Query(query, now=NOW).filter(DOCS)]


# --------------------------------------------------------------------------- parsing
def test_parse_implicit_and_explicit_operators():
    assert parse_query("a:b c:d") == And((Term("a", "b", "b"), Term("c", "d", "d")))
    assert parse_query("a:b AND c:d") == parse_query("a:b && c:d") == parse_query("a:b c:d")
    assert parse_query("a:b OR c:d") == Or((Term("a", "b", "b"), Term("c", "d", "d")))
    assert parse_query("a:b || c:d") == parse_query("a:b OR c:d")
    assert parse_query("NOT a:b") == Not(Term("a", "b", "b"))
    assert parse_query("-a:b") == parse_query("!a:b") == Not(Term("a", "b", "b"))


def test_and_binds_tighter_than_or():
    assert parse_query("x OR y z") == Or(
        (Term(None, "x", "x"), And((Term(None, "y", "y"), Term(None, "z", "z"))))
    )
    assert parse_query("(x OR y) z") == And(
        (Or((Term(None, "x", "x"), Term(None, "y", "y"))), Term(None, "z", "z"))
    )


def test_field_group_applies_the_field_to_every_term():
    assert parse_query("identifier:(A OR B)") == Or(
        (Term("identifier", "A", "A"), Term("identifier", "B", "B"))
    )


def test_ranges_brackets_open_ends_and_quoted_bounds():
    assert parse_query("x:[1 TO 5]") == Range("x", "1", "5", True, True)
    assert parse_query("x:{1 TO *]") == Range("x", "1", None, False, True)
    assert parse_query('x:["NOW-1MONTH" TO *}') == Range("x", "NOW-1MONTH", None, True, False)


def test_escapes_phrases_and_regex():
    term = parse_query(r"timeliness:Non\ Time\ Critical")
    assert term == Term("timeliness", "Non Time Critical", r"Non\ Time\ Critical")
    assert parse_query('uuid:"a b"') == Term("uuid", "a b", "a b", kind="phrase")
    assert parse_query("identifier:/S[123 ]A.*/") == Term(
        "identifier", "S[123 ]A.*", "S[123 ]A.*", kind="regex"
    )


def test_match_all_and_empty_query():
    assert parse_query("*:*") == MatchAll()
    assert parse_query("   ") == MatchAll()


@pytest.mark.parametrize(
    "query",
    [
        "identifier:()",
        "a:",
        "(a:b",
        "a:b)",
        "x:[1 TO",
        "x:[1 5]",
        "x:[NOW - 1HOUR TO *]",
        "a:b AND",
        'a:"open',
        "a:/open",
    ],
)
def test_syntax_errors(query):
    with pytest.raises(QuerySyntaxError) as error:
        parse_query(query)
    assert error.value.message.startswith(
        f"org.apache.solr.search.SyntaxError: Cannot parse '{query}'"
    )


# --------------------------------------------------------------------------- date math
@pytest.mark.parametrize(
    "text, expected",
    [
        ("NOW", NOW),
        ("NOW-1DAY", datetime(2020, 5, 16, 13, 45, 12, 345000, tzinfo=UTC)),
        ("NOW-1DAYS", datetime(2020, 5, 16, 13, 45, 12, 345000, tzinfo=UTC)),
        ("NOW/DAY", datetime(2020, 5, 17, tzinfo=UTC)),
        ("NOW-20MINUTES", datetime(2020, 5, 17, 13, 25, 12, 345000, tzinfo=UTC)),
        ("NOW+10HOUR", datetime(2020, 5, 17, 23, 45, 12, 345000, tzinfo=UTC)),
        ("NOW-2MONTHS", datetime(2020, 3, 17, 13, 45, 12, 345000, tzinfo=UTC)),
        ("NOW+3MONTHS-7DAYS/DAYS", datetime(2020, 8, 10, tzinfo=UTC)),
        ("NOW/YEAR", datetime(2020, 1, 1, tzinfo=UTC)),
        ("2015-01-01T00:00:00Z", datetime(2015, 1, 1, tzinfo=UTC)),
        ("2015-01-01T00:00:00.000Z", datetime(2015, 1, 1, tzinfo=UTC)),
        ("2015-01-01T12:30:00.5Z", datetime(2015, 1, 1, 12, 30, 0, 500000, tzinfo=UTC)),
        ("2015-01-01T00:00:00Z+1DAY", datetime(2015, 1, 2, tzinfo=UTC)),
        ("2016-12-01T00:00:00Z+1DAY-1HOUR", datetime(2016, 12, 1, 23, tzinfo=UTC)),
        ("2020-01-31T00:00:00Z+1MONTH", datetime(2020, 2, 29, tzinfo=UTC)),
    ],
)
def test_date_math(text, expected):
    assert parse_date_math(text, NOW) == expected


@pytest.mark.parametrize(
    "text", ["NOW-1", "NOW-", "**", "+", "-", "2015-01-01", "NOW-1FORTNIGHT", "yesterday"]
)
def test_invalid_dates(text):
    with pytest.raises(QueryError, match="Invalid Date"):
        parse_date_math(text, NOW)


# --------------------------------------------------------------------------- evaluation
def test_field_names_are_case_insensitive():
    assert (
        names("platformName:Sentinel-2") == names("platformname:Sentinel-2") == ["s2", "s2cloudy"]
    )
    assert names("beginPosition:[2016-01-01T00:00:00Z TO *]") == ["s2", "s2cloudy", "s3"]


def test_string_values_match_whole_value_or_word_case_insensitively():
    assert names("platformname:sentinel-1") == ["s1"]
    assert names("polarisationmode:VV") == ["s1"]
    assert names('polarisationmode:"VV VH"') == ["s1"]
    assert names("polarisationmode:HH") == []


def test_boolean_operators():
    assert names("platformname:Sentinel-2 AND relativeorbitnumber:51") == ["s2"]
    assert names("platformname:Sentinel-2 relativeorbitnumber:51") == ["s2"]
    assert names("producttype:GRD OR producttype:SR_1_SRA___") == ["s1", "s3"]
    assert names("platformname:Sentinel-2 NOT producttype:S2MSI2A") == ["s2"]
    assert names("NOT platformname:Sentinel-2") == ["s1", "s3"]
    assert names("-platformname:Sentinel-2 -platformname:Sentinel-3") == ["s1"]
    assert names("(producttype:GRD OR producttype:S2MSI1C) relativeorbitnumber:51") == ["s1", "s2"]


def test_field_group():
    assert names("producttype:(GRD OR S2MSI2A)") == ["s1", "s2cloudy"]


def test_bare_terms_match_identifier_filename_and_uuid():
    s1 = DOCS[0].attributes
    s2 = DOCS[1].attributes
    assert names(f"{s1['identifier']} OR {s2['identifier']}") == ["s1", "s2"]
    assert names(s2["filename"].replace(".", r"\.")) == ["s2"]
    assert names(DOCS[3].attributes["uuid"]) == ["s3"]
    assert names("S2*") == ["s2", "s2cloudy"]


def test_numeric_ranges_and_values():
    assert names("cloudcoverpercentage:[0 TO 30]") == ["s2", "s2cloudy"]
    assert names("cloudcoverpercentage:[0 TO 30}") == ["s2"]
    assert names("cloudcoverpercentage:{12.5 TO *]") == ["s2cloudy"]
    assert names("cloudcoverpercentage:[* TO 12.5]") == ["s2"]
    assert names("relativeorbitnumber:51") == ["s1", "s2"]
    assert names("cloudcoverpercentage:*") == ["s2", "s2cloudy"]


def test_string_ranges():
    assert names("producttype:[GRD TO S2MSI1C]") == ["s1", "s2"]
    assert names("producttype:{GRD TO S2MSI1C}") == []


def test_date_ranges_with_math_and_millis():
    assert names("beginposition:[2015-12-24T09:40:34.129Z TO 2015-12-24T09:40:34.129Z]") == ["s1"]
    assert names("beginposition:{2015-12-24T09:40:34.129Z TO *]") == ["s2", "s2cloudy", "s3"]
    assert names("ingestiondate:[NOW-1DAY TO NOW]") == ["s1", "s2", "s3"]
    assert names("ingestiondate:[NOW-1DAYS TO *]") == ["s1", "s2", "s3"]
    assert names("ingestiondate:[NOW/DAY TO NOW]") == ["s1", "s3"]
    assert names("ingestiondate:[NOW TO *]") == []
    assert names("ingestiondate:[* TO *]") == ["s1", "s2", "s2cloudy", "s3"]
    assert names("beginposition:[2017-02-05T00:00:00Z TO 2017-02-05T00:00:00Z+1DAY]") == ["s2"]
    assert names('beginposition:["2017-02-05T00:00:00Z" TO "2017-02-06T00:00:00Z"]') == ["s2"]


def test_wildcards():
    assert names("identifier:S1A_IW*20151224*") == ["s1"]
    assert names("identifier:*MSIL?C*") == ["s2"]
    assert names("identifier:s2?_msil*") == ["s2", "s2cloudy"]
    assert names(r"identifier:S2A\*") == []


def test_regular_expressions():
    assert names("identifier:/S[123 ]A.*/") == ["s1", "s2", "s3"]
    assert names("size:/.+KB/") == ["s3"]
    assert names("identifier:/s1a.*/") == []


def test_escaped_spaces():
    assert names(r"timeliness:Non\ Time\ Critical") == ["s3"]
    assert names('timeliness:"Non Time Critical"') == ["s3"]


@pytest.mark.parametrize(
    "query, expected",
    [
        (
            'footprint:"Intersects(POLYGON((-66.2695 -8.0592,-66.2695 0.7031,-57.3047 0.7031,-57.3047 -8.0592,-66.2695 -8.0592)))"',
            ["s1"],
        ),
        ('footprint:"intersects(POLYGON((0 40,3 40,3 43,0 43,0 40)))"', ["s2"]),
        ('footprint:"Intersects(ENVELOPE(0, 40, 45, 0))"', ["s2", "s3"]),
        ('footprint:"Intersects(41.5, 1.5)"', ["s2"]),
        ('footprint:"Contains(POINT(20 20))"', ["s3"]),
        ('footprint:"Contains(POLYGON((0 0,40 0,40 40,0 40,0 0)))"', []),
        ('footprint:"IsWithin(POLYGON((0 0,40 0,40 45,0 45,0 0)))"', ["s2", "s3"]),
        ('footprint:"ISWITHIN(POLYGON((15 15,16 15,16 16,15 16,15 15)))"', []),
        ('footprint:"IsDisjointTo(POLYGON((0 0,40 0,40 45,0 45,0 0)))"', ["s1", "s2cloudy"]),
    ],
)
def test_footprint_relations(query, expected):
    assert names(query) == expected


def test_undefined_field():
    with pytest.raises(UndefinedFieldError) as error:
        Query("xxx:yyy")
    assert error.value.message == "undefined field xxx"
    with pytest.raises(UndefinedFieldError):
        Query("platformname:Sentinel-1 OR bogus:[1 TO 2]")


@pytest.mark.parametrize(
    "query",
    [
        "ingestiondate:[** TO *]",
        "ingestiondate:[NOW- TO *]",
        "ingestiondate:[NOW-1 TO *]",
        "cloudcoverpercentage:[low TO high]",
        "relativeorbitnumber:abc",
        'footprint:"Intersects(POLYGON((0 0,1 1)))"',
        'footprint:"Touches(POINT(0 0))"',
        "footprint:foo",
        "identifier:/[unclosed/",
        "beginposition:2015*",
    ],
)
def test_invalid_values_are_query_errors(query):
    with pytest.raises(QueryError):
        Query(query, now=NOW)


def test_java_urlencoded_length():
    assert java_urlencoded_length("aZ09.-*_") == 8
    assert java_urlencoded_length("a b") == 3
    assert java_urlencoded_length("~:(") == 9
    assert java_urlencoded_length("é") == 6
    assert MAX_QUERY_LENGTH == 3938
