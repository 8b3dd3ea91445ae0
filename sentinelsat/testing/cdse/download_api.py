"""The download server of the local CDSE: ``Products(<uuid>)/$value`` and the Nodes API."""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Callable

from ..archive import DownloadRegulator
from ..routes import Response, parse_range
from ..server import HTTPRequest
from .catalogue_api import is_uuid
from .entries import Entry
from .nodes import Node, member_bytes
from .responses import CDSEApplication, json_answer

if TYPE_CHECKING:
    from .emulator import LocalCDSE

_BASE = "/odata/v1/"
_PRODUCT = re.compile(r"^Products\(([^()]*)\)((?:/Nodes\([^()]*\))*)(/Nodes|/\$value)?$")
_NODE = re.compile(r"/Nodes\(([^()]*)\)")
TOKEN_MISSING = {"code": "DAT-ZIP-604", "message": "Token not found"}
TOKEN_EXPIRED = {"code": "DAT-ZIP-604", "message": "Token expired"}
INVALID_ID = {"code": "DAT-ZIP-111", "message": "Invalid product id"}
NOT_FOUND = {"code": "DAT-ZIP-404", "message": "Product not found"}


class PeakRegulator(DownloadRegulator):
    """A :class:`~sentinelsat.testing.archive.DownloadRegulator` that also keeps the largest
    number of downloads each user had in progress at once."""

    def __init__(self) -> None:
        super().__init__()
        self._peaks: Counter[str] = Counter()
        self._peak_lock = threading.Lock()

    def acquire(self, user: str, limit: int) -> bool:
        taken = super().acquire(user, limit)
        if taken:
            with self._peak_lock:
                self._peaks[user] = max(self._peaks[user], self.active(user))
        return taken

    @property
    def peaks(self) -> dict[str, int]:
        """``{user: peak number of concurrent downloads}``."""
        with self._peak_lock:
            return dict(self._peaks)


