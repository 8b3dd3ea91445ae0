"""The DHuS OpenSearch (Solr) query language.

Pure functions only: they build and check query strings and never talk to a server.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timezone
from typing import Any, Callable, Union

from .exceptions import EmptyQueryValueError

DateLike = Union[str, date, datetime, None]

#: The longest query (in Java-URL-encoded characters) the DHuS servers accept.
MAX_QUERY_LENGTH = 3938

AREA_RELATIONS = ("intersects", "contains", "iswithin")

DATE_KEYWORDS = frozenset(["beginposition", "endposition", "date", "creationdate", "ingestiondate"])

_SOLR_UNIT = r"(?:YEARS?|MONTHS?|DAYS?|DATE|HOURS?|MINUTES?|SECONDS?|MILLIS?|MILLISECONDS?)"
_ISO_DATETIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z"
_DATE_MATH = re.compile(rf"^(?:{_ISO_DATETIME}|NOW)(?:[+-]\d+{_SOLR_UNIT}|/{_SOLR_UNIT})*$")
_COMPACT_DATE = re.compile(r"^\d{8}$")
_PLAIN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTERVAL = re.compile(r"^([\[{])\s*(\S+)\s+TO\s+(\S+)\s*([\]}])$")
_ORDER_FIELD = re.compile(r"^([+-]?)\s*([A-Za-z_][A-Za-z0-9_]*)$")
_WRAPPERS = (("[", "]"), ("{", "}"), ("/", "/"), ("(", ")"))
_JAVA_URL_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.* ")


def format_query_date(in_date: DateLike) -> str:
    """Format a date, datetime or date string for use in a DHuS query.

    Parameters
    ----------
    in_date : str, datetime.date, datetime.datetime or None
        The date to format. Accepted strings are ``yyyyMMdd``, ``yyyy-MM-dd``, ISO-8601
        timestamps with or without milliseconds (``2015-01-01T00:00:00Z``,
        ``2015-01-01T00:00:00.000Z``), ``NOW`` and Solr date math built on either of
        them (``NOW-1DAY``, ``NOW+3MONTHS-7DAYS/DAYS``, ``2015-01-01T00:00:00Z+1DAY``), and
        ``*`` for an open bound. ``None`` is an open bound as well.

    Returns
    -------
    str
        The date as the server expects it, e.g. ``2015-01-01T00:00:00Z``, ``NOW-1DAY`` or ``*``.

    Raises
    ------
    ValueError
        If the value is not a date or a valid date string.
    """
    if in_date is None:
        return "*"
    if isinstance(in_date, datetime):
        if in_date.tzinfo is not None:
            in_date = in_date.astimezone(timezone.utc).replace(tzinfo=None)
        return in_date.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(in_date, date):
        return in_date.strftime("%Y-%m-%dT00:00:00Z")
    if not isinstance(in_date, str):
        raise ValueError(f"Expected a date, datetime or date string, got {in_date!r}")
    text = in_date.strip()
    if text == "*" or _DATE_MATH.match(text):
        return text
    for pattern, layout in ((_COMPACT_DATE, "%Y%m%d"), (_PLAIN_DATE, "%Y-%m-%d")):
        if pattern.match(text):
            try:
                return datetime.strptime(text, layout).strftime("%Y-%m-%dT%H:%M:%SZ")
            except ValueError:
                raise ValueError(f"Invalid calendar date: {in_date!r}") from None
    raise ValueError(
        f"Unsupported date value {in_date!r}: expected yyyyMMdd, an ISO-8601 timestamp such as "
        "2015-01-01T00:00:00Z, NOW or Solr date math such as NOW-1DAY "
        "(upper case, no spaces)"
    )


def format_query(
    area: str | None = None,
    date: Any = None,
    raw: str | None = None,
    area_relation: str = "Intersects",
    **keywords: Any,
) -> str:
    """Build a DHuS OpenSearch query string.

    Parameters
    ----------
    area : str, optional
        The area of interest as Well-Known Text.
    date : tuple or str, optional
        Sensing start interval, a ``(start, end)`` tuple or a formatted interval string.
        Stands for the keyword ``beginPosition``.
    raw : str, optional
        Additional query text, appended as it is.
    area_relation : {'Intersects', 'Contains', 'IsWithin'}, optional
        Spatial relation between the footprints and ``area`` (any case).
    **keywords
        Further search keywords, e.g. ``platformname='Sentinel-2'`` or
        ``cloudcoverpercentage=(0, 30)``. A set of values means any of them (as in
        sentinelsat 1.x): ``producttype={'GRD', 'SLC'}`` gives
        ``(producttype:GRD OR producttype:SLC)``, the alternatives sorted; ranges and dates can
        be alternatives too, and an empty set leaves the keyword out.

    Returns
    -------
    str
        The query: keyword terms sorted by name, then ``raw``, then the footprint term,
        separated by single spaces; ``''`` if there is nothing to search for.

    Raises
    ------
    ValueError
        On an unknown area relation, duplicate keywords, malformed ranges or dates.
    """
    if area_relation is None or area_relation.lower() not in AREA_RELATIONS:
        raise ValueError(
            f"Unknown area_relation {area_relation!r}: use one of Intersects, Contains, IsWithin"
        )
    terms = dict(keywords)
    if date is not None:
        terms["beginPosition"] = date
    _check_duplicates(list(keywords) + (["beginPosition"] if date is not None else []))
    if area is not None and "footprint" in {key.lower() for key in terms}:
        raise ValueError("Query has duplicate keywords: 'area' and 'footprint'")

    parts = []
    for name in sorted(terms):
        term = _format_term(name, terms[name])
        if term is not None:
            parts.append(term)
    if raw:
        parts.append(raw)
    if area is not None:
        parts.append(f'footprint:"{area_relation}({area.strip()})"')
    return " ".join(part for part in parts if part)


def _check_duplicates(names: Iterable[str]) -> None:
    seen: dict[str, str] = {}
    for name in names:
        key = name.lower()
        if key in seen:
            raise ValueError(
                "Query has duplicate keywords (names are case-insensitive): "
                f"{seen[key]!r} and {name!r}"
            )
        seen[key] = name


def _format_term(name: str, value: Any) -> str | None:
    """``name:value``, or for a set of values (sentinelsat 1.x) the alternatives
    ``(name:a OR name:b)``, sorted; ``None`` means the keyword is left out (an empty set, or
    a range open at both ends)."""
    if not isinstance(value, (set, frozenset)):
        formatted = _format_value(name, value)
        return None if formatted is None else f"{name}:{formatted}"
    alternatives = set()
    for item in value:
        if isinstance(item, (set, frozenset)):
            raise ValueError(f"Keyword {name!r}: a set of alternatives cannot contain a set")
        formatted = _format_value(name, item)
        if formatted is not None:
            alternatives.add(f"{name}:{formatted}")
    if not alternatives:
        return None
    return f"({' OR '.join(sorted(alternatives))})"


def _format_value(name: str, value: Any) -> str | None:
    """Format one keyword's value; ``None`` means the keyword is left out."""
    if name.lower() in DATE_KEYWORDS:
        return _format_date_value(name, value)
    if isinstance(value, (tuple, list)):
        return _format_range(name, value, _format_bound)
    if value is None:
        raise ValueError(f"Keyword {name!r} has no value")
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        if not value.strip():
            raise EmptyQueryValueError(
                f"Keyword {name!r} has an empty value: no server accepts it",
                hint="Leave the keyword out to search without it.",
            )
        return _escape_string(value)
    return str(value)


