"""Tests of the ``sentinelsat`` command line tool.

Searches are replayed from exchanges recorded with a 0.13-era client: a cassette matches only
the exact request it holds (method, URL and form body), so a passing replay shows that the
command sent the same query string.

The Click command (``cli``) reports everything on stderr through the ``sentinelsat`` logger
and lets the library's errors propagate, as sentinelsat 0.13 did; the console script
(``main``) turns them into one ``Error:`` line. ``tests/compat013/test_cli.py`` checks the
0.13 guarantees one by one.
"""

from __future__ import annotations

import base64
import contextlib
import fnmatch
import json
import logging
import os
import re
from collections import OrderedDict
from datetime import datetime, timezone

import pytest
import requests
from click.testing import CliRunner
from kit import FIXTURES, binary_body, for_replay, recordings

from sentinelsat import (
    EmptyQueryValueError,
    InvalidChecksumError,
    SentinelAPI,
    SentinelAPIError,
    UnauthorizedError,
    __version__,
    geojson_to_wkt,
    read_geojson,
)
from sentinelsat.backends.dhus import DHuSBackend
from sentinelsat.scripts import cli as cli_module
from sentinelsat.scripts.cli import cli, main

MAP = str(FIXTURES / "map.geojson")
CREDENTIALS = ["-u", "mock_user", "-p", "mock_password"]

S1_NAME = "S1A_WV_OCN__2SSV_20150526T211029_20150526T211737_006097_007E78_134A"
S1B_NAMES = [
    "S1B_IW_GRDH_1SDV_20181007T164414_20181007T164439_013049_0181B7_345E",
    "S1B_IW_GRDH_1SDV_20181007T164349_20181007T164414_013049_0181B7_A8E3",
]
UUID = "d8340134-878f-4891-ba4f-4df54f1e3ab4"


# ---------------------------------------------------------------------- helpers and fixtures
def make_runner() -> CliRunner:
    """A runner that keeps stdout and stderr apart (Click < 8.2 needs ``mix_stderr``)."""
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()


