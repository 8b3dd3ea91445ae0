"""Product metadata and downloads against recorded exchanges (vcrpy replay)."""

import hashlib
import os

import pytest
from kit import binary_body, recordings, replay_api

from sentinelsat import InvalidChecksumError, InvalidKeyError, SentinelAPIError
from sentinelsat.backends.dhus import DHuSBackend

# three real products of the 2018 recordings, their files in the hub's package data
PRODUCTS = {
    "5618ce1b-923b-4df2-81d9-50b53e5aded9": "S1A_WV_OCN__2SSV_20150526T081641_20150526T082418_006090_007E3E_104C",
    "d8340134-878f-4891-ba4f-4df54f1e3ab4": "S1A_WV_OCN__2SSV_20150526T211029_20150526T211737_006097_007E78_134A",
    "1f62a176-c980-41dc-b3a1-c735d660c910": "S1A_WV_OCN__2SSH_20150603T092625_20150603T093332_006207_008194_521E",
}
SINGLE = "5618ce1b-923b-4df2-81d9-50b53e5aded9"
RESUMED = "1f62a176-c980-41dc-b3a1-c735d660c910"


def original(product_id):
    return binary_body(PRODUCTS[product_id] + ".zip")


def downloads(sent):
    return [r for r in sent if r.url.endswith("/$value")]


def test_get_product_odata_requests(api, sent):
    with recordings.use_cassette("dhus-2018/test_get_product_odata_full.yaml"):
        full = api.get_product_odata("8df46c9e-a20c-43db-a19a-4240c2ed3b8b", full=True)
    with recordings.use_cassette("dhus-2018/test_get_product_odata_short.yaml"):
        short = api.get_product_odata("8df46c9e-a20c-43db-a19a-4240c2ed3b8b")
    assert [r.url for r in sent] == [
        "https://scihub.copernicus.eu/apihub/odata/v1/Products('8df46c9e-a20c-43db-a19a-4240c2ed3b8b')?$format=json&$expand=Attributes",
        "https://scihub.copernicus.eu/apihub/odata/v1/Products('8df46c9e-a20c-43db-a19a-4240c2ed3b8b')?$format=json",
    ]
    assert set(short) < set(full)
    assert {key: full[key] for key in short} == short


@pytest.mark.parametrize(
    "cassette, product_id",
    [
        ("dhus-2018/test_get_product_info_bad_key.yaml", "invalid-xyz"),
        ("dhus-2018/test_download_invalid_id.yaml", "f30b2a6a-b0c1-49f1-INVALID-e10c3cf06101"),
    ],
)
def test_unknown_product(api, cassette, product_id):
    with recordings.use_cassette(cassette):
        with pytest.raises(InvalidKeyError) as error:
            api.get_product_odata(product_id)
    assert error.value.response.status_code == 404
    # the server's message, verbatim, as in 0.13
    assert error.value.msg == f"InvalidKeyException : Invalid key ({product_id}) to access Products"
    assert isinstance(error.value, SentinelAPIError) and isinstance(error.value, KeyError)


def test_download_invalid_id(api, tmp_path):
    with recordings.use_cassette("dhus-2018/test_download_invalid_id.yaml"):
        with pytest.raises(SentinelAPIError, match="Invalid key"):
            api.download("1f62a176-c980-41dc-xxxx-c735d660c910", str(tmp_path))
    assert os.listdir(tmp_path) == []


def test_download_writes_verified_file(api, sent, tmp_path):
    with recordings.use_cassette(
        "dhus-2018/test_download_single.yaml", allow_playback_repeats=True
    ):
        info = api.download(SINGLE, str(tmp_path))
    path = tmp_path / (PRODUCTS[SINGLE] + ".zip")
    assert info["path"] == str(path)
    assert path.read_bytes() == original(SINGLE)
    assert info["downloaded_bytes"] == len(original(SINGLE)) == info["size"]
    assert info["md5"].lower() == hashlib.md5(original(SINGLE)).hexdigest()
    assert sorted(os.listdir(tmp_path)) == [path.name]
    assert [r.headers.get("Range") for r in downloads(sent)] == [None]


def test_complete_file_is_not_downloaded_again(api, sent, tmp_path):
    (tmp_path / (PRODUCTS[SINGLE] + ".zip")).write_bytes(original(SINGLE))
    with recordings.use_cassette(
        "dhus-2018/test_download_single.yaml", allow_playback_repeats=True
    ):
        info = api.download(SINGLE, str(tmp_path))
    assert info["downloaded_bytes"] == 0
    assert downloads(sent) == []


def test_wrong_file_under_final_name_is_replaced(api, tmp_path):
    path = tmp_path / (PRODUCTS[SINGLE] + ".zip")
    path.write_bytes(b"x" * len(original(SINGLE)))
    with recordings.use_cassette(
        "dhus-2018/test_download_single.yaml", allow_playback_repeats=True
    ):
        info = api.download(SINGLE, str(tmp_path))
    assert info["downloaded_bytes"] == len(original(SINGLE))
    assert path.read_bytes() == original(SINGLE)


