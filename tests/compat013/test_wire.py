"""0.13 guarantee: the requests on the wire are the ones a 0.13-era client sent.

Each scenario replays a 2018 recording strictly: every request the library sends must match
a recorded one on method, URL, form body and ``Range`` header (vcrpy raises otherwise), and
every recorded interaction may be played once only. Searches page and downloads run with
their default concurrency, so requests leave from several threads at once, as they do against
a real server.
"""

from __future__ import annotations

import os

import pytest
import requests_mock
from kit import binary_body, recordings

from sentinelsat import (
    InvalidChecksumError,
    SentinelAPI,
    SentinelAPIError,
    UnauthorizedError,
    format_query_date,
)

SMALL_AREA = "POLYGON((0 0,1 1,0 1,0 0))"
LARGE_AREA = "POLYGON((0 0,0 10,10 10,10 0,0 0))"
MAP_AREA = (
    "POLYGON((-66.2695 -8.0592,-66.2695 0.7031,-57.3047 0.7031,-57.3047 -8.0592,-66.2695 -8.0592))"
)
PRODUCTS = {
    "5618ce1b-923b-4df2-81d9-50b53e5aded9": "S1A_WV_OCN__2SSV_20150526T081641_20150526T082418_006090_007E3E_104C",
    "d8340134-878f-4891-ba4f-4df54f1e3ab4": "S1A_WV_OCN__2SSV_20150526T211029_20150526T211737_006097_007E78_134A",
    "1f62a176-c980-41dc-b3a1-c735d660c910": "S1A_WV_OCN__2SSH_20150603T092625_20150603T093332_006207_008194_521E",
}


class Sent:
    """Every request the client sent, as (method, URL, form body, Range)."""

    def __init__(self, api: SentinelAPI) -> None:
        self.requests: list[tuple[str, str, str | None, str | None]] = []
        api.session.hooks["response"].append(self._record)

    def _record(self, response, *args, **kwargs):
        request = response.request
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        self.requests.append((request.method, request.url, body, request.headers.get("Range")))


@pytest.fixture
def api() -> SentinelAPI:
    return SentinelAPI("mock_user", "mock_password", show_progressbars=False)


def replay(name: str):
    """A strict replay of a 2018 recording: no request twice, none that was not recorded."""
    return recordings.use_cassette(f"dhus-2018/{name}.yaml", allow_playback_repeats=False)


def original(product_id: str) -> bytes:
    return binary_body(PRODUCTS[product_id] + ".zip")


def test_small_query_sends_one_form_encoded_post(api):
    sent = Sent(api)
    with replay("test_small_query") as cassette:
        api.query(SMALL_AREA, ("20150101", "20150102"))
    assert cassette.all_played
    assert sent.requests == [
        (
            "POST",
            "https://scihub.copernicus.eu/apihub/search?format=json&rows=100&start=0",
            "q=beginPosition%3A%5B2015-01-01T00%3A00%3A00Z+TO+2015-01-02T00%3A00%3A00Z%5D+"
            "footprint%3A%22Intersects%28POLYGON%28%280+0%2C1+1%2C0+1%2C0+0%29%29%29%22",
            None,
        )
    ]


def test_large_query_pages_concurrently_with_0_13_rows_and_starts(api):
    with replay("test_large_query") as cassette:
        everything = api.query(LARGE_AREA, ("20151201", "20151231"))
        first_150 = api.query(LARGE_AREA, ("20151201", "20151231"), limit=150)
        middle = api.query(LARGE_AREA, ("20151201", "20151231"), limit=20, offset=90)
        tail = api.query(LARGE_AREA, ("20151201", "20151231"), limit=20, offset=280)
    assert cassette.all_played
    assert 200 < len(everything) <= 300
    assert list(first_150) == list(everything)[:150]
    assert list(middle) == list(everything)[90:110]
    assert list(tail) == list(everything)[280:300]


@pytest.mark.parametrize(
    "keywords",
    [
        {"timeliness": "Non Time Critical"},
        {"timeliness": ".+ Critical"},
        {"identifier": "/S[123 ]A.*/"},
    ],
)
def test_count_escapes_spaces_as_0_13_did(api, keywords):
    with replay("test_api_query_format_escape_spaces"):
        assert api.count(**keywords) > 0


def test_date_arithmetic_and_envelope(api):
    with replay("test_date_arithmetic") as cassette:
        products = api.query(
            "ENVELOPE(0, 10, 10, 0)",
            ("2016-12-01T00:00:00Z-1DAY", "2016-12-01T00:00:00Z+1DAY-1HOUR"),
        )
    assert cassette.all_played and len(products) > 0


