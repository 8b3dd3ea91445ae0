"""The knobs of the local CDSE: its limits, its faults and the behaviours the reference marks
as uncertain.  Every field carries its ``help`` text and what a command line needs (``parse``,
``choices``, ``bounds``...) in its metadata, as :mod:`sentinelsat.testing.knobs` reads it: the
keyword arguments of :class:`~.LocalCDSE` and the options of ``sentinelsat-hub serve --cdse``
are generated from the dataclass (see also :func:`knob_help`)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, fields
from typing import Any

from ..knobs import document_knobs, parse_names, parse_size

#: The values of the choice knobs.
ERROR_BODIES = ("detail", "odata", "text")
UNKNOWN_ATTRIBUTE_ANSWERS = ("empty", "error")
DISPOSITIONS = ("none", "stem", "name")
CHECKSUM_LISTS = ("md5+blake3", "blake3", "none")
SERVERS = ("catalogue", "identity", "download")


#: The range of the knobs that are HTTP statuses.
STATUS_BOUNDS = (100, 599)
#: The second option of ``corrupt`` on a command line, as the DHuS hub's.
CORRUPT_PRODUCT_OPTION = (
    "--corrupt-product",
    "ID",
    "Flip one byte of this product only (id or identifier; repeatable).",
)


def _knob(default: Any, help: str, **metadata: Any) -> Any:
    return field(default=default, metadata={"help": help, **metadata})


@document_knobs
@dataclass
class CDSEFaults:
    """The limits, faults and uncertain behaviours of a :class:`~.LocalCDSE`.

    Change them at any time, also while requests are in progress: every request reads the
    current values.  The fields whose meaning is the same as in
    :class:`sentinelsat.testing.Faults` have the same names.  Each field's ``help`` (in
    :func:`dataclasses.fields` metadata) says what it does; a ``choices`` entry lists the
    accepted values of a choice knob.  The same metadata makes the options of
    ``sentinelsat-hub serve --cdse`` and ``run --cdse``.
    """

    # ---- faults, as in the DHuS hub
    latency: float = _knob(0.0, "Seconds added to every request.")
    bandwidth: float | None = _knob(
        None,
        "Bytes per second per connection for $value bodies (None: unlimited).",
        parse=parse_size,
        metavar="SIZE",
    )
    error_rate: float = _knob(
        0.0,
        "Share of the requests of the servers in error_servers answered 500, 502 or 503 "
        "(seeded, reproducible).",
        bounds=(0.0, 1.0),
    )
    error_servers: Collection[str] = _knob(
        ("catalogue", "download"),
        "The servers that error_rate applies to: catalogue, identity, download (on a command "
        "line, comma-separated).",
        choices=SERVERS,
        parse=parse_names,
        metavar="SERVER,...",
    )
    drop_after: int | None = _knob(
        None,
        "Close the connection after this many body bytes of each $value response.",
        parse=parse_size,
        metavar="SIZE",
    )
    corrupt: bool | Collection[str] = _knob(
        False,
        "Flip the middle byte of every product (True) or of these ids or names; the "
        "reported checksums stay the true ones.",
        flag_help="Flip one byte of every downloaded product.",
        items_option=CORRUPT_PRODUCT_OPTION,
    )
    maintenance: bool = _knob(False, "Answer every request of the three servers 503.")
    max_concurrent_downloads: int = _knob(
        4, "Product and node $value GETs in progress per user; more are answered 429 DAT-ZIP-100."
    )
    ignore_range: bool = _knob(False, "Answer 200 with the whole body even when a Range is asked.")
    # ---- identity
    access_token_lifetime: float = _knob(
        600.0, "Seconds an access token is valid (expires_in); applies to tokens issued next."
    )
    refresh_token_lifetime: float = _knob(
        3600.0,
        "Seconds a refresh token is valid (refresh_expires_in); applies to tokens issued next.",
    )
    max_sessions: int = _knob(
        100, "Active sessions per user (one per password grant) before the token endpoint refuses."
    )
    session_limit_status: int = _knob(
        401,
        "Status of the token endpoint's answer once max_sessions is reached (uncertain point 9).",
        bounds=STATUS_BOUNDS,
    )
    # ---- catalogue (uncertain points of the reference)
    error_body: str = _knob(
        "detail",
        'Body of the catalogue\'s 400 and 404 answers: detail ({"detail": ...}), odata '
        '({"error": {...}}) or text (uncertain point 1).',
        choices=ERROR_BODIES,
    )
    unknown_attribute: str = _knob(
        "empty",
        "A $filter on an attribute the collections do not have: matches nothing (empty) or "
        "is answered 400 (error) (uncertain point 1).",
        choices=UNKNOWN_ATTRIBUTE_ANSWERS,
    )
    unknown_collection_status: int = _knob(
        404,
        "Status of Attributes(<collection>) for an unknown collection (400 or 404).",
        bounds=STATUS_BOUNDS,
    )
    short_product_types: bool = _knob(
        True,
        "Sentinel-1 productType filters also accept the DHuS short names (GRD, SLC, RAW, "
        "OCN) (uncertain point 2).",
    )
    intersects_multipolygon: bool = _knob(
        True, "OData.CSC.Intersects accepts MULTIPOLYGON areas (uncertain point 3)."
    )
    allow_top_zero: bool = _knob(True, "$top=0 is accepted (uncertain point 11).")
    max_filter_length: int = _knob(
        8000, "Longest $filter (decoded characters) before the catalogue answers 414."
    )
    redirect_status: int = _knob(
        301,
        "Status of the catalogue's redirect of Products(<id>)/$value to the download host "
        "(301 or 302, uncertain point 12).",
        bounds=STATUS_BOUNDS,
    )
    redirect_keeps_query: bool = _knob(
        True, "The redirect to the download host keeps the query string (uncertain point 10)."
    )
    checksums: str = _knob(
        "md5+blake3",
        "The Checksum list of the products: md5+blake3, blake3 (no MD5) or none (an empty "
        "list) (uncertain point 6).",
        choices=CHECKSUM_LISTS,
    )
    # ---- download host (uncertain points of the reference)
    disposition: str = _knob(
        "name",
        "Content-Disposition of downloads: none, stem (<Name without extension>.zip) or "
        "name (<Name>.zip) (uncertain point 4).",
        choices=DISPOSITIONS,
    )
    accept_ranges: bool = _knob(
        True, "Send Accept-Ranges: bytes with downloads (uncertain point 5)."
    )
    content_range: bool = _knob(True, "Send Content-Range with 206 answers (uncertain point 5).")
    download_content_type: str = _knob(
        "application/zip",
        "Content-Type of product downloads (application/zip or application/octet-stream).",
        metavar="TYPE",
    )
    offline_status: int = _knob(
        404,
        "Status of the download host for a product with Online false (uncertain point 8); "
        "the body says the product is offline.",
        bounds=STATUS_BOUNDS,
    )

    def __post_init__(self) -> None:
        validate(self)


def validate(faults: CDSEFaults) -> None:
    """Raise ``ValueError`` for a choice knob with a value it does not accept."""
    for knob in fields(faults):
        choices = knob.metadata.get("choices")
        if choices is None:
            continue
        value = getattr(faults, knob.name)
        values = [value] if isinstance(value, str) else list(value)
        wrong = [item for item in values if item not in choices]
        if wrong:
            raise ValueError(f"{knob.name}: {wrong[0]!r} is not one of {', '.join(choices)}")


def knob_help() -> dict[str, str]:
    """``{knob name: help text}`` for every field of :class:`CDSEFaults`, in order."""
    return {knob.name: knob.metadata["help"] for knob in fields(CDSEFaults)}
