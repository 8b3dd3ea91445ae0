"""Server backends: how one protocol is spoken.

:class:`~sentinelsat.SentinelAPI` is protocol-agnostic: it turns what the user asks into calls
of a :class:`Backend`, and the engines below it (paging, downloads, batches, integrity checks)
work through the same interface. A backend knows its server's URLs, how a query is written and
paged, the shapes of its answers, how it authenticates, and how it says "offline", "too many
downloads" or "quota exceeded". Nothing outside a backend knows a URL.

Backends:

- ``"dhus"`` (:class:`~sentinelsat.backends.dhus.DHuSBackend`): the Data Hub Software of the
  former Copernicus Open Access Hub and its mirrors (OpenSearch and OData v2). The default.
- ``"cdse"`` (:class:`~sentinelsat.backends.cdse.CDSEBackend`): the Copernicus Data Space
  Ecosystem (OData v4 and tokens), chosen for its catalogue URL
  (``https://catalogue.dataspace.copernicus.eu/odata/v1/``, or any URL that ends in
  ``/odata/v1/``).
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:  # pragma: no cover - light at run time: the command line imports this package
    import requests
    from urllib3.util.retry import Retry

    from ..sessions import Connection

from ..exceptions import NotSupportedError

#: Called with the query as sent and each search answer, in page order.
SearchObserver = Callable[[str, "requests.Response"], None]

Info = dict[str, Any]


@dataclass(frozen=True)
class Criteria:
    """What a search asks for, in the terms of :meth:`sentinelsat.SentinelAPI.query`."""

    area: str | None = None
    date: Any = None
    raw: str | None = None
    area_relation: str = "Intersects"
    keywords: dict[str, Any] = field(default_factory=dict)


class Backend(ABC):
    """The protocol of one kind of server.

    Parameters
    ----------
    api_url : str
        The server's API URL, ending with ``/``.
    """

    #: The name of the backend (``SentinelAPI(..., backend=name)``).
    name: str = ""
    #: Results per search request.
    page_size: int = 100
    #: Features the server has no use for, which the command line refuses as usage errors:
    #: ``"version"`` (the version of the server's software, ``--info``) and ``"retrieval"``
    #: (ordering offline products from an archive, ``--lta-timeout``, ``--lta-retry-delay``).
    lacks: frozenset[str] = frozenset()

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.api_url!r})"

    @property
    def credentials_url(self) -> str:
        """A URL of the server that takes the user's credentials (whose ``~/.netrc`` entry is
        used when none are given): the API URL, unless the server has an identity service."""
        return self.api_url

    # ------------------------------------------------------------------ sessions
    @abstractmethod
    def create_session(
        self,
        user: str | None,
        password: str | None,
        user_agent: str,
        retry: Retry,
        session: requests.Session | None = None,
    ) -> requests.Session:
        """The session of a client: its credentials (bound to this server's hosts), User-Agent
        and transport. A given ``session`` (e.g. with a test transport) is configured instead
        of a new one."""

    # ------------------------------------------------------------------ searching
    def check_criteria(self, criteria: Criteria) -> None:  # noqa: B027 - optional
        """Raise the ``ValueError`` that searching ``criteria`` would raise, without sending
        anything (the command line reports it as a usage error)."""

    @abstractmethod
    def search(
        self,
        connection: Connection,
        criteria: Criteria,
        order_by: str | None,
        limit: int | None,
        offset: int,
        observe: SearchObserver | None = None,
    ) -> OrderedDict[str, Info]:
        """Products matching ``criteria``: id → attributes, in the server's order."""

    @abstractmethod
    def count(
        self, connection: Connection, criteria: Criteria, observe: SearchObserver | None = None
    ) -> int:
        """The number of products matching ``criteria``."""

    @abstractmethod
    def search_names(self, connection: Connection, names: Iterable[str]) -> dict[str, list[str]]:
        """The ids of the products named ``names`` (identifiers, without extension)."""

    # ------------------------------------------------------------------ metadata
    @abstractmethod
    def product_info(self, connection: Connection, product_id: str, full: bool = False) -> Info:
        """A product's description with sentinelsat 0.13's keys (``id``, ``title``, ``size``,
        ``md5``, ``date``, ``footprint``, ``url``, ``Online``, ``Creation Date``, ``Ingestion
        Date``), plus every attribute with ``full``."""

    # ------------------------------------------------------------------ downloads
    @abstractmethod
    def download_url(self, info: Info) -> str:
        """The URL of a product's bytes (``Range`` requests allowed)."""

    @abstractmethod
    def trigger_retrieval(self, connection: Connection, info: Info) -> None:
        """Ask for an offline product's retrieval from the long term archive.

        Raises
        ------
        SentinelAPILTAError
            The server refused (quota, not accepted); or it cannot retrieve products.
        ServerLimitError
            The user's concurrent downloads are exhausted (retry later).
        """

    @abstractmethod
    def refusal(self, response: requests.Response, offline: bool = False) -> Exception:
        """The exception for a product request the server refused (its answer not read yet):
        a ``ServerLimitError`` for "too many downloads", an ``SentinelAPILTAError`` for an
        archive refusal, another ``SentinelAPIError`` otherwise."""

    def file_extension(self, info: Info, server_filename: str | None) -> str:
        """The extension of a product's file, from the file name the server gives it
        (``Content-Disposition``): ``.zip`` for SAFE products."""
        from ..files import extension_for

        return extension_for(info.get("title"), server_filename)

    def is_accepted_retrieval(self, response: requests.Response) -> bool:
        """Whether a download answer says the product went offline and its retrieval was
        accepted instead (DHuS: 202)."""
        return response.status_code == 202

    # ------------------------------------------------------------------ optional features
    # What sentinelsat 1.x added. A backend whose server lacks a feature keeps these
    # defaults, which raise NotSupportedError (a SentinelAPIError and a NotImplementedError).
    def unsupported(self, feature: str) -> NotSupportedError:
        """The error for a feature this server does not offer."""
        return NotSupportedError(
            f"{feature} is not supported by this server ({self.name or type(self).__name__} "
            f"backend, {self.api_url})"
        )

    def request_retrieval(self, connection: Connection, info: Info) -> bool:
        """Ask for a product's retrieval from the long term archive, telling whether it was
        needed.

        Returns
        -------
        bool
            ``True`` when the retrieval was accepted (the product is offline), ``False`` when
            the product turned out to be online. The default calls :meth:`trigger_retrieval`
            and returns ``True``.

        Raises
        ------
        SentinelAPILTAError
            The server refused (quota, not accepted).
        ServerLimitError
            The user's concurrent downloads are exhausted (retry later).
        """
        self.trigger_retrieval(connection, info)
        return True

    def stream_url(self, connection: Connection, product_id: str) -> str:
        """The URL of a product's bytes, from its id (the default asks for its info)."""
        return self.download_url(self.product_info(connection, product_id))

    def is_online(self, connection: Connection, product_id: str) -> bool:
        """Whether a product can be downloaded now (not in the long term archive)."""
        raise self.unsupported("Asking whether a product is online")

    def quicklook_url(self, info: Info) -> str:
        """The URL of a product's quicklook (a JPEG image)."""
        raise self.unsupported("Quicklooks")

    def version(self, connection: Connection) -> str:
        """The version of the server's software."""
        raise self.unsupported("Asking for the server's version")

    def node_url(self, info: Info, node_path: Sequence[str]) -> str:
        """The URL of the bytes of one file inside a product (``Range`` requests allowed).

        Parameters
        ----------
        info : dict
            The product's info.
        node_path : sequence of str
            The names from the product's folder (``<title>.SAFE``) down to the file, e.g.
            ``("S1A_....SAFE", "preview", "map-overlay.kml")``.
        """
        raise self.unsupported("Downloading the files of a product (nodes)")

    def node_info(self, connection: Connection, info: Info, node_path: Sequence[str]) -> Info:
        """A file or folder inside a product: ``name``, ``size`` (bytes), ``url`` (of its
        bytes; for a file) and ``is_folder``."""
        raise self.unsupported("Describing the files of a product (nodes)")

    def list_nodes(
        self, connection: Connection, info: Info, node_path: Sequence[str] = ()
    ) -> list[Info]:
        """The files and folders in a folder of a product (``()``: the product's top level),
        each described as by :meth:`node_info`."""
        raise self.unsupported("Listing the files of a product (nodes)")


BACKENDS = {
    "dhus": "sentinelsat.backends.dhus:DHuSBackend",
    "cdse": "sentinelsat.backends.cdse:CDSEBackend",
}


def backend_class(name: str) -> type[Backend]:
    """The backend class registered under ``name``."""
    try:
        module, _, cls = BACKENDS[name].partition(":")
    except KeyError:
        raise ValueError(
            f"Unknown backend {name!r}: use one of {', '.join(sorted(BACKENDS))}"
        ) from None
    loaded: type[Backend] = getattr(importlib.import_module(module), cls)
    return loaded


def guess_backend(api_url: str) -> str:
    """The name of the backend for an API URL: ``"cdse"`` for the Copernicus Data Space
    Ecosystem's hosts and for URLs ending in ``/odata/v1/``, else ``"dhus"``."""
    parts = urlsplit(api_url)
    host = (parts.hostname or "").lower()
    if "cdse" in BACKENDS and (
        host.endswith("dataspace.copernicus.eu") or parts.path.rstrip("/").endswith("/odata/v1")
    ):
        return "cdse"
    return "dhus"


def select_backend(api_url: str, backend: str | Backend | None = None) -> Backend:
    """The backend for ``api_url``: ``backend`` itself, the one of that name, or the one the URL
    calls for (:func:`guess_backend`)."""
    if isinstance(backend, Backend):
        return backend
    return backend_class(backend or guess_backend(api_url))(api_url)


__all__ = ["BACKENDS", "Backend", "Criteria", "SearchObserver", "guess_backend", "select_backend"]
