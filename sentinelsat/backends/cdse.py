"""The CDSE backend: the Copernicus Data Space Ecosystem.

- Searches: the OData catalogue, ``GET <api_url>Products?$filter=...&$orderby=...&$top=1000
  &$skip=...&$count=true&$expand=Attributes&$expand=Assets``; the query is translated by
  :mod:`sentinelsat.backends.cdse_query`, the answers by
  :mod:`sentinelsat.backends.cdse_parsing`. Pages of 1000 (the most CDSE allows) are fetched
  several at a time once the first one gave the count. ``$skip`` cannot exceed 10,000, so a
  larger search is split into windows of the sort field (:meth:`CDSEBackend.search`).
- Metadata: ``<api_url>Products(<id>)`` (no quotes around the id).
- Authentication: tokens of the identity server (:mod:`sentinelsat.backends.cdse_tokens`),
  sent to the catalogue and download hosts only
  (:class:`~sentinelsat.sessions.BearerAuth`); the catalogue itself is anonymous.
- Downloads: ``<download host>Products(<id>)/$value`` with the bearer token and ``Range``
  (the catalogue's ``$value`` redirects to the download host, and a redirect to another
  host drops the token). 429 "Max session number 4 exceeded" means the user's concurrent
  downloads are exhausted. Offline products cannot be ordered through this API.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote as url_quote
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.util.retry import Retry

from ..exceptions import (
    InvalidKeyError,
    NotSupportedError,
    QueryLengthError,
    QuerySyntaxError,
    SentinelAPIError,
    SentinelAPILTAError,
    ServerError,
    ServerLimitError,
    UnauthorizedError,
)
from ..files import DEFAULT_EXTENSION, extension_for
from ..log import logger
from ..search import check_paging, fetch_in_order
from ..sessions import (
    RETRY_STATUSES,
    BearerAuth,
    Connection,
    OriginAuth,
    error_text,
    new_session,
    origin,
    server_message,
)
from . import Backend, Criteria, Info, SearchObserver
from .cdse_parsing import parse_product_info, parse_search_entry, quicklook_link
from .cdse_query import (
    OrderPlan,
    Translation,
    combine,
    plan_order,
    quote,
    sort_results,
    translate,
    window_clause,
)
from .cdse_tokens import CLIENT_ID, LOGIN_HINT, TOTP, KeycloakTokens

#: Features of sentinelsat 1.x that CDSE has no use for (see :attr:`Backend.lacks`).
LACKS = frozenset({"version", "retrieval"})

#: The real service.
CATALOGUE_URL = "https://catalogue.dataspace.copernicus.eu/odata/v1/"
_CDSE_DOMAIN = "dataspace.copernicus.eu"
TOKEN_URL = (
    "https://identity.dataspace.copernicus.eu/auth/realms/CDSE/protocol/openid-connect/token"
)
DOWNLOAD_URL = "https://download.dataspace.copernicus.eu/odata/v1/"

#: Environment variables with the identity and download endpoints of another catalogue.
TOKEN_URL_VARIABLE = "CDSE_TOKEN_URL"
DOWNLOAD_URL_VARIABLE = "CDSE_DOWNLOAD_URL"

#: The catalogue's limits: results per page, and the largest ``$skip``.
MAX_TOP = 1000
MAX_SKIP = 10000
#: Products aimed at per date window when a search is split.
WINDOW_TARGET = 8000
#: Names searched for with one query (``check_files``).
NAMES_PER_QUERY = 20
#: Redirects followed to find the download host of a catalogue.
MAX_REDIRECTS = 5

#: Catalogue answers worth a retry: CDSE's transient errors and its rate limiter.
CATALOGUE_RETRY_STATUSES = (*RETRY_STATUSES, 429)

_EXPAND = [("$expand", "Attributes"), ("$expand", "Assets")]
_REDIRECTS = (301, 302, 303, 307, 308)

#: The search result key of each field the server sorts by.
ORDER_KEYS = {
    "ContentDate/Start": "beginposition",
    "ContentDate/End": "endposition",
    "PublicationDate": "ingestiondate",
    "ModificationDate": "ModificationDate",
}

OFFLINE_MESSAGE = (
    "Product {} is offline: the Copernicus Data Space Ecosystem cannot retrieve offline "
    "products through this API"
)
OFFLINE_HINT = (
    "Order it in the CDSE Data Workspace (https://dataspace.copernicus.eu), then download it "
    "again once it is online."
)
DOWNLOAD_LOGIN_HINT = (
    "Downloads from CDSE need an account: give its username and password (the catalogue "
    "alone is anonymous). " + LOGIN_HINT
)


def is_real_catalogue(api_url: str) -> bool:
    """Whether ``api_url`` is the catalogue of the real service."""
    return (urlsplit(api_url).hostname or "").lower() == urlsplit(CATALOGUE_URL).hostname


def _with_slash(url: str | None) -> str | None:
    if not url:
        return None
    return url if url.endswith("/") else url + "/"


# ---------------------------------------------------------------------- answers
def answer_message(response: requests.Response) -> str:
    """The CDSE services' own description of a failed request: ``message`` (download host),
    ``detail`` (catalogue), ``error_description`` (identity server), an OData error, else what
    :func:`~sentinelsat.sessions.server_message` finds (HTML pages...)."""
    text = error_text(response)
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if isinstance(document, dict):
        for key in ("message", "error_description"):
            if isinstance(document.get(key), str) and document[key]:
                return str(document[key])
        found = _detail(document.get("detail"))
        if found:
            return found
        error = document.get("error")
        if isinstance(error, dict):
            message = error.get("message")
            if isinstance(message, dict):
                message = message.get("value")
            if isinstance(message, str) and message:
                return message
        if isinstance(error, str) and error:
            return error
    return server_message(response)


def _detail(detail: Any) -> str:
    """The text of a FastAPI ``detail``: a string, a list of validation errors, or an object
    with ``ErrorMessage`` and ``ErrorDetail``."""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict) and isinstance(item.get("msg"), str):
                where = ".".join(str(part) for part in item.get("loc") or ())
                parts.append(f"{where}: {item['msg']}" if where else item["msg"])
        return "; ".join(parts)
    if isinstance(detail, dict):
        parts = [str(detail.get("ErrorMessage") or "")]
        parts += [_detail([item]) for item in detail.get("ErrorDetail") or ()]
        return " ".join(part for part in parts if part)
    return ""


def answer_error(response: requests.Response, hint: str = "") -> SentinelAPIError:
    """The exception for an unusable catalogue or download answer, ``msg`` the server's."""
    message = answer_message(response)
    status = response.status_code
    if status == 401:
        return UnauthorizedError(message, response, "\n".join(filter(None, [LOGIN_HINT, hint])))
    if status == 404 or (status == 422 and "uuid" in message.lower()):
        return InvalidKeyError(message, response, hint)
    if status in (413, 414):
        return QueryLengthError(message, response, hint)
    if status == 400:
        return QuerySyntaxError(message, response, hint)
    return ServerError(message, response, hint)


