"""0.13 guarantee: query strings are built as 0.13 built them (the wire format of the 2018
recordings), and invalid arguments fail before anything is sent."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import requests_mock

from sentinelsat import EmptyQueryValueError, SentinelAPI, SentinelAPIError, format_query_date

format_query = SentinelAPI.format_query


def test_keywords_sorted_then_raw_then_footprint():
    now = datetime(2015, 1, 2, 3, 4, 5)
    assert format_query("POLYGON((0 0,1 1,0 1,0 0))", (now, now)) == (
        "beginPosition:[2015-01-02T03:04:05Z TO 2015-01-02T03:04:05Z] "
        'footprint:"Intersects(POLYGON((0 0,1 1,0 1,0 0)))"'
    )
    assert format_query(date=(now, "NOW"), producttype="SLC", raw="IW") == (
        "beginPosition:[2015-01-02T03:04:05Z TO NOW] producttype:SLC IW"
    )
    assert (
        format_query("POINT(0 0)", area_relation="Contains") == 'footprint:"Contains(POINT(0 0))"'
    )


def test_ranges_and_open_bounds():
    assert format_query(cloudcoverpercentage=(0, 30)) == "cloudcoverpercentage:[0 TO 30]"
    assert format_query(orbitnumber=(16302, None)) == "orbitnumber:[16302 TO *]"
    assert format_query(orbitnumber=(None, None)) == ""
    assert format_query(date=(None, "NOW-1YEAR")) == "beginPosition:[* TO NOW-1YEAR]"
    assert format_query(ingestiondate=("NOW-1DAY", "NOW")) == "ingestiondate:[NOW-1DAY TO NOW]"
    assert format_query(ingestiondate=" [NOW-1DAY TO NOW] ") == "ingestiondate:[NOW-1DAY TO NOW]"
    assert format_query(relativeorbitnumber=" {101 TO 103} ") == "relativeorbitnumber:{101 TO 103}"


def test_spaces_escaped_with_backslashes():
    assert format_query(filename="S3A_OL_2* ") == "filename:S3A_OL_2*"
    assert format_query(timeliness="Non Time Critical") == r"timeliness:Non\ Time\ Critical"
    assert format_query(timeliness="Non\tTime\tCritical") == r"timeliness:Non\ Time\ Critical"
    assert format_query(timeliness=".+ Critical") == r"timeliness:.+\ Critical"
    assert format_query(identifier="/S[123 ]A.*/") == r"identifier:/S[123 ]A.*/"


@pytest.mark.parametrize(
    "arguments",
    [
        {"producttype": "SLC", "PRODUCTTYPE": "GRD"},
        {"date": ("NOW-1DAY", "NOW"), "beginposition": ("NOW-1DAY", "NOW")},
        {"area": "POINT(0 0)", "footprint": "x"},
        {"area_relation": "Overlaps", "area": "POINT(0 0)"},
        {"ingestiondate": "NOW"},
        {"cloudcoverpercentage": (0, 10, 20)},
    ],
)
def test_invalid_arguments_are_value_errors(arguments):
    with pytest.raises(ValueError):
        format_query(**arguments)


def test_format_query_date():
    assert format_query_date(datetime(2015, 1, 1)) == "2015-01-01T00:00:00Z"
    assert format_query_date(date(2015, 1, 1)) == "2015-01-01T00:00:00Z"
    assert format_query_date("20150101") == "2015-01-01T00:00:00Z"
    assert format_query_date(" NOW ") == "NOW"
    assert format_query_date(None) == "*"
    for text in ("", " ", "NOW - 1HOUR", "NOW-1 HOURS", "NOW-1", "NOW-", "**", "+", "-"):
        with pytest.raises(ValueError):
            format_query_date(text)


def test_an_empty_value_is_a_sentinel_error_and_a_value_error_raised_before_sending():
    api = SentinelAPI("mock_user", "mock_password", show_progressbars=False)
    with requests_mock.Mocker() as mocker:
        for call in (lambda: api.query(identifier=""), lambda: api.count(platformname="  ")):
            with pytest.raises(SentinelAPIError) as error:
                call()
            assert isinstance(error.value, ValueError)
            assert isinstance(error.value, EmptyQueryValueError)
        assert mocker.call_count == 0
