"""The optional dependencies of the hub: shapely, needed only for footprints as geometries.

Without shapely the hub imports, starts and answers every request except footprint
searches (and :attr:`Product.geometry <sentinelsat.testing.Product.geometry>`), which fail
with a :class:`MissingDependencyError` that names the extra to install.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

#: The command that installs the hub's optional dependencies.
HUB_EXTRA = "pip install 'sentinelsat[hub]'"


class MissingDependencyError(ImportError):
    """An optional dependency of the hub is not installed; the message says how to get it."""


def has_shapely() -> bool:
    """Whether shapely can be imported."""
    try:
        return importlib.util.find_spec("shapely") is not None
    except (ImportError, ValueError):
        return False


def require_shapely(purpose: str) -> ModuleType:
    """Import shapely (with its ``wkt`` and ``geometry`` modules) for ``purpose``.

    Raises
    ------
    MissingDependencyError
        If shapely is not installed; the message names ``purpose`` and the extra.
    """
    try:
        shapely = importlib.import_module("shapely")
        importlib.import_module("shapely.wkt")
        importlib.import_module("shapely.geometry")
        importlib.import_module("shapely.errors")
    except ImportError as error:
        raise MissingDependencyError(
            f"{purpose} needs shapely, which is not installed: {HUB_EXTRA}"
        ) from error
    return shapely
