"""A program written for sentinelsat 1.x (``programs/written_for_1x.py``) runs unchanged
against the local hub: its imports, the named result fields, ``failed.items()``,
``fail_fast``, node filters, quicklooks, streams and the exception classes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROGRAM = Path(__file__).parent / "programs" / "written_for_1x.py"
ROOT = Path(__file__).resolve().parents[2]


def test_a_program_written_for_1x_runs_unchanged(make_local_hub, tmp_path):
    hub = make_local_hub(products=40, product_size=20_000)
    env = {**os.environ, **hub.environ(), "PYTHONPATH": str(ROOT)}
    completed = subprocess.run(
        [sys.executable, str(PROGRAM), str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    found = int(next(line for line in lines if line.startswith("found")).split()[1])
    assert found == 6
    assert lines == [
        "version 2.4.1",
        "found 6",
        "downloaded 6 triggered 0 failed 0",
        "fail_fast raised InvalidKeyError",
        "failed no-such-product InvalidKeyError",
        "odata True manifest.safe",
        lines[6],
        "quicklooks 2 0",
        lines[8],
        "small True",
        "online True False",
        "stream 200 True",
        "invalid key True True",
        "unauthorized 401",
        "done",
    ]
    assert lines[6].startswith("quicklook ") and lines[6].endswith(".jpeg True")
    assert lines[8].startswith("nodes [")
