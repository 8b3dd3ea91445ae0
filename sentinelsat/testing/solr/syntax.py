"""The query syntax: a recursive-descent parser of the Solr/Lucene subset into a tree."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Union

from .errors import QuerySyntaxError


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

    children: tuple[Any, ...]


@dataclass(frozen=True)
class Or:
    """At least one clause must match."""

    children: tuple[Any, ...]


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
