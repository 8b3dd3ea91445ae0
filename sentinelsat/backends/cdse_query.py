"""sentinelsat 0.13 searches in the words of the CDSE catalogue: OData ``$filter`` and
``$orderby``.

Pure functions only: they build and check expressions and never talk to a server.

:func:`translate` turns the arguments of :meth:`sentinelsat.SentinelAPI.query` into a
:class:`Translation`: the ``$filter`` the server evaluates, and the checks the client applies
to the results where the server cannot say exactly what 0.13 meant (``area_relation``
``Contains`` and ``IsWithin``, name patterns that no ``startswith``/``endswith``/``contains``
expresses). The server's filter is then a superset of the products meant, never a subset, and
the checks remove the rest. A keyword, a value or a ``raw`` query that has no translation
raises a :class:`ValueError` that names it and the supported keywords: a search is never
silently wider than asked.

:data:`KEYWORDS` lists the supported keywords (the documentation's table is checked against
it); :func:`plan_order` splits an ``order_by`` into what the server sorts and what the client
sorts.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, NoReturn

from ..exceptions import EmptyQueryValueError
from ..query import AREA_RELATIONS, format_query_date

#: A client-side test of one search result (the dict ``query()`` returns for a product).
Check = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True)
class Keyword:
    """How a sentinelsat 0.13 search keyword is searched on CDSE.

    Attributes
    ----------
    cdse : str
        The product property or attribute it filters (``ContentDate/Start``, ``cloudCover``).
    kind : str
        How its values are translated: ``date``, an attribute type (``String``,
        ``Integer``, ``Double``), or a keyword of its own (``collection``, ``producttype``,
        ``polarisation``, ``instrument``, ``filename``, ``identifier``, ``uuid``).
    """

    cdse: str
    kind: str


#: The search keywords with a translation, by their 0.13 name (any case is accepted).
KEYWORDS: dict[str, Keyword] = {
    "beginposition": Keyword("ContentDate/Start", "date"),
    "endposition": Keyword("ContentDate/End", "date"),
    "ingestiondate": Keyword("PublicationDate", "date"),
    "platformname": Keyword("Collection/Name", "collection"),
    "producttype": Keyword("productType", "producttype"),
    "instrumentshortname": Keyword("instrumentShortName", "instrument"),
    "cloudcoverpercentage": Keyword("cloudCover", "Double"),
    "orbitnumber": Keyword("orbitNumber", "Integer"),
    "relativeorbitnumber": Keyword("relativeOrbitNumber", "Integer"),
    "orbitdirection": Keyword("orbitDirection", "String"),
    "polarisationmode": Keyword("polarisationChannels", "polarisation"),
    "sensoroperationalmode": Keyword("operationalMode", "String"),
    "swathidentifier": Keyword("swathIdentifier", "String"),
    "tileid": Keyword("tileId", "String"),
    "filename": Keyword("Name", "filename"),
    "identifier": Keyword("Name", "identifier"),
    "uuid": Keyword("Id", "uuid"),
}

#: ``order_by`` fields the server sorts by, and the field they stand for.
SERVER_ORDER: dict[str, str] = {
    "beginposition": "ContentDate/Start",
    "endposition": "ContentDate/End",
    "ingestiondate": "PublicationDate",
}

#: ``order_by`` fields sorted on the client, and the result key sorted by.
CLIENT_ORDER: dict[str, str] = {
    "cloudcoverpercentage": "cloudcoverpercentage",
    "orbitnumber": "orbitnumber",
    "relativeorbitnumber": "relativeorbitnumber",
    "size": "ContentLength",
    "title": "title",
    "identifier": "identifier",
    "filename": "filename",
    "uuid": "uuid",
    "platformname": "platformname",
    "producttype": "producttype",
    "orbitdirection": "orbitdirection",
    "polarisationmode": "polarisationmode",
    "sensoroperationalmode": "sensoroperationalmode",
    "swathidentifier": "swathidentifier",
    "tileid": "tileid",
    "creationdate": "OriginDate",
}

#: The order of a search without ``order_by``: the newest publications first, as DHuS
#: returned the newest ingestions first.
DEFAULT_ORDER: tuple[tuple[str, bool], ...] = (("PublicationDate", True),)

#: Sentinel-1 product types as DHuS named them, and the part of a product name that has them.
SENTINEL1_SHORT_TYPES = {"GRD": "_GRD", "SLC": "_SLC_", "OCN": "_OCN_", "RAW": "_RAW_"}

#: The polarisation channels of Sentinel-1 products on CDSE.
POLARISATIONS = ("HH", "VV", "HV", "VH", "HH&HV", "VV&VH")

#: DHuS instrument names that CDSE spells differently.
INSTRUMENTS = {"SAR-C SAR": "SAR", "SAR-C": "SAR"}

#: Collections whose DHuS platform name is not the collection name in upper case.
COLLECTIONS = {
    "SENTINEL-5 PRECURSOR": "SENTINEL-5P",
    "SENTINEL-5": "SENTINEL-5P",
}

_OR_GROUP = re.compile(r"^\((.*)\)$", re.DOTALL)
_OR = re.compile(r"\s+(?:OR|\|\|)\s+")
_INTERVAL = re.compile(r"^([\[{])\s*(\S+)\s+TO\s+(\S+)\s*([\]}])$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_ORDER_FIELD = re.compile(r"^([+-]?)\s*([A-Za-z_][A-Za-z0-9_]*)$")
_DATE_MATH = re.compile(r"([+-])(\d+)([A-Z]+)|/([A-Z]+)")
_MATH_BASE = re.compile(r"^(NOW|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)(.*)$")
_RAW_TERM = re.compile(
    r"""\s*([A-Za-z_][A-Za-z0-9_]*):(                # keyword:
        \((?:[^()"]|"[^"]*")*\)                     # (A OR B)
        | [\[{][^\]}]*[\]}]                          # [a TO b], {a TO b}
        | "(?:[^"\\]|\\.)*"                          # "a phrase"
        | (?:[^\s()"\\]|\\.)+                        # a word, \-escapes allowed
    )""",
    re.VERBOSE,
)
_RAW_AND = re.compile(r"\s+(?:AND|&&)(?=\s)|\s+")


# ---------------------------------------------------------------------- the translation
@dataclass(frozen=True)
class Condition:
    """One part of a search.

    Attributes
    ----------
    text : str
        The OData expression.
    exact : bool
        Whether ``text`` selects exactly the products meant; otherwise it selects more and
        ``check`` tells them apart.
    check : callable or None
        A client-side test with the exact meaning (for the conditions that are not exact,
        and for name patterns that may be OR-ed with them).
    """

    text: str
    exact: bool = True
    check: Check | None = None


@dataclass(frozen=True)
class Translation:
    """A search in CDSE's terms.

    Attributes
    ----------
    filter : str
        The ``$filter`` expression (``''``: every product).
    checks : tuple of callable
        Tests every result must pass on the client (empty when the server is exact).
    """

    filter: str
    checks: tuple[Check, ...] = ()

    def accepts(self, result: Mapping[str, Any]) -> bool:
        """Whether a search result passes every check."""
        return all(check(result) for check in self.checks)


def supported_keywords() -> str:
    """The supported keywords, for error messages."""
    return ", ".join(sorted(KEYWORDS))


def translate(
    area: str | None = None,
    date: Any = None,
    raw: str | None = None,
    area_relation: str = "Intersects",
    keywords: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Translation:
    """Translate the arguments of ``SentinelAPI.query()`` into a CDSE search.

    Parameters
    ----------
    area : str, optional
        The area of interest as WKT (``POINT``, ``POLYGON`` or ``MULTIPOLYGON``).
    date : tuple or str, optional
        The sensing start interval, as for ``query()`` (``beginposition``).
    raw : str, optional
        Further ``keyword:value`` terms in the DHuS query syntax, joined by spaces or
        ``AND``.
    area_relation : {'Intersects', 'Contains', 'IsWithin'}, optional
        ``Intersects`` is evaluated by the server; ``Contains`` and ``IsWithin`` by the
        client (with shapely) on the products that intersect the area.
    keywords : dict, optional
        The other search keywords (:data:`KEYWORDS`).
    now : datetime, optional
        The time ``NOW`` stands for (UTC); the current time by default.

    Returns
    -------
    Translation

    Raises
    ------
    ValueError
        For a keyword, value or raw query without translation, duplicate keywords, an unknown
        area relation, invalid dates or ranges (:class:`EmptyQueryValueError` for an empty
        value).
    """
    if area_relation is None or str(area_relation).lower() not in AREA_RELATIONS:
        raise ValueError(
            f"Unknown area_relation {area_relation!r}: use one of Intersects, Contains, IsWithin"
        )
    now = _utc(now) if now is not None else _utc(datetime.now(timezone.utc))
    terms = _collect_terms(date, raw, keywords or {})
    conditions: list[Condition] = []
    if area is not None:
        conditions += _area_conditions(area, str(area_relation).lower())
    for name in sorted(terms):
        condition = keyword_condition(name, terms[name], now)
        if condition is not None:
            conditions.append(condition)
    text = " and ".join(condition.text for condition in conditions if condition.text)
    checks = tuple(c.check for c in conditions if not c.exact and c.check is not None)
    return Translation(text, checks)


def _collect_terms(date: Any, raw: str | None, keywords: Mapping[str, Any]) -> dict[str, Any]:
    """Every keyword of the search by its lower-case name (``date`` as ``beginposition``)."""
    terms: dict[str, Any] = {}
    names: dict[str, str] = {}

    def add(name: str, value: Any) -> None:
        key = name.lower()
        if key in names:
            raise ValueError(
                "Query has duplicate keywords (names are case-insensitive): "
                f"{names[key]!r} and {name!r}"
            )
        names[key] = name
        terms[key] = value

    for name, value in keywords.items():
        add(name, value)
    if date is not None:
        add("beginPosition", date)
    for name, value in parse_raw(raw or ""):
        add(name, value)
    if "footprint" in terms:
        raise ValueError(
            "The keyword 'footprint' has no OData translation on CDSE: give the area as the "
            "area argument (with area_relation)"
        )
    return terms


# ---------------------------------------------------------------------- raw queries
def parse_raw(raw: str) -> list[tuple[str, str]]:
    """Split a raw DHuS query into ``(keyword, value)`` terms.

    Only ``keyword:value`` terms joined by spaces or ``AND`` have a translation; values may be
    words (with ``\\`` escapes), ``"phrases"``, ranges ``[a TO b]`` and groups ``(A OR B)``.

    Raises
    ------
    ValueError
        For anything else (``OR`` or ``NOT`` between terms, free text, parentheses around
        terms).
    """
    terms: list[tuple[str, str]] = []
    position = 0
    text = raw.strip()
    while position < len(text):
        if terms:
            separator = _RAW_AND.match(text, position)
            if separator is None:
                _raw_error(raw, text[position:])
            position = separator.end()
        match = _RAW_TERM.match(text, position)
        if match is None:
            _raw_error(raw, text[position:])
        terms.append((match.group(1), _raw_value(match.group(2))))
        position = match.end()
    return terms


def _raw_error(raw: str, rest: str) -> NoReturn:
    raise ValueError(
        f"The raw query {raw!r} has no OData translation on CDSE (at {rest[:40]!r}): only "
        "keyword:value terms joined by spaces or AND can be translated, with the keywords "
        f"{supported_keywords()}"
    )


def _raw_value(text: str) -> str:
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        return '"' + re.sub(r"\\(.)", r"\1", text[1:-1]) + '"'
    if text[0] in "([{":
        return text
    return re.sub(r"\\(.)", r"\1", text)


# ---------------------------------------------------------------------- keywords
def keyword_condition(name: str, value: Any, now: datetime) -> Condition | None:
    """The condition of one keyword (``None``: the keyword is dropped, e.g. an open range or
    an empty set).

    Raises
    ------
    ValueError
        For an unknown keyword or a value it cannot take.
    """
    keyword = KEYWORDS.get(name.lower())
    if keyword is None:
        raise ValueError(
            f"The search keyword {name!r} has no OData translation on CDSE; supported "
            f"keywords: {supported_keywords()}"
        )
    if isinstance(value, str) and not value.strip():
        raise EmptyQueryValueError(
            f"Keyword {name!r} has an empty value: no server accepts it",
            hint="Leave the keyword out to search without it.",
        )
    choices = alternatives(name, value)
    if choices is None:
        return None
    conditions = [_alternative(name, keyword, choice, now) for choice in choices]
    return any_of([condition for condition in conditions if condition is not None])


def any_of(conditions: list[Condition]) -> Condition | None:
    """The OR of conditions (``None`` for none)."""
    if not conditions:
        return None
    if len(conditions) == 1:
        return conditions[0]
    if any(condition.exact and not condition.text for condition in conditions):
        return Condition("")  # one of the alternatives is every product
    exact = all(condition.exact for condition in conditions)
    checks = [condition.check for condition in conditions]
    check: Check | None = None
    if not exact:
        if any(found is None for found in checks):  # pragma: no cover - names always check
            raise ValueError("This OR of values cannot be translated exactly")
        tests = [found for found in checks if found is not None]

        def check(result: Mapping[str, Any]) -> bool:
            return any(test(result) for test in tests)

    return Condition("(" + " or ".join(c.text for c in conditions) + ")", exact, check)


def alternatives(name: str, value: Any) -> list[Any] | None:
    """The values a keyword may take: the members of a set or of an ``(A OR B)`` group, or
    the value itself; ``None`` for an empty set (the keyword is dropped, as in
    sentinelsat 1.x)."""
    if isinstance(value, (set, frozenset)):
        members = sorted(value, key=repr)
        for member in members:
            if isinstance(member, (set, frozenset)):
                raise ValueError(f"Keyword {name!r} has a set inside a set: {value!r}")
        return members or None
    if isinstance(value, str):
        group = _OR_GROUP.match(value.strip())
        if group and _OR.search(group.group(1)):
            return [part.strip() for part in _OR.split(group.group(1).strip())]
    return [value]


def _alternative(name: str, keyword: Keyword, value: Any, now: datetime) -> Condition | None:
    kind = keyword.kind
    if kind == "date":
        return _date_condition(name, keyword.cdse, value, now)
    if kind in ("Integer", "Double"):
        return _number_condition(name, keyword.cdse, kind, value)
    text = _string_value(name, value)
    if kind == "filename":
        return name_condition(text, identifier=False)
    if kind == "identifier":
        return name_condition(text.upper(), identifier=True)
    _no_wildcards(name, text)
    if kind == "uuid":
        if not _UUID.match(text):
            raise ValueError(f"Keyword {name!r} expects a product id (a UUID), got {value!r}")
        return Condition(f"Id eq {text.lower()}")
    if kind == "collection":
        collection = text.upper()
        return Condition(f"Collection/Name eq {quote(COLLECTIONS.get(collection, collection))}")
    if kind == "producttype":
        return _product_type_condition(text.upper())
    if kind == "polarisation":
        return _polarisation_condition(text.upper())
    if kind == "instrument":
        instrument = INSTRUMENTS.get(text.upper(), text.upper())
        return Condition(attribute_clause(keyword.cdse, "String", "eq", quote(instrument)))
    return Condition(attribute_clause(keyword.cdse, "String", "eq", quote(text.upper())))


def _string_value(name: str, value: Any) -> str:
    """A keyword's value as text (quotes of a phrase removed)."""
    if value is None:
        raise ValueError(f"Keyword {name!r} has no value")
    if isinstance(value, (tuple, list)) or _is_interval(value):
        raise ValueError(f"Keyword {name!r} takes no range on CDSE, got {value!r}")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"Keyword {name!r} expects a text value, got {value!r}")
    text = str(value).strip()
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        text = " ".join(text[1:-1].split())
    if not text:
        raise EmptyQueryValueError(
            f"Keyword {name!r} has an empty value: no server accepts it",
            hint="Leave the keyword out to search without it.",
        )
    return text


