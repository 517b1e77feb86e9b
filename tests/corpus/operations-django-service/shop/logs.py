"""Logging: loguru writing JSON lines; tracing through ddtrace."""

import sys

from ddtrace import patch_all  # expect: observability.tracing
from loguru import logger

patch_all()
logger.remove()
logger.add(sys.stderr, serialize=True)  # expect: observability.structured-logging
logger.add("debug.log", serialize=False)