def _format_date_value(name: str, value: Any) -> str | None:
    if isinstance(value, (tuple, list)):
        return _format_range(name, value, format_query_date)
    if isinstance(value, str):
        match = _INTERVAL.match(value.strip())
        if match:
            opening, start, end, closing = match.groups()
            return f"{opening}{format_query_date(start)} TO {format_query_date(end)}{closing}"
    raise ValueError(
        f"Date keyword {name!r} expects a (start, end) tuple or an interval string such as "
        f"'[NOW-1DAY TO NOW]', got {value!r}"
    )


def _format_range(name: str, value: Any, format_bound: Callable[[Any], str]) -> str | None:
    if len(value) != 2:
        raise ValueError(
            f"Range for keyword {name!r} must have exactly two elements, got {value!r}"
        )
    start, end = (format_bound(bound) for bound in value)
    if start == "*" and end == "*":
        return None
    return f"[{start} TO {end}]"


def _format_bound(bound: Any) -> str:
    if bound is None:
        return "*"
    if isinstance(bound, str):
        return bound.strip() or "*"
    return str(bound)


def _escape_string(value: str) -> str:
    text = value.strip()
    for opening, closing in _WRAPPERS:
        if len(text) >= 2 and text.startswith(opening) and text.endswith(closing):
            return text
    return re.sub(r"\s", lambda _: "\\ ", text)


def format_order_by(order_by: str) -> str:
    """Convert a user's sort specification into the server's ``orderby`` syntax.

    Parameters
    ----------
    order_by : str
        Comma-separated field names, each optionally prefixed with ``+`` (ascending,
        the default) or ``-`` (descending), e.g. ``"cloudcoverpercentage, -beginposition"``.

    Returns
    -------
    str
        E.g. ``"cloudcoverpercentage asc,beginposition desc"``.

    Raises
    ------
    ValueError
        If a field is empty or not a plain field name.
    """
    fields = []
    for item in order_by.split(","):
        match = _ORDER_FIELD.match(item.strip())
        if not match:
            raise ValueError(
                f"Invalid order_by field {item.strip()!r} in {order_by!r}: expected comma-separated field "
                "names, optionally prefixed with '+' or '-'"
            )
        sign, field = match.groups()
        fields.append(f"{field} {'desc' if sign == '-' else 'asc'}")
    return ",".join(fields)


def query_length(query: str) -> int:
    """Length of ``query`` once URL-encoded the way the server's Java code encodes it."""
    return sum(1 if byte in _JAVA_URL_SAFE else 3 for byte in query.encode("utf-8"))


def check_query_length(query: str) -> float:
    """Determine whether a query is too long for the server.

    Parameters
    ----------
    query : str
        The query string.

    Returns
    -------
    float
        Ratio of the query's effective length to the server's maximum (3938). Above 1 the
        server will reject the query. Characters other than ASCII letters, digits, space and
        ``-_.*`` count three times (once per UTF-8 byte for non-ASCII characters).
    """
    return query_length(query) / MAX_QUERY_LENGTH


def plan_pages(total: int, offset: int, limit: int | None, page_size: int) -> list[tuple[int, int]]:
    """Split a result set into ``(start, rows)`` page requests.

    Parameters
    ----------
    total : int
        Number of products matching the query on the server.
    offset : int
        Number of leading products to skip.
    limit : int or None
        Maximum number of products wanted, ``None`` for all of them.
    page_size : int
        Maximum rows per request.

    Returns
    -------
    list of (int, int)
        The pages to request, in order. Without a limit every page asks for
        ``page_size`` rows, as DHuS clients always did; with one, the last page asks only
        for what is left of it.
    """
    if limit is None:
        return [(start, page_size) for start in range(offset, total, page_size)]
    stop = offset + limit
    return [
        (start, min(page_size, stop - start))
        for start in range(offset, min(total, stop), page_size)
    ]
