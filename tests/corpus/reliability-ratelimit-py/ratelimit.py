"""Rate limiters whose state lives in process memory."""

import time
from collections import defaultdict, deque
from functools import wraps

from flask import Flask, abort, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

app = Flask(__name__)
limiter = Limiter(get_remote_address, app=app, default_limits=["100 per minute"])  # expect: reliability.in-memory-rate-limit
shared_limiter = Limiter(get_remote_address, app=app, storage_uri="redis://cache:6379/0")


class SlidingWindowRateLimiter:
    def __init__(self, limit: int, window: float):
        self.limit = limit
        self.window = window
        self.hits: dict[str, deque[float]] = defaultdict(deque)  # expect: reliability.in-memory-rate-limit

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        q = self.hits[client]
        while q and now - q[0] > self.window:
            q.popleft()
        if len(q) >= self.limit:
            return False
        q.append(now)
        return True


class Throttle:
    def __init__(self, per_second: float):
        self.per_second = per_second
        self.last_seen = {}  # expect: reliability.in-memory-rate-limit, durability.unbounded-collection

    def ok(self, key) -> bool:
        now = time.time()
        last = self.last_seen.get(key, 0.0)
        self.last_seen[key] = now
        return now - last >= 1 / self.per_second


_calls = {}  # expect: reliability.in-memory-rate-limit, durability.unbounded-collection


def rate_limit(max_calls: int, period: float):
    def deco(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            ip = request.remote_addr
            now = time.time()
            recent = [t for t in _calls.get(ip, []) if now - t < period]
            if len(recent) >= max_calls:
                abort(429)
            _calls[ip] = recent + [now]
            return fn(*args, **kwargs)

        return wrapper

    return deco
