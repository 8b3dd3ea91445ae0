"""`SentinelAPI`: the façade users work with.

It holds the settings of a client and delegates: the protocol of the server to a backend
(:mod:`sentinelsat.backends`, picked from the URL), downloads to the engine
(:mod:`sentinelsat.download`, :mod:`sentinelsat.bulk`), file checks to
:mod:`sentinelsat.integrity`, conversions to :mod:`sentinelsat.conversions`. Each call hands
the engines a :class:`~sentinelsat.sessions.Connection` made of the current settings.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, Union

import requests

from . import __version__, conversions
from . import query as query_language
from .backends import Backend, Criteria, select_backend
from .backends.dhus import DEFAULT_URL
from .bulk import Batch, unique_ids
from .exceptions import (  # noqa: F401 - also importable from here, as in 0.13
    InvalidChecksumError,
    SentinelAPIError,
    SentinelAPILTAError,
)
from .geo import geojson_to_wkt, read_geojson  # noqa: F401 - importable from here, as in 0.13
from .integrity import check_files
from .legacy import (  # noqa: F401 - the 0.13 internals of this module
    Legacy013,
    _check_scihub_response,
    _format_order_by,
    _parse_gml_footprint,
    _parse_iso_date,
    _parse_odata_response,
    _parse_odata_timestamp,
    _parse_opensearch_response,
)
from .query import format_query_date  # noqa: F401 - importable from here, as in 0.13
from .sessions import Connection, default_retry

Timeout = Union[None, float, tuple[float, float]]


class SentinelAPI(Legacy013):
    """Search, inspect and download Sentinel products of a DHuS server (a mirror of the former
    Copernicus Open Access Hub) or of the Copernicus Data Space Ecosystem.

    Parameters
    ----------
    user : str or None
        Username; ``None`` to take the credentials from ``~/.netrc`` for the server's host.
    password : str or None
        Password; ``None`` to take the credentials from ``~/.netrc``.
    api_url : str, optional
        URL of the API, ``'https://scihub.copernicus.eu/apihub/'`` by default. The backend
        is chosen from it (see ``backend``).
    show_progressbars : bool, optional
        Show progress bars on long queries, downloads and checksumming. ``True`` by default.
    timeout : float or (float, float), optional
        Seconds to wait for the server (connect, read) on every request, streamed download
        bodies included. ``None`` (the default) waits forever.
    backend : str or Backend, optional
        The server's protocol: ``"dhus"`` or ``"cdse"``, or a
        :class:`~sentinelsat.backends.Backend`. By default it follows from ``api_url``:
        ``"cdse"`` for the Copernicus Data Space Ecosystem's catalogue URL (and any URL that
        ends in ``/odata/v1/``), ``"dhus"`` otherwise.
    session : requests.Session, optional
        The session to send every request with, e.g. one with a test transport mounted;
        its credentials and User-Agent are set. A new one by default.

    Attributes
    ----------
    session : requests.Session
        The session used for every request (credentials, ``sentinelsat/<version>``
        User-Agent).
    backend : Backend
        The protocol of the server.
    api_url : str
        The API URL, always ending with ``/``.
    page_size : int
        Results per search request: 100, the most DHuS servers allow.
    query_concurrency : int
        Search pages requested at the same time once the first page gave the total (4).
    retry_backoff : float
        Base of the exponential wait, in seconds, between retries of failed requests and
        downloads (0.5). Set it before creating the instance.
    timeout : float or tuple or None
        The timeout passed to every request.
    """

    page_size = 100
    query_concurrency = 4
    retry_backoff = 0.5

    def __init__(
        self,
        user: str | None,
        password: str | None,
        api_url: str = DEFAULT_URL,
        show_progressbars: bool = True,
        timeout: Timeout = None,
        *,
        backend: str | Backend | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.user = user
        self.api_url = api_url if api_url.endswith("/") else api_url + "/"
        self.backend = select_backend(self.api_url, backend)
        if type(self).page_size == SentinelAPI.page_size:
            self.page_size = self.backend.page_size
        self.user_agent = "sentinelsat/" + __version__
        self.session = self.backend.create_session(
            user, password, self.user_agent, default_retry(self.retry_backoff), session
        )
        self.show_progressbars = show_progressbars
        self.timeout = timeout
        self._last_query: str | None = None
        self._last_response: Any = None

    def _connection(self) -> Connection:
        """The settings of this client as they are now, for the engines."""
        return Connection(
            self.session, self.timeout, self.retry_backoff, self._tqdm, self.query_concurrency
        )

    def __repr__(self) -> str:
        return f"SentinelAPI(user={self.user!r}, api_url={self.api_url!r})"

    # ------------------------------------------------------------------ progress bars
    def _tqdm(self, **kwargs: Any) -> Any:
        """Create a progress bar; override to customise every bar the API shows.

        Parameters
        ----------
        **kwargs
            Passed to ``tqdm.auto.tqdm``.
        """
        from tqdm.auto import tqdm

        kwargs.setdefault("disable", not self.show_progressbars)
        return tqdm(**kwargs)

    # ------------------------------------------------------------------ query language
    format_query = staticmethod(query_language.format_query)
    check_query_length = staticmethod(query_language.check_query_length)

    # ------------------------------------------------------------------ searching
    def query(
        self,
        area: str | None = None,
        date: Any = None,
        raw: str | None = None,
        area_relation: str = "Intersects",
        order_by: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        **keywords: Any,
    ) -> OrderedDict[str, dict[str, Any]]:
        """Search the OpenSearch API for products.

        Parameters
        ----------
        area : str, optional
            Area of interest as Well-Known Text, e.g. from :func:`geojson_to_wkt`.
        date : tuple or str, optional
            Interval of the sensing start time, ``(start, end)``: each a ``datetime``,
            ``date`` or string (``yyyyMMdd``, ISO-8601, ``NOW``, ``NOW-1DAY``, date math,
            ``*`` or ``None`` for an open bound), or a formatted interval such as
            ``'[NOW-1DAY TO NOW]'``.
        raw : str, optional
            Additional query text, appended as it is.
        area_relation : {'Intersects', 'Contains', 'IsWithin'}, optional
            ``Intersects``: footprint and area intersect (default); ``Contains``: the area
            lies inside the footprint; ``IsWithin``: the footprint lies inside the area.
        order_by : str, optional
            Comma-separated fields to sort by on the server; prefix ``-`` for descending,
            e.g. ``"cloudcoverpercentage, -beginposition"``.
        limit : int, optional
            Maximum number of products returned; all by default.
        offset : int, optional
            Number of products to skip.
        **keywords
            Other search keywords, e.g. ``platformname='Sentinel-2'``, ranges as
            two-element tuples ``cloudcoverpercentage=(0, 30)`` (``None`` for an open
            bound). Date keywords (``beginposition``, ``endposition``, ``ingestiondate``,
            ``creationdate``, ``date``) take the same values as ``date``.

        Returns
        -------
        collections.OrderedDict
            Product id → attributes (typed values), in the server's order.

        Raises
        ------
        ValueError
            If the arguments do not form a valid query (before anything is sent).
        SentinelAPIError
            If the server rejects the query or cannot be reached.
        """
        criteria = Criteria(area, date, raw, area_relation, keywords)
        return self.backend.search(
            self._connection(), criteria, order_by, limit, offset, self._remember_search
        )

    def count(
        self,
        area: str | None = None,
        date: Any = None,
        raw: str | None = None,
        area_relation: str = "Intersects",
        order_by: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        **keywords: Any,
    ) -> int:
        """Count the products matching a query, with a single request.

        Takes the same arguments as :meth:`query`; ``order_by``, ``limit`` and ``offset``
        are ignored.

        Returns
        -------
        int
            The number of matching products on the server.
        """
        criteria = Criteria(area, date, raw, area_relation, keywords)
        return self.backend.count(self._connection(), criteria, self._remember_search)

    # ------------------------------------------------------------------ OData
    def get_product_odata(self, id: str, full: bool = False) -> dict[str, Any]:
        """Get a product's description from the OData API.

        Parameters
        ----------
        id : str
            The product's UUID.
        full : bool, optional
            Also return every metadata attribute of the product (one larger request).

        Returns
        -------
        dict
            ``id``, ``title``, ``size`` (bytes), ``md5``, ``date`` (sensing start),
            ``footprint`` (WKT or ``None``), ``url`` (download link), ``Online``,
            ``Creation Date``, ``Ingestion Date``; with ``full=True`` also every attribute
            under its server name.

        Raises
        ------
        InvalidKeyError
            No product with this id exists (a :class:`SentinelAPIError` whose ``msg`` is the
            server's, e.g. ``InvalidKeyException : Invalid key (...) to access Products``).
        SentinelAPIError
            The server failed or could not be reached.
        """
        return self.backend.product_info(self._connection(), id, full)

    # ------------------------------------------------------------------ downloads
    def download(self, id: str, directory_path: str = ".", checksum: bool = True) -> dict[str, Any]:
        """Download a product, resuming a previous partial download.

        The file is named after the product's title with the extension the server gives it
        (``.zip`` for SAFE products), e.g. ``S1A_EW_GRDM_1SDH_..._C71E.zip``. It is written as
        ``<name>.incomplete`` and renamed once complete and verified. A correct copy already
        in the directory is not downloaded again. An offline product is not downloaded:
        its retrieval from the long term archive is triggered instead.

        Parameters
        ----------
        id : str
            The product's UUID.
        directory_path : str, optional
            Where to put the file (created if missing); the current directory by default.
        checksum : bool, optional
            Verify the file's MD5 checksum against the server's (``True`` by default). The
            data is hashed while it is written, so this costs no second pass over the file.

        Returns
        -------
        dict
            The product's OData info (see :meth:`get_product_odata`) plus ``path`` (where the
            file is, or will be once an offline product is back online) and
            ``downloaded_bytes`` (bytes transferred by this call).

        Raises
        ------
        InvalidChecksumError
            The downloaded data does not match the server's checksum (nothing is left under
            the final name, and the corrupt data is deleted).
        SentinelAPILTAError
            The server refused to retrieve an offline product (quota exceeded, not
            accepted).
        SentinelAPIError
            Any other server or connection failure; the partial file is kept.
        OSError
            The file could not be written (e.g. the disk is full); the partial file is kept.
        """
        batch = Batch(self._connection(), self.backend, directory_path, 1, checksum, 1)
        return batch.download_one(id)

    def download_all(
        self,
        products: Iterable[str],
        directory_path: str = ".",
        max_attempts: int = 10,
        checksum: bool = True,
        n_concurrent_dl: int = 4,
    ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], set[str]]:
        """Download several products, several at a time.

        Each product is downloaded as by :meth:`download`. A failed download is retried,
        continuing from its partial file, up to ``max_attempts`` times; a refusal of the
        long term archive and client errors (unknown id, wrong credentials) are not
        retried. When the server says the user's concurrent downloads are exhausted, the
        download waits for a free slot instead of failing. Ctrl-C stops everything at once
        and keeps the partial files for the next run.

        Parameters
        ----------
        products : iterable of str
            Product ids: the result of :meth:`query`, a list, a pandas index...
        directory_path : str, optional
            Where to put the files; the current directory by default.
        max_attempts : int, optional
            Attempts per product (10 by default).
        checksum : bool, optional
            Verify each file's MD5 checksum (``True`` by default).
        n_concurrent_dl : int, optional
            Downloads running at the same time (4 by default, the limit of the Copernicus
            Open Access Hub per user).

        Returns
        -------
        downloaded : dict
            Product id → :meth:`download` result for every product now on disk.
        triggered : dict
            Product id → product info for offline products whose retrieval from the long
            term archive was triggered.
        failed : set
            Ids of the products that could not be downloaded.

        Raises
        ------
        SentinelAPIError
            The last error, if every product failed.
        OSError
            A file could not be written (e.g. the disk is full).
        """
        ids = unique_ids(products)
        batch = Batch(
            self._connection(),
            self.backend,
            directory_path,
            max_attempts,
            checksum,
            n_concurrent_dl,
        )
        return batch.run(ids)

    def check_files(
        self,
        paths: Iterable[str] | None = None,
        ids: Iterable[str] | None = None,
        directory: str | None = None,
        delete: bool = False,
    ) -> dict[str, list[dict[str, Any]]]:
        """Verify the size and MD5 checksum of product files against the server.

        Parameters
        ----------
        paths : list of str, optional
            Product files to check; their products are found on the server by name.
        ids : list of str, optional
            Product ids whose files are to be found in ``directory``.
        directory : str, optional
            Where the files of ``ids`` are.
        delete : bool, optional
            Delete the corrupt files (``False`` by default).

        Returns
        -------
        dict
            Path → OData infos of the matching server products, for every file that is
            missing, or matches none of them in size and checksum. When several server
            products carry the same name, a file matching any of them is correct (a
            warning is logged). A file whose name no server product has is reported with
            an empty list and never deleted.
        """
        return check_files(self._connection(), self.backend, paths, ids, directory, delete)

    # ------------------------------------------------------------------ conversions
    to_geojson = staticmethod(conversions.to_geojson)
    to_dataframe = staticmethod(conversions.to_dataframe)
    to_geodataframe = staticmethod(conversions.to_geodataframe)
    get_products_size = staticmethod(conversions.get_products_size)
