"""The catalogue: determinism, realism, content and the recorded products."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone

import pytest
from shapely import wkt
from shapely.geometry import box

from sentinelsat.testing import LocalHub

from .helpers import AOI

UTC = timezone.utc
SPAN = (datetime(2021, 3, 1, tzinfo=UTC), datetime(2021, 4, 1, tzinfo=UTC))

IDENTIFIER_PATTERNS = {
    "Sentinel-1": r"S1[AB]_(IW|EW|WV)_(GRD[HM]|SLC_|RAW_|OCN_)_[012]S(SH|SV|DH|DV)_\d{8}T\d{6}_\d{8}T\d{6}_\d{6}_[0-9A-F]{6}_[0-9A-F]{4}",
    "Sentinel-2": r"S2[AB]_MSIL(1C|2A)_\d{8}T\d{6}_N\d{4}_R\d{3}_T\d{2}[C-X][A-Z]{2}_\d{8}T\d{6}",
    "Sentinel-3": r"S3[AB]_(OL|SR|SL)_[12]_\w{6}_\d{8}T\d{6}_\d{8}T\d{6}_\d{8}T\d{6}_\d{4}_\d{3}_\d{3}_(\d{4}|____)_\w{3}_O_(NR|ST|NT)_\d{3}",
    "Sentinel-5 Precursor": r"S5P_(NRTI|OFFL|RPRO)_(L1B|L2_)_\w{6}_\d{8}T\d{6}_\d{8}T\d{6}_\d{5}_\d{2}_\d{6}_\d{8}T\d{6}",
}
EXTENSIONS = {
    "Sentinel-1": ".SAFE",
    "Sentinel-2": ".SAFE",
    "Sentinel-3": ".SEN3",
    "Sentinel-5 Precursor": ".nc",
}
RECORDED = {
    # id: (identifier, size, MD5 as the 2018 server reported it)
    "5618ce1b-923b-4df2-81d9-50b53e5aded9": (
        "S1A_WV_OCN__2SSV_20150526T081641_20150526T082418_006090_007E3E_104C", 130222, "5D05813D2ABCAED0C2E9C04A8570997A"),
    "d8340134-878f-4891-ba4f-4df54f1e3ab4": (
        "S1A_WV_OCN__2SSV_20150526T211029_20150526T211737_006097_007E78_134A", 130102, "170834E488F889E538F50EEADB763B29"),
    "1f62a176-c980-41dc-b3a1-c735d660c910": (
        "S1A_WV_OCN__2SSH_20150603T092625_20150603T093332_006207_008194_521E", 130006, "B3935469F6F643C123B11CD6C58954A1"),
}  # fmt: skip


def catalogue(**knobs) -> list:
    return LocalHub(**{"date_span": SPAN, **knobs}).products


def test_same_seed_same_catalogue():
    first, second = catalogue(products=50, seed=7), catalogue(products=50, seed=7)
    assert [p.id for p in first] == [p.id for p in second]
    assert [p.attributes for p in first] == [p.attributes for p in second]
    assert [p.size for p in first] == [p.size for p in second]


def test_other_seed_other_catalogue():
    first, second = catalogue(products=20, seed=1), catalogue(products=20, seed=2)
    assert not {p.id for p in first} & {p.id for p in second}


def test_a_smaller_catalogue_is_a_prefix_of_a_larger_one():
    small, large = catalogue(products=10), catalogue(products=30)
    assert [p.identifier for p in small] == [p.identifier for p in large[:10]]


def test_identifiers_filenames_and_missions_look_real():
    products = catalogue(products=400)
    assert {p.platformname for p in products} == set(IDENTIFIER_PATTERNS)
    assert {"GRD", "SLC", "RAW", "OCN"} <= {p.producttype for p in products}
    assert {"S2MSI1C", "S2MSI2A"} <= {p.producttype for p in products}
    assert len({p.id for p in products}) == len({p.identifier for p in products}) == 400
    for product in products:
        assert re.fullmatch(IDENTIFIER_PATTERNS[product.platformname], product.identifier), (
            product.identifier
        )
        assert product.filename == product.identifier + EXTENSIONS[product.platformname]
        assert product.attributes["identifier"] == product.title == product.identifier
        assert product.attributes["uuid"] == product.id
        assert product.attributes["platformname"] == product.platformname
        assert product.attributes["producttype"] == product.producttype
        assert product.attributes["beginposition"] == product.beginposition
        assert product.beginposition <= product.endposition <= product.ingestiondate


def test_sentinel_specific_attributes():
    products = catalogue(products=300)
    for product in products:
        attributes = product.attributes
        if product.platformname == "Sentinel-1":
            assert attributes["orbitdirection"] in ("ASCENDING", "DESCENDING")
            assert attributes["polarisationmode"] in ("VV", "HH", "VV VH", "HH HV")
            assert 1 <= attributes["relativeorbitnumber"] <= 175
            assert attributes["sensoroperationalmode"] == product.identifier[4:6]
        if product.platformname == "Sentinel-2":
            assert 0 <= attributes["cloudcoverpercentage"] <= 100
            assert f"_T{attributes['tileid']}_" in product.identifier


def test_sensing_dates_spread_over_the_span():
    products = catalogue(products=200)
    begins = [p.beginposition for p in products]
    assert SPAN[0] <= min(begins) and max(begins) <= SPAN[1]
    assert max(begins) - min(begins) > timedelta(days=20)
    assert all(p.ingestiondate <= SPAN[1] for p in products)


def test_default_span_has_sentinel2_products_of_the_last_day():
    now = datetime.now(UTC)
    products = LocalHub(products=40).products
    recent = [
        p
        for p in products
        if p.platformname == "Sentinel-2" and p.beginposition >= now - timedelta(days=1)
    ]
    assert len(recent) >= 2
    assert all(p.beginposition <= now for p in products)


def test_default_catalogue_answers_the_readme_search():
    # sentinelsat -g <test area> --sentinel 2 --cloud 30 (sensed in the last 24 hours)
    now = datetime.now(UTC)
    area = wkt.loads(AOI)
    found = [
        p
        for p in LocalHub().products
        if p.platformname == "Sentinel-2"
        and p.attributes["cloudcoverpercentage"] <= 30
        and now - timedelta(days=1) <= p.beginposition <= now
        and p.geometry.intersects(area)
    ]
    assert len(found) >= 2


def test_footprints_are_valid_and_some_cover_the_test_area():
    products = catalogue(products=100)
    area = wkt.loads(AOI)
    world = box(-180, -90, 180, 90)
    assert all(p.geometry.is_valid and world.contains(p.geometry) for p in products)
    assert sum(p.geometry.intersects(area) for p in products) >= 5
    assert sum(p.geometry.intersects(area) for p in products if p.platformname == "Sentinel-2") >= 1
    assert len({round(p.geometry.centroid.x) for p in products}) > 30


def test_fixed_and_ranged_sizes():
    assert {p.size for p in catalogue(products=10, product_size=777)} == {777}
    sizes = [p.size for p in catalogue(products=50, product_size=(10, 20))]
    assert min(sizes) >= 10 and max(sizes) <= 20 and len(set(sizes)) > 1


def test_offline_share():
    assert all(p.online for p in catalogue(products=30))
    assert not any(p.online for p in catalogue(products=30, offline_share=1.0))
    offline = sum(not p.online for p in catalogue(products=200, offline_share=0.3))
    assert 30 < offline < 90


def test_content_is_deterministic_and_ranges_agree():
    hub = LocalHub(products=3, product_size=200_000, date_span=SPAN, seed=3)
    other = LocalHub(products=3, product_size=200_000, date_span=SPAN, seed=3)
    product = hub.products[0]
    whole = b"".join(hub.product_bytes(product.id))
    assert len(whole) == 200_000
    assert whole == b"".join(other.product_bytes(product.id))
    assert (
        b"".join(hub.product_bytes(product.id, 0, 70_000))
        + b"".join(hub.product_bytes(product.id, 70_000))
        == whole
    )
    assert b"".join(hub.product_bytes(product.identifier, 65_530, 65_545)) == whole[65_530:65_545]
    assert product.md5 == hashlib.md5(whole).hexdigest()
    assert whole != b"".join(hub.product_bytes(hub.products[1].id))


def test_products_of_a_catalogue_have_distinct_content():
    hub = LocalHub(products=20, product_size=300_000, date_span=SPAN)
    assert len({p.md5 for p in hub.products}) == 20


def test_large_content_streams_without_being_held():
    hub = LocalHub(products=1, product_size=256 * 1024 * 1024, date_span=SPAN)
    chunks = hub.products[0].content.iter_bytes()
    total = 0
    for chunk in chunks:
        assert len(chunk) <= 64 * 1024
        total += len(chunk)
    assert total == 256 * 1024 * 1024


def test_include_recorded_adds_the_real_products():
    hub = LocalHub(products=5, include_recorded=True, date_span=SPAN)
    assert len(hub.products) == 8
    for product_id, (identifier, size, md5) in RECORDED.items():
        product = hub.product(product_id)
        assert product is hub.product(identifier)
        assert product.recorded and product.online
        assert product.size == size
        assert product.md5 == md5.lower()
        assert hashlib.md5(b"".join(hub.product_bytes(product_id))).hexdigest() == md5.lower()
        assert product.platformname == "Sentinel-1" and product.producttype == "OCN"


def test_unknown_product():
    with pytest.raises(KeyError):
        LocalHub(products=1, date_span=SPAN).product("nope")


@pytest.mark.parametrize(
    "knobs",
    [{"products": -1}, {"product_size": (10, 5)}, {"offline_share": 2.0}, {"users": {}},
     {"date_span": (datetime(2020, 1, 2, tzinfo=UTC), datetime(2020, 1, 1, tzinfo=UTC))},
     {"date_span": (datetime(2020, 1, 1), datetime(2020, 1, 2))}],
)  # fmt: skip
def test_invalid_knobs(knobs):
    with pytest.raises(ValueError):
        LocalHub(**knobs)
