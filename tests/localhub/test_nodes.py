"""The OData Nodes of a product, quicklooks, Online, api/stub/version and the checksum knob,
compared with the 2023 recordings."""

from __future__ import annotations

import hashlib
import io
import xml.etree.ElementTree as ElementTree
import zipfile

import pytest
import requests

from .helpers import load_cassette, odata_url, recorded_body, recorded_headers

NODE_RECORDING = "dhus-2023/test_download_product_nodes.yaml"


@pytest.fixture
def hub(make_local_hub):
    return make_local_hub(products=100, product_size=(20_000, 200_000), include_recorded=True)


@pytest.fixture
def http(hub):
    with requests.Session() as session:
        session.auth = (hub.user, hub.password)
        yield session


def s1(hub):
    return next(p for p in hub.products if p.platformname == "Sentinel-1" and not p.recorded)


def node_url(hub, product, *names, suffix=""):
    return odata_url(hub, product.id, "".join(f"/Nodes('{name}')" for name in names) + suffix)


def recorded(uri_end: str):
    return next(i for i in load_cassette(NODE_RECORDING) if i["request"]["uri"].endswith(uri_end))


def test_node_entity_has_the_recorded_shape_and_headers(hub, http):
    interaction = recorded("/Nodes('manifest.safe')?$format=json")
    expected = recorded_body(interaction)["d"]
    product = s1(hub)
    response = http.get(
        node_url(
            hub, product, product.identifier + ".SAFE", "manifest.safe", suffix="?$format=json"
        )
    )
    assert response.status_code == 200
    mine = response.json()["d"]
    assert set(mine) == set(expected)
    assert set(mine["__metadata"]) == set(expected["__metadata"])
    for key in ("Id", "Name", "ContentType", "ChildrenNumber", "Value"):
        assert mine[key] == expected[key], key
    assert mine["__metadata"]["media_src"] == node_url(
        hub, product, product.identifier + ".SAFE", "manifest.safe", suffix="/$value"
    )
    assert mine["Nodes"] == {"__deferred": {"uri": mine["__metadata"]["uri"] + "/Nodes"}}
    headers = recorded_headers(interaction)
    for name in ("content-type", "dataserviceversion", "pragma", "vary"):
        assert response.headers[name] == headers[name], name


def test_node_value_has_the_recorded_headers_and_the_manifests_bytes(hub, http):
    interaction = recorded("/Nodes('manifest.safe')/$value")
    expected = recorded_headers(interaction)
    product = s1(hub)
    whole = zipfile.ZipFile(io.BytesIO(http.get(odata_url(hub, product.id, "/$value")).content))
    manifest = whole.read(f"{product.identifier}.SAFE/manifest.safe")
    response = http.get(
        node_url(hub, product, product.identifier + ".SAFE", "manifest.safe", suffix="/$value")
    )
    assert response.status_code == 200 and response.content == manifest
    assert (
        response.headers["Content-Disposition"]
        == 'inline;filename="manifest.safe"'
        == expected["content-disposition"]
    )
    assert response.headers["ETag"] == f"manifest.safe-{len(manifest)}"
    assert response.headers["Content-Range"] == f"bytes 0-{len(manifest) - 1}/{len(manifest)}"
    assert set(expected) <= {name.lower() for name in response.headers}
    for name in ("accept-ranges", "content-type", "dataserviceversion", "pragma"):
        assert response.headers[name] == expected[name], name


