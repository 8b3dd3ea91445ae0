"""The documentation: its examples run against the local hub, and it agrees with the code.

How the examples of ``docs/*.rst`` are run
------------------------------------------
Every ``.. code-block::`` of a page is one of:

``python``
    Run with ``exec``; the blocks of a page share one namespace, in page order.
``pycon``
    An interactive session, checked with :mod:`doctest` (``ELLIPSIS`` and
    ``NORMALIZE_WHITESPACE``) in the same namespace as the page's ``python`` blocks.
``console``
    Shell commands after ``$`` (a trailing ``\\`` continues a command on the next line),
    each followed by the output it prints, if any. ``sentinelsat`` runs in-process through
    Click's test runner, ``sentinelsat-hub run`` and ``python -m pytest FILE`` run as
    subprocesses, and ``export``/``unset`` change the environment of the commands that
    follow on the page. Shown output is compared with what the command printed (stdout and
    stderr, ``...`` matches anything); a command whose shown output has an ``Error:`` line
    must fail, every other command must succeed. Installation and build commands
    (:data:`NOT_RUN`) are not run; any other command fails the test.
anything else (``text``, ``json``...)
    Not run.

A block with a ``:caption:`` is a file of that name: it is written before the page runs,
into the working directory, or into the home directory for ``~/`` names. The files of
``index.rst`` (the area of interest ``map.geojson``) are written for every page.

Hubs: ``sentinelsat-hub serve --port PORT ...`` commands declare the hubs of the
documentation (they are not run in place), and ``sentinelsat-hub serve --cdse
--catalogue-port P1 --identity-port P2 --download-port P3 ...`` the local CDSEs. A page that
mentions ``http://127.0.0.1:PORT/`` gets a hub (or CDSE) built from that command line, on
free ports, and every mention of one of its URLs in the examples is replaced with the real
one. In ``sentinelsat-hub run ... -- COMMAND``, ``python`` and ``sentinelsat`` run with the
interpreter of the tests. The working directory is a fresh temporary directory and ``HOME``
a fresh one beside it.
"""

from __future__ import annotations

import contextlib
import doctest
import functools
import io
import logging
import os
import re
import shlex
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from sentinelsat import SentinelAPI
from sentinelsat.scripts.cli import cli
from sentinelsat.testing import LocalHub
from sentinelsat.testing.cli import PORT_OPTIONS, hub_from_options, serve, server_from_options

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.rst"))
INDEX = DOCS / "index.rst"

RUN_LANGUAGES = {"python", "pycon", "console"}
OTHER_LANGUAGES = {"text", "json", "ini", "none"}
HUB_URL = re.compile(r"http://127\.0\.0\.1:(\d+)/")
DHUS_VARIABLES = ("DHUS_URL", "DHUS_USER", "DHUS_PASSWORD")

#: Commands shown in the docs but not run by the tests: installation and builds.
NOT_RUN = (
    ("pip", "install"),
    ("python", "-m", "sphinx"),
)
#: Exactly this command (the whole test suite) is not run either.
TEST_SUITE = ("python", "-m", "pytest")


# ---------------------------------------------------------------------- reading the pages
@dataclass
class Block:
    """A ``.. code-block::`` of a page."""

    page: Path
    line: int  # 1-based line of the directive
    language: str
    options: dict[str, str]
    text: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


_DIRECTIVE = re.compile(r"^(\s*)\.\. code-block::\s*(\S*)\s*$")
_OPTION = re.compile(r"^\s+:([\w-]+):\s*(.*)$")