@pytest.fixture
def runner() -> CliRunner:
    return make_runner()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No credentials from the developer's environment: empty HOME, no DHUS_* variables."""
    for name in ("DHUS_USER", "DHUS_PASSWORD", "DHUS_URL"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NETRC", str(home / ".netrc"))
    return home


@pytest.fixture(autouse=True)
def replayable_clients(request, monkeypatch):
    """Make the command's client safe for vcrpy replay: serialised sends, no retry waits.

    Tests against the local hub (marked ``hub``) keep the real HTTP plumbing.
    """
    monkeypatch.setattr(SentinelAPI, "retry_backoff", 0)
    if request.node.get_closest_marker("hub"):
        return
    real_init = SentinelAPI.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        for_replay(self)

    monkeypatch.setattr(SentinelAPI, "__init__", init)


@pytest.fixture
def sent(monkeypatch) -> list:
    """Every request the command sends, as ``requests.PreparedRequest`` objects."""
    requests_sent = []
    original = requests.Session.send

    def spy(session, request, **kwargs):
        requests_sent.append(request)
        return original(session, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", spy)
    return requests_sent


@pytest.fixture
def no_requests(monkeypatch):
    """Fail the test if the command talks to a server at all."""

    def refuse(*args, **kwargs):
        raise AssertionError("no request expected")

    monkeypatch.setattr(requests.Session, "send", refuse)


@pytest.fixture
def queries(monkeypatch) -> list:
    """Replace searching by recording the query string ``SentinelAPI.query`` would send."""
    recorded = []

    def fake_query(
        self,
        area=None,
        date=None,
        raw=None,
        area_relation="Intersects",
        order_by=None,
        limit=None,
        offset=0,
        **keywords,
    ):
        recorded.append(self.format_query(area, date, raw, area_relation, **keywords))
        return OrderedDict()

    monkeypatch.setattr(SentinelAPI, "query", fake_query)
    return recorded


def invoke(runner: CliRunner, args: list, cassette: str | None = None, **kwargs):
    if cassette is None:
        return runner.invoke(cli, args, **kwargs)
    with recordings.use_cassette(cassette) as recorded:
        result = runner.invoke(cli, args, **kwargs)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert recorded.play_count >= 1, "the command sent no recorded request"
    return result


def product_lines(result) -> list:
    return [line for line in result.stderr.splitlines() if line.startswith("Product ")]


def assert_success(result, scenes: int, size: str | None = None) -> list:
    """Check a successful search: nothing on stdout, on stderr one line per product, then
    ``---`` and the total as the last line; return the product ids printed."""
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    products = product_lines(result)
    assert len(products) == scenes
    assert lines[-2] == "---", result.stderr
    total = f"{scenes} scenes found with a total size of "
    assert lines[-1].startswith(total), result.stderr
    if size is not None:
        assert lines[-1] == total + size
    return [line.split()[1] for line in products]


def assert_error(result, exit_code: int, *fragments: str) -> str:
    """Check a Click error (usage error or ``ClickException``): exit status, one ``Error:``
    line on stderr, no traceback."""
    assert result.exit_code == exit_code, (result.exit_code, result.output)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: "), result.stderr
    for fragment in fragments:
        assert fragment in last, last
    return last


def assert_raised(result, error_class: type) -> BaseException:
    """Check that the command let a library error propagate (exit status 1)."""
    assert isinstance(result.exception, error_class), (result.exception, result.output)
    assert result.exit_code == 1
    return result.exception


def run_script(capsys, args: list, cassette: str | None = None) -> tuple[int, str]:
    """Run the console script's ``main`` in this process; return its exit status and stderr."""
    capsys.readouterr()
    with contextlib.ExitStack() as stack:
        if cassette is not None:
            stack.enter_context(recordings.use_cassette(cassette, allow_playback_repeats=True))
        with pytest.raises(SystemExit) as exited:
            main(args)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    return exited.value.code, captured.err


def script_error(capsys, args: list, cassette: str | None = None, *fragments: str) -> str:
    """The console script's ``Error:`` line, the last of stderr, after exit status 1."""
    status, stderr = run_script(capsys, args, cassette)
    assert status == 1, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("Error: "), stderr
    for fragment in fragments:
        assert fragment in last, last
    return last


def write_netrc(home, host="scihub.copernicus.eu", login="netrc_user", password="netrc_password"):
    path = home / ".netrc"
    path.write_text(f"machine {host}\nlogin {login}\npassword {password}\n")
    path.chmod(0o600)
    return path


def basic_user(request) -> str:
    """The user name in a request's basic authentication header."""
    scheme, _, token = request.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(token).decode().split(":")[0]


# ---------------------------------------------------------------------- help and version
ALL_OPTIONS = [
    "-u, --user",
    "-p, --password",
    "--url",
    "-s, --start",
    "-e, --end",
    "-g, --geometry",
    "--uuid",
    "--name",
    "--sentinel",
    "--instrument",
    "--producttype",
    "-c, --cloud",
    "-o, --order-by",
    "-l, --limit",
    "-d, --download",
    "--path",
    "-q, --query",
    "-f, --footprints",
    "--fail-if-any-failed",
    "--version",
    "-h, --help",
]


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_documents_every_option(runner, flag):
    result = runner.invoke(cli, [flag])
    assert result.exit_code == 0
    for option in ALL_OPTIONS:
        assert re.search(r"^\s+" + re.escape(option) + r"\b", result.stdout, re.MULTILINE), option
    for topic in (
        "DHUS_USER",
        "DHUS_PASSWORD",
        "DHUS_URL",
        ".netrc",
        "24 hours",
        "stderr",
        "Exit status",
        "NOW-1DAY",
    ):
        assert topic in result.stdout


def test_version(runner):
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "sentinelsat, version " + __version__  # 0.13's wording


def test_main_module_runs_the_command():
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run(
        [sys.executable, "-m", "sentinelsat", "--version"], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0
    assert out.stdout.strip() == "sentinelsat, version " + __version__


def test_heavy_modules_are_not_imported_for_help():
    import subprocess
    import sys

    code = (
        "import sys; from sentinelsat.scripts.cli import cli; "
        "print(','.join(m for m in ('pandas', 'geopandas', 'shapely', 'tqdm') if m in sys.modules))"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


# ---------------------------------------------------------------------- searching
def test_default_search_covers_the_last_day(runner):
    result = invoke(runner, CREDENTIALS + ["-g", MAP], "dhus-2018/test_cli.yaml")
    ids = assert_success(result, 45, "22.44 GB")
    assert ids[0] == "809ce5ed-073f-45e4-af28-664b70a2c1be"
    first = product_lines(result)[0]
    assert first.startswith(
        "Product 809ce5ed-073f-45e4-af28-664b70a2c1be - Date: 2018-09-05T14:20:31.024Z"
    )
    assert "Size: 787.71 MB" in first


def test_url_option(runner, sent):
    result = invoke(
        runner,
        CREDENTIALS + ["-g", MAP, "--url", "https://scihub.copernicus.eu/dhus"],
        "dhus-2018/test_cli.yaml",
    )
    assert_success(result, 45)
    assert [r.url for r in sent] == [
        "https://scihub.copernicus.eu/dhus/search?format=json&rows=100&start=0"
    ]


def test_extra_query_keywords(runner):
    result = invoke(
        runner,
        CREDENTIALS + ["-g", MAP, "-q", "producttype=GRD, polarisationmode=HH"],
        "dhus-2018/test_cli.yaml",
    )
    assert_success(result, 0, "0.00 GB")


@pytest.mark.parametrize(
    "args, cassette, scenes",
    [
        (["-s", "20151219", "-e", "20151228", "--sentinel", "1"], "test_sentinel1_flag", 11),
        (
            ["--start", "20151219", "--end", "20151228", "--sentinel", "2"],
            "test_sentinel2_flag",
            11,
        ),
        (["-s", "20161201", "-e", "20161202", "--sentinel", "3"], "test_sentinel3_flag", 4),
    ],
)
def test_sentinel_option(runner, args, cassette, scenes):
    result = invoke(runner, CREDENTIALS + ["--geometry", MAP] + args, f"dhus-2018/{cassette}.yaml")
    assert_success(result, scenes)


def test_dates_in_iso_format_give_the_same_query(runner):
    result = invoke(
        runner,
        CREDENTIALS
        + ["-g", MAP, "-s", "2015-12-19", "-e", "2015-12-28T00:00:00Z", "--sentinel", "1"],
        "dhus-2018/test_sentinel1_flag.yaml",
    )
    assert_success(result, 11)


def test_instrument_beats_sentinel(runner):
    result = invoke(
        runner,
        CREDENTIALS
        + [
            "-g",
            MAP,
            "-s",
            "20161201",
            "-e",
            "20161202",
            "--sentinel",
            "3",
            "--instrument",
            "SRAL",
        ],
        "dhus-2018/test_instrument_flag.yaml",
    )
    assert_success(result, 4)


def test_producttype_option(runner):
    result = invoke(
        runner,
        CREDENTIALS + ["-g", MAP, "-s", "20161201", "-e", "20161202", "--producttype", "SLC"],
        "dhus-2018/test_product_flag.yaml",
    )
    assert_success(result, 6)


def test_producttype_beats_instrument_and_sentinel(runner):
    args = [
        "-g",
        MAP,
        "-s",
        "20161201",
        "-e",
        "20161202",
        "--sentinel",
        "1",
        "--instrument",
        "SRAL",
        "--producttype",
        "S2MSI1C",
    ]
    result = invoke(runner, CREDENTIALS + args, "dhus-2018/test_option_hierarchy.yaml")
    assert_success(result, 13)


def test_cloud_option(runner):
    args = ["-g", MAP, "-s", "20151219", "-e", "20151228", "--sentinel", "2", "--cloud", "10"]
    result = invoke(runner, CREDENTIALS + args, "dhus-2018/test_cloud_flag_url.yaml")
    assert_success(result, 3, "17.39 GB")


@pytest.mark.parametrize("sentinel", [[], ["--sentinel", "1"], ["--sentinel", "5"]])
def test_cloud_needs_sentinel_2_or_3(runner, no_requests, sentinel):
    result = invoke(runner, CREDENTIALS + ["-g", MAP, "-c", "10"] + sentinel)
    assert result.exit_code == 1  # 0.13 logged the error and called exit(1)
    assert result.stderr == "Cloud cover is only supported for Sentinel 2 and 3.\n"
    assert result.stdout == ""


def test_cloud_zero_is_a_filter(runner, queries):
    result = invoke(runner, CREDENTIALS + ["--sentinel", "2", "-c", "0"])
    assert_success(result, 0)
    assert queries == [
        "beginPosition:[NOW-1DAY TO NOW] cloudcoverpercentage:[0 TO 0] platformname:Sentinel-2"
    ]


def test_cloud_with_sentinel_3_is_accepted(runner, queries):
    result = invoke(
        runner, CREDENTIALS + ["--sentinel", "3", "-c", "30", "-s", "20200101", "-e", "20200102"]
    )
    assert_success(result, 0)
    assert queries == [
        "beginPosition:[2020-01-01T00:00:00Z TO 2020-01-02T00:00:00Z] cloudcoverpercentage:[0 TO 30] "
        "platformname:Sentinel-3"
    ]


def test_order_by_option(runner, sent, tmp_path):
    args = [
        "-g",
        MAP,
        "-s",
        "20151219",
        "-e",
        "20151228",
        "--sentinel",
        "2",
        "--cloud",
        "10",
        "-o",
        "cloudcoverpercentage,-beginposition",
        "-f",
        "--path",
        str(tmp_path / "out"),
    ]
    result = invoke(runner, CREDENTIALS + args, "dhus-2018/test_order_by_flag.yaml")
    with open(tmp_path / "out" / "search_footprints.geojson") as f:
        features = json.load(f)["features"]
    ids = assert_success(result, 3)
    assert sent[0].url.endswith("&orderby=cloudcoverpercentage%20asc,beginposition%20desc")
    clouds = [feature["properties"]["cloudcoverpercentage"] for feature in features]
    assert [feature["properties"]["id"] for feature in features] == ids
    assert [feature["id"] for feature in features] == [0, 1, 2]  # numbered, as in 0.13
    assert clouds == sorted(clouds)


def test_limit_option(runner, sent):
    result = invoke(
        runner,
        CREDENTIALS + ["-g", MAP, "-s", "20161201", "-e", "20161230", "-l", "15"],
        "dhus-2018/test_limit_flag.yaml",
    )
    assert_success(result, 15)
    assert "rows=15&" in sent[0].url


@pytest.mark.parametrize(
    "dates, expected",
    [
        ([], "beginPosition:[NOW-1DAY TO NOW]"),
        (["-s", "20151219"], "beginPosition:[2015-12-19T00:00:00Z TO NOW]"),
        (["-e", "20151228"], "beginPosition:[NOW-1DAY TO 2015-12-28T00:00:00Z]"),
        (["-s", ""], "beginPosition:[1900-01-01T00:00:00Z TO NOW]"),
        (["-s", "20151219", "-e", ""], "beginPosition:[2015-12-19T00:00:00Z TO NOW]"),
        (["-s", "NOW-7DAYS", "-e", "NOW-1DAY"], "beginPosition:[NOW-7DAYS TO NOW-1DAY]"),
    ],
)
def test_date_defaults(runner, queries, dates, expected):
    result = invoke(runner, CREDENTIALS + ["--producttype", "GRD"] + dates)
    assert_success(result, 0)
    assert queries == [expected + " producttype:GRD"]


def test_date_keyword_in_query_replaces_the_default_dates(runner, queries):
    result = invoke(runner, CREDENTIALS + ["-q", "beginposition=[NOW-3DAYS TO NOW]"])
    assert_success(result, 0)
    assert queries == ["beginposition:[NOW-3DAYS TO NOW]"]


def test_search_without_filters_or_area(runner, queries):
    result = invoke(runner, CREDENTIALS)
    assert_success(result, 0)
    assert queries == ["beginPosition:[NOW-1DAY TO NOW]"]


# ---------------------------------------------------------------------- --name
def test_name_search(runner):
    result = invoke(runner, CREDENTIALS + ["--name", S1_NAME], "dhus-2018/test_name_search.yaml")
    ids = assert_success(result, 1)
    assert ids == ["d8340134-878f-4891-ba4f-4df54f1e3ab4"]


def test_name_search_multiple(runner):
    result = invoke(
        runner,
        CREDENTIALS + ["--name", ",".join(S1B_NAMES)],
        "dhus-2018/test_name_search_multiple.yaml",
    )
    assert_success(result, 2, "3.30 GB")


def test_name_search_with_wildcard_and_filters(runner, queries):
    result = invoke(
        runner, CREDENTIALS + ["--name", "S1A_IW*20151224*", "-g", MAP, "-s", "20151224"]
    )
    assert_success(result, 0)
    assert queries == [
        "beginPosition:[2015-12-24T00:00:00Z TO NOW] identifier:S1A_IW*20151224* "
        'footprint:"Intersects(POLYGON((-66.2695 -8.0592,-66.2695 0.7031,-57.3047 0.7031,'
        '-57.3047 -8.0592,-66.2695 -8.0592)))"'
    ]


def test_name_search_dates_only_when_given(runner, queries):
    result = invoke(runner, CREDENTIALS + ["--name", "S1A_IW*", "-e", "20151224"])
    assert_success(result, 0)
    assert queries == ["beginPosition:[NOW-1DAY TO 2015-12-24T00:00:00Z] identifier:S1A_IW*"]


@pytest.mark.parametrize("value", ["", " , "])
def test_name_search_empty_raises_before_sending(runner, no_requests, value):
    result = invoke(runner, CREDENTIALS + ["--name", value])
    error = assert_raised(result, EmptyQueryValueError)
    assert isinstance(error, ValueError)
    assert error.msg == "Invalid query string. Check the parameters and format."
    assert "--name" in error.hint


# ---------------------------------------------------------------------- --uuid
def test_uuid(runner, sent):
    result = invoke(runner, CREDENTIALS + ["--uuid", UUID], "dhus-2018/test_uuid_search.yaml")
    assert result.exit_code == 0, result.output
    # 0.13's line: the size in MiB rounded to two decimals, and no total
    assert result.stderr == f"Product {UUID} - {S1_NAME} - 0.12 MB\n"
    assert result.stdout == ""
    assert len(sent) == 1 and "/odata/v1/Products(" in sent[0].url


def test_uuid_ignores_search_options_with_a_warning(runner):
    args = ["--uuid", UUID + "," + UUID, "-s", "20150101", "--sentinel", "1", "-g", MAP]
    result = invoke(runner, CREDENTIALS + args, "dhus-2018/test_uuid_search.yaml")
    assert result.exit_code == 0, result.output
    assert len(product_lines(result)) == 1
    assert "--uuid ignores -g/--geometry, -s/--start, --sentinel" in result.stderr


def test_empty_uuid_does_nothing(runner, no_requests):
    result = invoke(runner, CREDENTIALS + ["--uuid", "", "-d"])
    assert result.exit_code == 0, result.output
    assert product_lines(result) == []


def test_unknown_uuid(runner):
    result = invoke(
        runner,
        CREDENTIALS + ["--uuid", "invalid-xyz"],
        "dhus-2018/test_get_product_info_bad_key.yaml",
    )
    assert result.exit_code == 1
    assert result.stderr == "No product with ID 'invalid-xyz' exists on server\n"
    assert result.stdout == ""


def test_uuid_wins_over_name(runner, sent):
    result = invoke(
        runner, CREDENTIALS + ["--uuid", UUID, "--name", "X"], "dhus-2018/test_uuid_search.yaml"
    )
    assert result.exit_code == 0, result.output
    assert "--uuid ignores --name" in result.stderr
    assert [line.split()[1] for line in product_lines(result)] == [UUID]
    assert len(sent) == 1 and "/odata/v1/Products(" in sent[0].url


# ---------------------------------------------------------------------- footprints
def test_footprints_file(runner, tmp_path):
    out = tmp_path / "results"
    args = [
        "-g",
        MAP,
        "-s",
        "20151219",
        "-e",
        "20151228",
        "--sentinel",
        "2",
        "--footprints",
        "--path",
        str(out),
    ]
    result = invoke(runner, CREDENTIALS + args, "dhus-2018/test_footprints_cli.yaml")
    ids = assert_success(result, 11)
    with open(out / "search_footprints.geojson") as f:
        collection = json.load(f)
    assert collection["type"] == "FeatureCollection"
    assert [feature["properties"]["id"] for feature in collection["features"]] == ids
    first = collection["features"][0]
    assert first["geometry"]["type"] == "Polygon"
    assert (
        first["properties"]["title"]
        == "S2A_OPER_PRD_MSIL1C_PDMC_20151228T112523_R110_V20151227T142229_20151227T142229"
    )
    assert first["properties"]["platformname"] == "Sentinel-2"
    assert first["properties"]["beginposition"] == "2015-12-27T14:22:29.000000Z"  # UTC
    assert first["properties"]["size"] == "5.50 GB"
    # written as geojson.dumps writes it, without indentation
    assert "\n" not in (out / "search_footprints.geojson").read_text()


def test_footprints_of_uuid(runner, tmp_path):
    result = invoke(
        runner,
        CREDENTIALS + ["--uuid", UUID, "-f", "--path", str(tmp_path)],
        "dhus-2018/test_uuid_search.yaml",
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [f"Product {UUID} - {S1_NAME} - 0.12 MB"]
    with open(tmp_path / "search_footprints.geojson") as f:
        (feature,) = json.load(f)["features"]
    assert (feature["id"], feature["properties"]["id"]) == (0, UUID)
    assert feature["properties"]["title"] == S1_NAME
    assert feature["properties"]["size"] == 130102
    assert feature["geometry"]["type"] == "Polygon"


def test_without_footprints_option_no_file_is_written(runner, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    args = ["-g", MAP, "-s", "20151219", "-e", "20151228", "--sentinel", "2", "--path", str(out)]
    result = invoke(runner, CREDENTIALS + args, "dhus-2018/test_footprints_cli.yaml")
    assert_success(result, 11)
    assert list(out.iterdir()) == []


# ---------------------------------------------------------------------- credentials
def test_credentials_from_options(runner, sent):
    result = invoke(
        runner, ["-u", "option_user", "-p", "secret", "-g", MAP], "dhus-2018/test_cli.yaml"
    )
    assert_success(result, 45)
    assert basic_user(sent[0]) == "option_user"


def test_credentials_from_environment(runner, sent, monkeypatch):
    monkeypatch.setenv("DHUS_USER", "env_user")
    monkeypatch.setenv("DHUS_PASSWORD", "env_password")
    monkeypatch.setenv("DHUS_URL", "https://scihub.copernicus.eu/dhus")
    result = invoke(runner, ["-g", MAP], "dhus-2018/test_cli.yaml")
    assert_success(result, 45)
    assert basic_user(sent[0]) == "env_user"
    assert sent[0].url.startswith("https://scihub.copernicus.eu/dhus/search")


def test_options_beat_environment(runner, sent, monkeypatch):
    monkeypatch.setenv("DHUS_USER", "env_user")
    monkeypatch.setenv("DHUS_PASSWORD", "env_password")
    monkeypatch.setenv("DHUS_URL", "https://example.com/dhus")
    args = [
        "-u",
        "option_user",
        "-p",
        "secret",
        "--url",
        "https://scihub.copernicus.eu/apihub/",
        "-g",
        MAP,
    ]
    result = invoke(runner, args, "dhus-2018/test_cli.yaml")
    assert_success(result, 45)
    assert basic_user(sent[0]) == "option_user"


def test_credentials_from_netrc(runner, sent, clean_environment):
    write_netrc(clean_environment)
    result = invoke(
        runner,
        ["-g", MAP, "--url", "https://scihub.copernicus.eu/dhus"],
        "dhus-2018/test_no_auth_netrc.yaml",
    )
    assert_success(result, 61)
    assert basic_user(sent[0]) == "netrc_user"


def test_netrc_in_home_without_netrc_variable(runner, sent, clean_environment, monkeypatch):
    monkeypatch.delenv("NETRC")
    write_netrc(clean_environment)
    result = invoke(
        runner,
        ["-g", MAP, "--url", "https://scihub.copernicus.eu/dhus"],
        "dhus-2018/test_no_auth_netrc.yaml",
    )
    assert_success(result, 61)
    assert basic_user(sent[0]) == "netrc_user"


def test_environment_beats_netrc(runner, sent, clean_environment, monkeypatch):
    write_netrc(clean_environment)
    monkeypatch.setenv("DHUS_USER", "env_user")
    monkeypatch.setenv("DHUS_PASSWORD", "env_password")
    result = invoke(runner, ["-g", MAP], "dhus-2018/test_cli.yaml")
    assert_success(result, 45)
    assert basic_user(sent[0]) == "env_user"


MISSING = (
    "Error: Missing --user and --password. Please see docs for environment variables and "
    ".netrc support."
)


def test_missing_credentials(runner, no_requests):
    result = invoke(runner, ["-g", MAP])
    assert result.stderr.startswith("Usage: ")
    assert assert_error(result, 2) == MISSING  # 0.13's words


def test_netrc_for_another_host_is_not_enough(runner, no_requests, clean_environment):
    write_netrc(clean_environment, host="example.com")
    result = invoke(runner, ["-g", MAP])
    assert assert_error(result, 2) == MISSING


@pytest.mark.parametrize(
    "args, env",
    [
        (["-u", "someone"], {}),
        (["-p", "hunter2-secret"], {}),
        ([], {"DHUS_PASSWORD": "hunter2-secret"}),
    ],
)
def test_incomplete_credentials(runner, no_requests, args, env):
    result = invoke(runner, args + ["-g", MAP], env=env)
    assert assert_error(result, 2) == MISSING
    assert "hunter2-secret" not in result.output


def test_incomplete_credentials_fall_back_to_netrc(runner, sent, clean_environment):
    # as in 0.13: without both options, the ~/.netrc entry is used as a whole
    write_netrc(clean_environment)
    result = invoke(
        runner,
        ["-u", "someone", "-g", MAP, "--url", "https://scihub.copernicus.eu/dhus"],
        "dhus-2018/test_no_auth_netrc.yaml",
    )
    assert_success(result, 61)
    assert basic_user(sent[0]) == "netrc_user"


def test_wrong_credentials(runner, tmp_path):
    area = tmp_path / "area.geojson"
    area.write_text(
        json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 1], [0, 0]]]})
    )
    args = [
        "-u",
        "mock_user",
        "-p",
        "hunter2-secret",
        "-g",
        str(area),
        "-s",
        "20150101",
        "-e",
        "20150102",
    ]
    with recordings.use_cassette("dhus-2018/test_SentinelAPI_wrong_credentials.yaml"):
        result = runner.invoke(cli, args)
    error = assert_raised(result, UnauthorizedError)
    assert str(error).startswith("HTTP status 401 Unauthorized")
    assert "hunter2-secret" not in result.output


def test_wrong_credentials_in_the_console_script(capsys, tmp_path):
    area = tmp_path / "area.geojson"
    area.write_text(
        json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 1], [0, 0]]]})
    )
    args = ["-u", "mock_user", "-p", "hunter2-secret", "-g", str(area)]
    last = script_error(
        capsys,
        args + ["-s", "20150101", "-e", "20150102"],
        "dhus-2018/test_SentinelAPI_wrong_credentials.yaml",
        "HTTP status 401 Unauthorized: ",
        "Check the username and password",
    )
    assert "hunter2-secret" not in last


