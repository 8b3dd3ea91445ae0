"""A parser and evaluator for the subset of the Solr/Lucene query syntax that DHuS accepted.

Supported: ``key:value`` clauses combined by spaces (implicit AND), ``AND``/``&&``,
``OR``/``||``, ``NOT``/``!``/``-`` and ``+`` prefixes, parentheses, field groups
(``identifier:(A OR B)``), terms without a field (matched against ``identifier``, ``filename``
and ``uuid``), ``*:*``, ranges ``[a TO b]``/``{a TO b}`` (mixed brackets, ``*``, quoted
bounds) on numbers, strings and dates, Solr date math (``NOW-1DAY``, ``NOW/DAY``,
``2015-01-01T00:00:00.000Z+1DAY``), wildcards ``*``/``?``, regular expressions ``/.../``,
backslash escapes (``Non\\ Time\\ Critical``), quoted phrases and spatial predicates
``footprint:"Intersects(<WKT>)"`` / ``Contains`` / ``IsWithin`` / ``IsDisjointTo``, with WKT,
``ENVELOPE(minX, maxX, maxY, minY)`` or ``lat, lon``.

Field names are case-insensitive, as on the server.  String values match case-insensitively,
either the whole attribute value or one of its space-separated words (the way the server's
tokenised text fields behaved: ``polarisationmode:VV`` finds ``VV VH``); regular expressions
are case-sensitive.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Protocol, Union

from shapely import wkt as shapely_wkt
from shapely.errors import ShapelyError
from shapely.geometry import Point, box
from shapely.geometry.base import BaseGeometry

from .schema import DEFAULT_FIELDS, FIELD_TYPES

_UTC = timezone.utc


# --------------------------------------------------------------------------- errors
class QueryError(ValueError):
    """A query the server rejects; ``message`` is the text the server put in ``feed.error``."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class QuerySyntaxError(QueryError):
    """The query cannot be parsed."""


class UndefinedFieldError(QueryError):
    """The query names a field that does not exist (``undefined field xxx``)."""

    def __init__(self, name: str):
        super().__init__(f"undefined field {name}")
        self.field = name


# --------------------------------------------------------------------------- syntax tree
@dataclass(frozen=True)
class Term:
    """A single value: ``kind`` is ``term``, ``phrase`` or ``regex``; ``raw`` keeps escapes."""

    field: str | None
    text: str
    raw: str
    kind: str = "term"


@dataclass(frozen=True)
class Range:
    """A range clause; ``None`` bounds are open (``*``)."""

    field: str | None
    low: str | None
    high: str | None
    include_low: bool
    include_high: bool


@dataclass(frozen=True)
class MatchAll:
    """``*:*``."""


@dataclass(frozen=True)
class Not:
    """Negation of a clause."""

    child: Node


@dataclass(frozen=True)
class And:
    """All clauses must match."""

    children: tuple


@dataclass(frozen=True)
class Or:
    """At least one clause must match."""

    children: tuple


Node = Union[Term, Range, MatchAll, Not, And, Or]

_TERM_STOP = set(' \t\r\n()[]{}"^:')
_WHITESPACE = " \t\r\n"


