"""Core functions; logs through the library logger and prints only data."""

import json
import logging
import signal

log = logging.getLogger(__name__)
STATES = {"ready": "Ready", "health": "Health"}


def summarize(words: list[str]) -> dict:
    log.debug("summarizing %d words", len(words))
    return {"count": len(words)}


def dump(result: dict) -> None:
    print(json.dumps(result))
    print(result)


def describe_state(state: str) -> str:
    if state == "ready":
        return "ready to go"
    return "unknown"


class Monitor:
    def health(self) -> str:
        return "ok"


def restore_default_signals() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
