"""Answers shared by the three servers of the local CDSE: JSON, error bodies, nginx pages,
and the pipeline (latency, maintenance, errors) every request goes through first."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TextIO

from ..routes import Response
from ..server import HTTPRequest, LogRecord

if TYPE_CHECKING:
    from .emulator import LocalCDSE
    from .faults import CDSEFaults

_JSON = ("Content-Type", "application/json")
_NGINX_TITLES = {
    404: "Not Found",
    405: "Not Allowed",
    414: "Request-URI Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
}


def json_answer(status: int, document: Any, *headers: tuple[str, str]) -> Response:
    """A compact JSON answer, serialised as the CDSE services do."""
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, [_JSON, *headers], body)


def nginx_page(status: int) -> Response:
    """The HTML page the front proxy answers with (414, 502, 503...)."""
    title = f"{status} {_NGINX_TITLES.get(status, 'Error')}"
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1>"
        "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    return Response(status, [("Content-Type", "text/html")], page.encode())


def catalogue_error(faults: CDSEFaults, status: int, message: str) -> Response:
    """A catalogue error (bad ``$filter``, unknown id...) in the body shape of ``error_body``."""
    if faults.error_body == "odata":
        return json_answer(status, {"error": {"code": str(status), "message": message}})
    if faults.error_body == "text":
        return Response(status, [("Content-Type", "text/plain; charset=utf-8")], message.encode())
    return json_answer(status, {"detail": message})


def validation_error(*errors: dict[str, Any]) -> Response:
    """A 422 with the body of a failed pydantic validation (``{"detail": [...]}``)."""
    return json_answer(422, {"detail": list(errors)})


def validation_item(kind: str, location: tuple[str, str], message: str, value: Any,
                    **context: Any) -> dict[str, Any]:  # fmt: skip
    """One error of :func:`validation_error` (``type``, ``loc``, ``msg``, ``input``, ``ctx``)."""
    item: dict[str, Any] = {"type": kind, "loc": list(location), "msg": message, "input": value}
    if context:
        item["ctx"] = context
    return item


class CDSEApplication:
    """The part common to the catalogue, identity and download servers of a LocalCDSE."""

    name = ""
    server_version = "nginx"

    def __init__(self, cdse: LocalCDSE):
        self.cdse = cdse

    @property
    def faults(self) -> CDSEFaults:
        return self.cdse.faults

    @property
    def access_log(self) -> TextIO | None:
        return self.cdse.access_log

    def record(self, entry: LogRecord) -> None:
        self.cdse.record(entry)

    def wait(self, seconds: float) -> None:
        self.cdse.wait(seconds)

    def failure(self) -> Response:
        return json_answer(500, {"detail": "Internal Server Error"})

    def respond(self, request: HTTPRequest) -> Response:
        faults = self.cdse.faults
        if faults.latency > 0:
            self.cdse.wait(faults.latency)
        if faults.maintenance:
            return nginx_page(503)
        if self.name in faults.error_servers:
            status = self.cdse.draw_error(faults.error_rate)
            if status == 500:
                return self.failure()
            if status:
                return nginx_page(status)
        return self.route(request)

    def route(self, request: HTTPRequest) -> Response:
        """Answer a request that passed the common faults."""
        raise NotImplementedError
