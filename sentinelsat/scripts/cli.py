"""The ``sentinelsat`` command: search a DHuS server for products and download them.

A thin layer over :class:`sentinelsat.SentinelAPI`: it turns the command line options into
arguments of :meth:`~sentinelsat.SentinelAPI.query`,
:meth:`~sentinelsat.SentinelAPI.get_product_odata` and
:meth:`~sentinelsat.SentinelAPI.download_all` and prints what they return. Searching and
downloading are entirely the library's work.

Exit status: 0 on success, 1 when the server or a download failed, 2 for invalid options or
input files.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlparse

import click

from sentinelsat import __version__
from sentinelsat.exceptions import SentinelAPIError

DEFAULT_URL = "https://scihub.copernicus.eu/apihub/"
FOOTPRINTS_FILE = "search_footprints.geojson"
FAILED_FILE = "corrupt_scenes.txt"

Products = Mapping[str, Mapping[str, Any]]

#: Names ``SentinelAPI.query`` takes as arguments of its own: they have options instead.
_RESERVED_KEYWORDS = {
    "area": "-g/--geometry",
    "date": "-s/--start and -e/--end",
    "raw": "-q/--query",
    "area_relation": "-g/--geometry",
    "order_by": "-o/--order-by",
    "limit": "-l/--limit",
    "offset": "-l/--limit",
}

#: Options that only make sense for a search; ``--uuid`` ignores them.
_SEARCH_OPTIONS = (
    ("geometry", "-g/--geometry"),
    ("start", "-s/--start"),
    ("end", "-e/--end"),
    ("sentinel", "--sentinel"),
    ("instrument", "--instrument"),
    ("producttype", "--producttype"),
    ("cloud", "-c/--cloud"),
    ("order_by", "-o/--order-by"),
    ("limit", "-l/--limit"),
    ("query", "-q/--query"),
)


# ---------------------------------------------------------------------- logging
class _EchoHandler(logging.Handler):
    """Write log records to the current standard error stream.

    The stream is looked up on every record, so the handler keeps working when the
    streams are replaced (as Click's test runner does). While progress bars may be on
    screen (``tqdm`` has been imported by the library), messages go through
    ``tqdm.write`` so that they do not break the bars.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
            progress = sys.modules.get("tqdm")
            if progress is not None:
                progress.tqdm.write(message, file=sys.stderr)
            else:
                click.echo(message, err=True)
        except Exception:  # pragma: no cover - logging must never break the command
            self.handleError(record)


@contextlib.contextmanager
def _library_messages() -> Iterator[None]:
    """Show the library's log messages at INFO level on stderr while the command runs.

    The handler is removed and the logger's level restored afterwards, so running the
    command several times in one process (as the tests do) never stacks handlers.
    """
    logger = logging.getLogger("sentinelsat")
    if any(isinstance(handler, _EchoHandler) for handler in logger.handlers):
        yield  # already shown: the command runs inside another invocation
        return
    handler = _EchoHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


# ---------------------------------------------------------------------- option parsing
def _split_list(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    """Split a comma-separated option value into its non-empty items (duplicates dropped)."""
    if value is None:
        return None
    items = list(OrderedDict.fromkeys(item.strip() for item in value.split(",") if item.strip()))
    if not items:
        raise click.BadParameter(f"expected at least one value, got {value!r}")
    return items


def _check_date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Reject dates the server would not understand before anything is sent."""
    if value is None:
        return None
    from sentinelsat import format_query_date

    try:
        format_query_date(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    return value


def _parse_keywords(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> dict[str, str]:
    """Turn ``key=value,key=value`` into a dict of search keywords."""
    keywords: dict[str, str] = {}
    if value is None:
        return keywords
    for item in value.split(","):
        key, sep, text = item.partition("=")
        key, text = key.strip(), text.strip()
        if not sep or not key or not text:
            raise click.BadParameter(
                f"{item.strip()!r} is not of the form keyword=value (separate several with commas, e.g. "
                "'orbitdirection=Descending,polarisationmode=HH')"
            )
        if key in _RESERVED_KEYWORDS:
            raise click.BadParameter(
                f"{key!r} cannot be given as a search keyword: use {_RESERVED_KEYWORDS[key]}"
            )
        if key.lower() in {name.lower() for name in keywords}:
            raise click.BadParameter(f"keyword {key!r} is given more than once")
        keywords[key] = text
    return keywords


# ---------------------------------------------------------------------- building the request
def _credentials(user: str | None, password: str | None, url: str) -> tuple[str | None, str | None]:
    """Check that credentials are available: from the options/environment or ``~/.netrc``.

    Returns
    -------
    (str or None, str or None)
        The user and password, or ``(None, None)`` when ``~/.netrc`` has an entry for the
        server's host (the library's HTTP session then uses it).
    """
    if user and password:
        return user, password
    if user or password:
        missing = "-p/--password (or DHUS_PASSWORD)" if user else "-u/--user (or DHUS_USER)"
        raise click.UsageError(f"Incomplete credentials: {missing} is missing.")
    from requests.utils import get_netrc_auth

    if get_netrc_auth(url):
        return None, None
    host = urlparse(url).hostname or url
    raise click.UsageError(
        f"No credentials for {host}: give -u/--user and -p/--password, set the environment "
        f"variables DHUS_USER and DHUS_PASSWORD, or add 'machine {host}' with login and "
        "password to ~/.netrc."
    )


def _read_area(geometry: str) -> str:
    """Read a GeoJSON file and return its first geometry as WKT."""
    from sentinelsat import geojson_to_wkt, read_geojson

    try:
        return geojson_to_wkt(read_geojson(geometry))
    except (ValueError, OSError) as error:
        raise click.BadParameter(
            f"{click.format_filename(geometry)}: {error}", param_hint="'-g' / '--geometry'"
        ) from None


def _date_interval(start: str | None, end: str | None, default: bool) -> tuple[str, str] | None:
    """The acquisition start interval: ``(start or '*', end or 'NOW')``.

    Without either date the last 24 hours when ``default`` is true, else no date filter.
    """
    if start is None and end is None:
        return ("NOW-1DAY", "NOW") if default else None
    return (start or "*", end or "NOW")


def _platform_keywords(
    sentinel: str | None, instrument: str | None, producttype: str | None, cloud: int | None
) -> dict[str, Any]:
    """The most specific of ``--producttype`` > ``--instrument`` > ``--sentinel``, and ``--cloud``."""
    if cloud is not None and sentinel not in ("2", "3"):
        raise click.UsageError("-c/--cloud requires --sentinel 2 or --sentinel 3.")
    keywords: dict[str, Any] = {}
    if producttype:
        keywords["producttype"] = producttype
    elif instrument:
        keywords["instrumentshortname"] = instrument
    elif sentinel:
        keywords["platformname"] = "Sentinel-" + sentinel
    if cloud is not None:
        keywords["cloudcoverpercentage"] = (0, cloud)
    return keywords


def _name_keyword(names: list[str]) -> dict[str, str]:
    """``identifier:NAME`` for one name, ``identifier:(A OR B)`` for several."""
    if len(names) == 1:
        return {"identifier": names[0]}
    return {"identifier": "({})".format(" OR ".join(names))}


# ---------------------------------------------------------------------- output
def _format_bytes(size: int | None) -> str:
    """A byte count in binary units, as DHuS servers write sizes (``'5.47 GB'``)."""
    if size is None:
        return "unknown size"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024:
            return f"{value:.2f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    return f"{value:.2f} TB"


def _print_search_results(api: Any, products: Products) -> None:
    for product_id, attributes in products.items():
        click.echo(
            "Product {} - {}".format(
                product_id, attributes.get("summary", attributes.get("title", ""))
            )
        )
    total = api.get_products_size(products)
    click.echo(f"{len(products)} scenes found with a total size of {total:.2f} GB")


def _print_odata_results(products: Products) -> None:
    total = 0
    for product_id, info in products.items():
        click.echo(
            "Product {} - {} - {}".format(
                product_id, info.get("title"), _format_bytes(info.get("size"))
            )
        )
        total += info.get("size") or 0
    click.echo(f"{len(products)} scenes found with a total size of {total / 1024**3:.2f} GB")


def _output_file(path: str, name: str) -> str:
    os.makedirs(path, exist_ok=True)
    return os.path.join(path, name)


def _write_footprints(api: Any, products: Products, path: str) -> None:
    filename = _output_file(path, FOOTPRINTS_FILE)
    with open(filename, "w", encoding="utf-8") as f:
        json.dump(api.to_geojson(products), f, indent=2)
    click.echo(f"Footprints of {len(products)} products written to {filename}", err=True)


def _write_failed(products: Products, failed: list[str], path: str) -> str:
    filename = _output_file(path, FAILED_FILE)
    with open(filename, "w", encoding="utf-8") as f:
        for product_id in failed:
            f.write("{} : {}\n".format(product_id, products.get(product_id, {}).get("title", "")))
    return filename


def _download(api: Any, products: Products, path: str) -> None:
    """Download every product with ``download_all`` and report the outcome."""
    os.makedirs(path, exist_ok=True)
    try:
        downloaded, triggered, failed = api.download_all(products, directory_path=path)
    except SentinelAPIError:
        # download_all raises only when every product failed
        _write_failed(products, list(products), path)
        raise
    click.echo(f"Downloaded {len(downloaded)} of {len(products)} products into {path}")
    if triggered:
        click.echo(
            f"{len(triggered)} products are offline: their retrieval from the Long Term Archive was "
            "triggered; run the command again later to download them"
        )
        for product_id in triggered:
            click.echo(
                "  {} - {}".format(product_id, products.get(product_id, {}).get("title", ""))
            )
    if failed:
        ordered = [product_id for product_id in products if product_id in failed]
        filename = _write_failed(products, ordered, path)
        raise click.ClickException(
            f"{len(ordered)} of {len(products)} products failed to download; their ids and titles are listed in {filename}"
        )


# ---------------------------------------------------------------------- error handling
@contextlib.contextmanager
def _errors_as_messages() -> Iterator[None]:
    """Turn the library's exceptions into one-line Click errors (no traceback)."""
    try:
        yield
    except SentinelAPIError as error:
        raise click.ClickException(_one_line(str(error)) or type(error).__name__) from None
    except ValueError as error:
        raise click.UsageError(_one_line(str(error))) from None
    except OSError as error:
        raise click.ClickException(_one_line(str(error))) from None


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


# ---------------------------------------------------------------------- the command
_EPILOG = """\b
Credentials are taken, in this order, from -u/-p, from the environment variables
DHUS_USER and DHUS_PASSWORD, or from ~/.netrc (an entry for the server's host).
The server URL can also be set with DHUS_URL.

\b
Dates (-s/-e) refer to the start of the acquisition (beginPosition). Without either
the last 24 hours are searched; with only -s the search ends now; with only -e it
has no lower bound. --name searches apply dates only when given; --uuid ignores
all search options.

\b
Exit status: 0 on success, 1 if the server or a download failed, 2 for invalid
options or input files.
"""


@click.command(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=_EPILOG,
)
@click.option(
    "--user",
    "-u",
    envvar="DHUS_USER",
    metavar="TEXT",
    help="Username (or environment variable DHUS_USER).",
)
@click.option(
    "--password",
    "-p",
    envvar="DHUS_PASSWORD",
    metavar="TEXT",
    help="Password (or environment variable DHUS_PASSWORD).",
)
@click.option(
    "--url",
    envvar="DHUS_URL",
    default=DEFAULT_URL,
    show_default=True,
    metavar="TEXT",
    help="DHuS API URL (or environment variable DHUS_URL).",
)
@click.option(
    "--start",
    "-s",
    callback=_check_date,
    metavar="TEXT",
    help="Earliest acquisition start: YYYYMMDD, YYYY-MM-DD, an ISO-8601 UTC timestamp, NOW "
    "or date math such as NOW-7DAYS.",
)
@click.option(
    "--end",
    "-e",
    callback=_check_date,
    metavar="TEXT",
    help="Latest acquisition start, same formats as --start (YYYYMMDD is midnight UTC).",
)
@click.option(
    "--geometry",
    "-g",
    type=click.Path(exists=True, dir_okay=False),
    help="Search area: a GeoJSON file (its first feature is used).",
)
@click.option(
    "--uuid",
    callback=_split_list,
    metavar="TEXT",
    help="Fetch the products with these ids instead of searching; separate several ids with commas.",
)
@click.option(
    "--name",
    callback=_split_list,
    metavar="TEXT",
    help="Search products by identifier (file name without extension); wildcards such as "
    "'S1A_IW*20151224*' are allowed; separate several names with commas.",
)
@click.option(
    "--sentinel",
    type=click.Choice(["1", "2", "3", "5"]),
    help="Only products of this Sentinel constellation.",
)
@click.option(
    "--instrument", metavar="TEXT", help="Only products of this instrument, e.g. MSI or SAR-C SAR."
)
@click.option(
    "--producttype", metavar="TEXT", help="Only products of this type, e.g. GRD, SLC or S2MSI1C."
)
@click.option(
    "--cloud",
    "-c",
    type=click.IntRange(0, 100),
    help="Maximum cloud cover in percent; needs --sentinel 2 or 3.",
)
@click.option(
    "--order-by",
    "-o",
    metavar="TEXT",
    help="Sort the results by these comma-separated keywords; prefix a keyword with '-' for "
    "descending order, e.g. 'cloudcoverpercentage,-beginposition'.",
)
@click.option(
    "--limit",
    "-l",
    type=click.IntRange(min=1),
    help="Return at most this many products (default: all).",
)
@click.option("--download", "-d", is_flag=True, help="Download the products found.")
@click.option(
    "--path",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Directory for downloads, search_footprints.geojson and corrupt_scenes.txt.",
)
@click.option(
    "--query",
    "-q",
    callback=_parse_keywords,
    metavar="TEXT",
    help="More search keywords as keyword=value pairs separated by commas, e.g. "
    "'orbitdirection=Descending,polarisationmode=HH'.",
)
@click.option(
    "--footprints",
    "-f",
    is_flag=True,
    help="Write the footprints and attributes of the products to search_footprints.geojson.",
)
@click.version_option(
    __version__, "--version", prog_name="sentinelsat", message="%(prog)s %(version)s"
)
def cli(
    user: str | None,
    password: str | None,
    url: str,
    start: str | None,
    end: str | None,
    geometry: str | None,
    uuid: list[str] | None,
    name: list[str] | None,
    sentinel: str | None,
    instrument: str | None,
    producttype: str | None,
    cloud: int | None,
    order_by: str | None,
    limit: int | None,
    download: bool,
    path: str,
    query: dict[str, str],
    footprints: bool,
) -> None:
    """Search a Copernicus DHuS server for Sentinel products and download them.

    \b
    Examples:
      sentinelsat -g area.geojson -s 20160101 -e 20160131 --sentinel 2 --cloud 40 -d
      sentinelsat -d --uuid a9048d1d-fea6-4df8-bedd-7bcb212be12e
      sentinelsat --name 'S1A_IW*20151224*' --footprints
    """
    with _library_messages():
        if uuid and name:
            raise click.UsageError("--uuid and --name cannot be used together.")
        if uuid:
            _warn_ignored_by_uuid(
                geometry=geometry,
                start=start,
                end=end,
                sentinel=sentinel,
                instrument=instrument,
                producttype=producttype,
                cloud=cloud,
                order_by=order_by,
                limit=limit,
                query=query,
            )
        else:
            keywords = _search_keywords(
                start, end, name, sentinel, instrument, producttype, cloud, query
            )
            area = _read_area(geometry) if geometry else None
        user, password = _credentials(user, password, url)

        from sentinelsat import SentinelAPI

        api = SentinelAPI(user, password, url)
        with _errors_as_messages():
            if uuid:
                products: Products = OrderedDict(
                    (product_id, api.get_product_odata(product_id)) for product_id in uuid
                )
                _print_odata_results(products)
            else:
                products = api.query(area, order_by=order_by, limit=limit, **keywords)
                _print_search_results(api, products)
            if footprints:
                _write_footprints(api, products, path)
            if download and products:
                _download(api, products, path)


def _warn_ignored_by_uuid(**search_options: Any) -> None:
    """Tell the user which of the search options given have no effect with ``--uuid``."""
    ignored = [flag for key, flag in _SEARCH_OPTIONS if search_options[key] not in (None, {})]
    if ignored:
        click.echo("Warning: --uuid ignores {}".format(", ".join(ignored)), err=True)


def _search_keywords(
    start: str | None,
    end: str | None,
    name: list[str] | None,
    sentinel: str | None,
    instrument: str | None,
    producttype: str | None,
    cloud: int | None,
    query: dict[str, str],
) -> dict[str, Any]:
    """The keyword arguments of ``SentinelAPI.query`` for a search (``date`` included)."""
    keywords: dict[str, Any] = _platform_keywords(sentinel, instrument, producttype, cloud)
    if name:
        keywords.update(_name_keyword(name))
    for key, value in query.items():
        clash = [other for other in keywords if other.lower() == key.lower()]
        if clash:
            raise click.BadParameter(
                f"keyword {key!r} is already set by another option", param_hint="'-q' / '--query'"
            )
        keywords[key] = value
    has_date_keyword = any(key.lower() == "beginposition" for key in query)
    interval = _date_interval(start, end, default=not name and not has_date_keyword)
    if interval is not None:
        keywords["date"] = interval
    return keywords