# --------------------------------------------------------------------------- parser
class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    # ---- helpers
    def error(self, detail: str) -> QuerySyntaxError:
        return QuerySyntaxError(
            f"org.apache.solr.search.SyntaxError: Cannot parse '{self.text}': {detail}"
        )

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self, token: str = "") -> bool:
        if not token:
            return not self.at_end()
        return self.text.startswith(token, self.pos)

    def skip_ws(self) -> None:
        while not self.at_end() and self.text[self.pos] in _WHITESPACE:
            self.pos += 1

    def peek_keyword(self, word: str) -> bool:
        if not self.text.startswith(word, self.pos):
            return False
        after = self.pos + len(word)
        return after >= len(self.text) or self.text[after] in _WHITESPACE + '("'

    def encountered(self) -> str:
        if self.at_end():
            return 'Encountered "<EOF>"'
        return f'Encountered "{self.text[self.pos]}" at column {self.pos + 1}'

    def expect(self, token: str) -> None:
        self.skip_ws()
        if not self.peek(token):
            raise self.error(f'{self.encountered()}. Was expecting "{token}"')
        self.pos += len(token)

    # ---- grammar
    def parse(self) -> Node:
        self.skip_ws()
        if self.at_end():
            return MatchAll()
        node = self.parse_or(None)
        self.skip_ws()
        if not self.at_end():
            raise self.error(self.encountered())
        return node

    def parse_or(self, field: str | None) -> Node:
        children = [self.parse_and(field)]
        while True:
            self.skip_ws()
            if self.peek_keyword("OR"):
                self.pos += 2
            elif self.peek("||"):
                self.pos += 2
            else:
                break
            children.append(self.parse_and(field))
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self, field: str | None) -> Node:
        children = [self.parse_unary(field)]
        while True:
            self.skip_ws()
            if self.at_end() or self.peek(")") or self.peek_keyword("OR") or self.peek("||"):
                break
            if self.peek_keyword("AND"):
                self.pos += 3
            elif self.peek("&&"):
                self.pos += 2
            children.append(self.parse_unary(field))
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_unary(self, field: str | None) -> Node:
        self.skip_ws()
        if self.peek_keyword("NOT"):
            self.pos += 3
            return Not(self.parse_unary(field))
        if self.peek("!") or self.peek("-"):
            self.pos += 1
            return Not(self.parse_unary(field))
        if self.peek("+"):
            self.pos += 1
            return self.parse_unary(field)
        return self.parse_primary(field)

    def parse_primary(self, field: str | None) -> Node:
        self.skip_ws()
        if self.at_end() or self.peek(")"):
            raise self.error(self.encountered())
        if self.peek("("):
            return self.parse_group(field)
        if self.peek('"'):
            return self.parse_phrase(field)
        if self.peek("[") or self.peek("{"):
            return self.parse_range(field)
        if self.peek("/"):
            return self.parse_regex(field)
        raw = self.read_term()
        if self.peek(":"):
            self.pos += 1
            return self.parse_field_value(unescape(raw))
        self.skip_boost()
        return Term(field, unescape(raw), raw)

    def parse_group(self, field: str | None) -> Node:
        self.pos += 1
        node = self.parse_or(field)
        self.expect(")")
        self.skip_boost()
        return node

    def parse_field_value(self, name: str) -> Node:
        if name == "*" and self.peek("*"):
            self.pos += 1
            return MatchAll()
        self.skip_ws()
        if self.at_end():
            raise self.error(self.encountered())
        if self.peek("("):
            return self.parse_group(name)
        if self.peek('"'):
            return self.parse_phrase(name)
        if self.peek("[") or self.peek("{"):
            return self.parse_range(name)
        if self.peek("/"):
            return self.parse_regex(name)
        raw = self.read_term()
        if not raw:
            raise self.error(self.encountered())
        self.skip_boost()
        return Term(name, unescape(raw), raw)

    def read_term(self) -> str:
        start = self.pos
        while not self.at_end():
            char = self.text[self.pos]
            if char == "\\":
                if self.pos + 1 >= len(self.text):
                    raise self.error("Term can not end with escape character.")
                self.pos += 2
                continue
            if char in _TERM_STOP:
                break
            self.pos += 1
        if self.pos == start:
            raise self.error(self.encountered())
        return self.text[start : self.pos]

    def read_quoted(self, quote: str) -> str:
        start = self.pos
        self.pos += 1
        while not self.at_end():
            char = self.text[self.pos]
            if char == "\\":
                self.pos += 2
                continue
            if char == quote:
                self.pos += 1
                return self.text[start + 1 : self.pos - 1]
            self.pos += 1
        raise self.error(
            f"Lexical error: unterminated {quote}...{quote} starting at column {start + 1}"
        )

    def skip_boost(self) -> None:
        for marker in ("^", "~"):
            if self.peek(marker):
                self.pos += 1
                while not self.at_end() and (
                    self.text[self.pos].isdigit() or self.text[self.pos] == "."
                ):
                    self.pos += 1

    def parse_phrase(self, field: str | None) -> Node:
        raw = self.read_quoted('"')
        self.skip_boost()
        return Term(field, unescape(raw), raw, kind="phrase")

    def parse_regex(self, field: str | None) -> Node:
        raw = self.read_quoted("/")
        return Term(field, raw.replace("\\/", "/"), raw, kind="regex")

    def read_range_bound(self) -> str | None:
        self.skip_ws()
        if self.peek('"'):
            return unescape(self.read_quoted('"'))
        start = self.pos
        while not self.at_end() and self.text[self.pos] not in _WHITESPACE + "]}":
            self.pos += 1
        if self.pos == start:
            raise self.error(self.encountered())
        text = self.text[start : self.pos]
        return None if text == "*" else unescape(text)

    def parse_range(self, field: str | None) -> Node:
        include_low = self.text[self.pos] == "["
        self.pos += 1
        low = self.read_range_bound()
        self.skip_ws()
        if not self.peek_keyword("TO"):
            raise self.error(f'{self.encountered()}. Was expecting "TO"')
        self.pos += 2
        high = self.read_range_bound()
        self.skip_ws()
        if not (self.peek("]") or self.peek("}")):
            raise self.error(f'{self.encountered()}. Was expecting "]" or "}}"')
        include_high = self.text[self.pos] == "]"
        self.pos += 1
        return Range(field, low, high, include_low, include_high)


