"""``LocalHub``: a DHuS server on 127.0.0.1 for tests, demos and benchmarks."""

from __future__ import annotations

import random
import threading
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from . import opensearch
from .archive import DownloadRegulator, LongTermArchive
from .catalogue import (
    CatalogueSpec,
    Product,
    build_catalogue,
    default_date_span,
    load_recorded_products,
    validate_spec,
)
from .content import ALGORITHMS, corrupt_offset, flip_byte
from .knobs import document_knobs, parse_size, split_knobs, with_knob_parameters
from .server import HubHTTPServer, LoggedRequest, RequestLog


@document_knobs
@dataclass
class Faults:
    """The server limits and faults; change them at any time, also while the hub runs.

    Every field is also a keyword argument of :class:`LocalHub` (its initial value) and an
    option of ``sentinelsat-hub serve`` and ``run`` (``--max-concurrent-downloads``...).
    """

    lta_delay: float = field(
        default=1.0,
        metadata={
            "help": "Seconds an offline product takes to come online after a GET asked for it."
        },
    )
    lta_quota: int = field(
        default=20,
        metadata={"help": "Retrievals of offline products in progress per user before 403."},
    )
    latency: float = field(default=0.0, metadata={"help": "Seconds added to every request."})
    bandwidth: float | None = field(
        default=None,
        metadata={
            "help": "Bytes per second per connection for $value bodies (None: unlimited).",
            "parse": parse_size,
            "metavar": "SIZE",
        },
    )
    max_concurrent_downloads: int = field(
        default=4,
        metadata={
            "help": "$value GETs in progress per user; the excess is answered 403 with a "
            "MediaRegulationException cause-message."
        },
    )
    error_rate: float = field(
        default=0.0,
        metadata={
            "help": "Share of requests answered 500 with a Tomcat HTML page (seeded, reproducible).",
            "bounds": (0.0, 1.0),
        },
    )
    drop_after: int | None = field(
        default=None,
        metadata={
            "help": "Close the connection after this many body bytes of each $value response.",
            "parse": parse_size,
            "metavar": "SIZE",
        },
    )
    ignore_range: bool = field(
        default=False,
        metadata={"help": "Answer 200 with the whole body even when a Range is asked."},
    )
    corrupt: bool | Collection[str] = field(
        default=False,
        metadata={
            "help": "Flip the middle byte of the content of every product (True) or of these ids "
            "or identifiers. The reported checksum stays the true one.",
            "flag_help": "Flip one byte of every downloaded product.",
            "items_option": (
                "--corrupt-product",
                "ID",
                "Flip one byte of this product only (id or identifier; repeatable).",
            ),
        },
    )
    maintenance: bool = field(
        default=False, metadata={"help": "Answer every request 503 with the real maintenance page."}
    )
    hostile_filename: str | None = field(
        default=None,
        metadata={"help": "Send this file name in Content-Disposition instead of the product's."},
    )
    checksum_algorithm: str = field(
        default="MD5",
        metadata={
            "help": "Algorithm of the OData Checksum: MD5, or SHA3-256 as newer DHuS versions "
            "reported it (the ETag stays the MD5).",
            "choices": list(ALGORITHMS),
        },
    )
    dhus_version: str = field(
        default="2.4.1",
        metadata={
            "help": "The version that api/stub/version answers; empty: 404, as a server "
            "without the stub did.",
            "metavar": "VERSION",
        },
    )


