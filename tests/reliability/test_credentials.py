"""Credentials and TLS: the password never shows, and certificates are always verified.

The password is looked for, verbatim and as the base64 of the ``Authorization`` header, in
every log record at DEBUG level (sentinelsat, urllib3, requests), in the text of every
exception and its traceback, in ``repr`` and pickles, in what the progress bars and the
command line print, and in every file written.
"""

from __future__ import annotations

import base64
import http.server
import logging
import pathlib
import pickle
import re
import shutil
import ssl
import subprocess
import traceback

import pytest
from click.testing import CliRunner
from kit import BackgroundServer, FastAPI

import sentinelsat
from sentinelsat import SentinelAPI, SentinelAPIError
from sentinelsat.scripts.cli import cli

from .faultkit import tree

pytestmark = [pytest.mark.hub, pytest.mark.timeout(60)]

USER, PASSWORD, WRONG = "alice", "Zq9-unique-PASSWORD-7731", "wr0ng-unique-SECRET-4419"


def secrets(password: str = PASSWORD) -> list:
    token = base64.b64encode(f"{USER}:{password}".encode()).decode()
    return [password, token]


def assert_no_secret(text: str, where: str) -> None:
    for secret in secrets() + secrets(WRONG):
        assert secret not in text, f"a credential appears in {where}"


@pytest.fixture
def hub(make_local_hub):
    return make_local_hub(products=8, product_size=(20_000, 60_000), users={USER: PASSWORD})


@pytest.fixture
def everything_logged(caplog):
    """Every logger at DEBUG, urllib3's connection pool included."""
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "requests", "sentinelsat"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def log_text(caplog) -> str:
    return "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records)


def failures(hub, tmp_path) -> list:
    """Exceptions of failed operations, raised with the right and with a wrong password."""
    errors = []
    wrong = FastAPI(USER, WRONG, hub.url, show_progressbars=True)
    for call in (
        lambda: wrong.count(),
        lambda: wrong.download(hub.products[0].id, str(tmp_path)),
        lambda: wrong.download_all([p.id for p in hub.products[:2]], str(tmp_path)),
    ):
        with pytest.raises(SentinelAPIError) as error:
            call()
        errors.append(error.value)
    right = FastAPI(USER, PASSWORD, hub.url, show_progressbars=True, timeout=0.1)
    hub.faults.latency = 0.3
    with pytest.raises(SentinelAPIError) as error:
        right.get_product_odata(hub.products[0].id)
    errors.append(error.value)
    hub.faults.latency, hub.faults.maintenance = 0, True
    with pytest.raises(SentinelAPIError) as error:
        right.query(raw="*")
    errors.append(error.value)
    hub.faults.maintenance = False
    return errors


def test_password_never_shows(hub, tmp_path, everything_logged, capfd):
    api = FastAPI(USER, PASSWORD, hub.url, show_progressbars=True)
    corrupt, offline = hub.products[1], hub.products[2]
    hub.faults.corrupt = [corrupt.id]
    hub.set_online(offline.id, False)
    hub.faults.drop_after = 30_000
    ids = [p.id for p in hub.products[:6]]
    api.query(raw="*")
    api.count(raw="*")
    api.get_product_odata(ids[0], full=True)
    api.download(ids[0], str(tmp_path))
    downloaded, triggered, failed = api.download_all(ids, str(tmp_path), max_attempts=2)
    assert (len(downloaded), list(triggered), failed) == (4, [offline.id], {corrupt.id})
    api.check_files(ids=ids, directory=str(tmp_path))
    errors = failures(hub, tmp_path)

    logged = log_text(everything_logged)
    assert (
        "Starting new HTTP connection" in logged and "Downloaded" in logged
    )  # DEBUG and INFO were on
    assert_no_secret(logged, "the log")
    out, err = capfd.readouterr()
    assert "MD5 checksumming" in err or "Downloading products" in err  # the bars were drawn
    assert_no_secret(out + err, "the progress bars")
    for error in errors:
        assert_no_secret(str(error), "an exception")
        assert_no_secret(repr(error), "an exception's repr")
        assert_no_secret("".join(traceback.format_exception(error)), "a traceback")
        assert_no_secret(repr(pickle.loads(pickle.dumps(error))), "a pickled exception")
    assert_no_secret(repr(api), "repr(api)")
    assert_no_secret(repr(api.session.auth), "repr(auth)")
    assert_no_secret(repr(vars(api)), "the API's attributes")
    for path, data in tree(tmp_path).items():
        assert_no_secret(data.decode("latin-1"), path)