def unescape(raw: str) -> str:
    """Remove backslash escapes from a term."""
    return re.sub(r"\\(.)", r"\1", raw, flags=re.DOTALL)


def parse_query(text: str) -> Node:
    """Parse a query into a syntax tree.

    Parameters
    ----------
    text : str
        The value of the ``q`` parameter.

    Returns
    -------
    Node
        The tree; an empty query is :class:`MatchAll`.

    Raises
    ------
    QuerySyntaxError
        If the query is not valid Solr syntax.
    """
    return _Parser(text).parse()


# --------------------------------------------------------------------------- date math
_DATE_RE = re.compile(
    r"^(?P<base>NOW|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z)(?P<math>.*)$", re.IGNORECASE
)
_MATH_RE = re.compile(r"([+-])(\d+)([A-Z]+)|/([A-Z]+)", re.IGNORECASE)
_UNITS = {
    "YEAR": "years", "YEARS": "years",
    "MONTH": "months", "MONTHS": "months",
    "DAY": "days", "DAYS": "days", "DATE": "days",
    "HOUR": "hours", "HOURS": "hours",
    "MINUTE": "minutes", "MINUTES": "minutes",
    "SECOND": "seconds", "SECONDS": "seconds",
    "MILLI": "milliseconds", "MILLIS": "milliseconds",
    "MILLISECOND": "milliseconds", "MILLISECONDS": "milliseconds",
}  # fmt: skip


def _add_months(value: datetime, months: int) -> datetime:
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def _shift(value: datetime, amount: int, unit: str) -> datetime:
    if unit == "years":
        return _add_months(value, 12 * amount)
    if unit == "months":
        return _add_months(value, amount)
    return value + timedelta(**{unit: amount})


def _round(value: datetime, unit: str) -> datetime:
    if unit == "milliseconds":
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    order = ["years", "months", "days", "hours", "minutes", "seconds"]
    keep = order.index(unit)
    parts = [value.year, value.month, value.day, value.hour, value.minute, value.second]
    defaults = [value.year, 1, 1, 0, 0, 0]
    year, month, day, hour, minute, second = parts[: keep + 1] + defaults[keep + 1 :]
    return datetime(year, month, day, hour, minute, second, tzinfo=value.tzinfo)


def _parse_base(base: str, now: datetime) -> datetime:
    if base.upper() == "NOW":
        return now
    text = base[:-1]
    if "." in text:
        head, fraction = text.split(".")
        text = f"{head}.{(fraction + '000000')[:6]}"
    try:
        return datetime.fromisoformat(text).replace(tzinfo=_UTC)
    except ValueError:
        raise QueryError(f"Invalid Date String:'{base}'") from None


def parse_date_math(text: str, now: datetime) -> datetime:
    """Evaluate a Solr date (``2015-01-01T00:00:00Z``, ``NOW``) with optional date math.

    Parameters
    ----------
    text : str
        e.g. ``NOW-1DAY``, ``NOW+3MONTHS-7DAYS/DAYS``, ``2015-01-01T00:00:00.000Z+1DAY``.
    now : datetime
        The value of ``NOW`` (aware).

    Returns
    -------
    datetime
        An aware UTC datetime.

    Raises
    ------
    QueryError
        ``Invalid Date String`` for anything else.
    """
    match = _DATE_RE.match(text.strip())
    if not match:
        raise QueryError(f"Invalid Date String:'{text}'")
    value = _parse_base(match.group("base"), now)
    math = match.group("math")
    position = 0
    for op in _MATH_RE.finditer(math):
        if op.start() != position:
            break
        position = op.end()
        unit = _UNITS.get((op.group(3) or op.group(4)).upper())
        if unit is None:
            raise QueryError(f"Invalid Date Math String:'{text}'")
        if op.group(4):
            value = _round(value, unit)
        else:
            amount = int(op.group(2)) * (1 if op.group(1) == "+" else -1)
            value = _shift(value, amount, unit)
    if position != len(math):
        raise QueryError(f"Invalid Date Math String:'{text}'")
    return value


