"""The command line guarantees of sentinelsat 0.13, one test each.

Every test runs the command the way 0.13's own test suite did, with a plain
``CliRunner().invoke(cli, args, catch_exceptions=False)`` and the real ``SentinelAPI``,
replaying the exchanges 0.13 recorded in 2018 (``tests/fixtures/cassettes/dhus-2018/``,
named after 0.13's tests). A cassette answers only the exact requests it holds (method, URL,
form body), so a replay that works shows that the command sent 0.13's query strings.
Expected values (totals, sizes, lines) are read off the recorded server answers.

The console script (``python -m sentinelsat``, the installed ``sentinelsat``) is tested in
subprocesses against the local hub: it shows the errors that the command lets propagate as
one clean line.
"""

from __future__ import annotations

import base64
import configparser
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from kit import FIXTURES, BinaryBodySerializer, binary_body, recordings

from sentinelsat import InvalidChecksumError, SentinelAPI, SentinelAPIError, ServerError
from sentinelsat.scripts.cli import cli
from sentinelsat.testing import LocalHub

ROOT = Path(__file__).resolve().parents[2]
MAP = str(FIXTURES / "map.geojson")
AUTH = ["--user", "mock_user", "--password", "mock_password"]

# products of the recordings
S1_UUID = "d8340134-878f-4891-ba4f-4df54f1e3ab4"
S1_TITLE = "S1A_WV_OCN__2SSV_20150526T211029_20150526T211737_006097_007E78_134A"
SINGLE_UUID = "5618ce1b-923b-4df2-81d9-50b53e5aded9"
SINGLE_TITLE = "S1A_WV_OCN__2SSV_20150526T081641_20150526T082418_006090_007E3E_104C"
MANY = {
    "1f62a176-c980-41dc-b3a1-c735d660c910": (
        "S1A_WV_OCN__2SSH_20150603T092625_20150603T093332_006207_008194_521E"
    ),
    SINGLE_UUID: SINGLE_TITLE,
    S1_UUID: S1_TITLE,
}
S2_CLOUD_IDS = [
    "6ed0b7de-3435-43df-98bf-ad63c8d077ef",
    "37ecee60-23d8-4ec2-a65f-2de24f51d30e",
    "0848f6b8-5730-4759-850e-fc9945d42296",
]