def test_date_formats_of_0_13_accepted_and_refused_alike(api):
    valid = [
        "NOW", "NOW-1DAY", "NOW-1DAYS", "NOW-500DAY", "NOW-500DAYS", "NOW-2MONTH",
        "NOW-2MONTHS", "NOW-20MINUTE", "NOW-20MINUTES", "NOW+10HOUR",
        "2015-01-01T00:00:00Z+1DAY", "NOW+3MONTHS-7DAYS/DAYS", "*",
    ]  # fmt: skip
    invalid = ["NOW - 1HOUR", "NOW -   1HOURS", "NOW-1 HOURS", "NOW-1", "NOW-", "**", "+", "-"]
    with replay("test_format_date") as cassette:
        for value in valid:
            assert format_query_date(value) == value
            api.query(raw=f"ingestiondate:[{value} TO *]", limit=0)
        for value in invalid:
            with pytest.raises(ValueError):
                format_query_date(value)
            with pytest.raises(SentinelAPIError):
                api.query(raw=f"ingestiondate:[{value} TO *]", limit=0)
    assert cassette.all_played


def test_invalid_query_string(api):
    with replay("test_invalid_query") as cassette:
        with pytest.raises(SentinelAPIError) as error:
            api.query(raw="xxx:yyy")
    assert cassette.all_played
    assert error.value.msg == "Invalid query string. Check the parameters and format."


def test_odata_short_and_full(api):
    ids = ("8df46c9e-a20c-43db-a19a-4240c2ed3b8b", "44517f66-9845-4792-a988-b5ae6e81fd3e")
    with replay("test_get_product_odata_short") as short:
        for product_id in ids:
            api.get_product_odata(product_id)
    with replay("test_get_product_odata_full") as full:
        for product_id in ids:
            api.get_product_odata(product_id, full=True)
    assert short.all_played and full.all_played


def test_wrong_credentials_give_401_for_every_operation(tmp_path):
    api = SentinelAPI("wrong_user", "wrong_password", show_progressbars=False)
    with replay("test_SentinelAPI_wrong_credentials"):
        with pytest.raises(UnauthorizedError) as error:
            api.query(SMALL_AREA, ("20150101", "20150102"))
        assert error.value.response.status_code == 401
        for call in (
            lambda: api.get_product_odata("8df46c9e-a20c-43db-a19a-4240c2ed3b8b"),
            lambda: api.download("8df46c9e-a20c-43db-a19a-4240c2ed3b8b", str(tmp_path)),
            lambda: api.download_all(["8df46c9e-a20c-43db-a19a-4240c2ed3b8b"], str(tmp_path)),
        ):
            with pytest.raises(SentinelAPIError) as error:
                call()
            assert error.value.response.status_code == 401


def test_download_sequence_of_0_13(api, tmp_path):
    """Download, skip an existing file, replace a full-size
    corrupt partial file, and resume a partial file from byte 25, as the recording shows."""
    product_id = "1f62a176-c980-41dc-b3a1-c735d660c910"
    final = tmp_path / (PRODUCTS[product_id] + ".zip")
    partial = tmp_path / (PRODUCTS[product_id] + ".zip.incomplete")
    sent = Sent(api)
    with replay("test_download") as cassette:
        info = api.download(product_id, str(tmp_path))
        assert final.read_bytes() == original(product_id)
        assert info["downloaded_bytes"] == info["size"] == final.stat().st_size
        mtime = final.stat().st_mtime_ns
        assert api.download(product_id, str(tmp_path))["downloaded_bytes"] == 0
        assert final.stat().st_mtime_ns == mtime
        # a partial file of the full size, of zeros: downloaded again from the start
        final.rename(partial)
        with open(partial, "wb") as f:
            f.seek(info["size"] - 1)
            f.write(b"\0")
        assert api.download(product_id, str(tmp_path))["downloaded_bytes"] == info["size"]
        assert final.read_bytes() == original(product_id)
        # the first 25 bytes are there: only the rest is asked for, twice
        for _ in range(2):
            final.unlink()
            partial.write_bytes(original(product_id)[:25])
            resumed = api.download(product_id, str(tmp_path))
            assert resumed["downloaded_bytes"] == info["size"] - 25
            assert final.read_bytes() == original(product_id)
    assert cassette.all_played
    assert [r[3] for r in sent.requests if r[1].endswith("$value")] == [
        None,
        None,
        "bytes=25-",
        "bytes=25-",
    ]


def test_download_all_from_several_threads(api, tmp_path):
    with replay("test_download_all"):
        downloaded, triggered, failed = api.download_all(list(PRODUCTS), str(tmp_path))
    assert (sorted(downloaded), triggered, failed) == (sorted(PRODUCTS), {}, set())
    for product_id, title in PRODUCTS.items():
        assert (tmp_path / (title + ".zip")).read_bytes() == original(product_id)


