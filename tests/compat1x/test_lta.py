"""The long term archive as sentinelsat 1.x offers it: ``is_online``, the public
``trigger_offline_retrieval``, the download settings, and batches that wait (opt-in)."""

from __future__ import annotations

import threading
import time

import pytest
from kit import recordings, replay_api

from sentinelsat import InvalidKeyError, LTAError, LTATriggered, SentinelAPI

from .conftest import hub_api
from .proxy import Answer, RewritingProxy

LTA_CASSETTE = "dhus-2023/test_download_all_lta.yaml"
OFFLINE_ID = "0cbef871-b908-4410-a197-af0888ad048c"
ONLINE_ID = "2edae234-b02d-46d2-8915-823e4ec0eadb"


def recorded_api() -> SentinelAPI:
    return replay_api("https://apihub.copernicus.eu/apihub/")


# ---------------------------------------------------------------------- recordings
@recordings.use_cassette(LTA_CASSETTE)
def test_is_online_from_the_recording():
    api = recorded_api()
    assert api.is_online(OFFLINE_ID) is False
    assert api.is_online(ONLINE_ID) is True


@recordings.use_cassette("dhus-2023/test_is_online.yaml")
def test_is_online_of_an_unknown_product():
    with pytest.raises(InvalidKeyError) as raised:
        recorded_api().is_online("98ca202b-2155-4181-be88-xxxxxxxxxxxx")
    assert "Invalid key" in raised.value.msg


@recordings.use_cassette(LTA_CASSETTE)
def test_trigger_offline_retrieval_from_the_recording():
    sent: list = []
    api = recorded_api()
    api.session.hooks["response"].append(lambda response, **kw: sent.append(response.request))
    assert api.trigger_offline_retrieval(OFFLINE_ID) is True
    trigger = sent[-1]
    assert trigger.url.endswith(f"Products('{OFFLINE_ID}')/$value")
    assert trigger.headers["Range"] == "bytes=0-1"


# ---------------------------------------------------------------------- the local hub
def test_trigger_offline_retrieval_on_the_hub(make_local_hub):
    hub = make_local_hub(products=5, lta_delay=60, lta_quota=1)
    api = hub_api(hub)
    first, second, online = (product.id for product in hub.products[:3])
    hub.set_online(first, False)
    hub.set_online(second, False)
    assert api.trigger_offline_retrieval(first) is True
    assert api.trigger_offline_retrieval(first) is True, "asking again is no error"
    assert api.trigger_offline_retrieval(online) is False
    with pytest.raises(LTAError) as raised:
        api.trigger_offline_retrieval(second)
    assert raised.value.response.status_code == 403
    assert "quota" in raised.value.hint


def test_concurrent_flows_mean_wait_and_retry_never_online(make_local_hub):
    hub = make_local_hub(products=5, lta_delay=60)
    offline = hub.products[0].id
    hub.set_online(offline, False)
    refusals = []

    def too_many_flows(path: str, answer: Answer) -> Answer:
        if refusals:
            return answer
        refusals.append(path)
        cause = (
            "MediaRegulationException : An exception occured while creating a stream: Maximum "
            'number of 4 concurrent flows achieved by the user "user"'
        )
        return Answer(403, {"cause-message": cause, "Content-Type": "text/plain"}, b"")

    with RewritingProxy(hub, [(rf"Products\('{offline}'\)/\$value", too_many_flows)]) as proxy:
        started = time.monotonic()
        assert hub_api(hub, proxy.url).trigger_offline_retrieval(offline) is True
    assert time.monotonic() - started >= 0.9, "it waited for a free slot"
    assert len(refusals) == 1
    # the first request reached the hub too (the proxy turned its answer into the 403)
    assert [r.status for r in hub.request_log if r.path.endswith("$value")] == [202, 202]


def test_settings_have_1x_defaults_and_setters_are_not_swapped(local_hub):
    api = hub_api(local_hub)
    assert (api.concurrent_dl_limit, api.concurrent_lta_trigger_limit) == (4, 10)
    assert (api.dl_retry_delay, api.lta_retry_delay, api.lta_timeout) == (10, 60, None)
    assert not api.downloader.waits_for_archive
    api.concurrent_dl_limit = 2
    assert (api.concurrent_dl_limit, api.concurrent_lta_trigger_limit) == (2, 10)
    assert api.downloader.n_concurrent_dl == 2
    api.concurrent_lta_trigger_limit = 3
    assert (api.concurrent_dl_limit, api.concurrent_lta_trigger_limit) == (2, 3)
    api.lta_timeout = None
    assert api.downloader.waits_for_archive, "setting lta_timeout, even to None, opts in"
    with pytest.raises(ValueError):
        api.concurrent_dl_limit = 0


def test_concurrent_dl_limit_is_the_default_of_download_all(make_local_hub, tmp_path, caplog):
    caplog.set_level("INFO", logger="sentinelsat")
    hub = make_local_hub(products=6)
    api = hub_api(hub)
    api.concurrent_dl_limit = 2
    api.download_all([p.id for p in hub.products], str(tmp_path))
    assert "Will download 6 products (2 at a time)" in caplog.text


def test_without_the_opt_in_offline_products_are_triggered_as_in_0_13(make_local_hub, tmp_path):
    hub = make_local_hub(products=4, lta_delay=0.2)
    ids = [product.id for product in hub.products]
    hub.set_online(ids[0], False)
    downloaded, triggered, failed = hub_api(hub).download_all(ids, str(tmp_path))
    assert (sorted(downloaded), list(triggered), failed) == (sorted(ids[1:]), [ids[0]], set())
    assert triggered[ids[0]]["Online"] is False
    assert not [r for r in hub.request_log if "/Online/" in r.path], "no polling"


