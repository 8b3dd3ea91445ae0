"""Knobs declared once in a dataclass: signatures, docstrings, click and argparse options."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import click
import pytest

from sentinelsat.testing import Faults, LocalHub
from sentinelsat.testing.knobs import (
    add_argparse_arguments,
    argparse_values,
    click_knob_options,
    click_options,
    click_values,
    document_knobs,
    knob_names,
    knobs_of,
    parse_names,
    parse_size,
    shared_knobs,
    with_knob_parameters,
)


@document_knobs
@dataclass
class Weather:
    """Another emulator's knobs."""

    wind: float = field(default=1.5, metadata={"help": "Wind speed.", "bounds": (0.0, 10.0)})
    storms: int | None = field(default=None, metadata={"help": "Storms per day."})
    chunk: int = field(default=1024, metadata={"help": "Chunk size.", "parse": parse_size})
    sky: str = field(default="blue", metadata={"help": "Colour.", "choices": ["blue", "grey"]})
    frozen: bool = field(default=False, metadata={"help": "Everything frozen."})
    flooded: bool | Collection[str] = field(
        default=False,
        metadata={
            "help": "Floods everywhere (True) or in these towns.",
            "flag_help": "Flood every town.",
            "items_option": ("--flooded-town", "TOWN", "Flood this town (repeatable)."),
        },
    )


class Station:
    @with_knob_parameters(Weather, before="name")
    def __init__(self, size: int = 1, *, name: str = "x", **weather: Any):
        self.weather = Weather(**weather)


def test_the_signature_names_every_knob_in_place():
    parameters = inspect.signature(Station.__init__).parameters
    assert list(parameters) == [
        "self",
        "size",
        "wind",
        "storms",
        "chunk",
        "sky",
        "frozen",
        "flooded",
        "name",
    ]
    assert parameters["wind"].default == 1.5
    assert parameters["wind"].kind is inspect.Parameter.KEYWORD_ONLY
    assert Station(wind=3.0).weather.wind == 3.0


def test_the_docstring_lists_every_knob_with_its_help():
    assert "Attributes\n----------\nwind : float\n    Wind speed.\n" in Weather.__doc__
    assert "flooded : bool | Collection[str]\n    Floods everywhere" in Weather.__doc__


def test_a_knob_needs_help_and_a_default():
    @dataclass
    class Broken:
        speed: float = 1.0

    with pytest.raises(TypeError, match="speed"):
        knob_names(Broken)


def make_command():
    @click.command()
    @click_options(Weather)
    def command(**options: Any) -> None:
        click.echo(repr(click_values(Weather, options)))

    return command


def test_click_options_read_back_into_knob_values():
    command = make_command()
    context = command.make_context("x", ["--wind", "2", "--storms", "3", "--chunk", "2KB", "--sky", "grey",
                                         "--frozen", "--flooded-town", "Ely", "--flooded-town", "Bath"])  # fmt: skip
    assert click_values(Weather, context.params) == {
        "wind": 2.0, "storms": 3, "chunk": 2048, "sky": "grey", "frozen": True, "flooded": ("Ely", "Bath"),
    }  # fmt: skip
    defaults = click_values(Weather, command.make_context("x", []).params)
    assert defaults == {"wind": 1.5, "storms": None, "chunk": 1024, "sky": "blue", "frozen": False,
                        "flooded": False}  # fmt: skip
    assert click_values(Weather, command.make_context("x", ["--flooded"]).params)["flooded"] is True


@pytest.mark.parametrize(
    "arguments", [["--wind", "11"], ["--sky", "red"], ["--chunk", "big"], ["--storms", "x"]]
)
def test_click_rejects_invalid_values(arguments):
    with pytest.raises(click.BadParameter):
        make_command().make_context("x", arguments)


def test_argparse_options_read_back_into_knob_values():
    parser = argparse.ArgumentParser()
    add_argparse_arguments(parser, Weather)
    namespace = parser.parse_args(["--chunk", "1KB", "--flooded-town", "Ely", "--storms", "0"])
    assert argparse_values(Weather, namespace) == {
        "wind": 1.5, "storms": 0, "chunk": 1024, "sky": "blue", "frozen": False, "flooded": ("Ely",),
    }  # fmt: skip
    assert argparse_values(Weather, parser.parse_args(["--flooded"]))["flooded"] is True
    with pytest.raises(SystemExit):
        parser.parse_args(["--wind", "-1"])


