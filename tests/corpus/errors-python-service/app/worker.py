"""Background worker: handlers that swallow failures, and handlers that do not."""

import json
import logging

log = logging.getLogger(__name__)


def process_all(items, handle):
    for item in items:
        try:
            handle(item)
        except Exception:  # expect: errors.swallowed-exception
            continue


def decode(item):
    try:
        return json.loads(item)
    except:  # expect: errors.swallowed-exception
        pass


def flush(queue):
    try:
        queue.flush()
    except BaseException as err:
        log.warning("flush failed: %s", err)


def notify(client, event):
    try:
        client.send(event)
    except (ValueError, Exception):
        logging.exception("send failed")
        print("send failed")  # expect: observability.print-logging


def ratio(a, b):
    try:
        return a / b
    except Exception:  # expect: errors.swallowed-exception
        ...


class Poller:
    def __init__(self, source):
        self.source = source
        self.logger = logging.getLogger("poller")

    def poll_once(self):
        try:
            self.source.fetch()
        except Exception as err:
            self.logger.error("poll failed: %s", err)

    def refresh_connection(self):
        # not startup code: a broad swallow, but not a critical-init one
        try:
            self.source.connect()
        except Exception:  # expect: errors.swallowed-exception
            log.warning("reconnect failed, will try later")
