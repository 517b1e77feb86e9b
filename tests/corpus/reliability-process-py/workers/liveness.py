"""Workers announce they are alive in Redis; the record expires if they stop."""


class Worker:
    def __init__(self, redis, name, ttl=60):
        self.redis, self.key, self.ttl = redis, f"workers:{name}", ttl

    def heartbeat(self, pipeline=None):
        conn = pipeline or self.redis
        conn.hset(self.key, "state", "busy")
        conn.expire(self.key, self.ttl + 30)  # expect: reliability.heartbeat-ttl

    def renew_lease(self, job_id):
        self.redis.set(f"lease:{job_id}", self.key, ex=self.ttl, xx=True)  # expect: reliability.heartbeat-ttl

    def heartbeat_count(self):
        # Counting heartbeats gives nothing a lifetime.
        return self.redis.incr(f"{self.key}:beats")

    def register(self):
        # A TTL outside a heartbeat is not a liveness refresh.
        self.redis.expire(self.key, self.ttl)
