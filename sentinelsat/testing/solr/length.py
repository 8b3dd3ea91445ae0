"""The length limit of a query, measured the way the server's Java side encoded it."""

from __future__ import annotations

# --------------------------------------------------------------------------- query length
_URLENCODER_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*_")

#: The longest query (measured by :func:`java_urlencoded_length`) that the server accepted.
MAX_QUERY_LENGTH = 3938


def java_urlencoded_length(text: str) -> int:
    """Return the length of ``text`` encoded by Java's ``URLEncoder`` (UTF-8).

    Letters, digits and ``.-*_`` stay, a space becomes ``+``, every other byte ``%XX``.
    """
    length = 0
    for char in text:
        if char in _URLENCODER_SAFE or char == " ":
            length += 1
        else:
            length += 3 * len(char.encode("utf-8"))
    return length
