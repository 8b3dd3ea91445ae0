"""The paging engine of searches, whatever the protocol: the first page gives the total, the
other pages are then requested several at a time and reassembled in the server's order.

A backend supplies two functions: one that sends the request for ``rows`` results from
``start`` (in the thread that waits for the network) and one that decodes an answer into the
total and the page's products (in the calling thread, while the next requests are in flight).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
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
    peek_total: Callable[[Any], int | None] | None = None,
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
    peek_total : callable, optional
        Reads the total from the start of the first answer without decoding it (``None`` if
        it cannot): the other pages are then asked for before the first one is decoded.

    Returns
    -------
    tuple of (int, collections.OrderedDict)
        The total on the server, and product id → attributes in the server's order.
    """
    check_paging(limit, offset)
    first_rows = page_size if limit is None else min(limit, page_size)
    first = fetch(offset, first_rows)
    total = peek_total(first) if peek_total is not None else None
    if total is None:
        total, first_page = parse(first)
        pages = plan_pages(total, offset, limit, page_size)
        answers = _answers(connection, fetch, pages[1:])
    else:  # the next requests leave before the first answer is decoded
        pages = plan_pages(total, offset, limit, page_size)
        answers = _answers(connection, fetch, pages[1:])
        try:
            total, first_page = parse(first)
        except BaseException:
            answers.close()
            raise
    products = OrderedDict(first_page)
    if len(pages) > 1:  # a bar only for searches of several pages
        wanted = (total if limit is None else min(total, offset + limit)) - offset
        with connection.progress(
            desc="Querying products", total=wanted, initial=len(first_page), unit="product"
        ) as bar:
            for answer in answers:
                page = parse(answer)[1]
                products.update(page)
                bar.update(len(page))
    logger.info("Found %s products", total)
    return total, products


def _answers(
    connection: Connection, fetch: Callable[[int, int], Any], pages: list[tuple[int, int]]
) -> Generator[Any, None, None]:
    """The answers of ``pages`` in order, their requests started at once (see
    :func:`fetch_in_order`)."""
    answers = _fetch_ahead(connection.concurrency, fetch, pages)
    next(answers)  # runs up to the first yield: the requests are in flight
    return answers


#: Answers received ahead of the one being decoded, per request in flight: bounds the memory
#: of a large search (the pages wait for the slower decoding) without idling the requests.
LOOKAHEAD = 2


def fetch_in_order(
    concurrency: int, fetch: Callable[[int, int], Any], pages: list[tuple[int, int]]
) -> Generator[Any, None, None]:
    """Yield the answers of the pages ``(start, rows)`` in page order, ``concurrency``
    requests in flight and at most ``LOOKAHEAD * concurrency`` answers waiting. Worker
    threads only wait for the network."""
    answers = _fetch_ahead(concurrency, fetch, pages)
    next(answers)
    yield from answers


def _fetch_ahead(
    concurrency: int, fetch: Callable[[int, int], Any], pages: list[tuple[int, int]]
) -> Generator[Any, None, None]:
    """:func:`fetch_in_order` that yields ``None`` first, once the first requests are sent."""
    workers = max(1, min(concurrency, len(pages)))
    if workers == 1:
        yield None
        for start, rows in pages:
            yield fetch(start, rows)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sentinelsat-query") as pool:
        waiting: deque[Future[Any]] = deque()
        planned = iter(pages)
        try:
            for start, rows in islice(planned, LOOKAHEAD * workers):
                waiting.append(pool.submit(fetch, start, rows))
            yield None
            while waiting:
                answer = waiting.popleft().result()
                for start, rows in islice(planned, 1):
                    waiting.append(pool.submit(fetch, start, rows))
                yield answer
        finally:
            for future in waiting:
                future.cancel()