# ---------------------------------------------------------------------- invalid input
@pytest.mark.parametrize("name", ["map_boundaries_lat.geojson", "map_boundaries_lon.geojson"])
def test_coordinates_out_of_range(runner, no_requests, name):
    result = invoke(runner, CREDENTIALS + ["-g", str(FIXTURES / name)])
    assert_error(result, 2, "--geometry", "out of bounds")


def test_geometry_not_json(runner, no_requests, tmp_path):
    area = tmp_path / "area.geojson"
    area.write_text("this is { not JSON")
    result = invoke(runner, CREDENTIALS + ["-g", str(area)])
    assert_error(result, 2, "--geometry", "area.geojson")


def test_geometry_not_geojson(runner, no_requests, tmp_path):
    area = tmp_path / "area.geojson"
    area.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    result = invoke(runner, CREDENTIALS + ["-g", str(area)])
    assert_error(result, 2, "--geometry", "no features")


def test_geometry_file_missing(runner, no_requests, tmp_path):
    result = invoke(runner, CREDENTIALS + ["-g", str(tmp_path / "nothing.geojson")])
    assert_error(result, 2, "nothing.geojson")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["-s", "2015-13-01"], "--start"),
        (["-e", "yesterday"], "--end"),
        (["-s", "20150230"], "20150230"),
    ],
)
def test_malformed_dates(runner, no_requests, args, fragment):
    result = invoke(runner, CREDENTIALS + args)
    assert_error(result, 2, fragment)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--sentinel", "4"], "--sentinel"),
        (["--limit", "many"], "--limit"),
        (["--limit", "0"], "--limit"),
        (["--cloud", "101", "--sentinel", "2"], "--cloud"),
        (["--frobnicate"], "--frobnicate"),
    ],
)
def test_unknown_option_values(runner, no_requests, args, fragment):
    result = invoke(runner, CREDENTIALS + args)
    assert_error(result, 2, fragment)


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("orbitdirection", "keyword=value"),
        ("orbitdirection=", "keyword=value"),
        ("=Descending", "keyword=value"),
        ("producttype=GRD,ProductType=SLC", "more than once"),
        ("limit=5", "--limit"),
        ("date=[NOW-1DAY TO NOW]", "--start"),
    ],
)
def test_malformed_query_keywords(runner, no_requests, value, fragment):
    result = invoke(runner, CREDENTIALS + ["-q", value])
    assert_error(result, 2, "--query", fragment)


