"""Solr dates and date math (``NOW-1DAY``, ``2015-01-01T00:00:00Z+1DAY/DAY``)."""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta, timezone

from .errors import QueryError

_UTC = timezone.utc


# --------------------------------------------------------------------------- date math
_DATE_RE = re.compile(
    r"^(?P<base>NOW|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z)(?P<math>.*)$", re.IGNORECASE
)
_MATH_RE = re.compile(r"([+-])(\d+)([A-Z]+)|/([A-Z]+)", re.IGNORECASE)
_UNITS = {
    "YEAR": "years", "YEARS": "years",
    "MONTH": "months", "MONTHS": "months",
    "DAY": "days", "DAYS": "days", "DATE": "days",
    "HOUR": "hours", "HOURS": "hours",
    "MINUTE": "minutes", "MINUTES": "minutes",
    "SECOND": "seconds", "SECONDS": "seconds",
    "MILLI": "milliseconds", "MILLIS": "milliseconds",
    "MILLISECOND": "milliseconds", "MILLISECONDS": "milliseconds",
}  # fmt: skip


def _add_months(value: datetime, months: int) -> datetime:
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def _shift(value: datetime, amount: int, unit: str) -> datetime:
    if unit == "years":
        return _add_months(value, 12 * amount)
    if unit == "months":
        return _add_months(value, amount)
    return value + timedelta(**{unit: amount})


def _round(value: datetime, unit: str) -> datetime:
    if unit == "milliseconds":
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    order = ["years", "months", "days", "hours", "minutes", "seconds"]
    keep = order.index(unit)
    parts = [value.year, value.month, value.day, value.hour, value.minute, value.second]
    defaults = [value.year, 1, 1, 0, 0, 0]
    year, month, day, hour, minute, second = parts[: keep + 1] + defaults[keep + 1 :]
    return datetime(year, month, day, hour, minute, second, tzinfo=value.tzinfo)


def _parse_base(base: str, now: datetime) -> datetime:
    if base.upper() == "NOW":
        return now
    text = base[:-1]
    if "." in text:
        head, fraction = text.split(".")
        text = f"{head}.{(fraction + '000000')[:6]}"
    try:
        return datetime.fromisoformat(text).replace(tzinfo=_UTC)
    except ValueError:
        raise QueryError(f"Invalid Date String:'{base}'") from None


def parse_date_math(text: str, now: datetime) -> datetime:
    """Evaluate a Solr date (``2015-01-01T00:00:00Z``, ``NOW``) with optional date math.

    Parameters
    ----------
    text : str
        e.g. ``NOW-1DAY``, ``NOW+3MONTHS-7DAYS/DAYS``, ``2015-01-01T00:00:00.000Z+1DAY``.
    now : datetime
        The value of ``NOW`` (aware).

    Returns
    -------
    datetime
        An aware UTC datetime.

    Raises
    ------
    QueryError
        ``Invalid Date String`` for anything else.
    """
    match = _DATE_RE.match(text.strip())
    if not match:
        raise QueryError(f"Invalid Date String:'{text}'")
    value = _parse_base(match.group("base"), now)
    math = match.group("math")
    position = 0
    for op in _MATH_RE.finditer(math):
        if op.start() != position:
            break
        position = op.end()
        unit = _UNITS.get((op.group(3) or op.group(4)).upper())
        if unit is None:
            raise QueryError(f"Invalid Date Math String:'{text}'")
        if op.group(4):
            value = _round(value, unit)
        else:
            amount = int(op.group(2)) * (1 if op.group(1) == "+" else -1)
            value = _shift(value, amount, unit)
    if position != len(math):
        raise QueryError(f"Invalid Date Math String:'{text}'")
    return value
