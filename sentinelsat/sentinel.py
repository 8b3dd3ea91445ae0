"""`SentinelAPI`: the façade users work with.

It holds the settings of a client and delegates: the protocol of the server to a backend
(:mod:`sentinelsat.backends`, picked from the URL), downloads to the engine
(:mod:`sentinelsat.download`, :mod:`sentinelsat.bulk`), file checks to
:mod:`sentinelsat.integrity`, conversions to :mod:`sentinelsat.conversions`. Each call hands
the engines a :class:`~sentinelsat.sessions.Connection` made of the current settings.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from typing import Any, Union

import requests

from . import __version__, conversions
from . import query as query_language
from .backends import Backend, Criteria, select_backend
from .backends.dhus import DEFAULT_URL
from .downloader import UNSET, Downloader
from .exceptions import (  # noqa: F401 - also importable from here, as in 0.13 and 1.x
    InvalidChecksumError,
    InvalidKeyError,
    LTAError,
    LTATriggered,
    QueryLengthError,
    QuerySyntaxError,
    SentinelAPIError,
    SentinelAPILTAError,
    ServerError,
    UnauthorizedError,
)
from .geo import (  # noqa: F401 - importable from here, as in 0.13 and 1.x
    geojson_to_wkt,
    is_wkt,
    read_geojson,
)
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
from .places import placename_to_wkt  # noqa: F401 - importable from here, as in 1.x
from .products import (  # noqa: F401 - importable from here, as in 1.x
    NodeFilter,
    all_nodes_filter,
    make_path_filter,
    make_size_filter,
)
from .query import format_query_date  # noqa: F401 - importable from here, as in 0.13
from .results import DownloadStatus, QuicklookResult, ResultTuple  # noqa: F401
from .sessions import Connection, default_retry, follow_backoff, hook_replaced, no_progress

Timeout = Union[None, float, tuple[float, float]]

#: The values of ``SentinelAPI(..., semantics=...)``.
SEMANTICS = ("0.13", "1.x")


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
    semantics : {"0.13", "1.x"}, optional
        Where sentinelsat 1.x changed a behaviour of 0.13, which one to follow. ``"0.13"`` (the
        default) keeps 0.13's; ``"1.x"`` takes 1.x's: product infos have the keys
        ``quicklook_url``, ``manifest_name`` and ``product_root_dir`` among their keys,
        :meth:`download` raises :class:`~sentinelsat.LTATriggered` for an offline product
        once its retrieval is triggered, :meth:`download_all` waits for offline products
        (see :attr:`lta_timeout`) and pauses :attr:`dl_retry_delay` between attempts. Every
        addition of 1.x is there with either value.

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
        downloads (0.5); read at each call.
    timeout : float or tuple or None
        The timeout passed to every request.
    semantics : str
        ``"0.13"`` or ``"1.x"`` (see the parameter).
    downloader : Downloader
        The download settings (sentinelsat 1.1's ``api.downloader``); :meth:`download` and
        :meth:`download_all` work on a copy of it. Its ``_tqdm`` makes the progress bars of
        downloads and can be replaced.
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
        semantics: str = "0.13",
    ) -> None:
        if semantics not in SEMANTICS:
            raise ValueError(f"semantics must be one of {', '.join(SEMANTICS)}, got {semantics!r}")
        self.semantics = semantics
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
        self._dhus_version: str | None = None
        self.downloader = Downloader(self, connection=self._connection)

    def _connection(self) -> Connection:
        """The settings of this client as they are now, for the engines (``retry_backoff``
        included: the session's retries of failed connections follow it too)."""
        backoff = self.retry_backoff
        follow_backoff(self.session, backoff)
        progress = self._tqdm
        if not self.show_progressbars and not hook_replaced(self, "_tqdm", SentinelAPI):
            progress = no_progress  # (no tqdm object for bars nobody sees)
        return Connection(self.session, self.timeout, backoff, progress, self.query_concurrency)

    def __repr__(self) -> str:
        return f"SentinelAPI(user={self.user!r}, api_url={self.api_url!r})"

    # ------------------------------------------------------------------ 1.x's download settings
    @property
    def concurrent_dl_limit(self) -> int:
        """Downloads at the same time by default in :meth:`download_all` (4, the Copernicus
        Open Access Hub's limit per user); ``downloader.n_concurrent_dl``."""
        return self.downloader.n_concurrent_dl

    @concurrent_dl_limit.setter
    def concurrent_dl_limit(self, value: int) -> None:
        self.downloader.n_concurrent_dl = _positive("concurrent_dl_limit", value)

    @property
    def concurrent_lta_trigger_limit(self) -> int:
        """Retrievals from the long term archive in progress at once while
        :meth:`download_all` waits for offline products (10)."""
        return self.downloader.lta_trigger_limit

    @concurrent_lta_trigger_limit.setter
    def concurrent_lta_trigger_limit(self, value: int) -> None:
        self.downloader.lta_trigger_limit = _positive("concurrent_lta_trigger_limit", value)

    @property
    def dl_retry_delay(self) -> float:
        """Seconds between the attempts of a product in :meth:`download_all` (10, as in 1.x).
        It applies once set (or with ``semantics="1.x"``); until then a failed attempt is
        retried after a short growing pause (:attr:`retry_backoff`), a corrupt one at once."""
        return self.downloader.dl_retry_delay

    @dl_retry_delay.setter
    def dl_retry_delay(self, value: float) -> None:
        self.downloader.dl_retry_delay = value

    @property
    def lta_retry_delay(self) -> float:
        """Seconds between two requests about an offline product while :meth:`download_all`
        waits for it (60). **Setting it makes** :meth:`download_all` **wait** for offline
        products (see :attr:`lta_timeout`)."""
        return self.downloader.lta_retry_delay

    @lta_retry_delay.setter
    def lta_retry_delay(self, value: float) -> None:
        self.downloader.lta_retry_delay = value

    @property
    def lta_timeout(self) -> float | None:
        """Seconds after the start of :meth:`download_all` when it gives up the products
        still offline, with an :class:`~sentinelsat.LTAError` (``None``, the default: no
        limit). **Setting it, or** :attr:`lta_retry_delay`, **makes** :meth:`download_all`
        **wait** for offline products: it asks for their retrieval (at most
        :attr:`concurrent_lta_trigger_limit` at once, pausing after a refusal for the quota),
        asks every :attr:`lta_retry_delay` seconds whether they are online and downloads each
        one as soon as it is, while the other products keep downloading. Without either,
        their retrieval is triggered and they are returned as triggered, as in 0.13."""
        return self.downloader.lta_timeout

    @lta_timeout.setter
    def lta_timeout(self, value: float | None) -> None:
        self.downloader.lta_timeout = value

    @property
    def dhus_version(self) -> str:
        """The version of the server's DHuS software (asked once, from ``api/stub/version``).

        Raises
        ------
        NotSupportedError
            The server's backend has no such request.
        SentinelAPIError
            The server did not answer it.
        """
        if self._dhus_version is None:
            self._dhus_version = self.backend.version(self._connection())
        return self._dhus_version

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
        info = self.backend.product_info(self._connection(), id, full)
        return self.downloader.describe(info)

    def is_online(self, id: str) -> bool:
        """Whether a product can be downloaded now, i.e. is not in the long term archive.

        Parameters
        ----------
        id : str
            The product's UUID.

        Returns
        -------
        bool
            Servers that do not report it (older DHuS versions) count as online.

        Raises
        ------
        InvalidKeyError
            No product with this id exists.
        """
        return self.downloader.is_online(id)

    def trigger_offline_retrieval(self, id: str) -> bool:
        """Ask for the retrieval of a product from the long term archive.

        Parameters
        ----------
        id : str
            The product's UUID.

        Returns
        -------
        bool
            ``True`` when its retrieval was triggered (it is offline), ``False`` when it is
            online and can be downloaded now.

        Raises
        ------
        LTAError
            The server refused: the user's retrieval quota is used up (403), or the request
            was not accepted (500, 503).
        InvalidKeyError
            No product with this id exists.

        Notes
        -----
        When the server answers that the user's concurrent downloads are exhausted (403
        "concurrent flows"), the request is sent again once a slot may be free (sentinelsat
        1.x took that answer for "online").
        """
        return self.downloader.trigger_offline_retrieval(id)

    def get_stream(self, id: str, **kwargs: Any) -> requests.Response:
        """Open the download of a product as a stream, e.g. to pipe it elsewhere.

        Parameters
        ----------
        id : str
            The product's UUID.
        **kwargs
            Passed to ``requests.Session.get`` (``headers``...).

        Returns
        -------
        requests.Response
            Opened with ``stream=True`` and checked: read ``iter_content()`` or ``raw``, and
            close it.

        Raises
        ------
        LTATriggered
            The product is offline; its retrieval was triggered.
        SentinelAPIError
            The server refused the download.
        """
        return self.downloader.get_stream(id, **kwargs)

    # ------------------------------------------------------------------ quicklooks
    def download_quicklook(self, id: str, directory_path: str = ".") -> dict[str, Any]:
        """Download the quicklook of a product, ``<title>.jpeg`` (not again if it exists).

        Parameters
        ----------
        id : str
            The product's UUID.
        directory_path : str, optional
            Where to put the image (created if missing).

        Returns
        -------
        dict
            The product's info plus ``path``, ``downloaded_bytes``, ``quicklook_size`` and
            ``error``: ``""``, or why nothing was written (the server sent no JPEG image).

        Raises
        ------
        InvalidKeyError
            No product with this id exists.
        NotSupportedError
            The server has no quicklooks.
        """
        return self.downloader.download_quicklook(id, directory_path)

    def download_all_quicklooks(
        self, products: Iterable[str], directory_path: str = ".", n_concurrent_dl: int = 4
    ) -> QuicklookResult:
        """Download the quicklooks of several products, ``n_concurrent_dl`` at a time.

        Returns
        -------
        QuicklookResult
            ``(downloaded, failed)``: id → :meth:`download_quicklook`'s result for each image
            written, and id → the ``error`` of each one that was not.

        Raises
        ------
        SentinelAPIError
            The first request that failed (an unknown id...); the others are cancelled.
        """
        return self.downloader.download_all_quicklooks(products, directory_path, n_concurrent_dl)

    # ------------------------------------------------------------------ downloads
    def download(
        self,
        id: str,
        directory_path: str = ".",
        checksum: bool = True,
        nodefilter: NodeFilter | None = None,
    ) -> dict[str, Any]:
        """Download a product, resuming a previous partial download.

        The file is named after the product's title with the extension the server gives it
        (``.zip`` for SAFE products), e.g. ``S1A_EW_GRDM_1SDH_..._C71E.zip``. It is written as
        ``<name>.incomplete`` and renamed once complete and verified. A correct copy already
        in the directory is not downloaded again. An offline product is not downloaded:
        its retrieval from the long term archive is triggered instead (and, with
        ``semantics="1.x"``, :class:`~sentinelsat.LTATriggered` raised).

        With a ``nodefilter``, only some files of the product are downloaded, into the
        folder ``<title>.SAFE`` (``<title>.SEN3`` for Sentinel-3): the manifest, then each
        file it lists that the filter selects, each checked against the manifest's checksum
        and resumed after an interruption like a whole product.

        Parameters
        ----------
        id : str
            The product's UUID.
        directory_path : str, optional
            Where to put the file (created if missing); the current directory by default.
        checksum : bool, optional
            Verify the file's MD5 checksum against the server's (``True`` by default). The
            data is hashed while it is written, so this costs no second pass over the file.
        nodefilter : callable, optional
            ``node_info -> bool``: download only the files it selects (see
            :func:`~sentinelsat.make_path_filter`, :func:`~sentinelsat.make_size_filter`,
            :func:`~sentinelsat.all_nodes_filter`).

        Returns
        -------
        dict
            The product's OData info (see :meth:`get_product_odata`) plus ``path`` (where the
            file is, or will be once an offline product is back online) and
            ``downloaded_bytes`` (bytes transferred by this call). With a ``nodefilter``,
            ``path`` is the product's folder, ``node_path`` its name and ``nodes`` maps the
            path of each file downloaded (the manifest included) to its ``node_info``, with
            ``url`` and ``path`` (a ``pathlib.Path``).

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
        downloader = self.downloader.copy(node_filter=nodefilter)
        downloader.verify_checksum = checksum
        return downloader.download(id, directory_path)

    def download_all(
        self,
        products: Iterable[str],
        directory_path: str = ".",
        max_attempts: int = 10,
        checksum: bool = True,
        n_concurrent_dl: int | None = None,
        lta_retry_delay: float | None = None,
        fail_fast: bool = False,
        nodefilter: NodeFilter | None = None,
        *,
        lta_timeout: Any = UNSET,
        dl_retry_delay: float | None = None,
        concurrent_lta_trigger_limit: int | None = None,
        executor: Executor | None = None,
        flow_lock: Callable[[str, int], Any] | None = None,
    ) -> ResultTuple:
        """Download several products, several at a time.

        Each product is downloaded as by :meth:`download`. A failed download is retried,
        continuing from its partial file, up to ``max_attempts`` times; a refusal of the
        long term archive and client errors (unknown id, wrong credentials) are not
        retried. When the server says the user's concurrent downloads are exhausted, the
        download waits for a free slot instead of failing. Ctrl-C stops everything at once
        and keeps the partial files.

        Offline products have their retrieval triggered and are returned in
        ``retrieval_triggered``, as in sentinelsat 0.13, unless ``lta_retry_delay`` or
        ``lta_timeout`` is given (here or on the instance, or ``semantics="1.x"``): then the
        batch waits for them and downloads each as soon as it is online (see
        :attr:`lta_timeout`).

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
            Downloads running at the same time (:attr:`concurrent_dl_limit`, 4, by default:
            the limit of the Copernicus Open Access Hub per user).
        lta_retry_delay : float, optional
            Seconds between two requests about an offline product; waits for offline
            products (see :attr:`lta_retry_delay`).
        fail_fast : bool, optional
            Stop at the first product that fails and raise its error (the downloads in
            progress are cancelled, keeping their partial files).
        nodefilter : callable, optional
            Download only the files of each product it selects (see :meth:`download`).
        lta_timeout : float or None, optional
            Seconds after which the products still offline are given up; waits for offline
            products (see :attr:`lta_timeout`).
        dl_retry_delay : float, optional
            Seconds between the attempts of a product (see :attr:`dl_retry_delay`).
        concurrent_lta_trigger_limit : int, optional
            Retrievals in progress at once while waiting (see
            :attr:`concurrent_lta_trigger_limit`).
        executor : concurrent.futures.Executor, optional
            Run the download of each product as a task of this executor (e.g. a dask
            ``Client``'s ``get_executor()``): retries, resume and verification happen where
            the task runs, within the user's flow limit across every task (see
            :mod:`sentinelsat.cluster`). ``directory_path`` is the tasks' directory.
        flow_lock : callable, optional
            ``(name, limit) -> semaphore`` shared by the tasks; by default a
            ``distributed.Semaphore`` on a dask cluster, else one per process.

        Returns
        -------
        ResultTuple
            A named tuple ``(downloaded, retrieval_triggered, failed)`` that unpacks as 0.13's
            three values. ``downloaded``: product id → :meth:`download` result for every
            product now on disk. ``retrieval_triggered``: product id → product info for
            offline products whose retrieval from the long term archive was triggered.
            ``failed``: the set of ids of the products that could not be downloaded (a
            :class:`~sentinelsat.results.FailedProducts`), which also maps each id to its
            product info with the ``"exception"`` that made it fail.

        Raises
        ------
        SentinelAPIError
            The last error, if every product failed; with ``fail_fast``, the first one.
        OSError
            A file could not be written (e.g. the disk is full).
        """
        downloader = self.downloader.copy(
            max_attempts=max_attempts,
            n_concurrent_dl=_positive("n_concurrent_dl", n_concurrent_dl)
            if n_concurrent_dl is not None
            else None,
            lta_retry_delay=lta_retry_delay,
            dl_retry_delay=dl_retry_delay,
            lta_trigger_limit=concurrent_lta_trigger_limit,
            node_filter=nodefilter,
        )
        downloader.verify_checksum = checksum
        downloader.fail_fast = fail_fast
        if lta_timeout is not UNSET:
            downloader.lta_timeout = lta_timeout
        return downloader.results(products, directory_path, executor, flow_lock)

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


class SentinelProductsAPI(SentinelAPI):
    """sentinelsat 1.0's client for partial downloads, deprecated since 1.1: every
    :class:`SentinelAPI` takes a ``nodefilter`` now. Creating one warns."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        import warnings

        warnings.warn(
            "SentinelProductsAPI is deprecated (as in sentinelsat 1.1): use SentinelAPI, whose "
            "download() and download_all() take a nodefilter",
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__(*args, **kwargs)


def _positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value