@pytest.mark.parametrize(
    "args, expected",
    [
        (
            ["--producttype", "SLC", "-q", "producttype=GRD"],
            "beginPosition:[NOW-1DAY TO NOW] producttype:GRD",
        ),
        (
            ["--sentinel", "1", "-q", "PlatformName=Sentinel-2"],
            "PlatformName:Sentinel-2 beginPosition:[NOW-1DAY TO NOW]",
        ),
        (["--name", S1_NAME, "-q", "identifier=X"], "identifier:X"),
    ],
)
def test_query_keyword_replaces_an_option(runner, queries, args, expected):
    # as in 0.13, where -q updated the keywords the options had set
    result = invoke(runner, CREDENTIALS + args)
    assert_success(result, 0)
    assert queries == [expected]


def test_date_keyword_duplicating_the_dates(runner, no_requests):
    result = invoke(
        runner, CREDENTIALS + ["-s", "20150101", "-q", "beginposition=[NOW-1DAY TO NOW]"]
    )
    assert_error(result, 2, "duplicate")


def test_invalid_order_by(runner, no_requests):
    result = invoke(runner, CREDENTIALS + ["-o", "cloud cover"])
    assert_error(result, 2, "order_by")


def test_server_error_is_one_line(capsys, monkeypatch):
    def fail(*args, **kwargs):
        raise SentinelAPIError("The server is down\nfor maintenance", hint="Try later.")

    monkeypatch.setattr(SentinelAPI, "query", fail)
    status, stderr = run_script(capsys, CREDENTIALS)
    assert status == 1
    assert stderr == "Error: The server is down for maintenance Try later.\n"


