"""In-memory collections: some only grow, some are bounded, some are stores."""

import collections
import heapq
import time

AUDIT_TRAIL = []  # expect: durability.unbounded-collection
RECENT = collections.deque(maxlen=100)
SEEN_IDS: set[str] = set()  # expect: durability.unbounded-collection
PENDING = []
HANDLERS = {}
DEFAULTS = {"page_size": 50}
BATCH = []
TIMERS = []
TRIMMED = []


def record(event):
    AUDIT_TRAIL.append({"at": time.time(), **event})


def remember(item):
    RECENT.append(item)


def mark_seen(item_id):
    SEEN_IDS.add(item_id)


def push(job):
    PENDING.append(job)


def take():
    return PENDING.pop(0)


def register(name):
    def deco(fn):
        HANDLERS[name] = fn
        return fn

    return deco


def page_size():
    return DEFAULTS["page_size"]


def add_to_batch(item, flush):
    BATCH.append(item)
    if len(BATCH) >= 100:
        flush(BATCH[:])
        del BATCH[:]


def schedule(at, job):
    heapq.heappush(TIMERS, (at, job))


def next_timer():
    return heapq.heappop(TIMERS)


def add_trimmed(item):
    global TRIMMED
    TRIMMED.append(item)
    TRIMMED = TRIMMED[-500:]


class SessionStore:
    def __init__(self):
        self._sessions = {}  # expect: durability.in-memory-state, durability.unbounded-collection

    def put(self, sid, user):
        self._sessions[sid] = user

    def get(self, sid):
        return self._sessions.get(sid)


class OrderBook:
    def __init__(self):
        self.orders: dict[str, dict] = {}  # expect: durability.in-memory-state

    def add(self, order):
        self.orders[order["id"]] = order

    def get(self, order_id):
        return self.orders[order_id]

    def cancel(self, order_id):
        del self.orders[order_id]


class InMemoryOrderRepo:
    """A fake for tests: in memory on purpose."""

    def __init__(self):
        self.orders = {}

    def add(self, order):
        self.orders[order["id"]] = order

    def get(self, order_id):
        return self.orders.get(order_id)

    def remove(self, order_id):
        self.orders.pop(order_id, None)


class HitCounter:
    def __init__(self):
        self._hits: dict[str, list[float]] = {}  # expect: durability.unbounded-collection

    def hit(self, client):
        self._hits.setdefault(client, []).append(time.time())

    def count(self, client):
        return len(self._hits.get(client, []))


class Router:
    def __init__(self, routes):
        self.table = {}
        for route in routes:
            self.table[route.path] = route

    def match(self, path):
        return self.table.get(path)


class Buffer:
    def __init__(self, sink):
        self.items = []
        self.sink = sink

    def add(self, item):
        self.items.append(item)
        self.sink.drain(self.items)


class Metrics:
    samples = []  # expect: durability.unbounded-collection

    def observe(self, value):
        self.samples.append(value)


class ResettableLog:
    def __init__(self):
        self.lines = []

    def add(self, line):
        self.lines.append(line)

    def reset(self):
        self.lines = []
