"""A sentinelsat 0.13 script and the ``sentinelsat`` command, unchanged, against the local
CDSE: only the URL and the credentials say where to go."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from sentinelsat.scripts.cli import MISSING_CREDENTIALS, cli

from .conftest import by_server

ROOT = Path(__file__).resolve().parents[2]
MAP = str(ROOT / "tests" / "fixtures" / "map.geojson")

#: Written against sentinelsat 0.13's API: search an area, pick the clearest scenes with
#: pandas, download them, verify them, describe one.
SCRIPT_013 = textwrap.dedent(
    """
    import sys
    from sentinelsat import SentinelAPI, read_geojson, geojson_to_wkt

    url, user, password, area_file, directory = sys.argv[1:6]
    api = SentinelAPI(user, password, url, show_progressbars=False)
    footprint = geojson_to_wkt(read_geojson(area_file))
    products = api.query(footprint, date=("NOW-30DAYS", "NOW"), platformname="Sentinel-2",
                         cloudcoverpercentage=(0, 60))
    frame = api.to_dataframe(products)
    clearest = frame.sort_values(["cloudcoverpercentage", "ingestiondate"]).head(3)
    downloaded, triggered, failed = api.download_all(clearest.index, directory)
    corrupt = api.check_files(ids=list(downloaded), directory=directory)
    first = api.get_product_odata(clearest.index[0])
    print(len(products), api.get_products_size(products), list(clearest.index))
    print(sorted(downloaded), sorted(triggered), sorted(failed), corrupt)
    print(first["title"], first["size"], first["md5"], first["Online"])
    for product_id, result in downloaded.items():
        print(product_id, result["path"], result["downloaded_bytes"])
    """
)


def run_script(cdse, directory, password=None):
    env = dict(os.environ, **cdse.environ(), PYTHONPATH=str(ROOT))
    arguments = [cdse.url, cdse.user, password or cdse.password, MAP, str(directory)]
    return subprocess.run(
        [sys.executable, "-c", SCRIPT_013, *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_unchanged_013_script(make_local_cdse, tmp_path):
    cdse = make_local_cdse(products=100)  # the last 30 days, as the command's demo
    completed = run_script(cdse, tmp_path)
    assert completed.returncode == 0, completed.stderr[-3000:]
    counts, lists, first, *files = completed.stdout.strip().splitlines()
    found, _, chosen = counts.split(" ", 2)
    chosen_ids = json.loads(chosen.replace("'", '"'))
    assert int(found) >= 3 and len(chosen_ids) == 3
    assert lists == f"{sorted(chosen_ids)} [] [] {{}}"
    title, size, md5, online = first.split()
    product = cdse.product(chosen_ids[0])
    assert (title, int(size), md5, online) == (
        product.identifier,
        product.size,
        product.md5,
        "True",
    )
    for line in files:
        product_id, path, transferred = line.split()
        product = cdse.product(product_id)
        assert path == str(tmp_path / f"{product.identifier}.zip")
        assert os.path.getsize(path) == product.size == int(transferred)
    clouds = [cdse.entry(i).attribute_values["cloudCover"][1] for i in chosen_ids]
    assert clouds == sorted(clouds)
    assert cdse.sessions_issued == 1
    assert all(r.authorization is None for r in by_server(cdse, "identity"))


def test_the_013_script_with_a_wrong_password(make_local_cdse, tmp_path):
    cdse = make_local_cdse(products=10)
    completed = run_script(cdse, tmp_path, password="wrong")
    assert completed.returncode == 1
    assert "UnauthorizedError: HTTP status 401" in completed.stderr
    assert "Invalid user credentials" in completed.stderr and "wrong" not in completed.stderr


# ---------------------------------------------------------------------- the command
def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()


@pytest.fixture
def command(make_local_cdse, monkeypatch, tmp_path):
    """Run ``sentinelsat`` with the environment of ``sentinelsat-hub run --cdse``."""
    cdse = make_local_cdse(products=100)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NETRC", str(home / ".netrc"))

    def invoke(*args, environment=None):
        env = cdse.environ() if environment is None else environment
        return runner().invoke(cli, list(args), env=env, catch_exceptions=False)

    invoke.cdse = cdse
    invoke.home = home
    return invoke


def test_search_download_and_footprints(command, tmp_path):
    out = tmp_path / "out"
    result = command("-g", MAP, "--sentinel", "2", "--cloud", "30", "-d", "-f", "--path", str(out))
    assert result.exit_code == 0, result.stderr
    found = int(result.stderr.split(" scenes found")[0].rsplit("\n", 1)[-1])
    zips = sorted(p.name for p in out.glob("*.zip"))
    assert found > 0 and len(zips) == found
    footprints = json.loads((out / "search_footprints.geojson").read_text())
    assert len(footprints["features"]) == found


def test_names_order_and_limit(command):
    result = command("--name", "S2A*", "-o", "cloudcoverpercentage", "-l", "3")
    assert result.exit_code == 0, result.stderr
    listed = [line.split()[1] for line in result.stderr.splitlines() if line.startswith("Product ")]
    clouds = [command.cdse.entry(i).attribute_values["cloudCover"][1] for i in listed]
    assert len(listed) == 3 and clouds == sorted(clouds)
    assert all(command.cdse.product(i).identifier.startswith("S2A") for i in listed)


def test_product_type_instrument_and_query_keywords(command):
    cdse = command.cdse
    result = command("--producttype", "GRD", "-q", "orbitdirection=ascending", "-s", "NOW-30DAYS")
    assert result.exit_code == 0, result.stderr
    listed = {line.split()[1] for line in result.stderr.splitlines() if line.startswith("Product ")}
    expected = {
        p.id
        for p in cdse.products
        if p.producttype == "GRD" and p.attributes["orbitdirection"].upper() == "ASCENDING"
    }
    assert listed == expected and listed
    result = command("--instrument", "SAR-C SAR", "-s", "NOW-30DAYS")
    assert result.exit_code == 0 and "scenes found" in result.stderr


def test_uuid(command):
    product = command.cdse.products[0]
    result = command("--uuid", product.id)
    assert result.exit_code == 0
    assert f"Product {product.id} - {product.identifier} - " in result.stderr
    result = command("--uuid", "00000000-0000-4000-8000-000000000000")
    assert result.exit_code == 1
    assert "No product with ID '00000000-0000-4000-8000-000000000000' exists" in result.stderr


def test_keywords_without_translation_are_usage_errors(command):
    result = command("-q", "creationdate=[NOW-1DAY TO NOW]")
    assert result.exit_code == 2
    assert "'creationdate' has no OData translation on CDSE" in result.stderr
    assert command.cdse.request_log == []


def test_credentials_from_the_netrc_entry_of_the_identity_host(command):
    cdse = command.cdse
    environment = cdse.environ()
    del environment["DHUS_USER"], environment["DHUS_PASSWORD"]
    # the catalogue by another name than the identity server (127.0.0.1)
    environment["DHUS_URL"] = cdse.url.replace("127.0.0.1", "localhost")
    netrc = command.home / ".netrc"
    netrc.write_text(f"machine localhost login {cdse.user} password {cdse.password}\n")
    netrc.chmod(0o600)
    result = command("--sentinel", "1", environment=environment)
    assert result.exit_code == 2 and MISSING_CREDENTIALS in result.stderr
    netrc.write_text(f"machine 127.0.0.1 login {cdse.user} password {cdse.password}\n")
    result = command(
        "--sentinel", "1", "-d", "-l", "1", "--path", str(command.home), environment=environment
    )
    assert result.exit_code == 0, result.stderr
    assert by_server(cdse, "identity")[0].form["username"] == cdse.user
    assert all(r.authorization in (None, "Bearer") for r in cdse.request_log)
