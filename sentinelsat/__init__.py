"""sentinelsat: search and download Copernicus Sentinel products from a DHuS server."""
__version__ = "1.0.0.dev0"