# --------------------------------------------------------------------------- geometry
_SPATIAL_RE = re.compile(
    r"^\s*(intersects|contains|iswithin|isdisjointto)\s*\((.*)\)\s*$", re.I | re.S
)
_ENVELOPE_RE = re.compile(r"^\s*envelope\s*\(([^)]*)\)\s*$", re.I)
_POINT_RE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


def parse_shape(text: str) -> BaseGeometry:
    """Parse the shape of a spatial predicate: WKT, ``ENVELOPE(minX, maxX, maxY, minY)`` or ``lat, lon``."""
    envelope = _ENVELOPE_RE.match(text)
    if envelope:
        try:
            min_x, max_x, max_y, min_y = (float(part) for part in envelope.group(1).split(","))
        except ValueError:
            raise QueryError(
                f'Unable to parse shape given formats "lat,lon", "x y" or as WKT because {text}'
            ) from None
        return box(min_x, min_y, max_x, max_y)
    point = _POINT_RE.match(text)
    if point:
        return Point(float(point.group(2)), float(point.group(1)))
    try:
        shape = shapely_wkt.loads(text)
    except (ShapelyError, ValueError, TypeError):
        raise QueryError(
            f'Unable to parse shape given formats "lat,lon", "x y" or as WKT because {text}'
        ) from None
    if shape.is_empty:
        raise QueryError(
            f'Unable to parse shape given formats "lat,lon", "x y" or as WKT because {text}'
        )
    return shape


def _spatial_predicate(text: str) -> Callable[[BaseGeometry], bool]:
    match = _SPATIAL_RE.match(text)
    if not match:
        raise QueryError(f"Unknown spatial operation or invalid shape: {text}")
    shape = parse_shape(match.group(2))
    if not shape.is_valid:
        shape = shape.buffer(0)
    relation = match.group(1).lower()
    if relation == "intersects":
        return shape.intersects
    if relation == "contains":
        return lambda footprint: footprint.contains(shape)
    if relation == "iswithin":
        return shape.contains
    return shape.disjoint


# --------------------------------------------------------------------------- evaluation
class Searchable(Protocol):
    """What the evaluator needs from a product."""

    attributes: Mapping[str, Any]

    @property
    def geometry(self) -> BaseGeometry: ...


Predicate = Callable[[Searchable], bool]


