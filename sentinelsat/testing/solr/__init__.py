"""A parser and evaluator for the subset of the Solr/Lucene query syntax that DHuS accepted.

Supported: ``key:value`` clauses combined by spaces (implicit AND), ``AND``/``&&``,
``OR``/``||``, ``NOT``/``!``/``-`` and ``+`` prefixes, parentheses, field groups
(``identifier:(A OR B)``), terms without a field (matched against ``identifier``, ``filename``
and ``uuid``), ``*:*``, ranges ``[a TO b]``/``{a TO b}`` (mixed brackets, ``*``, quoted
bounds) on numbers, strings and dates, Solr date math (``NOW-1DAY``, ``NOW/DAY``,
``2015-01-01T00:00:00.000Z+1DAY``), wildcards ``*``/``?``, regular expressions ``/.../``,
backslash escapes (``Non\\ Time\\ Critical``), quoted phrases and spatial predicates
``footprint:"Intersects(<WKT>)"`` / ``Contains`` / ``IsWithin`` / ``IsDisjointTo``, with WKT,
``ENVELOPE(minX, maxX, maxY, minY)`` or ``lat, lon``.

Field names are case-insensitive, as on the server.  String values match case-insensitively,
either the whole attribute value or one of its space-separated words (the way the server's
tokenised text fields behaved: ``polarisationmode:VV`` finds ``VV VH``); regular expressions
are case-sensitive.
"""

from __future__ import annotations

from .dates import parse_date_math
from .errors import QueryError, QuerySyntaxError, UndefinedFieldError
from .evaluate import Predicate, Query, Searchable
from .length import MAX_QUERY_LENGTH, java_urlencoded_length
from .spatial import parse_shape
from .syntax import And, MatchAll, Node, Not, Or, Range, Term, parse_query, unescape

__all__ = [
    "MAX_QUERY_LENGTH",
    "And",
    "MatchAll",
    "Node",
    "Not",
    "Or",
    "Predicate",
    "Query",
    "QueryError",
    "QuerySyntaxError",
    "Range",
    "Searchable",
    "Term",
    "UndefinedFieldError",
    "java_urlencoded_length",
    "parse_date_math",
    "parse_query",
    "parse_shape",
    "unescape",
]