def _no_wildcards(name: str, text: str) -> None:
    if "*" in text or "?" in text:
        raise ValueError(
            f"Keyword {name!r} cannot take wildcards on CDSE ({text!r}): only filename and "
            "identifier can"
        )


def _is_interval(value: Any) -> bool:
    return isinstance(value, str) and _INTERVAL.match(value.strip()) is not None


def quote(text: str) -> str:
    """An OData string literal: ``'text'``, a quote written twice."""
    return "'" + text.replace("'", "''") + "'"


def attribute_clause(attribute: str, value_type: str, op: str, literal: str) -> str:
    """``Attributes/OData.CSC.<T>Attribute/any(att:att/Name eq '<name>' and ... <op> <v>)``."""
    cast = f"OData.CSC.{value_type}Attribute"
    return (
        f"Attributes/{cast}/any(att:att/Name eq {quote(attribute)} and "
        f"att/{cast}/Value {op} {literal})"
    )


def _product_type_condition(product_type: str) -> Condition:
    """``productType``; the Sentinel-1 types of DHuS (``GRD``...) by the part of the name that
    has them, whether or not the server knows these short names."""
    marker = SENTINEL1_SHORT_TYPES.get(product_type)
    if marker is not None:
        return Condition(f"(Collection/Name eq 'SENTINEL-1' and contains(Name,{quote(marker)}))")
    return Condition(attribute_clause("productType", "String", "eq", quote(product_type)))


