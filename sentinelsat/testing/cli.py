"""``sentinelsat-hub``: serve a local DHuS hub, or run a command against a temporary one."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import timezone
from typing import Any, Callable

import click

from .hub import LocalHub

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
    """Add one option per ``LocalHub`` knob to a click command."""
    options = [
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
        click.option("--lta-delay", type=float, default=1.0, show_default=True,
                     help="Seconds before a requested offline product comes online."),
        click.option("--lta-quota", type=int, default=20, show_default=True,
                     help="Offline retrievals in progress per user before 403."),
        click.option("--latency", type=float, default=0.0, show_default=True, help="Seconds added to every request."),
        click.option("--bandwidth", type=_SizeType(), default=None,
                     help="Bytes per second per download connection (e.g. 1MB)."),
        click.option("--max-concurrent-downloads", type=int, default=4, show_default=True,
                     help="Downloads in progress per user before 403."),
        click.option("--error-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True,
                     help="Share of requests answered 500."),
        click.option("--drop-after", type=_SizeType(), default=None,
                     help="Close download connections after this many body bytes."),
        click.option("--ignore-range", is_flag=True, help="Answer 200 with the whole body even with Range."),
        click.option("--corrupt", is_flag=True, help="Flip one byte of every downloaded product."),
        click.option("--corrupt-product", multiple=True, metavar="ID",
                     help="Flip one byte of this product only (id or identifier; repeatable)."),
        click.option("--maintenance", is_flag=True, help="Answer every request with the maintenance page (503)."),
        click.option("--hostile-filename", default=None, help="File name to send in Content-Disposition."),
        click.option("--verbose", "-v", is_flag=True, help="Log every request to stderr."),
    ]  # fmt: skip
    for option in reversed(options):
        function = option(function)
    return function


def hub_from_options(options: dict[str, Any]) -> LocalHub:
    """Build a (not started) ``LocalHub`` from the values of :func:`hub_options`."""
    date_span = options.get("date_span")
    if date_span:
        date_span = tuple(value.replace(tzinfo=timezone.utc) for value in date_span)
    corrupt: bool | tuple[str, ...] = (
        True if options.get("corrupt") else tuple(options.get("corrupt_product") or ())
    )
    size = options.get("product_size", (1024, 65536))
    hub = LocalHub(
        products=options.get("products", 100),
        seed=options.get("seed", 0),
        users=dict(options["users"]) if options.get("users") else None,
        product_size=size,
        date_span=date_span or None,
        include_recorded=options.get("include_recorded", False),
        offline_share=options.get("offline_share", 0.0),
        lta_delay=options.get("lta_delay", 1.0),
        lta_quota=options.get("lta_quota", 20),
        latency=options.get("latency", 0.0),
        bandwidth=_scalar(options.get("bandwidth")),
        max_concurrent_downloads=options.get("max_concurrent_downloads", 4),
        error_rate=options.get("error_rate", 0.0),
        drop_after=_scalar(options.get("drop_after")),
        ignore_range=options.get("ignore_range", False),
        corrupt=corrupt or False,
        maintenance=options.get("maintenance", False),
        hostile_filename=options.get("hostile_filename"),
        port=options.get("port", 0),
        host=options.get("host", "127.0.0.1"),
    )
    if options.get("verbose"):
        hub.access_log = sys.stderr
    return hub


def _scalar(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, tuple):
        raise click.BadParameter("expected a single size, not a range")
    return value


def _build(options: dict[str, Any]) -> LocalHub:
    try:
        return hub_from_options(options)
    except ValueError as error:
        raise click.UsageError(str(error)) from None


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
