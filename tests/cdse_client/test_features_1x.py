"""sentinelsat 1.x's additions on CDSE: ``is_online``, quicklooks, streams, partial downloads
through the Nodes API (``nodefilter``), ``trigger_offline_retrieval``; and the command's 1.x
options, those without a meaning on CDSE being usage errors."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from click.testing import CliRunner

from sentinelsat.exceptions import LTAError, NotSupportedError
from sentinelsat.products import make_path_filter
from sentinelsat.scripts.cli import cli

from .conftest import by_server


def members(entry) -> dict[str, bytes]:
    """The files of a product's zip, by their path inside its folder."""
    data = b"".join(bytes(chunk) for chunk in entry.product.content.iter_bytes())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name.split("/", 1)[1]: archive.read(name)
            for name in archive.namelist()
            if not name.endswith("/")
        }


def first(cdse, collection):
    return next(entry for entry in cdse.entries if entry.collection == collection)


def test_is_online(cdse, api):
    entry = cdse.entries[0]
    assert api.is_online(entry.id) is True
    cdse.set_online(entry.id, False)
    assert api.is_online(entry.id) is False


def test_trigger_offline_retrieval(cdse, api):
    online, offline = cdse.entries[0], cdse.entries[1]
    cdse.set_online(offline.id, False)
    assert api.trigger_offline_retrieval(online.id) is False
    with pytest.raises(LTAError, match="cannot retrieve offline products"):
        api.trigger_offline_retrieval(offline.id)


def test_quicklooks(cdse, api, tmp_path):
    sentinel2, sentinel1 = first(cdse, "SENTINEL-2"), first(cdse, "SENTINEL-1")
    result = api.download_quicklook(sentinel2.id, str(tmp_path))
    assert result["path"] == str(tmp_path / f"{sentinel2.product.identifier}.jpeg")
    assert open(result["path"], "rb").read(3) == b"\xff\xd8\xff" and result["error"] == ""
    downloaded, failed = api.download_all_quicklooks([sentinel1.id, sentinel2.id], str(tmp_path))
    assert set(downloaded) == {sentinel1.id, sentinel2.id} and not failed
    assert {r.server for r in cdse.request_log if "Assets(" in r.path} == {"catalogue"}
    with pytest.raises(NotSupportedError, match="no quicklook"):
        api.download_quicklook(first(cdse, "SENTINEL-5P").id, str(tmp_path))


def test_stream(cdse, api):
    entry = cdse.entries[2]
    response = api.get_stream(entry.id)
    try:
        assert response.status_code == 200 and response.raw.read() == b"".join(
            bytes(chunk) for chunk in entry.product.content.iter_bytes()
        )
    finally:
        response.close()
    assert by_server(cdse, "download")[-1].authorization == "Bearer"


def test_nodes(cdse, api):
    entry = first(cdse, "SENTINEL-1")
    info = api.get_product_odata(entry.id)
    backend = api.backend
    connection = api._connection()
    (root,) = backend.list_nodes(connection, info)
    assert root["name"] == entry.name and root["is_folder"] and root["url"] is None
    children = {node["name"]: node for node in backend.list_nodes(connection, info, [entry.name])}
    assert set(children) == {name.split("/")[0] for name in members(entry)}
    assert children["measurement"]["is_folder"] and not children["manifest.safe"]["is_folder"]
    manifest = backend.node_info(connection, info, [entry.name, "manifest.safe"])
    assert manifest["size"] == len(members(entry)["manifest.safe"]) and not manifest["is_folder"]
    assert manifest["url"] == (
        f"{cdse.download_url}Products({entry.id})/Nodes({entry.name})/Nodes(manifest.safe)/$value"
    )
    assert api.session.get(manifest["url"]).content == members(entry)["manifest.safe"]


@pytest.mark.parametrize("collection", ["SENTINEL-1", "SENTINEL-2"])
def test_partial_download_with_a_node_filter(cdse, api, tmp_path, collection):
    entry = first(cdse, collection)
    wanted = "*measurement/*" if collection == "SENTINEL-1" else "*IMG_DATA/*_B02.jp2"
    result = api.download(entry.id, str(tmp_path), nodefilter=make_path_filter(wanted))
    folder = tmp_path / entry.name
    assert result["path"] == str(folder)
    written = {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}
    files = members(entry)
    expected = {"manifest.safe"} | {
        name for name in files if make_path_filter(wanted)({"node_path": name})
    }
    assert written == expected and len(expected) > 1
    for name in written:
        assert (folder / name).read_bytes() == files[name]
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".zip")]


def test_partial_download_of_an_offline_product(cdse, api, tmp_path):
    offline, online = first(cdse, "SENTINEL-2"), first(cdse, "SENTINEL-1")
    cdse.set_online(offline.id, False)
    nodefilter = make_path_filter("*manifest.safe")
    downloaded, triggered, failed = api.download_all(
        [offline.id, online.id], str(tmp_path), nodefilter=nodefilter
    )
    assert set(downloaded) == {online.id} and not triggered and offline.id in failed
    with pytest.raises(LTAError):
        api.download(offline.id, str(tmp_path), nodefilter=nodefilter)
    assert sorted(os.listdir(tmp_path)) == [online.name]


# ---------------------------------------------------------------------- the command
def run(cdse, *args):
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:
        runner = CliRunner()
    return runner.invoke(cli, list(args), env=cdse.environ(), catch_exceptions=False)


@pytest.mark.parametrize(
    "options", [["--info"], ["-d", "--lta-timeout", "60"], ["-d", "--lta-retry-delay", "5"]]
)
def test_options_without_a_meaning_on_cdse(cdse, options):
    result = run(cdse, "--sentinel", "2", *options)
    assert result.exit_code == 2
    assert f"{options[-2] if len(options) > 1 else options[0]} has no meaning on this server" in (
        result.stderr
    )
    assert "cdse backend" in result.stderr and cdse.request_log == []


def test_quicklook_and_include_pattern_options(cdse, tmp_path):
    out = tmp_path / "out"
    result = run(
        cdse, "--sentinel", "1", "-s", "20240101", "-l", "2", "--quicklook", "-d",
        "--include-pattern", "*measurement/*", "--path", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    jpegs = sorted(out.glob("*.jpeg"))
    folders = sorted(path for path in out.iterdir() if path.is_dir())
    assert len(jpegs) == len(folders) == 2
    for folder in folders:
        assert {p.parent.name for p in folder.rglob("*.tiff")} == {"measurement"}
