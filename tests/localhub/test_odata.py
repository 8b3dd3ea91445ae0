"""OData over HTTP: products, downloads, ranges, quicklooks, authentication."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest
import requests

from .helpers import entries, odata_url, search

UTC = timezone.utc
RECORDED_ID = "5618ce1b-923b-4df2-81d9-50b53e5aded9"
RECORDED_NAME = "S1A_WV_OCN__2SSV_20150526T081641_20150526T082418_006090_007E3E_104C"


def millis(value: datetime) -> int:
    return int(value.timestamp() * 1000 + 0.5)


def test_product_entity(local_hub, session):
    product = local_hub.products[0]
    response = session.get(odata_url(local_hub, product.id, "?$format=json"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    d = response.json()["d"]
    assert d["Id"] == product.id and d["Name"] == product.identifier
    assert d["ContentLength"] == str(product.size)
    assert d["Online"] is True and d["OnDemand"] is False
    assert d["ContentDate"]["Start"] == f"/Date({millis(product.beginposition)})/"
    assert d["IngestionDate"] == f"/Date({millis(product.ingestiondate)})/"
    assert d["Checksum"]["Algorithm"] == "MD5"
    assert d["__metadata"]["media_src"] == odata_url(local_hub, product.id, "/$value")
    first_lon, first_lat = product.geometry.exterior.coords[0]
    assert f"<gml:coordinates>{first_lat:.6f},{first_lon:.6f} " in d["ContentGeometry"]
    assert d["Attributes"] == {
        "__deferred": {"uri": odata_url(local_hub, product.id, "/Attributes")}
    }
    assert '"\\/Date(' in response.text
    body = session.get(odata_url(local_hub, product.id, "/$value")).content
    assert d["Checksum"]["Value"] == hashlib.md5(body).hexdigest()


def test_product_entity_with_attributes(local_hub, session):
    product = next(p for p in local_hub.products if p.platformname == "Sentinel-2")
    d = session.get(odata_url(local_hub, product.id, "?$format=json&$expand=Attributes")).json()[
        "d"
    ]
    results = d["Attributes"]["results"]
    values = {item["Name"]: item["Value"] for item in results}
    assert values["Filename"] == product.filename
    assert values["Identifier"] == product.identifier
    assert values["Satellite"] == "Sentinel-2"
    assert values["Product type"] == product.producttype
    assert float(values["Cloud cover percentage"]) == product.attributes["cloudcoverpercentage"]
    assert [item["Name"].lower() for item in results] == sorted(
        item["Name"].lower() for item in results
    )
    assert all(item["ContentLength"] == str(len(item["Value"])) for item in results)
    attribute = session.get(
        odata_url(local_hub, product.id, "/Attributes('Filename')/Value/$value")
    )
    assert attribute.text == product.filename


def test_unknown_product(local_hub, session):
    response = session.get(odata_url(local_hub, "invalid-xyz", "?$format=json"))
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": None,
            "message": {"lang": "en", "value": "Invalid key (invalid-xyz) to access Products"},
        }
    }
    assert (
        response.headers["cause-message"]
        == "InvalidKeyException : Invalid key (invalid-xyz) to access Products"
    )
    for suffix in ("/$value", "/Online/$value", "/Products('Quicklook')/$value"):
        response = session.get(odata_url(local_hub, "invalid-xyz", suffix))
        assert response.status_code == 404
        assert response.headers["cause-message"].startswith("InvalidKeyException")


def test_download(local_hub, session):
    product = local_hub.products[1]
    response = session.get(odata_url(local_hub, product.id, "/$value"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"] == f'inline;filename="{product.identifier}.zip"'
    assert response.headers["Content-Length"] == str(product.size)
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["ETag"] == hashlib.md5(response.content).hexdigest()
    assert response.content == b"".join(local_hub.product_bytes(product.id))


def test_head(local_hub, session):
    product = local_hub.products[2]
    response = session.head(odata_url(local_hub, product.id, "/$value"))
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(product.size)
    assert response.content == b""
    assert local_hub.request_log[-1].method == "HEAD" and local_hub.request_log[-1].bytes_sent == 0


@pytest.mark.parametrize(
    "header, first, last",
    [("bytes=25-", 25, None), ("bytes=0-1", 0, 1), ("bytes=100-199", 100, 199), ("bytes=-10", -10, None),
     ("bytes=500-999999999", 500, None)],
)  # fmt: skip
def test_ranges(local_hub, session, header, first, last):
    product = local_hub.products[3]
    whole = b"".join(local_hub.product_bytes(product.id))
    start = first if first >= 0 else product.size + first
    end = product.size - 1 if last is None else last
    response = session.get(odata_url(local_hub, product.id, "/$value"), headers={"Range": header})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{product.size}"
    assert response.content == whole[start : end + 1]
    assert response.headers["Content-Length"] == str(end - start + 1)


def test_unsatisfiable_range(local_hub, session):
    product = local_hub.products[3]
    response = session.get(
        odata_url(local_hub, product.id, "/$value"), headers={"Range": f"bytes={product.size}-"}
    )
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{product.size}"


def test_online_and_quicklook(local_hub, session):
    product = local_hub.products[4]
    online = session.get(odata_url(local_hub, product.id, "/Online/$value"))
    assert online.text == "true" and online.headers["Content-Type"].startswith("text/plain")
    local_hub.set_online(product.id, False)
    assert session.get(odata_url(local_hub, product.id, "/Online/$value")).text == "false"
    assert (
        session.get(odata_url(local_hub, product.id, "?$format=json")).json()["d"]["Online"]
        is False
    )
    quicklook = session.get(odata_url(local_hub, product.id, "/Products('Quicklook')/$value"))
    assert quicklook.status_code == 200
    assert quicklook.headers["Content-Type"] == "image/jpeg"
    assert (
        quicklook.headers["Content-Disposition"] == f'inline;filename="{product.identifier}-ql.jpg"'
    )
    assert (
        quicklook.content[:2] == b"\xff\xd8" and quicklook.content.rstrip(b"\0")[-2:] == b"\xff\xd9"
    )
    assert product.identifier.encode() in quicklook.content


@pytest.mark.parametrize(
    "path, realm",
    [
        ("search?q=*", "Sentinels Scientific Data Hub Search"),
        ("odata/v1/Products('x')?$format=json", "OData service"),
    ],
)
def test_authentication_required(local_hub, path, realm):
    for auth in (None, (local_hub.user, "wrong"), ("nobody", local_hub.password)):
        response = requests.get(local_hub.url + path, auth=auth)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == f'Basic realm="{realm}"'
        assert response.headers["Content-Type"] == "text/html;charset=utf-8"
        assert "HTTP Status 401" in response.text
    assert local_hub.request_log[-1].user is None


def test_several_users(make_local_hub):
    hub = make_local_hub(products=3, users={"alice": "secret", "bob": "hunter2"})
    assert (hub.user, hub.password) == ("alice", "secret")
    for auth in (("alice", "secret"), ("bob", "hunter2")):
        assert requests.get(hub.url + "search?q=*", auth=auth).status_code == 200
    assert requests.get(hub.url + "search?q=*", auth=("alice", "hunter2")).status_code == 401
    assert [entry.user for entry in hub.request_log] == ["alice", "bob", None]


def test_recorded_products_over_http(make_local_hub):
    hub = make_local_hub(products=10, include_recorded=True)
    with requests.Session() as http:
        http.auth = (hub.user, hub.password)
        d = http.get(odata_url(hub, RECORDED_ID, "?$format=json")).json()["d"]
        assert d["Name"] == RECORDED_NAME
        assert d["ContentLength"] == "130222"
        assert d["Checksum"]["Value"] == "5D05813D2ABCAED0C2E9C04A8570997A"
        response = http.get(odata_url(hub, RECORDED_ID, "/$value"))
        assert response.headers["Content-Disposition"] == f'inline;filename="{RECORDED_NAME}.zip"'
        assert hashlib.md5(response.content).hexdigest() == "5d05813d2abcaed0c2e9c04a8570997a"
        assert response.content[:2] == b"PK"
        names = [RECORDED_NAME, "S1A_WV_OCN__2SSV_20150526T211029_20150526T211737_006097_007E78_134A",
                 "S1A_WV_OCN__2SSH_20150603T092625_20150603T093332_006207_008194_521E"]  # fmt: skip
        found = entries(search(hub, http, " OR ".join(names)).json())
        assert sorted(entry["title"] for entry in found) == sorted(names)
        dated = search(
            hub,
            http,
            "beginPosition:[2015-05-26T00:00:00Z TO 2015-05-27T00:00:00Z] platformname:Sentinel-1",
        )
        assert sorted(entry["title"] for entry in entries(dated.json())) == sorted(names[:2])


def test_sentinel5p_downloads_as_netcdf(make_local_hub):
    hub = make_local_hub(products=100)
    product = next(p for p in hub.products if p.platformname == "Sentinel-5 Precursor")
    response = requests.head(odata_url(hub, product.id, "/$value"), auth=(hub.user, hub.password))
    assert response.headers["Content-Disposition"] == f'inline;filename="{product.identifier}.nc"'


def test_unknown_path(local_hub, session):
    assert session.get(local_hub.url + "nothing/here").status_code == 404
    assert session.get(local_hub.url + "api/stub/version").json() == {"value": "2.4.1"}


def test_odata_keys_are_ids_not_names(local_hub, session):
    product = local_hub.products[0]
    response = session.get(odata_url(local_hub, product.identifier, "?$format=json"))
    assert response.status_code == 404
    assert (
        response.headers["cause-message"]
        == f"InvalidKeyException : Invalid key ({product.identifier}) to access Products"
    )
