"""A hostile server: file names and titles that try to leave the directory, bodies whose
length lies, that never end or stall, huge JSON pages, redirects to another host.

Whatever the server does: nothing is written outside the target directory, the library
returns or raises a :class:`SentinelAPIError` within bounded time (pytest-timeout guards
against hangs) and bounded memory, and no corrupt data ends under a final name.
"""

from __future__ import annotations

import base64
import os

import pytest
from kit import FastAPI, assert_true_files, hub_client, product_bytes

from sentinelsat import InvalidChecksumError, SentinelAPI, SentinelAPIError
from sentinelsat.scripts.cli import cli

from .faultkit import tree
from .hostile import HostileServer, peak_memory_growth

pytestmark = [pytest.mark.hub, pytest.mark.timeout(30)]

MEMORY_BOUND_MIB = 100  # the hostile bodies below are 100 MB to endless


def client(server: HostileServer, timeout=None) -> SentinelAPI:
    return FastAPI("user", "password", server.url, show_progressbars=False, timeout=timeout)


def written_outside(root, target) -> list:
    """Files below ``root`` that are not in ``target``."""
    inside = os.path.relpath(target, root)
    return [path for path in tree(root) if os.path.dirname(path) != inside]


# ---------------------------------------------------------------------------- names
HOSTILE_NAMES = [
    "../../../escaped",
    "/etc/cron.d/evil",
    "..",
    ".",
    "a/../../b",
    "..\\..\\windows",
    "nul\x00byte",
    "\x1b]0;title\x07bell",
    "line\nbreak",
    "tab\tand\rreturn",
    "x" * 5000,
    "",
]


@pytest.mark.parametrize("title", HOSTILE_NAMES, ids=repr)
def test_hostile_title_from_the_server(tmp_path, title):
    with HostileServer(title=title) as server:
        target = tmp_path / "a" / "b" / "target"
        info = client(server).download(server.product.id, str(target))
    [entry] = os.listdir(target)
    assert info["path"] == str(target / entry)
    assert not entry.startswith(".") and not any(ord(c) < 32 or c in "/\\" for c in entry)
    assert len(entry) < 255
    assert (target / entry).read_bytes() == server.content
    assert written_outside(tmp_path, target) == []


@pytest.mark.parametrize("title", ["../victim", "/{tmp}/victim", "..", ""], ids=repr)
def test_check_files_never_deletes_outside_the_directory(tmp_path, title):
    victim = tmp_path / "victim.zip"
    victim.write_bytes(b"not a product")
    target = tmp_path / "target"
    target.mkdir()
    with HostileServer(title=title.format(tmp=tmp_path)) as server:
        corrupt = client(server).check_files(
            ids=[server.product.id], directory=str(target), delete=True
        )
    assert victim.read_bytes() == b"not a product"
    [path] = corrupt  # reported as missing from the directory
    assert os.path.dirname(path) == str(target) and not os.path.exists(path)


@pytest.mark.parametrize(
    "filename",
    [
        "../../escaped.zip",
        "/abs/olute.zip",
        "nul\x00.zip",
        "..",
        "\x1b[2J.zip",
        "x/../../../y.exe",
        "a" * 300 + ".zip",
    ],
    ids=repr,
)
def test_hostile_content_disposition_from_the_hub(make_local_hub, tmp_path, filename):
    hub = make_local_hub(products=3, product_size=20_000, hostile_filename=filename)
    products = hub.products[:2]
    target = tmp_path / "a" / "target"
    downloaded, _, failed = hub_client(hub).download_all([p.id for p in products], str(target))
    assert failed == set()
    for product in products:
        path = downloaded[product.id]["path"]
        assert os.path.dirname(path) == str(target)
        name = os.path.basename(path)
        assert name.startswith(product.identifier + ".") and not any(ord(c) < 32 for c in name)
        assert open(path, "rb").read() == product_bytes(hub, product.id)
    assert written_outside(tmp_path, target) == []


