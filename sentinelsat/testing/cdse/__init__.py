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

import importlib
from typing import TYPE_CHECKING, Any

from .faults import CDSEFaults, knob_help

__all__ = ["CDSEFaults", "Entry", "FilterError", "LocalCDSE", "knob_help"]

if TYPE_CHECKING:  # pragma: no cover
    from .emulator import LocalCDSE
    from .entries import Entry
    from .filters import FilterError

#: The names imported on first use: their modules need shapely, the knobs do not (the
#: command line builds its options from them).
_NEED_SHAPELY = {"LocalCDSE": ".emulator", "Entry": ".entries", "FilterError": ".filters"}


def __getattr__(name: str) -> Any:
    if name in _NEED_SHAPELY:
        from ..extras import require_shapely

        require_shapely("The local CDSE (sentinelsat.testing.LocalCDSE)")
        return getattr(importlib.import_module(_NEED_SHAPELY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
