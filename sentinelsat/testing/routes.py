"""The endpoints of the hub: each takes the hub and a request and returns a :class:`Response`."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timezone
from email.message import Message
from typing import TYPE_CHECKING, Callable

from . import odata, opensearch, pages
from .archive import ACCEPTED, QUOTA_EXCEEDED
from .content import ALGORITHMS, quicklook_bytes
from .extras import MissingDependencyError
from .nodes import Node, find_node
from .solr import MAX_QUERY_LENGTH, QueryError, java_urlencoded_length

if TYPE_CHECKING:
    from .catalogue import Product
    from .hub import LocalHub


@dataclass
class Request:
    """A parsed HTTP request."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: Message
    user: str | None = None


@dataclass
class Response:
    """An HTTP response; ``chunks`` (with ``length``) streams a body instead of ``body``."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    chunks: Iterable[bytes | memoryview] | None = None
    length: int | None = None
    on_close: Callable[[], None] | None = None

    def close(self) -> None:
        """Run ``on_close`` once (releases a download slot)."""
        callback, self.on_close = self.on_close, None
        if callback is not None:
            callback()

    @property
    def content_length(self) -> int:
        """The ``Content-Length`` to announce."""
        return len(self.body) if self.length is None else self.length


_JSON = ("Content-Type", "application/json")
_VARY = ("Vary", "Accept-Encoding")
_ODATA_V2 = ("DataServiceVersion", "2.0")
_ODATA_V1 = ("DataServiceVersion", "1.0")
_NO_CACHE = ("Pragma", "no-cache")


def json_response(status: int, document: object, *headers: tuple[str, str]) -> Response:
    """A JSON response serialised like the server did."""
    return Response(status, [_JSON, _NO_CACHE, *headers], odata.dumps(document))


def html_response(status: int, page: bytes, *headers: tuple[str, str]) -> Response:
    """An HTML page."""
    return Response(
        status, [("Content-Type", "text/html;charset=utf-8"), _NO_CACHE, *headers], page
    )


def text_response(status: int, text: str, *headers: tuple[str, str]) -> Response:
    """A ``text/plain`` response."""
    return Response(
        status, [("Content-Type", "text/plain;charset=utf-8"), _NO_CACHE, *headers], text.encode()
    )


# --------------------------------------------------------------------------- search
def _paging(request: Request) -> tuple[int, int] | Response:
    params = {**request.query, **request.form}
    try:
        start = int(params.get("start", "0"))
        rows = int(params.get("rows", "10"))
    except ValueError:
        return json_response(400, opensearch.error_feed("Invalid start or rows parameter"))
    if rows < 0 or rows > opensearch.MAX_ROWS or start < 0:
        message = (
            f"Invalid rows or start parameter: rows must be between 0 and {opensearch.MAX_ROWS}"
        )
        return json_response(400, opensearch.error_feed(message))
    return start, rows


def search(hub: LocalHub, request: Request) -> Response:
    """``search?format=json&rows=R&start=S[&orderby=...]`` with ``q`` in the form or the URL."""
    began = time.perf_counter()
    paging = _paging(request)
    if isinstance(paging, Response):
        return paging
    start, rows = paging
    params = {**request.query, **request.form}
    text = params.get("q", "")
    if java_urlencoded_length(text) > MAX_QUERY_LENGTH:
        return html_response(
            500, pages.too_long_query_page(), ("cause-message", pages.SOLR_413_CAUSE)
        )
    try:
        matches = hub.opensearch.matching(text, params.get("orderby"))
    except QueryError as error:
        return json_response(200, opensearch.error_feed(error.message))
    except MissingDependencyError as error:  # a footprint search without shapely
        return json_response(200, opensearch.error_feed(str(error)))
    elapsed = time.perf_counter() - began
    body = hub.opensearch.page_json(hub.url, text, start, rows, matches, elapsed)
    return Response(200, [_JSON, _NO_CACHE, ("Vary", "Accept-Encoding")], body)


# --------------------------------------------------------------------------- odata helpers
def _invalid_key(key: str, xml: bool = False) -> Response:
    message = odata.invalid_key_message(key)
    cause = ("cause-message", f"InvalidKeyException : {message}")
    if xml:
        body = odata.xml_error(message).encode()
        return Response(
            404, [("Content-Type", "application/xml"), _ODATA_V1, _NO_CACHE, cause], body
        )
    return json_response(404, odata.json_error(message), _ODATA_V1, cause)


def _xml_failure(status: int, cause: str) -> Response:
    message = cause.split(" : ", 1)[-1]
    body = odata.xml_error(message).encode()
    return Response(
        status,
        [("Content-Type", "application/xml"), _ODATA_V1, _NO_CACHE, ("cause-message", cause)],
        body,
    )


def product_entity(hub: LocalHub, request: Request, key: str) -> Response:
    """``Products('<id>')?$format=json[&$expand=Attributes]``."""
    product = hub.find_id(key)
    if product is None:
        return _invalid_key(key)
    expand = "attributes" in request.query.get("$expand", "").lower()
    algorithm, checksum = _checksum(hub, product)
    document = odata.product_entity(
        hub.url, product, product.online, checksum, expand, algorithm=algorithm
    )
    return json_response(200, document, _ODATA_V2, _VARY)


def _checksum(hub: LocalHub, product: Product) -> tuple[str, str]:
    """The ``Checksum`` to report: the MD5 (the recorded one for recorded products), or the
    SHA3-256 with the ``checksum_algorithm`` knob."""
    algorithm = hub.faults.checksum_algorithm
    if algorithm == "MD5":
        return algorithm, product.reported_md5
    return algorithm, product.content.digest(ALGORITHMS[algorithm])


def product_online(hub: LocalHub, request: Request, key: str) -> Response:
    """``Products('<id>')/Online/$value``: ``true`` or ``false``."""
    product = hub.find_id(key)
    if product is None:
        return _invalid_key(key, xml=True)
    return text_response(200, "true" if product.online else "false", _ODATA_V2)


def product_attribute(hub: LocalHub, request: Request, key: str, name: str) -> Response:
    """``Products('<id>')/Attributes('<name>')/Value/$value``."""
    product = hub.find_id(key)
    if product is None:
        return _invalid_key(key, xml=True)
    values = odata.attribute_values(product)
    if name not in values:
        return _xml_failure(404, f"InvalidKeyException : Invalid key ({name}) to access Attributes")
    return text_response(200, values[name][0], _ODATA_V2)


def quicklook(hub: LocalHub, request: Request, key: str) -> Response:
    """``Products('<id>')/Products('Quicklook')/$value``: a small JPEG, also for offline
    products; its ``ETag`` is the product's checksum, as the server sent it."""
    product = hub.find_id(key)
    if product is None:
        return _invalid_key(key, xml=True)
    data = quicklook_bytes(product.identifier)
    headers = [
        ("Content-Type", "image/jpeg"),
        ("Content-Disposition", f'inline;filename="{product.identifier}-ql.jpg"'),
        ("Accept-Ranges", "bytes"),
        ("Content-Range", f"bytes 0-{len(data) - 1}/{len(data)}"),
        ("ETag", product.reported_md5),
        _ODATA_V2,
        _NO_CACHE,
    ]
    return Response(200, headers, data)