def _polarisation_condition(text: str) -> Condition:
    """DHuS found a polarisation among the words of the value (``VV`` matched ``VV VH``); CDSE
    compares whole values (``VV&VH``): one channel becomes the values that contain it."""
    words = [word for word in re.split(r"[\s&]+", text) if word]
    if len(words) == 1:
        values = [value for value in POLARISATIONS if words[0] in value.split("&")]
        values = values or [words[0]]
    else:
        values = ["&".join(words)]
    clauses = [attribute_clause("polarisationChannels", "String", "eq", quote(v)) for v in values]
    return Condition(clauses[0] if len(clauses) == 1 else "(" + " or ".join(clauses) + ")")


# ---------------------------------------------------------------------- numbers
def _number_condition(name: str, attribute: str, value_type: str, value: Any) -> Condition | None:
    bounds = _range(name, value)
    if bounds is None:
        literal = _number(name, value, value_type)
        return Condition(attribute_clause(attribute, value_type, "eq", literal))
    (low, low_inclusive), (high, high_inclusive) = bounds
    clauses = []
    if low is not None:
        op = "ge" if low_inclusive else "gt"
        clauses.append(attribute_clause(attribute, value_type, op, _number(name, low, value_type)))
    if high is not None:
        op = "le" if high_inclusive else "lt"
        clauses.append(attribute_clause(attribute, value_type, op, _number(name, high, value_type)))
    if not clauses:
        return None
    return Condition(" and ".join(clauses))


