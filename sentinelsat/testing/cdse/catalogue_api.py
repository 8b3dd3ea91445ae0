"""The catalogue server of the local CDSE: the anonymous OData API under ``/odata/v1/``."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ..content import quicklook_bytes
from ..routes import Response
from ..server import HTTPRequest
from .entries import COLLECTION_ATTRIBUTES, Entry
from .filters import FilterError
from .responses import (
    CDSEApplication,
    catalogue_error,
    json_answer,
    nginx_page,
    validation_error,
    validation_item,
)

if TYPE_CHECKING:
    from .emulator import LocalCDSE

MAX_TOP = 1000
DEFAULT_TOP = 20
MAX_SKIP = 10000
EXPANSIONS = ("Attributes", "Assets", "Locations")
ORDER_FIELDS = ("ContentDate/Start", "ContentDate/End", "PublicationDate", "ModificationDate")
SELECTABLE = (
    "Id", "Name", "ContentType", "ContentLength", "OriginDate", "PublicationDate",
    "ModificationDate", "Online", "EvictionDate", "S3Path", "Checksum", "ContentDate",
    "Footprint", "GeoFootprint",
)  # fmt: skip
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TRUE, _FALSE = ("1", "on", "t", "true", "y", "yes"), ("0", "off", "f", "false", "n", "no")
_BASE = "/odata/v1/"


class BadRequest(Exception):
    """A query option the catalogue refuses: ``answer`` is the response to send."""

    def __init__(self, answer: Response):
        super().__init__(answer.status)
        self.answer = answer


def is_uuid(text: str) -> bool:
    """Whether a key is a product id (a UUID without quotes)."""
    return bool(_UUID.match(text))


def uuid_error(key: str, location: str = "path") -> Response:
    """422 for a key that is not a UUID, as the service's validation answers it."""
    return validation_error(
        validation_item("uuid_parsing", (location, "Id"), "Input should be a valid UUID", key)
    )


# --------------------------------------------------------------------------- query options
def _last(pairs: Sequence[tuple[str, str]], name: str) -> str | None:
    found = None
    for key, value in pairs:
        if key == name:
            found = value
    return found


def _bounded_int(
    pairs: Sequence[tuple[str, str]], name: str, default: int, low: int, high: int
) -> tuple[int, list[Any]]:
    text = _last(pairs, name)
    if text is None:
        return default, []
    if not re.fullmatch(r"\s*[+-]?\d+\s*", text):
        message = "Input should be a valid integer, unable to parse string as an integer"
        return default, [validation_item("int_parsing", ("query", name), message, text)]
    value = int(text)
    if value > high:
        message = f"Input should be less than or equal to {high}"
        return default, [
            validation_item("less_than_equal", ("query", name), message, text, le=high)
        ]
    if value < low:
        message = f"Input should be greater than or equal to {low}"
        return default, [
            validation_item("greater_than_equal", ("query", name), message, text, ge=low)
        ]
    return value, []


def _count_option(pairs: Sequence[tuple[str, str]]) -> tuple[bool, list[Any]]:
    text = _last(pairs, "$count")
    if text is None or text.strip().lower() in _FALSE:
        return False, []
    if text.strip().lower() in _TRUE:
        return True, []
    message = "Input should be a valid boolean, unable to interpret input"
    return False, [validation_item("bool_parsing", ("query", "$count"), message, text)]


def paging(cdse: LocalCDSE, pairs: Sequence[tuple[str, str]]) -> tuple[int, int, bool]:
    """``($top, $skip, $count)``; :class:`BadRequest` (422) for values out of range."""
    top, top_errors = _bounded_int(
        pairs, "$top", DEFAULT_TOP, 0 if cdse.faults.allow_top_zero else 1, MAX_TOP
    )
    skip, skip_errors = _bounded_int(pairs, "$skip", 0, 0, MAX_SKIP)
    count, count_errors = _count_option(pairs)
    errors = top_errors + skip_errors + count_errors
    if errors:
        raise BadRequest(validation_error(*errors))
    return top, skip, count


def expansions(cdse: LocalCDSE, pairs: Sequence[tuple[str, str]]) -> list[str]:
    """The ``$expand`` names, repeated or comma separated, in request order."""
    names: list[str] = []
    for key, value in pairs:
        if key != "$expand":
            continue
        for name in (part.strip() for part in value.split(",")):
            if name not in EXPANSIONS:
                raise BadRequest(
                    catalogue_error(cdse.faults, 400, f"Invalid $expand value {name!r}")
                )
            if name not in names:
                names.append(name)
    return names


