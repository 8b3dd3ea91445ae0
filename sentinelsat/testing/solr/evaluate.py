"""The compiler of a query tree into a predicate on products, and :class:`Query`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Protocol

from ..schema import DEFAULT_FIELDS, FIELD_TYPES
from .dates import parse_date_math
from .errors import QueryError, UndefinedFieldError
from .spatial import spatial_predicate
from .syntax import And, MatchAll, Node, Not, Or, Range, Term, parse_query

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

_UTC = timezone.utc


# --------------------------------------------------------------------------- evaluation
class Searchable(Protocol):
    """What the evaluator needs from a product."""

    attributes: Mapping[str, Any]

    @property
    def geometry(self) -> BaseGeometry: ...


Predicate = Callable[[Searchable], bool]


def _wildcard_regex(raw: str) -> re.Pattern[str]:
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
            test = spatial_predicate(term.text)
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

    def filter(self, products: Iterable[Any]) -> list[Any]:
        """Return the matching products, in their order."""
        return [product for product in products if self._predicate(product)]
