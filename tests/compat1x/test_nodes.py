"""Partial downloads (sentinelsat 1.x's ``nodefilter``): the 2023 recordings, the local hub,
an interrupted transfer, and a hostile manifest."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import pytest
from kit import binary_body, recordings, replay_api

from sentinelsat import (
    InvalidChecksumError,
    all_nodes_filter,
    make_path_filter,
    make_size_filter,
)
from sentinelsat.products import contained_path, parse_manifest

from .conftest import hub_api
from .proxy import Answer, RewritingProxy

RECORDED = {
    "1e2f27fc-637a-4537-9e45-86f1cc7161f8": "S1A_IW_GRDH_1SDV_20230309T231138_20230309T231203_047574_05B68C_F846",
    "753c29d7-42c4-4ff9-a962-bfb4219816c6": "S1A_IW_GRDH_1SDV_20230310T075746_20230310T075811_047579_05B6B2_8312",
}
MAP_OVERLAY = "preview/map-overlay.kml"


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------- the recordings
@recordings.use_cassette("dhus-2023/test_download_product_nodes.yaml")
def test_recorded_node_download(tmp_path):
    api = replay_api("https://apihub.copernicus.eu/apihub/")
    product_id = "1e2f27fc-637a-4537-9e45-86f1cc7161f8"
    result = api.download(product_id, str(tmp_path), nodefilter=make_path_filter("*.kml"))

    folder = tmp_path / (RECORDED[product_id] + ".SAFE")
    assert result["path"] == str(folder)
    assert result["node_path"] == folder.name
    assert sorted(result["nodes"]) == ["manifest.safe", MAP_OVERLAY]
    overlay = result["nodes"][MAP_OVERLAY]
    assert overlay["path"] == folder / "preview" / "map-overlay.kml"
    assert overlay["size"] == 1022 and overlay["md5"] == md5(overlay["path"])
    assert overlay["url"].endswith(
        f"Nodes('{folder.name}')/Nodes('preview')/Nodes('map-overlay.kml')/$value"
    )
    assert (folder / "manifest.safe").read_bytes() == binary_body("manifest.safe")
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "manifest.safe",
        MAP_OVERLAY,
    ]


@recordings.use_cassette("dhus-2023/test_download_product_nodes.yaml")
def test_recorded_node_download_of_a_batch(tmp_path):
    api = replay_api("https://apihub.copernicus.eu/apihub/")
    downloaded, triggered, failed = api.download_all(
        list(RECORDED), str(tmp_path), nodefilter=make_path_filter(MAP_OVERLAY)
    )
    assert (sorted(downloaded), triggered, failed) == (sorted(RECORDED), {}, set())
    for product_id, title in RECORDED.items():
        overlay = tmp_path / f"{title}.SAFE" / MAP_OVERLAY
        assert downloaded[product_id]["nodes"][MAP_OVERLAY]["path"] == overlay
        assert overlay.read_bytes() == binary_body("map-overlay.kml")


def test_the_recorded_manifest_lists_every_file_with_size_and_md5():
    nodes, refused = parse_manifest(binary_body("manifest.safe"))
    assert refused == []
    paths = [node["node_path"] for node in nodes]
    assert MAP_OVERLAY in paths and not any(path.startswith("./") for path in paths)
    assert all(isinstance(node["size"], int) and len(node["md5"]) == 32 for node in nodes)
    overlay = next(node for node in nodes if node["node_path"] == MAP_OVERLAY)
    assert overlay == {
        "node_path": MAP_OVERLAY,
        "size": 1022,
        "md5": "bc0be1c358b303bdf87b7b020fd5b3fe",
    }


# ---------------------------------------------------------------------- the filters
def test_node_filters():
    node = {"node_path": "GRANULE/L1C_T33/IMG_DATA/T33_B02.jp2", "size": 100}
    assert make_path_filter("*B02*")(node) and not make_path_filter("*B02*", exclude=True)(node)
    assert not make_path_filter("*b02*")(node), "matching is case-sensitive"
    assert make_path_filter("GRANULE/*/IMG_DATA/*")(node)
    assert make_size_filter(100)(node) and not make_size_filter(99)(node)
    assert all_nodes_filter(node)


@pytest.mark.parametrize(
    "href, expected",
    [
        ("./measurement/a.tiff", "measurement/a.tiff"),
        ("preview/x/../quick-look.png", "preview/quick-look.png"),
        ("../../x", None),
        ("./a/../../x", None),
        ("/etc/passwd", None),
        ("C:/Windows/x", None),
        ("a\\..\\..\\x", None),
        (".", None),
        ("", None),
    ],
)
def test_manifest_paths_stay_inside_the_product(href, expected):
    assert contained_path(href) == expected


# ---------------------------------------------------------------------- the local hub
def sentinel(hub, platform: str):
    return next(product for product in hub.products if product.platformname == platform)


def hub_files(hub, product) -> dict[str, bytes]:
    """The files of a hub product, read from its zip: path inside the folder → bytes."""
    data = b"".join(hub.product_bytes(product.id))
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name.split("/", 1)[1]: archive.read(name)
            for name in archive.namelist()
            if not name.endswith("/")
        }


def test_hub_node_download_of_sentinel2_bands(make_local_hub, tmp_path):
    hub = make_local_hub(products=20, product_size=40_000)
    product = sentinel(hub, "Sentinel-2")
    api = hub_api(hub)
    result = api.download(product.id, str(tmp_path), nodefilter=make_path_filter("*_B02*.jp2"))

    folder = tmp_path / f"{product.identifier}.SAFE"
    files = hub_files(hub, product)
    band = next(path for path in files if path.endswith(".jp2") and "_B02" in path)
    assert sorted(result["nodes"]) == sorted(["manifest.safe", band])
    assert (folder / band).read_bytes() == files[band]
    assert (folder / "manifest.safe").read_bytes() == files["manifest.safe"]
    assert not list(folder.rglob("*.incomplete"))
    values = [r.path for r in hub.request_log if r.path.endswith("$value")]
    assert not any(path.endswith(f"Products('{product.id}')/$value") for path in values), (
        "the whole product was downloaded"
    )


def test_hub_node_download_of_sentinel3_uses_sen3_and_xfdumanifest(make_local_hub, tmp_path):
    hub = make_local_hub(products=20, product_size=40_000)
    product = sentinel(hub, "Sentinel-3")
    result = hub_api(hub).download(product.id, str(tmp_path), nodefilter=all_nodes_filter)
    folder = tmp_path / f"{product.identifier}.SEN3"
    assert result["path"] == str(folder)
    files = hub_files(hub, product)
    assert set(result["nodes"]) == set(files) and "xfdumanifest.xml" in files
    for path, data in files.items():
        assert (folder / path).read_bytes() == data


def test_size_and_exclude_filters_on_the_hub(make_local_hub, tmp_path):
    hub = make_local_hub(products=20, product_size=40_000)
    product = sentinel(hub, "Sentinel-1")
    api = hub_api(hub)
    small = api.download(product.id, str(tmp_path / "small"), nodefilter=make_size_filter(2048))
    files = hub_files(hub, product)
    expected = {p for p, data in files.items() if len(data) <= 2048} | {"manifest.safe"}
    assert set(small["nodes"]) == expected
    rest = api.download(
        product.id, str(tmp_path / "rest"), nodefilter=make_path_filter("measurement/*", True)
    )
    assert set(rest["nodes"]) == {p for p in files if not p.startswith("measurement/")}


def test_node_download_resumes_after_a_cut(make_local_hub, tmp_path):
    hub = make_local_hub(products=20, product_size=300_000, drop_after=50_000)
    product = sentinel(hub, "Sentinel-1")
    measurement = next(p for p in hub_files(hub, product) if p.startswith("measurement/"))
    result = hub_api(hub).download(
        product.id, str(tmp_path), nodefilter=make_path_filter("measurement/*")
    )
    path = result["nodes"][measurement]["path"]
    assert path.read_bytes() == hub_files(hub, product)[measurement]
    ranges = [r.range for r in hub.request_log if r.path.endswith("$value") and r.range]
    assert len(ranges) >= 4, "the file came in 50 KB pieces, each resumed with Range"


def test_node_download_continues_a_partial_file_of_an_earlier_run(make_local_hub, tmp_path):
    hub = make_local_hub(products=20, product_size=200_000)
    product = sentinel(hub, "Sentinel-1")
    files = hub_files(hub, product)
    measurement = next(p for p in files if p.startswith("measurement/"))
    target = tmp_path / f"{product.identifier}.SAFE" / measurement
    target.parent.mkdir(parents=True)
    Path(str(target) + ".incomplete").write_bytes(files[measurement][:70_000])

    result = hub_api(hub).download(
        product.id, str(tmp_path), nodefilter=make_path_filter("measurement/*")
    )
    assert target.read_bytes() == files[measurement]
    assert result["downloaded_bytes"] < len(files[measurement]) + len(files["manifest.safe"])
    node_requests = [r for r in hub.request_log if measurement.split("/")[-1] in r.path]
    assert [r.range for r in node_requests] == ["bytes=70000-"]


def test_a_corrupt_node_is_detected_and_deleted(make_local_hub, tmp_path):
    hub = make_local_hub(products=20, product_size=200_000)
    product = sentinel(hub, "Sentinel-1")
    hub.faults.corrupt = [product.id]
    with pytest.raises(InvalidChecksumError):
        hub_api(hub).download(
            product.id, str(tmp_path), nodefilter=make_path_filter("measurement/*")
        )
    folder = tmp_path / f"{product.identifier}.SAFE"
    assert not list((folder / "measurement").glob("*"))


def test_node_download_of_an_offline_product_triggers_it(make_local_hub, tmp_path):
    hub = make_local_hub(products=20, product_size=40_000, lta_delay=60)
    product = sentinel(hub, "Sentinel-1")
    hub.set_online(product.id, False)
    result = hub_api(hub).download(product.id, str(tmp_path), nodefilter=all_nodes_filter)
    assert result["Online"] is False and result["nodes"] == {}
    assert [r.status for r in hub.request_log if r.path.endswith("$value")] == [202]


# ---------------------------------------------------------------------- a hostile manifest
HOSTILE_HREFS = ["../../escaped.txt", "./a/../../../escaped2.txt", "/tmp/escaped3.txt"]


def hostile_manifest(path: str, answer: Answer) -> Answer:
    """Add data objects whose hrefs lead outside the folder to the manifest."""
    objects = "".join(
        f'<dataObject ID="evil{index}"><byteStream mimeType="text/plain" size="4">'
        f'<fileLocation locatorType="URL" href="{href}"/>'
        '<checksum checksumName="MD5">8d777f385d3dfec8815d20f7496026dc</checksum>'
        "</byteStream></dataObject>"
        for index, href in enumerate(HOSTILE_HREFS)
    ).encode()
    if path.endswith("/$value"):
        body = answer.body.replace(b"</dataObjectSection>", objects + b"</dataObjectSection>")
        headers = {**answer.headers, "Content-Range": f"bytes 0-{len(body) - 1}/{len(body)}"}
        return Answer(answer.status, headers, body)
    size = int(answer.body.split(b'"ContentLength":"')[1].split(b'"')[0])
    body = answer.body.replace(
        f'"ContentLength":"{size}"'.encode(), f'"ContentLength":"{size + len(objects)}"'.encode()
    )
    return Answer(answer.status, answer.headers, body)


def test_a_hostile_manifest_cannot_place_files_outside_the_product(
    make_local_hub, tmp_path, caplog
):
    hub = make_local_hub(products=20, product_size=40_000)
    product = sentinel(hub, "Sentinel-1")
    target = tmp_path / "a" / "b"
    with RewritingProxy(hub, [(r"Nodes\('manifest\.safe'\)", hostile_manifest)]) as proxy:
        api = hub_api(hub, proxy.url)
        result = api.download(product.id, str(target), nodefilter=all_nodes_filter)

    folder = target / f"{product.identifier}.SAFE"
    assert b"escaped.txt" in (folder / "manifest.safe").read_bytes()
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert all(path.startswith(f"a/b/{folder.name}/") for path in written), written
    assert set(result["nodes"]) == set(hub_files(hub, product))
    assert not any("escaped" in path for path in proxy.paths)
    for href in HOSTILE_HREFS:
        assert href in caplog.text
    assert not os.path.exists("/tmp/escaped3.txt")