def _wildcard_regex(raw: str) -> re.Pattern:
    parts = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and index + 1 < len(raw):
            parts.append(re.escape(raw[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _has_wildcard(raw: str) -> bool:
    return re.search(r"(?<!\\)(?:\\\\)*[*?]", raw) is not None


def _candidates(value: Any) -> list[str]:
    text = str(value)
    words = text.split()
    return [text] + words if len(words) > 1 else [text]


def _string_predicate(field: str, term: Term) -> Predicate:
    if term.kind == "regex":
        try:
            pattern = re.compile(term.text, re.DOTALL)
        except re.error as error:
            raise QueryError(f"Invalid regular expression /{term.text}/: {error}") from None
        return _matcher(field, lambda value: any(pattern.fullmatch(c) for c in _candidates(value)))
    if term.kind == "term" and _has_wildcard(term.raw):
        pattern = _wildcard_regex(term.raw)
        return _matcher(field, lambda value: any(pattern.fullmatch(c) for c in _candidates(value)))
    wanted = term.text.lower()
    return _matcher(field, lambda value: any(c.lower() == wanted for c in _candidates(value)))


def _matcher(field: str, test: Callable[[Any], bool]) -> Predicate:
    def predicate(product: Searchable) -> bool:
        value = product.attributes.get(field)
        return value is not None and test(value)

    return predicate


def _exists(field: str) -> Predicate:
    return lambda product: product.attributes.get(field) is not None


def _parse_number(kind: str, text: str) -> float:
    try:
        return int(text) if kind == "int" else float(text)
    except ValueError:
        raise QueryError(f"Invalid Number: {text}") from None


@dataclass
class _Compiler:
    fields: Mapping[str, str]
    now: datetime

    def field(self, name: str) -> str:
        key = name.lower()
        if key not in self.fields:
            raise UndefinedFieldError(name)
        return key

    def value(self, kind: str, text: str) -> Any:
        if kind == "date":
            return parse_date_math(text, self.now)
        if kind in ("int", "double"):
            return _parse_number(kind, text)
        return text.lower()

    def compile(self, node: Node) -> Predicate:
        if isinstance(node, MatchAll):
            return lambda product: True
        if isinstance(node, Not):
            child = self.compile(node.child)
            return lambda product: not child(product)
        if isinstance(node, And):
            children = [self.compile(child) for child in node.children]
            return lambda product: all(child(product) for child in children)
        if isinstance(node, Or):
            children = [self.compile(child) for child in node.children]
            return lambda product: any(child(product) for child in children)
        if isinstance(node, Range):
            return self.compile_range(node)
        return self.compile_term(node)

    def compile_term(self, term: Term) -> Predicate:
        if term.field is None:
            if term.kind == "term" and term.raw == "*":
                return lambda product: True
            children = [
                self.compile_term(Term(name, term.text, term.raw, term.kind))
                for name in DEFAULT_FIELDS
            ]
            return lambda product: any(child(product) for child in children)
        field = self.field(term.field)
        kind = self.fields[field]
        if term.kind == "term" and term.raw == "*":
            return _exists(field)
        if kind == "geo":
            if term.kind == "regex":
                raise QueryError(f"Unknown spatial operation or invalid shape: /{term.text}/")
            test = _spatial_predicate(term.text)
            return lambda product: test(product.geometry)
        if kind == "str":
            return _string_predicate(field, term)
        if term.kind == "regex" or (_has_wildcard(term.raw) and term.kind == "term"):
            raise QueryError(
                f"Can't run prefix, wildcard or regex queries on field {field} of type {kind}"
            )
        wanted = self.value(kind, term.text)
        return _matcher(field, lambda value: value == wanted)

    def compile_range(self, node: Range) -> Predicate:
        field = self.field(node.field) if node.field is not None else self.field("identifier")
        kind = self.fields[field]
        if kind == "geo":
            raise QueryError(f"Range queries are not supported on field {field}")
        low = None if node.low is None else self.value(kind, node.low)
        high = None if node.high is None else self.value(kind, node.high)
        normalise = (lambda value: str(value).lower()) if kind == "str" else (lambda value: value)

        def inside(value: Any) -> bool:
            value = normalise(value)
            if low is not None and (value < low or (value == low and not node.include_low)):
                return False
            if high is not None and (value > high or (value == high and not node.include_high)):
                return False
            return True

        return _matcher(field, inside)


class Query:
    """A compiled query: parse once, then test products with :meth:`matches`.

    Parameters
    ----------
    text : str
        The Solr query (the ``q`` parameter).
    fields : Mapping[str, str], optional
        Known field names (lower case) and their types; defaults to
        :data:`sentinelsat.testing.schema.FIELD_TYPES`.
    now : datetime, optional
        The value of ``NOW``; defaults to the current time.

    Raises
    ------
    QueryError
        ``QuerySyntaxError``, ``UndefinedFieldError`` or an invalid value.
    """

    def __init__(
        self, text: str, fields: Mapping[str, str] | None = None, now: datetime | None = None
    ):
        self.text = text
        self.now = now or datetime.now(_UTC)
        self.tree = parse_query(text)
        self._predicate = _Compiler(fields or FIELD_TYPES, self.now).compile(self.tree)

    def matches(self, product: Searchable) -> bool:
        """Return whether ``product`` matches the query."""
        return self._predicate(product)

    def filter(self, products: Iterable[Any]) -> list:
        """Return the matching products, in their order."""
        return [product for product in products if self._predicate(product)]


# --------------------------------------------------------------------------- query length
_URLENCODER_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*_")

#: The longest query (measured by :func:`java_urlencoded_length`) that the server accepted.
MAX_QUERY_LENGTH = 3938


def java_urlencoded_length(text: str) -> int:
    """Return the length of ``text`` encoded by Java's ``URLEncoder`` (UTF-8).

    Letters, digits and ``.-*_`` stay, a space becomes ``+``, every other byte ``%XX``.
    """
    length = 0
    for char in text:
        if char in _URLENCODER_SAFE or char == " ":
            length += 1
        else:
            length += 3 * len(char.encode("utf-8"))
    return length
