"""A server on 127.0.0.1 in front of a :class:`LocalHub` that changes some of its answers.

Every request is passed to the hub (credentials included) and its answer sent back, except
for the paths a rewrite rule claims: such a rule gets the hub's answer and returns the one to
send. The tests use it for what the hub never does: a hostile manifest (hrefs that lead out of
the product's folder), a quicklook that is not a JPEG.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import requests
from kit import BackgroundServer

from sentinelsat.testing import LocalHub


@dataclass
class Answer:
    """An HTTP answer: status, headers and body."""

    status: int
    headers: dict[str, str]
    body: bytes


Rule = Callable[[str, Answer], Answer]  # (path, the hub's answer) -> the answer to send


@dataclass
class RewritingProxy:
    """Parameters
    ----------
    hub : LocalHub
        The running hub behind the proxy.
    rules : list of (pattern, rule)
        A rule rewrites the answers to the paths its regular expression matches (searched).
    """

    hub: LocalHub
    rules: list[tuple[str, Rule]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server = BackgroundServer(_handler(self))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}/"

    def __enter__(self) -> RewritingProxy:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    def answer(self, method: str, path: str, headers: dict[str, str]) -> Answer:
        self.paths.append(path)
        forwarded = {
            name: value
            for name, value in headers.items()
            if name.lower() in ("authorization", "range", "user-agent")
        }
        response = requests.request(
            method, self.hub.url.rstrip("/") + path, headers=forwarded, timeout=30
        )
        kept = ("content-type", "content-disposition", "content-range", "cause-message", "etag")
        answer = Answer(
            response.status_code,
            {name: value for name, value in response.headers.items() if name.lower() in kept},
            response.content,
        )
        for pattern, rule in self.rules:
            if re.search(pattern, path):
                return rule(path, answer)
        return answer


def _handler(proxy: RewritingProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _serve(self, method: str) -> None:
            answer = proxy.answer(method, self.path, dict(self.headers.items()))
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(answer.body)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_HEAD(self) -> None:
            self._serve("HEAD")

        def do_POST(self) -> None:  # searches: not needed by these tests
            self.send_error(405)

    return Handler
