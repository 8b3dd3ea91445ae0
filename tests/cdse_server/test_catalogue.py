"""The catalogue server: Products queries, paging limits, entities, FilterList, Attributes,
quicklooks and the redirect of ``$value``."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from sentinelsat.testing import LocalCDSE
from sentinelsat.testing.content import quicklook_bytes

from .conftest import SPAN, products_list

S2 = "Collection/Name eq 'SENTINEL-2'"


@pytest.fixture(scope="module")
def big(many_products):
    with LocalCDSE(many_products, seed=5) as cdse:
        yield cdse


def all_ids(cdse, **params) -> list[str]:
    """Follow nextLinks from the first page; the ids in the order served."""
    ids: list[str] = []
    url, query = cdse.url + "Products", dict(params)
    while url:
        page = requests.get(url, params=query).json()
        ids += [entry["Id"] for entry in page["value"]]
        url, query = page.get("@odata.nextLink"), None
    return ids


# --------------------------------------------------------------------------- the list
def test_list_shape_and_default_top(cdse):
    reply = products_list(cdse)
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "application/json"
    page = reply.json()
    assert list(page) == ["@odata.context", "value", "@odata.nextLink"]
    assert page["@odata.context"] == "$metadata#Products"
    assert len(page["value"]) == 20
    entry = page["value"][0]
    assert list(entry) == [
        "@odata.mediaContentType", "Id", "Name", "ContentType", "ContentLength", "OriginDate",
        "PublicationDate", "ModificationDate", "Online", "EvictionDate", "S3Path", "Checksum",
        "ContentDate", "Footprint", "GeoFootprint",
    ]  # fmt: skip
    assert entry["EvictionDate"] == "9999-12-31T23:59:59.999999Z"


def test_count_and_filter(cdse):
    page = products_list(cdse, **{"$filter": S2, "$count": "True", "$top": 5}).json()
    expected = [e for e in cdse.entries if e.collection == "SENTINEL-2"]
    assert list(page)[:3] == ["@odata.context", "@odata.count", "value"]
    assert page["@odata.count"] == len(expected) > 5
    assert {e["Id"] for e in page["value"]} <= {e.id for e in expected}
    assert "@odata.count" not in products_list(cdse, **{"$count": "false"}).json()


def test_raw_and_percent_encoded_options_are_the_same(cdse):
    raw = requests.get(cdse.url + "Products?$top=3&$filter=" + S2.replace(" ", "%20")).json()
    encoded = requests.get(cdse.url + "Products?%24top=3&%24filter=" + S2.replace(" ", "+")).json()
    assert raw == encoded and len(raw["value"]) == 3


def test_without_orderby_the_order_is_fixed_but_not_by_date(cdse, make_local_cdse):
    ids = all_ids(cdse, **{"$top": 7})
    assert sorted(ids) == sorted(e.id for e in cdse.entries)
    assert ids == all_ids(cdse, **{"$top": 13})
    dates = [cdse.entry(i).content_start for i in ids]
    assert dates != sorted(dates) and dates != sorted(dates, reverse=True)
    other = make_local_cdse(products=60, seed=1, date_span=SPAN, product_size=4096)
    assert all_ids(other) == ids  # the same seed gives the same order


@pytest.mark.parametrize(
    "field", ["ContentDate/Start", "ContentDate/End", "PublicationDate", "ModificationDate"]
)
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_orderby_the_four_fields_with_the_id_tie_break(big, field, direction):
    text = f"{field} {direction}" if direction == "desc" else field
    page = products_list(big, **{"$orderby": text, "$top": 1000, "$filter": S2}).json()["value"]
    key = {"ContentDate/Start": lambda e: e["ContentDate"]["Start"],
           "ContentDate/End": lambda e: e["ContentDate"]["End"]}.get(field, lambda e: e[field])  # fmt: skip
    values = [key(entry) for entry in page]
    assert values == sorted(values, reverse=direction == "desc")
    ties = [(key(a), a["Id"], b["Id"]) for a, b in zip(page, page[1:]) if key(a) == key(b)]
    # the copies share their dates (not ModificationDate, drawn from the id): Id ascending in ties
    assert bool(ties) == (field != "ModificationDate")
    assert all(first < second for _, first, second in ties)


def test_orderby_rejects_other_fields(cdse):
    reply = products_list(cdse, **{"$orderby": "Name asc"})
    assert reply.status_code == 400 and "Invalid $orderby" in reply.json()["detail"]
    assert products_list(cdse, **{"$orderby": "PublicationDate up"}).status_code == 400


# --------------------------------------------------------------------------- paging limits
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"$top": "1001"}, [{"type": "less_than_equal", "loc": ["query", "$top"],
                             "msg": "Input should be less than or equal to 1000", "input": "1001",
                             "ctx": {"le": 1000}}]),
        ({"$skip": "10001"}, [{"type": "less_than_equal", "loc": ["query", "$skip"],
                               "msg": "Input should be less than or equal to 10000",
                               "input": "10001", "ctx": {"le": 10000}}]),
        ({"$top": "-1"}, [{"type": "greater_than_equal", "loc": ["query", "$top"],
                           "msg": "Input should be greater than or equal to 0", "input": "-1",
                           "ctx": {"ge": 0}}]),
        ({"$top": "ten"}, [{"type": "int_parsing", "loc": ["query", "$top"],
                            "msg": "Input should be a valid integer, unable to parse string as "
                                   "an integer", "input": "ten"}]),
        ({"$count": "maybe"}, [{"type": "bool_parsing", "loc": ["query", "$count"],
                                "msg": "Input should be a valid boolean, unable to interpret "
                                       "input", "input": "maybe"}]),
    ],
)  # fmt: skip
def test_out_of_range_options_get_the_pydantic_422(cdse, params, expected):
    reply = products_list(cdse, **params)
    assert reply.status_code == 422
    assert reply.json() == {"detail": expected}


def test_every_invalid_option_is_reported(cdse):
    reply = products_list(cdse, **{"$top": "5000", "$skip": "20000"})
    assert [item["loc"][1] for item in reply.json()["detail"]] == ["$top", "$skip"]


def test_the_largest_page_and_skip_are_accepted(big):
    page = products_list(big, **{"$top": 1000, "$skip": 10000}).json()
    assert len(page["value"]) == min(1000, len(big.entries) - 10000)
    assert "@odata.nextLink" not in page


def test_top_zero_gives_only_the_count(cdse):
    page = products_list(cdse, **{"$top": 0, "$count": 1}).json()
    assert page["value"] == [] and page["@odata.count"] == 60 and "@odata.nextLink" not in page
    cdse.faults.allow_top_zero = False
    reply = products_list(cdse, **{"$top": 0})
    assert reply.status_code == 422 and reply.json()["detail"][0]["ctx"] == {"ge": 1}


def test_next_link_is_absolute_form_encoded_and_keeps_the_options_in_order(cdse):
    params = [("$filter", "Collection/Name eq 'SENTINEL-2' and ContentDate/Start lt 2024-03-30T00:00:00.000Z"),
              ("$top", "1"), ("$count", "true"), ("$expand", "Attributes"), ("$expand", "Assets"),
              ("$orderby", "ContentDate/Start asc")]  # fmt: skip
    page = requests.get(cdse.url + "Products", params=params).json()
    link = page["@odata.nextLink"]
    assert link.startswith(
        cdse.url + "Products?%24filter=Collection%2FName+eq+%27SENTINEL-2%27+and+"
    )
    assert parse_qsl(urlsplit(link).query) == params + [("$skip", "1")]
    second = requests.get(link).json()
    assert parse_qsl(urlsplit(second["@odata.nextLink"]).query) == params + [("$skip", "2")]
    assert second["@odata.count"] == page["@odata.count"]  # $count is copied into the link
    params.insert(1, ("$skip", "1"))
    link = requests.get(cdse.url + "Products", params=params).json()["@odata.nextLink"]
    assert parse_qsl(urlsplit(link).query)[1] == ("$skip", "2")  # replaced in place


def test_paging_through_everything_visits_each_product_once(cdse):
    ids = all_ids(cdse, **{"$orderby": "ContentDate/Start desc", "$top": 9})
    assert len(ids) == len(set(ids)) == 60
    starts = [cdse.entry(i).content_start for i in ids]
    assert starts == sorted(starts, reverse=True)


def test_next_link_is_omitted_once_the_next_skip_would_pass_10000(big):
    total = len(big.entries)
    assert total > 10_000 + 1000

    def link(skip: int, top: int) -> str | None:
        return products_list(big, **{"$skip": skip, "$top": top}).json().get("@odata.nextLink")

    assert dict(parse_qsl(urlsplit(link(9000, 1000)).query))["$skip"] == "10000"
    assert link(9500, 500) is not None  # the next skip is 10000: allowed
    assert link(9501, 500) is None  # 10001 would be refused
    assert link(10000, 100) is None
    ids = all_ids(big, **{"$top": 1000, "$orderby": "PublicationDate asc"})
    assert len(ids) == 11_000  # pages up to skip=10000, then the client must split the search


# --------------------------------------------------------------------------- expand, select
@pytest.mark.parametrize(
    ("expand", "context"),
    [
        (["Attributes"], "$metadata#Products(Attributes())"),
        (["Attributes", "Assets"], "$metadata#Products(Attributes(),Assets())"),
        (["Attributes,Locations,Assets"], "$metadata#Products(Attributes(),Locations(),Assets())"),
        (["Assets", "Attributes,Assets"], "$metadata#Products(Assets(),Attributes())"),
    ],
)
def test_expand_forms_and_their_context(cdse, expand, context):
    params = [("$top", "3")] + [("$expand", value) for value in expand]
    page = requests.get(cdse.url + "Products", params=params).json()
    assert page["@odata.context"] == context
    names = [part for value in expand for part in value.split(",")]
    for entry in page["value"]:
        assert list(entry)[15:] == list(dict.fromkeys(names))


def test_expanded_assets_locations_and_attributes(cdse):
    entry = next(e for e in cdse.entries if e.collection == "SENTINEL-2")
    got = requests.get(
        f"{cdse.url}Products({entry.id})", params={"$expand": "Attributes,Assets,Locations"}
    ).json()
    assert got["Assets"] == [{"Type": "QUICKLOOK", "Id": entry.asset_id,
                              "DownloadLink": f"{cdse.url}Assets({entry.asset_id})/$value",
                              "S3Path": entry.s3_path}]  # fmt: skip
    assert got["Locations"] == [{"FormatType": "Extracted",
                                 "DownloadLink": f"{cdse.url}Products({entry.id})/$value",
                                 "ContentLength": entry.product.size, "Checksum": got["Checksum"],
                                 "S3Path": entry.s3_path}]  # fmt: skip
    cloud = next(a for a in got["Attributes"] if a["Name"] == "cloudCover")
    assert cloud == {"@odata.type": "#OData.CSC.DoubleAttribute", "Name": "cloudCover",
                     "Value": entry.product["cloudcoverpercentage"], "ValueType": "Double"}  # fmt: skip


def test_invalid_expand_is_refused(cdse):
    reply = products_list(cdse, **{"$expand": "Attributes,Nodes"})
    assert reply.status_code == 400 and reply.json() == {"detail": "Invalid $expand value 'Nodes'"}


def test_select(cdse):
    page = products_list(cdse, **{"$select": "Name,ContentLength,Geofootprint", "$top": 2,
                                  "$expand": "Attributes"}).json()  # fmt: skip
    for entry in page["value"]:
        assert list(entry) == ["@odata.mediaContentType", "Id", "Name", "ContentLength",
                               "GeoFootprint", "Attributes"]  # fmt: skip
    full = products_list(cdse, **{"$select": "*", "$top": 2}).json()
    assert full == products_list(cdse, **{"$top": 2}).json() | {
        "@odata.nextLink": full["@odata.nextLink"]
    }
    assert products_list(cdse, **{"$select": "Size"}).status_code == 400


# --------------------------------------------------------------------------- filters
def test_filter_by_dates_footprint_and_attributes(cdse):
    text = (
        "Collection/Name eq 'SENTINEL-2' and ContentDate/Start ge 2024-03-10T00:00:00.000Z and "
        "ContentDate/Start lt 2024-03-20T00:00:00Z and "
        "Attributes/OData.CSC.DoubleAttribute/any(att:att/Name eq 'cloudCover' and "
        "att/OData.CSC.DoubleAttribute/Value le 60.5)"
    )
    got = {e["Id"] for e in products_list(cdse, **{"$filter": text, "$top": 100}).json()["value"]}
    expected = {
        e.id for e in cdse.entries
        if e.collection == "SENTINEL-2" and "2024-03-10" <= e.content_start.isoformat() < "2024-03-20"
        and e.attribute_values["cloudCover"][1] <= 60.5
    }  # fmt: skip
    assert got == expected and expected
    area = cdse.entries[0].geometry.centroid
    text = f"OData.CSC.Intersects(area=geography'SRID=4326;POINT({area.x} {area.y})')"
    got = {e["Id"] for e in products_list(cdse, **{"$filter": text}).json()["value"]}
    assert cdse.entries[0].id in got
    assert got == {e.id for e in cdse.entries if e.geometry.intersects(area)}


def test_online_filter_follows_set_online(cdse):
    product = cdse.entries[3]
    cdse.set_online(product.id, False)
    cdse.clear_cache()
    page = products_list(cdse, **{"$filter": "Online eq false", "$count": "true"}).json()
    assert [e["Id"] for e in page["value"]] == [product.id] and page["value"][0]["Online"] is False


@pytest.mark.parametrize(
    ("error_body", "check"),
    [
        ("detail", lambda r: r.json()["detail"].startswith("Invalid filter at position 27: ")),
        ("odata", lambda r: r.json()["error"]["code"] == "400"
         and "unknown property" in r.json()["error"]["message"]),
        ("text", lambda r: r.headers["Content-Type"].startswith("text/plain")
         and r.text.startswith("Invalid filter")),
    ],
)  # fmt: skip
def test_a_bad_filter_is_a_400_in_the_chosen_body_shape(cdse, error_body, check):
    cdse.faults.error_body = error_body
    reply = products_list(cdse, **{"$filter": "Collection/Name eq 'X' and Colour eq 'red'"})
    assert reply.status_code == 400 and check(reply)


def test_a_too_long_filter_is_a_414(cdse):
    cdse.faults.max_filter_length = 100
    reply = products_list(cdse, **{"$filter": " or ".join(["Online eq true"] * 10)})
    assert reply.status_code == 414 and "414 Request-URI Too Large" in reply.text


def test_unknown_attribute_knob(cdse):
    text = ("Attributes/OData.CSC.StringAttribute/any(a:a/Name eq 'colour' and "
            "a/OData.CSC.StringAttribute/Value eq 'red')")  # fmt: skip
    assert products_list(cdse, **{"$filter": text}).json()["value"] == []
    cdse.faults.unknown_attribute = "error"
    assert products_list(cdse, **{"$filter": text}).status_code == 400


def test_multipolygon_knob(cdse):
    text = ("OData.CSC.Intersects(area=geography'SRID=4326;MULTIPOLYGON(((0 0,1 0,1 1,0 0)),"
            "((20 20,21 20,21 21,20 20)))')")  # fmt: skip
    assert products_list(cdse, **{"$filter": text}).status_code == 200
    cdse.faults.intersects_multipolygon = False
    reply = products_list(cdse, **{"$filter": text})
    assert reply.status_code == 400 and "MULTIPOLYGON" in reply.json()["detail"]


def test_short_product_type_knob(cdse):
    text = ("Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' and "
            "att/OData.CSC.StringAttribute/Value eq 'GRD')")  # fmt: skip
    grd = {
        e.id
        for e in cdse.entries
        if e.collection == "SENTINEL-1" and e.product.producttype == "GRD"
    }
    got = {e["Id"] for e in products_list(cdse, **{"$filter": text, "$top": 100}).json()["value"]}
    assert got == grd and grd
    cdse.faults.short_product_types = False
    assert products_list(cdse, **{"$filter": text}).json()["value"] == []


# --------------------------------------------------------------------------- entity
def test_entity_form(cdse):
    entry = cdse.entries[5]
    plain = requests.get(f"{cdse.url}Products({entry.id})").json()
    assert plain["@odata.context"] == "$metadata#Products/$entity"
    assert plain["Id"] == entry.id and plain["Name"] == entry.name
    expanded = requests.get(
        f"{cdse.url}Products({entry.id})", params={"$expand": "Attributes"}
    ).json()
    assert expanded["@odata.context"] == "$metadata#Products(Attributes())/$entity"
    listed = products_list(cdse, **{"$filter": f"Id eq {entry.id}", "$expand": "Attributes"}).json()
    assert {**listed["value"][0], "@odata.context": expanded["@odata.context"]} == expanded


@pytest.mark.parametrize(
    ("error_body", "expected"),
    [
        ("detail", {"detail": "Product 00000000-0000-4000-8000-000000000000 not found"}),
        ("odata", {"error": {"code": "404",
                             "message": "Product 00000000-0000-4000-8000-000000000000 not found"}}),
    ],
)  # fmt: skip
def test_unknown_id_is_a_404(cdse, error_body, expected):
    cdse.faults.error_body = error_body
    reply = requests.get(f"{cdse.url}Products(00000000-0000-4000-8000-000000000000)")
    assert reply.status_code == 404 and reply.json() == expected


def test_a_quoted_or_malformed_id_is_a_validation_error(cdse):
    reply = requests.get(f"{cdse.url}Products('{cdse.entries[0].id}')")
    assert reply.status_code == 422 and reply.json()["detail"][0]["type"] == "uuid_parsing"


def test_unknown_paths_and_methods(cdse):
    assert requests.get(cdse.url + "Orders").status_code == 404
    assert requests.post(cdse.url + "Products").status_code == 405
    assert requests.get(cdse.url.replace("/odata/v1/", "/")).status_code == 404


# --------------------------------------------------------------------------- FilterList, Attributes, Assets
def test_filter_list_finds_products_by_name(cdse):
    names = [cdse.entries[2].name, "S1A_NOT_A_PRODUCT.SAFE", cdse.entries[7].name]
    reply = requests.post(cdse.url + "Products/OData.CSC.FilterList",
                          json={"FilterProducts": [{"Name": n} for n in names]},
                          params={"$expand": "Attributes"})  # fmt: skip
    page = reply.json()
    assert reply.status_code == 200 and page["@odata.context"] == "$metadata#Products(Attributes())"
    assert [e["Name"] for e in page["value"]] == [names[0], names[2]]
    assert "Attributes" in page["value"][0]
    bad = requests.post(cdse.url + "Products/OData.CSC.FilterList", json={"Products": []})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "FilterProducts"]
    broken = requests.post(cdse.url + "Products/OData.CSC.FilterList", data=b"{",
                           headers={"Content-Type": "application/json"})  # fmt: skip
    assert broken.status_code == 422 and broken.json()["detail"][0]["type"] == "json_invalid"


def test_attributes_of_a_collection(cdse):
    reply = requests.get(cdse.url + "Attributes(SENTINEL-2)")
    listed = reply.json()
    assert {"Name": "cloudCover", "ValueType": "Double"} in listed
    assert {"Name": "tileId", "ValueType": "String"} in listed
    assert [a["Name"] for a in listed] == sorted(a["Name"] for a in listed)
    used = {
        name for e in cdse.entries if e.collection == "SENTINEL-2" for name in e.attribute_values
    }
    assert used <= {a["Name"] for a in listed}
    assert requests.get(cdse.url + "Attributes(SENTINL-2)").status_code == 404
    cdse.faults.unknown_collection_status = 400
    assert requests.get(cdse.url + "Attributes(SENTINL-2)").status_code == 400


def test_quicklook(cdse):
    entry = next(e for e in cdse.entries if e.asset_id)
    reply = requests.get(f"{cdse.url}Assets({entry.asset_id})/$value")
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "image/jpeg"
    assert reply.content == quicklook_bytes(entry.product.identifier)
    assert requests.get(f"{cdse.url}Assets({entry.id})/$value").status_code == 404
    s5p = [e for e in cdse.entries if e.collection == "SENTINEL-5P"]
    assert s5p and all(e.asset_id is None for e in s5p)


# --------------------------------------------------------------------------- $value redirect
def test_value_redirects_to_the_download_host(cdse):
    entry = cdse.entries[0]
    reply = requests.get(f"{cdse.url}Products({entry.id})/$value?token=abc", allow_redirects=False)
    assert reply.status_code == 301
    assert reply.headers["Location"] == f"{cdse.download_url}Products({entry.id})/$value?token=abc"
    cdse.faults.redirect_status, cdse.faults.redirect_keeps_query = 302, False
    reply = requests.head(f"{cdse.url}Products({entry.id})/$value?token=abc")
    assert reply.status_code == 302
    assert reply.headers["Location"] == f"{cdse.download_url}Products({entry.id})/$value"
    missing = requests.get(f"{cdse.url}Products(00000000-0000-4000-8000-000000000000)/$value")
    assert missing.status_code == 404


def test_catalogue_is_anonymous_but_logs_a_token_user(cdse):
    from .conftest import access_token, bearer

    token = access_token(cdse)
    cdse.clear_log()
    assert requests.get(cdse.url + "Products", headers=bearer(token)).status_code == 200
    assert requests.get(cdse.url + "Products", headers=bearer("nonsense")).status_code == 200
    first, second = cdse.request_log
    assert (first.server, first.authorization, first.user) == ("catalogue", "Bearer", cdse.user)
    assert (second.authorization, second.user) == ("Bearer", None)
    assert json.loads(json.dumps(first.query)) == {}