def test_library_error_propagates_out_of_the_command(runner, monkeypatch):
    raised = SentinelAPIError("The server is down")

    def fail(*args, **kwargs):
        raise raised

    monkeypatch.setattr(SentinelAPI, "query", fail)
    with pytest.raises(SentinelAPIError) as caught:
        runner.invoke(cli, CREDENTIALS, catch_exceptions=False)
    assert caught.value is raised


# ---------------------------------------------------------------------- logging
def test_library_messages_shown_once_at_info_level(runner):
    logger = logging.getLogger("sentinelsat")
    handlers, level = list(logger.handlers), logger.level
    for _ in range(2):
        result = invoke(runner, CREDENTIALS + ["-g", MAP], "dhus-2018/test_cli.yaml")
        assert_success(result, 45)
        assert result.stderr.count("Found 45 products") == 1
    # the handler lives only while the command runs
    assert logger.handlers == handlers and logger.level == level


def test_log_handler_removed_when_the_command_fails(runner):
    result = invoke(
        runner,
        CREDENTIALS + ["--uuid", "invalid-xyz"],
        "dhus-2018/test_get_product_info_bad_key.yaml",
    )
    assert result.exit_code == 1
    assert not any(
        isinstance(handler, cli_module._StderrHandler)
        for handler in logging.getLogger("sentinelsat").handlers
    )


