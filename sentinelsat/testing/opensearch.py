"""OpenSearch ``search`` responses (JSON feeds) shaped like the DHuS ones in the recordings."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from .catalogue import Product
from .formatting import format_double, format_solr_date
from .odata import dumps
from .schema import FIELD_TYPES, type_of_value
from .solr import Query, QueryError, UndefinedFieldError

_NAMESPACES = {
    "xmlns:opensearch": "http://a9.com/-/spec/opensearch/1.1/",
    "xmlns": "http://www.w3.org/2005/Atom",
}
_TYPE_GROUPS = ("date", "int", "double", "str")
_FEED_TITLE = "Sentinels Scientific Data Hub"
MAX_ROWS = 100


# --------------------------------------------------------------------------- ordering
def parse_orderby(text: str | None, fields: Mapping[str, str]) -> list[tuple[str, bool]]:
    """Parse ``orderby`` (``cloudcoverpercentage asc,beginposition desc``).

    Returns
    -------
    list of (str, bool)
        ``(field, descending)`` pairs; empty for no ordering.

    Raises
    ------
    QueryError
        For an unknown field, a footprint or an unknown direction.
    """
    keys: list[tuple[str, bool]] = []
    for item in (text or "").split(","):
        words = item.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise QueryError(
                f"Can't determine a Sort Order (asc or desc) in sort spec '{item.strip()}'"
            )
        field = words[0].lower()
        if field not in fields:
            raise UndefinedFieldError(words[0])
        if fields[field] == "geo":
            raise QueryError(f"can not sort on a field w/o docValues unless it is indexed: {field}")
        keys.append((field, len(words) == 2 and words[1].lower() == "desc"))
    return keys


DEFAULT_ORDER = [("ingestiondate", True)]


def sort_products(products: Sequence[Product], keys: Sequence[tuple[str, bool]]) -> list[Product]:
    """Sort products by ``keys``; products missing a key go last, ties keep the input order."""
    result = list(products)
    for field, descending in reversed(list(keys) or DEFAULT_ORDER):
        present = [product for product in result if product.attributes.get(field) is not None]
        missing = [product for product in result if product.attributes.get(field) is None]
        present.sort(key=lambda product: product.attributes[field], reverse=descending)
        result = present + missing
    return result


# --------------------------------------------------------------------------- entries
def _content(value: Any) -> str:
    if isinstance(value, datetime):
        return format_solr_date(value)
    if isinstance(value, float):
        return format_double(value)
    return str(value)


def _one_or_list(items: list[Any]) -> Any:
    return items[0] if len(items) == 1 else items


def product_links(base_url: str, product_id: str) -> list[dict[str, str]]:
    """The three links of an entry: ``$value``, ``alternative`` and ``icon``."""
    product = f"{base_url}odata/v1/Products('{product_id}')"
    return [
        {"href": f"{product}/$value"},
        {"rel": "alternative", "href": f"{product}/"},
        {"rel": "icon", "href": f"{product}/Products('Quicklook')/$value"},
    ]


def entry(base_url: str, product: Product) -> dict[str, Any]:
    """Render one product as a feed entry with typed attribute groups."""
    result: dict[str, Any] = {
        "title": product.identifier,
        "link": product_links(base_url, product.id),
        "id": product.id,
        "summary": product.summary,
    }
    groups: dict[str, list[Any]] = {group: [] for group in _TYPE_GROUPS}
    for name, value in product.attributes.items():
        groups[type_of_value(value)].append({"name": name, "content": _content(value)})
    for group in _TYPE_GROUPS:
        if groups[group]:
            result[group] = _one_or_list(groups[group])
    return result


# --------------------------------------------------------------------------- feed
def _subtitle(start: int, rows: int, total: int, shown: int, elapsed: float) -> str:
    seconds = f"Request done in {round(elapsed, 3):g} seconds."
    if total == 0 or (start == 0 and total <= rows):
        return f"Displaying {total} results. {seconds}"
    return f"Displaying {start} to {start + shown - 1} of {total} total results. {seconds}"


def _page_links(href: str, start: int, rows: int, total: int) -> list[dict[str, str]]:
    def link(rel: str, page_start: object) -> dict[str, str]:
        return {
            "rel": rel,
            "type": "application/atom+xml",
            "href": f"{href}&start={page_start}&rows={rows}",
        }

    links = [link("self", start), link("first", 0)]
    if rows == 0:
        if total > 0:
            links.append(link("next", "NaN"))
    else:
        page = math.ceil(start / rows)
        if (page - 1) * rows > 0:
            links.append(link("previous", (page - 1) * rows))
        if (page + 1) * rows < total:
            links.append(link("next", (page + 1) * rows))
    links.append(link("last", total - 1))
    links.append(
        {
            "rel": "search",
            "type": "application/opensearchdescription+xml",
            "href": "opensearch_description.xml",
        }
    )
    return links


def search_feed(
    base_url: str,
    query: str,
    start: int,
    rows: int,
    total: int,
    page: Sequence[Product],
    elapsed: float,
    now: datetime | None = None,
    with_entries: bool = True,
) -> dict[str, Any]:
    """Render a search result page as the DHuS JSON feed.

    Parameters
    ----------
    base_url : str
        The hub URL, ending with ``/``.
    query : str
        The ``q`` as received.
    start, rows : int
        The paging parameters.
    total : int
        The number of matching products.
    page : sequence of Product
        The products of this page.
    elapsed : float
        Seconds spent, for the subtitle.
    now : datetime, optional
        The ``updated`` time.
    with_entries : bool, optional
        Render the page's entries; without, they can be added later with
        :func:`splice_entries`.
    """
    href = f"{base_url}search?q={query}"
    feed: dict[str, Any] = {
        **_NAMESPACES,
        "title": f"{_FEED_TITLE} search results for: {query}",
        "subtitle": _subtitle(start, rows, total, len(page), elapsed),
        "updated": format_solr_date(now or datetime.now(timezone.utc)),
        "author": {"name": _FEED_TITLE},
        "id": href,
        "opensearch:totalResults": str(total),
        "opensearch:startIndex": str(start),
        "opensearch:itemsPerPage": str(rows),
        "opensearch:Query": {"role": "request", "searchTerms": query, "startPage": "1"},
        "link": _page_links(href, start, rows, total),
    }
    if page and with_entries:
        feed["entry"] = _one_or_list([entry(base_url, product) for product in page])
    return {"feed": feed}


def splice_entries(feed_json: bytes, entries_json: Sequence[bytes]) -> bytes:
    """Add serialised entries to a serialised feed without entries (one entry as an object).

    Lets a server serialise each product's entry once and reuse it on every page.
    """
    if not entries_json:
        return feed_json
    assert feed_json.endswith(b"}}")
    entries = entries_json[0] if len(entries_json) == 1 else b"[" + b",".join(entries_json) + b"]"
    return feed_json[:-2] + b',"entry":' + entries + b"}}"


def error_feed(message: str, code: str = "400") -> dict[str, Any]:
    """The feed the server answered (with HTTP 200) for an invalid query."""
    return {"feed": {**_NAMESPACES, "error": {"code": code, "message": message}}}


# --------------------------------------------------------------------------- the search side
def field_types(products: Sequence[Product]) -> dict[str, str]:
    """The searchable fields: the known ones plus every attribute of the catalogue."""
    fields = dict(FIELD_TYPES)
    for product in products:
        for name, value in product.attributes.items():
            fields.setdefault(name.lower(), "geo" if name == "footprint" else type_of_value(value))
    return fields


class SearchEngine:
    """Answers OpenSearch queries over a catalogue, the way the server's Solr index did.

    The sorted result of a query is reused for a few seconds (a client pages through the
    same query, and Solr cached it the same way), and each product's entry is serialised
    once and reused on every page.

    Parameters
    ----------
    products : sequence of Product
        The catalogue, in its stable order.
    result_seconds : float
        How long a query's result is reused.
    result_count : int
        How many query results are kept.
    """

    def __init__(
        self, products: Sequence[Product], result_seconds: float = 5.0, result_count: int = 8
    ):
        self.products = list(products)
        self.fields = field_types(self.products)
        self.result_seconds = result_seconds
        self.result_count = result_count
        self._results: OrderedDict[tuple[str, str | None], tuple[float, list[Product]]] = (
            OrderedDict()
        )
        self._entries: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def matching(self, text: str, orderby: str | None) -> list[Product]:
        """Evaluate and sort a query (or reuse its recent result).

        Raises
        ------
        QueryError
            For a query or an ``orderby`` the server rejects.
        """
        key = (text, orderby)
        now = time.monotonic()
        with self._lock:
            cached = self._results.get(key)
            if cached is not None and now - cached[0] < self.result_seconds:
                return cached[1]
        query = Query(text, fields=self.fields)
        order = parse_orderby(orderby, self.fields)
        matches = sort_products(query.filter(self.products), order)
        with self._lock:
            self._results[key] = (now, matches)
            self._results.move_to_end(key)
            while len(self._results) > self.result_count:
                self._results.popitem(last=False)
        return matches

    def entry_json(self, base_url: str, product: Product) -> bytes:
        """The serialised feed entry of a product: rendered once, then reused."""
        key = (base_url, product.id)
        rendered = self._entries.get(key)
        if rendered is None:
            rendered = self._entries[key] = dumps(entry(base_url, product))
        return rendered

    def page_json(
        self,
        base_url: str,
        text: str,
        start: int,
        rows: int,
        matches: Sequence[Product],
        elapsed: float,
    ) -> bytes:
        """The serialised feed of one page of ``matches``."""
        page = matches[start : start + rows]
        feed = search_feed(
            base_url, text, start, rows, len(matches), page, elapsed, with_entries=False
        )
        return splice_entries(dumps(feed), [self.entry_json(base_url, product) for product in page])
