"""Knobs declared once, as the fields of a dataclass, and everything derived from them.

A *knob class* is a dataclass whose every field is declared as
``field(default=..., metadata={"help": "..."})``. From it this module generates

- the keyword-only parameters of a constructor that accepts the knobs as ``**knobs``
  (:func:`knob_parameters`, :func:`with_knob_parameters`), so that ``inspect.signature``,
  the documentation and callers see one named parameter per knob;
- the numpydoc ``Attributes`` section of the class docstring (:func:`document_knobs`);
- the command-line options of a click command (:func:`click_options`,
  :func:`click_values`) or of an argparse parser (:func:`add_argparse_arguments`,
  :func:`argparse_values`).

Field metadata besides ``help`` (all optional):

``parse``
    A function that turns the option's text into the value (e.g. a size with a unit); it
    raises ``ValueError`` for bad text.
``metavar``
    The name of the option's value in the help.
``choices``
    The allowed values (strings); for a knob whose value is a collection of strings
    (parsed by :func:`parse_names`, for instance), the allowed items.
``bounds``
    ``(low, high)``, inclusive, for a number.
``items_option``
    ``(flag, metavar, help)`` of a second, repeatable option for a field that is either
    ``True`` (its own flag) or a collection of strings (the repeated values), like the
    hub's ``corrupt``.
``flag_help``
    The help of the field's own flag when ``items_option`` is set.

A ``bool`` knob whose default is ``False`` is a switch (``--maintenance``); one whose
default is ``True`` is a pair of switches (``--accept-ranges/--no-accept-ranges``).
:func:`shared_knobs` lists the knobs that two classes both declare, and checks that they
make the same option, so that one command can serve either kind of server with one option
per shared knob (:func:`click_knob_options`).
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import click

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Knob:
    """One field of a knob class, with what a command line needs to know about it."""

    name: str
    default: Any
    help: str
    annotation: Any  # as written in the class (a string with postponed annotations)
    value_type: type | None
    parse: Callable[[str], Any] | None = None
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    bounds: tuple[float, float] | None = None
    items_option: tuple[str, str, str] | None = None
    flag_help: str | None = None

    @property
    def flag(self) -> str:
        """The option name, ``--max-concurrent-downloads`` for ``max_concurrent_downloads``."""
        return "--" + self.name.replace("_", "-")

    @property
    def is_flag(self) -> bool:
        """Whether the option is a switch without a value."""
        return self.value_type is bool or self.items_option is not None

    @property
    def negatable(self) -> bool:
        """Whether the option is a ``--name/--no-name`` pair: a ``bool`` knob that is on by
        default."""
        return self.value_type is bool and self.default is True

    @property
    def items_dest(self) -> str:
        """The Python name of the ``items_option`` (``corrupt_product``)."""
        assert self.items_option is not None
        return self.items_option[0].lstrip("-").replace("-", "_")

    def convert(self, text: str) -> Any:
        """Turn an option's text into the value; ``ValueError`` if it is not valid."""
        value = self.parse(text) if self.parse is not None else _scalar_type(self)(text)
        if self.choices is not None:
            items = value if isinstance(value, (tuple, list, frozenset, set)) else [value]
            wrong = [item for item in items if item not in self.choices]
            if wrong:
                raise ValueError(f"{wrong[0]!r} is not one of {', '.join(self.choices)}")
        if self.bounds is not None and not self.bounds[0] <= value <= self.bounds[1]:
            raise ValueError(f"{text} is not between {self.bounds[0]} and {self.bounds[1]}")
        return value


def _scalar_type(knob: Knob) -> Callable[[str], Any]:
    return knob.value_type if knob.value_type in (int, float, str) else str


_SCALARS: dict[str, type] = {"bool": bool, "int": int, "float": float, "str": str}


def _value_type(annotation: Any) -> type | None:
    """``int`` for ``int`` and ``int | None``; ``None`` when the type is not one scalar.

    Reads the annotation as written (``"int | None"``), which also works on Python 3.9,
    where such a union cannot be evaluated.
    """
    if isinstance(annotation, type):
        annotation = annotation.__name__
    parts = {part.strip() for part in str(annotation).split("|")} - {"None"}
    return _SCALARS.get(parts.pop()) if len(parts) == 1 else None