def test_every_file_listed_in_the_manifest_is_a_node_with_its_md5(hub, http):
    for product in [
        p for p in hub.products if p.platformname in ("Sentinel-1", "Sentinel-2", "Sentinel-3")
    ][:6]:
        root = product.identifier + (".SEN3" if product.platformname == "Sentinel-3" else ".SAFE")
        top = http.get(odata_url(hub, product.id, "/Nodes?$format=json")).json()["d"]["results"]
        assert [node["Name"] for node in top] == [root]
        manifest_name = (
            "xfdumanifest.xml" if product.platformname == "Sentinel-3" else "manifest.safe"
        )
        manifest = http.get(node_url(hub, product, root, manifest_name, suffix="/$value")).content
        tree = ElementTree.fromstring(manifest)
        for stream in tree.iter("byteStream"):
            href = stream.find("fileLocation").get("href").removeprefix("./")
            names = href.split("/")
            entity = http.get(node_url(hub, product, root, *names, suffix="?$format=json")).json()[
                "d"
            ]
            assert entity["ContentLength"] == stream.get("size") and entity["Name"] == names[-1]
            content = http.get(node_url(hub, product, root, *names, suffix="/$value")).content
            assert hashlib.md5(content).hexdigest() == stream.find("checksum").text
            assert len(content) == int(stream.get("size"))


def test_folders_list_their_children(hub, http):
    product = s1(hub)
    root = product.identifier + ".SAFE"
    children = http.get(node_url(hub, product, root, suffix="/Nodes?$format=json")).json()["d"][
        "results"
    ]
    names = {node["Name"] for node in children}
    assert {"annotation", "preview", "measurement", "manifest.safe"} == names
    preview = http.get(node_url(hub, product, root, "preview", suffix="/Nodes")).json()["d"][
        "results"
    ]
    assert {node["Name"] for node in preview} == {"map-overlay.kml", "quick-look.png"}
    folder = http.get(node_url(hub, product, root, "preview", suffix="?$format=json")).json()["d"]
    assert folder["ChildrenNumber"] == "2"
    png = http.get(node_url(hub, product, root, "preview", "quick-look.png", suffix="/$value"))
    assert png.content.startswith(b"\x89PNG")


def test_node_values_honour_ranges(hub, http):
    product = s1(hub)
    root = product.identifier + ".SAFE"
    measurement = http.get(node_url(hub, product, root, "measurement", suffix="/Nodes")).json()[
        "d"
    ]["results"][0]
    url = node_url(hub, product, root, "measurement", measurement["Name"], suffix="/$value")
    whole = http.get(url).content
    assert len(whole) == int(measurement["ContentLength"])
    for header, piece in (
        ("bytes=0-1", whole[:2]),
        ("bytes=1000-", whole[1000:]),
        ("bytes=-77", whole[-77:]),
    ):
        response = http.get(url, headers={"Range": header})
        assert response.status_code == 206 and response.content == piece
    assert http.get(url, headers={"Range": f"bytes={len(whole)}-"}).status_code == 416
    head = http.head(url)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(whole))


def test_unknown_nodes_and_products(hub, http):
    product = s1(hub)
    root = product.identifier + ".SAFE"
    response = http.get(node_url(hub, product, root, "nothing.xml", suffix="/$value"))
    assert response.status_code == 404
    assert (
        response.headers["cause-message"]
        == "InvalidKeyException : Invalid key (nothing.xml) to access Nodes"
    )
    assert response.headers["Content-Type"] == "application/xml"
    response = http.get(node_url(hub, product, "other.SAFE", suffix="?$format=json"))
    assert response.status_code == 404
    assert (
        response.json()["error"]["message"]["value"] == "Invalid key (other.SAFE) to access Nodes"
    )
    response = http.get(odata_url(hub, "no-such-id", "/Nodes?$format=json"))
    assert response.status_code == 404 and "to access Products" in response.headers["cause-message"]
    assert http.get(node_url(hub, product, root, suffix="/$value")).status_code == 400