@pytest.mark.parametrize("run", range(5))
def test_concurrent_replays_never_reach_the_network(tmp_path, run):
    api = SentinelAPI("mock_user", "mock_password", show_progressbars=False)
    with replay("test_download_many"):
        downloaded, _, _ = api.download_all(list(PRODUCTS), str(tmp_path), n_concurrent_dl=3)
    assert sorted(downloaded) == sorted(PRODUCTS)


def test_download_all_triggers_the_offline_product_with_a_plain_get(api, tmp_path):
    offline = "5618ce1b-923b-4df2-81d9-50b53e5aded9"
    sent = Sent(api)
    with replay("test_download_all_lta"):
        downloaded, triggered, failed = api.download_all(list(PRODUCTS), str(tmp_path))
        assert list(triggered) == [offline] and len(downloaded) == 2 and failed == set()
        [trigger] = [r for r in sent.requests if offline in r[1] and r[1].endswith("$value")]
        assert trigger == (
            "GET",
            f"https://scihub.copernicus.eu/apihub/odata/v1/Products('{offline}')/$value",
            None,
            None,
        )
        downloaded, triggered, failed = api.download_all(list(PRODUCTS), str(tmp_path))
    assert sorted(downloaded) == sorted(PRODUCTS) and not triggered and not failed


def test_check_files_sequence_of_0_13(api, tmp_path):
    ids = list(PRODUCTS)
    paths = [tmp_path / (PRODUCTS[i] + ".zip") for i in ids]
    with replay("test_check_existing") as cassette:
        api.download(ids[0], str(tmp_path))
        with open(paths[1], "wb") as f:  # complete but wrong
            f.seek(130102 - 1)
            f.write(b"\0")
        paths[2].write_bytes(b"a" * 34)  # incomplete
        expected = {str(paths[1]), str(paths[2])}
        assert set(api.check_files(ids=ids, directory=str(tmp_path))) == expected
        assert set(api.check_files(paths=[str(p) for p in paths])) == expected
        result = api.check_files(paths=[str(p) for p in paths], delete=True)
        assert set(result) == expected
        assert [result[str(paths[n])][0]["id"] for n in (1, 2)] == ids[1:]
        assert paths[0].exists() and not paths[1].exists() and not paths[2].exists()
        missing = str(
            tmp_path / "S1A_EW_GRDH_1SDH_20141003T003840_20141003T003920_002658_002F54_4DD1.zip"
        )
        assert api.check_files(paths=[missing])[missing][0]["id"]
    assert cassette.all_played


def test_download_invalid_id(api, tmp_path):
    with replay("test_download_invalid_id"):
        with pytest.raises(SentinelAPIError) as error:
            api.download("1f62a176-c980-41dc-xxxx-c735d660c910", str(tmp_path))
        assert "Invalid key" in error.value.msg
        with pytest.raises(SentinelAPIError):
            api.download_all(["f30b2a6a-b0c1-49f1-INVALID-e10c3cf06101"], str(tmp_path))
    assert os.listdir(tmp_path) == []


def test_download_retries_a_corrupt_product_max_attempts_times(api, tmp_path):
    """The recording shows ten downloads of a product whose checksum never matched (its
    metadata was answered by requests_mock, as 0.13's test did)."""
    product_id = "5618ce1b-923b-4df2-81d9-50b53e5aded9"
    url = f"https://scihub.copernicus.eu/apihub/odata/v1/Products('{product_id}')?$format=json"
    with replay("test_download_single") as cassette:
        api.get_product_odata(product_id)  # as the command line did
        api.download_all([product_id], str(tmp_path))
        api.get_product_odata(product_id)
        api.download_all([product_id], str(tmp_path))  # already there: nothing downloaded
        (tmp_path / (PRODUCTS[product_id] + ".zip")).unlink()
        wrong = api.session.get(url).json()
        wrong["d"]["Checksum"]["Value"] = "0" * 32
        with requests_mock.Mocker(real_http=True) as mocker:
            mocker.get(url, json=wrong)
            with pytest.raises(InvalidChecksumError):
                api.download_all([product_id], str(tmp_path))
    assert cassette.all_played  # exactly the ten downloads of 0.13
    assert os.listdir(tmp_path) == []


def test_query_names_40_per_query(api):
    names = [
        "S2A_MSIL1C_20170205T105221_N0204_R051_T31TCF_20170205T105426",
        "S1A_EW_GRDH_1SDH_20141003T003840_20141003T003920_002658_002F54_4DD1",
    ]
    with replay("test_query_by_names") as cassette, pytest.deprecated_call():
        result = api._query_names(names)
        assert list(result) == names
        assert all(len(result[name]) == 1 for name in names)
        assert api._query_names(names * 100) == result
    assert cassette.all_played
