"""The DHuS backend: the Data Hub Software of the former Copernicus Open Access Hub and of its
mirrors.

- Searches: ``POST <api_url>search?format=json&rows=<rows>&start=<start>[&orderby=...]`` with
  the Solr query in a form body ``q=...``, 100 rows per page (the wire format of the 2018
  recordings); the answer is an OpenSearch JSON feed.
- Metadata: OData v2, ``<api_url>odata/v1/Products('<id>')?$format=json[&$expand=Attributes]``.
- Downloads: ``.../Products('<id>')/$value`` with HTTP basic authentication and ``Range``.
- The long term archive: a plain ``GET`` of an offline product's ``$value`` asks for it (202
  Accepted); 403 means the user's quota, 500 and 503 a refusal; 403 with "concurrent flows"
  means the user's concurrent downloads are exhausted. ``.../Online/$value`` says whether a
  product is online (``true``/``false``); servers without that property (older DHuS, CODA)
  answer an error, and the product's OData entity is asked instead.
- The files inside a product (OData ``Nodes``):
  ``.../Products('<id>')/Nodes('<name>.SAFE')/Nodes('<folder>')/Nodes('<file>')/$value``.
- Quicklooks: ``.../Products('<id>')/Products('Quicklook')/$value`` (a JPEG).
- The server's version: ``<api_url>api/stub/version`` (``{"value": "2.4.1"}``); the Copernicus
  Open Access Hub answered it on ``https://scihub.copernicus.eu/dhus/`` only.
- The GNSS hub of orbit products, with its public guest account: :data:`GNSS_URL`,
  :data:`GNSS_CREDENTIALS`.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from urllib3.util.retry import Retry

from .. import query as solr
from ..exceptions import (
    SentinelAPIError,
    SentinelAPILTAError,
    ServerError,
    ServerLimitError,
    UnauthorizedError,
)
from ..parsing import parse_odata_response, parse_opensearch_response
from ..search import Page, load_pages
from ..sessions import (
    Connection,
    OriginAuth,
    check_response,
    decode_json,
    new_session,
    server_message,
)
from . import Backend, Criteria, Info, SearchObserver
from .endpoints import DHUS_DEFAULT_URL

#: sentinelsat 0.13's default server (the former Copernicus Open Access Hub).
DEFAULT_URL = DHUS_DEFAULT_URL

#: The hub of the GNSS orbit products of the Copernicus Open Access Hub (``sentinelsat --gnss``)
#: and its public guest account.
GNSS_URL = "https://scihub.copernicus.eu/gnss/"
GNSS_CREDENTIALS = ("gnssguest", "gnssguest")

#: The host and path of the Copernicus Open Access Hub's API, and those where it answered
#: ``api/stub/version``.
APIHUB = ("apihub.copernicus.eu", "/apihub/")
APIHUB_VERSION_SITE = ("scihub.copernicus.eu", "/dhus/")

#: Names searched for with one query (as sentinelsat 0.13 did), fewer if they are long.
NAMES_PER_QUERY = 40

#: sentinelsat 0.13's messages for a refused retrieval from the long term archive, by status.
LTA_REFUSALS = {
    403: "Requests for retrieval from LTA exceed user quota",
    500: "Trying to download an offline product",
    503: "Request for retrieval from LTA not accepted",
}

_FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}


def search_url(api_url: str, rows: int, start: int, orderby: str | None = None) -> str:
    """The URL of one search request: ``<api_url>search?format=json&rows=<rows>&start=<start>``
    and ``&orderby=<orderby>`` in the server's syntax (``'beginposition desc'``)."""
    url = f"{api_url}search?format=json&rows={rows}&start={start}"
    return f"{url}&orderby={orderby}" if orderby else url


def odata_key(value: str) -> str:
    """A string as an OData key literal's content: ``'`` doubled, the rest URL-quoted."""
    return quote(str(value).replace("'", "''"), safe="'")


def odata_url(api_url: str, product_id: str, suffix: str = "") -> str:
    """``<api_url>odata/v1/Products('<id>')<suffix>``, the id quoted as OData wants it."""
    return f"{api_url}odata/v1/Products('{odata_key(product_id)}'){suffix}"


