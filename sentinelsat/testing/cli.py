"""``sentinelsat-hub``: serve a local DHuS hub, or run a command against a temporary one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timezone
from typing import Any, Callable

import click

from .extras import HUB_EXTRA, has_shapely
from .hub import Faults, LocalHub
from .knobs import click_options, click_values, parse_size, parse_size_range

__all__ = ["hub_from_options", "hub_options", "main", "parse_size", "parse_size_range"]


class _SizeType(click.ParamType):
    name = "SIZE|MIN-MAX"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, (int, tuple)):
            return value
        try:
            return parse_size_range(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


class _UserType(click.ParamType):
    name = "NAME:PASSWORD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        name, sep, password = str(value).partition(":")
        if not sep or not name:
            self.fail(f"expected NAME:PASSWORD, got {value!r}", param, ctx)
        return name, password


def hub_options(function: Callable) -> Callable:
    """Add the catalogue and server options, then one option per :class:`Faults` field."""
    catalogue_options = [
        click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind."),
        click.option("--port", type=int, default=0, show_default=True, help="TCP port; 0 picks a free one."),
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
                     help="Share of products in the long term archive."),
    ]  # fmt: skip
    function = click.option("--verbose", "-v", is_flag=True, help="Log every request to stderr.")(
        function
    )
    function = click_options(Faults)(function)
    for option in reversed(catalogue_options):
        function = option(function)
    return function


def hub_from_options(options: dict[str, Any]) -> LocalHub:
    """Build a (not started) ``LocalHub`` from the values of :func:`hub_options`."""
    date_span = options.get("date_span")
    if date_span:
        date_span = tuple(value.replace(tzinfo=timezone.utc) for value in date_span)
    hub = LocalHub(
        products=options.get("products", 100),
        seed=options.get("seed", 0),
        users=dict(options["users"]) if options.get("users") else None,
        product_size=options.get("product_size", (1024, 65536)),
        date_span=date_span or None,
        include_recorded=options.get("include_recorded", False),
        offline_share=options.get("offline_share", 0.0),
        port=options.get("port", 0),
        host=options.get("host", "127.0.0.1"),
        **click_values(Faults, options),
    )
    if options.get("verbose"):
        hub.access_log = sys.stderr
    return hub


def _build(options: dict[str, Any]) -> LocalHub:
    try:
        hub = hub_from_options(options)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    if not has_shapely():
        click.echo(f"sentinelsat-hub: footprint searches need shapely: {HUB_EXTRA}", err=True)
    return hub


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """A local Copernicus DHuS hub on 127.0.0.1: search, OData and downloads, offline."""


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@main.command()
@hub_options
def serve(**options: Any) -> None:
    """Serve a hub until Ctrl-C; prints its URL and credentials."""
    hub = _build(options)
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        hub.start()
        click.echo(f"Local DHuS hub serving {len(hub.products)} products at {hub.url}")
        click.echo(f"  DHUS_URL={hub.url} DHUS_USER={hub.user} DHUS_PASSWORD={hub.password}")
        click.echo("Press Ctrl-C to stop.")
        sys.stdout.flush()
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("Stopping the hub.", err=True)
    finally:
        hub.stop()
        signal.signal(signal.SIGTERM, previous)


@main.command(context_settings={"allow_interspersed_args": False})
@hub_options
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run(command: tuple[str, ...], **options: Any) -> None:
    """Start a hub, run COMMAND with DHUS_URL, DHUS_USER and DHUS_PASSWORD set, stop the hub.

    Exits with the command's status.  Example:

        sentinelsat-hub run -- sentinelsat -g aoi.geojson --sentinel 2 -d --path out/
    """
    hub = _build(options)
    with hub:
        env = dict(os.environ, DHUS_URL=hub.url, DHUS_USER=hub.user, DHUS_PASSWORD=hub.password)
        click.echo(f"Local DHuS hub with {len(hub.products)} products at {hub.url}", err=True)
        try:
            status = subprocess.call(list(command), env=env)
        except FileNotFoundError:
            click.echo(f"sentinelsat-hub: command not found: {command[0]}", err=True)
            status = 127
        except KeyboardInterrupt:
            status = 130
    sys.exit(status if status >= 0 else 128 - status)


if __name__ == "__main__":  # pragma: no cover
    main()
