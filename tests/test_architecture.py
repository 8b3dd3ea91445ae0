"""The rules of docs/architecture.rst, checked on the source of the package."""

from __future__ import annotations

import ast
import pathlib
import re
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "sentinelsat"
MODULES = sorted(PACKAGE.rglob("*.py"))
LIBRARY = [m for m in MODULES if "testing" not in m.relative_to(PACKAGE).parts]

#: requests has no public way to hand it a body read with a size limit
ALLOWED_PRIVATE = {
    ("sessions.py", "response", "_content"),
    ("sessions.py", "response", "_content_consumed"),
}


def _tree(module: pathlib.Path) -> ast.Module:
    return ast.parse(module.read_text(encoding="utf-8"), str(module))


def _name(module: pathlib.Path) -> str:
    return str(module.relative_to(PACKAGE))


@pytest.mark.parametrize("module", MODULES, ids=_name)
def test_no_module_imports_the_facade(module):
    if _name(module) in ("sentinel.py", "__init__.py"):
        return  # the façade itself, and the package's lazy export table
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.ImportFrom):
            target = (node.module or "").split(".")
            assert "sentinel" not in target, f"{_name(module)} imports sentinel.py"
            assert not (
                node.level and node.module is None and any(a.name == "sentinel" for a in node.names)
            )
        elif isinstance(node, ast.Import):
            assert all(alias.name != "sentinelsat.sentinel" for alias in node.names)


@pytest.mark.parametrize("module", MODULES, ids=_name)
def test_no_private_member_of_another_object(module):
    for node in ast.walk(_tree(module)):
        if not isinstance(node, ast.Attribute):
            continue
        attribute = node.attr
        if not attribute.startswith("_") or attribute.startswith("__"):
            continue
        owner = node.value
        if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
            continue
        if isinstance(owner, ast.Call) and getattr(owner.func, "id", None) == "super":
            continue
        name = owner.id if isinstance(owner, ast.Name) else ast.unparse(owner)
        assert (_name(module), name, attribute) in ALLOWED_PRIVATE, (
            f"{_name(module)}:{node.lineno}: {name}.{attribute}"
        )


URL = re.compile(r"https?://[^\s'\"`]+")


@pytest.mark.parametrize("module", LIBRARY, ids=_name)
def test_only_backends_know_server_urls(module):
    if _name(module).startswith("backends/"):
        return
    tree = _tree(module)
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in docstrings:
                continue
            for url in URL.findall(node.value):
                assert "copernicus.eu" not in url and "/odata/" not in url, (
                    f"{_name(module)}:{node.lineno}: {url}"
                )


def _docstrings(tree: ast.Module) -> set[int]:
    """The ids of the docstring nodes (documentation may name servers)."""
    found = set()
    for parent in ast.walk(tree):
        body = getattr(parent, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            found.add(id(body[0].value))
    return found


def test_the_command_line_starts_without_requests():
    code = "import sys, sentinelsat.scripts.cli; print('requests' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