class DownloadApplication(CDSEApplication):
    """``/odata/v1/Products(<uuid>)/$value`` (Bearer token) and ``.../Nodes(...)`` listings
    (anonymous) and ``.../Nodes(<file>)/$value`` (Bearer token)."""

    name = "download"

    def __init__(self, cdse: LocalCDSE):
        super().__init__(cdse)
        self._trace = random.Random(f"sentinelsat-cdse-trace:{cdse.seed}")
        self._trace_lock = threading.Lock()

    def route(self, request: HTTPRequest) -> Response:
        match = (
            _PRODUCT.match(request.path[len(_BASE) :]) if request.path.startswith(_BASE) else None
        )
        if match is None or match.group(3) is None:
            return json_answer(404, {"detail": "Not Found"})
        if request.method not in ("GET", "HEAD"):
            return json_answer(405, {"detail": "Method Not Allowed"}, ("Allow", "GET, HEAD"))
        key, nodes, tail = match.groups()
        names = _NODE.findall(nodes)
        if tail == "/Nodes":
            return self.listing(key, names)
        refusal = self.authorize(request)
        if refusal is not None:
            return refusal
        if not is_uuid(key):
            return json_answer(422, INVALID_ID)
        entry = self.cdse.entry_by_id(key.lower())
        if entry is None:
            return json_answer(404, NOT_FOUND)
        if not entry.online:
            message = f"Product {entry.name} is offline: order it from the Data Workspace"
            return json_answer(
                self.cdse.faults.offline_status, {"code": "DAT-ZIP-403", "message": message}
            )
        if names:
            return self.node_value(request, entry, names)
        return self.product_value(request, entry)

    # ---- authorization and limits
    def authorize(self, request: HTTPRequest) -> Response | None:
        """401 unless a live access token came in ``Authorization: Bearer`` or ``?token=``."""
        user, state = self.cdse.identify(request)
        if user is not None:
            return None
        return json_answer(401, TOKEN_EXPIRED if state == "expired" else TOKEN_MISSING)

    def _too_many(self) -> Response:
        with self._trace_lock:
            trace = f"{self._trace.getrandbits(128):032x}"
        limit = self.cdse.faults.max_concurrent_downloads
        body = {
            "trace-id": trace,
            "code": "DAT-ZIP-100",
            "message": f"Max session number {limit} exceeded",
        }
        return json_answer(429, body)

    def _ranged(
        self, request: HTTPRequest, size: int, headers: list[tuple[str, str]]
    ) -> tuple[Response, int, int]:
        """The status, headers and byte span of a (possibly ranged) answer of ``size`` bytes."""
        faults = self.cdse.faults
        if faults.accept_ranges:
            headers.append(("Accept-Ranges", "bytes"))
        wanted = None if faults.ignore_range else parse_range(request.headers.get("Range"), size)
        if wanted == "unsatisfiable":
            return Response(416, headers + [("Content-Range", f"bytes */{size}")]), 0, -1
        first, last = wanted if isinstance(wanted, tuple) else (0, size - 1)
        status = 206 if isinstance(wanted, tuple) else 200
        if status == 206 and faults.content_range:
            headers.append(("Content-Range", f"bytes {first}-{last}/{size}"))
        return Response(status, headers, length=last - first + 1), first, last

    def _start(
        self,
        request: HTTPRequest,
        response: Response,
        chunks: Callable[[], Iterator[bytes | memoryview]],
    ) -> Response:
        """Take a download slot of the user for a GET body (429 when none is free)."""
        if request.method != "GET" or response.status == 416:
            return response
        user = request.user or ""
        regulator = self.cdse.regulator
        if not regulator.acquire(user, self.cdse.faults.max_concurrent_downloads):
            return self._too_many()
        response.chunks = chunks()
        response.on_close = lambda: regulator.release(user)
        return response

    # ---- products
    def product_value(self, request: HTTPRequest, entry: Entry) -> Response:
        """The product's bytes: 200, 206 for a ``Range``, 416, HEAD; 429 over the limit."""
        faults = self.cdse.faults
        product = entry.product
        headers = [("Content-Type", faults.download_content_type)]
        if faults.disposition != "none":
            filename = f"{entry.stem if faults.disposition == 'stem' else entry.name}.zip"
            headers.append(("Content-Disposition", f'attachment; filename="{filename}"'))
        response, first, last = self._ranged(request, product.size, headers)
        return self._start(
            request, response, lambda: self.cdse.served_bytes(entry, first, last + 1)
        )

    # ---- nodes
    def _node(self, entry: Entry, names: list[str]) -> Node | None:
        node: Node | None = self.cdse.node_tree(entry)
        if not names or node is None or names[0] != node.name:
            return None
        for name in names[1:]:
            node = node.child(name)
            if node is None:
                return None
        return node

    def listing(self, key: str, names: list[str]) -> Response:
        """``Products(<uuid>)/Nodes`` (the product's folder) and ``.../Nodes(<name>)/Nodes``."""
        if not is_uuid(key):
            return json_answer(422, INVALID_ID)
        entry = self.cdse.entry_by_id(key.lower())
        if entry is None:
            return json_answer(404, NOT_FOUND)
        base = f"{self.cdse.download_url}Products({key})"
        if not names:
            root = self.cdse.node_tree(entry)
            return json_answer(200, {"result": [_node_json(root, base)]})
        node = self._node(entry, names)
        if node is None:
            return json_answer(404, {"detail": "Node not found"})
        parent = base + "".join(f"/Nodes({name})" for name in names)
        children = (
            [] if node.is_file else [_node_json(child, parent) for child in node.children.values()]
        )
        return json_answer(200, {"result": children})

    def node_value(self, request: HTTPRequest, entry: Entry, names: list[str]) -> Response:
        """``.../Nodes(<file>)/$value``: a file of the product (ranges allowed)."""
        node = self._node(entry, names)
        if node is None or node.member is None:
            return json_answer(404, {"detail": "Node not found"})
        member = node.member
        response, first, last = self._ranged(
            request, member.file_size, [("Content-Type", "application/octet-stream")]
        )
        content = entry.product.content
        return self._start(
            request, response, lambda: member_bytes(content, member, first, last + 1)
        )


def _node_json(node: Node, parent_uri: str) -> dict[str, Any]:
    return {
        "Id": node.name,
        "Name": node.name,
        "ContentLength": node.size,
        "ChildrenNumber": len(node.children),
        "Nodes": {"uri": f"{parent_uri}/Nodes({node.name})/Nodes"},
    }
