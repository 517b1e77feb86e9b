"""A worker that moves finished jobs between registries in one MULTI/EXEC."""

import signal
import threading

import redis

from .registry import DelayedRegistry, Registry


class Worker:
    def __init__(self, connection: redis.Redis) -> None:
        self.connection = connection
        self.started = Registry(connection, "started")
        self.finished = Registry(connection, "finished")
        self.delayed = DelayedRegistry(connection, "delayed")
        self._lock = threading.Lock()
        self._signals: list[int] = []
        self._hooks: list = []
        self._history: list[str] = []  # expect: durability.unbounded-collection

    def register_hook(self, hook) -> None:
        self._hooks.append(hook)

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self.on_signal)  # expect: shutdown.signal-handler

    def on_signal(self, sig, frame) -> None:
        self._signals.append(sig)

    def finish(self, job_id: str, when: float) -> None:
        with self.connection.pipeline() as pipeline:  # expect: durability.transaction
            self.started.remove(job_id, pipeline=pipeline)
            self.finished.add(job_id, when, pipeline=pipeline)
            pipeline.hset(f"jobq:job:{job_id}", "status", "finished")
            pipeline.execute()
        self._history.append(job_id)

    def warm(self, keys: list[str]) -> None:
        pipe = self.connection.pipeline(transaction=False)
        for key in keys:
            pipe.get(key)
        pipe.execute()


def main() -> None:
    Worker(redis.Redis(socket_timeout=5, socket_connect_timeout=5)).install()