def selection(cdse: LocalCDSE, pairs: Sequence[tuple[str, str]]) -> list[str] | None:
    """The ``$select`` fields (``None``: all), ``Id`` always first."""
    text = _last(pairs, "$select")
    if text is None or text.strip() == "*":
        return None
    known = {name.lower(): name for name in SELECTABLE}
    chosen = ["Id"]
    for part in (part.strip() for part in text.split(",")):
        name = known.get(part.lower())
        if name is None:
            raise BadRequest(catalogue_error(cdse.faults, 400, f"Invalid $select field {part!r}"))
        if name not in chosen:
            chosen.append(name)
    return chosen


def order(cdse: LocalCDSE, pairs: Sequence[tuple[str, str]]) -> tuple[tuple[str, bool], ...]:
    """The ``$orderby`` fields as ``(field, descending)`` pairs."""
    text = _last(pairs, "$orderby")
    if text is None or not text.strip():
        return ()
    fields = []
    for clause in text.split(","):
        words = clause.split()
        if (
            not words
            or len(words) > 2
            or words[0] not in ORDER_FIELDS
            or (len(words) == 2 and words[1] not in ("asc", "desc"))
        ):
            fields_text = ", ".join(ORDER_FIELDS)
            message = f"Invalid $orderby {clause.strip()!r}: use {fields_text} with asc or desc"
            raise BadRequest(catalogue_error(cdse.faults, 400, message))
        fields.append((words[0], len(words) == 2 and words[1] == "desc"))
    return tuple(fields)


def filter_text(cdse: LocalCDSE, pairs: Sequence[tuple[str, str]]) -> str:
    text = _last(pairs, "$filter") or ""
    if len(text) > cdse.faults.max_filter_length:
        raise BadRequest(nginx_page(414))
    return text


def context(expand: Sequence[str], entity: bool = False) -> str:
    """The ``@odata.context`` of a list or an entity with these expansions."""
    inner = f"({','.join(f'{name}()' for name in expand)})" if expand else ""
    return f"$metadata#Products{inner}{'/$entity' if entity else ''}"


def next_link(cdse: LocalCDSE, pairs: Sequence[tuple[str, str]], skip: int) -> str:
    """The absolute, form-encoded link of the next page: the request's options in their order,
    with ``$skip`` replaced (or added last)."""
    options = [(key, str(skip) if key == "$skip" else value) for key, value in pairs]
    if not any(key == "$skip" for key, _ in options):
        options.append(("$skip", str(skip)))
    return f"{cdse.url}Products?{urlencode(options)}"


# --------------------------------------------------------------------------- rendering
def render(cdse: LocalCDSE, entry: Entry, expand: Sequence[str], select: list[str] | None) -> bytes:
    checksums = cdse.faults.checksums
    if select is None:
        return entry.render(cdse.url, checksums, expand)
    fields = entry.fields(checksums)
    document: dict[str, Any] = {"@odata.mediaContentType": fields["@odata.mediaContentType"]}
    document.update((name, fields[name]) for name in select)
    for name in expand:
        document[name] = json.loads(entry.render(cdse.url, checksums, [name]))[name]
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _list_body(head: dict[str, Any], rows: list[bytes], link: str | None) -> bytes:
    opening = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    closing = (
        ""
        if link is None
        else "," + json.dumps({"@odata.nextLink": link}, separators=(",", ":"))[1:-1]
    )
    return b"".join(
        [opening.encode(), b',"value":[', b",".join(rows), b"]", closing.encode(), b"}"]
    )


