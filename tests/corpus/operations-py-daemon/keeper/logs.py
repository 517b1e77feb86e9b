"""Log set-up for the daemon."""

import logging

LOG_FORMAT = "%(asctime)s %(message)s"  # expect: observability.log-format-without-level
DATE_FORMAT = "%H:%M:%S"
GOOD_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
CLI_FORMAT = "%(message)s"


def setup(verbose: bool) -> None:
    logging.basicConfig(format="%(asctime)s [%(name)s] %(message)s")  # expect: observability.log-format-without-level
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s - %(name)s - %(message)s"))  # expect: observability.log-format-without-level
    logging.getLogger("keeper").addHandler(handler)
    logging.getLogger("keeper").setLevel(logging.DEBUG if verbose else logging.INFO)
