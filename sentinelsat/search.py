"""The paging engine of searches, whatever the protocol: the first page gives the total, the
other pages are then requested several at a time and reassembled in the server's order.

A backend supplies two functions: one that sends the request for ``rows`` results from
``start`` (in the thread that waits for the network) and one that decodes an answer into the
total and the page's products (in the calling thread, while the next requests are in flight).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .log import logger
from .query import plan_pages
from .sessions import Connection

#: The products of one page, in the server's order: (id, attributes).
Page = list[tuple[str, dict[str, Any]]]


def check_paging(limit: int | None, offset: int) -> None:
    """Reject a ``limit`` or ``offset`` that is not a non-negative integer (before sending)."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be a non-negative integer or None, got {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset must be a non-negative integer, got {offset!r}")


def load_pages(
    connection: Connection,
    fetch: Callable[[int, int], Any],
    parse: Callable[[Any], tuple[int, Page]],
    page_size: int,
    limit: int | None,
    offset: int,
) -> tuple[int, OrderedDict[str, dict[str, Any]]]:
    """Run a search page by page.

    Parameters
    ----------
    connection : Connection
        Gives the concurrency and the progress bars.
    fetch, parse : callable
        See the module documentation.
    page_size : int
        Most results per request.
    limit : int or None
        Most products wanted; ``None`` for all.
    offset : int
        Products to skip.

    Returns
    -------
    tuple of (int, collections.OrderedDict)
        The total on the server, and product id → attributes in the server's order.
    """
    check_paging(limit, offset)
    first_rows = page_size if limit is None else min(limit, page_size)
    total, first_page = parse(fetch(offset, first_rows))
    pages = plan_pages(total, offset, limit, page_size)[1:]
    products = OrderedDict(first_page)
    if pages:
        wanted = (total if limit is None else min(total, offset + limit)) - offset
        with connection.progress(
            desc="Querying products", total=wanted, initial=len(first_page), unit="product"
        ) as bar:
            for answer in fetch_in_order(connection.concurrency, fetch, pages):
                page = parse(answer)[1]
                products.update(page)
                bar.update(len(page))
    logger.info("Found %s products", total)
    return total, products


def fetch_in_order(
    concurrency: int, fetch: Callable[[int, int], Any], pages: list[tuple[int, int]]
) -> Iterator[Any]:
    """Yield the answers of the pages ``(start, rows)`` in page order, ``concurrency`` requests
    in flight. Worker threads only wait for the network."""
    workers = max(1, min(concurrency, len(pages)))
    if workers == 1:
        for start, rows in pages:
            yield fetch(start, rows)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sentinelsat-query") as pool:
        futures = [pool.submit(fetch, start, rows) for start, rows in pages]
        try:
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.cancel()