# ---------------------------------------------------------------------- helpers
@pytest.fixture(autouse=True)
def no_credentials_around(monkeypatch, tmp_path_factory):
    """No credentials or URL from the developer's environment: empty HOME, no DHUS_*."""
    for name in ("DHUS_USER", "DHUS_PASSWORD", "DHUS_URL"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("NETRC", raising=False)
    return home


@pytest.fixture
def sent(monkeypatch) -> list:
    """Every request the command sends (``requests.PreparedRequest``), in order."""
    requests_sent = []
    original = requests.Session.send

    def spy(session, request, **kwargs):
        requests_sent.append(request)
        return original(session, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", spy)
    return requests_sent


def invoke(args: list):
    """0.13's way of running the command."""
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def replay(cassette: str, *runs: list, serializer: str | None = None) -> list:
    """Run the command once per argument list while the 2018 cassette plays; check that
    every request recorded was asked for (a request recorded several times plays its first
    recording every time)."""
    options = {"allow_playback_repeats": True}
    if serializer is not None:
        options["serializer"] = serializer
    with recordings.use_cassette(f"dhus-2018/{cassette}.yaml", **options) as recorded:
        results = [invoke(args) for args in runs]
    requests_recorded = {_key(request) for request, _ in recorded.data}
    requests_played = {
        _key(request)
        for index, (request, _) in enumerate(recorded.data)
        if recorded.play_counts[index]
    }
    assert requests_played == requests_recorded, requests_recorded - requests_played
    return results


def _key(request) -> tuple:
    return request.method, request.uri, request.body, request.headers.get("Range")


def lines(result) -> list:
    return result.output.split("\n")


def product_ids(result) -> list:
    return [line.split()[1] for line in lines(result) if line.startswith("Product ")]


def basic_user(request) -> str:
    scheme, _, token = request.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(token).decode().split(":")[0]


class _ZeroChecksum:
    """A cassette serializer that makes the server's MD5 of one product wrong, as 0.13's
    tests did with requests_mock."""

    product_id = ""

    @classmethod
    def deserialize(cls, text: str) -> dict:
        cassette = BinaryBodySerializer.deserialize(text)
        for interaction in cassette["interactions"]:
            body = interaction["response"]["body"].get("string")
            uri = interaction["request"]["uri"]
            if isinstance(body, str) and f"Products('{cls.product_id}')?" in uri:
                info = json.loads(body)
                info["d"]["Checksum"]["Value"] = "0" * 32
                interaction["response"]["body"]["string"] = json.dumps(info)
        return cassette

    serialize = BinaryBodySerializer.serialize


def zero_checksum_of(product_id: str) -> str:
    """Register a serializer that corrupts ``product_id``'s checksum; return its name."""
    name = f"zero_checksum_{product_id}"
    serializer = type(name, (_ZeroChecksum,), {"product_id": product_id})
    recordings.register_serializer(name, serializer)
    return name


# ---------------------------------------------------------------------- searching and output
def test_cli_default_dates_url_and_query_keywords():
    # 0.13's test_cli: the last day by default, --url, -q key=value pairs
    default, other_url, keywords = replay(
        "test_cli",
        AUTH + ["--geometry", MAP],
        AUTH + ["--geometry", MAP, "--url", "https://scihub.copernicus.eu/dhus/"],
        AUTH + ["--geometry", MAP, "-q", "producttype=GRD,polarisationmode=HH"],
    )
    for result in (default, other_url, keywords):
        assert result.exit_code == 0, result.output
    assert lines(default)[-2] == "45 scenes found with a total size of 22.44 GB"
    assert lines(keywords)[-2] == "0 scenes found with a total size of 0.00 GB"


def test_search_total_is_the_last_line():
    # 0.13's test_returned_filesize: result.output.split("\n")[-2]
    small, large = replay(
        "test_returned_filesize",
        AUTH + ["--geometry", MAP, "-s", "20141205", "-e", "20141208", "-q", "producttype=GRD"],
        AUTH + ["--geometry", MAP, "-s", "20170101", "-e", "20170105", "-q", "producttype=GRD"],
    )
    assert lines(small)[-2] == "1 scenes found with a total size of 0.50 GB"
    assert lines(small)[-3] == "---"
    assert (
        "Product eb684a80-be6a-483f-8270-b4abec35af02 - Date: 2014-12-06T22:37:26.852Z, "
        "Instrument: SAR-C SAR, Mode: HH HV, Satellite: Sentinel-1, Size: 507 MB"
    ) in lines(small)
    assert lines(large)[-2] == "18 scenes found with a total size of 27.81 GB"
    assert len(product_ids(large)) == 18


def test_everything_is_logged_to_stderr():
    logger = logging.getLogger("sentinelsat")
    handlers, level = list(logger.handlers), logger.level
    (result,) = replay(
        "test_cloud_flag_url",
        AUTH
        + ["--geometry", MAP, "--url", "https://scihub.copernicus.eu/apihub/"]
        + ["-s", "20151219", "-e", "20151228", "-c", "10", "--sentinel", "2"],
    )
    assert result.exit_code == 0
    assert result.stdout == ""
    products = [line for line in result.stderr.splitlines() if line.startswith("Product ")]
    assert products[0] == (
        "Product 6ed0b7de-3435-43df-98bf-ad63c8d077ef - Date: 2015-12-27T14:22:29Z, "
        "Instrument: MSI, Mode: , Satellite: Sentinel-2, Size: 5.47 GB"
    )
    assert [line.split()[1] for line in products] == S2_CLOUD_IDS
    assert result.stderr.endswith("---\n3 scenes found with a total size of 17.39 GB\n")
    # the handler of the command is gone afterwards
    assert (logger.handlers, logger.level) == (handlers, level)


@pytest.mark.parametrize("sentinel", [[], ["--sentinel", "1"]])
def test_cloud_needs_sentinel_2_or_3(sent, sentinel):
    result = invoke(AUTH + ["--geometry", MAP, "-c", "10"] + sentinel)
    assert result.exit_code == 1  # 0.13: logger.error(...), exit(1)
    assert result.output == "Cloud cover is only supported for Sentinel 2 and 3.\n"
    assert sent == []


def test_order_by_flag():
    (result,) = replay(
        "test_order_by_flag",
        AUTH
        + ["--geometry", MAP, "-s", "20151219", "-e", "20151228", "-c", "10", "--sentinel", "2"]
        + ["-o", "cloudcoverpercentage, -beginposition"],
    )
    assert product_ids(result) == [S2_CLOUD_IDS[0], S2_CLOUD_IDS[2], S2_CLOUD_IDS[1]]


@pytest.mark.parametrize(
    "cassette, args, total",
    [
        ("test_sentinel1_flag", ["-s", "20151219", "-e", "20151228", "--sentinel", "1"],
         "11 scenes found with a total size of 27.36 GB"),
        ("test_sentinel2_flag", ["-s", "20151219", "-e", "20151228", "--sentinel", "2"],
         "11 scenes found with a total size of 63.58 GB"),
        ("test_sentinel3_flag", ["-s", "20161201", "-e", "20161202", "--sentinel", "3"],
         "4 scenes found with a total size of 4.18 GB"),
        ("test_product_flag", ["-s", "20161201", "-e", "20161202", "--producttype", "SLC"],
         "6 scenes found with a total size of 44.12 GB"),
        ("test_instrument_flag",
         ["-s", "20161201", "-e", "20161202", "--sentinel", "3", "--instrument", "SRAL"],
         "4 scenes found with a total size of 4.18 GB"),
    ],
)  # fmt: skip
def test_platform_flags(cassette, args, total):
    (result,) = replay(cassette, AUTH + ["--geometry", MAP] + args)
    assert lines(result)[-2] == total


def test_option_hierarchy():
    # only the most specific of --producttype > --instrument > --sentinel is sent
    (result,) = replay(
        "test_option_hierarchy",
        AUTH
        + ["--geometry", MAP, "-s", "20161201", "-e", "20161202", "--sentinel", "1"]
        + ["--instrument", "SAR-C SAR", "--producttype", "S2MSI1C"],
    )
    assert lines(result)[-2] == "13 scenes found with a total size of 6.00 GB"


def test_limit_flag():
    (result,) = replay(
        "test_limit_flag",
        AUTH + ["--geometry", MAP, "-s", "20161201", "-e", "20161230", "-l", "15"],
    )
    assert len(product_ids(result)) == 15
    assert lines(result)[-2] == "15 scenes found with a total size of 8.17 GB"


def test_footprints_cli(tmp_path):
    (result,) = replay(
        "test_footprints_cli",
        AUTH
        + ["--geometry", MAP, "-s", "20151219", "-e", "20151228", "--sentinel", "2"]
        + ["--footprints", "--path", str(tmp_path)],
    )
    text = (tmp_path / "search_footprints.geojson").read_text()
    assert "\n" not in text  # geojson.dumps, no indentation
    collection = json.loads(text)
    assert collection["type"] == "FeatureCollection"
    assert [feature["properties"]["id"] for feature in collection["features"]] == product_ids(
        result
    )
    assert len(collection["features"]) == 11
    # nothing after the total
    assert lines(result)[-2:] == ["11 scenes found with a total size of 63.58 GB", ""]


# ---------------------------------------------------------------------- --uuid and --name
def test_uuid_search():
    (result,) = replay("test_uuid_search", AUTH + ["--uuid", S1_UUID])
    assert result.exit_code == 0
    # round(size / 2**20, 2) MB, and no total
    assert result.output == f"Product {S1_UUID} - {S1_TITLE} - 0.12 MB\n"


def test_unknown_uuid():
    (result,) = replay("test_get_product_info_bad_key", AUTH + ["--uuid", "invalid-xyz"])
    assert result.exit_code == 1  # 0.13: exit(1)
    assert result.output == "No product with ID 'invalid-xyz' exists on server\n"


def test_name_search():
    # identifier:NAME and no date filter
    (result,) = replay("test_name_search", AUTH + ["--name", S1_TITLE])
    assert lines(result)[-4:] == [
        f"Product {S1_UUID} - Date: 2015-05-26T21:10:28.984Z, Instrument: SAR-C SAR, Mode: VV, "
        "Satellite: Sentinel-1, Size: 10.65 KB",
        "---",
        "1 scenes found with a total size of 0.00 GB",
        "",
    ]


def test_name_search_multiple():
    # identifier:(A OR B)
    names = [
        "S1B_IW_GRDH_1SDV_20181007T164414_20181007T164439_013049_0181B7_345E",
        "S1B_IW_GRDH_1SDV_20181007T164349_20181007T164414_013049_0181B7_A8E3",
    ]
    (result,) = replay("test_name_search_multiple", AUTH + ["--name", ",".join(names)])
    assert lines(result)[-2] == "2 scenes found with a total size of 3.30 GB"


def test_name_search_empty(sent):
    with pytest.raises(SentinelAPIError) as raised:
        invoke(AUTH + ["--name", ""])
    assert isinstance(raised.value, ValueError)  # what 1.x programs catch
    assert sent == []  # raised before anything is sent
    result = CliRunner().invoke(cli, AUTH + ["--name", ""])
    assert isinstance(result.exception, SentinelAPIError)
    assert result.exit_code == 1


# ---------------------------------------------------------------------- credentials
def test_no_auth_netrc(sent, no_credentials_around):
    netrc = no_credentials_around / ".netrc"
    netrc.write_text("machine scihub.copernicus.eu\nlogin netrc_user\npassword netrc_password\n")
    netrc.chmod(0o600)
    (result,) = replay(
        "test_no_auth_netrc", ["--geometry", MAP, "--url", "https://scihub.copernicus.eu/dhus"]
    )
    assert result.exit_code == 0
    assert basic_user(sent[0]) == "netrc_user"


def test_credentials_and_url_from_the_environment(sent, monkeypatch):
    monkeypatch.setenv("DHUS_USER", "env_user")
    monkeypatch.setenv("DHUS_PASSWORD", "env_password")
    monkeypatch.setenv("DHUS_URL", "https://scihub.copernicus.eu/dhus/")
    with recordings.use_cassette("dhus-2018/test_cli.yaml"):
        result = invoke(["--geometry", MAP])
    assert lines(result)[-2] == "45 scenes found with a total size of 22.44 GB"
    assert basic_user(sent[0]) == "env_user"
    assert sent[0].url.startswith("https://scihub.copernicus.eu/dhus/search?")


def test_missing_credentials(sent):
    result = invoke(["--geometry", MAP])
    assert result.exit_code == 2  # a usage error
    assert result.output.splitlines()[-1] == (
        "Error: Missing --user and --password. Please see docs for environment variables "
        "and .netrc support."
    )
    assert sent == []


# ---------------------------------------------------------------------- downloads
def test_download_single(tmp_path):
    command = AUTH + ["--uuid", SINGLE_UUID, "--download", "--path", str(tmp_path)]
    first, again = replay("test_download_single", command, command)
    assert first.exit_code == again.exit_code == 0
    product = tmp_path / (SINGLE_TITLE + ".zip")
    assert product.read_bytes() == binary_body(product.name)
    for path in tmp_path.iterdir():
        path.unlink()
    # a wrong checksum: the error propagates, after corrupt_scenes.txt is written
    with pytest.raises(InvalidChecksumError):
        replay("test_download_single", command, serializer=zero_checksum_of(SINGLE_UUID))
    assert (tmp_path / "corrupt_scenes.txt").read_text() == f"{SINGLE_UUID} : {SINGLE_TITLE}\n"
    assert not product.exists()


def test_download_many(tmp_path):
    command = AUTH + ["--uuid", ",".join(MANY), "--download", "--path", str(tmp_path)]
    first, again = replay("test_download_many", command, command)
    assert first.exit_code == again.exit_code == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        title + ".zip" for title in MANY.values()
    )
    for path in tmp_path.iterdir():
        path.unlink()
    # one product fails, two are downloaded: success, and the failure is listed
    corrupt = zero_checksum_of(S1_UUID)
    (result,) = replay("test_download_many", command, serializer=corrupt)
    assert result.exit_code == 0
    assert "is corrupted" in result.output  # the library's warning, 0.13's words
    assert (tmp_path / "corrupt_scenes.txt").read_text() == f"{S1_UUID} : {S1_TITLE}\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [MANY[product_id] + ".zip" for product_id in MANY if product_id != S1_UUID]
        + ["corrupt_scenes.txt"]
    )