# --------------------------------------------------------------------------- the server
class CatalogueApplication(CDSEApplication):
    """``/odata/v1/``: Products (list, entity, ``$value`` redirect, FilterList), Attributes
    and Assets (quicklooks)."""

    name = "catalogue"

    def route(self, request: HTTPRequest) -> Response:
        path = request.path
        if not path.startswith(_BASE):
            return json_answer(404, {"detail": "Not Found"})
        self.cdse.identify(request)
        resource = path[len(_BASE) :]
        try:
            if resource == "Products/OData.CSC.FilterList":
                return self._only(request, "POST") or self.filter_list(request)
            if resource in ("Products", "Products/"):
                return self._only(request, "GET") or self.products(request)
            match = re.fullmatch(r"Products\(([^()]*)\)(/\$value)?", resource)
            if match:
                if match.group(2):
                    return self._only(request, "GET", "HEAD") or self.redirect(
                        request, match.group(1)
                    )
                return self._only(request, "GET") or self.entity(request, match.group(1))
            match = re.fullmatch(r"Attributes\(([^()]*)\)", resource)
            if match:
                return self._only(request, "GET") or self.attributes(match.group(1))
            match = re.fullmatch(r"Assets\(([^()]*)\)/\$value", resource)
            if match:
                return self._only(request, "GET", "HEAD") or self.quicklook(match.group(1))
        except BadRequest as refusal:
            return refusal.answer
        return json_answer(404, {"detail": "Not Found"})

    @staticmethod
    def _only(request: HTTPRequest, *methods: str) -> Response | None:
        if request.method in methods:
            return None
        return json_answer(405, {"detail": "Method Not Allowed"}, ("Allow", ", ".join(methods)))

    def products(self, request: HTTPRequest) -> Response:
        """``Products?$filter=...&$orderby=...&$top=...&$skip=...&$count=...&$expand=...``."""
        cdse, pairs = self.cdse, request.pairs
        top, skip, count = paging(cdse, pairs)
        expand, select = expansions(cdse, pairs), selection(cdse, pairs)
        text, ordering = filter_text(cdse, pairs), order(cdse, pairs)
        try:
            matches = cdse.search(text, ordering)
        except FilterError as error:
            return catalogue_error(cdse.faults, 400, str(error))
        page = matches[skip : skip + top]
        head: dict[str, Any] = {"@odata.context": context(expand)}
        if count:
            head["@odata.count"] = len(matches)
        following = skip + top
        link = None
        if top > 0 and following < len(matches) and following <= MAX_SKIP:
            link = next_link(cdse, pairs, following)
        rows = [render(cdse, entry, expand, select) for entry in page]
        return Response(200, [("Content-Type", "application/json")], _list_body(head, rows, link))

    def entity(self, request: HTTPRequest, key: str) -> Response:
        """``Products(<uuid>)`` with ``$expand`` and ``$select``."""
        if not is_uuid(key):
            return uuid_error(key)
        entry = self.cdse.entry_by_id(key.lower())
        if entry is None:
            return catalogue_error(self.cdse.faults, 404, f"Product {key} not found")
        expand, select = expansions(self.cdse, request.pairs), selection(self.cdse, request.pairs)
        body = render(self.cdse, entry, expand, select)
        prefix = json.dumps({"@odata.context": context(expand, entity=True)})[:-1].encode()
        return Response(200, [("Content-Type", "application/json")], prefix + b"," + body[1:])

    def redirect(self, request: HTTPRequest, key: str) -> Response:
        """``Products(<uuid>)/$value``: a redirect to the same path on the download host."""
        if not is_uuid(key):
            return uuid_error(key)
        if self.cdse.entry_by_id(key.lower()) is None:
            return catalogue_error(self.cdse.faults, 404, f"Product {key} not found")
        location = f"{self.cdse.download_url}Products({key})/$value"
        query = urlencode(request.pairs)
        if query and self.cdse.faults.redirect_keeps_query:
            location += "?" + query
        return Response(self.cdse.faults.redirect_status, [("Location", location)])

    def filter_list(self, request: HTTPRequest) -> Response:
        """``POST Products/OData.CSC.FilterList`` with ``{"FilterProducts": [{"Name": ...}]}``."""
        try:
            document = json.loads(request.body or b"null")
        except ValueError:
            text = request.body.decode("utf-8", "replace")
            return validation_error(
                validation_item("json_invalid", ("body", "0"), "JSON decode error", text)
            )
        wanted = document.get("FilterProducts") if isinstance(document, dict) else None
        if not isinstance(wanted, list) or not all(
            isinstance(item, dict) and isinstance(item.get("Name"), str) for item in wanted
        ):
            return validation_error(
                validation_item("missing", ("body", "FilterProducts"), "Field required", document)
            )
        expand, select = expansions(self.cdse, request.pairs), selection(self.cdse, request.pairs)
        found = [self.cdse.entry_by_name(item["Name"]) for item in wanted]
        rows = [render(self.cdse, entry, expand, select) for entry in found if entry is not None]
        body = _list_body({"@odata.context": context(expand)}, rows, None)
        return Response(200, [("Content-Type", "application/json")], body)

    def attributes(self, collection: str) -> Response:
        """``Attributes(<collection>)``: the names and value types of its attributes."""
        table = COLLECTION_ATTRIBUTES.get(collection)
        if table is None:
            faults = self.cdse.faults
            return catalogue_error(
                faults,
                faults.unknown_collection_status,
                f"Collection {collection!r} does not exist",
            )
        return json_answer(
            200, [{"Name": name, "ValueType": kind} for name, kind in sorted(table.items())]
        )

    def quicklook(self, key: str) -> Response:
        """``Assets(<uuid>)/$value``: the quicklook JPEG of a product."""
        entry = self.cdse.entry_by_asset(key.lower())
        if entry is None:
            return catalogue_error(self.cdse.faults, 404, f"Asset {key} not found")
        data = quicklook_bytes(entry.product.identifier)
        return Response(200, [("Content-Type", "image/jpeg")], data)