def knobs_of(knob_class: type) -> list[Knob]:
    """Return the knobs of a dataclass, in field order.

    Raises
    ------
    TypeError
        If ``knob_class`` is not a dataclass, or a field has no default or no ``help``.
    """
    if not dataclasses.is_dataclass(knob_class):
        raise TypeError(f"{knob_class!r} is not a dataclass")
    knobs = []
    for item in dataclasses.fields(knob_class):
        if item.default is dataclasses.MISSING or "help" not in item.metadata:
            raise TypeError(f"knob {item.name} needs a default and a help text")
        meta = item.metadata
        knobs.append(
            Knob(
                name=item.name,
                default=item.default,
                help=meta["help"],
                annotation=item.type,
                value_type=_value_type(item.type),
                parse=meta.get("parse"),
                metavar=meta.get("metavar"),
                choices=tuple(meta["choices"]) if "choices" in meta else None,
                bounds=meta.get("bounds"),
                items_option=meta.get("items_option"),
                flag_help=meta.get("flag_help"),
            )
        )
    return knobs


def _option_shape(knob: Knob) -> tuple[Any, ...]:
    """What makes a knob's command-line option, besides its help texts."""
    items_flag = knob.items_option[:2] if knob.items_option is not None else None
    return (knob.default, knob.value_type, knob.parse, knob.metavar, knob.choices, knob.bounds,
            items_flag)  # fmt: skip


def shared_knobs(first: type, second: type) -> list[str]:
    """The names of the knobs that both classes declare, in the order of ``first``.

    Raises
    ------
    TypeError
        If a shared knob's option would not be the same for both classes (default, type,
        parser, metavar, choices, bounds or second option differ); only the help texts may.
    """
    theirs = {knob.name: knob for knob in knobs_of(second)}
    names = []
    for knob in knobs_of(first):
        other = theirs.get(knob.name)
        if other is None:
            continue
        if _option_shape(knob) != _option_shape(other):
            raise TypeError(
                f"knob {knob.name} of {first.__name__} and {second.__name__} differ: "
                f"{_option_shape(knob)} != {_option_shape(other)}"
            )
        names.append(knob.name)
    return names


# --------------------------------------------------------------------------- Python side
def knob_parameters(knob_class: type) -> list[inspect.Parameter]:
    """The knobs as keyword-only parameters with their defaults and annotations."""
    return [
        inspect.Parameter(
            knob.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=knob.default,
            annotation=knob.annotation,
        )
        for knob in knobs_of(knob_class)
    ]


def with_knob_parameters(knob_class: type, *, before: str | None = None) -> Callable[[F], F]:
    """Give a function that takes ``**knobs`` a signature that names every knob.

    Parameters
    ----------
    knob_class : type
        The knob dataclass.
    before : str, optional
        The parameter before which the knobs are listed; default: where ``**knobs`` is.

    Returns
    -------
    callable
        A decorator; it only sets ``__signature__``, the function is unchanged.
    """

    def decorate(function: F) -> F:
        signature = inspect.signature(function)
        parameters = [
            p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD
        ]
        names = [p.name for p in parameters]
        at = names.index(before) if before is not None else len(parameters)
        added = knob_parameters(knob_class)
        function.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=parameters[:at] + added + parameters[at:]
        )
        return function

    return decorate


