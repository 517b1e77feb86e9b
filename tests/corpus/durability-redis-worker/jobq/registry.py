"""Sorted-set registries of jobs, written through the caller's pipeline when it gives one."""

import redis


class Registry:
    def __init__(self, connection: redis.Redis, name: str) -> None:
        self.connection = connection
        self.key = f"jobq:{name}"

    def add(self, job_id: str, score: float, pipeline=None) -> None:
        connection = pipeline if pipeline is not None else self.connection
        connection.zadd(self.key, {job_id: score})

    def remove(self, job_id: str, pipeline=None) -> None:
        connection = pipeline if pipeline is not None else self.connection
        connection.zrem(self.key, job_id)


class DelayedRegistry(Registry):
    def add(self, job_id: str, score: float, pipeline=None) -> None:
        self.connection.zadd(self.key, {job_id: score})  # expect: durability.multi-step-write-outside-transaction