# ---------------------------------------------------------------------- downloading
SEARCH_ARGS = CREDENTIALS + [
    "-g",
    MAP,
    "-s",
    "20151219",
    "-e",
    "20151228",
    "--sentinel",
    "2",
    "--cloud",
    "10",
]
CLOUD_IDS = [
    "6ed0b7de-3435-43df-98bf-ad63c8d077ef",
    "37ecee60-23d8-4ec2-a65f-2de24f51d30e",
    "0848f6b8-5730-4759-850e-fc9945d42296",
]


# three products of the 2018 recordings; their files are in the hub's package data
PRODUCTS = {
    "5618ce1b-923b-4df2-81d9-50b53e5aded9": "S1A_WV_OCN__2SSV_20150526T081641_20150526T082418_006090_007E3E_104C",
    "d8340134-878f-4891-ba4f-4df54f1e3ab4": "S1A_WV_OCN__2SSV_20150526T211029_20150526T211737_006097_007E78_134A",
    "1f62a176-c980-41dc-b3a1-c735d660c910": "S1A_WV_OCN__2SSH_20150603T092625_20150603T093332_006207_008194_521E",
}
OFFLINE = "0cbef871-b908-4410-a197-af0888ad048c"  # in a 2023 recording, retrieval accepted (202)


def corrupt_checksums(monkeypatch, ids):
    """Make the server's MD5 of these products wrong, so that their downloads fail."""
    real = DHuSBackend.product_info

    def product_info(self, connection, product_id, full=False):
        info = real(self, connection, product_id, full)
        return dict(info, md5="0" * 32) if product_id in ids else info

    monkeypatch.setattr(DHuSBackend, "product_info", product_info)


def test_download_by_uuid_writes_the_files(runner, tmp_path):
    out = tmp_path / "downloads"
    args = CREDENTIALS + ["-d", "--uuid", ",".join(PRODUCTS), "--path", str(out)]
    with recordings.use_cassette("dhus-2018/test_download_all.yaml", allow_playback_repeats=True):
        result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert search_ids(result) == list(PRODUCTS)
    assert f"Downloaded 3 of 3 products into {out}" in result.stderr
    assert sorted(os.listdir(out)) == sorted(title + ".zip" for title in PRODUCTS.values())
    for title in PRODUCTS.values():
        assert (out / (title + ".zip")).read_bytes() == binary_body(title + ".zip")


def test_download_with_a_corrupt_product(runner, tmp_path, monkeypatch):
    bad = "d8340134-878f-4891-ba4f-4df54f1e3ab4"
    corrupt_checksums(monkeypatch, {bad})
    args = CREDENTIALS + ["-d", "--uuid", ",".join(PRODUCTS), "--path", str(tmp_path)]
    with recordings.use_cassette("dhus-2018/test_download_all.yaml", allow_playback_repeats=True):
        result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output  # as 0.13: some products were downloaded
    assert "Downloaded 2 of 3 products" in result.stderr
    assert "1 of 3 products failed to download" in result.stderr
    assert "is corrupted" in result.stderr  # 0.13's warning
    assert (tmp_path / "corrupt_scenes.txt").read_text() == f"{bad} : {PRODUCTS[bad]}\n"
    assert not (tmp_path / (PRODUCTS[bad] + ".zip")).exists()
    for product_id, title in PRODUCTS.items():
        assert (tmp_path / (title + ".zip")).exists() == (product_id != bad)


def test_download_with_a_corrupt_product_fails_on_request(runner, tmp_path, monkeypatch):
    bad = "d8340134-878f-4891-ba4f-4df54f1e3ab4"
    corrupt_checksums(monkeypatch, {bad})
    args = CREDENTIALS + ["-d", "--uuid", ",".join(PRODUCTS), "--path", str(tmp_path)]
    with recordings.use_cassette("dhus-2018/test_download_all.yaml", allow_playback_repeats=True):
        result = runner.invoke(cli, args + ["--fail-if-any-failed"])
    assert_error(result, 1, "1 of 3 products failed", "corrupt_scenes.txt")
    assert (tmp_path / "corrupt_scenes.txt").read_text() == f"{bad} : {PRODUCTS[bad]}\n"


def test_download_all_products_corrupt(runner, tmp_path, monkeypatch):
    corrupt_checksums(monkeypatch, set(PRODUCTS))
    args = CREDENTIALS + ["-d", "--uuid", ",".join(PRODUCTS), "--path", str(tmp_path)]
    with recordings.use_cassette("dhus-2018/test_download_all.yaml", allow_playback_repeats=True):
        result = runner.invoke(cli, args)
    assert_raised(result, InvalidChecksumError)
    lines = (tmp_path / "corrupt_scenes.txt").read_text().splitlines()
    assert lines == [f"{product_id} : {title}" for product_id, title in PRODUCTS.items()]


def test_download_all_products_corrupt_in_the_console_script(capsys, tmp_path, monkeypatch):
    corrupt_checksums(monkeypatch, set(PRODUCTS))
    args = CREDENTIALS + ["-d", "--uuid", ",".join(PRODUCTS), "--path", str(tmp_path)]
    last = script_error(capsys, args, "dhus-2018/test_download_all.yaml")
    assert last.startswith("Error: File corrupt: checksums do not match The MD5 checksum of ")
    assert (tmp_path / "corrupt_scenes.txt").exists()


def test_download_offline_product_triggers_retrieval(runner, tmp_path):
    # the 2018 recording: the first product is offline; a plain GET of its $value asks for it
    out = tmp_path / "out"
    offline = "5618ce1b-923b-4df2-81d9-50b53e5aded9"
    ids = [offline, "d8340134-878f-4891-ba4f-4df54f1e3ab4", "1f62a176-c980-41dc-b3a1-c735d660c910"]
    # (replayed with repeats: every lookup gets the first answer, the offline one)
    with recordings.use_cassette(
        "dhus-2018/test_download_all_lta.yaml", allow_playback_repeats=True
    ):
        result = runner.invoke(
            cli, CREDENTIALS + ["-d", "--path", str(out), "--uuid", ",".join(ids)]
        )
    assert result.exit_code == 0, result.output
    assert "1 products are offline" in result.stderr
    assert f"  {offline} - S1A_WV_OCN__2SSV_20150526T081641" in result.stderr
    assert len(os.listdir(out)) == 2 and not any(offline in name for name in os.listdir(out))