# --------------------------------------------------------------------------- $value
_RANGE_RE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


def parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """Parse a single ``Range: bytes=A-B`` header against ``size`` bytes.

    Returns
    -------
    tuple, None or str
        ``(first, last)`` (inclusive) for a satisfiable range, ``None`` to serve the whole
        body (no header, several ranges or an invalid one) and ``"unsatisfiable"``.
    """
    if not header:
        return None
    match = _RANGE_RE.match(header)
    if not match or not (match.group(1) or match.group(2)):
        return None
    first_text, last_text = match.groups()
    if not first_text:
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            return "unsatisfiable"
        return max(size - suffix, 0), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if first >= size or last < first:
        return "unsatisfiable"
    return first, min(last, size - 1)


def _value_headers(hub: LocalHub, product: Product) -> list[tuple[str, str]]:
    filename = (
        hub.faults.hostile_filename
        if hub.faults.hostile_filename is not None
        else product.download_name
    )
    return [
        ("Content-Type", "application/octet-stream"),
        ("Content-Disposition", f'inline;filename="{filename}"'),
        ("Accept-Ranges", "bytes"),
        ("ETag", product.reported_md5),
        (
            "Last-Modified",
            product.creationdate.astimezone(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT"),
        ),
        _ODATA_V2,
        _NO_CACHE,
    ]


def _offline(hub: LocalHub, request: Request, product: Product) -> Response | None:
    outcome = hub.archive.request(
        product, request.user or "", hub.faults.lta_delay, hub.faults.lta_quota
    )
    if outcome == ACCEPTED:
        return Response(202, [("Content-Type", "text/plain"), _ODATA_V2, _NO_CACHE])
    if outcome == QUOTA_EXCEEDED:
        cause = (
            f"RetrievalQuotaException : User '{request.user}' offline products retrieval quota "
            f"exceeded ({hub.faults.lta_quota} fetches max) trigger retrieval"
        )
        return _xml_failure(403, cause)
    return None


def _ranged(
    hub: LocalHub,
    request: Request,
    size: int,
    headers: list[tuple[str, str]],
    read: Callable[[int, int], Iterable[bytes | memoryview]],
) -> Response:
    """A ``$value`` response of ``size`` bytes: 200, 206 for a ``Range`` or 416; a GET takes
    one of the user's download slots (403 when they are all in use)."""
    wanted = None if hub.faults.ignore_range else parse_range(request.headers.get("Range"), size)
    if wanted == "unsatisfiable":
        return Response(416, headers + [("Content-Range", f"bytes */{size}")])
    first, last = wanted if isinstance(wanted, tuple) else (0, size - 1)
    status = 206 if isinstance(wanted, tuple) else 200
    if size > 0:
        headers.append(("Content-Range", f"bytes {first}-{last}/{size}"))
    response = Response(status, headers, length=last - first + 1)
    if request.method != "GET":
        return response
    user = request.user or ""
    limit = hub.faults.max_concurrent_downloads
    if not hub.regulator.acquire(user, limit):
        return _xml_failure(
            403,
            "MediaRegulationException : An exception occured while creating a stream: Maximum number "
            f'of {limit} concurrent flows achieved by the user "{user}"',
        )
    response.chunks = read(first, last + 1)
    response.on_close = lambda: hub.regulator.release(user)
    return response


def product_value(hub: LocalHub, request: Request, key: str) -> Response:
    """``Products('<id>')/$value``: the product (200/206/416), 202 if offline, 403 if limited."""
    product = hub.find_id(key)
    if product is None:
        return _invalid_key(key, xml=True)
    if request.method == "GET" and not product.online:
        refusal = _offline(hub, request, product)
        if refusal is not None:
            return refusal
    return _ranged(
        hub,
        request,
        product.size,
        _value_headers(hub, product),
        lambda start, end: hub.served_bytes(product, start, end),
    )


# --------------------------------------------------------------------------- nodes
_NODE_NAME = re.compile(r"/Nodes\('([^']*)'\)")


def _node_failure(name: str, xml: bool) -> Response:
    message = f"Invalid key ({name}) to access Nodes"
    cause = ("cause-message", f"InvalidKeyException : {message}")
    if xml:
        return _xml_failure(404, cause[1])
    return json_response(404, odata.json_error(message), _ODATA_V1, cause)


def nodes(hub: LocalHub, request: Request, key: str, path_text: str, rest: str | None) -> Response:
    """``Products('<id>')/Nodes``, ``.../Nodes('<name>')[/Nodes('<name>')...]`` (an entity),
    ``.../Nodes('<folder>')/Nodes`` (its children) and ``.../Nodes('<file>')/$value``.

    An offline product's nodes are in the long term archive with it: a GET answers as a GET
    of the product's ``$value`` does (202 Accepted and a retrieval, or 403 over the quota).
    """
    value = rest == "/$value"
    product = hub.find_id(key)
    if product is None:
        return _invalid_key(key, xml=value or not _wants_json(request))
    path = tuple(_NODE_NAME.findall(path_text))
    if request.method == "GET" and not product.online:
        refusal = _offline(hub, request, product)
        if refusal is not None:
            return refusal
    node = find_node(product, path)
    if node is None:
        missing = next(
            name for depth, name in enumerate(path) if find_node(product, path[: depth + 1]) is None
        )
        return _node_failure(missing, xml=value or not _wants_json(request))
    if rest == "/Nodes" or not path:
        children = list(node.children.values())
        return json_response(
            200, odata.node_collection(hub.url, product.id, children), _ODATA_V2, _VARY
        )
    if not value:
        return json_response(
            200, {"d": odata.node_entity(hub.url, product.id, node)}, _ODATA_V2, _VARY
        )
    if node.is_folder:
        return _xml_failure(
            400, f"ODataApplicationException : Node {node.name} is a folder: it has no $value"
        )
    return _ranged(hub, request, node.size, _node_headers(node), _node_reader(hub, product, node))


def _wants_json(request: Request) -> bool:
    return request.query.get("$format", "").lower() == "json"


def _node_headers(node: Node) -> list[tuple[str, str]]:
    return [
        ("Content-Type", "application/octet-stream"),
        ("Content-Disposition", f'inline;filename="{node.name}"'),
        ("Accept-Ranges", "bytes"),
        ("ETag", f"{node.name}-{node.size}"),
        _ODATA_V2,
        _NO_CACHE,
    ]


def _node_reader(
    hub: LocalHub, product: Product, node: Node
) -> Callable[[int, int], Iterable[bytes | memoryview]]:
    """The bytes of a file node: a slice of the product as served (with the ``corrupt``
    fault) for a stored member or a product that is one file, else its own bytes."""
    archive_file = node.file
    if archive_file is None:
        return lambda start, end: hub.served_bytes(product, start, end)
    if archive_file.offset is not None:
        offset = archive_file.offset
        return lambda start, end: hub.served_bytes(product, offset + start, offset + end)
    data = memoryview(archive_file.data or b"")
    return lambda start, end: iter((data[start:end],))


# --------------------------------------------------------------------------- misc
def stub_version(hub: LocalHub, request: Request) -> Response:
    """``api/stub/version``: ``{"value":"2.4.1"}`` (the ``dhus_version`` knob; empty: 404)."""
    if not hub.faults.dhus_version:
        return Response(
            404,
            [("Content-Type", "text/html; charset=UTF-8"), _ODATA_V2, _NO_CACHE, _VARY],
            pages.not_found_page(),
        )
    return Response(
        200,
        [("Content-Type", "text/html"), _ODATA_V2, _NO_CACHE, _VARY],
        json.dumps({"value": hub.faults.dhus_version}, separators=(",", ":")).encode(),
    )


_PRODUCT = r"/odata/v1/Products\('([^']*)'\)"
ROUTES: list[tuple[re.Pattern[str], Callable[..., Response]]] = [
    (re.compile(r"^/search/?$"), search),
    (re.compile(rf"^{_PRODUCT}/?$"), product_entity),
    (re.compile(rf"^{_PRODUCT}/\$value$"), product_value),
    (re.compile(rf"^{_PRODUCT}/Online/\$value$"), product_online),
    (re.compile(rf"^{_PRODUCT}/Products\('Quicklook'\)/\$value$"), quicklook),
    (re.compile(rf"^{_PRODUCT}/Attributes\('([^']*)'\)/Value/\$value$"), product_attribute),
    (re.compile(rf"^{_PRODUCT}((?:/Nodes\('[^']*'\))*)(/Nodes|/\$value)?/?$"), nodes),
    (re.compile(r"^/api/stub/version$"), stub_version),
]


def realm(path: str) -> str:
    """The HTTP basic realm the server announced for ``path``."""
    if path.startswith("/odata"):
        return "OData service"
    if path.startswith("/api/stub"):
        return "Sentinels Scientific Data Hub Stub"
    if path.startswith("/search"):
        return "Sentinels Scientific Data Hub Search"
    return "Sentinels Scientific Data Hub"


def dispatch(hub: LocalHub, request: Request) -> Response:
    """Route a request to its endpoint (404 page for unknown paths)."""
    for pattern, handler in ROUTES:
        match = pattern.match(request.path)
        if match:
            return handler(hub, request, *match.groups())
    return html_response(404, pages.not_found_page())
