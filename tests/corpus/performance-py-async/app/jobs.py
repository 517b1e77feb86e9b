"""A background job runner: blocking calls in async code, and executor look-alikes."""

import asyncio
import time

import requests


class Poller:
    def __init__(self, url):
        self.url = url

    async def poll(self):
        while True:
            body = requests.get(self.url, timeout=2).text  # expect: performance.blocking-call-in-async
            if body:
                return body
            time.sleep(1)  # expect: performance.blocking-call-in-async

    async def poll_properly(self, loop):
        body = await loop.run_in_executor(None, lambda: requests.get(self.url, timeout=2).text)
        await asyncio.sleep(1)
        return body

    def schedule(self):
        async def tick():
            await asyncio.sleep(1)

        def blocking_tick():
            time.sleep(1)

        return tick, blocking_tick
