"""OpenSearch over HTTP: query evaluation, paging, ordering, response shape, errors."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import requests
from shapely import wkt

from .helpers import AOI, entries, load_cassette, search

UTC = timezone.utc


def ids(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [entry["id"] for entry in entries(response.json())]


def attribute(entry: dict, name: str) -> str:
    for group in ("date", "int", "double", "str"):
        items = entry.get(group, [])
        for item in [items] if isinstance(items, dict) else items:
            if item["name"] == name:
                return item["content"]
    raise KeyError(name)


@pytest.fixture
def hub(make_local_hub):
    return make_local_hub(products=300, seed=5)


@pytest.fixture
def http(hub):
    with requests.Session() as session:
        session.auth = (hub.user, hub.password)
        yield session


def test_post_and_get_give_the_same_results(hub, http):
    posted = search(hub, http, "platformname:Sentinel-1 producttype:GRD")
    got = search(hub, http, "platformname:Sentinel-1 producttype:GRD", method="GET")
    assert ids(posted) == ids(got)
    assert len(ids(posted)) > 0


def test_results_equal_filtering_the_catalogue(hub, http):
    expected = {
        p.id
        for p in hub.products
        if p.platformname == "Sentinel-2" and p.attributes["cloudcoverpercentage"] <= 30
    }
    assert len(expected) > 5
    found = ids(search(hub, http, "platformname:Sentinel-2 AND cloudcoverpercentage:[0 TO 30]"))
    assert set(found) == expected
    total = search(
        hub, http, "platformname:Sentinel-2 cloudcoverpercentage:[0 TO 30]", rows=0
    ).json()
    assert total["feed"]["opensearch:totalResults"] == str(len(expected))


def test_area_and_recent_dates(hub, http):
    area = wkt.loads(AOI)
    now = datetime.now(UTC)
    expected = {
        p.id
        for p in hub.products
        if p.geometry.intersects(area) and now - timedelta(days=7) <= p.beginposition <= now
    }
    query = f'beginPosition:[NOW-7DAYS TO NOW] footprint:"Intersects({AOI})"'
    assert set(ids(search(hub, http, query))) == expected


def test_identifier_uuid_and_bare_names(hub, http):
    first, second = hub.products[3], hub.products[4]
    assert ids(search(hub, http, f"identifier:{first.identifier}")) == [first.id]
    assert ids(search(hub, http, f'(uuid:"{first.id}")', method="GET")) == [first.id]
    found = ids(search(hub, http, f"{first.identifier} OR {second.identifier}"))
    assert sorted(found) == sorted([first.id, second.id])
    found = ids(search(hub, http, f"identifier:({first.identifier} OR {second.identifier})"))
    assert sorted(found) == sorted([first.id, second.id])


def test_wildcards_and_escapes(hub, http):
    expected = {p.id for p in hub.products if re.fullmatch(r"S1._IW_.*", p.identifier)}
    assert set(ids(search(hub, http, "identifier:S1?_IW_*"))) == expected
    sentinel3 = {
        p.id for p in hub.products if p.attributes.get("timeliness") == "Non Time Critical"
    }
    assert sentinel3
    assert set(ids(search(hub, http, r"timeliness:Non\ Time\ Critical"))) == sentinel3


def test_one_entry_is_an_object_and_totals_are_strings(hub, http):
    product = hub.products[0]
    feed = search(hub, http, f"identifier:{product.identifier}").json()["feed"]
    assert isinstance(feed["entry"], dict)
    assert feed["opensearch:totalResults"] == "1"
    assert feed["opensearch:startIndex"] == "0"
    assert feed["opensearch:itemsPerPage"] == "100"
    assert feed["subtitle"].startswith("Displaying 1 results. Request done in ")
    assert (
        feed["title"]
        == f"Sentinels Scientific Data Hub search results for: identifier:{product.identifier}"
    )


def test_no_result_has_no_entry(hub, http):
    feed = search(hub, http, "platformname:Sentinel-1 AND platformname:Sentinel-2").json()["feed"]
    assert "entry" not in feed
    assert feed["opensearch:totalResults"] == "0"
    assert feed["subtitle"].startswith("Displaying 0 results.")


def test_paging_covers_every_result_once(hub, http):
    query = "platformname:Sentinel-1 OR platformname:Sentinel-3"
    expected = {p.id for p in hub.products if p.platformname in ("Sentinel-1", "Sentinel-3")}
    seen: list[str] = []
    for start in range(0, len(expected) + 7, 7):
        feed = search(hub, http, query, rows=7, start=start).json()["feed"]
        assert feed["opensearch:totalResults"] == str(len(expected))
        assert feed["opensearch:startIndex"] == str(start)
        seen += [entry["id"] for entry in entries({"feed": feed})]
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected


def test_page_links_follow_the_recorded_rules(hub, http):
    # from the recordings: 290 results, start=90 rows=20 -> previous start=80, next start=120
    feed = search(hub, http, "*:*", rows=20, start=90).json()["feed"]
    total = len(hub.products)
    links = {link["rel"]: link["href"] for link in feed["link"]}
    assert set(links) == {"self", "first", "previous", "next", "last", "search"}
    assert links["self"].endswith("&start=90&rows=20")
    assert links["first"].endswith("&start=0&rows=20")
    assert links["previous"].endswith("&start=80&rows=20")
    assert links["next"].endswith("&start=120&rows=20")
    assert links["last"].endswith(f"&start={total - 1}&rows=20")
    assert feed["subtitle"].startswith(f"Displaying 90 to 109 of {total} total results.")
    count = search(hub, http, "*:*", rows=0).json()["feed"]
    assert "entry" not in count and count["opensearch:totalResults"] == str(total)
    assert count["subtitle"].startswith(f"Displaying 0 to -1 of {total} total results.")


def test_orderby_as_the_client_encodes_it(hub, http):
    url = (
        hub.url
        + "search?format=json&rows=100&start=0&orderby=cloudcoverpercentage%20asc,beginposition%20desc"
    )
    response = http.post(url, data={"q": "platformname:Sentinel-2"})
    found = entries(response.json())
    keys = [
        (float(attribute(e, "cloudcoverpercentage")), attribute(e, "beginposition")) for e in found
    ]
    assert len(keys) > 10
    assert [cloud for cloud, _ in keys] == sorted(cloud for cloud, _ in keys)
    descending = search(
        hub, http, "platformname:Sentinel-2", orderby="cloudcoverpercentage desc"
    ).json()
    clouds = [float(attribute(e, "cloudcoverpercentage")) for e in entries(descending)]
    assert clouds == sorted(clouds, reverse=True)


def test_default_order_is_ingestion_date_descending(hub, http):
    found = entries(search(hub, http, "*:*").json())
    dates = [p.ingestiondate for p in (hub.product(e["id"]) for e in found)]
    assert dates == sorted(dates, reverse=True)


def test_entry_attributes_are_typed(make_local_hub):
    hub = make_local_hub(products=60, seed=1)
    with requests.Session() as http:
        http.auth = (hub.user, hub.password)
        s2 = next(p for p in hub.products if p.platformname == "Sentinel-2")
        entry = entries(search(hub, http, f"uuid:{s2.id}").json())[0]
        doubles = entry["double"] if isinstance(entry["double"], list) else [entry["double"]]
        assert {
            "name": "cloudcoverpercentage",
            "content": repr(s2.attributes["cloudcoverpercentage"]),
        } in doubles
        assert {"name": "orbitnumber", "content": str(s2.attributes["orbitnumber"])} in entry["int"]
        assert {"name": "filename", "content": s2.filename} in entry["str"]
        begin = attribute(entry, "beginposition")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z", begin)
        parsed = datetime.fromisoformat(begin.replace("Z", "").ljust(19, "0")).replace(tzinfo=UTC)
        assert abs(parsed - s2.beginposition) < timedelta(milliseconds=1)
        assert re.fullmatch(
            r"Date: .+Z, Instrument: MSI, Mode: , Satellite: Sentinel-2, Size: \d+(\.\d\d)? [KMG]?B",
            entry["summary"],
        )
        link = entry["link"]
        assert link[0] == {"href": f"{hub.url}odata/v1/Products('{s2.id}')/$value"}
        assert link[1]["rel"] == "alternative" and link[2]["rel"] == "icon"
        s5p = next(p for p in hub.products if p.platformname == "Sentinel-5 Precursor")
        entry = entries(search(hub, http, f"uuid:{s5p.id}").json())[0]
        assert entry["int"] == {
            "name": "orbitnumber",
            "content": str(s5p.attributes["orbitnumber"]),
        }
        assert "double" not in entry


def test_rows_over_100_is_a_400(hub, http):
    assert search(hub, http, "*:*", rows=100).status_code == 200
    assert search(hub, http, "*:*", rows=101).status_code == 400
    assert search(hub, http, "*:*", rows=-1).status_code == 400


def test_unknown_field_and_syntax_errors_are_feed_errors(hub, http):
    for method in ("POST", "GET"):
        response = search(hub, http, "xxx:yyy", method=method)
        assert response.status_code == 200
        assert response.json()["feed"]["error"] == {"code": "400", "message": "undefined field xxx"}
    for query in ("identifier:()", "ingestiondate:[NOW - 1HOUR TO *]", "ingestiondate:[** TO *]"):
        response = search(hub, http, query)
        assert response.status_code == 200
        assert response.json()["feed"]["error"]["code"] == "400"
    response = search(hub, http, "*:*", orderby="nothing asc")
    assert response.json()["feed"]["error"]["message"] == "undefined field nothing"


def test_too_long_query_as_recorded(hub, http):
    accepted, rejected = (
        interaction["request"]["body"]
        for interaction in load_cassette("dhus-2018/test_too_long_query.yaml")
    )
    response = http.post(
        hub.url + "search?format=json&rows=0&start=0",
        data=accepted,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
    )
    assert response.status_code == 200
    response = http.post(
        hub.url + "search?format=json&rows=0&start=0",
        data=rejected,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
    )
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/html")
    assert (
        "non ok status: 413, message:Request Entity Too Large" in response.headers["cause-message"]
    )
    assert response.headers["cause-message"].startswith("RemoteSolrException : ")
    assert "HTTP Status 500" in response.text
