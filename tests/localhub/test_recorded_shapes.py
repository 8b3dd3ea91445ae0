"""The hub answers the workloads of the recordings with responses of the same shape."""

from __future__ import annotations

import pytest
import requests

from .helpers import (
    entries,
    load_cassette,
    odata_url,
    recorded_body,
    recorded_headers,
    search,
)

RECORDED_ID = "d8340134-878f-4891-ba4f-4df54f1e3ab4"
RECORDED_NAME = "S1A_WV_OCN__2SSV_20150526T211029_20150526T211737_006097_007E78_134A"


@pytest.fixture
def hub(make_local_hub):
    return make_local_hub(products=60, include_recorded=True)


@pytest.fixture
def http(hub):
    with requests.Session() as session:
        session.auth = (hub.user, hub.password)
        yield session


def typed_names(entry: dict) -> dict[str, set[str]]:
    groups = {}
    for group in ("date", "int", "double", "str"):
        items = entry.get(group)
        if items is not None:
            groups[group] = {
                item["name"] for item in ([items] if isinstance(items, dict) else items)
            }
    return groups


def test_search_with_one_entry(hub, http):
    (interaction,) = load_cassette("dhus-2018/test_name_search.yaml")
    recorded = recorded_body(interaction)
    query = "identifier:" + RECORDED_NAME
    assert interaction["request"]["body"] == "q=identifier%3A" + RECORDED_NAME
    mine = search(hub, http, query).json()
    assert set(mine) == set(recorded) == {"feed"}
    assert set(mine["feed"]) == set(recorded["feed"])
    assert isinstance(mine["feed"]["entry"], dict) and isinstance(recorded["feed"]["entry"], dict)
    assert set(mine["feed"]["entry"]) == set(recorded["feed"]["entry"])
    assert typed_names(mine["feed"]["entry"]) == typed_names(recorded["feed"]["entry"])
    assert [link["rel"] for link in mine["feed"]["link"]] == [
        link["rel"] for link in recorded["feed"]["link"]
    ]
    assert set(mine["feed"]["opensearch:Query"]) == set(recorded["feed"]["opensearch:Query"])
    assert [set(link) for link in mine["feed"]["entry"]["link"]] == [
        set(link) for link in recorded["feed"]["entry"]["link"]
    ]
    for key in ("title", "id", "summary"):
        assert mine["feed"]["entry"][key] == recorded["feed"]["entry"][key]
    for key in (
        "opensearch:totalResults",
        "opensearch:startIndex",
        "opensearch:itemsPerPage",
        "title",
    ):
        assert mine["feed"][key] == recorded["feed"][key]
    assert mine["feed"]["entry"]["str"] == recorded["feed"]["entry"]["str"]


def test_search_with_two_entries(hub, http):
    recorded = recorded_body(load_cassette("dhus-2018/test_name_search_multiple.yaml")[0])
    products = [
        p for p in hub.products if p.platformname == "Sentinel-1" and p.producttype == "GRD"
    ][:2]
    mine = search(
        hub, http, "identifier:(" + " OR ".join(p.identifier for p in products) + ")"
    ).json()
    assert set(mine["feed"]) == set(recorded["feed"])
    assert isinstance(mine["feed"]["entry"], list) and len(mine["feed"]["entry"]) == 2
    assert set(mine["feed"]["entry"][0]) == set(recorded["feed"]["entry"][0])
    recorded_names = typed_names(recorded["feed"]["entry"][0])
    my_names = typed_names(mine["feed"]["entry"][0])
    assert set(my_names) == set(recorded_names)
    for group in recorded_names:
        assert recorded_names[group] - {"processed", "productconsolidation"} <= my_names[group]


def test_search_without_entries(hub, http):
    (interaction,) = load_cassette("dhus-2018/test_SentinelAPI_connection.yaml")
    recorded = recorded_body(interaction)
    response = http.post(
        hub.url + "search?format=json&rows=100&start=0",
        data=interaction["request"]["body"],
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
    )
    mine = response.json()
    assert (
        mine["feed"]["opensearch:totalResults"]
        == recorded["feed"]["opensearch:totalResults"]
        == "0"
    )
    assert set(mine["feed"]) == set(recorded["feed"])
    assert [link["href"].split("&", 1)[1] for link in mine["feed"]["link"][:3]] == [
        link["href"].split("&", 1)[1] for link in recorded["feed"]["link"][:3]
    ]
    assert mine["feed"]["title"] == recorded["feed"]["title"]


def test_invalid_query_body_is_identical(hub, http):
    (interaction,) = load_cassette("dhus-2023/test_invalid_query.yaml")
    response = http.get(hub.url + "search?format=json&rows=100&start=0&q=xxx%3Ayyy")
    assert response.status_code == interaction["response"]["status"]["code"] == 200
    assert response.json() == recorded_body(interaction)


def test_odata_short_keys(hub, http):
    recorded = recorded_body(
        next(
            interaction
            for interaction in load_cassette("dhus-2023/node_test_products.yaml")
            if interaction["request"]["uri"].endswith(
                "Products('753c29d7-42c4-4ff9-a962-bfb4219816c6')?$format=json"
            )
        )
    )
    mine = http.get(odata_url(hub, hub.products[0].id, "?$format=json")).json()
    assert set(mine["d"]) == set(recorded["d"])
    for key in (
        "__metadata",
        "ContentDate",
        "Checksum",
        "Products",
        "Nodes",
        "Attributes",
        "Class",
    ):
        assert set(mine["d"][key]) == set(recorded["d"][key]), key
    for key, value in recorded["d"].items():
        assert type(mine["d"][key]) is type(value), key


