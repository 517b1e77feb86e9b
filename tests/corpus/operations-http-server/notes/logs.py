"""One JSON object per log line."""

import json
import logging


class JsonLines(logging.Formatter):  # expect: observability.structured-logging
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({"level": record.levelname, "msg": record.getMessage()})


class ColourFormatter(logging.Formatter):
    """Look-alike: a formatter subclass that writes plain text."""

    def format(self, record: logging.LogRecord) -> str:
        return f"\033[1m{record.levelname}\033[0m {record.getMessage()}"
