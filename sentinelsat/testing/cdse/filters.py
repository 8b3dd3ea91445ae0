"""The CDSE OData ``$filter`` language: a recursive descent parser and an evaluator.

The grammar is the subset that the CDSE documentation describes and that clients send::

    filter     := or
    or         := and ("or" and)*
    and        := unary ("and" unary)*
    unary      := "not" unary | primary
    primary    := "(" filter ")" | function | intersects | attribute | comparison
    comparison := PROPERTY OP literal
    function   := ("contains" | "startswith" | "endswith") "(" "Name" "," STRING ")"
    intersects := "OData.CSC.Intersects" "(" "area" "=" GEOGRAPHY ")"
    attribute  := "Attributes/OData.CSC." T "Attribute/any" "(" VAR ":"
                  VAR "/Name" "eq" STRING "and" VAR "/OData.CSC." T "Attribute/Value" OP literal ")"

``PROPERTY`` is one of :data:`PROPERTIES`, ``OP`` one of ``eq ne lt le gt ge``, ``T`` one of
``String Integer Double DateTimeOffset Boolean``.  Literals are ``'quoted strings'`` (``''``
escapes a quote), numbers, ``true``/``false``, unquoted datetimes
(``2024-01-01T00:00:00.000Z``, an offset such as ``+02:00``, or no zone, which means UTC),
GUIDs and ``geography'SRID=4326;<WKT>'`` (``POINT`` and ``POLYGON``; ``MULTIPOLYGON`` unless
the evaluator's options refuse it).  Keywords are lower case, as in the documentation.

As the service does, the attribute form ignores its type casts: the value is coerced to the
attribute's real type (``cloudCover`` is a Double even in a ``StringAttribute`` clause).

:func:`parse` turns a text into a tree of nodes; :func:`compile_filter` turns a tree into a
predicate over :class:`Record` objects (the catalogue's products).  Both raise
:class:`FilterError` with a message and the position of the problem.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Protocol, Union

from shapely import wkt as shapely_wkt
from shapely.errors import ShapelyError
from shapely.geometry.base import BaseGeometry
from shapely.prepared import prep

#: Filterable product properties and the type of their values.
PROPERTIES: dict[str, str] = {
    "Name": "string",
    "Id": "guid",
    "Collection/Name": "string",
    "ContentDate/Start": "datetime",
    "ContentDate/End": "datetime",
    "PublicationDate": "datetime",
    "ModificationDate": "datetime",
    "Online": "bool",
}
#: The comparison operators allowed for each property type.
OPERATORS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "string": ("eq", "ne"),
    "guid": ("eq", "ne"),
    "bool": ("eq", "ne"),
    "datetime": ("eq", "ne", "lt", "le", "gt", "ge"),
}
#: The attribute value types (``OData.CSC.<T>Attribute``).
ATTRIBUTE_TYPES = ("String", "Integer", "Double", "DateTimeOffset", "Boolean")
NAME_FUNCTIONS = ("contains", "startswith", "endswith")
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
GEOMETRY_TYPES = ("Point", "Polygon", "MultiPolygon")


class FilterError(ValueError):
    """An invalid ``$filter``: ``message`` says what is wrong, ``position`` where (0-based)."""

    def __init__(self, message: str, position: int | None = None):
        self.message = message
        self.position = position
        where = f" at position {position}" if position is not None else ""
        super().__init__(f"Invalid filter{where}: {message}")


# --------------------------------------------------------------------------- the tree
@dataclass(frozen=True)
class Literal:
    """A literal value: ``kind`` is ``string``, ``int``, ``float``, ``bool``, ``datetime``,
    ``guid`` or ``null``; ``text`` is how it was written."""

    kind: str
    value: Any
    text: str


@dataclass(frozen=True)
class BoolOp:
    """``and`` / ``or`` of two or more conditions."""

    op: str
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Compare:
    """``PROPERTY OP literal``."""

    prop: str
    op: str
    value: Literal
    position: int = 0


@dataclass(frozen=True)
class NameFunction:
    """``contains|startswith|endswith(Name,'text')``."""

    function: str
    text: str


@dataclass(frozen=True)
class Intersects:
    """``OData.CSC.Intersects(area=geography'SRID=4326;<WKT>')``."""

    area: BaseGeometry = field(compare=False)
    wkt: str
    position: int = 0


@dataclass(frozen=True)
class AttributeAny:
    """``Attributes/OData.CSC.<outer>Attribute/any(a:a/Name eq 'name' and
    a/OData.CSC.<inner>Attribute/Value OP literal)``."""

    outer_type: str
    name: str
    inner_type: str
    op: str
    value: Literal
    position: int = 0


Node = Union[BoolOp, Not, Compare, NameFunction, Intersects, AttributeAny]


# --------------------------------------------------------------------------- tokens
@dataclass(frozen=True)
class Token:
    kind: str  # string, geography, datetime, guid, number, word, punct
    text: str
    position: int


_DATETIME = (
    r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w:.])"
)
_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![\w-])"
_TOKEN = re.compile(
    rf"""(?P<space>\s+)
    |(?P<geography>geography'(?:[^']|'')*')
    |(?P<string>'(?:[^']|'')*')
    |(?P<guid>{_GUID})
    |(?P<datetime>{_DATETIME})
    |(?P<number>[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.]))
    |(?P<word>[A-Za-z_][\w.]*(?:/[A-Za-z_][\w.]*)*)
    |(?P<punct>[(),:=])""",
    re.VERBOSE,
)


def tokenize(text: str) -> list[Token]:
    """Split a filter into tokens (``FilterError`` for a character that starts none)."""
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            if text[position] == "'" or text.startswith("geography'", position):
                raise FilterError("unterminated string", position)
            raise FilterError(f"unexpected character {text[position]!r}", position)
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group(), position))
        position = match.end()
    return tokens


_DATETIME_PARTS = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)


def parse_datetime(text: str) -> datetime:
    """Parse an OData datetime literal into an aware datetime; no zone means UTC.

    Parameters
    ----------
    text : str
        ``2024-01-01``, ``2024-01-01T10:00``, ``2024-01-01T10:00:00.123456Z``,
        ``2024-01-01T10:00:00+02:00``... (more than 6 fractional digits are truncated).

    Raises
    ------
    ValueError
        For a text that is not such a datetime, or an impossible date.
    """
    match = _DATETIME_PARTS.match(text)
    if match is None:
        raise ValueError(f"invalid datetime {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    tz = timezone.utc
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
        micros, tzinfo=tz,
    )  # fmt: skip


# --------------------------------------------------------------------------- the parser
_ATTRIBUTE_ANY = re.compile(r"^Attributes/OData\.CSC\.(\w+)Attribute/any$")
_ATTRIBUTE_VALUE = re.compile(r"^(\w+)/OData\.CSC\.(\w+)Attribute/Value$")


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    # ---- token access
    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def position(self) -> int:
        token = self.peek()
        return token.position if token is not None else len(self.text)

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise FilterError("unexpected end of the filter", len(self.text))
        self.index += 1
        return token

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.text in words

    def expect(self, text: str, what: str | None = None) -> Token:
        token = self.peek()
        if token is None or token.text != text:
            found = repr(token.text) if token is not None else "the end"
            raise FilterError(f"expected {what or repr(text)}, found {found}", self.position())
        self.index += 1
        return token

    def expect_kind(self, kind: str, what: str) -> Token:
        token = self.peek()
        if token is None or token.kind != kind:
            found = repr(token.text) if token is not None else "the end"
            raise FilterError(f"expected {what}, found {found}", self.position())
        self.index += 1
        return token

    # ---- grammar
    def parse(self) -> Node:
        if not self.tokens:
            raise FilterError("the filter is empty", 0)
        node = self.parse_or()
        left = self.peek()
        if left is not None:
            raise FilterError(f"unexpected {left.text!r}", left.position)
        return node

    def parse_or(self) -> Node:
        operands = [self.parse_and()]
        while self.at_word("or"):
            self.take()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else BoolOp("or", tuple(operands))

    def parse_and(self) -> Node:
        operands = [self.parse_unary()]
        while self.at_word("and"):
            self.take()
            operands.append(self.parse_unary())
        return operands[0] if len(operands) == 1 else BoolOp("and", tuple(operands))

    def parse_unary(self) -> Node:
        if self.at_word("not"):
            self.take()
            return Not(self.parse_unary())
        return self.parse_primary()

    def parse_primary(self) -> Node:
        token = self.peek()
        if token is None:
            raise FilterError("expected a condition, found the end", len(self.text))
        if token.text == "(":
            self.take()
            node = self.parse_or()
            self.expect(")")
            return node
        if token.kind != "word":
            raise FilterError(f"expected a condition, found {token.text!r}", token.position)
        if token.text in NAME_FUNCTIONS:
            return self.parse_name_function()
        if token.text == "OData.CSC.Intersects":
            return self.parse_intersects()
        if _ATTRIBUTE_ANY.match(token.text):
            return self.parse_attribute()
        return self.parse_comparison()

    def parse_operator(self) -> str:
        token = self.peek()
        if token is None or token.kind != "word" or token.text not in COMPARISONS:
            found = repr(token.text) if token is not None else "the end"
            raise FilterError(
                f"expected an operator (eq, ne, lt, le, gt, ge), found {found}", self.position()
            )
        self.index += 1
        return token.text

    def parse_literal(self) -> Literal:
        if self.peek() is None:
            raise FilterError("expected a value, found the end", len(self.text))
        token = self.take()
        if token.kind == "string":
            return Literal("string", token.text[1:-1].replace("''", "'"), token.text)
        if token.kind == "datetime":
            try:
                return Literal("datetime", parse_datetime(token.text), token.text)
            except ValueError:
                raise FilterError(f"invalid datetime {token.text!r}", token.position) from None
        if token.kind == "guid":
            return Literal("guid", token.text.lower(), token.text)
        if token.kind == "number":
            if re.fullmatch(r"[+-]?\d+", token.text):
                return Literal("int", int(token.text), token.text)
            return Literal("float", float(token.text), token.text)
        if token.kind == "word" and token.text in ("true", "false"):
            return Literal("bool", token.text == "true", token.text)
        if token.kind == "word" and token.text == "null":
            return Literal("null", None, token.text)
        raise FilterError(f"expected a value, found {token.text!r}", token.position)

    def parse_comparison(self) -> Compare:
        token = self.take()
        if token.text not in PROPERTIES:
            raise FilterError(f"unknown property {token.text!r}", token.position)
        kind = PROPERTIES[token.text]
        op = self.parse_operator()
        if op not in OPERATORS_BY_TYPE[kind]:
            raise FilterError(f"operator {op!r} is not supported for {token.text}", token.position)
        value_position = self.position()
        value = self.parse_literal()
        return Compare(
            token.text,
            op,
            _property_literal(token.text, kind, value, value_position),
            token.position,
        )

    def parse_name_function(self) -> NameFunction:
        function = self.take().text
        self.expect("(")
        self.expect("Name", "'Name' (only Name can be searched with a function)")
        self.expect(",")
        text = self.expect_kind("string", "a quoted string").text[1:-1].replace("''", "'")
        self.expect(")")
        return NameFunction(function, text)

    def parse_intersects(self) -> Intersects:
        position = self.take().position
        self.expect("(")
        self.expect("area")
        self.expect("=")
        token = self.expect_kind("geography", "geography'SRID=4326;<WKT>'")
        self.expect(")")
        text = token.text[len("geography'") : -1].replace("''", "'")
        return Intersects(parse_geography(text, token.position), text, position)

    def parse_attribute(self) -> AttributeAny:
        head = self.take()
        outer = _attribute_type(head.text.split(".")[-1][: -len("Attribute/any")], head.position)
        self.expect("(")
        variable = self.expect_kind("word", "a lambda variable").text
        self.expect(":")
        self.expect(f"{variable}/Name", f"'{variable}/Name'")
        self.expect("eq")
        name = self.expect_kind("string", "a quoted attribute name").text[1:-1].replace("''", "'")
        self.expect("and")
        value_token = self.expect_kind("word", f"'{variable}/OData.CSC.<Type>Attribute/Value'")
        match = _ATTRIBUTE_VALUE.match(value_token.text)
        if match is None or match.group(1) != variable:
            raise FilterError(
                f"expected '{variable}/OData.CSC.<Type>Attribute/Value', found {value_token.text!r}",
                value_token.position,
            )
        inner = _attribute_type(match.group(2), value_token.position)
        op = self.parse_operator()
        value = self.parse_literal()
        self.expect(")")
        return AttributeAny(outer, name, inner, op, value, head.position)


def _attribute_type(name: str, position: int) -> str:
    if name not in ATTRIBUTE_TYPES:
        raise FilterError(f"unknown attribute type OData.CSC.{name}Attribute", position)
    return name


def _property_literal(prop: str, kind: str, value: Literal, position: int) -> Literal:
    """Check that a literal suits a property; returns it (a GUID string for ``Id``)."""
    if kind == "guid" and value.kind in ("guid", "string"):
        return Literal("guid", str(value.value).lower(), value.text)
    expected = {"string": ("string",), "datetime": ("datetime",), "bool": ("bool",)}.get(kind, ())
    if value.kind not in expected:
        wanted = {"string": "a quoted string", "datetime": "a datetime", "bool": "true or false",
                  "guid": "a product id"}[kind]  # fmt: skip
        raise FilterError(f"{prop} needs {wanted}, not {value.text}", position)
    return value


def parse_geography(text: str, position: int) -> BaseGeometry:
    """Parse ``SRID=4326;<WKT>`` into a valid shapely geometry (``FilterError`` otherwise)."""
    srid, separator, wkt = text.partition(";")
    if not separator or srid.replace(" ", "").upper() != "SRID=4326":
        raise FilterError("the area must be written geography'SRID=4326;<WKT>'", position)
    try:
        geometry = shapely_wkt.loads(wkt)
    except (ShapelyError, ValueError, TypeError) as error:
        raise FilterError(f"invalid WKT geometry: {error}", position) from None
    if geometry.geom_type not in GEOMETRY_TYPES:
        raise FilterError(f"unsupported geometry type {geometry.geom_type}", position)
    if geometry.is_empty or not geometry.is_valid:
        raise FilterError("invalid geometry", position)
    return geometry


def parse(text: str) -> Node:
    """Parse a ``$filter`` text into a tree of nodes (``FilterError`` when it is invalid)."""
    return _Parser(text).parse()


# --------------------------------------------------------------------------- evaluation
class Record(Protocol):
    """What the evaluator needs of a product (see :class:`~.entries.Entry`)."""

    id: str
    name: str
    collection: str
    content_start: datetime
    content_end: datetime
    publication_date: datetime
    modification_date: datetime
    #: ``{attribute name: (value type, value)}``
    attribute_values: dict[str, tuple[str, Any]]
    #: ``{attribute name: other string values that match it}`` (short product types)
    attribute_aliases: dict[str, tuple[str, ...]]

    @property
    def online(self) -> bool: ...

    @property
    def geometry(self) -> BaseGeometry | None: ...


@dataclass(frozen=True)
class FilterOptions:
    """How the evaluator treats the uncertain points.

    Attributes
    ----------
    attribute_types : dict
        ``{attribute name: value type}`` of every attribute the collections have.
    unknown_attribute : str
        ``empty``: a clause on an attribute no collection has matches nothing;
        ``error``: it raises :class:`FilterError`.
    multipolygon : bool
        Whether ``Intersects`` accepts a ``MULTIPOLYGON`` area.
    aliases : bool
        Whether string attributes also match their aliases (DHuS short product types).
    """

    attribute_types: Mapping[str, str] = field(default_factory=dict)
    unknown_attribute: str = "empty"
    multipolygon: bool = True
    aliases: bool = True


Predicate = Callable[[Record], bool]

_PROPERTY_GETTERS: dict[str, Callable[[Record], Any]] = {
    "Name": lambda record: record.name,
    "Id": lambda record: record.id,
    "Collection/Name": lambda record: record.collection,
    "ContentDate/Start": lambda record: record.content_start,
    "ContentDate/End": lambda record: record.content_end,
    "PublicationDate": lambda record: record.publication_date,
    "ModificationDate": lambda record: record.modification_date,
    "Online": lambda record: record.online,
}


def compile_filter(node: Node, options: FilterOptions | None = None) -> Predicate:
    """Turn a parsed filter into a predicate over records.

    Raises
    ------
    FilterError
        For what only the server's settings reject: a ``MULTIPOLYGON`` area, an unknown
        attribute (with ``unknown_attribute="error"``), a value that cannot be coerced to
        the attribute's type, or an operator the type does not have.
    """
    options = options or FilterOptions()
    if isinstance(node, BoolOp):
        parts = [compile_filter(operand, options) for operand in node.operands]
        if node.op == "and":
            return lambda record: all(part(record) for part in parts)
        return lambda record: any(part(record) for part in parts)
    if isinstance(node, Not):
        inner = compile_filter(node.operand, options)
        return lambda record: not inner(record)
    if isinstance(node, Compare):
        return _compile_compare(node)
    if isinstance(node, NameFunction):
        method = {"contains": str.__contains__, "startswith": str.startswith,
                  "endswith": str.endswith}[node.function]  # fmt: skip
        text = node.text
        return lambda record: method(record.name, text)
    if isinstance(node, Intersects):
        return _compile_intersects(node, options)
    return _compile_attribute(node, options)


def _compile_compare(node: Compare) -> Predicate:
    getter = _PROPERTY_GETTERS[node.prop]
    compare = COMPARISONS[node.op]
    value = node.value.value
    return lambda record: compare(getter(record), value)


def _compile_intersects(node: Intersects, options: FilterOptions) -> Predicate:
    if node.area.geom_type == "MultiPolygon" and not options.multipolygon:
        raise FilterError("MULTIPOLYGON areas are not supported", node.position)
    area = prep(node.area)
    return lambda record: record.geometry is not None and area.intersects(record.geometry)


def coerce(value: Literal, value_type: str, position: int = 0) -> Any:
    """Coerce a literal to an attribute value type (``FilterError`` if it cannot be)."""
    raw = value.value
    try:
        if value_type == "String":
            if value.kind in ("string", "guid"):
                return str(raw)
            return value.text
        if value_type == "Integer":
            if value.kind == "float" and not float(raw).is_integer():
                raise ValueError
            return int(float(raw)) if value.kind in ("int", "float") else int(str(raw))
        if value_type == "Double":
            return float(raw) if value.kind in ("int", "float") else float(str(raw))
        if value_type == "Boolean":
            if value.kind == "bool":
                return raw
            if str(raw).lower() in ("true", "false"):
                return str(raw).lower() == "true"
            raise ValueError
        if value.kind == "datetime":
            return raw
        return parse_datetime(str(raw))
    except (TypeError, ValueError):
        raise FilterError(f"{value.text} is not a valid {value_type} value", position) from None


_ATTRIBUTE_OPERATORS = {
    "String": ("eq",),
    "Boolean": ("eq", "ne"),
    "Integer": tuple(COMPARISONS),
    "Double": tuple(COMPARISONS),
    "DateTimeOffset": tuple(COMPARISONS),
}


def _compile_attribute(node: AttributeAny, options: FilterOptions) -> Predicate:
    name, op = node.name, node.op
    value_type = options.attribute_types.get(name)
    if value_type is None:
        if options.unknown_attribute == "error":
            raise FilterError(f"unknown attribute {name!r}", node.position)
        return lambda record: False
    if op not in _ATTRIBUTE_OPERATORS[value_type]:
        raise FilterError(
            f"operator {op!r} is not supported for the {value_type} attribute {name!r}",
            node.position,
        )
    wanted = coerce(node.value, value_type, node.position)
    compare = COMPARISONS[op]
    use_aliases = options.aliases and value_type == "String"

    def predicate(record: Record) -> bool:
        found = record.attribute_values.get(name)
        if found is None:
            return False
        if compare(found[1], wanted):
            return True
        return use_aliases and wanted in record.attribute_aliases.get(name, ())

    return predicate
