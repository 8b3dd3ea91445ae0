"""``download_all`` as sentinelsat 1.x programs use it: the named result, ``failed`` as a
mapping, ``fail_fast``, ``nodefilter``, and ``api.downloader``."""

from __future__ import annotations

import zipfile

import pytest
from kit import binary_body, recordings, replay_api

from sentinelsat import DownloadStatus, InvalidKeyError, make_path_filter

from .conftest import hub_api

RECORDED = {
    "b1d8a9ab-6072-4ecd-bc44-8d64419d71cb": "S3A_SR_1_SRA____20230309T204558_20230309T204623_20230309T225028_0024_096_214______PS1_O_NR_004",
    "96fc9975-1c5c-4279-9fd1-1336d9743d8a": "S3B_SR_1_SRA____20230309T200705_20230309T200726_20230309T220807_0020_077_071______PS2_O_NR_004",
    "ff10826d-78b9-4062-9f69-fca7d1d832d8": "S3B_SR_1_SRA____20230308T203304_20230308T203328_20230308T223420_0023_077_057______PS2_O_NR_004",
}


@recordings.use_cassette("dhus-2023/test_download_all_one_fail.yaml")
def test_recorded_batch_of_2023(tmp_path):
    api = replay_api("https://apihub.copernicus.eu/apihub/")
    result = api.download_all(list(RECORDED), str(tmp_path))
    assert sorted(result.downloaded) == sorted(RECORDED)
    assert result.retrieval_triggered == {} and result.failed == set()
    for product_id, title in RECORDED.items():
        path = tmp_path / f"{title}.zip"
        assert result.downloaded[product_id]["path"] == str(path)
        assert path.read_bytes() == binary_body(f"{title}.zip")
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None


def test_failed_maps_ids_to_infos_with_the_exception(local_hub, tmp_path):
    good = local_hub.products[0].id
    downloaded, triggered, failed = hub_api(local_hub).download_all(
        [good, "no-such-product"], str(tmp_path)
    )
    assert list(downloaded) == [good] and triggered == {}
    assert failed == {"no-such-product"}
    assert isinstance(failed["no-such-product"]["exception"], InvalidKeyError)
    assert [pid for pid, info in failed.items()] == ["no-such-product"]


def test_every_product_failed_raises_the_last_error_as_in_0_13(local_hub, tmp_path):
    with pytest.raises(InvalidKeyError):
        hub_api(local_hub).download_all(["no-such-product", "nor-this-one"], str(tmp_path))


def test_fail_fast_stops_at_the_first_failure(make_local_hub, tmp_path):
    hub = make_local_hub(products=8, product_size=200_000, bandwidth=400_000)
    ids = [product.id for product in hub.products]
    api = hub_api(hub)
    with pytest.raises(InvalidKeyError):
        api.download_all(
            ["no-such-product", *ids], str(tmp_path), fail_fast=True, n_concurrent_dl=2
        )
    complete = [path for path in tmp_path.iterdir() if path.suffix == ".zip"]
    assert len(complete) < len(ids), "the other downloads were cancelled"
    # without fail_fast the same batch goes on
    result = api.download_all(["no-such-product", *ids], str(tmp_path))
    assert sorted(result.downloaded) == sorted(ids) and result.failed == {"no-such-product"}


def test_download_all_with_a_nodefilter(make_local_hub, tmp_path):
    hub = make_local_hub(products=20, product_size=30_000)
    products = [p for p in hub.products if p.platformname == "Sentinel-1"][:2]
    result = hub_api(hub).download_all(
        [p.id for p in products], str(tmp_path), nodefilter=make_path_filter("preview/*")
    )
    for product in products:
        nodes = result.downloaded[product.id]["nodes"]
        assert sorted(nodes) == [
            "manifest.safe",
            "preview/map-overlay.kml",
            "preview/quick-look.png",
        ]
        assert (tmp_path / f"{product.identifier}.SAFE" / "preview" / "quick-look.png").is_file()


def test_the_downloader_of_1_1(local_hub, tmp_path, bars):
    api = hub_api(local_hub)
    ids = [product.id for product in local_hub.products[:3]]
    api.downloader._tqdm = bars  # as programs silence or redirect the bars
    statuses, exceptions, infos = api.downloader.download_all([*ids, "missing"], str(tmp_path))
    assert [statuses[pid] for pid in ids] == [DownloadStatus.DOWNLOADED] * 3
    assert statuses["missing"] is DownloadStatus.UNAVAILABLE and not statuses["missing"]
    assert isinstance(exceptions["missing"], InvalidKeyError) and set(infos) == {*ids, "missing"}
    assert "Downloading products" in bars.descriptions
    assert local_hub.products[0].identifier in bars.descriptions  # the bar of its transfer
    bars.created.clear()
    api.download_all(ids, str(tmp_path))  # download_all works on a copy of api.downloader
    assert "Downloading products" in bars.descriptions
    info = api.downloader.download(ids[0], str(tmp_path))
    assert info["path"].endswith(".zip")


def test_dl_retry_delay_applies_once_set(make_local_hub, tmp_path):
    import time

    hub = make_local_hub(products=2, product_size=10_000, error_rate=0.0)
    api = hub_api(hub)
    hub.faults.corrupt = [hub.products[0].id]
    started = time.monotonic()
    api.download_all([p.id for p in hub.products], str(tmp_path), max_attempts=2)
    quick = time.monotonic() - started
    started = time.monotonic()
    api.download_all(
        [p.id for p in hub.products], str(tmp_path), max_attempts=2, dl_retry_delay=1.0
    )
    assert time.monotonic() - started >= 1.0 > quick