def read_blocks(page: Path) -> list[Block]:
    """The code blocks of an RST page, in order."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks = []
    index = 0
    while index < len(lines):
        match = _DIRECTIVE.match(lines[index])
        if not match:
            index += 1
            continue
        indent, language = len(match.group(1)), match.group(2)
        start, index = index + 1, index + 1
        options = {}
        while index < len(lines) and _OPTION.match(lines[index]):
            name, value = _OPTION.match(lines[index]).groups()
            options[name] = value.strip()
            index += 1
        body = []
        while index < len(lines) and (not lines[index].strip() or _indent(lines[index]) > indent):
            body.append(lines[index])
            index += 1
        text = textwrap.dedent("\n".join(body)).strip("\n") + "\n"
        blocks.append(Block(page, start, language, options, text))
    return blocks


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


@dataclass
class Command:
    """A command of a ``console`` block and the output shown after it."""

    words: list[str]
    expected: list[str] = field(default_factory=list)
    text: str = ""

    @property
    def expects_error(self) -> bool:
        return any(line.startswith("Error:") for line in self.expected)


def read_commands(block: Block) -> list[Command]:
    """Split a console block into its commands (``$`` lines) and their shown output."""
    commands: list[Command] = []
    lines = block.text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if line.startswith("$ "):
            text = line[2:]
            while text.endswith("\\"):
                assert index < len(lines), f"{block.where}: unfinished command {text!r}"
                text = text[:-1] + " " + lines[index].strip()
                index += 1
            commands.append(Command(shlex.split(text), text=text))
        else:
            assert commands, f"{block.where}: output before the first command: {line!r}"
            commands[-1].expected.append(line)
    assert commands, f"{block.where}: a console block without commands"
    for command in commands:
        while command.expected and not command.expected[-1].strip():
            command.expected.pop()
    return commands


def all_blocks() -> list[Block]:
    return [block for page in PAGES for block in read_blocks(page)]


# ---------------------------------------------------------------------- hubs of the docs
def serve_declarations() -> dict[int, tuple[Block, list[str]]]:
    """Port → (block, arguments of ``sentinelsat-hub serve``) for every serve command; the
    three ports of a CDSE are three keys of the same declaration."""
    declared: dict[int, tuple[Block, list[str]]] = {}
    for block in all_blocks():
        if block.language != "console":
            continue
        for command in read_commands(block):
            if command.words[:2] != ["sentinelsat-hub", "serve"]:
                continue
            arguments = command.words[2:]
            ports = documented_ports(serve_options(arguments))
            assert all(ports), f"{block.where}: a hub of the docs needs fixed ports"
            for port in ports:
                assert port not in declared, (
                    f"{block.where}: port {port} is already used by {declared[port][0].where}"
                )
                declared[port] = (block, arguments)
    return declared


def serve_options(arguments: list[str]) -> dict:
    """Parse ``sentinelsat-hub serve`` arguments as the command does."""
    with serve.make_context("serve", list(arguments)) as context:
        return dict(context.params)


def port_names(options: dict) -> tuple[str, ...]:
    """The names of the port options of the server that ``options`` describe."""
    return PORT_OPTIONS["cdse" if options.get("cdse") else "hub"]


def documented_ports(options: dict) -> list[int]:
    """The ports of a documented server: the hub's, or the CDSE catalogue's, identity
    server's and download host's."""
    return [options[name] for name in port_names(options)]


def on_free_ports(options: dict) -> dict:
    return dict(options, **dict.fromkeys(port_names(options), 0))


def real_ports(server) -> list[int]:
    """The ports of a running server, in the order of :func:`documented_ports`."""
    if isinstance(server, LocalHub):
        return [server.port]
    return [server.ports[name] for name in ("catalogue", "identity", "download")]


@contextlib.contextmanager
def hubs_for(texts: list[str]) -> Iterator[dict[str, str]]:
    """Start the documented hubs whose URLs appear in ``texts``; yield doc URL → real URL."""
    declared = serve_declarations()
    ports = sorted({int(port) for text in texts for port in HUB_URL.findall(text)})
    with contextlib.ExitStack() as stack:
        urls: dict[str, str] = {}
        for port in ports:
            assert port in declared, (
                f"http://127.0.0.1:{port}/ is used, but no documented "
                f"'sentinelsat-hub serve --port {port}' starts it"
            )
            if f"http://127.0.0.1:{port}/" in urls:
                continue  # another port of the same CDSE
            options = serve_options(declared[port][1])
            server = stack.enter_context(server_from_options(on_free_ports(options)))
            for documented, real in zip(documented_ports(options), real_ports(server)):
                urls[f"http://127.0.0.1:{documented}/"] = f"http://127.0.0.1:{real}/"
        yield urls


def substitute(text: str, urls: dict[str, str]) -> str:
    for documented, real in urls.items():
        text = text.replace(documented, real)
    return text


# ---------------------------------------------------------------------- running a page
CHECKER = doctest.OutputChecker()
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def output_matches(expected: str, actual: str) -> bool:
    return CHECKER.check_output(expected, actual, FLAGS)


def subprocess_env(env: dict[str, str | None]) -> dict[str, str]:
    merged = {key: value for key, value in os.environ.items() if key not in DHUS_VARIABLES}
    for key, value in env.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    merged["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    merged["PYTHONUNBUFFERED"] = "1"
    return merged


class TerminalRunner(CliRunner):
    """Click's test runner, with its output streams unbuffered as a terminal's lines are: the
    messages of stderr and stdout then appear in the order they are written."""

    @contextlib.contextmanager
    def isolation(self, *args, **kwargs):  # type: ignore[override]
        with super().isolation(*args, **kwargs) as streams:
            for stream in (sys.stdout, sys.stderr):
                stream.reconfigure(write_through=True)  # type: ignore[attr-defined]
            yield streams


class Shell:
    """Runs the commands of a page's console blocks, in order."""

    def __init__(self, home: Path, urls: dict[str, str]) -> None:
        self.env: dict[str, str | None] = dict.fromkeys(DHUS_VARIABLES)
        self.env["HOME"] = str(home)
        self.env["NETRC"] = None
        self.urls = urls

    def run(self, block: Block) -> None:
        for command in read_commands(block):
            words = [substitute(word, self.urls) for word in command.words]
            expected = substitute("\n".join(command.expected), self.urls)
            result = self.execute(words, block)
            if result is None:
                continue
            status, output = result
            described = f"{block.where}: $ {command.text}\n--- output ---\n{output}"
            if command.expects_error:
                assert status != 0, described
            else:
                assert status == 0, described
            if expected:
                assert output_matches(expected + "\n", output), (
                    f"{described}\n--- expected ---\n{expected}"
                )

    def execute(self, words: list[str], block: Block) -> tuple[int, str] | None:
        """Run one command; ``None`` for commands that are not run."""
        program = words[0]
        if program == "export":
            for assignment in words[1:]:
                name, _, value = assignment.partition("=")
                self.env[name] = value
            return None
        if program == "unset":
            for name in words[1:]:
                self.env[name] = None
            return None
        if program == "sentinelsat":
            result = TerminalRunner().invoke(
                cli, words[1:], prog_name="sentinelsat", env=self.env, catch_exceptions=False
            )
            return result.exit_code, result.output
        if words[:2] == ["sentinelsat-hub", "serve"]:
            return None  # a declaration of the hub the page's examples use
        if words[:2] == ["sentinelsat-hub", "run"]:
            separator = words.index("--") if "--" in words else None
            assert separator is not None, (
                f"{block.where}: write 'sentinelsat-hub run ... -- COMMAND'"
            )
            inner = words[separator + 1 :]
            if inner[0] == "sentinelsat":
                inner = [sys.executable, "-m", "sentinelsat"] + inner[1:]
            elif inner[0] == "python":
                inner = [sys.executable] + inner[1:]
            return self.subprocess(
                [sys.executable, "-m", "sentinelsat.testing"] + words[1 : separator + 1] + inner
            )
        if tuple(words) == TEST_SUITE or any(tuple(words[: len(skip)]) == skip for skip in NOT_RUN):
            return None
        if words[:3] == ["python", "-m", "pytest"]:
            return self.subprocess([sys.executable] + words[1:])
        raise AssertionError(
            "{}: the tests do not know how to run {!r}".format(block.where, " ".join(words))
        )

    def subprocess(self, arguments: list[str]) -> tuple[int, str]:
        completed = subprocess.run(
            arguments, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=subprocess_env(self.env), timeout=120,
        )  # fmt: skip
        return completed.returncode, completed.stdout