def nodes_suffix(node_path: Sequence[str]) -> str:
    """``/Nodes('<a>')/Nodes('<b>')...`` for the names of ``node_path``."""
    return "".join(f"/Nodes('{odata_key(name)}')" for name in node_path)


def version_urls(api_url: str) -> list[str]:
    """Where to ask for the server's version: ``<api_url>api/stub/version``, then, for the
    Copernicus Open Access Hub's API, the site that answered it."""
    urls = [f"{api_url}api/stub/version"]
    parts = urlsplit(api_url)
    if ((parts.hostname or "").lower(), parts.path) == APIHUB:
        host, path = APIHUB_VERSION_SITE
        urls.append(urlunsplit((parts.scheme, host, f"{path}api/stub/version", "", "")))
    return urls


def query_length_hint(query: str) -> str:
    """A diagnosis to add to a failure when the query is longer than the server accepts."""
    ratio = solr.check_query_length(query)
    if ratio <= 1:
        return ""
    return (
        f"The query is probably too long: its effective length is {ratio:.0%} of the server's "
        f"limit of {solr.MAX_QUERY_LENGTH} characters (simplify the area of interest, e.g. "
        "fewer decimals or vertices)."
    )


def request_page(
    connection: Connection, api_url: str, query: str, orderby: str | None, rows: int, start: int
) -> requests.Response:
    """Send one search request and read its answer."""
    return connection.send(
        "POST", search_url(api_url, rows, start, orderby), data={"q": query}, headers=_FORM
    )


def parse_page(query: str, response: requests.Response) -> tuple[int, Page]:
    """Decode one search answer into the total and the page's products.

    Raises
    ------
    SentinelAPIError
        With the response, the server's message and a hint if the query is probably too long.
    """

    def hint() -> str:
        return query_length_hint(query)

    try:
        return parse_opensearch_response(decode_json(response, hint))
    except SentinelAPIError as error:
        if error.response is None:
            error.response = response
            error.hint = "\n".join(text for text in (error.hint, hint()) if text)
        raise


_TOTAL = re.compile(rb'"opensearch:totalResults"\s*:\s*"?(\d+)"?\s*[,}]')


def peek_total(response: requests.Response) -> int | None:
    """The total of a search answer read from the start of its body, before the body is
    decoded (``None`` if it is not there: the answer is then decoded first)."""
    if response.status_code != 200:
        return None
    match = _TOTAL.search(response.content[:16384])
    return int(match.group(1)) if match else None


def classify_refusal(response: requests.Response, offline: bool = False) -> SentinelAPIError:
    """The exception for a refused product request.

    Parameters
    ----------
    response : requests.Response
        The server's answer (403, 500, 503...).
    offline : bool, optional
        Whether the product is offline, i.e. the request asked for its retrieval from the
        long term archive.

    Returns
    -------
    SentinelAPIError
        A :class:`ServerLimitError` for a 403 naming the user's concurrent flows (retry
        later); a :class:`SentinelAPILTAError` for a refusal (403, 500, 503) of an offline
        product (``msg`` in sentinelsat 0.13's words, the server's in ``hint``) and for a 403
        about the retrieval quota; otherwise the error :func:`check_response` gives.
    """
    message = server_message(response)
    lowered = message.lower()
    status = response.status_code
    if status == 403 and "concurrent flows" in lowered:
        return ServerLimitError(message, response)
    if offline and status in LTA_REFUSALS:
        return SentinelAPILTAError(LTA_REFUSALS[status], response, hint=message)
    if status == 403 and "quota" in lowered:
        return SentinelAPILTAError(message, response)
    try:
        check_response(response)
    except SentinelAPIError as error:
        return error
    return ServerError(message, response)


def request_retrieval(connection: Connection, url: str) -> bool:
    """Ask for a product's retrieval from the long term archive with a GET of its first two
    bytes (sentinelsat 1.x's request), closed without reading the body.

    Returns
    -------
    bool
        ``True`` when the retrieval was accepted (202), ``False`` when the product is online.

    Raises
    ------
    SentinelAPILTAError
        The server refused the retrieval (403 quota, 500, 503).
    ServerLimitError
        The user's concurrent downloads are exhausted (403 "concurrent flows"): retry later.
    """
    response = connection.send(
        "GET", url, stream=True, retry_statuses=(), headers={"Range": "bytes=0-1"}
    )
    try:
        if response.status_code in (200, 206):
            return False
        if response.status_code == 202:
            return True
        raise classify_refusal(response, offline=True)
    finally:
        response.close()


