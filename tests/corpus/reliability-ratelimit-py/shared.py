"""A rate limiter backed by Redis, and a class named like a limiter that keeps no per-client state."""

import time

import redis

r = redis.Redis(host="cache", socket_timeout=1.0)


class RedisRateLimiter:
    def __init__(self, client, limit: int, window: int):
        self.client = client
        self.limit = limit
        self.window = window
        self.local_stats = {}

    def allow(self, key: str) -> bool:
        bucket = f"rl:{key}:{int(time.time()) // self.window}"
        try:
            count = self.client.incr(bucket)
        except redis.RedisError:
            return True
        return count <= self.limit


class ConcurrencyLimiter:
    def __init__(self, size: int):
        self.size = size
        self.options = {}
