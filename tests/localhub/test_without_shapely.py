"""The hub without shapely: it imports, starts and serves; footprint searches say what to install."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Runs first in the child: every import of shapely fails, as if it were not installed.
BLOCK_SHAPELY = textwrap.dedent(
    """
    import sys

    class BlockShapely:
        def find_spec(self, name, path=None, target=None):
            if name == "shapely" or name.startswith("shapely."):
                raise ModuleNotFoundError(f"No module named {name!r}")
            return None

    sys.meta_path.insert(0, BlockShapely())
    """
)

CHILD = textwrap.dedent(
    """
    import json, sys
    import requests
    import sentinelsat.testing
    from sentinelsat.testing import LocalHub, Query
    from sentinelsat.testing.extras import MissingDependencyError, has_shapely

    result = {"has_shapely": has_shapely()}
    with LocalHub(products=30, include_recorded=True) as hub:
        auth = (hub.user, hub.password)
        search = hub.url + "search?format=json&rows=100&q="
        result["all"] = requests.get(search + "*:*", auth=auth).json()["feed"]["opensearch:totalResults"]
        product = hub.products[0]
        entity = requests.get(f"{hub.url}odata/v1/Products('{product.id}')?$format=json", auth=auth)
        result["geometry"] = "<gml:coordinates>" in entity.json()["d"]["ContentGeometry"]
        value = requests.get(f"{hub.url}odata/v1/Products('{product.id}')/$value", auth=auth)
        result["download"] = len(value.content) == product.size
        footprint = requests.get(search + 'footprint:"Intersects(POLYGON((0 0,1 0,1 1,0 1,0 0)))"', auth=auth)
        result["footprint"] = [footprint.status_code, footprint.json()["feed"]["error"]["message"]]
    try:
        Query('footprint:"Intersects(0, 0)"')
    except MissingDependencyError as error:
        result["query"] = str(error)
    try:
        product.geometry
    except MissingDependencyError as error:
        result["geometry_property"] = str(error)
    result["imported"] = sorted(name for name in sys.modules if name.split(".")[0] == "shapely")
    print(json.dumps(result))
    """
)


def run_child(code: str) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.splitlines()[-1])


def test_the_hub_serves_without_shapely_and_names_the_extra_for_footprints():
    result = run_child(BLOCK_SHAPELY + CHILD)
    extra = "pip install 'sentinelsat[hub]'"
    assert result["has_shapely"] is False
    assert result["all"] == "33" and result["geometry"] and result["download"]
    status, message = result["footprint"]
    assert status == 200 and "a footprint search needs shapely" in message and extra in message
    assert (
        extra in result["query"] and "Product.geometry needs shapely" in result["geometry_property"]
    )
    assert result["imported"] == []


def test_the_blocker_really_blocks_shapely():
    code = (
        BLOCK_SHAPELY
        + "import importlib\ntry:\n    import shapely\nexcept ImportError:\n    print('{}')\n"
    )
    assert run_child(code) == {}


def test_only_footprints_import_shapely():
    code = textwrap.dedent(
        """
        import json, sys
        from sentinelsat.testing import LocalHub
        hub = LocalHub(products=50)
        before = "shapely" in sys.modules
        hub.products[0].geometry
        print(json.dumps({"before": before, "after": "shapely" in sys.modules}))
        """
    )
    assert run_child(code) == {"before": False, "after": True}


def test_the_command_line_warns_without_shapely():
    code = BLOCK_SHAPELY + textwrap.dedent(
        """
        import sys
        from sentinelsat.testing.cli import main
        sys.argv = ["sentinelsat-hub", "run", "--products", "2", "--", sys.executable, "-c", "pass"]
        main()
        """
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert "footprint searches need shapely: pip install 'sentinelsat[hub]'" in completed.stderr


def test_the_command_line_says_what_the_cdse_needs_without_shapely():
    code = BLOCK_SHAPELY + textwrap.dedent(
        """
        import json, sys
        from click.testing import CliRunner
        from sentinelsat.testing.cdse import CDSEFaults
        from sentinelsat.testing.cli import main

        run = ["run", "--cdse", "--access-token-lifetime", "5", "--", sys.executable, "-c", "pass"]
        result = CliRunner().invoke(main, run)
        print(json.dumps({"status": result.exit_code, "output": result.output,
                          "default_lifetime": CDSEFaults().access_token_lifetime}))
        """
    )
    result = run_child(code)
    assert result["status"] == 1 and result["default_lifetime"] == 600
    assert result["output"] == (
        "Error: The local CDSE (sentinelsat.testing.LocalCDSE) needs shapely, which is not "
        "installed: pip install 'sentinelsat[hub]'\n"
    )
