"""The guarantees of sentinelsat 0.13 that this package keeps, one module per subject."""