def _number(name: str, value: Any, value_type: str) -> str:
    """An OData number literal of a keyword value (an int, a float or a numeric string)."""
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value) if isinstance(value, str) else value
        if not isinstance(number, (int, float)) or not math.isfinite(number):
            raise ValueError
    except (TypeError, ValueError):
        raise ValueError(f"Keyword {name!r} expects a number, got {value!r}") from None
    if value_type == "Integer":
        if float(number) != int(number):
            raise ValueError(f"Keyword {name!r} expects a whole number, got {value!r}")
        return str(int(number))
    return format_number(float(number))


def format_number(number: float) -> str:
    """A float as OData writes it: no exponent, no superfluous zeros."""
    if number.is_integer():
        return str(int(number))
    text = repr(number)
    if "e" in text or "E" in text:
        text = f"{number:.20f}".rstrip("0").rstrip(".")
    return text


Bound = tuple[Any, bool]  # (value or None for open, inclusive)


def _range(name: str, value: Any) -> tuple[Bound, Bound] | None:
    """The bounds of a range value (a 2-tuple or list, or ``[a TO b]``/``{a TO b}``), or
    ``None`` if the value is not a range."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(
                f"Range for keyword {name!r} must have exactly two elements, got {value!r}"
            )
        low, high = (_open_bound(bound) for bound in value)
        return (low, True), (high, True)
    if isinstance(value, str):
        match = _INTERVAL.match(value.strip())
        if match:
            opening, low, high, closing = match.groups()
            return (_open_bound(low), opening == "["), (_open_bound(high), closing == "]")
    return None


def _open_bound(bound: Any) -> Any:
    if bound is None or (isinstance(bound, str) and bound.strip() in ("", "*")):
        return None
    return bound.strip() if isinstance(bound, str) else bound


# ---------------------------------------------------------------------- dates
def _date_condition(name: str, field: str, value: Any, now: datetime) -> Condition | None:
    bounds = _range(name, value)
    if bounds is None:
        raise ValueError(
            f"Date keyword {name!r} expects a (start, end) tuple or an interval string such as "
            f"'[NOW-1DAY TO NOW]', got {value!r}"
        )
    (low, low_inclusive), (high, high_inclusive) = bounds
    clauses = []
    if low is not None:
        clauses.append(
            f"{field} {'ge' if low_inclusive else 'gt'} {format_datetime(resolve_date(low, now))}"
        )
    if high is not None:
        clauses.append(
            f"{field} {'le' if high_inclusive else 'lt'} {format_datetime(resolve_date(high, now))}"
        )
    if not clauses:
        return None
    return Condition(" and ".join(clauses))


def resolve_date(value: Any, now: datetime) -> datetime:
    """The UTC time a sentinelsat 0.13 date value stands for (naive).

    Parameters
    ----------
    value : str, datetime.date or datetime.datetime
        ``yyyyMMdd``, ``yyyy-MM-dd``, an ISO-8601 UTC timestamp, ``NOW`` and Solr date math
        built on either (``NOW-1DAY``, ``NOW/DAY``, ``2015-01-01T00:00:00Z+1MONTH``); a naive
        datetime is UTC.
    now : datetime
        What ``NOW`` stands for.

    Raises
    ------
    ValueError
        If the value is not such a date (0.13's message).
    """
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = format_query_date(value)  # validates, with 0.13's messages
    match = _MATH_BASE.match(text)
    if match is None:  # pragma: no cover - format_query_date accepts nothing else
        raise ValueError(f"Unsupported date value {value!r}")
    base, math_text = match.groups()
    moment = _utc(now) if base == "NOW" else _parse_timestamp(base)
    for sign, amount, unit, rounding in _DATE_MATH.findall(math_text):
        if rounding:
            moment = _round_down(moment, _unit(rounding))
        else:
            moment = _shift(moment, _unit(unit), int(amount) * (1 if sign == "+" else -1))
    return moment


def _parse_timestamp(text: str) -> datetime:
    body = text[:-1]
    layout = "%Y-%m-%dT%H:%M:%S.%f" if "." in body else "%Y-%m-%dT%H:%M:%S"
    if "." in body:
        head, fraction = body.split(".")
        body = f"{head}.{fraction[:6]}"
    return datetime.strptime(body, layout)


_UNITS = {
    "YEAR": "year", "YEARS": "year", "MONTH": "month", "MONTHS": "month", "DAY": "day",
    "DAYS": "day", "DATE": "day", "HOUR": "hour", "HOURS": "hour", "MINUTE": "minute",
    "MINUTES": "minute", "SECOND": "second", "SECONDS": "second", "MILLI": "milli",
    "MILLIS": "milli", "MILLISECOND": "milli", "MILLISECONDS": "milli",
}  # fmt: skip
_STEPS = {
    "day": timedelta(days=1),
    "hour": timedelta(hours=1),
    "minute": timedelta(minutes=1),
    "second": timedelta(seconds=1),
    "milli": timedelta(milliseconds=1),
}


def _unit(text: str) -> str:
    return _UNITS[text]


def _shift(moment: datetime, unit: str, amount: int) -> datetime:
    """Solr's ``+N<UNIT>``: calendar arithmetic for years and months (the day of the month
    clamped to the month's length), fixed steps for the others."""
    if unit in ("year", "month"):
        months = moment.month - 1 + amount * (12 if unit == "year" else 1)
        year, month = moment.year + months // 12, months % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day)
    return moment + amount * _STEPS[unit]


def _round_down(moment: datetime, unit: str) -> datetime:
    """Solr's ``/<UNIT>``: the start of the unit the moment is in."""
    if unit == "year":
        return datetime(moment.year, 1, 1)
    if unit == "month":
        return datetime(moment.year, moment.month, 1)
    if unit == "day":
        return datetime(moment.year, moment.month, moment.day)
    if unit == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    if unit == "minute":
        return moment.replace(second=0, microsecond=0)
    if unit == "second":
        return moment.replace(microsecond=0)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _utc(moment: datetime) -> datetime:
    """A datetime as naive UTC (a naive one is taken to be UTC already)."""
    if moment.tzinfo is not None:
        return moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def format_datetime(moment: datetime) -> str:
    """An OData datetime literal in UTC: ``2024-06-04T11:01:00.000Z`` (six fractional digits
    when the time has microseconds)."""
    moment = _utc(moment)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond % 1000:
        return f"{text}.{moment.microsecond:06d}Z"
    return f"{text}.{moment.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------------- names
def name_condition(pattern: str, identifier: bool) -> Condition:
    """The condition of a ``filename`` (``Name``) or ``identifier`` (``Name`` without its
    extension) pattern with the DHuS wildcards ``*`` and ``?``.

    ``Name eq``, ``startswith``, ``endswith`` and ``contains`` express the simple patterns
    exactly; for the others the server's condition finds more products and the client checks
    the whole pattern."""
    field = "title" if identifier else "filename"
    regex = re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z",
        re.DOTALL,
    )

    def check(result: Mapping[str, Any]) -> bool:
        value = result.get(field)
        return isinstance(value, str) and regex.match(value) is not None

    pieces = re.split(r"[*?]+", pattern)
    if len(pieces) == 1:  # no wildcard
        if identifier:
            return Condition(f"startswith(Name,{quote(pattern + '.')})", True, check)
        return Condition(f"Name eq {quote(pattern)}", True, check)
    prefix, suffix, middle = pieces[0], pieces[-1], [piece for piece in pieces[1:-1] if piece]
    clauses = []
    if prefix:
        clauses.append(f"startswith(Name,{quote(prefix)})")
    if suffix:  # an identifier's end is followed by the extension in Name
        clauses.append(f"{'contains' if identifier else 'endswith'}(Name,{quote(suffix)})")
    clauses += [f"contains(Name,{quote(piece)})" for piece in middle]
    if not clauses:  # only wildcards: every product
        return Condition("", "?" not in pattern, check)
    text = clauses[0] if len(clauses) == 1 else "(" + " and ".join(clauses) + ")"
    return Condition(text, _exact_pattern(pieces, identifier) and "?" not in pattern, check)


