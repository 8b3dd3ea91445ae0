"""The errors of a query the server rejects, with the messages it answered."""

from __future__ import annotations


# --------------------------------------------------------------------------- errors
class QueryError(ValueError):
    """A query the server rejects; ``message`` is the text the server put in ``feed.error``."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class QuerySyntaxError(QueryError):
    """The query cannot be parsed."""


class UndefinedFieldError(QueryError):
    """The query names a field that does not exist (``undefined field xxx``)."""

    def __init__(self, name: str):
        super().__init__(f"undefined field {name}")
        self.field = name
