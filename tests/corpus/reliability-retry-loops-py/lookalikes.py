"""Loops with a try that are not retries: polling, consuming, failover, per-item error handling."""

import logging
import queue
import time

log = logging.getLogger(__name__)


def wait_for_job(client, job_id):
    while True:
        status = client.status(job_id)
        if status == "done":
            return status
        time.sleep(2)


def consume(inbox: "queue.Queue[str]", handle):
    while True:
        try:
            item = inbox.get(timeout=1)
        except queue.Empty:
            continue
        handle(item)


def process_all(items, handle):
    for item in items:
        try:
            handle(item)
        except ValueError:
            log.warning("skipping bad item %r", item)


def first_reachable(hosts, connect):
    for host in hosts:
        try:
            return connect(host)
        except OSError:
            continue
    return None


def parse_numbers(lines):
    out = []
    for line in lines:
        try:
            out.append(int(line))
        except ValueError:
            break
    return out