class LocalHub:
    """A local DHuS hub: a real threaded HTTP server speaking the DHuS protocol.

    Parameters
    ----------
    products : int
        Number of synthetic products in the catalogue.
    seed : int
        Seed of the catalogue, the product content and the ``error_rate`` draws.
    users : dict, optional
        ``{user: password}``; default ``{"user": "password"}``. :attr:`user` and
        :attr:`password` are the first pair.
    product_size : int or (int, int)
        Content size in bytes, fixed or drawn per product from an inclusive range.
    date_span : (datetime, datetime), optional
        Aware datetimes over which sensing dates are spread; default: the 30 days up to the
        current hour (every 20th product is a Sentinel-2 product of the last 24 hours).
    include_recorded : bool
        Add the three real Sentinel-1 products of the 2018 recordings (real metadata and zip files).
    offline_share : float
        Share of synthetic products in the long term archive (offline).
    **faults
        Initial values of :attr:`faults`, one keyword per field of :class:`Faults`
        (``latency=0.05``, ``lta_quota=1``...).
    port : int
        TCP port; 0 picks a free one.
    host : str
        Address to bind, ``127.0.0.1`` by default.

    Examples
    --------
    >>> with LocalHub(products=500, latency=0.05) as hub:  # doctest: +SKIP
    ...     api = SentinelAPI(hub.user, hub.password, hub.url)
    """

    @with_knob_parameters(Faults, before="port")
    def __init__(
        self,
        products: int = 100,
        *,
        seed: int = 0,
        users: dict[str, str] | None = None,
        product_size: int | tuple[int, int] = (1024, 64 * 1024),
        date_span: tuple[datetime, datetime] | None = None,
        include_recorded: bool = False,
        offline_share: float = 0.0,
        port: int = 0,
        host: str = "127.0.0.1",
        **faults: Any,
    ):
        if isinstance(product_size, (list, tuple)):
            low, high = product_size
            product_size = (int(low), int(high))
        if date_span is not None:
            begin, end = date_span
            date_span = (begin, end)
        spec = CatalogueSpec(
            count=products,
            seed=seed,
            product_size=product_size,
            date_span=date_span or default_date_span(),
            offline_share=offline_share,
        )
        validate_spec(spec)
        self.seed = seed
        self.users: dict[str, str] = dict(users) if users is not None else {"user": "password"}
        if not self.users:
            raise ValueError("users must hold at least one user")
        self.faults = Faults(**split_knobs(Faults, faults))
        self.host = host
        self.port = port
        self.access_log: TextIO | None = None
        catalogue = build_catalogue(spec) + (load_recorded_products() if include_recorded else [])
        self._products = catalogue
        self._index = {
            key: product for product in catalogue for key in (product.id, product.identifier)
        }
        self._by_id = {product.id: product for product in catalogue}
        self.opensearch = opensearch.SearchEngine(catalogue)
        self.archive = LongTermArchive()
        self.regulator = DownloadRegulator()
        self._log = RequestLog()
        self._error_rng = random.Random(f"sentinelsat-hub-errors:{seed}")
        self._error_lock = threading.Lock()
        self._stop_event = threading.Event()
        self._server: HubHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def fields(self) -> dict[str, str]:
        """The searchable fields (lower case) and their types."""
        return self.opensearch.fields

    # ------------------------------------------------------------------ identity
    @property
    def url(self) -> str:
        """The API URL, ``http://127.0.0.1:PORT/`` (ending with ``/``)."""
        if self._server is None:
            raise RuntimeError(
                "the hub is not running: call start() or use it as a context manager"
            )
        return f"http://{self.host}:{self.port}/"

    @property
    def user(self) -> str:
        """The first user name."""
        return next(iter(self.users))

    @property
    def password(self) -> str:
        """The first user's password."""
        return self.users[self.user]

    def environ(self) -> dict[str, str]:
        """The environment of a command run against this hub: ``DHUS_URL``, ``DHUS_USER``
        and ``DHUS_PASSWORD``."""
        return {"DHUS_URL": self.url, "DHUS_USER": self.user, "DHUS_PASSWORD": self.password}

    # ------------------------------------------------------------------ catalogue
    @property
    def products(self) -> list[Product]:
        """The catalogue in its stable order (synthetic products first, then recorded ones)."""
        return list(self._products)

    def find(self, key: str) -> Product | None:
        """Return the product with this id or identifier, or ``None``."""
        return self._index.get(key)

    def find_id(self, product_id: str) -> Product | None:
        """Return the product with this id (the OData key), or ``None``."""
        return self._by_id.get(product_id)

    def product(self, id_or_identifier: str) -> Product:
        """Return the product with this id (UUID) or identifier; ``KeyError`` if none."""
        product = self.find(id_or_identifier)
        if product is None:
            raise KeyError(id_or_identifier)
        return product

    def product_bytes(
        self, id_or_identifier: str, start: int = 0, end: int | None = None
    ) -> Iterator[bytes]:
        """Yield the true content of a product from ``start`` to ``end`` (exclusive; ``None``: the end)."""
        for chunk in self.product(id_or_identifier).content.iter_bytes(start, end):
            yield bytes(chunk)

    def served_bytes(self, product: Product, start: int, end: int) -> Iterator[bytes | memoryview]:
        """The content as the server sends it: with the ``corrupt`` fault applied."""
        chunks = product.content.iter_bytes(start, end)
        if self._is_corrupted(product):
            return flip_byte(chunks, start, corrupt_offset(product.size))
        return chunks

    def _is_corrupted(self, product: Product) -> bool:
        corrupt = self.faults.corrupt
        if isinstance(corrupt, bool):
            return corrupt
        if isinstance(corrupt, str):
            corrupt = [corrupt]
        return product.id in corrupt or product.identifier in corrupt

    def set_online(self, id_or_identifier: str, online: bool) -> None:
        """Put a product online or into the long term archive (cancels a retrieval in progress)."""
        self.archive.set_online(self.product(id_or_identifier), online)

    # ------------------------------------------------------------------ request log
    @property
    def request_log(self) -> list[LoggedRequest]:
        """A snapshot of the requests served so far, in completion order."""
        return self._log.snapshot()

    def clear_log(self) -> None:
        """Forget the logged requests."""
        self._log.clear()

    def record(self, entry: Any) -> None:
        """Append an entry (a request in progress) to the request log; called by the server."""
        self._log.append(entry)

    def draw_error(self, rate: float) -> bool:
        """Draw from the seeded error generator: ``True`` with probability ``rate``."""
        with self._error_lock:
            return self._error_rng.random() < rate

    def wait(self, seconds: float) -> None:
        """Sleep, but return at once when the hub stops."""
        self._stop_event.wait(seconds)

    # ------------------------------------------------------------------ lifecycle
    @property
    def running(self) -> bool:
        """Whether the server is started."""
        return self._server is not None

    def start(self) -> LocalHub:
        """Bind the socket and serve in a background thread; returns the hub."""
        if self._server is not None:
            raise RuntimeError("the hub is already running")
        self._stop_event.clear()
        server = HubHTTPServer((self.host, self.port), self)
        self.port = server.server_address[1]
        self.archive.start()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="sentinelsat-hub",
            daemon=True,
        )
        self._server = server
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: end open connections, join every thread, close the socket."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stop_event.set()
        server.shutdown()
        server.close_all()
        server.server_close()
        if thread is not None:
            thread.join()
        self.archive.stop()
        self._server = self._thread = None

    def __enter__(self) -> LocalHub:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"<LocalHub {len(self._products)} products, {where}>"