def test_download_many_strict_exit_status_is_opt_in(tmp_path):
    command = AUTH + ["--uuid", ",".join(MANY), "-d", "--path", str(tmp_path)]
    with recordings.use_cassette(
        "dhus-2018/test_download_many.yaml",
        allow_playback_repeats=True,
        serializer=zero_checksum_of(S1_UUID),
    ):
        result = invoke(command + ["--fail-if-any-failed"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"Error: 1 of 3 products failed to download; their ids and titles are listed in "
        f"{tmp_path / 'corrupt_scenes.txt'}"
    )
    assert (tmp_path / "corrupt_scenes.txt").read_text() == f"{S1_UUID} : {S1_TITLE}\n"


# ---------------------------------------------------------------------- the console script
#: ``python -m sentinelsat`` with Python's Ctrl-C handler installed even if the test runner
#: was started with SIGINT ignored (as background jobs are)
WITH_CTRL_C = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'sentinelsat'; runpy.run_module('sentinelsat', run_name='__main__')"
)


def script(args: list, env: dict, ctrl_c: bool = False) -> subprocess.Popen:
    """Start ``python -m sentinelsat`` (what the installed ``sentinelsat`` runs)."""
    environment = dict(os.environ, **env)
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
    )
    command = ["-c", WITH_CTRL_C] if ctrl_c else ["-m", "sentinelsat"]
    return subprocess.Popen(
        [sys.executable, *command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=environment,
    )  # fmt: skip


def finish(process: subprocess.Popen, timeout: float = 120) -> tuple[str, str]:
    """Wait for the script to end (killed if it does not in time); return stdout, stderr."""
    try:
        return process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:  # pragma: no cover - only if the script hangs
            process.kill()
            process.communicate()


def hub_env(hub: LocalHub, home) -> dict:
    return {"DHUS_URL": hub.url, "DHUS_USER": hub.user, "DHUS_PASSWORD": hub.password,
            "HOME": str(home)}  # fmt: skip


def test_the_console_script_is_the_wrapper():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    scripts = config["options.entry_points"]["console_scripts"].split("\n")
    assert "sentinelsat = sentinelsat.scripts.cli:main" in [line.strip() for line in scripts]


@pytest.mark.hub
def test_console_script_shows_a_server_error_as_one_line(no_credentials_around, monkeypatch):
    with LocalHub(products=5, maintenance=True) as hub:
        process = script([], hub_env(hub, no_credentials_around))
        out, err = finish(process)
        # the Click command itself lets the same error propagate
        monkeypatch.setattr(SentinelAPI, "retry_backoff", 0)
        for name, value in hub_env(hub, no_credentials_around).items():
            monkeypatch.setenv(name, value)
        with pytest.raises(ServerError):
            invoke([])
    assert process.returncode == 1
    assert out == ""
    assert "Traceback" not in err
    (line,) = err.splitlines()
    assert line.startswith("Error: HTTP status 503 Service Unavailable: ")
    assert "we're performing some maintenance at the moment." in line


def test_console_script_usage_error(no_credentials_around):
    process = script(["--frobnicate"], {"HOME": str(no_credentials_around)})
    _, err = finish(process)
    assert process.returncode == 2
    assert err.startswith("Usage: sentinelsat [OPTIONS]")
    assert err.splitlines()[-1].startswith("Error: No such option")
    assert "--frobnicate" in err.splitlines()[-1]


@pytest.mark.hub
def test_console_script_interrupted(no_credentials_around, tmp_path):
    # a slow download: interrupted once its body is being received
    with LocalHub(products=5, product_size=1_000_000, bandwidth=20_000) as hub:
        product = hub.products[0]
        process = script(
            ["--uuid", product.id, "-d", "--path", str(tmp_path)],
            hub_env(hub, no_credentials_around),
            ctrl_c=True,
        )
        partial = tmp_path / (product.download_name + ".incomplete")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (partial.exists() and partial.stat().st_size):
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, err = finish(process, timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "Interrupted: partial downloads are kept and continue where they stopped on the next run."
    )
    assert [path.name for path in tmp_path.iterdir()] == [partial.name]  # kept for the next run
