"""``sentinelsat-hub``: serve a local DHuS hub or, with ``--cdse``, a local CDSE; or run a
command against a temporary one.

The options of ``serve`` and ``run`` are generated from the knobs of both servers
(:class:`~sentinelsat.testing.Faults` and :class:`~sentinelsat.testing.cdse.CDSEFaults`) by
:mod:`sentinelsat.testing.knobs`: a knob that both servers have is one option, and an option
that only one server has is refused with the other (``--lta-delay`` with ``--cdse``).
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import signal
import subprocess
import sys
import time
from datetime import timezone
from typing import TYPE_CHECKING, Any, Callable, Union

import click

from .cdse.faults import CDSEFaults
from .extras import HUB_EXTRA, MissingDependencyError, has_shapely
from .hub import Faults, LocalHub
from .knobs import (
    Knob,
    click_knob_options,
    click_values,
    knobs_of,
    parse_size,
    parse_size_range,
    shared_knobs,
)

if TYPE_CHECKING:  # pragma: no cover
    from .cdse.emulator import LocalCDSE

__all__ = [
    "cdse_from_options",
    "hub_from_options",
    "hub_options",
    "main",
    "parse_size",
    "parse_size_range",
    "server_from_options",
    "server_options",
]

#: The two kinds of servers, as the labels of the options that only one of them has.
HUB, CDSE = "hub", "cdse"
#: The port options of each kind of server (parameter names).
PORT_OPTIONS = {HUB: ("port",), CDSE: ("catalogue_port", "identity_port", "download_port")}
#: The variables that ``run`` sets for its command (those of the other server are removed).
SERVER_VARIABLES = ("DHUS_URL", "DHUS_USER", "DHUS_PASSWORD", "CDSE_TOKEN_URL", "CDSE_DOWNLOAD_URL")

Server = Union[LocalHub, "LocalCDSE"]


class _SizeType(click.ParamType):  # type: ignore[type-arg]
    name = "SIZE|MIN-MAX"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, (int, tuple)):
            return value
        try:
            return parse_size_range(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


class _UserType(click.ParamType):  # type: ignore[type-arg]
    name = "NAME:PASSWORD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        name, sep, password = str(value).partition(":")
        if not sep or not name:
            self.fail(f"expected NAME:PASSWORD, got {value!r}", param, ctx)
        return name, password


# --------------------------------------------------------------------------- options
def _port_option(flag: str, server: str, what: str) -> Callable[..., Any]:
    return click.option(flag, type=int, default=0, show_default=True,
                        help=f"[{server}] TCP port{what}; 0 picks a free one.")  # fmt: skip


def _general_options() -> list[Callable[..., Any]]:
    return [
        click.option("--cdse", is_flag=True,
                     help="Serve a local Copernicus Data Space Ecosystem (catalogue, identity and "
                          "download servers) instead of a DHuS hub. Options marked [hub] are for "
                          "the hub only, those marked [cdse] for the CDSE only."),
        click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind."),
        _port_option("--port", HUB, ""),
        _port_option("--catalogue-port", CDSE, " of the catalogue (DHUS_URL)"),
        _port_option("--identity-port", CDSE, " of the identity server (CDSE_TOKEN_URL)"),
        _port_option("--download-port", CDSE, " of the download host (CDSE_DOWNLOAD_URL)"),
        click.option("--products", type=int, default=100, show_default=True, help="Number of synthetic products."),
        click.option("--seed", type=int, default=0, show_default=True, help="Seed of catalogue, content and faults."),
        click.option("--user", "users", type=_UserType(), multiple=True,
                     help="A user as NAME:PASSWORD (repeatable). Default user:password."),
        click.option("--product-size", type=_SizeType(), default="1KB-64KB", show_default=True,
                     help="Product size in bytes, fixed or a MIN-MAX range (units B, KB, MB, GB)."),
        click.option("--date-span", nargs=2, type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
                     default=None, metavar="START END",
                     help="Sensing dates span (UTC). Default: the last 30 days."),
        click.option("--include-recorded", is_flag=True, help="Add the three real products of the recordings."),
        click.option("--offline-share", type=click.FloatRange(0, 1), default=0.0, show_default=True,
                     help="Share of products in the long term archive (CDSE: Online false)."),
    ]  # fmt: skip


def _joined(hub_text: str | None, cdse_text: str | None) -> str | None:
    """One help text for an option of both servers: the hub's, and the CDSE's if it differs."""
    if not hub_text or not cdse_text or hub_text == cdse_text:
        return hub_text or cdse_text
    return f"{hub_text} [cdse] {cdse_text}"


def _merged(hub_knob: Knob, cdse_knob: Knob) -> Knob:
    items = hub_knob.items_option
    if items is not None and cdse_knob.items_option is not None:
        items = (items[0], items[1], _joined(items[2], cdse_knob.items_option[2]) or "")
    return dataclasses.replace(
        hub_knob,
        help=_joined(hub_knob.help, cdse_knob.help) or "",
        flag_help=_joined(hub_knob.flag_help, cdse_knob.flag_help),
        items_option=items,
    )


def _labelled(knob: Knob, server: str) -> Knob:
    items = knob.items_option
    if items is not None:
        items = (items[0], items[1], f"[{server}] {items[2]}")
    flag_help = f"[{server}] {knob.flag_help}" if knob.flag_help else None
    return dataclasses.replace(
        knob, help=f"[{server}] {knob.help}", flag_help=flag_help, items_option=items
    )


def command_knobs() -> list[tuple[Knob, str | None]]:
    """The knobs of both servers as the command has them, each with the one server that has
    it (``None`` for the knobs of both): the shared knobs first, then the hub's, then the
    CDSE's.  The help of a knob of one server starts with ``[hub]`` or ``[cdse]``."""
    shared = shared_knobs(Faults, CDSEFaults)
    cdse_knobs = {knob.name: knob for knob in knobs_of(CDSEFaults)}
    result: list[tuple[Knob, str | None]] = []
    for knob in knobs_of(Faults):
        if knob.name in shared:
            result.append((_merged(knob, cdse_knobs[knob.name]), None))
    for server, knobs in ((HUB, knobs_of(Faults)), (CDSE, list(cdse_knobs.values()))):
        result += [(_labelled(knob, server), server) for knob in knobs if knob.name not in shared]
    return result


