"""The ``sentinelsat`` command: search a DHuS server for products and download them.

A thin layer over :class:`sentinelsat.SentinelAPI`: it turns the command line options into
arguments of :meth:`~sentinelsat.SentinelAPI.query`,
:meth:`~sentinelsat.SentinelAPI.get_product_odata` and
:meth:`~sentinelsat.SentinelAPI.download_all` and logs what they return.

Two entry points, as in sentinelsat 0.13 plus one:

- :func:`cli`, the Click command. It behaves as 0.13's: everything it reports goes through
  the ``sentinelsat`` logger to stderr, and the errors of the library
  (:class:`~sentinelsat.exceptions.SentinelAPIError` and its subclasses,
  :class:`~sentinelsat.exceptions.InvalidChecksumError`) propagate out of it, so that
  ``CliRunner().invoke(cli, args, catch_exceptions=False)`` raises them.
- :func:`main`, what the installed ``sentinelsat`` script and ``python -m sentinelsat`` run:
  the command, with those errors turned into one ``Error: ...`` line on stderr and exit
  status 1 (130 for Ctrl-C), never a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import click

from sentinelsat import __version__
from sentinelsat.backends.endpoints import DHUS_DEFAULT_URL
from sentinelsat.exceptions import InvalidChecksumError, SentinelAPIError

DEFAULT_URL = DHUS_DEFAULT_URL
FOOTPRINTS_FILE = "search_footprints.geojson"
FAILED_FILE = "corrupt_scenes.txt"

#: sentinelsat 0.13's defaults of -s/--start and -e/--end.
DEFAULT_START = "NOW-1DAY"
DEFAULT_END = "NOW"
#: What 0.13 searched from when -s was given an empty value.
EMPTY_START = "19000101"

#: sentinelsat 0.13's messages, word for word (scripts match on them).
MISSING_CREDENTIALS = (
    "Missing --user and --password. Please see docs for environment variables and .netrc support."
)
CLOUD_NEEDS_SENTINEL = "Cloud cover is only supported for Sentinel 2 and 3."
UNKNOWN_UUID = "No product with ID '%s' exists on server"

#: Exit status after Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED_STATUS = 130
INTERRUPTED = (
    "Interrupted: partial downloads are kept and continue where they stopped on the next run."
)

Products = Mapping[str, Mapping[str, Any]]

#: sentinelsat 0.13 logged everything the command reports to this logger.
logger = logging.getLogger("sentinelsat")

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
    ("name", "--name"),
    ("sentinel", "--sentinel"),
    ("instrument", "--instrument"),
    ("producttype", "--producttype"),
    ("cloud", "-c/--cloud"),
    ("order_by", "-o/--order-by"),
    ("limit", "-l/--limit"),
    ("query", "-q/--query"),
)


# ---------------------------------------------------------------------- logging
class _StderrHandler(logging.Handler):
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
def _messages_on_stderr() -> Iterator[None]:
    """Show the ``sentinelsat`` logger's INFO messages on stderr (format ``%(message)s``)
    while the command runs, as sentinelsat 0.13 did.

    The handler is removed and the logger's level restored afterwards, so running the
    command several times in one process (as tests do) never stacks handlers.
    """
    if any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        yield  # already shown: the command runs inside another invocation
        return
    handler = _StderrHandler()
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
def _split_list(
    ctx: click.Context, param: click.Parameter, value: str | Sequence[str] | None
) -> list[str] | None:
    """Split comma-separated option values into their non-empty items (duplicates dropped).

    The option may be repeated (sentinelsat 1.x) as well as given a comma-separated list
    (0.13). An empty value gives an empty list: the command decides what that means.
    """
    if value is None or (not isinstance(value, str) and not value):
        return None
    values = [value] if isinstance(value, str) else list(value)
    items = (item.strip() for text in values for item in text.split(","))
    return list(OrderedDict.fromkeys(item for item in items if item))


def _check_date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Reject dates the server would not understand before anything is sent."""
    if not value:
        return value
    from sentinelsat import format_query_date

    try:
        format_query_date(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    return value


def _check_order_by(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from sentinelsat.query import format_order_by

    try:
        format_order_by(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    return value


def _parse_keywords(
    ctx: click.Context, param: click.Parameter, value: str | Sequence[str] | None
) -> dict[str, Any]:
    """Turn ``key=value,key=value`` into a dict of search keywords.

    ``-q`` may be repeated (sentinelsat 1.x): a keyword given in several of them means any of
    its values (a set, which the query turns into an OR).
    """
    if value is None or isinstance(value, str):
        return _parse_keyword_list(value)
    keywords: dict[str, Any] = {}
    for text in value:
        for key, item in _parse_keyword_list(text).items():
            same = next((name for name in keywords if name.lower() == key.lower()), None)
            if same is None:
                keywords[key] = item
                continue
            previous = keywords[same]
            keywords[same] = (previous if isinstance(previous, set) else {previous}) | {item}
    return keywords


def _parse_keyword_list(value: str | None) -> dict[str, Any]:
    """One ``-q`` value: ``key=value,key=value`` (0.13's form)."""
    keywords: dict[str, Any] = {}
    if value is None:
        return keywords
    for item in value.split(","):
        key, sep, text = item.partition("=")
        key, text = key.strip(), text.strip()
        if not sep or not key or not text:
            raise click.BadParameter(
                f"{item.strip()!r} is not of the form keyword=value (separate several with "
                "commas, e.g. 'orbitdirection=Descending,polarisationmode=HH')"
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
    """The credentials from the options (or environment), else from ``~/.netrc``.

    Returns
    -------
    (str or None, str or None)
        The user and password, or ``(None, None)`` when ``~/.netrc`` has an entry for the
        server's host (CDSE: its identity server's; the library's HTTP session then uses it).
        As in sentinelsat 0.13, a user without a password (or the reverse) falls back to
        ``~/.netrc`` as a whole.

    Raises
    ------
    click.UsageError
        With 0.13's message, when neither gives credentials.
    """
    if user is not None and password is not None:
        return user, password
    from requests.utils import get_netrc_auth

    from sentinelsat.backends import select_backend

    # the host that takes the credentials: the server's, or CDSE's identity server
    if get_netrc_auth(select_backend(url).credentials_url):
        return None, None
    raise click.UsageError(MISSING_CREDENTIALS)


def _read_area(geometry: str) -> str:
    """The area of ``-g``: a GeoJSON file's first geometry as WKT; or, as sentinelsat 1.x
    also accepted, a WKT string or a GeoJSON string (its first geometry)."""
    from sentinelsat import geojson_to_wkt, is_wkt, read_geojson

    hint = "'-g' / '--geometry'"
    if os.path.isfile(geometry):
        try:
            return geojson_to_wkt(read_geojson(geometry))
        except (ValueError, OSError) as error:
            raise click.BadParameter(
                f"{click.format_filename(geometry)}: {error}", param_hint=hint
            ) from None
    if is_wkt(geometry):
        return geometry.strip()
    if geometry.lstrip().startswith("{"):
        import geojson

        try:
            return geojson_to_wkt(geojson.loads(geometry))
        except ValueError as error:
            message = f"not a valid GeoJSON string: {error}"
            raise click.BadParameter(message, param_hint=hint) from None
    raise click.BadParameter(
        f"{geometry!r} is neither an existing GeoJSON file, nor a WKT or GeoJSON string",
        param_hint=hint,
    )


def _date_interval(
    start: str | None, end: str | None, searching_by_name: bool
) -> tuple[str, str] | None:
    """The acquisition start interval, with 0.13's defaults ``NOW-1DAY`` and ``NOW``.

    A name search has no date filter unless ``-s`` or ``-e`` is given.
    """
    if searching_by_name and start is None and end is None:
        return None
    if start == "":
        start = EMPTY_START
    return (start or DEFAULT_START, end or DEFAULT_END)


def _platform_keywords(
    sentinel: str | None, instrument: str | None, producttype: str | None
) -> dict[str, str]:
    """The most specific of ``--producttype`` > ``--instrument`` > ``--sentinel``."""
    if producttype:
        return {"producttype": producttype}
    if instrument:
        return {"instrumentshortname": instrument}
    if sentinel:
        return {"platformname": "Sentinel-" + sentinel}
    return {}


def _name_keyword(names: list[str]) -> dict[str, str]:
    """``identifier:NAME`` for one name, ``identifier:(A OR B)`` for several.

    Raises
    ------
    EmptyQueryValueError
        When no name was given (``--name ''``).
    """
    if not names:
        from sentinelsat.exceptions import EmptyQueryValueError
        from sentinelsat.parsing import INVALID_QUERY

        raise EmptyQueryValueError(
            INVALID_QUERY, hint="--name was given an empty value: give at least one product name."
        )
    if len(names) == 1:
        return {"identifier": names[0]}
    return {"identifier": f"({' OR '.join(names)})"}


def _search_keywords(
    options: dict[str, Any], name: list[str] | None, query: dict[str, str]
) -> dict[str, Any]:
    """The keyword arguments of ``SentinelAPI.query`` for a search (``date`` included).

    A ``-q`` keyword replaces the one an option sets under the same name, as in 0.13; one
    that filters on ``beginposition`` replaces the default dates.
    """
    keywords: dict[str, Any] = _platform_keywords(
        options["sentinel"], options["instrument"], options["producttype"]
    )
    if options["cloud"] is not None:
        keywords["cloudcoverpercentage"] = (0, options["cloud"])
    if name is not None:
        keywords.update(_name_keyword(name))
    for key, value in query.items():
        for other in [other for other in keywords if other.lower() == key.lower()]:
            del keywords[other]
        keywords[key] = value
    start, end = options["start"], options["end"]
    dates_in_query = any(key.lower() == "beginposition" for key in query)
    if not (dates_in_query and start is None and end is None):
        interval = _date_interval(start, end, searching_by_name=name is not None)
        if interval is not None:
            keywords["date"] = interval
    return keywords


def _check_query(api: Any, area: str | None, keywords: dict[str, Any]) -> None:
    """Translate the search once before sending it: bad values, and keywords the server's
    protocol cannot search (on CDSE), are usage errors."""
    from sentinelsat.backends import Criteria

    search = dict(keywords)
    date = search.pop("date", None)
    try:
        api.backend.check_criteria(Criteria(area, date, keywords=search))
    except ValueError as error:
        raise click.UsageError(str(error)) from None


# ---------------------------------------------------------------------- output
def _log_search_results(api: Any, products: Products, fmt: str | None = None) -> None:
    """0.13's listing: one line per product (or ``--fmt``'s), ``---``, and the total as the
    last line."""
    for product_id, attributes in products.items():
        if fmt is not None:
            logger.info("%s", _formatted(fmt, product_id, attributes))
            continue
        logger.info(
            "Product %s - %s", product_id, attributes.get("summary", attributes.get("title", ""))
        )
    logger.info("---")
    logger.info(
        "%s scenes found with a total size of %.2f GB",
        len(products),
        api.get_products_size(products),
    )


def _log_odata_results(products: Products, fmt: str | None = None) -> None:
    """0.13's listing of ``--uuid`` products: title and size in MiB, no total."""
    for product_id, info in products.items():
        if fmt is not None:
            logger.info("%s", _formatted(fmt, product_id, info))
            continue
        size = info.get("size")
        megabytes = round(int(size) / (1024.0 * 1024.0), 2) if size is not None else "unknown"
        logger.info("Product %s - %s - %s MB", product_id, info.get("title"), megabytes)


def _output_file(path: str, name: str) -> str:
    os.makedirs(path, exist_ok=True)
    return os.path.join(path, name)


def _write_footprints(api: Any, products: Products, path: str) -> None:
    import geojson

    with open(_output_file(path, FOOTPRINTS_FILE), "w", encoding="utf-8") as f:
        f.write(geojson.dumps(api.to_geojson(products)))


def _write_failed(products: Products, failed: list[str], path: str) -> str:
    filename = _output_file(path, FAILED_FILE)
    with open(filename, "w", encoding="utf-8") as f:
        for product_id in failed:
            title = products.get(product_id, {}).get("title", "")
            f.write(f"{product_id} : {title}\n")
    return filename


def _create_progress_lock() -> None:
    """Create tqdm's global lock before the download threads start.

    tqdm creates it on first use without releasing it if that is interrupted: a Ctrl-C at
    the wrong moment would leave it held, and the download threads would wait for it
    forever. Created here, an interrupted creation ends the command at once.
    """
    from tqdm import tqdm

    tqdm.get_lock()


def _download(
    api: Any,
    products: Products,
    path: str,
    fail_if_any_failed: bool,
    extra: Options1x | None = None,
) -> None:
    """Download every product with ``download_all`` and report the outcome.

    The products that failed are listed in ``corrupt_scenes.txt``. When every product
    failed, ``download_all``'s last error propagates (after the file is written); with
    ``--fail-fast``, the first one.
    """
    os.makedirs(path, exist_ok=True)
    _create_progress_lock()
    arguments = extra.download_arguments() if extra is not None else {}
    try:
        downloaded, triggered, failed = api.download_all(products, directory_path=path, **arguments)
    except (SentinelAPIError, InvalidChecksumError):
        _write_failed(products, list(products), path)
        raise
    logger.info("Downloaded %d of %d products into %s", len(downloaded), len(products), path)
    if triggered:
        logger.info(
            "%d products are offline: their retrieval from the Long Term Archive was triggered; "
            "run the command again later to download them",
            len(triggered),
        )
        for product_id in triggered:
            logger.info("  %s - %s", product_id, products.get(product_id, {}).get("title", ""))
    if failed:
        ordered = [product_id for product_id in products if product_id in failed]
        filename = _write_failed(products, ordered, path)
        message = (
            f"{len(ordered)} of {len(products)} products failed to download; their ids and "
            f"titles are listed in {filename}"
        )
        if fail_if_any_failed:
            raise click.ClickException(message)
        logger.warning(message)


# ---------------------------------------------------------------------- sentinelsat 1.x's options
_PATTERN_HELP = (
    "With -d: download only the files of each product whose path inside it matches this "
    "glob pattern (repeatable: any of them), e.g. '*B0[234]*', into <title>.SAFE/ folders."
)


def _check_fmt(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Reject a ``--fmt`` template that ``str.format`` cannot read, before anything is sent."""
    if value is None:
        return None
    import string

    try:
        list(string.Formatter().parse(value))
    except ValueError as error:
        raise click.BadParameter(f"{value!r} is not a valid format template: {error}") from None
    return value


def _formatted(fmt: str, product_id: str, attributes: Mapping[str, Any]) -> str:
    """A result as ``--fmt`` shows it; an unknown key is a usage error that lists the keys."""
    values = {"uuid": product_id, "id": product_id, **attributes}
    try:
        return fmt.format(**values)
    except (KeyError, IndexError, AttributeError, ValueError) as error:
        keys = ", ".join(sorted(values))
        raise click.UsageError(
            f"--fmt {fmt!r}: {type(error).__name__} {error} (the keys of the results: {keys})"
        ) from None


@dataclass
class Options1x:
    """The options sentinelsat 1.x added (and the opt-in to wait for the archive)."""

    fail_fast: bool = False
    quicklook: bool = False
    timeout: float | None = None
    debug: bool = False
    include_pattern: tuple[str, ...] = ()
    exclude_pattern: tuple[str, ...] = ()
    gnss: bool = False
    fmt: str | None = None
    info: bool = False
    lta_timeout: float | None = None
    lta_retry_delay: float | None = None
    location: str | None = None

    @classmethod
    def pop_from(cls, options: dict[str, Any]) -> Options1x:
        """Take these options out of the command's keyword arguments."""
        return cls(**{name: options.pop(name) for name in cls.__dataclass_fields__})

    def __post_init__(self) -> None:
        if self.include_pattern and self.exclude_pattern:
            raise click.UsageError(
                "--include-pattern and --exclude-pattern cannot be used together"
            )

    @contextlib.contextmanager
    def log_level(self) -> Iterator[None]:
        """``--debug``: DEBUG messages of the command and the library on stderr."""
        if not self.debug:
            yield
            return
        level = logger.level
        logger.setLevel(logging.DEBUG)
        try:
            yield
        finally:
            logger.setLevel(level)

    def configure(self, api: Any) -> None:
        """Set the client's options for archive retrievals (``--lta-*``)."""
        if self.lta_retry_delay is not None:
            api.lta_retry_delay = self.lta_retry_delay
        if self.lta_timeout is not None:
            api.lta_timeout = self.lta_timeout or None  # 0: no limit

    def nodefilter(self) -> Any:
        """The node filter of ``--include-pattern`` / ``--exclude-pattern``, or ``None``."""
        from sentinelsat.products import make_path_filter

        patterns, exclude = self.include_pattern or self.exclude_pattern, bool(self.exclude_pattern)
        if not patterns:
            return None
        filters = [make_path_filter(pattern) for pattern in patterns]

        def node_filter(node_info: dict[str, Any]) -> bool:
            return any(matches(node_info) for matches in filters) != exclude

        return node_filter

    def download_arguments(self) -> dict[str, Any]:
        """Keyword arguments of ``download_all`` (none unless a 1.x option asks)."""
        arguments: dict[str, Any] = {}
        if self.fail_fast:
            arguments["fail_fast"] = True
        node_filter = self.nodefilter()
        if node_filter is not None:
            arguments["nodefilter"] = node_filter
        return arguments


def options_1x(function: Any) -> Any:
    """The options of :class:`Options1x`, added to the command together."""
    options = [
        click.option("--fail-fast", is_flag=True, help="With -d: stop at the first product "
                     "that fails to download and exit with its error."),
        click.option("--quicklook", is_flag=True, help="Download the quicklook of every "
                     "result into --path (<title>.jpeg); can be combined with -d."),
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
                     help="Seconds to wait for the server on every request (connecting and "
                     "each read); by default no limit."),
        click.option("--debug", is_flag=True, help="Show debug messages (every request)."),
        click.option("--include-pattern", multiple=True, metavar="GLOB", help=_PATTERN_HELP),
        click.option("--exclude-pattern", multiple=True, metavar="GLOB", help="With -d: "
                     "download only the files whose path matches none of these patterns "
                     "(repeatable); not with --include-pattern."),
        click.option("--gnss", is_flag=True, help="Search the GNSS hub of orbit products "
                     "(its URL and guest account replace --url, --user and --password)."),
        click.option("--fmt", callback=_check_fmt, metavar="TEMPLATE", help="Format of each "
                     "result line, a Python format string over the result's attributes, e.g. "
                     "'{uuid} {title} {size}'.  [default: Product {uuid} - {summary}]"),
        click.option("--info", is_flag=True, help="Print the server's DHuS version and exit "
                     "(no credentials needed)."),
        click.option("--lta-timeout", type=click.FloatRange(min=0), metavar="SECONDS",
                     help="With -d: wait for the offline products to come back from the Long "
                     "Term Archive, up to SECONDS (0: no limit), downloading each one as soon "
                     "as it is online. By default their retrieval is only triggered."),
        click.option("--lta-retry-delay", type=click.FloatRange(min=0), metavar="SECONDS",
                     help="With -d: wait for the offline products (as --lta-timeout, without "
                     "a limit unless it is given), asking about each every SECONDS (60)."),
        click.option("--location", metavar="TEXT", help="Search the bounding box of a place, "
                     "found by OpenStreetMap's Nominatim (SENTINELSAT_NOMINATIM_URL replaces "
                     "it); -g takes precedence."),
    ]  # fmt: skip
    for option in reversed(options):
        function = option(function)
    return function


#: Options and the feature of the server (``Backend.lacks``) they need.
_FEATURE_OPTIONS = {
    "info": ("--info", "version"),
    "lta_timeout": ("--lta-timeout", "retrieval"),
    "lta_retry_delay": ("--lta-retry-delay", "retrieval"),
}


def _refuse_options_without_meaning(url: str, extra: Options1x) -> None:
    """An option that the server's protocol has no use for is a usage error (CDSE has no
    server version and cannot retrieve offline products)."""
    given = [name for name in _FEATURE_OPTIONS if getattr(extra, name) not in (None, False)]
    if not given:
        return
    from sentinelsat.backends import select_backend

    backend = select_backend(url)
    for name in given:
        option, feature = _FEATURE_OPTIONS[name]
        if feature in backend.lacks:
            raise click.UsageError(
                f"{option} has no meaning on this server ({backend.name} backend, {url})"
            )


def _gnss_server() -> tuple[str, tuple[str, str]]:
    from sentinelsat.backends.dhus import GNSS_CREDENTIALS, GNSS_URL

    return GNSS_URL, GNSS_CREDENTIALS


def _show_server_version(
    user: str | None, password: str | None, url: str, timeout: float | None
) -> None:
    """``--info``: print the server's DHuS version (no credentials needed)."""
    from sentinelsat import SentinelAPI

    api = SentinelAPI(user, password, url, timeout=timeout)
    click.echo(f"DHuS version: {api.dhus_version}")


def _download_quicklooks(api: Any, products: Products, path: str) -> None:
    os.makedirs(path, exist_ok=True)
    downloaded, failed = api.download_all_quicklooks(products, directory_path=path)
    logger.info("Downloaded %d of %d quicklooks into %s", len(downloaded), len(products), path)
    for product_id, error in failed.items():
        logger.warning("  %s - %s", product_id, error)


class _HelpWithoutArguments(click.Command):
    """Show the help when run without any argument (sentinelsat 1.1.1), unless credentials
    come from the environment: then, as in 0.13, the last day is searched."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        credentials = os.environ.get("DHUS_USER") and os.environ.get("DHUS_PASSWORD")
        if not args and not credentials:
            click.echo(ctx.get_help(), color=ctx.color)
            ctx.exit(0)
        return super().parse_args(ctx, args)


# ---------------------------------------------------------------------- the command
_EPILOG = """\b
Credentials are taken, in this order, from -u/-p, from the environment variables
DHUS_USER and DHUS_PASSWORD, or from ~/.netrc (an entry for the server's host).
The server URL can also be set with DHUS_URL.

\b
Dates (-s/-e) refer to the start of the acquisition (beginPosition). Without them
the last 24 hours are searched. --name searches apply dates only when -s or -e is
given; --uuid ignores every search option.

\b
Output: the results and every message go to stderr (as sentinelsat 0.13 logged
them), the last line of a search being the number of scenes and their total size.

\b
Exit status: 0 on success, also with -d when at least one product was downloaded
or its retrieval from the Long Term Archive triggered (the failed ones are listed
in corrupt_scenes.txt; --fail-if-any-failed makes any failure exit 1); 1 when the
server failed, every download failed or a --uuid does not exist; 2 for invalid
options or input files; 130 when interrupted.
"""


@click.command(
    cls=_HelpWithoutArguments,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=_EPILOG,
)
@click.option(
    "--user",
    "-u",
    envvar="DHUS_USER",
    metavar="TEXT",
    help="Username (or environment variable DHUS_USER, or ~/.netrc).",
)
@click.option(
    "--password",
    "-p",
    envvar="DHUS_PASSWORD",
    metavar="TEXT",
    help="Password (or environment variable DHUS_PASSWORD, or ~/.netrc).",
)
@click.option(
    "--url",
    envvar="DHUS_URL",
    default=DEFAULT_URL,
    show_default=True,
    metavar="TEXT",
    help="Define another API URL (or environment variable DHUS_URL).",
)
@click.option(
    "--start",
    "-s",
    callback=_check_date,
    metavar="TEXT",
    help="Start date of the query: YYYYMMDD, YYYY-MM-DD, an ISO-8601 UTC timestamp, NOW or "
    f"date math such as NOW-7DAYS.  [default: {DEFAULT_START}]",
)
@click.option(
    "--end",
    "-e",
    callback=_check_date,
    metavar="TEXT",
    help=f"End date of the query, same formats as --start.  [default: {DEFAULT_END}]",
)
@click.option(
    "--geometry",
    "-g",
    metavar="TEXT",
    help="Search area geometry: a GeoJSON file (its first feature is used), or a WKT or "
    "GeoJSON string.",
)
@click.option(
    "--uuid",
    callback=_split_list,
    multiple=True,
    metavar="TEXT",
    help="Select a specific product UUID instead of a query. Multiple UUIDs can be separated "
    "by commas, or the option repeated.",
)
@click.option(
    "--name",
    callback=_split_list,
    multiple=True,
    metavar="TEXT",
    help="Select specific product(s) by filename. Supports wildcards, such as "
    "'S1A_IW*20151224*'. Multiple names can be separated by commas, or the option repeated.",
)
@click.option(
    "--sentinel",
    type=click.Choice(["1", "2", "3", "5"]),
    help="Limit search to a Sentinel satellite (constellation).",
)
@click.option(
    "--instrument",
    metavar="TEXT",
    help="Limit search to a specific instrument on a Sentinel satellite, e.g. MSI or 'SAR-C SAR'.",
)
@click.option(
    "--producttype",
    metavar="TEXT",
    help="Limit search to a Sentinel product type, e.g. GRD, SLC or S2MSI1C.",
)
@click.option(
    "--cloud",
    "-c",
    type=click.IntRange(0, 100),
    help="Maximum cloud cover in percent. (requires --sentinel to be 2 or 3)",
)
@click.option(
    "--order-by",
    "-o",
    callback=_check_order_by,
    metavar="TEXT",
    help="Comma-separated list of keywords to order the result by. Prefix '-' for "
    "descending order, e.g. 'cloudcoverpercentage,-beginposition'.",
)
@click.option(
    "--limit",
    "-l",
    type=click.IntRange(min=1),
    help="Maximum number of results to return. Defaults to no limit.",
)
@click.option("--download", "-d", is_flag=True, help="Download all results of the query.")
@click.option(
    "--path",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Set the path where the files will be saved (downloads, search_footprints.geojson, "
    "corrupt_scenes.txt); created if needed.",
)
@click.option(
    "--query",
    "-q",
    callback=_parse_keywords,
    multiple=True,
    metavar="TEXT",
    help="Extra search keywords you want to use in the query. Separate keywords with comma. "
    "Example: 'producttype=GRD,polarisationmode=HH'. Repeatable: a keyword given in several "
    "-q options matches any of its values.",
)
@click.option(
    "--footprints",
    "-f",
    is_flag=True,
    help="Create geojson file search_footprints.geojson with footprints and metadata of the "
    "query result.",
)
@click.option(
    "--fail-if-any-failed",
    is_flag=True,
    help="With -d: exit with status 1 if any product failed to download (by default the "
    "command succeeds when at least one product was downloaded or triggered).",
)
@options_1x
@click.version_option(__version__, "--version", prog_name="sentinelsat")
def cli(
    user: str | None,
    password: str | None,
    url: str,
    geometry: str | None,
    uuid: list[str] | None,
    name: list[str] | None,
    download: bool,
    path: str,
    query: dict[str, Any],
    footprints: bool,
    fail_if_any_failed: bool,
    **search_options: Any,
) -> None:
    """Search for Sentinel products and, optionally, download all the results and/or
    create a geojson file with the search result footprints.

    \b
    Examples:
      sentinelsat -g area.geojson -s 20160101 -e 20160131 --sentinel 2 --cloud 40 -d
      sentinelsat -d --uuid a9048d1d-fea6-4df8-bedd-7bcb212be12e
      sentinelsat --name 'S1A_IW*20151224*' --footprints
    """
    extra = Options1x.pop_from(search_options)
    with _messages_on_stderr(), extra.log_level():
        if extra.gnss:
            url, (user, password) = _gnss_server()
        _refuse_options_without_meaning(url, extra)
        if extra.info:
            _show_server_version(user, password, url, extra.timeout)
            return
        user, password = _credentials(user, password, url)
        cloud = search_options["cloud"]
        if cloud is not None and search_options["sentinel"] not in ("2", "3"):
            logger.error(CLOUD_NEEDS_SENTINEL)
            sys.exit(1)

        from sentinelsat import SentinelAPI

        api = SentinelAPI(user, password, url, timeout=extra.timeout)
        extra.configure(api)
        if uuid is not None:
            _warn_ignored_by_uuid(geometry=geometry, name=name, query=query, **search_options)
            products = _products_by_id(api, uuid)
            if footprints:
                _write_footprints(api, products, path)
            _log_odata_results(products, extra.fmt)
        else:
            keywords = _search_keywords(search_options, name, query)
            area = _read_area(geometry) if geometry else _location_area(extra.location)
            _check_query(api, area, keywords)
            products = api.query(
                area,
                order_by=search_options["order_by"],
                limit=search_options["limit"],
                **keywords,
            )
            if footprints:
                _write_footprints(api, products, path)
            _log_search_results(api, products, extra.fmt)
        if extra.quicklook and products:
            _download_quicklooks(api, products, path)
        if download and products:
            _download(api, products, path, fail_if_any_failed, extra)


def _products_by_id(api: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The OData info of each product; an unknown id ends the command with 0.13's message
    and exit status 1."""
    from sentinelsat.exceptions import InvalidKeyError

    products: dict[str, dict[str, Any]] = OrderedDict()
    for product_id in ids:
        try:
            products[product_id] = api.get_product_odata(product_id)
        except SentinelAPIError as error:
            if isinstance(error, InvalidKeyError) or "Invalid key" in (error.msg or ""):
                logger.error(UNKNOWN_UUID, product_id)
                sys.exit(1)
            raise
    if not ids:
        logger.warning("--uuid was given no product id: nothing to do")
    return products


def _location_area(place: str | None) -> str | None:
    """The area of ``--location``: the place's bounding box as a polygon (the geocoder's
    answer logged with the box's size)."""
    if place is None:
        return None
    from sentinelsat.places import bbox_polygon, extent_km, placename_to_wkt

    try:
        _, info = placename_to_wkt(place)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--location'") from None
    width, height = extent_km(info["bbox"])
    logger.info("Searching %s (%.0f km x %.0f km)", info.get("display_name", place), width, height)
    return bbox_polygon(info["bbox"])


def _warn_ignored_by_uuid(**options: Any) -> None:
    """Tell the user which of the search options given have no effect with ``--uuid``."""
    ignored = [flag for key, flag in _SEARCH_OPTIONS if options[key] not in (None, {})]
    if ignored:
        logger.warning("Warning: --uuid ignores %s", ", ".join(ignored))


# ---------------------------------------------------------------------- the console script
def error_message(error: BaseException) -> str:
    """The one-line text of an error as the console script shows it (without ``Error:``).

    For the library's errors: the HTTP status line, the server's message condensed by
    :func:`sentinelsat.sessions.summarize`, and sentinelsat's hint.

    Parameters
    ----------
    error : Exception

    Returns
    -------
    str
    """
    if isinstance(error, (SentinelAPIError, InvalidChecksumError)):
        from sentinelsat.sessions import summarize

        response = getattr(error, "response", None)
        status = (
            f"HTTP status {response.status_code} {response.reason}:" if response is not None else ""
        )
        parts = [status, summarize(error.msg or ""), error.hint]
    else:
        parts = [str(error)]
    line = " ".join(" ".join(part.split()) for part in parts if part and part.strip())
    return line or type(error).__name__


def _fail(message: str, status: int) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(status)


def main(args: Sequence[str] | None = None) -> NoReturn:
    """Run the ``sentinelsat`` command as the console script: errors become one line.

    The library's errors, and local files that cannot be read or written, are shown as
    ``Error: ...`` on stderr with exit status 1; Ctrl-C exits with status 130; usage errors
    are Click's (exit status 2).

    Parameters
    ----------
    args : list of str, optional
        The command line arguments; ``sys.argv[1:]`` by default.
    """
    try:
        status = cli.main(args=args, prog_name="sentinelsat", standalone_mode=False)
    except click.exceptions.Abort as abort:
        # Click turns KeyboardInterrupt (and EOF) into Abort
        if isinstance(abort.__cause__ or abort.__context__, KeyboardInterrupt):
            _fail(INTERRUPTED, INTERRUPTED_STATUS)
        _fail("Aborted!", 1)
    except KeyboardInterrupt:
        _fail(INTERRUPTED, INTERRUPTED_STATUS)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except (SentinelAPIError, InvalidChecksumError, OSError, ValueError) as error:
        _fail(f"Error: {error_message(error)}", 1)
    sys.exit(status if isinstance(status, int) else 0)
