"""The well-known server URLs of the backends, in a module light enough for the command line
to import while it starts (no ``requests``)."""

from __future__ import annotations

#: sentinelsat 0.13's default server: the former Copernicus Open Access Hub (DHuS).
DHUS_DEFAULT_URL = "https://scihub.copernicus.eu/apihub/"

#: The geocoder of :func:`sentinelsat.placename_to_wkt` (OpenStreetMap's Nominatim), as in
#: sentinelsat 1.x; the environment variable ``SENTINELSAT_NOMINATIM_URL`` replaces it (a
#: mirror, or a local stand-in in tests).
NOMINATIM_URL = "https://nominatim.openstreetmap.org/search"
