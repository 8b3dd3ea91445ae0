"""A local DHuS hub for offline demos, integration tests and benchmarks.

``LocalHub`` is a real threaded HTTP server on 127.0.0.1 that speaks the protocol of the
Copernicus Open Access Hub (DHuS) as it was recorded: OpenSearch ``search`` (POST form or GET,
JSON feeds, paging, ``orderby``, a real Solr-subset query evaluator), OData ``Products``
(short and ``$expand=Attributes``), ``$value`` downloads (HEAD, ``Range``/206/416, ETag = MD5),
the files inside products (``Nodes``), ``Online/$value``, quicklooks, ``api/stub/version``,
HTTP basic authentication, the long term archive (202 Accepted, retrieval quota) and the
server's limits and failures (see :class:`Faults`)::

    from sentinelsat.testing import LocalHub

    with LocalHub(products=500, latency=0.05) as hub:
        api = SentinelAPI(hub.user, hub.password, hub.url)
        hub.faults.drop_after = 1000          # knobs can change while the hub runs
        assert hub.request_log[-1].status == 200

From the shell: ``sentinelsat-hub serve --port 8080 --products 2000`` or
``sentinelsat-hub run -- <command>`` (runs the command with ``DHUS_URL``, ``DHUS_USER`` and
``DHUS_PASSWORD`` set); ``python -m sentinelsat.testing`` is the same command line.
For pytest: ``pytest_plugins = ["sentinelsat.testing.pytest_plugin"]`` gives the
``local_hub`` and ``make_local_hub`` fixtures.

:class:`LocalCDSE` (:mod:`sentinelsat.testing.cdse`) is the same for the Copernicus Data
Space Ecosystem: catalogue, identity and download servers on three ports, with the same
products; ``sentinelsat.testing.cdse.pytest_plugin`` gives ``local_cdse`` and
``make_local_cdse``, and ``sentinelsat-hub serve --cdse`` / ``run --cdse -- <command>`` serve
it from the shell.

The catalogue is deterministic for a seed and a date span (the default span is the 30 days
up to the current hour).  Product bytes are generated on the fly: a Sentinel-1, -2 or -3
product is a real zip of its SAFE folder (manifest, metadata, quicklook, measurement files),
a Sentinel-5P product one netCDF file. The checksums of a product are computed the first
time they are needed (OData ``Checksum``, ``ETag``, the manifest) by streaming its content,
about 1.5 s per GB, then cached for the process. Only footprint searches need shapely
(``pip install 'sentinelsat[hub]'``), and the local CDSE (``LocalCDSE``), which is imported
on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .catalogue import Product
from .hub import Faults, LocalHub
from .server import LoggedRequest
from .solr import Query, QueryError

__all__ = [
    "CDSEFaults",
    "Faults",
    "LocalCDSE",
    "LocalHub",
    "LoggedRequest",
    "Product",
    "Query",
    "QueryError",
]

if TYPE_CHECKING:  # pragma: no cover
    from .cdse import CDSEFaults, LocalCDSE


def __getattr__(name: str) -> Any:
    # the local CDSE renders footprints with shapely: imported when first asked for
    # (sentinelsat.testing.cdse checks that shapely is there)
    if name in ("CDSEFaults", "LocalCDSE"):
        from . import cdse

        return getattr(cdse, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
