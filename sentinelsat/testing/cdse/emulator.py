"""``LocalCDSE``: the Copernicus Data Space Ecosystem on three ports of 127.0.0.1."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, TextIO

from ..catalogue import (
    CatalogueSpec,
    Product,
    build_catalogue,
    default_date_span,
    load_recorded_products,
    validate_spec,
)
from ..content import corrupt_offset, flip_byte
from ..knobs import with_knob_parameters
from ..server import CoreHTTPServer, HTTPRequest, LoggedRequest, LogRecord, RequestLog
from .catalogue_api import CatalogueApplication
from .download_api import DownloadApplication, PeakRegulator
from .entries import ATTRIBUTE_TYPES, Entry, make_entry
from .faults import CDSEFaults
from .filters import FilterOptions, compile_filter, parse
from .identity import REALM_PATH, TOKEN_PATH, Identity, IdentityApplication, totp_code
from .nodes import Node, read_tree

_SEARCH_CACHE_SECONDS = 5.0
_SEARCH_CACHE_SIZE = 8
_ORDER_KEYS = {
    "ContentDate/Start": lambda entry: entry.content_start,
    "ContentDate/End": lambda entry: entry.content_end,
    "PublicationDate": lambda entry: entry.publication_date,
    "ModificationDate": lambda entry: entry.modification_date,
}


class LocalCDSE:
    """A local Copernicus Data Space Ecosystem: catalogue, identity and download servers.

    Three real threaded HTTP servers on separate ports of ``host`` (so that a client that
    follows the catalogue's redirect to the download host loses its ``Authorization``
    header, as with the real service).  The catalogue holds the products of the DHuS hub's
    synthetic catalogue (:mod:`sentinelsat.testing.catalogue`) in CDSE's shape
    (:mod:`sentinelsat.testing.cdse.entries`).

    Parameters
    ----------
    products : int or sequence of Product
        The number of synthetic products, or the products themselves (for instance products
        whose content is a zip built by a test, or a catalogue shared by several emulators).
    seed : int
        Seed of the catalogue, the order of unordered results and the ``error_rate`` draws.
    users : dict, optional
        ``{user: password}``; default ``{"user": "password"}``.
    totp_secrets : dict, optional
        ``{user: base32 secret}`` of users with two-factor authentication: their password
        grants need ``totp=<code>`` (see :meth:`totp`).
    product_size, date_span, include_recorded, offline_share
        As for :class:`~sentinelsat.testing.LocalHub` (ignored when ``products`` is a sequence).
    host : str
        Address to bind, ``127.0.0.1`` by default.
    catalogue_port, identity_port, download_port : int
        TCP ports; 0 picks a free one.
    **knobs
        Initial values of :attr:`faults` (see :class:`~sentinelsat.testing.cdse.CDSEFaults`).

    Examples
    --------
    >>> with LocalCDSE(products=50, access_token_lifetime=2) as cdse:  # doctest: +SKIP
    ...     requests.get(cdse.url + "Products", params={"$top": 5}).json()
    """

    @with_knob_parameters(CDSEFaults)
    def __init__(
        self,
        products: int | Sequence[Product] = 100,
        *,
        seed: int = 0,
        users: dict[str, str] | None = None,
        totp_secrets: dict[str, str] | None = None,
        product_size: int | tuple[int, int] = (1024, 64 * 1024),
        date_span: tuple[datetime, datetime] | None = None,
        include_recorded: bool = False,
        offline_share: float = 0.0,
        host: str = "127.0.0.1",
        catalogue_port: int = 0,
        identity_port: int = 0,
        download_port: int = 0,
        **knobs: Any,
    ):
        self.faults = CDSEFaults(**knobs)
        self.seed = seed
        self.users: dict[str, str] = dict(users) if users is not None else {"user": "password"}
        if not self.users:
            raise ValueError("users must hold at least one user")
        self.totp_secrets: dict[str, str] = dict(totp_secrets or {})
        self.host = host
        self.ports = {
            "catalogue": catalogue_port,
            "identity": identity_port,
            "download": download_port,
        }
        self.access_log: TextIO | None = None
        self._products = self._catalogue(
            products, seed, product_size, date_span, include_recorded, offline_share
        )
        self._entries = [make_entry(product) for product in self._products]
        self._by_id = {entry.id: entry for entry in self._entries}
        self._by_name = {entry.name: entry for entry in self._entries}
        self._by_asset = {entry.asset_id: entry for entry in self._entries if entry.asset_id}
        self._unordered = list(self._entries)
        random.Random(f"sentinelsat-cdse-order:{seed}").shuffle(self._unordered)
        self._search_cache: dict[tuple[Any, ...], tuple[float, list[Entry]]] = {}
        self._search_lock = threading.Lock()
        self._trees: dict[str, Node] = {}
        self.identity = Identity(
            self.users, self.totp_secrets, lambda: self.identity_url.rstrip("/")
        )
        self.regulator = PeakRegulator()
        self._log = RequestLog()
        self._error_rng = random.Random(f"sentinelsat-cdse-errors:{seed}")
        self._error_lock = threading.Lock()
        self._stop_event = threading.Event()
        self._servers: dict[str, CoreHTTPServer] = {}
        self._threads: list[threading.Thread] = []

    @staticmethod
    def _catalogue(
        products: int | Sequence[Product],
        seed: int,
        product_size: int | tuple[int, int],
        date_span: tuple[datetime, datetime] | None,
        include_recorded: bool,
        offline_share: float,
    ) -> list[Product]:
        if not isinstance(products, int):
            return list(products)
        if isinstance(product_size, (list, tuple)):
            product_size = (int(product_size[0]), int(product_size[1]))
        spec = CatalogueSpec(
            count=products,
            seed=seed,
            product_size=product_size,
            date_span=(date_span[0], date_span[1]) if date_span else default_date_span(),
            offline_share=offline_share,
        )
        validate_spec(spec)
        return build_catalogue(spec) + (load_recorded_products() if include_recorded else [])

    # ------------------------------------------------------------------ where and who
    def _base(self, server: str) -> str:
        if not self._servers:
            raise RuntimeError(
                "the CDSE is not running: call start() or use it as a context manager"
            )
        return f"http://{self.host}:{self.ports[server]}"

    @property
    def url(self) -> str:
        """The catalogue's OData root, ``http://127.0.0.1:P1/odata/v1/`` (anonymous)."""
        return self._base("catalogue") + "/odata/v1/"

    @property
    def identity_url(self) -> str:
        """The realm's root, ``http://127.0.0.1:P2/auth/realms/CDSE/``."""
        return self._base("identity") + REALM_PATH + "/"

    @property
    def token_url(self) -> str:
        """The token endpoint,
        ``http://127.0.0.1:P2/auth/realms/CDSE/protocol/openid-connect/token``."""
        return self._base("identity") + TOKEN_PATH

    @property
    def openid_configuration_url(self) -> str:
        """The OIDC discovery document of the realm."""
        return self.identity_url + ".well-known/openid-configuration"

    @property
    def download_url(self) -> str:
        """The download host's OData root, ``http://127.0.0.1:P3/odata/v1/`` (Bearer tokens)."""
        return self._base("download") + "/odata/v1/"

    @property
    def user(self) -> str:
        """The first user name."""
        return next(iter(self.users))

    @property
    def password(self) -> str:
        """The first user's password."""
        return self.users[self.user]

    def environ(self) -> dict[str, str]:
        """The environment of a command run against this CDSE: ``DHUS_URL`` (the catalogue),
        ``DHUS_USER``, ``DHUS_PASSWORD``, ``CDSE_TOKEN_URL`` and ``CDSE_DOWNLOAD_URL``."""
        return {
            "DHUS_URL": self.url,
            "DHUS_USER": self.user,
            "DHUS_PASSWORD": self.password,
            "CDSE_TOKEN_URL": self.token_url,
            "CDSE_DOWNLOAD_URL": self.download_url,
        }

    def totp(self, user: str | None = None, at: float | None = None) -> str:
        """The current one-time password of a 2FA user (the first one by default)."""
        user = user or next(iter(self.totp_secrets))
        return totp_code(self.totp_secrets[user], at)

    # ------------------------------------------------------------------ catalogue
    @property
    def products(self) -> list[Product]:
        """The hub products of the catalogue, in their stable (generation) order."""
        return list(self._products)

    @property
    def entries(self) -> list[Entry]:
        """The CDSE entries of the products, in the same order as :attr:`products`."""
        return list(self._entries)

    def entry(self, key: str) -> Entry:
        """The entry of a product id, CDSE ``Name`` or DHuS identifier; ``KeyError`` if none."""
        found = self._by_id.get(key.lower()) or self._by_name.get(key)
        if found is None:
            found = next(
                (entry for entry in self._entries if entry.product.identifier == key), None
            )
        if found is None:
            raise KeyError(key)
        return found

    def product(self, key: str) -> Product:
        """The hub product of a product id, ``Name`` or identifier; ``KeyError`` if none."""
        return self.entry(key).product

    def entry_by_id(self, product_id: str) -> Entry | None:
        return self._by_id.get(product_id)

    def entry_by_name(self, name: str) -> Entry | None:
        return self._by_name.get(name)

    def entry_by_asset(self, asset_id: str) -> Entry | None:
        return self._by_asset.get(asset_id)

    def set_online(self, key: str, online: bool) -> None:
        """Set a product's ``Online`` flag (CDSE has no retrieval of offline products)."""
        self.product(key).online = online

    def filter_options(self) -> FilterOptions:
        """The evaluator settings that follow the current knobs."""
        faults = self.faults
        return FilterOptions(
            attribute_types=ATTRIBUTE_TYPES,
            unknown_attribute=faults.unknown_attribute,
            multipolygon=faults.intersects_multipolygon,
            aliases=faults.short_product_types,
        )

    def search(self, text: str, ordering: tuple[tuple[str, bool], ...] = ()) -> list[Entry]:
        """The entries matching a ``$filter`` in the order of ``$orderby`` (``FilterError``).

        Without an order, the entries come in a fixed, seeded order that is not sorted by
        date.  The result is cached for a few seconds, as a client pages through it.
        """
        options = self.filter_options()
        key = (text, ordering, options.unknown_attribute, options.multipolygon, options.aliases)
        now = time.monotonic()
        with self._search_lock:
            cached = self._search_cache.get(key)
            if cached is not None and now - cached[0] < _SEARCH_CACHE_SECONDS:
                return cached[1]
        matches = self._unordered
        if text.strip():
            predicate = compile_filter(parse(text), options)
            matches = [entry for entry in self._unordered if predicate(entry)]
        if ordering:
            matches = sorted(matches, key=lambda entry: entry.id)
            for field, descending in reversed(ordering):
                matches.sort(key=_ORDER_KEYS[field], reverse=descending)
        with self._search_lock:
            self._search_cache[key] = (now, matches)
            while len(self._search_cache) > _SEARCH_CACHE_SIZE:
                self._search_cache.pop(next(iter(self._search_cache)))
        return matches

    def clear_cache(self) -> None:
        """Forget cached search results (after changing products' ``Online`` flags)."""
        with self._search_lock:
            self._search_cache.clear()

    def node_tree(self, entry: Entry) -> Node:
        """The Nodes of a product, read from its zip once."""
        tree = self._trees.get(entry.id)
        if tree is None:
            tree = self._trees[entry.id] = read_tree(entry.name, entry.product.content)
        return tree

    def served_bytes(self, entry: Entry, start: int, end: int) -> Iterator[bytes | memoryview]:
        """A product's content as the download host sends it (with the ``corrupt`` fault)."""
        product = entry.product
        chunks = product.content.iter_bytes(start, end)
        corrupt = self.faults.corrupt
        if isinstance(corrupt, str):
            corrupt = [corrupt]
        if corrupt is True or (
            not isinstance(corrupt, bool)
            and {entry.id, entry.name, product.identifier} & set(corrupt)
        ):
            return flip_byte(chunks, start, corrupt_offset(product.size))
        return chunks

    # ------------------------------------------------------------------ tokens
    def identify(self, request: HTTPRequest) -> tuple[str | None, str]:
        """Check the access token of a request (``Authorization: Bearer`` or ``?token=``):
        ``(user, "ok")`` or ``(None, "missing" | "unknown" | "expired")``; sets ``request.user``."""
        scheme, _, value = (request.headers.get("Authorization") or "").strip().partition(" ")
        token = value.strip() if scheme.lower() == "bearer" else request.query.get("token")
        user, state = self.identity.check(token)
        request.user = user
        return user, state

    def expire_tokens(self, kind: str = "access") -> None:
        """Make every issued token of a kind expire now: ``access``, ``refresh`` or ``all``."""
        self.identity.expire(kind)

    @property
    def sessions_issued(self) -> int:
        """Password grants answered with tokens (each one is a new session)."""
        return self.identity.sessions_issued

    @property
    def tokens_refreshed(self) -> int:
        """Refresh grants answered with tokens."""
        return self.identity.tokens_refreshed

    def active_sessions(self, user: str | None = None) -> int:
        """Sessions whose refresh tokens have not all expired (of ``user``, or of everyone)."""
        return self.identity.active_sessions(user)

    @property
    def peak_concurrent_downloads(self) -> dict[str, int]:
        """``{user: the most $value downloads the user had in progress at once}``."""
        return self.regulator.peaks

    def active_downloads(self, user: str | None = None) -> int:
        """``$value`` downloads of ``user`` (the first user by default) in progress."""
        return self.regulator.active(user or self.user)

    # ------------------------------------------------------------------ request log
    @property
    def request_log(self) -> list[LoggedRequest]:
        """A snapshot of the requests the three servers answered, in completion order."""
        return self._log.snapshot()

    def clear_log(self) -> None:
        """Forget the logged requests."""
        self._log.clear()

    def record(self, entry: LogRecord) -> None:
        """Append a request in progress to the log; called by the servers."""
        self._log.append(entry)

    def draw_error(self, rate: float) -> int:
        """Draw from the seeded error generator: 500, 502 or 503 with probability ``rate``,
        else 0."""
        if rate <= 0:
            return 0
        with self._error_lock:
            if self._error_rng.random() >= rate:
                return 0
            return self._error_rng.choice((500, 502, 503))

    def wait(self, seconds: float) -> None:
        """Sleep, but return at once when the CDSE stops."""
        self._stop_event.wait(seconds)

    # ------------------------------------------------------------------ lifecycle
    @property
    def running(self) -> bool:
        """Whether the servers are started."""
        return bool(self._servers)

    def start(self) -> LocalCDSE:
        """Bind the three sockets and serve each in a background thread; returns the CDSE."""
        if self._servers:
            raise RuntimeError("the CDSE is already running")
        self._stop_event.clear()
        applications = {"catalogue": CatalogueApplication, "identity": IdentityApplication,
                        "download": DownloadApplication}  # fmt: skip
        try:
            for name, application in applications.items():
                server = CoreHTTPServer((self.host, self.ports[name]), application(self))
                self._servers[name] = server
                self.ports[name] = server.server_address[1]
        except OSError:
            for server in self._servers.values():
                server.server_close()
            self._servers.clear()
            raise
        for name, server in self._servers.items():
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05},
                name=f"sentinelsat-cdse-{name}", daemon=True,
            )  # fmt: skip
            self._threads.append(thread)
            thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: end open connections, join every thread, close the sockets."""
        if not self._servers:
            return
        self._stop_event.set()
        for server in self._servers.values():
            server.shutdown()
        for server in self._servers.values():
            server.close_all()
            server.server_close()
        for thread in self._threads:
            thread.join()
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> LocalCDSE:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = f"catalogue {self.url}" if self.running else "stopped"
        return f"<LocalCDSE {len(self._products)} products, {where}>"