def single_server_options() -> dict[str, str]:
    """Parameter name → ``"hub"`` or ``"cdse"``, for the options that only one server has."""
    only = {name: server for server, names in PORT_OPTIONS.items() for name in names}
    for knob, server in command_knobs():
        if server is not None:
            only[knob.name] = server
            if knob.items_option is not None:
                only[knob.items_dest] = server
    return only


def server_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--cdse``, the catalogue and port options, then one option per knob of either
    server (:func:`command_knobs`) and ``--verbose``."""
    function = click.option("--verbose", "-v", is_flag=True, help="Log every request to stderr.")(
        function
    )
    function = click_knob_options([knob for knob, _ in command_knobs()])(function)
    for option in reversed(_general_options()):
        function = option(function)
    return function


#: The name of :func:`server_options` when the command served the DHuS hub only.
hub_options = server_options


# --------------------------------------------------------------------------- servers
def _catalogue_settings(options: dict[str, Any]) -> dict[str, Any]:
    date_span = options.get("date_span")
    if date_span:
        date_span = tuple(value.replace(tzinfo=timezone.utc) for value in date_span)
    return {
        "products": options.get("products", 100),
        "seed": options.get("seed", 0),
        "users": dict(options["users"]) if options.get("users") else None,
        "product_size": options.get("product_size", (1024, 65536)),
        "date_span": date_span or None,
        "include_recorded": options.get("include_recorded", False),
        "offline_share": options.get("offline_share", 0.0),
        "host": options.get("host", "127.0.0.1"),
    }


def hub_from_options(options: dict[str, Any]) -> LocalHub:
    """Build a (not started) ``LocalHub`` from the values of :func:`server_options`."""
    hub = LocalHub(
        **_catalogue_settings(options),
        port=options.get("port", 0),
        **click_values(Faults, options),
    )
    if options.get("verbose"):
        hub.access_log = sys.stderr
    return hub


def cdse_from_options(options: dict[str, Any]) -> LocalCDSE:
    """Build a (not started) ``LocalCDSE`` from the values of :func:`server_options`.

    Raises
    ------
    MissingDependencyError
        If shapely, which the CDSE needs, is not installed.
    """
    from .cdse import LocalCDSE

    ports = {name: options.get(name, 0) for name in PORT_OPTIONS[CDSE]}
    cdse = LocalCDSE(**_catalogue_settings(options), **ports, **click_values(CDSEFaults, options))
    if options.get("verbose"):
        cdse.access_log = sys.stderr
    return cdse


def server_from_options(options: dict[str, Any]) -> Server:
    """A ``LocalCDSE`` if the options say ``--cdse``, else a ``LocalHub`` (not started)."""
    return cdse_from_options(options) if options.get("cdse") else hub_from_options(options)


def _given(ctx: click.Context, name: str) -> bool:
    """Whether the command line (or the environment) set a parameter, even to its default."""
    source = ctx.get_parameter_source(name)
    return source is not None and source not in (
        click.core.ParameterSource.DEFAULT,
        click.core.ParameterSource.DEFAULT_MAP,
    )


def _refusal(flags: list[str], server: str, ports: bool) -> str:
    listed = flags[0] if len(flags) == 1 else ", ".join(flags[:-1]) + " and " + flags[-1]
    one = len(flags) == 1
    if server == CDSE:
        message = (
            f"{listed} {'is a DHuS hub option' if one else 'are DHuS hub options'}: "
            f"the local CDSE (--cdse) {'has no such option' if one else 'has none of them'}"
        )
        hint = "; its ports are --catalogue-port, --identity-port and --download-port"
    else:
        message = (
            f"{listed} {'is a CDSE option' if one else 'are CDSE options'}: "
            "add --cdse to serve the local CDSE"
        )
        hint = "; the hub's port is --port"
    return message + (hint if ports else "")


def refuse_options_of_the_other_server(ctx: click.Context, server: str) -> None:
    """Raise a ``click.UsageError`` naming the options given that ``server`` does not have."""
    only = single_server_options()
    wrong = [
        param
        for param in ctx.command.params
        if param.name is not None
        and only.get(param.name, server) != server
        and _given(ctx, param.name)
    ]
    if wrong:
        flags = ["/".join(param.opts + param.secondary_opts) for param in wrong]
        ports = any(param.name in PORT_OPTIONS[only[str(param.name)]] for param in wrong)
        raise click.UsageError(_refusal(flags, server, ports), ctx)


def _build(ctx: click.Context, options: dict[str, Any]) -> Server:
    server = CDSE if options.get("cdse") else HUB
    refuse_options_of_the_other_server(ctx, server)
    try:
        built = server_from_options(options)
    except MissingDependencyError as error:
        raise click.ClickException(str(error)) from None
    except ValueError as error:
        raise click.UsageError(str(error), ctx) from None
    if server == HUB and not has_shapely():
        click.echo(f"sentinelsat-hub: footprint searches need shapely: {HUB_EXTRA}", err=True)
    return built


def _start(server: Server) -> None:
    try:
        server.start()
    except OSError as error:
        reason = error.strerror or str(error)
        raise click.ClickException(
            f"cannot start the local {_what(server)} on {server.host}: {reason}"
        ) from None


def _what(server: Server) -> str:
    return "DHuS hub" if isinstance(server, LocalHub) else "CDSE"


def _serving_lines(server: Server) -> list[str]:
    """What ``serve`` prints: where the servers are and how to log in."""
    env = {name: shlex.quote(value) for name, value in server.environ().items()}
    count = len(server.products)
    if isinstance(server, LocalHub):
        variables = " ".join(f"{name}={value}" for name, value in env.items())
        return [f"Local DHuS hub serving {count} products at {server.url}", f"  {variables}"]
    return [
        f"Local CDSE serving {count} products",
        f"  catalogue  DHUS_URL={env['DHUS_URL']}",
        f"  identity   CDSE_TOKEN_URL={env['CDSE_TOKEN_URL']}",
        f"  download   CDSE_DOWNLOAD_URL={env['CDSE_DOWNLOAD_URL']}",
        f"  user       DHUS_USER={env['DHUS_USER']} DHUS_PASSWORD={env['DHUS_PASSWORD']}",
    ]


# --------------------------------------------------------------------------- commands
@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """A local Copernicus DHuS hub on 127.0.0.1: search, OData and downloads, offline.

    With --cdse, a local Copernicus Data Space Ecosystem instead: catalogue, identity and
    download servers on three ports.
    """


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@main.command()
@server_options
@click.pass_context
def serve(ctx: click.Context, /, **options: Any) -> None:
    """Serve a hub (or, with --cdse, a CDSE) until Ctrl-C; prints its URLs and credentials."""
    server = _build(ctx, options)
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        _start(server)
        for line in _serving_lines(server):
            click.echo(line)
        click.echo("Press Ctrl-C to stop.")
        sys.stdout.flush()
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo(f"Stopping the {_what(server)}.", err=True)
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)


@main.command(context_settings={"allow_interspersed_args": False})
@server_options
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.pass_context
def run(ctx: click.Context, /, command: tuple[str, ...], **options: Any) -> None:
    """Start a hub, run COMMAND with DHUS_URL, DHUS_USER and DHUS_PASSWORD set, stop the hub.

    With --cdse, start a CDSE instead, and set CDSE_TOKEN_URL and CDSE_DOWNLOAD_URL too
    (DHUS_URL is the catalogue). Exits with the command's status.  Example:

        sentinelsat-hub run -- sentinelsat -g aoi.geojson --sentinel 2 -d --path out/
    """
    server = _build(ctx, options)
    _start(server)
    try:
        inherited = {k: v for k, v in os.environ.items() if k not in SERVER_VARIABLES}
        env = {**inherited, **server.environ()}
        click.echo(
            f"Local {_what(server)} with {len(server.products)} products at {server.url}", err=True
        )
        try:
            status = subprocess.call(list(command), env=env)
        except FileNotFoundError:
            click.echo(f"sentinelsat-hub: command not found: {command[0]}", err=True)
            status = 127
        except KeyboardInterrupt:
            status = 130
    finally:
        server.stop()
    sys.exit(status if status >= 0 else 128 - status)


if __name__ == "__main__":  # pragma: no cover
    main()
