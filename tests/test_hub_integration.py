"""The library against the local hub: searches compared with filtering the catalogue in Python,
paging, counting, OData metadata and the README's demo command."""

import os
import re
import shlex
import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
import shapely.wkt
from kit import FIXTURES

from sentinelsat import SentinelAPI, SentinelAPIError, geojson_to_wkt, read_geojson
from sentinelsat.testing import LocalHub

AOI = geojson_to_wkt(read_geojson(str(FIXTURES / "map.geojson")))
SPAN = (datetime(2020, 1, 1, tzinfo=timezone.utc), datetime(2020, 3, 1, tzinfo=timezone.utc))


@pytest.fixture(scope="module")
def hub():
    with LocalHub(products=600, seed=7, date_span=SPAN, include_recorded=True) as running:
        yield running


@pytest.fixture
def api(hub, monkeypatch):
    monkeypatch.setattr(SentinelAPI, "retry_backoff", 0)
    return SentinelAPI(hub.user, hub.password, hub.url, show_progressbars=False)


def naive(value):
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def catalogue(hub, predicate):
    return {product.id for product in hub.products if predicate(product)}


def test_area_date_and_keywords(hub, api):
    area = shapely.wkt.loads(AOI)
    start, end = datetime(2020, 1, 10), datetime(2020, 2, 10)
    found = api.query(
        AOI, date=(start, end), platformname="Sentinel-2", cloudcoverpercentage=(0, 30)
    )
    expected = catalogue(
        hub,
        lambda p: (
            p.platformname == "Sentinel-2"
            and 0 <= p.attributes["cloudcoverpercentage"] <= 30
            and start <= naive(p.beginposition) <= end
            and shapely.wkt.loads(p.footprint).intersects(area)
        ),
    )
    assert expected, "the hub should have matching products"
    assert set(found) == expected
    for product_id, attributes in found.items():
        product = hub.product(product_id)
        assert attributes["title"] == product.identifier
        assert attributes["beginposition"] == naive(product.beginposition)
        assert attributes["cloudcoverpercentage"] == pytest.approx(
            product.attributes["cloudcoverpercentage"]
        )


@pytest.mark.parametrize("relation", ["Intersects", "Contains", "IsWithin"])
def test_area_relations(hub, api, relation):
    area = shapely.wkt.loads("POLYGON((-70 -12,-70 5,-50 5,-50 -12,-70 -12))")
    test = {
        "Intersects": area.intersects,
        "Contains": lambda g: g.contains(area),
        "IsWithin": area.contains,
    }[relation]
    found = api.query(area.wkt, area_relation=relation)
    assert set(found) == catalogue(hub, lambda p: test(shapely.wkt.loads(p.footprint)))


def test_product_type_and_orbit_range(hub, api):
    found = api.query(producttype="GRD", relativeorbitnumber=(10, 80), orbitdirection="ASCENDING")
    expected = catalogue(
        hub,
        lambda p: (
            p.producttype == "GRD"
            and 10 <= p.attributes["relativeorbitnumber"] <= 80
            and p.attributes["orbitdirection"].upper() == "ASCENDING"
        ),
    )
    assert expected and set(found) == expected


def test_names_with_wildcards(hub, api):
    found = api.query(raw="identifier:S2A_MSIL1C*")
    assert set(found) == catalogue(hub, lambda p: p.identifier.startswith("S2A_MSIL1C"))
    names = [p.identifier for p in hub.products[:3]]
    found = api.query(raw="identifier:({})".format(" OR ".join(names)))
    assert {attributes["identifier"] for attributes in found.values()} == set(names)


def test_paging_and_order(hub, api):
    everything = api.query(ingestiondate=(None, "NOW"), order_by="-beginposition")
    assert len(everything) == len(hub.products)
    dates = [attributes["beginposition"] for attributes in everything.values()]
    assert dates == sorted(dates, reverse=True)
    ids = list(everything)
    for limit, offset in [(150, 0), (30, 90), (120, 250), (50, len(ids) - 10)]:
        page = api.query(
            ingestiondate=(None, "NOW"), order_by="-beginposition", limit=limit, offset=offset
        )
        assert list(page) == ids[offset : offset + limit]
    api.query_concurrency = 1
    assert list(api.query(ingestiondate=(None, "NOW"), order_by="-beginposition")) == ids


def test_paging_requests(hub, api):
    hub.clear_log()
    api.query(ingestiondate=(None, "NOW"), limit=250, offset=10)
    searches = sorted(
        (int(r.query["start"]), int(r.query["rows"]))
        for r in hub.request_log
        if r.path.endswith("search")
    )
    assert searches == [(10, 100), (110, 100), (210, 50)]