def _exact_pattern(pieces: list[str], identifier: bool) -> bool:
    """Whether a pattern of ``*`` wildcards split into ``pieces`` is one that ``startswith``
    (``P*``), ``endswith`` (``*S``) or ``contains`` (``*M*``) expresses exactly."""
    if len(pieces) == 2 and pieces[0] and not pieces[1]:  # P*
        return not identifier or "." not in pieces[0]
    if identifier:
        return False
    if len(pieces) == 2:  # *S
        return not pieces[0] and bool(pieces[1])
    return len(pieces) == 3 and not pieces[0] and not pieces[2] and bool(pieces[1])  # *M*


# ---------------------------------------------------------------------- areas
def _area_conditions(area: str, relation: str) -> list[Condition]:
    """``OData.CSC.Intersects`` of the area (of each polygon of a multipolygon); ``Contains``
    and ``IsWithin`` checked on the client among the products that intersect it."""
    from geomet import wkt

    text = area.strip()
    try:
        geometry = wkt.loads(text)
    except Exception:
        raise ValueError(f"The area is not valid WKT: {area[:80]!r}") from None
    kind = geometry.get("type")
    if kind in ("Point", "Polygon"):
        parts = [text]
    elif kind == "MultiPolygon":
        parts = [polygon_wkt(polygon) for polygon in geometry["coordinates"]]
    else:
        raise ValueError(
            f"CDSE searches areas that are a POINT, a POLYGON or a MULTIPOLYGON, not a {kind}"
        )
    intersects = any_of(
        [Condition(f"OData.CSC.Intersects(area=geography'SRID=4326;{part}')") for part in parts]
    )
    assert intersects is not None
    conditions = [intersects]
    if relation != "intersects":
        conditions.append(Condition("", False, relation_check(text, relation)))
    return [condition for condition in conditions if condition.text or not condition.exact]


