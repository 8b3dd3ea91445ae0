"""A search with more results than CDSE's ``$skip`` reaches (10,000) is split into windows of
the sort field: ``query()`` still returns every product once, in order."""

from __future__ import annotations

import pytest

from sentinelsat import SentinelAPI
from sentinelsat.backends.cdse import MAX_SKIP, CDSEBackend
from sentinelsat.testing import LocalCDSE

from .conftest import SPAN, by_server

pytestmark = pytest.mark.slow

TOTAL = 21_000


@pytest.fixture(scope="module")
def large():
    # without checksums: computing those of 21,000 zips is what would take the time here
    catalogue = {"seed": 2, "date_span": SPAN, "product_size": 1024, "checksums": "none"}
    with LocalCDSE(products=TOTAL, **catalogue) as cdse:
        backend = CDSEBackend(cdse.url, token_url=cdse.token_url, download_url=cdse.download_url)
        yield cdse, SentinelAPI(cdse.user, cdse.password, cdse.url, False, backend=backend)


def ordered_ids(cdse, key, descending):
    entries = sorted(cdse.entries, key=lambda entry: entry.id)  # ties: by id, as the server
    return [entry.id for entry in sorted(entries, key=key, reverse=descending)]


def skips(cdse):
    return [int(r.query.get("$skip", 0)) for r in by_server(cdse, "catalogue")]


def test_every_product_once_in_order(large):
    cdse, api = large
    cdse.clear_log()
    found = api.query()
    assert len(found) == TOTAL
    assert list(found) == ordered_ids(cdse, lambda entry: entry.publication_date, True)
    assert max(skips(cdse)) <= MAX_SKIP and all(r.status == 200 for r in cdse.request_log)
    windows = {r.query.get("$filter") for r in by_server(cdse, "catalogue")} - {None}
    assert any("PublicationDate lt" in text for text in windows)
    assert any("PublicationDate ge" in text for text in windows)


def test_ascending_order_by_sensing_date(large):
    cdse, api = large
    cdse.clear_log()
    found = api.query(order_by="beginposition")
    assert list(found) == ordered_ids(cdse, lambda entry: entry.content_start, False)
    assert max(skips(cdse)) <= MAX_SKIP
    assert any("ContentDate/Start ge" in (r.query.get("$filter") or "") for r in cdse.request_log)


@pytest.mark.parametrize(("offset", "limit"), [(9_500, 3_000), (15_000, 120), (20_990, 50)])
def test_limit_and_offset_across_windows(large, offset, limit):
    cdse, api = large
    ids = ordered_ids(cdse, lambda entry: entry.publication_date, True)
    page = api.query(limit=limit, offset=offset)
    assert list(page) == ids[offset : offset + limit]


def test_a_smaller_search_is_not_split(large):
    cdse, api = large
    cdse.clear_log()
    found = api.query(platformname="Sentinel-3")
    expected = [e.id for e in cdse.entries if e.collection == "SENTINEL-3"]
    assert 1000 < len(expected) <= MAX_SKIP and set(found) == set(expected)
    assert all("PublicationDate" not in (r.query.get("$filter") or "") for r in cdse.request_log)


def test_count_is_one_request(large):
    cdse, api = large
    cdse.clear_log()
    assert api.count() == TOTAL
    assert len(cdse.request_log) == 1
