"""sentinelsat 0.13 compatibility: scripts and test suites written for 0.13 run unchanged."""
