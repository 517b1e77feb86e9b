"""In-process event buses."""

import asyncio
import queue
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor


class EventBus:
    def __init__(self):
        self._subscribers = defaultdict(list)

    def subscribe(self, event, handler):
        self._subscribers[event].append(handler)

    def publish(self, event, payload):
        for handler in self._subscribers[event]:
            handler(payload)  # expect: performance.sync-event-delivery


class Signals:
    def __init__(self):
        self.listeners = []

    def emit(self, *args):
        listeners = list(self.listeners)
        for listener in listeners:
            listener(*args)  # expect: performance.sync-event-delivery


class Observable:
    def __init__(self):
        self._observers = []

    def notify_all(self, change):
        for observer in self._observers:
            observer.update(change)  # expect: performance.sync-event-delivery


class QueuedBus:
    def __init__(self):
        self._handlers = []
        self._queue = queue.Queue()
        threading.Thread(target=self._run, daemon=True).start()

    def publish(self, event):
        for handler in self._handlers:
            self._queue.put((handler, event))

    def _run(self):
        while True:
            handler, event = self._queue.get()
            handler(event)


class PooledBus:
    def __init__(self):
        self._callbacks = []
        self._pool = ThreadPoolExecutor(max_workers=4)  # expect: reliability.bulkhead

    def dispatch(self, event):
        for callback in self._callbacks:
            self._pool.submit(callback, event)


class AsyncBus:
    def __init__(self):
        self._handlers = []

    async def publish(self, event):
        for handler in self._handlers:
            asyncio.create_task(handler(event))

    async def publish_and_wait(self, event):
        for handler in self._handlers:
            await handler(event)


class Batch:
    def dispatch(self, jobs):
        for job in jobs:
            job()
