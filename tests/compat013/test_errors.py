"""0.13 guarantees: error messages are the server's, verbatim; network failures keep their
``requests`` type.

``SentinelAPIError.msg`` is exactly what 0.13 put there, in this order: the
``cause-message`` header; the OData JSON error's ``error.message.value``; for a body that does
not start with ``{``, the body rendered by html2text, stripped; ``'Invalid API response.'``.
sentinelsat's own diagnosis goes to ``hint``. A network failure is a ``SentinelAPIError`` and
an instance of the ``requests`` exception that happened, for ``query``, ``count``,
``get_product_odata``, ``download`` and ``download_all``.
"""

from __future__ import annotations

import pickle
from urllib.parse import parse_qs

import html2text
import pytest
import requests
import requests_mock
import yaml
from kit import CASSETTES, recordings

from sentinelsat import (
    InvalidKeyError,
    NetworkError,
    QueryLengthError,
    QuerySyntaxError,
    SentinelAPI,
    SentinelAPIError,
    ServerError,
    UnauthorizedError,
)

SEARCH = "https://scihub.copernicus.eu/apihub/search?format=json"
PRODUCT = "8df46c9e-a20c-43db-a19a-4240c2ed3b8b"
ODATA = f"https://scihub.copernicus.eu/apihub/odata/v1/Products('{PRODUCT}')?$format=json"


class QuickAPI(SentinelAPI):
    retry_backoff = 0  # transient answers are retried at once


@pytest.fixture
def api() -> SentinelAPI:
    return QuickAPI("mock_user", "mock_password", show_progressbars=False)


# ---------------------------------------------------------------------- the message rules
def test_cause_message_header_first(api):
    with recordings.use_cassette("dhus-2018/test_get_product_info_bad_key.yaml"):
        with pytest.raises(SentinelAPIError) as error:
            api.get_product_odata("invalid-xyz")
    assert error.value.msg == "InvalidKeyException : Invalid key (invalid-xyz) to access Products"
    assert isinstance(error.value, InvalidKeyError) and isinstance(error.value, KeyError)


def test_odata_json_error_next(api):
    body = {"error": {"code": None, "message": {"lang": "en", "value": "Invalid key (x)"}}}
    with requests_mock.Mocker() as mocker:
        mocker.get(ODATA, status_code=404, json=body)
        with pytest.raises(SentinelAPIError) as error:
            api.get_product_odata(PRODUCT)
    assert error.value.msg == "Invalid key (x)"
    assert error.value.response.status_code == 404


@pytest.mark.parametrize("status", [500, 503])
def test_plain_text_body_verbatim(api, status):
    with requests_mock.Mocker() as mocker:
        mocker.get(ODATA, status_code=status, text="Mock server is down")
        with pytest.raises(SentinelAPIError) as error:
            api.get_product_odata(PRODUCT)
    assert error.value.msg == "Mock server is down"
    assert isinstance(error.value, ServerError)
    assert mocker.call_count == 4  # a transient answer: retried three times


def test_html_page_rendered_by_html2text(api):
    page = (
        "<html><head><title>Oops</title></head><body><h1>Service down</h1>"
        '<p>See <a href="https://status.example.org/">the status page</a>.</p>'
        '<img src="logo.png" alt="logo"></body></html>'
    )
    # the oracle: html2text configured as 0.13 configured it
    converter = html2text.HTML2Text()
    converter.ignore_images = True
    converter.ignore_anchors = True
    with requests_mock.Mocker() as mocker:
        mocker.get(ODATA, status_code=502, text=page, headers={"Content-Type": "text/html"})
        with pytest.raises(SentinelAPIError) as error:
            api.get_product_odata(PRODUCT)
    assert error.value.msg == converter.handle(page).strip()
    assert "logo" not in error.value.msg


def test_invalid_json_with_status_200(api):
    with requests_mock.Mocker() as mocker:
        mocker.post(SEARCH, text="{Invalid JSON response", status_code=200)
        with pytest.raises(SentinelAPIError) as error:
            api.query(raw="S1A*")
    assert error.value.msg == "Invalid API response."
    assert error.value.response.status_code == 200


def test_json_error_body_without_message_is_invalid_response(api):
    with requests_mock.Mocker() as mocker:
        mocker.get(ODATA, status_code=500, json={"unexpected": True})
        with pytest.raises(SentinelAPIError) as error:
            api.get_product_odata(PRODUCT)
    assert error.value.msg == "Invalid API response."