def polygon_wkt(rings: Iterable[Iterable[list[float]]]) -> str:
    """``POLYGON((x y,x y,...),(...))`` of GeoJSON polygon coordinates."""
    rendered = [
        "(" + ",".join(" ".join(format_number(float(c)) for c in point[:2]) for point in ring) + ")"
        for ring in rings
    ]
    return "POLYGON(" + ",".join(rendered) + ")"


def relation_check(area: str, relation: str) -> Check:
    """The client-side test of ``Contains`` (the footprint contains the area) or ``IsWithin``
    (the area contains the footprint), with shapely.

    Raises
    ------
    ImportError
        Without shapely (the message says what to install).
    """
    try:
        import shapely.wkt
        from shapely.prepared import prep
    except ImportError:
        raise ImportError(
            f"area_relation={relation!r} is evaluated by sentinelsat on CDSE, which needs "
            "shapely: pip install shapely"
        ) from None
    shape = shapely.wkt.loads(area)
    prepared = prep(shape)

    def check(result: Mapping[str, Any]) -> bool:
        footprint = result.get("footprint")
        if not isinstance(footprint, str) or not footprint:
            return False
        geometry = shapely.wkt.loads(footprint)
        if relation == "contains":
            return bool(geometry.contains(shape))
        return bool(prepared.contains(geometry))

    return check


