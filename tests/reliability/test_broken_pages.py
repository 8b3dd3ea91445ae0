"""A search page whose body breaks off is asked for again, never returned truncated.

The local hub serves the search; a transport adapter cuts a seeded share of the answers in
the middle of their body, as a flaky network does (urllib3 retries a failed request, not a
body that breaks while it is read).
"""

from __future__ import annotations

import random
import threading

import pytest
import requests
import urllib3

from sentinelsat import SentinelAPI, SentinelAPIError
from sentinelsat.exceptions import TransferError
from sentinelsat.sessions import TransportAdapter, default_retry


class CuttingRaw:
    """A response body that delivers its first half, then breaks."""

    def __init__(self, raw: urllib3.HTTPResponse) -> None:
        self.raw = raw
        self.body = raw.read()
        self.sent = False

    def stream(self, amount: int = 2**16, decode_content: bool = True):
        yield self.body[: len(self.body) // 2]
        raise urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead")

    def __getattr__(self, name):
        return getattr(self.raw, name)


class CuttingAdapter(TransportAdapter):
    """Cuts the bodies of a seeded share of the search answers."""

    def __init__(self, share: float, seed: int = 1) -> None:
        super().__init__(max_retries=default_retry(0))
        self.share, self.random, self.lock = share, random.Random(seed), threading.Lock()
        self.cut = 0
        self.answers = 0

    def build_response(self, request, resp):
        response = super().build_response(request, resp)
        if "/search" in request.url:
            with self.lock:
                self.answers += 1
                cut = self.random.random() < self.share
                self.cut += cut
            if cut:
                response.raw = CuttingRaw(response.raw)
        return response


def client(hub, adapter) -> SentinelAPI:
    api = SentinelAPI(hub.user, hub.password, hub.url, show_progressbars=False)
    api.retry_backoff = 0
    api.session.mount("http://", adapter)
    return api


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_search_with_a_tenth_of_the_pages_cut_is_complete_and_ordered(make_local_hub, seed):
    hub = make_local_hub(products=2000)
    expected = list(
        SentinelAPI(hub.user, hub.password, hub.url, show_progressbars=False).query(
            order_by="beginposition"
        )
    )
    adapter = CuttingAdapter(0.10, seed)  # seeds for which a few of the 20 pages break
    products = client(hub, adapter).query(order_by="beginposition")
    assert list(products) == expected and len(expected) == 2000
    assert adapter.cut > 0  # the pages that broke were asked for again
    assert adapter.answers == 20 + adapter.cut


def test_a_page_that_always_breaks_is_reported_as_broken(make_local_hub):
    hub = make_local_hub(products=10)
    adapter = CuttingAdapter(1.0)
    with pytest.raises(SentinelAPIError) as error:
        client(hub, adapter).count()
    assert isinstance(error.value, TransferError)
    assert isinstance(error.value, requests.exceptions.ChunkedEncodingError)
    assert "connection broke while reading" in error.value.hint
    assert "Could not connect" not in str(error.value)
    assert adapter.answers == 4  # the first attempt and three more
