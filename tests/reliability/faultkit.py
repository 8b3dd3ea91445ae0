"""Helpers of the reliability tests: clients of the local hub, what is on disk, child processes."""

from __future__ import annotations

import hashlib
import os
import pathlib
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterable
from typing import Callable

import sentinelsat
from sentinelsat import SentinelAPI
from sentinelsat.files import PARTIAL_SUFFIX

#: The checkout under test: child processes import sentinelsat from it.
REPO = pathlib.Path(sentinelsat.__file__).resolve().parent.parent


class FastAPI(SentinelAPI):
    """A client that does not wait between retries (the waits are not what is tested)."""

    retry_backoff = 0


def hub_api(hub, password: str | None = None, **kwargs) -> SentinelAPI:
    """A client of ``hub`` (its first user), without progress bars unless asked."""
    kwargs.setdefault("show_progressbars", False)
    return FastAPI(hub.user, hub.password if password is None else password, hub.url, **kwargs)


def true_bytes(hub, product_id: str) -> bytes:
    """The product's content as it should end up on disk."""
    return b"".join(hub.product_bytes(product_id))


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


def products_on_disk(hub, directory) -> dict[str, list[str]]:
    """Check every file of ``directory`` and sort them into ``final`` and ``partial`` ids.

    The only files allowed are: a product under its final name whose bytes are exactly the
    product's; a ``.incomplete`` file whose bytes are a prefix of the product's; and the
    CLI's ``corrupt_scenes.txt``. Anything else fails the test.
    """
    by_name = {p.download_name: p for p in hub.products}
    found: dict[str, list[str]] = {"final": [], "partial": []}
    for entry in sorted(os.listdir(directory)):
        path = os.path.join(directory, entry)
        if entry == "corrupt_scenes.txt":
            continue
        partial = entry.endswith(PARTIAL_SUFFIX)
        name = entry[: -len(PARTIAL_SUFFIX)] if partial else entry
        assert name in by_name, f"unexpected file {entry!r} in {directory}"
        product = by_name[name]
        data = pathlib.Path(path).read_bytes()
        expected = true_bytes(hub, product.id)
        if partial:
            assert expected.startswith(data), f"{entry} is not a prefix of the product"
            found["partial"].append(product.id)
        else:
            assert len(data) == product.size, f"{entry} has {len(data)} bytes, not {product.size}"
            assert hashlib.md5(data).hexdigest() == product.md5.lower(), f"{entry} is corrupt"
            assert data == expected
            found["final"].append(product.id)
    return found


def write_prefix(hub, product_id: str, directory, length: int) -> pathlib.Path:
    """Leave a partial download of the product's first ``length`` bytes in ``directory``."""
    product = hub.product(product_id)
    path = pathlib.Path(directory) / (product.download_name + PARTIAL_SUFFIX)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(true_bytes(hub, product_id)[:length])
    return path


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, step: float = 0.005) -> bool:
    """Poll ``predicate`` until it holds; False if it never did within ``timeout`` seconds.

    A wait, never an assertion about speed: the timeout is only a guard against hangs.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


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