def split_knobs(knob_class: type, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check that ``values`` only names knobs of ``knob_class``; return them as a dict.

    Raises
    ------
    TypeError
        For an unknown name, as a function call with an unexpected keyword would.
    """
    names = {knob.name for knob in knobs_of(knob_class)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise TypeError(f"unexpected keyword argument {unknown[0]!r}")
    return dict(values)


def document_knobs(knob_class: type[T]) -> type[T]:
    """Class decorator: append a numpydoc ``Attributes`` section listing the knobs."""
    lines = ["", "Attributes", "----------"]
    for knob in knobs_of(knob_class):
        lines.append(f"{knob.name} : {_type_text(knob.annotation)}")
        lines.append(f"    {knob.help}")
    doc = inspect.cleandoc(knob_class.__doc__ or "")
    knob_class.__doc__ = doc + "\n" + "\n".join(lines) + "\n"
    return knob_class


def _type_text(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("collections.abc.", "")


# --------------------------------------------------------------------------- click
class _KnobType(click.ParamType):  # type: ignore[type-arg]
    """A click type that converts with :meth:`Knob.convert`."""

    def __init__(self, knob: Knob):
        self.knob = knob
        names = {int: "INTEGER", float: "FLOAT"}
        self.name = knob.metavar or names.get(knob.value_type, "TEXT")  # type: ignore[arg-type]

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str | None:
        if self.knob.metavar is None and self.knob.choices is not None:
            return "[" + "|".join(self.knob.choices) + "]"
        return None

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self.knob.convert(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


def _click_options_of(knob: Knob) -> list[Callable[[F], F]]:
    if knob.negatable:
        negative = "--no-" + knob.flag[2:]
        return [click.option(f"{knob.flag}/{negative}", knob.name, default=True,
                             show_default=True, help=knob.help)]  # fmt: skip
    if knob.is_flag:
        options = [click.option(knob.flag, is_flag=True, help=knob.flag_help or knob.help)]
        if knob.items_option is not None:
            flag, metavar, help_text = knob.items_option
            options.append(click.option(flag, multiple=True, metavar=metavar, help=help_text))
        return options
    show_default: bool | str = knob.default is not None
    if isinstance(knob.default, tuple):
        show_default = ",".join(map(str, knob.default)) or "none"
    return [
        click.option(
            knob.flag,
            type=_KnobType(knob),
            default=knob.default,
            show_default=show_default,
            metavar=knob.metavar,
            help=knob.help,
        )
    ]


def click_options(knob_class: type) -> Callable[[F], F]:
    """A decorator adding one click option per knob (two for an ``items_option`` knob)."""
    return click_knob_options(knobs_of(knob_class))


def click_knob_options(knobs: Sequence[Knob]) -> Callable[[F], F]:
    """A decorator adding the options of these knobs, in this order.

    Use it for a selection of knobs, or for knobs whose help was changed with
    :func:`dataclasses.replace` (a command of several kinds of servers, for instance).
    """

    def decorate(function: F) -> F:
        for knob in reversed(list(knobs)):
            for option in reversed(_click_options_of(knob)):
                function = option(function)
        return function

    return decorate


def _value_of(knob: Knob, read: Callable[[str], Any]) -> Any:
    if knob.items_option is not None:
        if read(knob.name):
            return True
        items = tuple(read(knob.items_dest) or ())
        return items or knob.default
    value = read(knob.name)
    if value is None:
        return knob.default
    return bool(value) if knob.value_type is bool else value


def click_values(knob_class: type, options: Mapping[str, Any]) -> dict[str, Any]:
    """Read the knob values back from the parameters of a click command (defaults for the
    missing ones)."""
    return {knob.name: _value_of(knob, options.get) for knob in knobs_of(knob_class)}


# --------------------------------------------------------------------------- argparse
def _argparse_type(knob: Knob) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return knob.convert(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = knob.metavar or knob.name
    return convert


def add_argparse_arguments(parser: argparse.ArgumentParser, knob_class: type) -> None:
    """Add one argparse option per knob (two for an ``items_option`` knob)."""
    for knob in knobs_of(knob_class):
        if knob.negatable:
            parser.add_argument(
                knob.flag, action=argparse.BooleanOptionalAction, default=None, help=knob.help
            )
            continue
        if knob.is_flag:
            parser.add_argument(knob.flag, action="store_true", help=knob.flag_help or knob.help)
            if knob.items_option is not None:
                flag, metavar, help_text = knob.items_option
                parser.add_argument(flag, action="append", metavar=metavar, help=help_text)
            continue
        parser.add_argument(
            knob.flag, type=_argparse_type(knob), default=None, metavar=knob.metavar, help=knob.help
        )


def argparse_values(knob_class: type, namespace: argparse.Namespace) -> dict[str, Any]:
    """Read the knob values back from parsed arguments (defaults for those not given)."""
    return {
        knob.name: _value_of(knob, lambda name: getattr(namespace, name, None))
        for knob in knobs_of(knob_class)
    }


def knob_names(knob_class: type) -> Sequence[str]:
    """The names of the knobs, in field order."""
    return [knob.name for knob in knobs_of(knob_class)]


# --------------------------------------------------------------------------- values
def parse_names(text: str) -> tuple[str, ...]:
    """Parse a comma-separated list of names, ``catalogue,download``; empty text: none."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


# --------------------------------------------------------------------------- sizes
_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "KIB": 1024, "M": 1024**2, "MB": 1024**2, "MIB": 1024**2,
          "G": 1024**3, "GB": 1024**3, "GIB": 1024**3}  # fmt: skip
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


def parse_size(text: str) -> int:
    """Parse a byte count such as ``65536``, ``64KB``, ``1.5GB`` (1 KB = 1024 bytes)."""
    match = _SIZE_RE.match(text)
    if not match or match.group(2).upper() not in _UNITS:
        raise ValueError(f"invalid size {text!r}")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def parse_size_range(text: str) -> int | tuple[int, int]:
    """Parse ``SIZE`` or ``MIN-MAX`` (also ``MIN:MAX``), e.g. ``1KB-64KB``."""
    parts = re.split(r"\s*[-:]\s*", text.strip())
    if len(parts) == 1:
        return parse_size(parts[0])
    if len(parts) == 2:
        return parse_size(parts[0]), parse_size(parts[1])
    raise ValueError(f"invalid size range {text!r}")