# ---------------------------------------------------------------------- ordering
@dataclass(frozen=True)
class OrderPlan:
    """How a search is ordered.

    Attributes
    ----------
    server : tuple of (str, bool)
        The ``$orderby`` fields and whether each is descending (never empty: results are
        only complete and free of duplicates when the server orders them).
    client : tuple of (str, bool)
        Result keys the client sorts by afterwards (empty when the server does it all).
    """

    server: tuple[tuple[str, bool], ...]
    client: tuple[tuple[str, bool], ...] = ()

    @property
    def orderby(self) -> str:
        """The ``$orderby`` value: ``ContentDate/Start asc,PublicationDate desc``."""
        return ",".join(f"{field} {'desc' if down else 'asc'}" for field, down in self.server)


def parse_order_by(order_by: str) -> list[tuple[str, bool]]:
    """``"cloudcoverpercentage, -beginposition"`` → ``[(field, descending), ...]``, the field
    names in lower case.

    Raises
    ------
    ValueError
        For an empty or malformed field.
    """
    fields = []
    for item in order_by.split(","):
        match = _ORDER_FIELD.match(item.strip())
        if not match:
            raise ValueError(
                f"Invalid order_by field {item.strip()!r} in {order_by!r}: expected "
                "comma-separated field names, optionally prefixed with '+' or '-'"
            )
        sign, name = match.groups()
        fields.append((name.lower(), sign == "-"))
    return fields


