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
        # No await inside the lock: on one event loop nothing runs in the middle of take(), so this cannot race.
        self.tokens[key] = 10


class QuotaStore:
    def __init__(self, db):
        self._lock = asyncio.Lock()
        self.db = db
        self.used = {}  # expect: durability.unbounded-collection

    async def spend(self, key):
        async with self._lock:
            used = self.used.get(key, 0)
            await self.db.save(key, used + 1)
            self.used[key] = used + 1

    def reset(self, key):
        self.used[key] = 0  # expect: concurrency.state-outside-lock


class NoLock:
    def __init__(self):
        self.value = 0

    def bump(self):
        self.value += 1
