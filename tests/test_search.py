"""Searching against recorded Copernicus Open Access Hub exchanges (vcrpy replay)."""

from collections import OrderedDict
from datetime import date, datetime

import pytest
from kit import for_replay, recordings, replay_api

from sentinelsat import SentinelAPI, SentinelAPIError, geojson_to_wkt, read_geojson

SMALL_AOI = "POLYGON((0 0,1 1,0 1,0 0))"
LARGE_AOI = "POLYGON((0 0,0 10,10 10,10 0,0 0))"
LARGE_DATES = ("20151201", "20151231")


@pytest.fixture
def map_wkt(fixture_path):
    return geojson_to_wkt(read_geojson(fixture_path("map.geojson")))


def test_empty_query_result(api):
    with recordings.use_cassette("dhus-2018/test_small_query.yaml") as cassette:
        products = api.query(SMALL_AOI, ("20150101", "20150102"))
    assert products == OrderedDict()
    assert isinstance(products, OrderedDict)
    assert cassette.play_count == 1


def test_query_sends_recorded_request(api, sent, map_wkt):
    # the cassette only matches the exact method, URL and form body of the recording
    with recordings.use_cassette("dhus-2018/test_s2_cloudcover.yaml"):
        products = api.query(
            map_wkt,
            date=("20151219", date(2015, 12, 28)),
            platformname="Sentinel-2",
            cloudcoverpercentage=(0, 10),
        )
    [request] = sent
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded; charset=UTF-8"
    assert request.headers["User-Agent"].startswith("sentinelsat/")
    assert list(products) == [
        "6ed0b7de-3435-43df-98bf-ad63c8d077ef",
        "37ecee60-23d8-4ec2-a65f-2de24f51d30e",
        "0848f6b8-5730-4759-850e-fc9945d42296",
    ]
    assert all(0 <= p["cloudcoverpercentage"] <= 10 for p in products.values())
    assert all(p["platformname"] == "Sentinel-2" for p in products.values())


def test_order_by(api, sent, map_wkt):
    with recordings.use_cassette("dhus-2018/test_order_by_flag.yaml"):
        products = api.query(
            map_wkt,
            ("20151219", "20151228"),
            platformname="Sentinel-2",
            cloudcoverpercentage=(0, 10),
            order_by="cloudcoverpercentage, -beginposition",
        )
    assert sent[0].url.endswith("&orderby=cloudcoverpercentage%20asc,beginposition%20desc")
    clouds = [p["cloudcoverpercentage"] for p in products.values()]
    assert clouds == sorted(clouds)


def test_paging_fetches_every_page(api, sent):
    with recordings.use_cassette("dhus-2018/test_large_query.yaml"):
        products = api.query(LARGE_AOI, LARGE_DATES)
    assert len(products) == 290
    assert sorted(request.url.split("?")[1] for request in sent) == [
        "format=json&rows=100&start=0",
        "format=json&rows=100&start=100",
        "format=json&rows=100&start=200",
    ]


def test_paging_keeps_server_order_with_concurrent_pages(api):
    with recordings.use_cassette("dhus-2018/test_large_query.yaml"):
        concurrent = list(api.query(LARGE_AOI, LARGE_DATES))
    api.query_concurrency = 1
    with recordings.use_cassette("dhus-2018/test_large_query.yaml"):
        sequential = list(api.query(LARGE_AOI, LARGE_DATES))
    assert concurrent == sequential
    assert len(set(concurrent)) == 290


@pytest.mark.parametrize(
    "limit, offset, first_expected", [(150, 0, 0), (20, 90, 90), (20, 280, 280)]
)
def test_limit_and_offset_across_page_boundaries(api, limit, offset, first_expected):
    with recordings.use_cassette("dhus-2018/test_large_query.yaml", allow_playback_repeats=True):
        everything = list(api.query(LARGE_AOI, LARGE_DATES))
        subset = list(api.query(LARGE_AOI, LARGE_DATES, limit=limit, offset=offset))
    assert subset == everything[offset : offset + limit]
    assert subset[0] == everything[first_expected]


def test_limit_smaller_than_page(api, sent, map_wkt):
    with recordings.use_cassette("dhus-2018/test_limit_flag.yaml"):
        products = api.query(map_wkt, ("20161201", "20161230"), limit=15)
    assert len(products) == 15
    assert [request.url.split("?")[1] for request in sent] == ["format=json&rows=15&start=0"]


@pytest.mark.parametrize("limit, offset", [(-1, 0), (1.5, 0), (None, -3), (None, "1")])
def test_invalid_paging_arguments(api, limit, offset):
    with pytest.raises(ValueError):
        api.query(SMALL_AOI, limit=limit, offset=offset)


def test_count(api, sent):
    with recordings.use_cassette("dhus-2018/test_count.yaml"):
        count = api.count(
            None, ("20150101", "20151231"), order_by="ingestiondate", limit=3, offset=5
        )
    assert count == 365098
    assert [request.url.split("?")[1] for request in sent] == ["format=json&rows=0&start=0"]


def test_spaces_escaped_as_server_accepted(api):
    with recordings.use_cassette("dhus-2018/test_api_query_format_escape_spaces.yaml"):
        assert api.count(timeliness="Non Time Critical") == 90480
        assert api.count(raw=r"timeliness:.+\ Critical") == 93887
        assert api.count(identifier="/S[123 ]A.*/") == 5575647