def decode(response: requests.Response, hint: str = "") -> Any:
    """The JSON body of a successful answer; the matching exception otherwise."""
    if not 200 <= response.status_code < 300:
        raise answer_error(response, hint)
    try:
        return response.json()
    except ValueError:
        raise ServerError("The server's answer is not JSON", response, hint) from None


# ---------------------------------------------------------------------- paging
@dataclass(frozen=True)
class Segment:
    """A part of a search that ``$skip`` can page through: its filter and its count."""

    filter: str
    count: int


@dataclass(frozen=True)
class Window:
    """A half-open interval ``[start, end)`` of the sort field (``None``: open)."""

    start: datetime | None
    end: datetime | None


Page = list[tuple[str, dict[str, Any]]]


class _Pages:
    """The catalogue requests of one search (a filter in one order)."""

    def __init__(
        self,
        backend: CDSEBackend,
        connection: Connection,
        order: OrderPlan,
        observe: SearchObserver | None,
    ) -> None:
        self.backend = backend
        self.connection = connection
        self.order = order
        self.observe = observe

    def request(
        self, text: str, skip: int, top: int, count: bool = False, orderby: str | None = None
    ) -> requests.Response:
        """Send one request (in a worker thread)."""
        params: list[tuple[str, str]] = [("$filter", text)] if text else []
        params += [("$orderby", orderby or self.order.orderby), ("$top", str(top))]
        if skip:
            params.append(("$skip", str(skip)))
        if count:
            params.append(("$count", "true"))
        params += _EXPAND
        return self.connection.send(
            "GET",
            self.backend.api_url + "Products",
            params=params,
            retry_statuses=CATALOGUE_RETRY_STATUSES,
        )

    def parse(self, text: str, response: requests.Response) -> tuple[int | None, Page]:
        """Decode one answer: the count (with ``$count``) and the page's products."""
        if self.observe is not None:
            self.observe(text, response)
        document = decode(response, f"The search was translated into the $filter: {text}")
        values = document.get("value") if isinstance(document, dict) else None
        if not isinstance(values, list):
            raise ServerError("The catalogue's answer has no product list", response)
        count = document.get("@odata.count")
        page = []
        for entry in values:
            if isinstance(entry, dict):
                parsed = parse_search_entry(
                    entry, self.backend.download_link, self.backend.entity_link
                )
                if parsed is not None:
                    page.append(parsed)
        return (count if isinstance(count, int) else None), page

    def first(self, text: str, skip: int, top: int) -> tuple[int, Page]:
        """The count and the first page."""
        response = self.request(text, skip, top, count=True)
        count, page = self.parse(text, response)
        if count is None:
            raise ServerError("The catalogue's answer has no @odata.count", response)
        return count, page

    def count(self, text: str) -> int:
        return self.first(text, 0, 1)[0]

    def extreme(self, text: str, field: str, descending: bool) -> datetime | None:
        """The smallest (or largest) value of a sort field among the products of ``text``."""
        orderby = f"{field} {'desc' if descending else 'asc'}"
        response = self.request(text, 0, 1, orderby=orderby)
        page = self.parse(text, response)[1]
        value = page[0][1].get(ORDER_KEYS[field]) if page else None
        return value if isinstance(value, datetime) else None

    def counts(self, texts: list[str]) -> list[int]:
        """The counts of several filters, ``connection.concurrency`` requests at a time."""
        if not texts:
            return []
        workers = max(1, min(self.connection.concurrency, len(texts)))
        with ThreadPoolExecutor(workers, thread_name_prefix="sentinelsat-count") as pool:
            return list(pool.map(self.count, texts))