@pytest.fixture
def fake_download_all(monkeypatch):
    """Replace ``SentinelAPI.download_all`` by one with a chosen outcome.

    Set ``outcome["failed"]`` / ``outcome["triggered"]`` to ids, or ``outcome["raise"]`` to
    an exception; the calls are recorded in ``outcome["calls"]``.
    """
    outcome = {"failed": set(), "triggered": set(), "raise": None, "calls": []}

    def download_all(
        self, products, directory_path=".", max_attempts=10, checksum=True, n_concurrent_dl=4
    ):
        outcome["calls"].append((list(products), directory_path))
        if outcome["raise"] is not None:
            raise outcome["raise"]
        downloaded, triggered = {}, {}
        for product_id in products:
            info = {
                "id": product_id,
                "title": products[product_id]["title"],
                "path": directory_path,
            }
            if product_id in outcome["triggered"]:
                triggered[product_id] = info
            elif product_id not in outcome["failed"]:
                downloaded[product_id] = info
        return downloaded, triggered, set(outcome["failed"])

    monkeypatch.setattr(SentinelAPI, "download_all", download_all, raising=False)
    return outcome


def search_ids(result) -> list:
    return [line.split()[1] for line in product_lines(result)]


def test_download_all_succeed(runner, fake_download_all, tmp_path):
    out = tmp_path / "downloads"
    result = invoke(
        runner, SEARCH_ARGS + ["-d", "--path", str(out)], "dhus-2018/test_cloud_flag_url.yaml"
    )
    assert result.exit_code == 0, result.output
    assert search_ids(result) == CLOUD_IDS
    assert fake_download_all["calls"] == [(CLOUD_IDS, str(out))]
    lines = result.stderr.splitlines()
    summary = lines.index("3 scenes found with a total size of 17.39 GB")
    assert lines[summary + 1 :] == [f"Downloaded 3 of 3 products into {out}"]
    assert not (out / "corrupt_scenes.txt").exists()


@pytest.mark.parametrize("strict", [[], ["--fail-if-any-failed"]])
def test_download_with_failures_and_offline_products(runner, fake_download_all, tmp_path, strict):
    fake_download_all["failed"] = {CLOUD_IDS[2], CLOUD_IDS[1]}
    fake_download_all["triggered"] = {CLOUD_IDS[0]}
    args = SEARCH_ARGS + ["--download", "--path", str(tmp_path)] + strict
    with recordings.use_cassette("dhus-2018/test_cloud_flag_url.yaml"):
        result = runner.invoke(cli, args)
    message = "2 of 3 products failed to download; their ids and titles are listed in "
    if strict:
        assert_error(result, 1, message)
    else:
        assert result.exit_code == 0, result.output  # one product was triggered
        assert message in result.stderr
    assert "Downloaded 0 of 3 products" in result.stderr
    assert "1 products are offline" in result.stderr and "Long Term Archive" in result.stderr
    assert f"  {CLOUD_IDS[0]} - " in result.stderr
    lines = (tmp_path / "corrupt_scenes.txt").read_text().splitlines()
    # in the order of the results
    assert [line.split(" : ")[0] for line in lines] == [CLOUD_IDS[1], CLOUD_IDS[2]]
    assert all(line.split(" : ")[1].startswith("S2A_") for line in lines)


def test_download_offline_products_only_is_success(runner, fake_download_all, tmp_path):
    fake_download_all["triggered"] = set(CLOUD_IDS)
    result = invoke(
        runner,
        SEARCH_ARGS + ["-d", "--path", str(tmp_path), "--fail-if-any-failed"],
        "dhus-2018/test_cloud_flag_url.yaml",
    )
    assert result.exit_code == 0, result.output
    assert "Downloaded 0 of 3 products" in result.stderr
    assert "3 products are offline" in result.stderr
    assert not (tmp_path / "corrupt_scenes.txt").exists()


def test_download_everything_failed(runner, fake_download_all, tmp_path):
    raised = SentinelAPIError("Connection reset by peer")
    fake_download_all["raise"] = raised
    with recordings.use_cassette("dhus-2018/test_cloud_flag_url.yaml"):
        result = runner.invoke(cli, SEARCH_ARGS + ["-d", "--path", str(tmp_path)])
    assert assert_raised(result, SentinelAPIError) is raised
    lines = (tmp_path / "corrupt_scenes.txt").read_text().splitlines()
    assert [line.split(" : ")[0] for line in lines] == CLOUD_IDS
    assert all(line.split(" : ")[1].startswith("S2A_") for line in lines)


def test_download_by_uuid(runner, fake_download_all, tmp_path):
    result = invoke(
        runner,
        CREDENTIALS + ["-d", "--uuid", UUID, "--path", str(tmp_path)],
        "dhus-2018/test_uuid_search.yaml",
    )
    assert result.exit_code == 0, result.output
    assert fake_download_all["calls"] == [([UUID], str(tmp_path))]
    assert "Downloaded 1 of 1 products" in result.stderr


def test_download_nothing_found(runner, fake_download_all):
    result = invoke(
        runner,
        CREDENTIALS + ["-g", MAP, "-q", "producttype=GRD,polarisationmode=HH", "-d"],
        "dhus-2018/test_cli.yaml",
    )
    assert_success(result, 0)
    assert fake_download_all["calls"] == []


def test_no_download_without_option(runner, fake_download_all, tmp_path):
    result = invoke(
        runner, SEARCH_ARGS + ["--path", str(tmp_path)], "dhus-2018/test_cloud_flag_url.yaml"
    )
    assert_success(result, 3)
    assert fake_download_all["calls"] == []


def test_server_error_without_message(capsys, monkeypatch):
    def fail(*args, **kwargs):
        raise SentinelAPIError()

    monkeypatch.setattr(SentinelAPI, "query", fail)
    assert run_script(capsys, CREDENTIALS) == (1, "Error: SentinelAPIError\n")