VALID_DATES = [
    "NOW",
    "NOW-1DAY",
    "NOW-1DAYS",
    "NOW-500DAY",
    "NOW-500DAYS",
    "NOW-2MONTH",
    "NOW-2MONTHS",
    "NOW-20MINUTE",
    "NOW-20MINUTES",
    "NOW+10HOUR",
    "2015-01-01T00:00:00Z+1DAY",
    "NOW+3MONTHS-7DAYS/DAYS",
]
INVALID_DATES = ["NOW - 1HOUR", "NOW -   1HOURS", "NOW-1 HOURS", "NOW-1", "NOW-", "**", "+", "-"]


def test_dates_the_server_accepts(api):
    with recordings.use_cassette("dhus-2018/test_format_date.yaml"):
        counts = [api.count(ingestiondate=(value, None)) for value in VALID_DATES]
        assert api.count(ingestiondate="[* TO *]") == 8760206
    assert counts[1] == counts[2] == 19245  # NOW-1DAY and NOW-1DAYS


def test_dates_the_server_rejects_fail_before_sending(api):
    with recordings.use_cassette("dhus-2018/test_format_date.yaml") as cassette:
        for value in INVALID_DATES:
            with pytest.raises(ValueError):
                api.count(ingestiondate=(value, None))
        assert cassette.play_count == 0
        # and the recording shows the server would indeed have refused them
        for value in INVALID_DATES:
            with pytest.raises(SentinelAPIError, match="Invalid query"):
                api.count(raw=f"ingestiondate:[{value} TO *]")


def test_date_arithmetic(api):
    with recordings.use_cassette("dhus-2018/test_date_arithmetic.yaml"):
        products = api.query(
            "ENVELOPE(0, 10, 10, 0)",
            ("2016-12-01T00:00:00Z-1DAY", "2016-12-01T00:00:00Z+1DAY-1HOUR"),
        )
    assert len(products) > 0
    for attributes in products.values():
        assert datetime(2016, 11, 30) <= attributes["beginposition"] <= datetime(2016, 12, 1, 23)


def test_invalid_query(api):
    with recordings.use_cassette("dhus-2018/test_invalid_query.yaml"):
        with pytest.raises(SentinelAPIError, match="Invalid query") as error:
            api.query(raw="xxx:yyy")
    assert error.value.response.status_code == 200


def test_query_length_limit_as_the_server_enforced_it(api):
    # 164 repetitions were accepted, 165 refused: the limit lies between the two
    accepted, refused = " a_-.*:,?+~!" * 164, " a_-.*:,?+~!" * 165
    assert api.check_query_length(accepted) <= 1 < api.check_query_length(refused)
    with recordings.use_cassette("dhus-2018/test_too_long_query.yaml", allow_playback_repeats=True):
        with pytest.raises(SentinelAPIError, match="Invalid query") as within_limit:
            api.count(raw=accepted)  # not a valid query, but its length passed
        assert within_limit.value.response.status_code == 200
        assert "too long" not in str(within_limit.value)
        with pytest.raises(SentinelAPIError) as error:
            api.count(raw=refused)
    assert error.value.response.status_code == 500
    message = str(error.value)
    assert "Request Entity Too Large" in message  # the server's cause-message
    assert "too long" in message  # our diagnosis


def test_wrong_credentials(api):
    with recordings.use_cassette("dhus-2018/test_SentinelAPI_wrong_credentials.yaml"):
        with pytest.raises(SentinelAPIError) as error:
            api.query(SMALL_AOI, ("20150101", "20150102"))
    assert error.value.response.status_code == 401
    assert "Full authentication is required to access this resource" in error.value.msg
    assert str(error.value).startswith("HTTP status 401 Unauthorized:")
    assert "<html" not in str(error.value).lower()


def test_query_raw_is_deprecated_alias(api):
    with recordings.use_cassette("dhus-2018/test_invalid_query.yaml"):
        with pytest.warns(DeprecationWarning):
            with pytest.raises(SentinelAPIError):
                api.query_raw("xxx:yyy")


def test_large_query_shows_progress(capsys):
    api = replay_api(show_progressbars=True)
    with recordings.use_cassette("dhus-2018/test_large_query.yaml"):
        api.query(LARGE_AOI, LARGE_DATES)
    err = capsys.readouterr().err
    assert "Querying products" in err
    assert "290/290" in err


def test_progressbars_can_be_silenced(api, capsys):
    with recordings.use_cassette("dhus-2018/test_large_query.yaml"):
        api.query(LARGE_AOI, LARGE_DATES)
    assert capsys.readouterr().err == ""


def test_progressbar_customised_by_overriding_tqdm():
    bars = []

    class MyAPI(SentinelAPI):
        def _tqdm(self, **kwargs):
            bars.append(kwargs)
            return super()._tqdm(**dict(kwargs, disable=True))

    with recordings.use_cassette("dhus-2018/test_large_query.yaml"):
        for_replay(MyAPI("mock_user", "mock_password")).query(LARGE_AOI, LARGE_DATES)
    assert bars and bars[0]["total"] == 290
