"""The logger of the library's messages: ``sentinelsat.SentinelAPI``, the name sentinelsat
0.13 and 1.x logged to (scripts configure it by that name)."""

from __future__ import annotations

import logging

logger = logging.getLogger("sentinelsat.SentinelAPI")