def test_unwritable_output_path(capsys, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    args = [
        "-g",
        MAP,
        "-s",
        "20151219",
        "-e",
        "20151228",
        "--sentinel",
        "2",
        "-f",
        "--path",
        str(blocker / "sub"),
    ]
    script_error(capsys, CREDENTIALS + args, "dhus-2018/test_footprints_cli.yaml", "a_file")


# ---------------------------------------------------------------------- against the local hub
UTC = timezone.utc


def hub_env(hub) -> dict:
    """The environment ``sentinelsat-hub run`` gives a command: URL and credentials."""
    return {"DHUS_URL": hub.url, "DHUS_USER": hub.user, "DHUS_PASSWORD": hub.password}


def hub_api(hub) -> SentinelAPI:
    return SentinelAPI(hub.user, hub.password, hub.url, show_progressbars=False)


def assert_files_downloaded(hub, out, ids) -> None:
    assert sorted(os.listdir(out)) == sorted(hub.product(i).download_name for i in ids)
    for product_id in ids:
        expected = b"".join(hub.product_bytes(product_id))
        assert (out / hub.product(product_id).download_name).read_bytes() == expected


@pytest.mark.hub
def test_hub_sentinel2_cloud_search_and_download(runner, make_local_hub, tmp_path):
    hub = make_local_hub(
        products=200,
        date_span=(datetime(2016, 1, 1, tzinfo=UTC), datetime(2016, 1, 31, tzinfo=UTC)),
    )
    out = tmp_path / "out"
    args = [
        "-u",
        hub.user,
        "-p",
        hub.password,
        "--url",
        hub.url,
        "-g",
        MAP,
        "-s",
        "20160101",
        "-e",
        "20160131",
        "--sentinel",
        "2",
        "--cloud",
        "40",
        "-d",
        "--path",
        str(out),
    ]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    expected = hub_api(hub).query(
        geojson_to_wkt(read_geojson(MAP)),
        date=("20160101", "20160131"),
        platformname="Sentinel-2",
        cloudcoverpercentage=(0, 40),
    )
    assert len(expected) > 0
    assert search_ids(result) == list(expected)
    assert all(hub.product(i).platformname == "Sentinel-2" for i in expected)
    assert all(expected[i]["cloudcoverpercentage"] <= 40 for i in expected)
    assert "Downloaded {0} of {0} products".format(len(expected)) in result.stderr
    assert_files_downloaded(hub, out, expected)


@pytest.mark.hub
def test_hub_slc_with_query_keyword_and_url(runner, make_local_hub, tmp_path):
    hub = make_local_hub(
        products=400,
        date_span=(datetime(2015, 1, 1, tzinfo=UTC), datetime(2015, 12, 31, tzinfo=UTC)),
    )
    out = tmp_path / "out"
    args = [
        "-g",
        MAP,
        "-s",
        "20150101",
        "-e",
        "20151231",
        "-d",
        "--producttype",
        "SLC",
        "-q",
        "orbitdirection=Descending",
        "--url",
        hub.url,
        "--path",
        str(out),
    ]
    result = runner.invoke(cli, args, env={"DHUS_USER": hub.user, "DHUS_PASSWORD": hub.password})
    assert result.exit_code == 0, result.output
    ids = search_ids(result)
    assert ids
    for product_id in ids:
        product = hub.product(product_id)
        assert product.producttype == "SLC"
        assert product.attributes["orbitdirection"].lower() == "descending"
    assert_files_downloaded(hub, out, ids)


@pytest.mark.hub
def test_hub_download_by_uuid(runner, local_hub, tmp_path):
    product = local_hub.products[7]
    out = tmp_path / "out"
    result = runner.invoke(
        cli, ["-d", "--uuid", product.id, "--path", str(out)], env=hub_env(local_hub)
    )
    assert result.exit_code == 0, result.output
    assert product_lines(result)[0].startswith(f"Product {product.id} - {product.identifier} - ")
    assert_files_downloaded(local_hub, out, [product.id])


@pytest.mark.hub
def test_hub_download_by_name(runner, local_hub, tmp_path):
    product = local_hub.products[3]
    out = tmp_path / "out"
    result = runner.invoke(
        cli, ["-d", "--name", product.identifier, "--path", str(out)], env=hub_env(local_hub)
    )
    assert result.exit_code == 0, result.output
    assert search_ids(result) == [product.id]
    assert_files_downloaded(local_hub, out, [product.id])


@pytest.mark.hub
def test_hub_name_wildcard_with_footprints(runner, make_local_hub, tmp_path):
    hub = make_local_hub(products=300)
    sample = next(p for p in hub.products if p.identifier.startswith("S1A_IW"))
    pattern = "S1A_IW*{}*".format(sample.identifier.split("_")[4][:8])
    expected = {p.id for p in hub.products if fnmatch.fnmatchcase(p.identifier, pattern)}
    out = tmp_path / "out"
    result = runner.invoke(
        cli, ["--name", pattern, "--footprints", "--path", str(out)], env=hub_env(hub)
    )
    assert result.exit_code == 0, result.output
    assert set(search_ids(result)) == expected
    with open(out / "search_footprints.geojson") as f:
        features = json.load(f)["features"]
    assert {feature["properties"]["id"] for feature in features} == expected
    assert all(
        fnmatch.fnmatchcase(feature["properties"]["identifier"], pattern) for feature in features
    )
    assert os.listdir(out) == ["search_footprints.geojson"]  # no download without -d


@pytest.mark.hub
@pytest.mark.parametrize("strict", [[], ["--fail-if-any-failed"]])
def test_hub_corrupt_and_offline_products(runner, make_local_hub, tmp_path, strict):
    hub = make_local_hub(products=20)
    good, corrupt, offline = (p.id for p in hub.products[:3])
    hub.faults.corrupt = [corrupt]
    hub.set_online(offline, False)
    out = tmp_path / "out"
    args = ["-d", "--uuid", ",".join([good, corrupt, offline]), "--path", str(out)] + strict
    result = runner.invoke(cli, args, env=hub_env(hub))
    if strict:
        assert_error(result, 1, "1 of 3 products failed", "corrupt_scenes.txt")
    else:
        assert result.exit_code == 0, result.output
    assert "Downloaded 1 of 3 products" in result.stderr
    assert "1 products are offline" in result.stderr and f"  {offline} - " in result.stderr
    assert (
        out / "corrupt_scenes.txt"
    ).read_text() == f"{corrupt} : {hub.product(corrupt).identifier}\n"
    assert (out / hub.product(good).download_name).exists()
    assert not (out / hub.product(corrupt).download_name).exists()


@pytest.mark.hub
def test_hub_wrong_password(runner, local_hub, capsys):
    args = ["-u", local_hub.user, "-p", "hunter2-secret", "--url", local_hub.url]
    result = runner.invoke(cli, args)
    assert_raised(result, UnauthorizedError)
    last = script_error(capsys, args, None, "HTTP status 401 Unauthorized: ")
    assert "hunter2-secret" not in last + result.output


@pytest.mark.hub
def test_hub_maintenance_is_a_one_line_error(make_local_hub, capsys, monkeypatch):
    hub = make_local_hub(products=5, maintenance=True)
    for name, value in hub_env(hub).items():
        monkeypatch.setenv(name, value)
    last = script_error(capsys, [], None, "HTTP status 503 ", "maintenance")
    assert len(last) < 2000


@pytest.mark.hub
def test_hub_credentials_from_netrc(runner, local_hub, clean_environment):
    write_netrc(
        clean_environment, host="127.0.0.1", login=local_hub.user, password=local_hub.password
    )
    product = local_hub.products[0]
    result = runner.invoke(cli, ["--url", local_hub.url, "--uuid", product.id])
    assert result.exit_code == 0, result.output
    assert search_ids(result) == [product.id]
