"""Bulkheads: bounded semaphores, pools and queues; and unbounded look-alikes."""

import asyncio
import queue
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

MAX_PARTNER_CALLS = 8

partner_slots = threading.BoundedSemaphore(MAX_PARTNER_CALLS)  # expect: reliability.bulkhead
export_pool = ThreadPoolExecutor(max_workers=4)  # expect: reliability.bulkhead
outbox: "queue.Queue[dict]" = queue.Queue(maxsize=1000)  # expect: reliability.bulkhead

guard = threading.Semaphore()
mutex = threading.Semaphore(1)
backlog: "queue.Queue[dict]" = queue.Queue()
unbounded_too: "queue.Queue[dict]" = queue.Queue(maxsize=0)
default_pool = ThreadPoolExecutor()
cpu_pool = ProcessPoolExecutor(max_workers=2)


class Crawler:
    def __init__(self, concurrency: int = 10):
        self.limit = asyncio.Semaphore(concurrency)  # expect: reliability.bulkhead
        self.pending: asyncio.Queue[str] = asyncio.Queue(100)  # expect: reliability.bulkhead
        self.lock = asyncio.Lock()

    async def crawl(self, fetch, url):
        async with self.limit:
            return await fetch(url)
