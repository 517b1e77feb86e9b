"""Connection pool and metrics: guarded and unguarded state."""

import asyncio
import threading


class ConnectionPool:
    def __init__(self, size):
        self._lock = threading.RLock()
        self._idle = []
        self.in_use = 0
        self.size = size

    def acquire(self):
        with self._lock:
            self.in_use += 1
            return self._idle.pop() if self._idle else object()

    def release(self, conn):
        with self._lock:
            self.in_use -= 1
            self._put_locked(conn)

    def _put_locked(self, conn):
        self._idle.append(conn)

    def drain(self):
        self._lock.acquire()
        try:
            self._idle.clear()
            self.in_use = 0
        finally:
            self._lock.release()

    def discard(self, conn):
        self.in_use -= 1  # expect: concurrency.state-outside-lock


class Metrics:
    def __init__(self):
        self._lock = threading.Lock()
        self.requests = 0
        self.errors = 0
        self.last_error = None

    def count(self, ok):
        with self._lock:
            self.requests += 1
            if not ok:
                self.errors += 1

    def note_error(self, err):
        self.last_error = err


class TokenBucket:
    def __init__(self):
        self._lock = asyncio.Lock()
        self.tokens = {}  # expect: durability.unbounded-collection

    async def take(self, key):
        async with self._lock:
            self.tokens[key] = self.tokens.get(key, 10) - 1
            return self.tokens[key] >= 0

    def refill(self, key):
        self.tokens[key] = 10  # expect: concurrency.state-outside-lock


class NoLock:
    def __init__(self):
        self.value = 0

    def bump(self):
        self.value += 1