def trigger_offline_retrieval(connection: Connection, url: str) -> int:
    """Ask for an offline product, the way DHuS clients of 2018 did: a plain GET of its
    ``$value`` URL, closed without reading the body.

    Returns
    -------
    int
        The HTTP status: 202 when the retrieval was accepted, 200 or 206 if the product was
        online after all.

    Raises
    ------
    SentinelAPILTAError
        The server refused the retrieval (403 quota, 500, 503).
    ServerLimitError
        The user's concurrent downloads are exhausted (403 "concurrent flows").
    """
    response = connection.send("GET", url, stream=True, retry_statuses=())
    try:
        if response.status_code in (200, 202, 206):
            return response.status_code
        raise classify_refusal(response, offline=True)
    finally:
        response.close()


class DHuSBackend(Backend):
    """The DHuS protocol (see the module documentation)."""

    name = "dhus"
    page_size = 100

    def __init__(self, api_url: str) -> None:
        super().__init__(api_url)
        self._online_property = True  # False once the server said it has no Online property
        self._lock = threading.Lock()

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
        session.auth = OriginAuth(self.api_url, user, password)
        session.headers["User-Agent"] = user_agent
        return session

    # ------------------------------------------------------------------ searching
    def check_criteria(self, criteria: Criteria) -> None:
        self.solr_query(criteria)

    def solr_query(self, criteria: Criteria) -> str:
        """The query string of ``criteria``."""
        return solr.format_query(
            criteria.area, criteria.date, criteria.raw, criteria.area_relation, **criteria.keywords
        )

    def search(
        self,
        connection: Connection,
        criteria: Criteria,
        order_by: str | None,
        limit: int | None,
        offset: int,
        observe: SearchObserver | None = None,
        page_size: int | None = None,
    ) -> OrderedDict[str, Info]:
        query = self.solr_query(criteria)
        return self.search_query(connection, query, order_by, limit, offset, observe, page_size)

    def search_query(
        self,
        connection: Connection,
        query: str,
        order_by: str | None,
        limit: int | None,
        offset: int,
        observe: SearchObserver | None = None,
        page_size: int | None = None,
    ) -> OrderedDict[str, Info]:
        """Run a query string (see :meth:`search`)."""
        orderby = solr.format_order_by(order_by) if order_by else None

        def fetch(start: int, rows: int) -> requests.Response:
            return request_page(connection, self.api_url, query, orderby, rows, start)

        def parse(response: requests.Response) -> tuple[int, Page]:
            if observe is not None:
                observe(query, response)
            return parse_page(query, response)

        size = page_size or self.page_size
        return load_pages(connection, fetch, parse, size, limit, offset, peek_total)[1]

    def count(
        self, connection: Connection, criteria: Criteria, observe: SearchObserver | None = None
    ) -> int:
        query = self.solr_query(criteria)
        response = request_page(connection, self.api_url, query, None, 0, 0)
        if observe is not None:
            observe(query, response)
        return parse_page(query, response)[0]

    def search_names(self, connection: Connection, names: Iterable[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for batch in name_batches(list(names)):
            for product_id, attributes in self.search_query(
                connection, " OR ".join(batch), None, None, 0
            ).items():
                title = attributes.get("identifier") or attributes.get("title")
                found.setdefault(str(title), []).append(product_id)
        return found

    # ------------------------------------------------------------------ metadata
    def product_info(self, connection: Connection, product_id: str, full: bool = False) -> Info:
        suffix = "?$format=json" + ("&$expand=Attributes" if full else "")
        response = connection.send("GET", odata_url(self.api_url, product_id, suffix))
        return parse_odata_response(decode_json(response), full=full)

    # ------------------------------------------------------------------ downloads
    def download_url(self, info: Info) -> str:
        return odata_url(self.api_url, info["id"], "/$value")

    def trigger_retrieval(self, connection: Connection, info: Info) -> None:
        trigger_offline_retrieval(connection, self.download_url(info))

    def refusal(self, response: requests.Response, offline: bool = False) -> Exception:
        return classify_refusal(response, offline)

    # ------------------------------------------------------------------ sentinelsat 1.x's additions
    def request_retrieval(self, connection: Connection, info: Info) -> bool:
        return request_retrieval(connection, self.download_url(info))

    def stream_url(self, connection: Connection, product_id: str) -> str:
        return odata_url(self.api_url, product_id, "/$value")

    def is_online(self, connection: Connection, product_id: str) -> bool:
        if self._online_property:
            response = connection.send("GET", odata_url(self.api_url, product_id, "/Online/$value"))
            if response.status_code == 200:
                text = response.text.strip().lower()
                if text in ("true", "false"):
                    return text == "true"
            else:
                message = server_message(response)
                if response.status_code in (401, 403) or "Invalid key" in message:
                    check_response(response)
            with self._lock:
                self._online_property = False  # e.g. "Property Online not found" (older DHuS)
        return bool(self.product_info(connection, product_id).get("Online", True))

    def quicklook_url(self, info: Info) -> str:
        return odata_url(self.api_url, info["id"], "/Products('Quicklook')/$value")

    def version(self, connection: Connection) -> str:
        error: SentinelAPIError | None = None
        for url in version_urls(self.api_url):
            response = connection.send("GET", url)
            try:
                value = decode_json(response)["value"]
                return str(value)
            except UnauthorizedError:
                raise
            except (SentinelAPIError, KeyError, TypeError) as failure:
                error = (
                    failure
                    if isinstance(failure, SentinelAPIError)
                    else ServerError("Invalid API response.", response)
                )
        assert error is not None
        raise error

    def node_url(self, info: Info, node_path: Sequence[str]) -> str:
        return odata_url(self.api_url, info["id"], nodes_suffix(node_path) + "/$value")

    def node_info(self, connection: Connection, info: Info, node_path: Sequence[str]) -> Info:
        url = odata_url(self.api_url, info["id"], nodes_suffix(node_path) + "?$format=json")
        entity = decode_json(connection.send("GET", url)).get("d")
        return self._node(info, node_path[:-1], entity)

    def list_nodes(
        self, connection: Connection, info: Info, node_path: Sequence[str] = ()
    ) -> list[Info]:
        url = odata_url(self.api_url, info["id"], nodes_suffix(node_path) + "/Nodes?$format=json")
        document = decode_json(connection.send("GET", url)).get("d")
        results = document.get("results") if isinstance(document, dict) else document
        if not isinstance(results, list):
            raise ServerError("Invalid API response.")
        return [self._node(info, node_path, entity) for entity in results]

    def _node(self, info: Info, parent: Sequence[str], entity: object) -> Info:
        if not isinstance(entity, dict) or not isinstance(entity.get("Name"), str):
            raise ServerError("Invalid API response.")
        path = (*parent, entity["Name"])
        try:
            size = int(entity.get("ContentLength") or 0)
        except (TypeError, ValueError):
            size = 0
        folder = entity.get("ContentType") == "Folder"
        return {
            "name": entity["Name"],
            "node_path": "/".join(path),
            "size": size,
            "is_folder": folder,
            "url": None if folder else self.node_url(info, path),
        }


def name_batches(names: list[str]) -> Iterable[list[str]]:
    """Groups of :data:`NAMES_PER_QUERY` names for OR-queries, split further if a group would
    be longer than the server accepts (product names never are)."""
    separator = solr.query_length(" OR ")
    for start in range(0, len(names), NAMES_PER_QUERY):
        batch: list[str] = []
        length = 0
        for name in names[start : start + NAMES_PER_QUERY]:
            added = solr.query_length(name) + (separator if batch else 0)
            if batch and length + added > 0.9 * solr.MAX_QUERY_LENGTH:
                yield batch
                batch, length, added = [], 0, solr.query_length(name)
            batch.append(name)
            length += added
        if batch:
            yield batch


__all__ = ["DEFAULT_URL", "GNSS_CREDENTIALS", "GNSS_URL", "DHuSBackend", "odata_url", "search_url"]