def test_count(hub, api):
    assert api.count(ingestiondate=(None, "NOW")) == len(hub.products)
    assert api.count(platformname="Sentinel-1") == len(
        catalogue(hub, lambda p: p.platformname == "Sentinel-1")
    )
    hub.clear_log()
    api.count(platformname="Sentinel-3", limit=5, order_by="beginposition")
    [request] = hub.request_log
    assert request.query["rows"] == "0" and "orderby" not in request.query


def test_recent_products_relative_dates(api):
    # a default catalogue covers the last 30 days, with Sentinel-2 products in the last 24 hours
    with LocalHub(products=100) as recent:
        client = SentinelAPI(recent.user, recent.password, recent.url, show_progressbars=False)
        found = client.query(date=("NOW-1DAY", "NOW"))
        cutoff = datetime.now(timezone.utc) - timedelta(days=1, minutes=1)
        assert found and set(found) == {p.id for p in recent.products if p.beginposition >= cutoff}


def test_odata_matches_catalogue(hub, api):
    for product in hub.products[:5] + [hub.product("5618ce1b-923b-4df2-81d9-50b53e5aded9")]:
        info = api.get_product_odata(product.id)
        assert info["id"] == product.id
        assert info["title"] == product.identifier
        assert info["size"] == product.size
        assert info["md5"].lower() == product.md5.lower()
        assert info["Online"] is product.online
        assert info["date"] == naive(product.beginposition)
        assert shapely.wkt.loads(info["footprint"]).equals_exact(
            shapely.wkt.loads(product.footprint), 1e-6
        )
        assert info["url"] == f"{hub.url}odata/v1/Products('{product.id}')/$value"
        full = api.get_product_odata(product.id, full=True)
        assert {key: full[key] for key in info} == info
        assert len(full) > len(info)


def test_unknown_field_is_an_error(api):
    with pytest.raises(SentinelAPIError, match="undefined field"):
        api.query(notafield="x")


def test_wrong_password(hub):
    api = SentinelAPI(hub.user, "wrong", hub.url, show_progressbars=False)
    with pytest.raises(SentinelAPIError) as error:
        api.count(platformname="Sentinel-1")
    assert error.value.response.status_code == 401
    assert "wrong" not in str(error.value)


def readme_demo_command():
    text = (FIXTURES.parent.parent / "README.rst").read_text()
    line = next(
        line
        for line in text.splitlines()
        if "sentinelsat-hub run" in line and "pip install" in line
    )
    return shlex.split(line.split("&&", 1)[1])


def test_readme_demo_command(tmp_path):
    """The README's first command, as written, except that the files go to a temporary
    directory (it runs the installed console scripts, like a newcomer would)."""
    command = readme_demo_command()
    assert command[:3] == ["sentinelsat-hub", "run", "--"] and command[-2:] == ["--path", "out/"]
    executable = shutil.which(command[0])
    assert executable, "the console scripts are missing: install the project with pip install -e ."
    out = tmp_path / "out"
    command[-1] = str(out)
    completed = subprocess.run(
        command, cwd=FIXTURES.parent.parent, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    # the command reports on standard error, as sentinelsat 0.13 logged it
    found = int(re.search(r"(\d+) scenes found", completed.stderr).group(1))
    files = sorted(os.listdir(out))
    assert found > 0 and len(files) == found
    assert all(name.endswith(".zip") for name in files)


def readme_cdse_demo_command():
    text = (FIXTURES.parent.parent / "README.rst").read_text()
    line = next(line for line in text.splitlines() if "sentinelsat-hub run --cdse" in line)
    return shlex.split(line)


def test_readme_cdse_demo_command(tmp_path):
    """The README's CDSE command, as written, except that the files go to a temporary
    directory: the same search and downloads through a local CDSE."""
    command = readme_cdse_demo_command()
    assert command[:4] == ["sentinelsat-hub", "run", "--cdse", "--"]
    assert command[-2] == "--path"
    executable = shutil.which(command[0])
    assert executable, "the console scripts are missing: install the project with pip install -e ."
    out = tmp_path / "out"
    command[-1] = str(out)
    completed = subprocess.run(
        command, cwd=FIXTURES.parent.parent, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    found = int(re.search(r"(\d+) scenes found", completed.stderr).group(1))
    files = sorted(os.listdir(out))
    assert found > 0 and len(files) == found
    assert all(name.endswith(".zip") for name in files)
    # the same scenes as the DHuS demo: the local CDSE serves the hub's products
    dhus = readme_demo_command()
    dhus[-1] = str(tmp_path / "dhus")
    subprocess.run(dhus, cwd=FIXTURES.parent.parent, capture_output=True, timeout=120, check=True)
    assert sorted(os.listdir(tmp_path / "dhus")) == files