def plan_segment_pages(
    segments: list[Segment], start: int, end: int, page_size: int
) -> list[tuple[str, int, int]]:
    """The requests ``(filter, $skip, $top)`` for the products ``start`` to ``end`` (exclusive)
    of the concatenated segments, in order."""
    pages = []
    base = 0
    for segment in segments:
        low, high = max(start, base), min(end, base + segment.count)
        for skip in range(low - base, high - base, page_size):
            pages.append((segment.filter, skip, min(page_size, high - base - skip)))
        base += segment.count
    return pages


def split_window(window: Window, low: datetime, high: datetime, pieces: int) -> list[Window]:
    """Split a window into ``pieces`` of equal duration (``low`` and ``high``: the first and
    last value of the field in the search, for the open ends).

    Raises
    ------
    SentinelAPIError
        If the window is too short to be split (more than 10,000 products at one time).
    """
    start = window.start or low
    end = window.end or high + timedelta(microseconds=1)
    span = end - start
    if span < timedelta(microseconds=2):
        raise SentinelAPIError(
            f"More than {MAX_SKIP} products of the search share the same time ({start}): "
            "CDSE cannot page through them; narrow the search"
        )
    cuts = sorted({start + span * index / pieces for index in range(1, pieces)} - {start, end})
    bounds = [window.start, *cuts, window.end]
    return [Window(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


# ---------------------------------------------------------------------- the backend
class CDSEBackend(Backend):
    """The CDSE protocol (see the module documentation).

    Parameters
    ----------
    api_url : str
        The OData catalogue, ``https://catalogue.dataspace.copernicus.eu/odata/v1/``.
    token_url : str, optional
        The identity server's token endpoint. By default the real one for the real
        catalogue, else the environment variable ``CDSE_TOKEN_URL``.
    download_url : str, optional
        The download host's OData root (``.../odata/v1/``). By default the real one for the
        real catalogue, else ``CDSE_DOWNLOAD_URL``, else the host the catalogue redirects
        downloads to (found with a ``HEAD`` request before the first download).
    totp : str or callable, optional
        For accounts with two-factor authentication: the one-time password, or a function
        that returns the current one (called at each login).
    client_id : str, optional
        The identity server's client, ``cdse-public``.

    Raises
    ------
    ValueError
        If the token endpoint of a catalogue other than the real one is not given.
    """

    name = "cdse"
    page_size = MAX_TOP
    lacks = LACKS

    def __init__(
        self,
        api_url: str = CATALOGUE_URL,
        token_url: str | None = None,
        download_url: str | None = None,
        totp: TOTP = None,
        client_id: str = CLIENT_ID,
    ) -> None:
        super().__init__(_with_slash(api_url) or CATALOGUE_URL)
        real = is_real_catalogue(self.api_url)
        self.token_url = (
            token_url or (TOKEN_URL if real else None) or os.environ.get(TOKEN_URL_VARIABLE)
        )
        if not self.token_url:
            raise ValueError(
                f"The identity server of the CDSE catalogue {self.api_url} is unknown: set "
                f"{TOKEN_URL_VARIABLE} or use SentinelAPI(..., backend=CDSEBackend(url, "
                "token_url=...))"
            )
        self.download_base = _with_slash(
            download_url
            or (DOWNLOAD_URL if real else None)
            or os.environ.get(DOWNLOAD_URL_VARIABLE)
        )
        self.totp = totp
        self.client_id = client_id
        self._discovery = threading.Lock()
        self._quicklooks: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"CDSEBackend({self.api_url!r}, token_url={self.token_url!r})"

    @property
    def credentials_url(self) -> str:
        """The identity server's token endpoint: ``~/.netrc`` is read for its host."""
        return str(self.token_url)

    # ------------------------------------------------------------------ sessions
    def create_session(
        self,
        user: str | None,
        password: str | None,
        user_agent: str,
        retry: Retry,
        session: requests.Session | None = None,
    ) -> requests.Session:
        if session is None:
            session = new_session(retry)
        credentials = OriginAuth(self.credentials_url, user, password)
        tokens = KeycloakTokens(session, self.credentials_url, credentials, self.totp)
        tokens.client_id = self.client_id
        origins = [self.api_url] + ([self.download_base] if self.download_base else [])
        session.auth = BearerAuth(origins, tokens)
        session.headers["User-Agent"] = user_agent
        return session

    # ------------------------------------------------------------------ searching
    def translate(self, criteria: Criteria) -> Translation:
        """The search ``criteria`` in CDSE's terms (``ValueError`` without translation)."""
        return translate(
            criteria.area, criteria.date, criteria.raw, criteria.area_relation, criteria.keywords
        )

    def check_criteria(self, criteria: Criteria) -> None:
        self.translate(criteria)

    def search(
        self,
        connection: Connection,
        criteria: Criteria,
        order_by: str | None,
        limit: int | None,
        offset: int,
        observe: SearchObserver | None = None,
    ) -> OrderedDict[str, Info]:
        """Products matching ``criteria``: id → attributes, in order.

        The server filters and sorts where it can. Otherwise (``area_relation`` ``Contains``
        or ``IsWithin``, name patterns it cannot express, ``order_by`` fields it cannot sort
        by) every product the server finds is fetched, then checked, sorted and cut to
        ``offset`` and ``limit`` here.
        """
        check_paging(limit, offset)
        translation = self.translate(criteria)
        order = plan_order(order_by)
        if not translation.checks and not order.client:
            return self._collect(connection, translation.filter, order, limit, offset, observe)
        found = self._collect(connection, translation.filter, order, None, 0, observe)
        accepted = [(key, value) for key, value in found.items() if translation.accepts(value)]
        if order.client:
            accepted = sort_results(accepted, order.client)
        if translation.checks:
            logger.info("%d of them match the search exactly", len(accepted))
        end = None if limit is None else offset + limit
        return OrderedDict(accepted[offset:end])

    def count(
        self, connection: Connection, criteria: Criteria, observe: SearchObserver | None = None
    ) -> int:
        translation = self.translate(criteria)
        if translation.checks:
            return len(self.search(connection, criteria, None, None, 0, observe))
        return _Pages(self, connection, plan_order(None), observe).count(translation.filter)

    def search_names(self, connection: Connection, names: Iterable[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        wanted = list(names)
        for start in range(0, len(wanted), NAMES_PER_QUERY):
            batch = wanted[start : start + NAMES_PER_QUERY]
            text = " or ".join(f"startswith(Name,{quote(name + '.')})" for name in batch)
            products = self._collect(connection, f"({text})", plan_order(None), None, 0, None)
            for product_id, values in products.items():
                found.setdefault(str(values.get("title")), []).append(product_id)
        return found

    def _collect(
        self,
        connection: Connection,
        text: str,
        order: OrderPlan,
        limit: int | None,
        offset: int,
        observe: SearchObserver | None,
    ) -> OrderedDict[str, Info]:
        """The products ``offset`` to ``offset + limit`` of a filter in the server's order:
        the first page gives the count, the others are requested several at a time; beyond
        what ``$skip`` reaches, the search is split into windows of the sort field."""
        if limit == 0:
            return OrderedDict()
        pages = _Pages(self, connection, order, observe)
        size = self.page_size
        first: Page = []
        if offset <= MAX_SKIP:
            total, first = pages.first(text, offset, size if limit is None else min(limit, size))
        else:
            total = pages.count(text)
        end = total if limit is None else min(total, offset + limit)
        start = offset + len(first)
        plan = plan_segment_pages([Segment(text, total)], start, end, size)
        if plan and max(skip for _, skip, _ in plan) > MAX_SKIP:
            segments = self._segments(pages, text, total)
            plan = plan_segment_pages(segments, offset, end, size)
            first = []
        products: OrderedDict[str, Info] = OrderedDict(first)
        if plan:
            with connection.progress(
                desc="Querying products", total=end - offset, initial=len(first), unit="product"
            ) as bar:
                answers = fetch_in_order(
                    connection.concurrency,
                    lambda index, _: pages.request(*plan[index]),
                    [(index, 0) for index in range(len(plan))],
                )
                for (page_filter, _, _), answer in zip(plan, answers):
                    page = pages.parse(page_filter, answer)[1]
                    products.update(page)
                    bar.update(len(page))
        logger.info("Found %s products", total)
        return products

    def _segments(self, pages: _Pages, text: str, total: int) -> list[Segment]:
        """Windows of the first sort field, each with at most 10,000 products, in order."""
        field, descending = pages.order.server[0]
        low = pages.extreme(text, field, descending=False)
        high = pages.extreme(text, field, descending=True)
        if low is None or high is None:
            raise ServerError(f"The catalogue gave no {field} to split the search by")
        pending = split_window(Window(None, None), low, high, math.ceil(total / WINDOW_TARGET))
        windows: list[tuple[Window, int]] = []
        while pending:
            texts = [combine(text, window_clause(field, w.start, w.end)) for w in pending]
            counted = pages.counts(texts)
            retry = []
            for window, count in zip(pending, counted):
                if count > MAX_SKIP:
                    retry += split_window(window, low, high, math.ceil(count / WINDOW_TARGET))
                elif count:
                    windows.append((window, count))
            pending = retry
        windows.sort(key=lambda item: item[0].start or datetime.min, reverse=descending)
        logger.info(
            "The search is split into %d windows of %s (CDSE pages through %d products at most)",
            len(windows),
            field,
            MAX_SKIP,
        )
        return [
            Segment(combine(text, window_clause(field, w.start, w.end)), count)
            for w, count in windows
        ]

    # ------------------------------------------------------------------ metadata
    def entity_link(self, product_id: str) -> str:
        """The catalogue URL of a product."""
        return f"{self.api_url}Products({product_id})"

    def download_link(self, product_id: str) -> str:
        """The download URL of a product (on the download host once it is known)."""
        base = self.download_base or self.api_url
        return f"{base}Products({product_id})/$value"

    def product_info(self, connection: Connection, product_id: str, full: bool = False) -> Info:
        key = url_quote(str(product_id), safe="-")
        params = [("$expand", "Attributes")] if full else []
        params.append(("$expand", "Assets"))
        response = connection.send(
            "GET",
            f"{self.api_url}Products({key})",
            params=params,
            retry_statuses=CATALOGUE_RETRY_STATUSES,
        )
        document = decode(response)
        if not isinstance(document, dict) or not isinstance(document.get("Id"), str):
            raise ServerError("The catalogue's answer does not describe a product", response)
        self._find_download_host(connection, document["Id"])
        link = quicklook_link(document)
        if link is not None:
            self._quicklooks[document["Id"]] = link
        return parse_product_info(document, self.download_link, full)

    def _find_download_host(self, connection: Connection, product_id: str) -> None:
        """Learn where the catalogue redirects downloads, once (when it was not given): the
        redirects are followed by hand, with ``HEAD``, and the token is then sent there."""
        if self.download_base is not None:
            return
        with self._discovery:
            if self.download_base is not None:
                return
            url = f"{self.api_url}Products({product_id})/$value"
            for _ in range(MAX_REDIRECTS):  # while the catalogue redirects to itself
                response = connection.send("HEAD", url, allow_redirects=False)
                location = response.headers.get("Location")
                if response.status_code not in _REDIRECTS or not location:
                    break
                url = urljoin(url, location)
                if not _same_server(url, self.api_url):
                    break
            base = url.split("Products(", 1)[0] if "Products(" in url else self.api_url
            if not _trusted_download_host(base, self.api_url):
                raise SentinelAPIError(
                    f"The catalogue redirects downloads to {base}, which is neither its own host "
                    "nor a host of the Copernicus Data Space Ecosystem: the token is not sent "
                    "there.",
                    hint="Set the download host with CDSE_DOWNLOAD_URL (or the backend's "
                    "download_url) if it is the right one.",
                )
            auth = connection.session.auth
            if base != self.api_url and isinstance(auth, BearerAuth):
                auth.add_origin(base)
            logger.info("Products of %s are downloaded from %s", self.api_url, base)
            self.download_base = base

    def quicklook_url(self, info: Info) -> str:
        """The URL of a product's quicklook (its ``QUICKLOOK`` asset).

        Parameters
        ----------
        info : dict
            The product's info (:meth:`product_info`) or search result.

        Raises
        ------
        SentinelAPIError
            The product has no quicklook.
        """
        product_id = str(info.get("id") or info.get("uuid"))
        link = info.get("link_icon") or self._quicklooks.get(product_id)
        if not isinstance(link, str) or not link:
            raise NotSupportedError(f"Product {product_id} has no quicklook on CDSE")
        return link

    def is_online(self, connection: Connection, product_id: str) -> bool:
        return bool(self.product_info(connection, product_id).get("Online", True))

    # ------------------------------------------------------------------ files of a product
    def _nodes_url(self, info: Info, node_path: Sequence[str]) -> str:
        """``<download host>Products(<id>)/Nodes(<name>)/...`` (the Nodes API)."""
        base = self.download_base or self.api_url
        names = "".join(f"/Nodes({url_quote(name, safe='')})" for name in node_path)
        return f"{base}Products({info['id']}){names}"

    def node_url(self, info: Info, node_path: Sequence[str]) -> str:
        return self._nodes_url(info, node_path) + "/$value"

    def list_nodes(
        self, connection: Connection, info: Info, node_path: Sequence[str] = ()
    ) -> list[Info]:
        """The files and folders in a folder of a product (``()``: the product's folder
        itself), from the Nodes API's listings (``{"result": [...]}``)."""
        response = connection.send(
            "GET",
            self._nodes_url(info, node_path) + "/Nodes",
            retry_statuses=CATALOGUE_RETRY_STATUSES,
        )
        document = decode(response)
        entries = (
            document.get("result", document.get("value")) if isinstance(document, dict) else None
        )
        if not isinstance(entries, list):
            raise ServerError("The download host's answer lists no nodes", response)
        return [self._node(info, node_path, entry, response) for entry in entries]

    def node_info(self, connection: Connection, info: Info, node_path: Sequence[str]) -> Info:
        """A file or folder of a product, found in its folder's listing (CDSE describes the
        nodes of a folder, not a node by itself)."""
        if not node_path:
            raise ValueError("node_path must name a file or folder of the product")
        for node in self.list_nodes(connection, info, node_path[:-1]):
            if node["name"] == node_path[-1]:
                return node
        raise InvalidKeyError(f"Product {info['id']} has no file {'/'.join(node_path)}")

    def _node(
        self, info: Info, parent: Sequence[str], entry: Any, response: requests.Response
    ) -> Info:
        if not isinstance(entry, dict) or not isinstance(entry.get("Name"), str):
            raise ServerError("The download host's answer has a node without a name", response)
        path = (*parent, entry["Name"])
        try:
            size = int(entry.get("ContentLength") or 0)
            children = int(entry.get("ChildrenNumber") or 0)
        except (TypeError, ValueError):
            size, children = 0, 0
        folder = children > 0
        return {
            "name": entry["Name"],
            "node_path": "/".join(path),
            "size": size,
            "is_folder": folder,
            "url": None if folder else self.node_url(info, path),
        }

    # ------------------------------------------------------------------ downloads
    def download_url(self, info: Info) -> str:
        return self.download_link(str(info["id"]))

    def file_extension(self, info: Info, server_filename: str | None) -> str:
        """``.zip``: CDSE sends every product as a zip (named ``<Name>.zip``, e.g.
        ``S2A_..._T21MQA_....SAFE.zip``); the file is ``<title>.zip``, as on DHuS."""
        if not server_filename or server_filename.lower().endswith(DEFAULT_EXTENSION):
            return DEFAULT_EXTENSION
        return extension_for(info.get("title"), server_filename)

    def trigger_retrieval(self, connection: Connection, info: Info) -> None:
        raise SentinelAPILTAError(
            OFFLINE_MESSAGE.format(info.get("title") or info.get("id")), hint=OFFLINE_HINT
        )

    def request_retrieval(self, connection: Connection, info: Info) -> bool:
        """``False`` for an online product; an offline one cannot be ordered through this API
        (:meth:`trigger_retrieval` raises)."""
        if info.get("Online", True):
            return False
        self.trigger_retrieval(connection, info)
        return True  # pragma: no cover - trigger_retrieval raises

    def refusal(self, response: requests.Response, offline: bool = False) -> Exception:
        """429: the user's concurrent downloads are exhausted (:class:`ServerLimitError`); an
        offline product: :class:`SentinelAPILTAError`; 401: no valid token."""
        message = answer_message(response)
        if response.status_code == 429:
            return ServerLimitError(message, response)
        if offline or "offline" in message.lower():
            return SentinelAPILTAError(
                OFFLINE_MESSAGE.format(_product_of(response)), response, hint=message
            )
        if response.status_code == 401:
            return UnauthorizedError(message, response, DOWNLOAD_LOGIN_HINT)
        return answer_error(response)

    def is_accepted_retrieval(self, response: requests.Response) -> bool:
        return False  # CDSE never accepts a retrieval instead of a download


def _trusted_download_host(url: str, api_url: str) -> bool:
    """Whether the token may go to ``url`` without being told so: the catalogue's own host
    (another port included, as for the local CDSE) or a host of the Copernicus Data Space
    Ecosystem over HTTPS."""
    scheme, host, _ = origin(url)
    if host == origin(api_url)[1]:
        return True
    return scheme == "https" and (host == _CDSE_DOMAIN or host.endswith("." + _CDSE_DOMAIN))


def _same_server(url: str, api_url: str) -> bool:
    """Whether ``url`` is on the catalogue's origin, or on its host upgraded to HTTPS."""
    if origin(url) == origin(api_url):
        return True
    return origin(url) == ("https", origin(api_url)[1], 443) and api_url.startswith("http:")


def _product_of(response: requests.Response) -> str:
    url = response.request.url if response.request is not None else ""
    return str(url).split("Products(", 1)[-1].split(")", 1)[0] if "Products(" in str(url) else ""


__all__ = ["CATALOGUE_URL", "CDSEBackend", "DOWNLOAD_URL", "TOKEN_URL"]
