"""sentinelsat.testing: a local DHuS hub."""
