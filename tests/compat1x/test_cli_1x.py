"""The options of the ``sentinelsat`` command that sentinelsat 1.x added, against the local hub
and the 2023 recordings; 0.13's forms of the same options keep working beside them."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner
from kit import FIXTURES, recordings

from sentinelsat import SentinelAPI
from sentinelsat.backends import dhus
from sentinelsat.scripts.cli import cli

MAP = str(FIXTURES / "map.geojson")


@pytest.fixture(autouse=True)
def no_retry_waits(monkeypatch, tmp_path):
    monkeypatch.setattr(SentinelAPI, "retry_backoff", 0.01)
    for name in ("DHUS_USER", "DHUS_PASSWORD", "DHUS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))


def run(hub, args, **kwargs):
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:
        runner = CliRunner()
    env = hub.environ() if hub is not None else {}
    return runner.invoke(cli, args, env=env, **kwargs)


def product_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Product ")]


def searches(hub) -> list[str]:
    return [r.form.get("q", "") for r in hub.request_log if r.path.startswith("/search")]


# ---------------------------------------------------------------------- repeatable options
def test_uuid_repeated_and_comma_separated(local_hub):
    ids = [p.id for p in local_hub.products[:3]]
    result = run(local_hub, ["--uuid", ids[0], "--uuid", f"{ids[1]},{ids[2]}"])
    assert result.exit_code == 0, result.stderr
    assert [line.split()[1] for line in product_lines(result)] == ids


def test_name_repeated(local_hub):
    names = [p.identifier for p in local_hub.products[:2]]
    result = run(local_hub, ["--name", names[0], "--name", names[1]])
    assert result.exit_code == 0, result.stderr
    assert len(product_lines(result)) == 2
    assert searches(local_hub)[-1].startswith(f"identifier:({names[0]} OR {names[1]})")


def test_query_repeated_key_means_or(local_hub):
    result = run(local_hub, ["-s", "NOW-60DAYS", "-q", "producttype=GRD", "-q", "producttype=SLC"])
    assert result.exit_code == 0, result.stderr
    assert "(producttype:GRD OR producttype:SLC)" in searches(local_hub)[-1]
    api = SentinelAPI(local_hub.user, local_hub.password, local_hub.url)
    expected = api.count(producttype="GRD") + api.count(producttype="SLC")
    assert len(product_lines(result)) == expected > 0


def test_query_comma_list_of_0_13_still_works(local_hub):
    result = run(local_hub, ["-q", "producttype=GRD,polarisationmode=HH"])
    assert result.exit_code == 0, result.stderr
    assert "polarisationmode:HH producttype:GRD" in searches(local_hub)[-1]


# ---------------------------------------------------------------------- geometry strings
@pytest.mark.parametrize(
    "geometry",
    [
        "POLYGON((-66.2695 -8.0592,-66.2695 0.7031,-57.3047 0.7031,-57.3047 -8.0592,-66.2695 -8.0592))",
        json.dumps(json.load(open(MAP))),
        MAP,
    ],
)
def test_geometry_as_wkt_geojson_string_or_file(local_hub, geometry):
    result = run(local_hub, ["-g", geometry, "--sentinel", "2"])
    assert result.exit_code == 0, result.stderr
    assert 'footprint:"Intersects(POLYGON((-66.2695 -8.0592' in searches(local_hub)[-1]
    assert product_lines(result)


def test_geometry_that_is_nothing_is_a_usage_error(local_hub):
    result = run(local_hub, ["-g", "nowhere"])
    assert result.exit_code == 2 and "neither an existing GeoJSON file" in result.stderr
    assert searches(local_hub) == []


# ---------------------------------------------------------------------- output
def test_fmt(local_hub):
    product = local_hub.products[0]
    result = run(local_hub, ["--uuid", product.id, "--fmt", "{uuid} has {size} bytes"])
    assert result.exit_code == 0, result.stderr
    assert f"{product.id} has {product.size} bytes" in result.stderr.splitlines()


def test_fmt_of_a_search(local_hub):
    result = run(local_hub, ["--sentinel", "2", "--fmt", "{identifier}|{platformname}"])
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.endswith("|Sentinel-2")]
    assert lines and all(line.startswith("S2") for line in lines)


def test_fmt_with_an_unknown_key_is_a_usage_error(local_hub):
    result = run(local_hub, ["--sentinel", "2", "--fmt", "{no_such_key}"])
    assert result.exit_code == 2
    assert "no_such_key" in result.stderr and "the keys of the results" in result.stderr
    assert "Traceback" not in result.stderr


def test_fmt_malformed_template_is_refused_before_searching(local_hub):
    result = run(local_hub, ["--fmt", "{unclosed"])
    assert result.exit_code == 2 and searches(local_hub) == []


def test_no_arguments_shows_the_help():
    result = run(None, [])
    assert result.exit_code == 0 and "Usage:" in result.output and "--fail-fast" in result.output


def test_debug_shows_requests(local_hub):
    product_id = local_hub.products[0].id
    result = run(local_hub, ["--uuid", product_id, "--debug"])
    assert result.exit_code == 0, result.stderr
    assert (
        f"GET {local_hub.url}odata/v1/Products('{product_id}')?$format=json: 200" in result.stderr
    )
    quiet = run(local_hub, ["--uuid", product_id])
    assert "$format=json: 200" not in quiet.stderr


# ---------------------------------------------------------------------- the server
@recordings.use_cassette("dhus-2023/test_info_cli.yaml")
def test_info_of_the_recorded_hub():
    result = run(None, ["--info", "--url", "https://apihub.copernicus.eu/apihub/"])
    assert result.exit_code == 0, result.output
    assert "DHuS version: 2.4.1" in result.output


def test_info_of_the_hub(make_local_hub):
    hub = make_local_hub(products=1, dhus_version="3.0.1")
    result = run(hub, ["--info"])
    assert result.exit_code == 0 and "DHuS version: 3.0.1" in result.output


def test_info_does_not_ask_for_credentials(make_local_hub):
    # without credentials the request is sent anyway (0.13's "Missing --user" is for searches);
    # the local hub, unlike the recorded one, wants them for its stub too
    hub = make_local_hub(products=1)
    result = run(None, ["--info", "--url", hub.url])
    assert "Missing --user" not in result.output
    assert hub.request_log[-1].path == "/api/stub/version"


def test_gnss_uses_the_backend_s_url_and_guest_account(make_local_hub, monkeypatch):
    hub = make_local_hub(products=5, users={"gnssguest": "gnssguest"})
    monkeypatch.setattr(dhus, "GNSS_URL", hub.url)
    result = run(None, ["--gnss", "--uuid", hub.products[0].id])
    assert result.exit_code == 0, result.stderr
    assert hub.request_log[-1].user == "gnssguest"


def test_timeout_is_real(make_local_hub):
    hub = make_local_hub(products=5, latency=3)
    started = time.monotonic()
    result = run(hub, ["--timeout", "0.5", "--uuid", hub.products[0].id])
    assert result.exit_code != 0 and isinstance(result.exception, Exception)
    assert time.monotonic() - started < 2.9 * 4, "gave up after the timeout"
    assert "timeout" in str(result.exception).lower() or "timed out" in str(result.exception)


# ---------------------------------------------------------------------- downloads
def test_include_pattern(make_local_hub, tmp_path):
    hub = make_local_hub(products=20, product_size=30_000)
    product = next(p for p in hub.products if p.platformname == "Sentinel-1")
    result = run(
        hub, ["--uuid", product.id, "-d", "--path", str(tmp_path), "--include-pattern", "*.kml"]
    )
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / f"{product.identifier}.SAFE"
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert files == ["manifest.safe", "preview/map-overlay.kml"]


def test_exclude_pattern_repeated(make_local_hub, tmp_path):
    hub = make_local_hub(products=20, product_size=30_000)
    product = next(p for p in hub.products if p.platformname == "Sentinel-1")
    args = ["--uuid", product.id, "-d", "--path", str(tmp_path)]
    result = run(hub, [*args, "--exclude-pattern", "measurement/*", "--exclude-pattern", "*.png"])
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / f"{product.identifier}.SAFE"
    files = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]
    assert files and not any(f.startswith("measurement/") or f.endswith(".png") for f in files)


def test_include_and_exclude_together_are_refused(local_hub, tmp_path):
    result = run(
        local_hub,
        ["--uuid", local_hub.products[0].id, "--include-pattern", "a", "--exclude-pattern", "b"],
    )
    assert result.exit_code == 2 and "cannot be used together" in result.stderr


def test_fail_fast(local_hub, tmp_path):
    ids = [local_hub.products[0].id, local_hub.products[1].id]
    local_hub.faults.corrupt = [ids[0]]
    args = ["--uuid", ",".join(ids), "-d", "--path", str(tmp_path)]
    lenient = run(local_hub, args)
    assert lenient.exit_code == 0, "0.13: the command succeeds when a product was downloaded"
    strict = run(local_hub, [*args, "--fail-fast"])
    assert strict.exit_code == 1
    assert "checksums do not match" in str(strict.exception)


def test_quicklook(local_hub, tmp_path):
    ids = [p.id for p in local_hub.products[:2]]
    result = run(local_hub, ["--uuid", ",".join(ids), "--quicklook", "--path", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    images = sorted(p.name for p in tmp_path.iterdir())
    assert images == sorted(f"{p.identifier}.jpeg" for p in local_hub.products[:2])
    assert "Downloaded 2 of 2 quicklooks" in result.stderr


def test_lta_timeout_waits_for_the_archive(make_local_hub, tmp_path):
    hub = make_local_hub(products=3, product_size=20_000, lta_delay=0.3)
    ids = [p.id for p in hub.products]
    hub.set_online(ids[0], False)
    args = ["--uuid", ",".join(ids), "-d", "--path", str(tmp_path)]
    result = run(hub, [*args, "--lta-timeout", "20", "--lta-retry-delay", "0.1"])
    assert result.exit_code == 0, result.stderr
    assert "Downloaded 3 of 3 products" in result.stderr
    assert len(list(tmp_path.glob("*.zip"))) == 3


def test_without_lta_options_offline_products_are_triggered(make_local_hub, tmp_path):
    hub = make_local_hub(products=3, product_size=20_000, lta_delay=0.3)
    ids = [p.id for p in hub.products]
    hub.set_online(ids[0], False)
    result = run(hub, ["--uuid", ",".join(ids), "-d", "--path", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert "Downloaded 2 of 3 products" in result.stderr and "Long Term Archive" in result.stderr