def test_password_never_shows_in_the_command_line(hub, tmp_path, monkeypatch, everything_logged):
    monkeypatch.setattr(SentinelAPI, "retry_backoff", 0)
    hub.faults.corrupt = [hub.products[1].id]
    out = tmp_path / "out"
    runner = CliRunner()
    ids = ",".join(p.id for p in hub.products[:3])
    outputs = []
    for args, env in [
        (
            [
                "-u",
                USER,
                "-p",
                PASSWORD,
                "--url",
                hub.url,
                "-d",
                "--uuid",
                ids,
                "--path",
                str(out),
                "--footprints",
            ],
            {},
        ),
        (
            ["--url", hub.url, "-d", "--uuid", ids, "--path", str(out)],
            {"DHUS_USER": USER, "DHUS_PASSWORD": PASSWORD},
        ),
        (["-u", USER, "-p", WRONG, "--url", hub.url, "--uuid", ids], {}),
    ]:
        result = runner.invoke(cli, args, env=env)
        outputs.append(result.output + str(result.exception or ""))
    # the corrupt product is listed (exit 0, as in 0.13: the others were downloaded); the
    # wrong password is an error propagating out of the command
    assert result.exit_code == 1 and "corrupt_scenes.txt" in outputs[0] and "401" in outputs[2]
    for output in outputs:
        assert_no_secret(output, "the command's output")
    assert_no_secret(log_text(everything_logged), "the log")
    for path, data in tree(tmp_path).items():
        assert_no_secret(data.decode("latin-1"), path)


# ---------------------------------------------------------------------------- TLS
def test_tls_verification_is_on(hub, tmp_path):
    api = FastAPI(USER, PASSWORD, hub.url, show_progressbars=False)
    assert api.session.verify is True
    api.query(raw="*")
    api.download_all([p.id for p in hub.products[:2]], str(tmp_path))
    assert api.session.verify is True  # nothing along the way turned it off


def test_nothing_in_the_package_turns_verification_off():
    package = pathlib.Path(sentinelsat.__file__).parent
    forbidden = re.compile(
        r"verify\s*=\s*False|\.verify\s*=|CERT_NONE|check_hostname\s*=\s*False|"
        r"_create_unverified_context|disable_warnings|InsecureRequestWarning"
    )
    offenders = [
        f"{path.relative_to(package)}:{number}: {line.strip()}"
        for path in package.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if forbidden.search(line)
    ]
    assert offenders == []


@pytest.fixture
def self_signed_server(tmp_path):
    """An HTTPS server on 127.0.0.1 with a certificate no authority signed."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(dict(self.headers.items()))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        do_POST = do_GET

        def log_message(self, *args):
            pass

    background = BackgroundServer(Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    background.server.socket = context.wrap_socket(background.server.socket, server_side=True)
    with background:
        yield f"https://127.0.0.1:{background.port}/", seen


def test_an_untrusted_certificate_is_refused(self_signed_server):
    url, seen = self_signed_server
    api = FastAPI(USER, PASSWORD, url, show_progressbars=False, timeout=5)
    with pytest.raises(
        SentinelAPIError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"
    ):
        api.count()
    assert seen == []  # not a single request, so no credentials, went to it
