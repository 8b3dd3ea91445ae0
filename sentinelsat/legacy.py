"""The private names of sentinelsat 0.13 that scripts of that era reach into. Deprecated.

Scripts written for 0.13 used some of its internals: the attributes ``_last_query`` and
``_last_response``, the methods ``_format_url``, ``_load_query``, ``_query_names``,
``_trigger_offline_retrieval`` and ``_md5_compare``, and helper functions of the module
``sentinelsat.sentinel``. They are all here, with 0.13's behaviour, so that such scripts keep
running: :class:`Legacy013` is a base class of :class:`~sentinelsat.SentinelAPI`, and
``sentinelsat.sentinel`` re-exports the functions.

Nothing in sentinelsat itself uses them, and they may go in a future major version; each call
emits a :class:`DeprecationWarning` that names the public replacement.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import requests

from .backends.dhus import LTA_REFUSALS, search_url, trigger_offline_retrieval
from .exceptions import SentinelAPILTAError, ServerLimitError
from .parsing import (
    gml_to_wkt,
    parse_odata_attribute_date,
    parse_odata_date,
    parse_odata_response,
    parse_opensearch_entry,
    parse_opensearch_response,
)
from .query import format_order_by
from .sessions import Connection, check_response, decode_json, send

#: Names searched for with one query by :meth:`Legacy013._query_names`, as in 0.13.
NAMES_PER_QUERY = 40


def _deprecated(name: str, replacement: str) -> None:
    warnings.warn(
        f"{name} is an internal of sentinelsat 0.13, kept for old scripts; use {replacement}",
        DeprecationWarning,
        stacklevel=3,
    )


class Legacy013:
    """sentinelsat 0.13's private attributes and methods (a base class of ``SentinelAPI``).

    Attributes
    ----------
    _last_query : str or None
        The query string of the last search request (updated by every page of
        :meth:`~sentinelsat.SentinelAPI.query` and by :meth:`~sentinelsat.SentinelAPI.count`).
    _last_response : requests.Response or None
        The last search response.
    """

    # provided by SentinelAPI
    api_url: str
    page_size: int
    session: requests.Session
    timeout: Any

    _last_query: str | None = None
    _last_response: requests.Response | None = None

    def _connection(self) -> Connection:  # pragma: no cover - SentinelAPI's
        raise NotImplementedError

    def _remember_search(self, query: str, response: requests.Response) -> None:
        self._last_query = query
        self._last_response = response

    def _tqdm(self, **kwargs: Any) -> Any:  # pragma: no cover - SentinelAPI overrides it
        raise NotImplementedError

    def query(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - SentinelAPI's
        raise NotImplementedError

    def query_raw(
        self, query: str, order_by: str | None = None, limit: int | None = None, offset: int = 0
    ) -> OrderedDict[str, dict[str, Any]]:
        """Search with a complete query string. Deprecated since 0.12: use
        ``query(raw=...)``.

        Parameters
        ----------
        query : str
            The full-text query.
        order_by, limit, offset
            As for :meth:`~sentinelsat.SentinelAPI.query`.

        Returns
        -------
        collections.OrderedDict
            Product id → attributes.
        """
        warnings.warn(
            "query_raw() is deprecated, use query(raw=...) instead",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.query(raw=query, order_by=order_by, limit=limit, offset=offset)  # type: ignore[no-any-return]

    def _format_url(
        self, order_by: str | None = None, limit: int | None = None, offset: int = 0
    ) -> str:
        """The search URL: ``<api_url>search?format=json&rows=<rows>&start=<offset>``, plus
        ``&orderby=<order_by>`` (already in the server's syntax, see :func:`_format_order_by`)."""
        _deprecated("SentinelAPI._format_url()", "SentinelAPI.query()")
        rows = min(self.page_size if limit is None else limit, self.page_size)
        return search_url(self.api_url, rows, offset, order_by)

    def _load_query(
        self, query: str, order_by: str | None = None, limit: int | None = None, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """Run a search page by page, as 0.13 did.

        Parameters
        ----------
        query : str
            The query string.
        order_by : str, optional
            In the server's syntax (``'cloudcoverpercentage asc'``).
        limit, offset : int, optional

        Returns
        -------
        tuple of (list of dict, int)
            The raw OpenSearch entries and the total number of matching products.
        """
        _deprecated("SentinelAPI._load_query()", "SentinelAPI.query()")
        entries, total = self._load_subquery(query, order_by, limit, offset)
        stop = total if limit is None else min(total, offset + limit)
        for start in range(offset + self.page_size, stop, self.page_size):
            rows = None if limit is None else limit - (start - offset)
            entries += self._load_subquery(query, order_by, rows, start)[0]
        return entries, total

    def _load_subquery(
        self, query: str, order_by: str | None, limit: int | None, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            url = self._format_url(order_by, limit, offset)
        response = send(
            self.session,
            "POST",
            url,
            data={"q": query},
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
            timeout=self.timeout,
        )
        self._remember_search(query, response)
        total, _ = parse_opensearch_response(decode_json(response))
        entries = response.json()["feed"].get("entry", [])
        return ([entries] if isinstance(entries, dict) else list(entries)), total

    def _query_names(self, names: Iterable[str]) -> OrderedDict[str, dict[str, dict[str, Any]]]:
        """Find products by name, 40 names per query.

        Returns
        -------
        collections.OrderedDict
            Name → {product id: attributes}, in the order of ``names``.
        """
        _deprecated("SentinelAPI._query_names()", "SentinelAPI.query(identifier=...)")
        names = list(names)
        products: dict[str, dict[str, Any]] = {}
        for start in range(0, len(names), NAMES_PER_QUERY):
            products.update(self.query(raw=" OR ".join(names[start : start + NAMES_PER_QUERY])))
        grouped: OrderedDict[str, dict[str, dict[str, Any]]] = OrderedDict(
            (name, {}) for name in names
        )
        for product_id, attributes in products.items():
            grouped.setdefault(attributes["identifier"], {})[product_id] = attributes
        return grouped

    def _trigger_offline_retrieval(self, url: str) -> int:
        """Trigger the retrieval of an offline product from the long term archive.

        Parameters
        ----------
        url : str
            The product's ``$value`` URL.

        Returns
        -------
        int
            The HTTP status code (202: accepted for retrieval).

        Raises
        ------
        SentinelAPILTAError
            The server answered 403 (quota), 500 or 503.
        """
        _deprecated("SentinelAPI._trigger_offline_retrieval()", "SentinelAPI.download()")
        try:
            return trigger_offline_retrieval(self._connection(), url)
        except ServerLimitError as error:  # 0.13 reported every 403 as the quota
            raise SentinelAPILTAError(LTA_REFUSALS[403], error.response, error.msg or "") from None

    def _md5_compare(self, file_path: str, checksum: str, block_size: int = 2**13) -> bool:
        """Whether a file's MD5 is ``checksum`` (any case), with a progress bar."""
        _deprecated("SentinelAPI._md5_compare()", "SentinelAPI.check_files()")
        digest = hashlib.md5()
        with (
            self._tqdm(
                desc="MD5 checksumming", total=os.path.getsize(file_path), unit="B", unit_scale=True
            ) as progress,
            open(file_path, "rb") as f,
        ):
            for block in iter(lambda: f.read(block_size), b""):
                digest.update(block)
                progress.update(len(block))
        return digest.hexdigest().lower() == checksum.lower()


# ---------------------------------------------------------------------- module functions
def _parse_odata_timestamp(in_date: str) -> datetime:
    """``'/Date(1445588544652)/'`` → ``datetime(2015, 10, 23, 8, 22, 24, 652000)`` (UTC)."""
    return parse_odata_date(in_date)


def _format_order_by(order_by: str | None) -> str | None:
    """``' +a, - b '`` → ``'a asc,b desc'``; ``None`` for an empty specification."""
    if not order_by or not order_by.strip():
        return None
    return format_order_by(order_by)


def _parse_opensearch_response(
    products: Iterable[dict[str, Any]],
) -> OrderedDict[str, dict[str, Any]]:
    """Raw OpenSearch entries → ``{id: attributes}`` with typed values."""
    output: OrderedDict[str, dict[str, Any]] = OrderedDict()
    for entry in products:
        product_id, attributes = parse_opensearch_entry(entry)
        output[entry["id"] if product_id is None else product_id] = attributes
    return output


def _parse_odata_response(product: dict[str, Any]) -> dict[str, Any]:
    """An OData product (the ``d`` member of the answer) → the product info dict, with every
    attribute of an ``$expand=Attributes`` answer."""
    return parse_odata_response({"d": product}, full=True)


def _parse_iso_date(content: str) -> datetime:
    """``'2015-11-21T10:03:56.675Z'`` or ``'2015-11-21T10:03:56Z'`` → naive UTC datetime."""
    return parse_odata_attribute_date(content)


def _parse_gml_footprint(geometry_str: str) -> str | None:
    """A DHuS GML footprint (``lat,lon`` pairs) → WKT (``lon lat``)."""
    return gml_to_wkt(geometry_str)


def _check_scihub_response(response: requests.Response, test_json: bool = True) -> None:
    """Raise :class:`~sentinelsat.SentinelAPIError` unless the response has a 2xx status
    (and, with ``test_json``, a JSON body); ``msg`` is the server's message."""
    check_response(response, test_json=test_json)


__all__ = [
    "Legacy013",
    "_check_scihub_response",
    "_format_order_by",
    "_parse_gml_footprint",
    "_parse_iso_date",
    "_parse_odata_response",
    "_parse_odata_timestamp",
    "_parse_opensearch_response",
]