def test_hostile_names_in_the_command_line(make_local_hub, tmp_path, monkeypatch):
    from click.testing import CliRunner

    monkeypatch.setattr(SentinelAPI, "retry_backoff", 0)
    hub = make_local_hub(
        products=2, product_size=20_000, hostile_filename="../../../../escaped.zip"
    )
    target = tmp_path / "deep" / "target"
    args = [
        "-u",
        hub.user,
        "-p",
        hub.password,
        "--url",
        hub.url,
        "-d",
        "--uuid",
        hub.products[0].id,
        "--path",
        str(target),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert assert_true_files(hub, target)["final"] == {hub.products[0].id}
    assert written_outside(tmp_path, target) == []


# ---------------------------------------------------------------------------- bodies
def test_content_length_shorter_than_the_product(tmp_path):
    # every answer claims 1000 bytes, whatever Range asked for: no attempt gets further
    with HostileServer(body="short content-length") as server:
        with pytest.raises(SentinelAPIError, match="incomplete: 1000 of 200000 bytes"):
            client(server, timeout=5).download(server.product.id, str(tmp_path))
        bodies = [r for r in server.requests if r["path"].endswith("$value")]
    assert len(bodies) <= 4
    [partial] = os.listdir(tmp_path)
    assert (
        partial.endswith(".incomplete")
        and (tmp_path / partial).read_bytes() == server.content[:1000]
    )


def test_content_length_longer_than_the_product_does_not_hang(tmp_path):
    # the whole product arrives, then the server keeps the connection open announcing more:
    # the client stops at the product's size, even without a timeout
    with HostileServer(body="long content-length") as server:
        info = client(server, timeout=None).download(server.product.id, str(tmp_path))
    assert open(info["path"], "rb").read() == server.content
    assert os.listdir(tmp_path) == [os.path.basename(info["path"])]


def test_endless_body_of_garbage(tmp_path):
    with HostileServer(body="endless garbage") as server:
        error, growth = peak_memory_growth(
            lambda: client(server).download(server.product.id, str(tmp_path))
        )
    assert isinstance(error, InvalidChecksumError)
    assert os.listdir(tmp_path) == []  # the garbage was deleted
    assert growth < MEMORY_BOUND_MIB


def test_true_body_followed_by_an_endless_stream(tmp_path):
    with HostileServer(body="true then endless") as server:
        info, growth = peak_memory_growth(
            lambda: client(server).download(server.product.id, str(tmp_path))
        )
    assert open(info["path"], "rb").read() == server.content
    assert growth < MEMORY_BOUND_MIB


def test_stalled_body_times_out_and_keeps_what_arrived(tmp_path):
    # half the product, then silence; the server ignores Range, so retries get no further
    with HostileServer(body="half then stall") as server:
        with pytest.raises(SentinelAPIError, match="timed out"):
            client(server, timeout=0.3).download(server.product.id, str(tmp_path))
        assert len([r for r in server.requests if r["path"].endswith("$value")]) <= 4
    [partial] = os.listdir(tmp_path)
    assert (tmp_path / partial).read_bytes() == server.content[: len(server.content) // 2]


# ---------------------------------------------------------------------------- JSON pages
@pytest.mark.parametrize("page", ["huge", "endless"])
@pytest.mark.parametrize("operation", ["query", "count"])
def test_huge_or_endless_json_page_is_refused(page, operation):
    # a 100 MB page (one enormous string) or an array of entries that never ends
    with HostileServer(page=page) as server:
        api = client(server, timeout=5)
        error, growth = peak_memory_growth(lambda: getattr(api, operation)(raw="*"))
    assert isinstance(error, SentinelAPIError), error
    assert "larger than" in str(error)
    assert growth < MEMORY_BOUND_MIB


# ---------------------------------------------------------------------------- redirects
PASSWORD = "s3cret-Pa55word"
SECRETS = [PASSWORD, base64.b64encode(f"user:{PASSWORD}".encode()).decode()]


@pytest.mark.parametrize("other", ["localhost", "127.0.0.1"], ids=["another host", "another port"])
def test_credentials_do_not_follow_a_redirect(tmp_path, other):
    with HostileServer(host=other) as elsewhere, HostileServer(redirect_to=elsewhere.url) as server:
        api = FastAPI("user", PASSWORD, server.url, show_progressbars=False, timeout=5)
        info = api.download(server.product.id, str(tmp_path))
    assert open(info["path"], "rb").read() == elsewhere.content  # the redirects were followed...
    assert all("Authorization" in r["headers"] for r in server.requests)
    assert elsewhere.requests  # ...and the other server got no credentials
    for request in elsewhere.requests:
        assert "Authorization" not in request["headers"]
        assert not any(secret in request["raw"] for secret in SECRETS)


def test_netrc_credentials_do_not_follow_a_redirect_to_another_host(tmp_path, no_user_credentials):
    netrc = no_user_credentials / ".netrc"
    netrc.write_text(f"machine 127.0.0.1 login user password {PASSWORD}\n")
    netrc.chmod(0o600)
    with (
        HostileServer(host="localhost") as elsewhere,
        HostileServer(redirect_to=elsewhere.url) as server,
    ):
        api = FastAPI(None, None, server.url, show_progressbars=False, timeout=5)
        api.get_product_odata(server.product.id)
    assert server.requests[0]["headers"]["Authorization"] == "Basic " + SECRETS[1]  # netrc was used
    assert elsewhere.requests
    assert not any(secret in r["raw"] for r in elsewhere.requests for secret in SECRETS)


def test_redirect_loop_is_an_error(tmp_path):
    with HostileServer() as server:
        server.redirect_to = server.url
        with pytest.raises(SentinelAPIError, match="redirects"):
            client(server, timeout=5).download(server.product.id, str(tmp_path))
        assert len(server.requests) <= 31
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("explicit", [True, False], ids=["-u/-p given", "~/.netrc only"])
def test_no_credentials_follow_a_redirect_to_another_port(tmp_path, no_user_credentials, explicit):
    # ~/.netrc has an entry for the host: requests alone would send it to the other port
    netrc = no_user_credentials / ".netrc"
    netrc.write_text(f"machine 127.0.0.1 login netrc-user password {PASSWORD}-netrc\n")
    netrc.chmod(0o600)
    user, password = ("user", PASSWORD) if explicit else (None, None)
    with HostileServer() as elsewhere, HostileServer(redirect_to=elsewhere.url) as server:
        api = FastAPI(user, password, server.url, show_progressbars=False, timeout=5)
        info = api.download(server.product.id, str(tmp_path))
    assert open(info["path"], "rb").read() == elsewhere.content
    expected = ("user", PASSWORD) if explicit else ("netrc-user", PASSWORD + "-netrc")
    sent = base64.b64encode(":".join(expected).encode()).decode()
    assert all(r["headers"]["Authorization"] == "Basic " + sent for r in server.requests)
    assert elsewhere.requests
    netrc_secret = base64.b64encode(f"netrc-user:{PASSWORD}-netrc".encode()).decode()
    for request in elsewhere.requests:
        assert "Authorization" not in request["headers"]
        assert not any(s in request["raw"] for s in [*SECRETS, PASSWORD, netrc_secret])
