import asyncio
import threading

from .settings import Settings


class Server:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.tasks: set[asyncio.Task] = set()
        self.worker = threading.Thread(target=self.work)
        self.done = threading.Event()

    def work(self):
        self.done.set()

    async def _finish_tasks(self):
        while self.tasks:
            await asyncio.sleep(0.1)

    async def shutdown(self):
        await asyncio.wait_for(self._finish_tasks(), timeout=self.settings.graceful_timeout)  # expect: reliability.unbounded-drain

    def stop(self):
        self.worker.join(self.settings.stop_grace_period)  # expect: reliability.unbounded-drain

    async def drain(self):
        await asyncio.wait_for(self._finish_tasks(), timeout=self.settings.drain_timeout)

    async def serve_one(self, handler):
        # Not a shutdown: the timeout's default is no business of a stop.
        return await asyncio.wait_for(handler(), timeout=self.settings.graceful_timeout)


def close(server: Server, shutdown_timeout: float | None = None) -> None:
    server.done.wait(timeout=shutdown_timeout)  # expect: reliability.unbounded-drain


def close_within(server: Server, shutdown_timeout: float = 10.0) -> None:
    server.done.wait(timeout=shutdown_timeout)
