"""Signal handlers of the worker's entry point."""

import logging
import os
import signal
import sys

log = logging.getLogger(__name__)
running = True


def die(signum, frame):
    global running
    log.warning("terminated")
    running = False
    os._exit(1)


def unwind(signum, frame):
    # SystemExit unwinds the stack: finally blocks and context managers still run.
    sys.exit(0)


def drain(signum, frame):
    global running
    running = False


def install():
    signal.signal(signal.SIGTERM, die)  # expect: reliability.exit-without-drain
    signal.signal(signal.SIGINT, unwind)
    signal.signal(signal.SIGHUP, drain)


def install_fast():
    signal.signal(signal.SIGTERM, lambda signum, frame: os._exit(0))  # expect: reliability.exit-without-drain


def install_graceful():
    signal.signal(signal.SIGTERM, drain)  # expect: shutdown.signal-handler