def test_null_total_is_invalid_query_string(api):
    with requests_mock.Mocker() as mocker:
        mocker.post(SEARCH, json={"feed": {"opensearch:totalResults": None}})
        with pytest.raises(SentinelAPIError) as error:
            api.query(raw="xxx:yyy")
    assert "Invalid query string" in error.value.msg
    assert error.value.msg == "Invalid query string. Check the parameters and format."
    assert isinstance(error.value, QuerySyntaxError)


def test_too_long_query_keeps_the_server_text(api):
    repeats = _fitting_repeats()
    short, long = (" a_-.*:,?+~!" * n for n in (repeats, repeats + 1))
    assert 0.99 < api.check_query_length(short) < 1.0 <= api.check_query_length(long) < 1.01
    with recordings.use_cassette("dhus-2018/test_too_long_query.yaml"):
        with pytest.raises(SentinelAPIError) as fitting:
            api.count(raw=short)
        with pytest.raises(SentinelAPIError) as too_long:
            api.count(raw=long)
    assert "Invalid query string" in fitting.value.msg  # the server's null total
    assert too_long.value.response.status_code == 500
    assert "Request Entity Too Large" in too_long.value.msg
    assert isinstance(too_long.value, QueryLengthError)
    assert "too long" in too_long.value.hint and "too long" in str(too_long.value)


def _fitting_repeats() -> int:
    """The number of repeats in the first recorded query (the one that fits the limit)."""
    cassette = yaml.safe_load((CASSETTES / "dhus-2018/test_too_long_query.yaml").read_text())
    query = parse_qs(cassette["interactions"][0]["request"]["body"])["q"][0]
    return query.count("~!")


def test_401_keeps_the_page_and_adds_a_hint(api):
    with recordings.use_cassette("dhus-2018/test_SentinelAPI_wrong_credentials.yaml"):
        with pytest.raises(SentinelAPIError) as error:
            api.get_product_odata(PRODUCT)
    assert isinstance(error.value, UnauthorizedError)
    assert error.value.msg.startswith("# HTTP Status 401 - Full authentication is required")
    assert "Check the username and password" in error.value.hint
    assert "Check the username and password" not in error.value.msg


def test_str_is_0_13s_form_with_the_hint_after():
    response = requests.Response()
    response.status_code, response.reason = 500, "Internal Server Error"
    assert str(SentinelAPIError("boom", response)) == "HTTP status 500 Internal Server Error: boom"
    assert (
        str(SentinelAPIError("a\nb", response)) == "HTTP status 500 Internal Server Error: \na\nb"
    )
    assert str(SentinelAPIError("boom", response, "try later")) == (
        "HTTP status 500 Internal Server Error: boom\ntry later"
    )
    assert str(SentinelAPIError("no response")) == "no response"


# ---------------------------------------------------------------------- network failures
def _operations(api, tmp_path):
    return {
        "query": lambda: api.query(raw="S1A*"),
        "count": lambda: api.count(raw="S1A*"),
        "get_product_odata": lambda: api.get_product_odata(PRODUCT),
        "download": lambda: api.download(PRODUCT, str(tmp_path)),
        "download_all": lambda: api.download_all([PRODUCT], str(tmp_path)),
    }


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ConnectTimeout,
        requests.exceptions.ReadTimeout,
        requests.exceptions.ConnectionError,
    ],
)
@pytest.mark.parametrize(
    "operation", ["query", "count", "get_product_odata", "download", "download_all"]
)
def test_network_failure_keeps_its_requests_type(api, tmp_path, failure, operation):
    with requests_mock.Mocker() as mocker:
        mocker.register_uri(requests_mock.ANY, requests_mock.ANY, exc=failure)
        with pytest.raises(failure) as error:
            _operations(api, tmp_path)[operation]()
    assert isinstance(error.value, SentinelAPIError)
    assert isinstance(error.value, NetworkError)
    assert error.value.hint  # sentinelsat's explanation, beside 0.13's message
    if operation == "download_all":  # every product failed: the last error, retried 10 times
        assert mocker.call_count == 10


def test_network_errors_pickle():
    original = requests.exceptions.ReadTimeout("read timed out")
    from sentinelsat.exceptions import network_error

    error = pickle.loads(pickle.dumps(network_error(original, "hint")))
    assert isinstance(error, requests.exceptions.ReadTimeout)
    assert isinstance(error, SentinelAPIError)
    assert (error.msg, error.hint) == ("read timed out", "hint")
