"""Running OpenSearch queries: paging, concurrency and result assembly."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests

from .exceptions import SentinelAPIError
from .log import logger
from .parsing import parse_opensearch_response
from .query import MAX_QUERY_LENGTH, check_query_length, format_order_by, plan_pages
from .sessions import decode_json, send

if TYPE_CHECKING:  # pragma: no cover
    from .sentinel import SentinelAPI


Page = list[tuple[str, dict[str, Any]]]

#: Called with the query and each search response, in page order.
Observer = Callable[[str, requests.Response], None]


def search_url(api_url: str, rows: int, start: int, order_by: str | None) -> str:
    """The URL of one search request, e.g. ``.../search?format=json&rows=100&start=0``.

    ``order_by`` is in the user's syntax (``"cloudcoverpercentage, -beginposition"``).
    """
    url = f"{api_url}search?format=json&rows={rows}&start={start}"
    if order_by:
        url += "&orderby=" + quote(format_order_by(order_by), safe=",")
    return url


def request_page(
    api: SentinelAPI, query: str, order_by: str | None, rows: int, start: int
) -> requests.Response:
    """Send one search request and read its body (the query goes in the form body)."""
    response = send(
        api.session,
        "POST",
        search_url(api.api_url, rows, start, order_by),
        data={"q": query},
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
        timeout=api.timeout,
        backoff=api.retry_backoff,
    )
    _ = response.content  # read the body here, in the thread that waits for the network
    return response


def parse_page(query: str, response: requests.Response) -> tuple[int, Page]:
    """Decode one search response into the total and the page's products.

    Raises
    ------
    SentinelAPIError
        With the response, the server's message, and a hint if the query is probably too
        long.
    """
    hint = lambda: query_length_hint(query)  # noqa: E731 - computed only on failure
    try:
        return parse_opensearch_response(decode_json(response, hint))
    except SentinelAPIError as error:
        if error.response is None:
            error.response = response
            error.hint = "\n".join(text for text in (error.hint, hint()) if text)
        raise


def count(api: SentinelAPI, query: str, on_response: Observer | None = None) -> int:
    """The number of products matching ``query``, with a request for zero rows."""
    response = request_page(api, query, None, 0, 0)
    if on_response is not None:
        on_response(query, response)
    return parse_page(query, response)[0]


def load_query(
    api: SentinelAPI,
    query: str,
    order_by: str | None,
    limit: int | None,
    offset: int,
    on_response: Observer | None = None,
) -> OrderedDict[str, dict[str, Any]]:
    """Run a query: the first page gives the total, the other pages are then requested
    ``api.query_concurrency`` at a time and reassembled in the server's order."""
    _check_paging(limit, offset)
    logger.debug(
        "Searching: query=%r order_by=%r limit=%r offset=%r", query, order_by, limit, offset
    )
    first_rows = api.page_size if limit is None else min(limit, api.page_size)
    observe = on_response or (lambda query, response: None)
    response = request_page(api, query, order_by, first_rows, offset)
    observe(query, response)
    total, first_page = parse_page(query, response)
    pages = plan_pages(total, offset, limit, api.page_size)[1:]
    products = OrderedDict(first_page)
    if pages:
        wanted = (total if limit is None else min(total, offset + limit)) - offset
        with api._tqdm(
            desc="Querying products", total=wanted, initial=len(first_page), unit="product"
        ) as bar:
            for response in _fetch(api, query, order_by, pages):
                observe(query, response)
                page = parse_page(query, response)[1]
                products.update(page)
                bar.update(len(page))
    logger.info("Found %s products", total)
    return products


def _fetch(
    api: SentinelAPI, query: str, order_by: str | None, pages: list[tuple[int, int]]
) -> Iterator[requests.Response]:
    """Yield the responses of the pages in page order. Worker threads only wait for the
    network, so the next requests are in flight while the caller parses a page."""
    workers = max(1, min(api.query_concurrency, len(pages)))
    if workers == 1:
        for start, rows in pages:
            yield request_page(api, query, order_by, rows, start)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sentinelsat-query") as pool:
        futures = [
            pool.submit(request_page, api, query, order_by, rows, start) for start, rows in pages
        ]
        try:
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


def _check_paging(limit: int | None, offset: int) -> None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be a non-negative integer or None, got {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset must be a non-negative integer, got {offset!r}")


def query_length_hint(query: str) -> str:
    """A diagnosis to add to a failure when the query is longer than the server accepts."""
    ratio = check_query_length(query)
    if ratio <= 1:
        return ""
    return (
        f"The query is probably too long: its effective length is {ratio:.0%} of the server's "
        f"limit of {MAX_QUERY_LENGTH} characters (simplify the area of interest, e.g. fewer decimals or "
        "vertices)."
    )