def write_files(blocks: list[Block], workdir: Path, home: Path) -> None:
    for block in blocks:
        name = block.options.get("caption")
        if not name:
            continue
        assert block.language != "console", f"{block.where}: a console block cannot be a file"
        path = home / name[2:] if name.startswith("~/") else workdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block.text, encoding="utf-8")
        if name.endswith("netrc"):
            path.chmod(0o600)


def run_pycon(block: Block, text: str, namespace: dict) -> None:
    test = doctest.DocTestParser().get_doctest(
        text, namespace, block.where, str(block.page), block.line
    )
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    runner.run(test, out=report.append, clear_globs=False)
    namespace.update(test.globs)  # the DocTest worked on a copy
    assert runner.failures == 0, "".join(report)


@contextlib.contextmanager
def restored_logging() -> Iterator[None]:
    """Examples configure logging; undo it so that nothing leaks into other tests."""
    loggers = [logging.getLogger(), logging.getLogger("sentinelsat")]
    saved = [(logger, logger.level, list(logger.handlers)) for logger in loggers]
    try:
        yield
    finally:
        for logger, level, handlers in saved:
            logger.setLevel(level)
            for handler in logger.handlers:
                if handler not in handlers:
                    logger.removeHandler(handler)


def run_page(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run every example of a page; return the number of blocks run."""
    blocks = read_blocks(page)
    runnable = [
        block
        for block in blocks
        if block.language in RUN_LANGUAGES and "caption" not in block.options
    ]
    workdir, home = tmp_path / "work", tmp_path / "home"
    workdir.mkdir()
    home.mkdir()
    write_files(read_blocks(INDEX) + (blocks if page != INDEX else []), workdir, home)
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("NETRC", raising=False)
    for name in DHUS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with hubs_for([block.text for block in runnable]) as urls, restored_logging():
        namespace: dict = {"__name__": "__docs__"}
        shell = Shell(home, urls)
        for block in runnable:
            text = substitute(block.text, urls)
            if block.language == "python":
                exec(compile(text, block.where, "exec"), namespace)
            elif block.language == "pycon":
                run_pycon(block, text, namespace)
            else:
                shell.run(block)
    return len(runnable)


# ---------------------------------------------------------------------- the tests
def test_the_docs_have_pages_and_examples():
    names = {page.name for page in PAGES}
    assert {"index.rst", "install.rst", "cli.rst", "api.rst", "hub.rst", "issues.rst", "reference.rst",
            "changelog.rst"} <= names  # fmt: skip
    languages = [block.language for block in all_blocks()]
    assert languages.count("python") >= 10 and languages.count("console") >= 10


@pytest.mark.parametrize("page", PAGES, ids=[page.stem for page in PAGES])
def test_examples_of_the_page_run_against_the_local_hub(page, tmp_path, monkeypatch):
    run_page(page, tmp_path, monkeypatch)


def test_every_code_block_has_a_known_language():
    for block in all_blocks():
        assert block.language in RUN_LANGUAGES | OTHER_LANGUAGES, (
            f"{block.where}: unknown language {block.language!r}"
        )


@pytest.mark.parametrize("page", PAGES, ids=[page.stem for page in PAGES])
def test_code_is_only_in_code_blocks(page):
    # plain literal blocks (``::``) and other code directives would escape the tests
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        assert not re.match(
            r"\.\. (code|sourcecode|literalinclude|doctest|testcode)::", stripped
        ), f"{page.name}:{number}: use '.. code-block::'"
        assert not (stripped.endswith("::") and not stripped.startswith("..")), (
            f"{page.name}:{number}: a literal block; use '.. code-block::' so that it is tested"
        )


def test_reading_blocks_and_commands(tmp_path):
    page = tmp_path / "page.rst"
    page.write_text(
        "Text\n\n.. code-block:: console\n   :caption: ignored\n\n   $ sentinelsat --name 'A B' \\\n"
        "       --limit 2\n   Found ...\n\n   $ unset X\n\nAfter\n\n   .. code-block:: python\n\n"
        "      x = 1\n\n      y = 2\n\n  back\n"
    )  # fmt: skip
    console, python = read_blocks(page)
    assert (console.language, console.line, console.options) == (
        "console",
        3,
        {"caption": "ignored"},
    )
    first, second = read_commands(console)
    assert first.words == ["sentinelsat", "--name", "A B", "--limit", "2"]
    assert first.expected == ["Found ..."] and not first.expects_error
    assert second.words == ["unset", "X"] and second.expected == []
    assert python.text == "x = 1\n\ny = 2\n"


def test_output_matching():
    assert output_matches("Found ... products\n", "Found 3 products\n")
    assert output_matches("a\n...\nz\n", "a\nb\nc\nz\n")
    assert not output_matches("Found 2 products\n", "Found 3 products\n")
    assert not output_matches("a\n", "a\nextra\n")


def test_every_documented_hub_starts_and_every_example_url_has_one():
    declared = serve_declarations()
    assert 8080 in declared
    assert any(serve_options(arguments)["cdse"] for _, arguments in declared.values())
    for arguments in {tuple(arguments) for _, arguments in declared.values()}:
        with server_from_options(on_free_ports(serve_options(list(arguments)))) as server:
            assert server.running and server.products
    used = {int(port) for block in all_blocks() for port in HUB_URL.findall(block.text)}
    assert used <= set(declared)


def shown_serve_commands() -> list[tuple[Block, Command]]:
    """The documented ``sentinelsat-hub serve`` commands that show what they print."""
    return [
        (block, command)
        for block in all_blocks()
        if block.language == "console"
        for command in read_commands(block)
        if command.words[:2] == ["sentinelsat-hub", "serve"] and command.expected
    ]


@pytest.mark.parametrize(
    "block, command", shown_serve_commands(), ids=[b.where for b, _ in shown_serve_commands()]
)
def test_the_serve_commands_of_the_docs_print_what_the_docs_show(block, command):
    options = serve_options(command.words[2:])
    ports = {str(port) for port in documented_ports(options)}
    arguments = [("0" if word in ports else word) for word in command.words[2:]]
    process = subprocess.Popen(
        [sys.executable, "-m", "sentinelsat.testing", "serve"] + arguments,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env({}),
    )  # fmt: skip
    try:
        lines = [process.stdout.readline() for _ in command.expected]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # pragma: no cover - only if the hub hangs
            process.kill()
            process.communicate()
    printed = "".join(lines)
    real = list(dict.fromkeys(int(port) for port in HUB_URL.findall(printed)))
    assert len(real) == len(ports), printed
    expected = "\n".join(command.expected)
    for documented, port in zip(documented_ports(options), real):
        expected = expected.replace(f"http://127.0.0.1:{documented}/", f"http://127.0.0.1:{port}/")
    assert output_matches(expected + "\n", printed), printed
    assert process.returncode == 0


def test_a_cdse_of_the_docs_shows_its_three_urls():
    shown = [c for _, c in shown_serve_commands() if serve_options(c.words[2:])["cdse"]]
    assert shown, "the docs show no 'sentinelsat-hub serve --cdse' output"
    for command in shown:
        text = "\n".join(command.expected)
        for port in documented_ports(serve_options(command.words[2:])):
            assert f"http://127.0.0.1:{port}/" in text


# ---------------------------------------------------------------------- the CLI pages
_HELP_OPTION = re.compile(r"^  (-[-\w]+(?:(?:, | / )-[-\w]+)*)")
_DOC_OPTION = re.compile(r"^\.\. option:: (.+)$")
_DOC_PROGRAM = re.compile(r"^\.\. program:: (.+)$")


@functools.cache
def help_output(arguments: tuple[str, ...]) -> str:
    """``python -m ARGUMENTS --help``, as a user would see it."""
    result = subprocess.run(
        [sys.executable, "-m", *arguments, "--help"], capture_output=True, text=True,
        env=subprocess_env({}), timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def help_options(arguments: list[str]) -> list[frozenset]:
    """The option names of a command's ``--help`` output, one set per option."""
    section = help_output(tuple(arguments)).split("\nOptions:\n", 1)[1]
    options = []
    for line in section.splitlines():
        match = _HELP_OPTION.match(line)
        if match:
            options.append(frozenset(re.split(r",\s*| / ", match.group(1))))
    return options


def documented_options(program: str) -> list[frozenset]:
    """The option names documented with ``.. option::`` after ``.. program:: PROGRAM``."""
    options = []
    for page in PAGES:
        current = None  # as in Sphinx, a program is set for the rest of its page
        for line in page.read_text(encoding="utf-8").splitlines():
            match = _DOC_PROGRAM.match(line.strip())
            if match:
                current = match.group(1).strip()
                continue
            match = _DOC_OPTION.match(line.strip())
            if match and current == program:
                names = [part.strip().split()[0] for part in match.group(1).split(", ")]
                options.append(frozenset(names))
    return options


@pytest.mark.parametrize(
    "program, module",
    [("sentinelsat", ["sentinelsat"]), ("sentinelsat-hub serve", ["sentinelsat.testing", "serve"])],
)
def test_the_documented_options_are_those_of_the_help(program, module):
    from_help, from_docs = help_options(module), documented_options(program)
    assert len(from_help) >= 15
    assert len(from_docs) == len(set(from_docs)), "an option is documented twice"
    missing = set(from_help) - set(from_docs)
    unknown = set(from_docs) - set(from_help)
    assert not missing, (
        f"options of '{program} --help' missing from the docs: {sorted(map(sorted, missing))}"
    )
    assert not unknown, (
        f"documented options that '{program}' does not have: {sorted(map(sorted, unknown))}"
    )


def test_option_parsing_of_the_help_and_the_docs(tmp_path):
    assert frozenset({"-u", "--user"}) in help_options(["sentinelsat"])
    assert frozenset({"--max-concurrent-downloads"}) in help_options(
        ["sentinelsat.testing", "serve"]
    )
    assert frozenset({"--accept-ranges", "--no-accept-ranges"}) in help_options(
        ["sentinelsat.testing", "serve"]
    )
    assert frozenset({"-g", "--geometry"}) in documented_options("sentinelsat")
    assert documented_options("no-such-program") == []


# ---------------------------------------------------------------------- the build
def test_the_documentation_builds_without_warnings(tmp_path):
    # the same check as in CI (.ci/run), with the quicker builder that still resolves every
    # reference; warnings are errors
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-E", "-b", "dummy",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "out")],
        capture_output=True, text=True, env=subprocess_env({}), timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------------- README, changelog, reference
def rst_problems(text: str) -> list[str]:
    """Warnings and errors of docutils on a reStructuredText document."""
    import docutils.core
    import docutils.utils

    stream = io.StringIO()
    try:
        docutils.core.publish_doctree(
            text,
            settings_overrides={"report_level": 2, "halt_level": 5, "warning_stream": stream},
        )
    except docutils.utils.SystemMessage as error:  # pragma: no cover - only with severe errors
        return [str(error)]
    return [line for line in stream.getvalue().splitlines() if line.strip()]


@pytest.mark.parametrize("name", ["README.rst", "CHANGELOG.rst"])
def test_readme_and_changelog_are_valid_restructuredtext(name):
    assert rst_problems((ROOT / name).read_text(encoding="utf-8")) == []


def test_rst_checks_find_problems():
    assert rst_problems("Title\n===\n\nA `broken link\n") != []


def test_the_long_description_renders_on_pypi():
    readme_renderer = pytest.importorskip("readme_renderer.rst")
    # setup.cfg: long_description = file: README.rst, CHANGELOG.rst (joined by a newline)
    text = "\n".join(
        (ROOT / name).read_text(encoding="utf-8") for name in ("README.rst", "CHANGELOG.rst")
    )
    stream = io.StringIO()
    assert readme_renderer.render(text, stream=stream) is not None, stream.getvalue()
    assert "long_description = file: README.rst, CHANGELOG.rst" in (ROOT / "setup.cfg").read_text()


def test_the_changelog_page_includes_the_changelog():
    page = (DOCS / "changelog.rst").read_text(encoding="utf-8")
    assert ".. include:: ../CHANGELOG.rst" in page.splitlines()


def test_the_reference_documents_the_public_api():
    import sentinelsat
    import sentinelsat.testing

    reference = (DOCS / "reference.rst").read_text(encoding="utf-8")
    documented = set(
        re.findall(r"^\.\. auto(?:class|function|exception|data):: (\S+)", reference, re.MULTILINE)
    )
    public = {name for name in sentinelsat.__all__ if name != "__version__"}
    assert public <= documented
    assert {"sentinelsat.testing.LocalHub", "sentinelsat.testing.Faults"} <= documented
    methods = {name for name in vars(SentinelAPI) if not name.startswith("_")} - {
        "page_size",
        "query_concurrency",
        "retry_backoff",
    }
    assert methods <= set(re.findall(r"`~?sentinelsat\.SentinelAPI\.(\w+)`", _all_docs_text())) | {
        "query_raw"
    }


def _all_docs_text() -> str:
    return "\n".join(page.read_text(encoding="utf-8") for page in PAGES)


def test_the_local_hub_of_the_docs_is_the_default_one():
    """The pages describe the hub of ``index.rst``: 100 products plus three recorded ones."""
    block, arguments = serve_declarations()[8080]
    assert block.page == INDEX
    hub = hub_from_options(dict(serve_options(arguments), port=0))
    assert isinstance(hub, LocalHub)
    assert len(hub.products) == 103 and (hub.user, hub.password) == ("user", "password")
