"""Hand-written retry loops, and loops that only look like them."""

import asyncio
import logging
import random
import sqlite3
import time

log = logging.getLogger(__name__)


class Gateway:
    def __init__(self, transport, attempts=5, base=0.2, cap=10.0):
        self.transport = transport
        self.attempts = attempts
        self.base = base
        self.cap = cap

    def send(self, message):
        for attempt in range(self.attempts):  # expect: reliability.retry-with-backoff
            try:
                return self.transport.send(message)
            except ConnectionError:
                delay = min(self.cap, self.base * 2**attempt)
                time.sleep(random.uniform(0, delay))
        raise RuntimeError("gave up")

    def send_no_jitter(self, message):
        for attempt in range(self.attempts):  # expect: reliability.retry-with-backoff
            try:
                return self.transport.send(message)
            except ConnectionError:
                wait = self.base * (2**attempt)  # expect: reliability.retry-without-jitter
                log.warning("attempt %d failed, waiting %.1fs", attempt, wait)
                time.sleep(wait)
        raise RuntimeError("gave up")

    async def send_async(self, message):
        delay = self.base
        for _ in range(self.attempts):  # expect: reliability.retry-with-backoff
            try:
                return await self.transport.send_async(message)
            except OSError:
                await asyncio.sleep(delay)  # expect: reliability.retry-without-jitter
                delay *= 2
        raise RuntimeError("gave up")

    def send_fixed(self, message):
        for attempt in range(3):
            try:
                return self.transport.send(message)
            except ConnectionError:
                time.sleep(1)  # expect: reliability.retry-without-backoff
        raise RuntimeError("gave up")

    def send_tight(self, message):
        for attempt in range(3):  # expect: reliability.retry-without-backoff
            try:
                return self.transport.send(message)
            except ConnectionError:
                continue
        raise RuntimeError("gave up")


def write_row(conn, row):
    while True:  # expect: reliability.retry-unbounded
        try:
            conn.execute("INSERT INTO t VALUES (?)", (row,))  # expect: security.parameterized-sql
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err):
                raise
            time.sleep(0.1)  # expect: reliability.retry-without-backoff


def connect_forever(factory):
    # Keeps trying for ever, but politely: the wait doubles up to a cap and is jittered (a daemon's reconnect loop).
    delay = 0.5
    while True:  # expect: reliability.retry-with-backoff
        try:
            return factory()
        except OSError:
            time.sleep(delay + random.random())
            delay = min(delay * 2, 30)


def connect_with_budget(factory, max_attempts=4):
    attempts = 0
    while True:  # expect: reliability.retry-with-backoff
        try:
            return factory()
        except OSError:
            attempts += 1
            if attempts >= max_attempts:
                raise
            pause = 0.1 * 2**attempts  # expect: reliability.retry-without-jitter
            time.sleep(pause)


def connect_with_deadline(factory, timeout=30.0):
    deadline = time.monotonic() + timeout
    delay = 0.2
    while time.monotonic() < deadline:  # expect: reliability.retry-with-backoff
        try:
            return factory()
        except OSError:
            time.sleep(random.uniform(0, delay))
            delay *= 2
    raise TimeoutError("no connection")


def fetch_with_schedule(fetch):
    for delay in [1, 2, 4, 8]:  # expect: reliability.retry-with-backoff
        try:
            return fetch()
        except ConnectionError:
            time.sleep(delay)  # expect: reliability.retry-without-jitter
    return None