def test_the_hub_keywords_are_the_faults_fields():
    parameters = inspect.signature(LocalHub).parameters
    assert set(knob_names(Faults)) <= set(parameters)
    assert list(parameters)[-2:] == ["port", "host"]
    for name in knob_names(Faults):
        assert parameters[name].default == getattr(Faults(), name)
    with pytest.raises(TypeError, match="unexpected keyword argument 'no_such_knob'"):
        LocalHub(products=1, no_such_knob=1)


# --------------------------------------------------------------------------- on by default, lists
@dataclass
class Harbour:
    """Knobs with a switch that is on by default and a list of names with choices."""

    lights: bool = field(default=True, metadata={"help": "Lights on."})
    open_gates: Collection[str] = field(
        default=("north",),
        metadata={"help": "Open gates.", "choices": ["north", "south", "east"],
                  "parse": parse_names, "metavar": "GATE,..."},
    )  # fmt: skip
    wind: float = field(
        default=1.5, metadata={"help": "Wind in the harbour.", "bounds": (0.0, 10.0)}
    )


def harbour_command():
    @click.command()
    @click_options(Harbour)
    def command(**options: Any) -> None:
        pass

    return command


def test_a_switch_on_by_default_can_be_turned_off():
    command = harbour_command()
    assert click_values(Harbour, command.make_context("x", []).params)["lights"] is True
    assert (
        click_values(Harbour, command.make_context("x", ["--no-lights"]).params)["lights"] is False
    )
    assert click_values(Harbour, command.make_context("x", ["--lights"]).params)["lights"] is True
    parser = argparse.ArgumentParser()
    add_argparse_arguments(parser, Harbour)
    assert argparse_values(Harbour, parser.parse_args([]))["lights"] is True
    assert argparse_values(Harbour, parser.parse_args(["--no-lights"]))["lights"] is False


def test_a_list_of_names_is_comma_separated_and_each_name_is_checked():
    command = harbour_command()
    context = command.make_context("x", ["--open-gates", "south, east"])
    assert click_values(Harbour, context.params)["open_gates"] == ("south", "east")
    assert click_values(Harbour, command.make_context("x", []).params)["open_gates"] == ("north",)
    assert (
        click_values(Harbour, command.make_context("x", ["--open-gates", ""]).params)["open_gates"]
        == ()
    )
    with pytest.raises(click.BadParameter, match="'west' is not one of north, south, east"):
        command.make_context("x", ["--open-gates", "north,west"])
    parser = argparse.ArgumentParser()
    add_argparse_arguments(parser, Harbour)
    assert argparse_values(Harbour, parser.parse_args(["--open-gates", "east"]))["open_gates"] == (
        "east",
    )


def test_shared_knobs_are_those_of_both_classes_with_the_same_option():
    assert shared_knobs(Weather, Harbour) == ["wind"]

    @dataclass
    class Gale:
        wind: float = field(default=1.5, metadata={"help": "Other help.", "bounds": (0.0, 99.0)})

    with pytest.raises(TypeError, match="wind"):
        shared_knobs(Weather, Gale)


def test_selected_knobs_with_other_help_texts_make_options():
    chosen = [dataclasses.replace(knob, help="[x] " + knob.help) for knob in knobs_of(Weather)][:2]

    @click.command()
    @click_knob_options(chosen)
    def command(**options: Any) -> None:
        pass

    assert [param.name for param in command.params] == ["wind", "storms"]
    assert command.params[0].help == "[x] Wind speed."


def test_the_cdse_keywords_are_the_cdse_knobs():
    from sentinelsat.testing import CDSEFaults, LocalCDSE

    names = knob_names(CDSEFaults)
    parameters = inspect.signature(LocalCDSE).parameters
    assert set(names) <= set(parameters) and "download_port" in parameters
    for name in names:
        assert parameters[name].default == getattr(CDSEFaults(), name)
    assert "error_servers : Collection[str]\n    The servers that error_rate" in CDSEFaults.__doc__
    faults = LocalCDSE(products=1, access_token_lifetime=5, error_servers=["identity"]).faults
    assert (faults.access_token_lifetime, list(faults.error_servers)) == (5, ["identity"])
    with pytest.raises(TypeError):
        LocalCDSE(products=1, lta_delay=1)
