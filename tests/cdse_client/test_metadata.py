"""``get_product_odata()`` and ``check_files()`` on the local CDSE, compared with the DHuS
attributes of the same products."""

from __future__ import annotations

import os
from datetime import timezone

import pytest
import shapely.wkt

from sentinelsat.exceptions import InvalidKeyError

ODATA_KEYS = [
    "id", "title", "size", "md5", "date", "footprint", "url", "Online", "Creation Date",
    "Ingestion Date",
]  # fmt: skip


def naive(value):
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def test_product_odata_as_in_013(cdse, api):
    for product in cdse.products[:12]:
        info = api.get_product_odata(product.id)
        assert list(info) == ODATA_KEYS
        assert info["id"] == product.id and info["title"] == product.identifier
        assert info["size"] == product.size and info["md5"] == product.md5
        assert info["date"] == naive(product.beginposition)
        assert info["Creation Date"] == naive(product.creationdate)
        assert info["Ingestion Date"] == naive(product.ingestiondate)
        assert info["Online"] is True
        assert info["url"] == f"{cdse.download_url}Products({product.id})/$value"
        assert shapely.wkt.loads(info["footprint"]).equals_exact(
            shapely.wkt.loads(product.footprint), 1e-6
        )


def test_full_product_odata(cdse, api):
    product = next(p for p in cdse.products if p.platformname == "Sentinel-2")
    info = api.get_product_odata(product.id)
    full = api.get_product_odata(product.id, full=True)
    assert {key: full[key] for key in info} == info
    assert full["cloudCover"] == pytest.approx(product.attributes["cloudcoverpercentage"])
    assert full["tileId"] == product.attributes["tileid"]
    assert full["blake3"] and full["S3Path"].startswith("/eodata/Sentinel-2/")


def test_unknown_and_invalid_ids(api):
    with pytest.raises(InvalidKeyError) as unknown:
        api.get_product_odata("00000000-0000-4000-8000-000000000000")
    assert unknown.value.response.status_code == 404
    with pytest.raises(InvalidKeyError) as invalid:
        api.get_product_odata("not-a-uuid")
    assert "UUID" in invalid.value.msg


def test_offline_flag(cdse, api):
    product = cdse.products[3]
    cdse.set_online(product.id, False)
    assert api.get_product_odata(product.id)["Online"] is False


def test_check_files_by_path_and_by_id(cdse, api, tmp_path):
    ids = [product.id for product in cdse.products[:4]]
    downloaded, _, _ = api.download_all(ids, str(tmp_path))
    paths = [info["path"] for info in downloaded.values()]
    assert api.check_files(paths=paths) == {}
    assert api.check_files(ids=ids, directory=str(tmp_path)) == {}
    with open(paths[0], "r+b") as f:  # corrupt one byte
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 0xFF]))
    corrupt = api.check_files(paths=paths, delete=True)
    assert list(corrupt) == [paths[0]] and corrupt[paths[0]][0]["id"] in ids
    assert not os.path.exists(paths[0])
    unknown = str(tmp_path / "S1A_NOT_A_PRODUCT.zip")
    open(unknown, "wb").close()
    assert api.check_files(paths=[unknown]) == {unknown: []}