def test_odata_full_keys(hub, http):
    interaction = load_cassette("dhus-2018/test_get_product_odata_full.yaml")[0]
    recorded = recorded_body(interaction)["d"]
    mine = http.get(odata_url(hub, hub.products[0].id, "?$format=json&$expand=Attributes")).json()[
        "d"
    ]
    assert set(recorded) <= set(mine)
    assert set(mine["Attributes"]) == set(recorded["Attributes"]) == {"results"}
    assert set(mine["Attributes"]["results"][0]) == set(recorded["Attributes"]["results"][0])
    assert set(mine["Attributes"]["results"][0]["__metadata"]) == set(
        recorded["Attributes"]["results"][0]["__metadata"]
    )
    recorded_names = {item["Name"] for item in recorded["Attributes"]["results"]}
    s1 = next(p for p in hub.products if p.producttype == "GRD")
    my_names = {
        item["Name"]
        for item in http.get(odata_url(hub, s1.id, "?$format=json&$expand=Attributes")).json()["d"][
            "Attributes"
        ]["results"]
    }
    assert {"Filename", "Identifier", "Footprint", "JTS footprint", "Sensing start", "Sensing stop", "Size",
            "Satellite", "Instrument", "Mode", "Date", "Product type", "Pass direction", "Polarisation"} <= my_names & recorded_names  # fmt: skip


def test_odata_values_of_a_recorded_product(hub, http):
    interaction = next(
        i
        for i in load_cassette("dhus-2018/test_download.yaml")
        if "$format=json" in i["request"]["uri"]
    )
    recorded = recorded_body(interaction)["d"]
    mine = http.get(odata_url(hub, recorded["Id"], "?$format=json")).json()["d"]
    for key in (
        "Id",
        "Name",
        "ContentLength",
        "CreationDate",
        "IngestionDate",
        "ContentDate",
        "Checksum",
        "Online",
    ):
        assert mine[key] == recorded[key], key
    assert mine["ContentGeometry"] == recorded["ContentGeometry"]


def test_not_found_bodies_are_identical(hub, http):
    (interaction,) = load_cassette("dhus-2018/test_get_product_info_bad_key.yaml")
    response = http.get(odata_url(hub, "invalid-xyz", "?$format=json"))
    assert response.status_code == interaction["response"]["status"]["code"] == 404
    assert response.json() == recorded_body(interaction)
    assert response.headers["cause-message"] == recorded_headers(interaction)["cause-message"]
    (interaction,) = load_cassette("dhus-2023/test_is_online.yaml")
    response = http.get(odata_url(hub, "98ca202b-2155-4181-be88-xxxxxxxxxxxx", "/Online/$value"))
    assert response.status_code == 404
    assert response.text == recorded_body(interaction)
    assert response.headers["cause-message"] == recorded_headers(interaction)["cause-message"]
    assert response.headers["Content-Type"] == recorded_headers(interaction)["content-type"]


def test_download_headers(hub, http):
    recorded = [
        i
        for i in load_cassette("dhus-2018/test_download.yaml")
        if i["request"]["uri"].endswith("$value")
    ]
    full = next(i for i in recorded if i["response"]["status"]["code"] == 200)
    ranged = next(i for i in recorded if i["response"]["status"]["code"] == 206)
    product_id = "1f62a176-c980-41dc-b3a1-c735d660c910"
    for interaction in (full, ranged):
        headers = (
            {"Range": interaction["request"]["headers"]["Range"][0]}
            if "Range" in interaction["request"]["headers"]
            else {}
        )
        response = http.get(odata_url(hub, product_id, "/$value"), headers=headers)
        expected = recorded_headers(interaction)
        assert response.status_code == interaction["response"]["status"]["code"]
        for name in (
            "accept-ranges",
            "content-disposition",
            "content-length",
            "content-range",
            "content-type",
            "etag",
        ):
            assert response.headers[name] == expected[name], name


def test_stream_and_online_as_2023(hub, http):
    online, value = load_cassette("dhus-2023/test_get_stream.yaml")
    response = http.get(odata_url(hub, hub.products[0].id, "/Online/$value"))
    assert response.text == online["response"]["body"]["string"] == "true"
    assert response.headers["Content-Type"] == recorded_headers(online)["content-type"]
    response = http.get(odata_url(hub, hub.products[0].id, "/$value"))
    assert set(recorded_headers(value)) - {"pragma", "dataserviceversion"} <= {
        name.lower() for name in response.headers
    }


def test_unauthorized_page_is_identical(hub):
    interactions = load_cassette("dhus-2023/test_SentinelAPI_wrong_credentials.yaml")
    search_401 = interactions[0]
    response = requests.get(
        hub.url + "search?format=json&rows=100&start=0&q=*", auth=("nobody", "wrong")
    )
    assert response.status_code == 401
    assert response.text == recorded_body(search_401)
    assert response.headers["WWW-Authenticate"] == recorded_headers(search_401)["www-authenticate"]
    odata_401 = interactions[1]
    response = requests.get(
        odata_url(hub, "8df46c9e-a20c-43db-a19a-4240c2ed3b8b", "?$format=json"), auth=("x", "y")
    )
    assert response.headers["WWW-Authenticate"] == recorded_headers(odata_401)["www-authenticate"]


def test_recorded_search_by_names_finds_the_recorded_products(hub, http):
    found = entries(
        search(
            hub,
            http,
            f"{RECORDED_NAME} OR S1A_WV_OCN__2SSH_20150603T092625_20150603T093332_006207_008194_521E",
        ).json()
    )
    assert sorted(entry["id"] for entry in found) == [
        "1f62a176-c980-41dc-b3a1-c735d660c910",
        RECORDED_ID,
    ]