def test_an_lta_batch_downloads_everything_within_the_quota(make_local_hub, tmp_path, bars):
    # 10 products, 3 of them offline; the hub accepts 2 retrievals at a time, each taking
    # 0.5 s: the third is refused (403) until one of the first two is online
    hub = make_local_hub(products=10, product_size=30_000, lta_quota=2, lta_delay=0.5)
    ids = [product.id for product in hub.products]
    offline = ids[2:5]
    for product_id in offline:
        hub.set_online(product_id, False)
    api = hub_api(hub)
    api._tqdm = bars
    started = time.monotonic()
    result = api.download_all(ids, str(tmp_path), lta_retry_delay=0.1, lta_timeout=30)
    elapsed = time.monotonic() - started

    assert sorted(result.downloaded) == sorted(ids)
    assert result.retrieval_triggered == {} and result.failed == set()
    assert elapsed < 30
    log = hub.request_log
    triggers = [
        (r.path, r.status) for r in log if r.path.endswith("$value") and r.status in (202, 403)
    ]
    assert sorted({path for path, status in triggers if status == 202}) == sorted(
        f"/odata/v1/Products('{product_id}')/$value" for product_id in offline
    )
    assert any(status == 403 for _, status in triggers), "the quota was reached"
    first_online_download = min(
        index for index, r in enumerate(log) if r.status == 200 and r.path.endswith("$value")
    )
    last_trigger = max(index for index, r in enumerate(log) if r.status == 202)
    assert first_online_download < last_trigger, "online products did not wait for the archive"
    archive_bar = next(bar for bar in bars.created if bar["desc"] == "Archive retrieval")
    assert (archive_bar["total"], archive_bar["n"]) == (3, 3)


def test_products_come_online_at_different_times(make_local_hub, tmp_path):
    hub = make_local_hub(products=10, product_size=20_000, lta_quota=2, lta_delay=3600)
    ids = [product.id for product in hub.products]
    offline = ids[:3]
    for product_id in offline:
        hub.set_online(product_id, False)
    for delay, product_id in zip((0.3, 0.8, 1.3), offline):
        threading.Timer(delay, hub.set_online, (product_id, True)).start()
    result = hub_api(hub).download_all(ids, str(tmp_path), lta_retry_delay=0.1, lta_timeout=20)
    assert sorted(result.downloaded) == sorted(ids) and not result.failed


def test_lta_timeout_gives_up_cleanly(make_local_hub, tmp_path):
    hub = make_local_hub(products=4, product_size=20_000, lta_delay=3600)
    ids = [product.id for product in hub.products]
    hub.set_online(ids[0], False)
    api = hub_api(hub)
    api.lta_retry_delay = 0.1
    api.lta_timeout = 1.0
    started = time.monotonic()
    downloaded, triggered, failed = api.download_all(ids, str(tmp_path))
    assert time.monotonic() - started < 5
    assert sorted(downloaded) == sorted(ids[1:]) and triggered == {}
    assert failed == {ids[0]}
    error = failed[ids[0]]["exception"]
    assert isinstance(error, LTAError) and "lta_timeout" in str(error)
    assert not [name for name in (threading.enumerate()) if name.name == "sentinelsat-archive"]


def test_the_quota_pauses_triggering_not_the_batch(make_local_hub, tmp_path):
    hub = make_local_hub(products=6, product_size=20_000, lta_quota=0, lta_delay=0.1)
    ids = [product.id for product in hub.products]
    hub.set_online(ids[0], False)
    api = hub_api(hub)
    started = time.monotonic()
    result = api.download_all(ids, str(tmp_path), lta_retry_delay=0.3, lta_timeout=1.5)
    assert time.monotonic() - started < 6
    assert sorted(result.downloaded) == sorted(ids[1:])
    refusals = [r for r in hub.request_log if r.status == 403 and ids[0] in r.path]
    assert 2 <= len(refusals) <= 7, "asked again after each lta_retry_delay"
    assert isinstance(result.failed[ids[0]]["exception"], LTAError)


def test_semantics_1x_download_raises_lta_triggered(make_local_hub, tmp_path):
    hub = make_local_hub(products=3, lta_delay=60)
    offline = hub.products[0].id
    hub.set_online(offline, False)
    with pytest.raises(LTATriggered) as raised:
        hub_api(hub, semantics="1.x").download(offline, str(tmp_path))
    assert raised.value.uuid == offline
    assert [r.status for r in hub.request_log if r.path.endswith("$value")] == [202]
    # 0.13's semantics: the info is returned
    info = hub_api(hub).download(offline, str(tmp_path))
    assert info["Online"] is False and info["path"].endswith(".zip")


def test_semantics_1x_download_all_waits(make_local_hub, tmp_path):
    hub = make_local_hub(products=3, product_size=20_000, lta_delay=0.2)
    ids = [product.id for product in hub.products]
    hub.set_online(ids[0], False)
    api = hub_api(hub, semantics="1.x")
    api.lta_retry_delay = 0.1
    result = api.download_all(ids, str(tmp_path))
    assert sorted(result.downloaded) == sorted(ids)


def test_get_stream_of_an_offline_product_triggers_it(make_local_hub):
    hub = make_local_hub(products=3, lta_delay=60)
    offline = hub.products[0].id
    hub.set_online(offline, False)
    with pytest.raises(LTATriggered):
        hub_api(hub).get_stream(offline)
    assert hub.archive.in_progress(hub.user) == 1
