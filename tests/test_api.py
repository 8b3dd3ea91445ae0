"""SentinelAPI construction, credentials, error reporting and logging."""

import logging
import pickle

import pytest
import requests
from kit import recordings

import sentinelsat
from sentinelsat import (
    InvalidChecksumError,
    SentinelAPI,
    SentinelAPIError,
    SentinelAPILTAError,
    format_query_date,
    geojson_to_wkt,
    read_geojson,
)
from sentinelsat.sessions import html_to_text, server_message, summarize
from sentinelsat.testing.pages import maintenance_page


def test_public_names():
    assert sorted(sentinelsat.__all__) == sorted(
        [
            "SentinelAPI",
            "SentinelAPIError",
            "SentinelAPILTAError",
            "InvalidChecksumError",
            "ServerError",
            "UnauthorizedError",
            "QuerySyntaxError",
            "QueryLengthError",
            "InvalidKeyError",
            "LTAError",
            "LTATriggered",
            "NetworkError",
            "EmptyQueryValueError",
            "NotSupportedError",
            "read_geojson",
            "is_wkt",
            "placename_to_wkt",
            "make_path_filter",
            "make_size_filter",
            "all_nodes_filter",
            "ResultTuple",
            "DownloadStatus",
            "Downloader",
            "SentinelProductsAPI",
            "geojson_to_wkt",
            "format_query_date",
            "__version__",
        ]
    )
    assert issubclass(SentinelAPILTAError, SentinelAPIError)
    # as in 0.13: not a SentinelAPIError, so that `except SentinelAPIError` does not catch it
    assert not issubclass(InvalidChecksumError, SentinelAPIError)
    assert callable(read_geojson) and callable(geojson_to_wkt) and callable(format_query_date)


def test_defaults():
    api = SentinelAPI("user", "secret")
    assert api.api_url == "https://scihub.copernicus.eu/apihub/"
    assert api.page_size == 100
    assert api.timeout is None
    assert api.show_progressbars is True
    assert isinstance(api.session, requests.Session)
    assert api.session.headers["User-Agent"] == "sentinelsat/" + sentinelsat.__version__


@pytest.mark.parametrize("url", ["https://host/dhus", "https://host/dhus/"])
def test_api_url_normalised(url):
    assert SentinelAPI("u", "p", url).api_url == "https://host/dhus/"


def test_basic_auth_sent():
    api = SentinelAPI("user", "secret", "https://host/dhus")
    request = api.session.prepare_request(requests.Request("GET", api.api_url))
    assert request.headers["Authorization"] == requests.auth._basic_auth_str("user", "secret")


def test_password_not_in_repr():
    api = SentinelAPI("user", "s3cr3t-pw")
    assert "s3cr3t-pw" not in repr(api)
    assert "s3cr3t-pw" not in repr(api.session.auth)
    assert "s3cr3t-pw" not in repr(vars(api))


def test_netrc_credentials(tmp_path, monkeypatch):
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine scihub.copernicus.eu\nlogin netrc_user\npassword netrc_pw\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    api = SentinelAPI(None, None, "https://scihub.copernicus.eu/dhus")
    user, password = api.session.auth  # a (user, password) pair, as 0.13's session had
    assert (user, password) == ("netrc_user", "netrc_pw")
    request = api.session.prepare_request(requests.Request("GET", api.api_url + "search"))
    assert request.headers["Authorization"] == requests.auth._basic_auth_str(
        "netrc_user", "netrc_pw"
    )


def test_timeout_passed_to_requests():
    api = SentinelAPI("mock_user", "mock_password", timeout=(3.5, 7))
    seen = []
    original = api.session.send

    def spy(request, **kwargs):
        seen.append(kwargs.get("timeout"))
        return original(request, **kwargs)

    api.session.send = spy
    with recordings.use_cassette("dhus-2018/test_small_query.yaml"):
        api.query("POLYGON((0 0,1 1,0 1,0 0))", ("20150101", "20150102"))
    assert seen == [(3.5, 7)]


def test_connection_error_is_sentinel_error():
    # nothing listens on port 9 of the loopback interface
    api = SentinelAPI("user", "secret", "http://127.0.0.1:9/dhus", timeout=2)
    api.session.adapters["http://"].max_retries.total = 0
    with pytest.raises(SentinelAPIError, match="Could not connect") as error:
        api.count(producttype="SLC")
    assert "secret" not in str(error.value)