def test_incomplete_file_is_resumed_with_range(api, sent, tmp_path):
    # the recording has the server's 206 answer to "Range: bytes=25-"
    partial = tmp_path / (PRODUCTS[RESUMED] + ".zip.incomplete")
    partial.write_bytes(original(RESUMED)[:25])
    with recordings.use_cassette("dhus-2018/test_download.yaml", allow_playback_repeats=True):
        info = api.download(RESUMED, str(tmp_path))
    assert [r.headers.get("Range") for r in downloads(sent)] == ["bytes=25-"]
    assert info["downloaded_bytes"] == len(original(RESUMED)) - 25
    assert (tmp_path / (PRODUCTS[RESUMED] + ".zip")).read_bytes() == original(RESUMED)
    assert not partial.exists()


def test_incomplete_file_larger_than_product_is_discarded(api, sent, tmp_path):
    partial = tmp_path / (PRODUCTS[RESUMED] + ".zip.incomplete")
    partial.write_bytes(original(RESUMED) + b"garbage")
    with recordings.use_cassette("dhus-2018/test_download.yaml", allow_playback_repeats=True):
        api.download(RESUMED, str(tmp_path))
    assert [r.headers.get("Range") for r in downloads(sent)] == [None]
    assert (tmp_path / (PRODUCTS[RESUMED] + ".zip")).read_bytes() == original(RESUMED)


def test_complete_but_wrong_incomplete_file_is_discarded(api, sent, tmp_path):
    partial = tmp_path / (PRODUCTS[RESUMED] + ".zip.incomplete")
    partial.write_bytes(b"\0" * len(original(RESUMED)))
    with recordings.use_cassette("dhus-2018/test_download.yaml", allow_playback_repeats=True):
        api.download(RESUMED, str(tmp_path))
    assert [r.headers.get("Range") for r in downloads(sent)] == [None]
    assert (tmp_path / (PRODUCTS[RESUMED] + ".zip")).read_bytes() == original(RESUMED)


def test_complete_incomplete_file_is_just_renamed(api, sent, tmp_path):
    partial = tmp_path / (PRODUCTS[RESUMED] + ".zip.incomplete")
    partial.write_bytes(original(RESUMED))
    with recordings.use_cassette("dhus-2018/test_download.yaml", allow_playback_repeats=True):
        info = api.download(RESUMED, str(tmp_path))
    assert downloads(sent) == []
    assert info["downloaded_bytes"] == 0
    assert (tmp_path / (PRODUCTS[RESUMED] + ".zip")).read_bytes() == original(RESUMED)


def test_checksum_mismatch(api, tmp_path, monkeypatch):
    real = DHuSBackend.product_info

    def wrong_md5(self, connection, product_id, full=False):
        return dict(real(self, connection, product_id, full), md5="0" * 32)

    monkeypatch.setattr(DHuSBackend, "product_info", wrong_md5)
    with recordings.use_cassette(
        "dhus-2018/test_download_single.yaml", allow_playback_repeats=True
    ):
        with pytest.raises(InvalidChecksumError, match="does not match"):
            api.download(SINGLE, str(tmp_path))
        assert os.listdir(tmp_path) == []  # neither a final nor a partial file
        info = api.download(SINGLE, str(tmp_path), checksum=False)
    assert (tmp_path / (PRODUCTS[SINGLE] + ".zip")).read_bytes() == original(SINGLE)
    assert info["downloaded_bytes"] == len(original(SINGLE))


def test_download_all(api, tmp_path):
    with recordings.use_cassette("dhus-2018/test_download_all.yaml", allow_playback_repeats=True):
        downloaded, triggered, failed = api.download_all(PRODUCTS, str(tmp_path))
    assert (triggered, failed) == ({}, set())
    assert list(downloaded) == list(PRODUCTS)
    for product_id, title in PRODUCTS.items():
        assert downloaded[product_id]["path"] == str(tmp_path / (title + ".zip"))
        assert (tmp_path / (title + ".zip")).read_bytes() == original(product_id)
    assert sorted(os.listdir(tmp_path)) == sorted(title + ".zip" for title in PRODUCTS.values())


def test_download_all_accepts_lists_with_duplicates(api, tmp_path):
    ids = list(PRODUCTS) + list(PRODUCTS)
    with recordings.use_cassette("dhus-2018/test_download_all.yaml", allow_playback_repeats=True):
        downloaded, _, _ = api.download_all(ids, str(tmp_path), n_concurrent_dl=1)
    assert list(downloaded) == list(PRODUCTS)


