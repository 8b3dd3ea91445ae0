"""A local DHuS hub for offline demos, integration tests and benchmarks.

>>> from sentinelsat.testing import LocalHub
>>> with LocalHub(products=500, latency=0.05) as hub:  # doctest: +SKIP
...     api = SentinelAPI(hub.user, hub.password, hub.url)

See :class:`LocalHub` for the knobs, ``sentinelsat-hub --help`` for the command line and
:mod:`sentinelsat.testing.pytest_plugin` for the pytest fixtures.
"""

from __future__ import annotations

from .catalogue import Product
from .hub import Faults, LocalHub
from .server import LoggedRequest
from .solr import Query, QueryError

__all__ = ["Faults", "LocalHub", "LoggedRequest", "Product", "Query", "QueryError"]
