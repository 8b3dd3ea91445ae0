"""The ``sentinelsat-hub`` command line and the pytest plugin."""

from __future__ import annotations

import inspect
import os
import re
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from sentinelsat.testing import LocalHub
from sentinelsat.testing.cli import hub_from_options, parse_size_range, serve

ROOT = Path(__file__).resolve().parents[2]
HUB = [sys.executable, "-m", "sentinelsat.testing"]
CLIENT = textwrap.dedent(
    """
    import base64, json, os, sys, urllib.request
    url, user, password = os.environ["DHUS_URL"], os.environ["DHUS_USER"], os.environ["DHUS_PASSWORD"]
    request = urllib.request.Request(url + "search?format=json&rows=1&q=*")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request.add_header("Authorization", "Basic " + token)
    feed = json.load(urllib.request.urlopen(request))["feed"]
    print(url, user, password, feed["opensearch:totalResults"])
    sys.exit(int(sys.argv[1]))
    """
)


@pytest.fixture
def env():
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }


def test_serve_prints_its_url_and_stops_on_ctrl_c(env):
    process = subprocess.Popen(
        HUB + ["serve", "--port", "0", "--products", "5", "--user", "alice:secret"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line + process.stderr.read()
        assert int(match.group(1)) > 0
        feed = requests.get(match.group(0) + "search?q=*&rows=1", auth=("alice", "secret")).json()[
            "feed"
        ]
        assert feed["opensearch:totalResults"] == "5"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover - only on failure
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == 0


def test_run_passes_the_environment_and_the_exit_status(env):
    result = subprocess.run(
        HUB + ["run", "--products", "7", "--user", "alice:secret", "--", sys.executable, "-c", CLIENT, "3"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    url, user, password, total = result.stdout.split()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url)
    assert (user, password, total) == ("alice", "secret", "7")
    assert url in result.stderr


def test_run_without_separator_and_success(env):
    result = subprocess.run(
        HUB + ["run", "--products", "2", sys.executable, "-c", CLIENT, "0"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1:] == ["user", "password", "2"]


def test_run_unknown_command(env):
    result = subprocess.run(
        HUB + ["run", "--", "no-such-command-sentinelsat"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 127
    assert "command not found" in result.stderr


def test_every_knob_is_a_serve_flag():
    knobs = set(inspect.signature(LocalHub.__init__).parameters) - {"self"}
    flags = {parameter.name for parameter in serve.params}
    assert knobs - {"users", "corrupt"} <= flags
    assert {"users", "corrupt", "corrupt_product"} <= flags


def test_flags_build_the_hub():
    arguments = [
        "--products", "12", "--seed", "4", "--user", "a:b", "--user", "c:d", "--product-size", "2KB-3KB",
        "--date-span", "2020-01-01", "2020-02-01", "--include-recorded", "--offline-share", "0.5",
        "--lta-delay", "2.5", "--lta-quota", "3", "--latency", "0.01", "--bandwidth", "1MB",
        "--max-concurrent-downloads", "2", "--error-rate", "0.1", "--drop-after", "100", "--ignore-range",
        "--corrupt-product", "x", "--maintenance", "--hostile-filename", "../evil.zip",
    ]  # fmt: skip
    context = serve.make_context("serve", arguments)
    hub = hub_from_options(context.params)
    assert len(hub.products) == 15 and hub.seed == 4
    assert hub.users == {"a": "b", "c": "d"}
    assert all(2048 <= p.size <= 3072 for p in hub.products if not p.recorded)
    assert all(
        datetime(2020, 1, 1, tzinfo=timezone.utc) <= p.beginposition <= datetime(2020, 2, 1, tzinfo=timezone.utc)
        for p in hub.products if not p.recorded
    )  # fmt: skip
    faults = hub.faults
    assert (faults.lta_delay, faults.lta_quota, faults.latency, faults.bandwidth) == (
        2.5,
        3,
        0.01,
        1024 * 1024,
    )
    assert (faults.max_concurrent_downloads, faults.error_rate, faults.drop_after) == (2, 0.1, 100)
    assert faults.ignore_range and faults.maintenance and list(faults.corrupt) == ["x"]
    assert faults.hostile_filename == "../evil.zip"
    assert (
        hub_from_options(serve.make_context("serve", ["--corrupt"]).params).faults.corrupt is True
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("65536", 65536),
        ("64KB", 65536),
        ("1.5GB", 3 * 2**29),
        ("1KB-64KB", (1024, 65536)),
        ("10:20", (10, 20)),
        ("2M", 2**21),
    ],
)
def test_sizes(text, expected):
    assert parse_size_range(text) == expected


@pytest.mark.parametrize("text", ["", "KB", "1XB", "1-2-3"])
def test_invalid_sizes(text):
    with pytest.raises(ValueError):
        parse_size_range(text)


def test_serve_rejects_bad_values(env):
    result = subprocess.run(
        HUB + ["serve", "--product-size", "big"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2 and "invalid size" in result.stderr


PLUGIN_TEST = textwrap.dedent(
    """
    import requests

    HUBS = []

    def test_fixtures(local_hub, make_local_hub):
        small = make_local_hub(products=3, offline_share=1.0)
        other = make_local_hub(products=1)
        HUBS.extend([local_hub, small, other])
        assert len(local_hub.products) == 100 and len(small.products) == 3
        assert not small.products[0].online
        assert requests.get(small.url + "search?q=*", auth=(small.user, small.password)).status_code == 200
        assert all(hub.running for hub in HUBS)

    def test_every_hub_was_stopped():
        assert len(HUBS) == 3 and not any(hub.running for hub in HUBS)
    """
)


def test_pytest_plugin(tmp_path, env):
    (tmp_path / "test_plugin_usage.py").write_text(PLUGIN_TEST)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "sentinelsat.testing.pytest_plugin", "-p", "no:cacheprovider",
         "--disable-socket", "--allow-hosts=127.0.0.1,localhost", "-q", str(tmp_path / "test_plugin_usage.py")],
        capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