def plan_order(order_by: str | None) -> OrderPlan:
    """Split ``order_by`` into the server's ``$orderby`` and the client's sort.

    The server sorts when every field is one of :data:`SERVER_ORDER`; otherwise the client
    sorts the whole result by the fields (:data:`CLIENT_ORDER` and :data:`SERVER_ORDER`), the
    server's :data:`DEFAULT_ORDER` breaking the remaining ties.

    Raises
    ------
    ValueError
        For a field that cannot be sorted by.
    """
    if not order_by:
        return OrderPlan(DEFAULT_ORDER)
    fields = parse_order_by(order_by)
    for name, _ in fields:
        if name not in SERVER_ORDER and name not in CLIENT_ORDER:
            known = ", ".join(sorted({*SERVER_ORDER, *CLIENT_ORDER}))
            raise ValueError(f"order_by field {name!r} cannot be sorted by on CDSE; use {known}")
    if all(name in SERVER_ORDER for name, _ in fields):
        return OrderPlan(tuple((SERVER_ORDER[name], down) for name, down in fields))
    return OrderPlan(
        DEFAULT_ORDER,
        tuple((CLIENT_ORDER.get(name, name), down) for name, down in fields),
    )


def sort_results(
    results: list[tuple[str, dict[str, Any]]], keys: Iterable[tuple[str, bool]]
) -> list[tuple[str, dict[str, Any]]]:
    """Sort ``(id, result)`` pairs by result keys, stably; results without a key go last."""
    ordered = list(results)
    for key, descending in reversed(list(keys)):
        present = [item for item in ordered if item[1].get(key) is not None]
        missing = [item for item in ordered if item[1].get(key) is None]
        present.sort(key=lambda item: item[1][key], reverse=descending)
        ordered = present + missing
    return ordered


def window_clause(field: str, start: datetime | None, end: datetime | None) -> str:
    """``<field> ge <start> and <field> lt <end>`` (either bound may be open)."""
    clauses = []
    if start is not None:
        clauses.append(f"{field} ge {format_datetime(start)}")
    if end is not None:
        clauses.append(f"{field} lt {format_datetime(end)}")
    return " and ".join(clauses)


def combine(*filters: str) -> str:
    """The AND of ``$filter`` expressions (empty ones left out)."""
    return " and ".join(text for text in filters if text)


__all__ = [
    "CLIENT_ORDER",
    "DEFAULT_ORDER",
    "KEYWORDS",
    "SERVER_ORDER",
    "Condition",
    "Keyword",
    "OrderPlan",
    "Translation",
    "combine",
    "format_datetime",
    "name_condition",
    "parse_raw",
    "plan_order",
    "resolve_date",
    "sort_results",
    "translate",
    "window_clause",
]