def test_logging_goes_to_sentinelsat_logger(api, caplog):
    assert logging.getLogger("sentinelsat").handlers == []
    caplog.set_level(logging.DEBUG, logger="sentinelsat")
    with recordings.use_cassette("dhus-2018/test_small_query.yaml"):
        api.query("POLYGON((0 0,1 1,0 1,0 0))", ("20150101", "20150102"))
    names = {record.name for record in caplog.records}
    assert names and all(name.startswith("sentinelsat") for name in names)
    assert any("Found 0 products" in record.getMessage() for record in caplog.records)


# ----------------------------------------------------------------------------- errors
def _response(status, body, content_type="text/html;charset=utf-8", headers=None):
    response = requests.Response()
    response.status_code = status
    response.reason = requests.status_codes._codes[status][0].replace("_", " ").title()
    response._content = body.encode("utf-8")
    response._content_consumed = True
    response.headers["Content-Type"] = content_type
    response.headers.update(headers or {})
    response.encoding = "utf-8"
    return response


def test_error_string_shows_status_and_message():
    error = SentinelAPIError("boom", _response(500, ""))
    assert str(error) == "HTTP status 500 Internal Server Error: boom"
    assert error.msg == "boom"
    assert SentinelAPIError("no response").response is None
    assert str(SentinelAPIError("no response")) == "no response"


def test_errors_pickle():
    error = pickle.loads(pickle.dumps(SentinelAPILTAError("quota", _response(403, ""))))
    assert isinstance(error, SentinelAPILTAError) and error.msg == "quota"


def test_message_from_cause_header():
    response = _response(
        404,
        '{"error":{"code":null,"message":{"lang":"en","value":"Invalid key (x)"}}}',
        "application/json",
        {"cause-message": "InvalidKeyException : Invalid key (x) to access Products"},
    )
    assert server_message(response) == "InvalidKeyException : Invalid key (x) to access Products"


def test_message_from_json_body():
    response = _response(
        404,
        '{"error":{"code":null,"message":{"lang":"en","value":"Invalid key (x)"}}}',
        "application/json",
    )
    assert server_message(response) == "Invalid key (x)"


def test_message_from_xml_body():
    body = (
        "<?xml version='1.0' encoding='UTF-8'?><error xmlns=\"http://schemas.microsoft.com/ado/2007/08/"
        'dataservices/metadata"><code/><message xml:lang="en">Invalid key (y) to access Products'
        "</message></error>"
    )
    # as 0.13 read it: a body that is not JSON is rendered as text by html2text
    assert server_message(_response(404, body, "application/xml")).endswith(
        "Invalid key (y) to access Products"
    )


def test_message_from_maintenance_page():
    page = maintenance_page().decode("utf-8")  # the real page, kept with the local hub
    message = server_message(_response(503, page))
    assert "will be back soon" in message
    assert "maintenance" in message
    assert "<" not in message and "font-family" not in message


def test_html_stack_trace_is_kept_in_msg_and_dropped_from_the_summary():
    page = (
        "<html><body><h1>HTTP Status 500 - Request failed</h1><p><b>exception</b></p>"
        "<pre>org.example.Trace\n at a.b.c(C.java:1)</pre></body></html>"
    )
    assert "org.example.Trace" in html_to_text(page)  # msg is the whole page, as in 0.13
    assert summarize(html_to_text(page)) == "HTTP Status 500 - Request failed"


def test_message_of_an_empty_body_is_empty():
    assert server_message(_response(502, "")) == ""  # html2text of nothing, as in 0.13


def test_message_of_an_answer_without_text_is_invalid_api_response():
    assert server_message(_response(200, "{Invalid JSON response")) == "Invalid API response."


def test_retry_backoff_is_read_at_each_call():
    api = SentinelAPI("user", "secret", "https://host/dhus")
    adapter = api.session.get_adapter("https://host/dhus/")
    assert api._connection().backoff == adapter.max_retries.backoff_factor == 0.5
    api.retry_backoff = 0
    assert api._connection().backoff == adapter.max_retries.backoff_factor == 0