def test_nodes_of_a_sentinel5p_and_a_recorded_product(hub, http):
    s5p = next(p for p in hub.products if p.platformname == "Sentinel-5 Precursor")
    (node,) = http.get(odata_url(hub, s5p.id, "/Nodes?$format=json")).json()["d"]["results"]
    assert node["Name"] == s5p.filename and node["ContentLength"] == str(s5p.size)
    value = http.get(node_url(hub, s5p, s5p.filename, suffix="/$value")).content
    assert value == http.get(odata_url(hub, s5p.id, "/$value")).content
    real = next(p for p in hub.products if p.recorded)
    archive = zipfile.ZipFile(io.BytesIO(http.get(odata_url(hub, real.id, "/$value")).content))
    name = next(n for n in archive.namelist() if n.endswith("manifest.safe"))
    assert http.get(
        node_url(hub, real, *name.split("/"), suffix="/$value")
    ).content == archive.read(name)


def test_nodes_of_an_offline_product_are_in_the_archive(make_local_hub):
    hub = make_local_hub(products=3, offline_share=1.0, lta_delay=30, lta_quota=1)
    auth = (hub.user, hub.password)
    first, second = hub.products[0], hub.products[1]
    assert (
        requests.get(odata_url(hub, first.id, "/Nodes?$format=json"), auth=auth).status_code == 202
    )
    assert (
        requests.get(odata_url(hub, first.id, "/$value"), auth=auth).status_code == 202
    )  # the same retrieval
    refused = requests.get(odata_url(hub, second.id, "/Nodes"), auth=auth)
    assert refused.status_code == 403 and refused.headers["cause-message"].startswith(
        "RetrievalQuotaException"
    )
    hub.set_online(first.id, True)
    assert (
        requests.get(odata_url(hub, first.id, "/Nodes?$format=json"), auth=auth).status_code == 200
    )


def test_node_downloads_count_against_the_concurrent_limit(make_local_hub):
    hub = make_local_hub(
        products=4, product_size=2_000_000, bandwidth=100_000, max_concurrent_downloads=1
    )
    auth = (hub.user, hub.password)
    product = next(p for p in hub.products if p.platformname in ("Sentinel-1", "Sentinel-2"))
    slow = requests.get(odata_url(hub, product.id, "/$value"), auth=auth, stream=True)
    root = product.identifier + ".SAFE"
    refused = requests.get(
        node_url(hub, product, root, "manifest.safe", suffix="/$value"), auth=auth
    )
    assert refused.status_code == 403 and "concurrent flows" in refused.headers["cause-message"]
    slow.close()


def test_corrupt_products_have_corrupt_nodes(make_local_hub):
    hub = make_local_hub(products=4, product_size=100_000, corrupt=True)
    auth = (hub.user, hub.password)
    product = next(p for p in hub.products if p.platformname in ("Sentinel-1", "Sentinel-2"))
    whole = requests.get(odata_url(hub, product.id, "/$value"), auth=auth).content
    largest = max(zipfile.ZipFile(io.BytesIO(whole)).infolist(), key=lambda info: info.file_size)
    names = largest.filename.split("/")
    served = requests.get(node_url(hub, product, *names, suffix="/$value"), auth=auth).content
    start = largest.header_offset + 30 + len(largest.filename)
    assert served == whole[start : start + largest.file_size]
    clean = b"".join(product.content.iter_bytes(start, start + largest.file_size))
    assert served != clean  # the flipped middle byte is in the measurement file


# --------------------------------------------------------------------------- quicklooks, Online, stub, checksum
def test_quicklook_headers_as_recorded(hub, http):
    interaction = next(
        i
        for i in load_cassette("dhus-2023/test_download_quicklook.yaml")
        if "Quicklook" in i["request"]["uri"]
    )
    expected = recorded_headers(interaction)
    hub.set_online(s1(hub).id, False)
    product = s1(hub)
    response = http.get(odata_url(hub, product.id, "/Products('Quicklook')/$value"))
    assert response.status_code == 200  # also for an offline product, as recorded
    assert set(expected) <= {name.lower() for name in response.headers}
    assert response.headers["ETag"] == product.md5  # the product's checksum, as recorded
    for name in ("accept-ranges", "content-type", "dataserviceversion", "pragma"):
        assert response.headers[name] == expected[name], name
    assert (
        response.headers["Content-Disposition"] == f'inline;filename="{product.identifier}-ql.jpg"'
    )


