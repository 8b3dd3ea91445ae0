"""Helpers of the reliability tests (the shared ones are in ``kit``): hub requests, partial
files, child processes."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import textwrap
from collections.abc import Iterable

from kit import product_bytes

import sentinelsat
from sentinelsat.files import PARTIAL_SUFFIX

#: The checkout under test: child processes import sentinelsat from it.
REPO = pathlib.Path(sentinelsat.__file__).resolve().parent.parent


def value_requests(hub, product_id: str | None = None) -> list:
    """The logged ``$value`` GETs (of one product, or of all), in completion order."""
    return [
        r
        for r in hub.request_log
        if r.method == "GET"
        and r.path.endswith("/$value")
        and "Quicklook" not in r.path
        and (product_id is None or f"('{product_id}')" in r.path)
    ]


def write_prefix(hub, product_id: str, directory, length: int) -> pathlib.Path:
    """Leave a partial download of the product's first ``length`` bytes in ``directory``."""
    product = hub.product(product_id)
    path = pathlib.Path(directory) / (product.download_name + PARTIAL_SUFFIX)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(product_bytes(hub, product_id)[:length])
    return path


def child_env(**extra: str) -> dict:
    """The environment of a child process: this checkout first on the path, no netrc."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in [env.get("PYTHONPATH")] if p])
    env.update(extra)
    return env


def python_child(code: str, *args: str, **popen_kwargs) -> subprocess.Popen:
    """Start ``python -c code args...`` with this checkout importable."""
    popen_kwargs.setdefault("stdout", subprocess.PIPE)
    popen_kwargs.setdefault("stderr", subprocess.PIPE)
    popen_kwargs.setdefault("env", child_env())
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], **popen_kwargs)


def finish(process: subprocess.Popen, timeout: float = 60) -> tuple:
    """Wait for a child (killing it if it hangs); return ``(returncode, stdout, stderr)``."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(
            "child process hung; stderr:\n" + err.decode(errors="replace")
        ) from None
    return process.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def tree(root) -> dict[str, bytes]:
    """Every file below ``root`` with its content (to show nothing else was written)."""
    files = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                files[os.path.relpath(path, root)] = f.read()
    return files


def ids(products: Iterable) -> list[str]:
    return [p.id for p in products]
