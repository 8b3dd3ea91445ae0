"""A local Copernicus Data Space Ecosystem (CDSE) for offline tests, demos and benchmarks.

:class:`LocalCDSE` runs three real threaded HTTP servers on 127.0.0.1, each on its own port:

- the **catalogue** (:attr:`LocalCDSE.url`, anonymous OData: ``Products`` with ``$filter``,
  ``$orderby``, ``$top``, ``$skip``, ``$count``, ``$expand``, ``$select`` and ``nextLink``,
  single products, ``Attributes(<collection>)``, ``OData.CSC.FilterList``, quicklooks, and
  ``Products(<id>)/$value`` redirected to the download host);
- the **identity** server (:attr:`LocalCDSE.token_url`, Keycloak-like password and refresh
  grants with sessions, expiry and two-factor one-time passwords);
- the **download** host (:attr:`LocalCDSE.download_url`, ``$value`` with a Bearer token,
  ranges, the per-user limit of concurrent downloads, and the Nodes API).

The products are those of the DHuS hub's synthetic catalogue, described the CDSE way
(:mod:`sentinelsat.testing.cdse.entries`); the limits, faults and uncertain behaviours are
the fields of :class:`CDSEFaults`::

    from sentinelsat.testing import LocalCDSE

    with LocalCDSE(products=200, access_token_lifetime=5) as cdse:
        cdse.faults.error_rate = 0.1          # knobs can change while it runs
        env = cdse.environ()                  # DHUS_URL, CDSE_TOKEN_URL, CDSE_DOWNLOAD_URL...
"""

from __future__ import annotations

from .emulator import LocalCDSE
from .entries import Entry
from .faults import CDSEFaults, knob_help
from .filters import FilterError

__all__ = ["CDSEFaults", "Entry", "FilterError", "LocalCDSE", "knob_help"]