def test_download_all_triggers_offline_product_with_a_plain_get(api, sent, tmp_path):
    # the 2018 recording: the first product is offline; its retrieval is triggered by a GET of
    # its $value without Range, whose body is not read; the two others are downloaded
    with recordings.use_cassette("dhus-2018/test_download_all_lta.yaml"):
        downloaded, triggered, failed = api.download_all(list(PRODUCTS), str(tmp_path))
        assert (sorted(downloaded), list(triggered), failed) == (
            sorted(set(PRODUCTS) - {SINGLE}),
            [SINGLE],
            set(),
        )
        info = triggered[SINGLE]
        assert info["Online"] is False
        assert info["path"] == str(tmp_path / (PRODUCTS[SINGLE] + ".zip"))  # as in 0.13
        assert not os.path.exists(info["path"])
        assert [r.headers.get("Range") for r in downloads(sent)] == [None, None, None]
        # later: the product is online, the others are on disk already
        downloaded, triggered, failed = api.download_all(list(PRODUCTS), str(tmp_path))
    assert (sorted(downloaded), triggered, failed) == (sorted(PRODUCTS), {}, set())
    assert (tmp_path / (PRODUCTS[SINGLE] + ".zip")).read_bytes() == original(SINGLE)


def test_download_all_everything_failed_raises_last_error(api, tmp_path):
    with recordings.use_cassette("dhus-2018/test_download_invalid_id.yaml"):
        with pytest.raises(SentinelAPIError, match="Invalid key"):
            api.download_all(["f30b2a6a-b0c1-49f1-INVALID-e10c3cf06101"], str(tmp_path))


def test_download_all_empty(api, tmp_path):
    assert api.download_all([], str(tmp_path)) == ({}, {}, set())


@pytest.mark.parametrize("kwargs", [{"max_attempts": 0}, {"n_concurrent_dl": 0}])
def test_download_all_invalid_arguments(api, tmp_path, kwargs):
    with pytest.raises(ValueError):
        api.download_all(list(PRODUCTS), str(tmp_path), **kwargs)


# ----------------------------------------------------------------------------- check_files
@pytest.fixture
def product_files(tmp_path):
    paths = {}
    for product_id, title in PRODUCTS.items():
        path = tmp_path / (title + ".zip")
        path.write_bytes(original(product_id))
        paths[product_id] = str(path)
    return paths


def test_check_files_by_ids_all_good(api, product_files, tmp_path):
    with recordings.use_cassette("dhus-2018/test_check_existing.yaml", allow_playback_repeats=True):
        assert api.check_files(ids=list(PRODUCTS), directory=str(tmp_path)) == {}


def test_check_files_by_paths_finds_corrupt_and_missing(api, product_files, tmp_path):
    corrupt_id, missing_id = list(PRODUCTS)[:2]
    with open(product_files[corrupt_id], "r+b") as f:
        f.seek(1000)
        f.write(b"X")
    os.remove(product_files[missing_id])
    with recordings.use_cassette("dhus-2018/test_check_existing.yaml", allow_playback_repeats=True):
        result = api.check_files(paths=list(product_files.values()))
    assert set(result) == {product_files[corrupt_id], product_files[missing_id]}
    assert [info["id"] for info in result[product_files[corrupt_id]]] == [corrupt_id]
    assert [info["id"] for info in result[product_files[missing_id]]] == [missing_id]
    assert os.path.exists(product_files[corrupt_id])  # not deleted without delete=True


def test_check_files_delete(api, product_files, tmp_path):
    corrupt_id = next(iter(PRODUCTS))
    with open(product_files[corrupt_id], "ab") as f:
        f.write(b"trailing")
    with recordings.use_cassette("dhus-2018/test_check_existing.yaml", allow_playback_repeats=True):
        result = api.check_files(ids=list(PRODUCTS), directory=str(tmp_path), delete=True)
    assert list(result) == [product_files[corrupt_id]]
    assert not os.path.exists(product_files[corrupt_id])
    assert all(os.path.exists(product_files[pid]) for pid in list(PRODUCTS)[1:])


def test_check_files_shows_checksumming_progress(product_files, tmp_path, capsys):
    api = replay_api(show_progressbars=True)
    with recordings.use_cassette("dhus-2018/test_check_existing.yaml", allow_playback_repeats=True):
        api.check_files(ids=list(PRODUCTS), directory=str(tmp_path))
    assert "checksumming" in capsys.readouterr().err


@pytest.mark.parametrize(
    "kwargs", [{}, {"ids": ["x"]}, {"paths": ["a"], "ids": ["x"], "directory": "."}]
)
def test_check_files_arguments(api, kwargs):
    with pytest.raises(ValueError):
        api.check_files(**kwargs)


def test_check_files_searches_40_names_per_query_as_0_13():
    from sentinelsat.backends.dhus import name_batches
    from sentinelsat.query import check_query_length

    names = [f"S2A_MSIL1C_20170205T105221_N0204_R051_T31TCF_{i:015d}" for i in range(300)]
    batches = list(name_batches(names))
    assert [len(batch) for batch in batches] == [40] * 7 + [20]
    assert [name for batch in batches for name in batch] == names
    assert all(check_query_length(" OR ".join(batch)) <= 0.9 for batch in batches)
    # names long enough to exceed the server's limit in forties are split further
    long_names = ["x" * 200 + str(i) for i in range(40)]
    split = list(name_batches(long_names))
    assert len(split) > 1 and [n for batch in split for n in batch] == long_names
    assert all(check_query_length(" OR ".join(batch)) <= 0.9 for batch in split)