def test_online_as_recorded(hub, http):
    interactions = load_cassette("dhus-2023/test_download_all_lta.yaml")
    offline = next(
        i
        for i in interactions
        if i["request"]["uri"].endswith("/Online/$value")
        and i["response"]["body"]["string"] == "false"
    )
    product = s1(hub)
    hub.set_online(product.id, False)
    response = http.get(odata_url(hub, product.id, "/Online/$value"))
    assert response.text == "false" and response.headers["Content-Length"] == "5"
    for name in ("content-type", "dataserviceversion", "pragma"):
        assert response.headers[name] == recorded_headers(offline)[name]
    accepted = next(i for i in interactions if i["response"]["status"]["code"] == 202)
    trigger = http.get(odata_url(hub, product.id, "/$value"), headers={"Range": "bytes=0-1"})
    assert trigger.status_code == 202 and trigger.content == b""
    for name in ("content-type", "dataserviceversion", "pragma", "content-length"):
        assert trigger.headers[name] == recorded_headers(accepted)[name], name


def test_stub_version_as_recorded(hub, http):
    interactions = load_cassette("dhus-2023/test_info_cli.yaml")
    found = next(i for i in interactions if i["response"]["status"]["code"] == 200)
    response = http.get(hub.url + "api/stub/version")
    assert response.content == found["response"]["body"]["string"].encode() == b'{"value":"2.4.1"}'
    assert response.headers["Content-Type"] == recorded_headers(found)["content-type"]
    unauthorized = next(i for i in interactions if i["response"]["status"]["code"] == 401)
    response = requests.get(hub.url + "api/stub/version")
    assert response.status_code == 401
    assert (
        response.headers["WWW-Authenticate"] == recorded_headers(unauthorized)["www-authenticate"]
    )
    hub.faults.dhus_version = "3.0.2"
    assert http.get(hub.url + "api/stub/version").json() == {"value": "3.0.2"}
    hub.faults.dhus_version = ""
    missing = http.get(hub.url + "api/stub/version")
    assert missing.status_code == 404 and missing.text.startswith("PAGE NOT FOUND")


def test_checksum_algorithm_knob(make_local_hub):
    hub = make_local_hub(products=3, product_size=50_000, checksum_algorithm="SHA3-256")
    auth = (hub.user, hub.password)
    product = hub.products[0]
    data = requests.get(odata_url(hub, product.id, "/$value"), auth=auth)
    checksum = requests.get(odata_url(hub, product.id, "?$format=json"), auth=auth).json()["d"][
        "Checksum"
    ]
    assert checksum["Algorithm"] == "SHA3-256"
    assert checksum["Value"] == hashlib.sha3_256(data.content).hexdigest()
    assert data.headers["ETag"] == hashlib.md5(data.content).hexdigest()
    hub.faults.checksum_algorithm = "MD5"
    checksum = requests.get(odata_url(hub, product.id, "?$format=json"), auth=auth).json()["d"][
        "Checksum"
    ]
    assert checksum == {
        "__metadata": {"type": "DHuS.Checksum"},
        "Algorithm": "MD5",
        "Value": product.md5,
    }


def test_new_knobs_are_command_line_options():
    from sentinelsat.testing.cli import hub_from_options, serve

    options = serve.make_context(
        "serve", ["--checksum-algorithm", "SHA3-256", "--dhus-version", "3.0"]
    ).params
    faults = hub_from_options(options).faults
    assert (faults.checksum_algorithm, faults.dhus_version) == ("SHA3-256", "3.0")
    import click

    with pytest.raises(click.BadParameter):
        serve.make_context("serve", ["--checksum-algorithm", "SHA1"])
