"""``sentinelsat-hub serve --cdse`` and ``run --cdse``: the local CDSE from the command line."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
import requests
from click.testing import CliRunner

from sentinelsat.testing import CDSEFaults, LocalCDSE, LocalHub
from sentinelsat.testing.cli import (
    cdse_from_options,
    main,
    serve,
    server_from_options,
    single_server_options,
)
from sentinelsat.testing.knobs import knob_names

ROOT = Path(__file__).resolve().parents[2]
HUB = [sys.executable, "-m", "sentinelsat.testing"]
VARIABLES = ["DHUS_URL", "DHUS_USER", "DHUS_PASSWORD", "CDSE_TOKEN_URL", "CDSE_DOWNLOAD_URL"]

#: A client of the CDSE that knows only the environment: it searches the catalogue, gets a
#: token and downloads the product it found, then exits with the status it is given.
CDSE_CLIENT = textwrap.dedent(
    """
    import json, os, sys, urllib.parse, urllib.request
    names = ["DHUS_URL", "DHUS_USER", "DHUS_PASSWORD", "CDSE_TOKEN_URL", "CDSE_DOWNLOAD_URL"]
    env = {name: os.environ.get(name) for name in names}
    with urllib.request.urlopen(env["DHUS_URL"] + "Products?$top=1") as reply:
        (product,) = json.load(reply)["value"]
    form = {"grant_type": "password", "client_id": "cdse-public",
            "username": env["DHUS_USER"], "password": env["DHUS_PASSWORD"]}
    with urllib.request.urlopen(env["CDSE_TOKEN_URL"], urllib.parse.urlencode(form).encode()) as reply:
        tokens = json.load(reply)
    url = env["CDSE_DOWNLOAD_URL"] + "Products(" + product["Id"] + ")/$value"
    request = urllib.request.Request(url, headers={"Authorization": "Bearer " + tokens["access_token"]})
    with urllib.request.urlopen(request) as reply:
        downloaded = len(reply.read())
    print(json.dumps({"env": env, "product": product, "expires_in": tokens["expires_in"],
                      "downloaded": downloaded}))
    sys.exit(int(sys.argv[1]))
    """
)
SERVING = re.compile(
    r"Local CDSE serving 5 products\n"
    r"  catalogue  DHUS_URL=(?P<catalogue>http://127\.0\.0\.1:\d+/odata/v1/)\n"
    r"  identity   CDSE_TOKEN_URL=(?P<token>http://127\.0\.0\.1:\d+/auth/realms/CDSE/protocol/openid-connect/token)\n"
    r"  download   CDSE_DOWNLOAD_URL=(?P<download>http://127\.0\.0\.1:\d+/odata/v1/)\n"
    r"  user       DHUS_USER=alice DHUS_PASSWORD=secret\n"
    r"Press Ctrl-C to stop\.\n"
)


@pytest.fixture
def env():
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return {key: value for key, value in os.environ.items() if key not in VARIABLES} | {
        "PYTHONPATH": path
    }


def port_of(url: str) -> int:
    match = re.match(r"http://127\.0\.0\.1:(\d+)/", url)
    assert match, url
    return int(match.group(1))


# --------------------------------------------------------------------------- run --cdse
@pytest.mark.parametrize("status", [0, 3])
def test_run_cdse_gives_the_command_the_environment_and_returns_its_status(env, status):
    result = subprocess.run(
        HUB + ["run", "--cdse", "--products", "4", "--product-size", "3KB", "--user", "alice:secret",
               "--", sys.executable, "-c", CDSE_CLIENT, str(status)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == status, result.stderr
    seen = json.loads(result.stdout)
    child = seen["env"]
    assert (child["DHUS_USER"], child["DHUS_PASSWORD"]) == ("alice", "secret")
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/odata/v1/", child["DHUS_URL"])
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/odata/v1/", child["CDSE_DOWNLOAD_URL"])
    assert child["CDSE_TOKEN_URL"].endswith("/auth/realms/CDSE/protocol/openid-connect/token")
    ports = {port_of(child[name]) for name in ("DHUS_URL", "CDSE_TOKEN_URL", "CDSE_DOWNLOAD_URL")}
    assert len(ports) == 3
    assert seen["product"]["ContentLength"] == seen["downloaded"] == 3072
    assert seen["expires_in"] == 600
    assert f"Local CDSE with 4 products at {child['DHUS_URL']}" in result.stderr


def test_run_cdse_returns_the_status_of_a_command_killed_by_a_signal(env):
    result = subprocess.run(
        HUB + ["run", "--cdse", "--products", "1", "--", "sh", "-c", "kill -TERM $$"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 128 + signal.SIGTERM, result.stderr


def test_run_of_the_hub_does_not_pass_on_cdse_variables(env):
    code = "import os; print(os.environ['DHUS_URL'], os.environ.get('CDSE_TOKEN_URL'))"
    result = subprocess.run(
        HUB + ["run", "--products", "1", "--", sys.executable, "-c", code],
        capture_output=True, text=True, timeout=120,
        env=env | {"CDSE_TOKEN_URL": "https://identity.invalid/token", "DHUS_URL": "https://dhus.invalid/"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    url, token_url = result.stdout.split()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url) and token_url == "None"


# --------------------------------------------------------------------------- serve --cdse
def test_serve_cdse_prints_its_urls_and_credentials_and_stops_on_ctrl_c(env):
    process = subprocess.Popen(
        HUB + ["serve", "--cdse", "--products", "5", "--user", "alice:secret",
               "--access-token-lifetime", "42", "--max-concurrent-downloads", "1",
               "--product-size", "1MB", "--bandwidth", "64KB"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        printed = "".join(process.stdout.readline() for _ in range(6))
        match = SERVING.fullmatch(printed)
        assert match, printed
        urls = match.groupdict()
        page = requests.get(urls["catalogue"] + "Products", params={"$count": "true"}).json()
        assert page["@odata.count"] == 5
        form = {"grant_type": "password", "client_id": "cdse-public", "username": "alice",
                "password": "secret"}  # fmt: skip
        tokens = requests.post(urls["token"], data=form).json()
        assert tokens["expires_in"] == 42  # --access-token-lifetime
        auth = {"Authorization": "Bearer " + tokens["access_token"]}
        first, second = (f"{urls['download']}Products({p['Id']})/$value" for p in page["value"][:2])
        with requests.get(first, headers=auth, stream=True) as running:  # 16 s at 64 KB/s
            assert running.status_code == 200
            refused = requests.get(second, headers=auth)  # --max-concurrent-downloads 1
        assert refused.status_code == 429 and refused.json()["code"] == "DAT-ZIP-100"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _, errors = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover - only on failure
            process.kill()
            _, errors = process.communicate()
    assert process.returncode == 0, errors
    assert "Stopping the CDSE." in errors
    for url in urls.values():
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=5)


def test_serve_refuses_a_hub_option_with_cdse(env):
    result = subprocess.run(
        HUB + ["serve", "--cdse", "--lta-delay", "5"], capture_output=True, text=True, env=env,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.endswith(
        "Error: --lta-delay is a DHuS hub option: the local CDSE (--cdse) has no such option\n"
    )


# --------------------------------------------------------------------------- which options
@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--cdse", "--lta-delay", "1.0"],  # even with its default value
         "--lta-delay is a DHuS hub option: the local CDSE (--cdse) has no such option\n"),
        (["--lta-quota", "1", "--cdse", "--hostile-filename", "x"],
         "--lta-quota and --hostile-filename are DHuS hub options: the local CDSE (--cdse) has "
         "none of them\n"),
        (["--cdse", "--port", "8080"],
         "--port is a DHuS hub option: the local CDSE (--cdse) has no such option; its ports are "
         "--catalogue-port, --identity-port and --download-port\n"),
        (["--access-token-lifetime", "5"],
         "--access-token-lifetime is a CDSE option: add --cdse to serve the local CDSE\n"),
        (["--no-accept-ranges"],
         "--accept-ranges/--no-accept-ranges is a CDSE option: add --cdse to serve the local CDSE\n"),
        (["--download-port", "9000"],
         "--download-port is a CDSE option: add --cdse to serve the local CDSE; the hub's port is "
         "--port\n"),
    ],
)  # fmt: skip
def test_an_option_of_the_other_server_is_refused(arguments, message):
    result = CliRunner().invoke(main, ["run", *arguments, "--", sys.executable, "-c", "pass"])
    assert result.exit_code == 2, result.output
    assert result.output.endswith("Error: " + message)
    assert "Local" not in result.output  # nothing was started


def test_shared_options_are_accepted_by_both_servers():
    shared = ["--latency", "0", "--bandwidth", "1MB", "--max-concurrent-downloads", "2",
              "--error-rate", "0", "--drop-after", "1GB", "--corrupt-product", "x", "--maintenance",
              "--ignore-range", "--products", "2", "--seed", "1", "--offline-share", "0.5"]  # fmt: skip
    for server in ([], ["--cdse"]):
        result = CliRunner().invoke(
            main, ["run", *server, *shared, "--", sys.executable, "-c", "pass"]
        )
        assert result.exit_code == 0, result.output
        assert "with 2 products" in result.output


def test_each_option_of_one_server_is_labelled_and_every_cdse_knob_is_an_option():
    only = single_server_options()
    assert {only[name] for name in ("lta_delay", "port", "checksum_algorithm")} == {"hub"}
    cdse_only = ("access_token_lifetime", "error_servers", "catalogue_port", "accept_ranges")
    assert {only[name] for name in cdse_only} == {"cdse"}
    assert not {"latency", "corrupt", "corrupt_product", "products", "users", "cdse"} & set(only)
    options = {param.name: param for param in serve.params}
    assert set(knob_names(CDSEFaults)) <= set(options)
    for name, server in only.items():
        assert options[name].help.startswith(f"[{server}] "), name
    assert options["latency"].help == "Seconds added to every request."
    assert "[cdse] Product and node $value GETs" in options["max_concurrent_downloads"].help


def test_flags_build_the_cdse():
    arguments = [
        "--cdse", "--products", "6", "--seed", "2", "--user", "a:b", "--product-size", "2KB",
        "--offline-share", "1", "--catalogue-port", "1", "--identity-port", "2", "--download-port", "3",
        "--latency", "0.01", "--bandwidth", "1MB", "--max-concurrent-downloads", "2", "--error-rate", "0.1",
        "--error-servers", "identity,download", "--drop-after", "2KB", "--corrupt-product", "x",
        "--maintenance", "--ignore-range", "--access-token-lifetime", "30", "--refresh-token-lifetime", "60",
        "--max-sessions", "3", "--session-limit-status", "400", "--error-body", "odata",
        "--unknown-attribute", "error", "--unknown-collection-status", "400", "--no-short-product-types",
        "--no-intersects-multipolygon", "--no-allow-top-zero", "--max-filter-length", "100",
        "--redirect-status", "302", "--no-redirect-keeps-query", "--checksums", "blake3",
        "--disposition", "stem", "--no-accept-ranges", "--no-content-range",
        "--download-content-type", "application/octet-stream", "--offline-status", "410",
    ]  # fmt: skip
    cdse = cdse_from_options(serve.make_context("serve", arguments).params)
    assert cdse.faults == CDSEFaults(
        latency=0.01, bandwidth=1024 * 1024, max_concurrent_downloads=2, error_rate=0.1,
        error_servers=("identity", "download"), drop_after=2048, corrupt=("x",), maintenance=True,
        ignore_range=True, access_token_lifetime=30, refresh_token_lifetime=60, max_sessions=3,
        session_limit_status=400, error_body="odata", unknown_attribute="error",
        unknown_collection_status=400, short_product_types=False, intersects_multipolygon=False,
        allow_top_zero=False, max_filter_length=100, redirect_status=302, redirect_keeps_query=False,
        checksums="blake3", disposition="stem", accept_ranges=False, content_range=False,
        download_content_type="application/octet-stream", offline_status=410,
    )  # fmt: skip
    assert cdse.seed == 2 and cdse.users == {"a": "b"} and not cdse.running
    assert [(p.size, p.online) for p in cdse.products] == [(2048, False)] * 6
    assert cdse.ports == {"catalogue": 1, "identity": 2, "download": 3}
    default = server_from_options(serve.make_context("serve", ["--cdse"]).params)
    assert isinstance(default, LocalCDSE) and default.faults == CDSEFaults()
    assert len(default.products) == 100 and default.users == {"user": "password"}
    assert isinstance(server_from_options(serve.make_context("serve", []).params), LocalHub)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--offline-status", "42"], "42 is not between 100 and 599"),
        (["--disposition", "filename"], "'filename' is not one of none, stem, name"),
        (
            ["--error-servers", "catalogue,dhus"],
            "'dhus' is not one of catalogue, identity, download",
        ),
        (["--error-rate", "2"], "2 is not between 0.0 and 1.0"),
    ],
)
def test_invalid_cdse_values_are_refused(arguments, message):
    with pytest.raises(click.BadParameter, match=re.escape(message)):
        serve.make_context("serve", ["--cdse", *arguments])


def test_a_port_in_use_is_a_clean_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            main, ["run", "--cdse", "--products", "1", "--identity-port", str(port), "--",
                   sys.executable, "-c", "pass"],
        )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert (
        "Error: cannot start the local CDSE on 127.0.0.1: Address already in use" in result.output
    )
