"""Reliability probes: a snippet in, the exact reliability findings (rule, line) out.

Decisions the cases pin down:
- a ``requests.Session`` call without ``timeout=`` is flagged even when the session mounts an adapter:
  requests has no session-wide timeout, and an adapter that injects one is not visible at the call;
- httpx module functions and clients have a 5 s default, so only ``timeout=None`` is flagged;
- ``sqlite3.connect`` is never flagged (5 s busy timeout by default); a SQLAlchemy ``sqlite:`` URL neither;
- a ``for`` loop over hosts that returns on the first success is failover, not a retry;
- ``no-circuit-breaker`` is reported once, at the first outbound HTTP call, only when no breaker exists;
- a loop that goes round again after an optimistic transaction's conflict (Redis ``WatchError``), that waits for a
  child process, or that takes the next candidate off a list is not a retry;
- a retry that never gives up is sure only when it does not wait; one that waits is to review, and one whose wait
  grows to a cap is a polite reconnect loop (good); a fixed wait of a second or more, or one read from a setting, is
  to review for ``retry-without-backoff``;
- an httpx client over an in-process transport (``ASGITransport``) makes no network call; Node's own fetch and
  aiohttp are bounded by 5-minute defaults (to review); ``axios.defaults.timeout`` set in one module covers every
  axios call of the process;
- a dead child replaced at once on a frequent check (or on its exit event) is a crash loop; a SIGTERM handler that
  calls ``process.exit``/``os._exit`` straight away is not a graceful shutdown (``sys.exit`` unwinds: it is).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.collectors.patterns import scan
from assess.model import Status
from assess.model.patterns import PatternsEvidence
from assess.probes import run_probes


def findings(tmp_path: Path, name: str, text: str) -> list[tuple[str, int | None]]:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    data, warnings = scan(tmp_path)
    assert not warnings
    found = run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)})
    return sorted((f.rule, f.line) for f in found if f.rule.startswith("reliability."))


R = "reliability."

PYTHON_CASES = {
    "tenacity-jittered": (
        """\
from tenacity import retry, stop_after_attempt, wait_random_exponential

@retry(stop=stop_after_attempt(3), wait=wait_random_exponential(max=10))
def f():
    pass
""",
        [(R + "retry-with-backoff", 3)],
    ),
    "tenacity-no-jitter": (
        """\
import tenacity

@tenacity.retry(stop=tenacity.stop_after_attempt(3), wait=tenacity.wait_exponential())
def f():
    pass
""",
        [(R + "retry-with-backoff", 3), (R + "retry-without-jitter", 3)],
    ),
    "tenacity-bare": (
        """\
from tenacity import retry

@retry
def f():
    pass
""",
        [(R + "retry-unbounded", 3), (R + "retry-without-backoff", 3)],
    ),
    "backoff-default-jitter": (
        """\
import backoff

@backoff.on_exception(backoff.expo, OSError, max_tries=4)
def f():
    pass
""",
        [(R + "retry-with-backoff", 3)],
    ),
    "backoff-jitter-off-unbounded": (
        """\
import backoff

@backoff.on_exception(backoff.expo, OSError, jitter=None)
def f():
    pass
""",
        [(R + "retry-unbounded", 3), (R + "retry-without-jitter", 3)],
    ),
    "urllib3-retry": (
        """\
from urllib3 import Retry

a = Retry(total=3, backoff_factor=0.5, backoff_jitter=0.2)
b = Retry(total=3)
c = Retry(False)
""",
        [(R + "retry-with-backoff", 3), (R + "retry-without-backoff", 4)],
    ),
    "loop-sample-shape": (
        """\
import time

def send(self):
    for attempt in range(self.max_attempts):
        try:
            return self.transport.send()
        except OSError:
            delay = self.base * (2 ** attempt)
            time.sleep(delay)
""",
        [(R + "retry-with-backoff", 4), (R + "retry-without-jitter", 8)],
    ),
    "loop-while-true-fixed": (
        """\
import time

def write(op):
    while True:
        try:
            return op()
        except OSError:
            time.sleep(0.05)
""",
        [(R + "retry-unbounded", 4), (R + "retry-without-backoff", 8)],
    ),
    "loop-counter-bounded": (
        """\
import random, time

def write(op, limit=3):
    tries = 0
    while True:
        try:
            return op()
        except OSError:
            tries += 1
            if tries > limit:
                raise
            time.sleep(random.uniform(0, 2 ** tries))
""",
        [(R + "retry-with-backoff", 5)],
    ),
    "lookalike-retry-variable": (
        """\
retry = 3

def retry_count(x):
    return x.retry
""",
        [],
    ),
    "lookalike-polling": (
        """\
import time

def wait(job):
    while True:
        if job.done():
            return job.result()
        time.sleep(1)
""",
        [],
    ),
    "lookalike-failover": (
        """\
def first(hosts, connect):
    for host in hosts:
        try:
            return connect(host)
        except OSError:
            continue
""",
        [],
    ),
    "lookalike-consumer": (
        """\
import queue

def consume(q, handle):
    while True:
        try:
            item = q.get(timeout=1)
        except queue.Empty:
            continue
        handle(item)
""",
        [],
    ),
    "breaker-library": (
        """\
import pybreaker
import requests

breaker = pybreaker.CircuitBreaker(fail_max=5)

def get(url):
    return requests.get(url, timeout=3)
""",
        [(R + "circuit-breaker", 4)],
    ),
    "http-without-timeout": (
        """\
import requests
import httpx
import urllib.request

def get(url):
    requests.get(url)
    requests.get(url, timeout=3)
    httpx.get(url)
    httpx.get(url, timeout=None)
    urllib.request.urlopen(url)
    urllib.request.urlopen(url, timeout=2)
""",
        [
            (R + "http-no-timeout", 6),
            (R + "http-no-timeout", 9),
            (R + "http-no-timeout", 10),
            (R + "no-circuit-breaker", 6),
        ],
    ),
    "http-session-with-adapter": (
        """\
import requests
from requests.adapters import HTTPAdapter

session = requests.Session()
session.mount("https://", HTTPAdapter(max_retries=3))

def get(url):
    return session.get(url)
""",
        [(R + "http-no-timeout", 8), (R + "no-circuit-breaker", 8)],
    ),
    "http-lookalike": (
        """\
def get(store, key):
    return store.get(key)
""",
        [],
    ),
    "db-timeouts": (
        """\
import sqlite3
import psycopg2
import redis
from sqlalchemy import create_engine

a = psycopg2.connect("dbname=x")
b = psycopg2.connect("dbname=x", connect_timeout=3)
c = redis.Redis(host="r")
d = redis.Redis(host="r", socket_timeout=1)
e = sqlite3.connect("x.db")
f = create_engine("sqlite:///x.db")
""",
        [(R + "db-no-timeout", 6), (R + "db-no-timeout", 8)],
    ),
    "bulkheads": (
        """\
import threading, queue
from concurrent.futures import ThreadPoolExecutor

a = threading.BoundedSemaphore(4)
b = threading.Semaphore(1)
c = queue.Queue(maxsize=10)
d = queue.Queue()
e = ThreadPoolExecutor(max_workers=2)
f = ThreadPoolExecutor()
""",
        [(R + "bulkhead", 4), (R + "bulkhead", 6), (R + "bulkhead", 8)],
    ),
    "rate-limiter-in-memory": (
        """\
import time

class RateLimiter:
    def __init__(self):
        self._buckets: dict[str, float] = {}

    def allow(self, client):
        now = time.monotonic()
        last = self._buckets.get(client, 0.0)
        self._buckets[client] = now
        return now - last > 1
""",
        [(R + "in-memory-rate-limit", 5)],
    ),
    "rate-limiter-lookalike": (
        """\
class ConnectionLimiter:
    def __init__(self):
        self.max = 10
        self.options = {}
""",
        [],
    ),
    "post-idempotency": (
        """\
from flask import Flask, request

app = Flask(__name__)

@app.post("/orders")
def create():
    return db.create_order(request.json)

@app.post("/payments")
def pay():
    key = request.headers["Idempotency-Key"]
    return db.charge(request.json, key=key)

@app.post("/search")
def search():
    return db.search(request.json)
""",
        [(R + "idempotency-key", 11), (R + "post-without-idempotency", 7)],
    ),
    "dependency-fallback": (
        """\
import redis

cache = redis.Redis(socket_timeout=1)

def get(key):
    try:
        return cache.get(key)
    except redis.RedisError:
        return load(key)

def put(key, value):
    cache.set(key, value)

def healthy():
    return cache.ping()
""",
        [(R + "dependency-fallback", 7), (R + "dependency-no-fallback", 12)],
    ),
    "optimistic-transaction-is-not-a-retry": (
        """\
from redis.exceptions import WatchError

def move(conn, key):
    with conn.pipeline() as pipe:
        while True:
            try:
                pipe.watch(key)
                value = pipe.get(key)
                pipe.multi()
                pipe.set(key, value)
                pipe.execute()
                break
            except WatchError:
                continue
""",
        [],
    ),
    "waiting-for-a-child-is-not-a-retry": (
        """\
def supervise(self, child):
    while True:
        try:
            with self.alarm(self.interval, TimedOut):
                pid, status = self.wait_for_child(child)
            break
        except TimedOut:
            self.heartbeat()
""",
        [],
    ),
    "trying-candidates-is-not-a-retry": (
        """\
import importlib

def find(dotted):
    parts = dotted.split(".")
    while parts:
        try:
            module = importlib.import_module(".".join(parts))
            break
        except ImportError:
            parts.pop()
""",
        [],
    ),
    "reconnect-forever-with-capped-backoff": (
        """\
import time

def listen(conn, log):
    wait = 1.0
    while True:
        try:
            return conn.read()
        except ConnectionError:
            time.sleep(wait)
            wait = min(wait * 2, 60)
""",
        [(R + "retry-with-backoff", 5), (R + "retry-without-jitter", 9)],
    ),
    "forever-with-a-long-fixed-wait": (
        """\
import time

def connect(make):
    while True:
        try:
            return make()
        except OSError:
            time.sleep(5)
""",
        [(R + "retry-unbounded", 4), (R + "retry-without-backoff", 8)],
    ),
    "fixed-wait-from-a-setting": (
        """\
import time

def call(op, settings):
    for attempt in range(3):
        try:
            return op()
        except OSError:
            time.sleep(settings.retry_delay)
""",
        [(R + "retry-without-backoff", 8)],
    ),
    "one-handler-bounded-the-other-not": (
        """\
def pull(queue, budget):
    while True:
        try:
            return queue.pop()
        except Empty:
            budget -= 1
            if budget <= 0:
                return None
        except ConnectionError:
            pass
""",
        [(R + "retry-unbounded", 2), (R + "retry-without-backoff", 2)],
    ),
    "backoff-function": (
        """\
import random

def next_delay(attempt, base=0.5, cap=30):
    return random.uniform(0, min(cap, base * 2 ** attempt))
""",
        [(R + "retry-with-backoff", 3)],
    ),
    "in-process-transport": (
        """\
import httpx

async def call(app, path):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as client:
        return await client.get(path)
""",
        [],
    ),
    "pool-socket-timeout": (
        """\
def configure(connection, seconds):
    current = connection.connection_pool.connection_kwargs.get("socket_timeout")
    if current is None or current < seconds:
        connection.connection_pool.connection_kwargs.update({"socket_timeout": seconds})
    return connection
""",
        [(R + "client-timeout", 4)],
    ),
    "supervisor-without-backoff": (
        """\
from multiprocessing import Process

class Pool:
    def run(self):
        while not self.stop.wait(1.0):
            self.keep_alive()

    def keep_alive(self):
        for i, child in enumerate(self.children):
            if child.is_alive():
                continue
            child.join()
            fresh = Process(target=self.target)
            fresh.start()
            self.children[i] = fresh
""",
        [(R + "process-supervision", 13), (R + "respawn-without-backoff", 13)],
    ),
    "supervisor-with-backoff": (
        """\
import subprocess, time

def watch(cmd, limit=5):
    proc = subprocess.Popen(cmd)
    restarts = 0
    while True:
        time.sleep(1)
        if proc.poll() is not None:
            if restarts >= limit:
                raise SystemExit(1)
            time.sleep(2 ** restarts)
            restarts += 1
            proc = subprocess.Popen(cmd)
""",
        [(R + "process-supervision", 13)],
    ),
    "time-limits": (
        """\
import signal, time

def run(job, seconds):
    signal.alarm(seconds)
    try:
        return job()
    finally:
        signal.alarm(0)

def limit(conn, ms):
    deadline = time.monotonic() + ms / 1000
    def handler():
        return 1 if time.monotonic() > deadline else None
    conn.set_progress_handler(handler, 1000)

def watch(worker, job):
    if worker.elapsed > job.timeout + 60:
        worker.kill_child()
""",
        [(R + "time-limit", 4), (R + "time-limit", 14), (R + "time-limit", 17)],
    ),
    "back-pressure": (
        """\
LIMIT = 65536

class Protocol:
    def data_received(self, data):
        self.buffer += data
        if len(self.buffer) > LIMIT:
            self.transport.pause_reading()
""",
        [(R + "back-pressure", 7)],
    ),
    "sigterm-exits-at-once": (
        """\
import logging, os, signal, sys

def stop(signum, frame):
    logging.info("stopping")
    os._exit(0)

def stop_cleanly(signum, frame):
    sys.exit(0)

signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop_cleanly)
""",
        [(R + "exit-without-drain", 10)],
    ),
    "heartbeat-with-ttl": (
        """\
class Worker:
    def heartbeat(self, conn):
        conn.hset(self.key, "seen", 1)
        conn.expire(self.key, 90)

    def heartbeats_sent(self, conn):
        return conn.get(self.key + ":n")
""",
        [(R + "heartbeat-ttl", 4)],
    ),
    "drain-deadline-defaults-to-none": (
        """\
import asyncio

class Config:
    def __init__(self, graceful_timeout: float | None = None, drain_timeout: float = 20.0):
        self.graceful_timeout = graceful_timeout
        self.drain_timeout = drain_timeout

class Server:
    async def shutdown(self):
        await asyncio.wait_for(self.wait_idle(), timeout=self.config.graceful_timeout)

    async def drain(self):
        await asyncio.wait_for(self.wait_idle(), timeout=self.config.drain_timeout)
""",
        [(R + "unbounded-drain", 10)],
    ),
}

SCRIPT_CASES = {
    "p-retry-default": (
        "jobs.ts",
        """\
import pRetry from 'p-retry';
export const run = (fn: () => Promise<void>) => pRetry(fn, { retries: 5 });
""",
        [(R + "retry-with-backoff", 2), (R + "retry-without-jitter", 2)],
    ),
    "async-retry-default": (
        "jobs.js",
        """\
const retry = require('async-retry');
module.exports = (fn) => retry(fn, { retries: 5 });
""",
        [(R + "retry-with-backoff", 2)],
    ),
    "js-loop": (
        "loop.js",
        """\
async function go(fn) {
  while (true) {
    try {
      return await fn();
    } catch (e) {
      await sleep(100);
    }
  }
}
""",
        [(R + "retry-unbounded", 2), (R + "retry-without-backoff", 6)],
    ),
    "ts-loop-exponential": (
        "loop.ts",
        """\
export async function go(fn: () => Promise<number>) {
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const wait: number = 50 * 2 ** attempt;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
""",
        [(R + "retry-with-backoff", 2), (R + "retry-without-jitter", 6)],
    ),
    "js-retry-lookalike": (
        "flags.js",
        """\
const retry = { enabled: true };
function shouldRetry(s) { return s >= 500; }
module.exports = { retry, shouldRetry };
""",
        [],
    ),
    "fetch-and-axios": (
        "api.ts",
        """\
import axios from 'axios';
export async function a(u: string) {
  await fetch(u);
  await fetch(u, { signal: AbortSignal.timeout(1000) });
  await axios.get(u);
  await axios.get(u, { timeout: 1000 });
}
""",
        [(R + "http-no-timeout", 3), (R + "http-no-timeout", 5), (R + "no-circuit-breaker", 3)],
    ),
    "opossum": (
        "breaker.js",
        """\
const CircuitBreaker = require('opossum');
const breaker = new CircuitBreaker(async () => 1, { timeout: 1000 });
""",
        [(R + "circuit-breaker", 2)],
    ),
    "pg-pool": (
        "db.ts",
        """\
import { Pool } from 'pg';
export const a = new Pool();
export const b = new Pool({ statement_timeout: 1000 });
""",
        [(R + "db-no-timeout", 2)],
    ),
    "express-post": (
        "routes.js",
        """\
const express = require('express');
const rateLimit = require('express-rate-limit');
const app = express();
app.use(rateLimit({ windowMs: 1000, max: 5 }));
app.post('/items', async (req, res) => {
  res.status(201).json(await db.items.create(req.body));
});
app.post('/search', async (req, res) => res.json(await db.search(req.body)));
""",
        [(R + "in-memory-rate-limit", 4), (R + "post-without-idempotency", 6)],
    ),
    "p-limit": (
        "limit.mjs",
        """\
import pLimit from 'p-limit';
export const limit = pLimit(4);
""",
        [(R + "bulkhead", 2)],
    ),
    "compiled-generator-helper": (
        "lib/client.js",
        """\
var __generator = function (thisArg, body) {
    function step(op) {
        while (_) try {
            if (f = 1, y) return t;
            op = body.call(thisArg, _);
        } catch (e) { op = [6, e]; y = 0; }
    }
};
""",
        [],
    ),
    "failover-over-nodes": (
        "nodes.js",
        """\
async function check(nodes) {
  for (let i = 0; i < nodes.length; i++) {
    try {
      return await probe(nodes[i]);
    } catch (e) {
      log(e);
    }
  }
}
""",
        [],
    ),
    "bounded-fixed-waits": (
        "waits.ts",
        """\
export async function a(fn: () => Promise<void>) {
  for (let attempt = 0; attempt < 3; attempt++) {
    try { return await fn(); } catch (e) { await sleep(2000); }
  }
}
export async function b(fn: () => Promise<void>, opts: { delayMs: number }) {
  for (let attempt = 0; attempt < 3; attempt++) {
    try { return await fn(); } catch (e) { await sleep(opts.delayMs); }
  }
}
""",
        [(R + "retry-without-backoff", 3), (R + "retry-without-backoff", 8)],
    ),
    "backoff-strategy": (
        "backoffs.ts",
        """\
export const strategies = {
  exponential: function (delay: number) {
    return function (attemptsMade: number): number {
      return Math.round(Math.pow(2, attemptsMade - 1) * delay);
    };
  },
};
""",
        [(R + "retry-with-backoff", 3)],
    ),
    "own-fetch-wrapper": (
        "wrap.js",
        """\
async function fetch(url) {
  return globalThis.fetch(url, { signal: AbortSignal.timeout(3000) });
}
module.exports = (u) => fetch(u);
""",
        [],
    ),
    "node-fetch-has-no-timeout": (
        "nf.js",
        """\
const fetch = require('node-fetch');
module.exports = (u) => fetch(u);
""",
        [(R + "http-no-timeout", 2), (R + "no-circuit-breaker", 2)],
    ),
    "cluster-respawn": (
        "master.js",
        """\
const cluster = require('cluster');
cluster.on('exit', (worker, code) => {
  console.log('worker died, restarting');
  cluster.fork();
});
""",
        [(R + "process-supervision", 4), (R + "respawn-without-backoff", 4)],
    ),
    "cluster-respawn-with-delay": (
        "master2.js",
        """\
const cluster = require('cluster');
cluster.on('exit', () => {
  setTimeout(() => cluster.fork(), 1000);
});
""",
        [(R + "process-supervision", 3)],
    ),
    "sigterm-exit": (
        "stop.js",
        """\
process.on('SIGTERM', function () {
  if (debug) { console.log('stopping'); }
  status = 'down';
  process.exit();
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
""",
        [(R + "exit-without-drain", 1)],
    ),
    "redis-client-from-another-module": (
        "links.js",
        """\
const redis = require('./redis');
async function find(key) {
  const cached = await redis.client.get(key);
  return cached && JSON.parse(cached);
}
""",
        [(R + "dependency-no-fallback", 3)],
    ),
    "write-back-pressure": (
        "pipe.js",
        """\
async function copy(rows, out) {
  for (const row of rows) {
    if (!out.write(row)) {
      await new Promise((resolve) => out.once('drain', resolve));
    }
  }
}
""",
        [(R + "back-pressure", 3)],
    ),
    "client-names-are-scoped-to-their-function": (
        "monitors.js",
        """\
const { Kafka } = require('kafkajs');
async function produce(brokers, topic, value) {
  const client = new Kafka({ brokers });
  const producer = client.producer();
  await producer.send({ topic, messages: [{ value }] });
}
async function token(issuer) {
  const client = new issuer.Client({});
  client.emit('start');
  return client.grant({ grant_type: 'client_credentials' });
}
""",
        [(R + "dependency-no-fallback", 5)],
    ),
    "outbound-post-is-not-a-handler": (
        "notify.js",
        """\
const axios = require('axios');
module.exports = (key, body) => axios.post(`https://chat.example.com/webhook/send?key=${key}`, body, { timeout: 5000 });
""",
        [(R + "no-circuit-breaker", 2)],
    ),
}


@pytest.mark.parametrize("case", sorted(PYTHON_CASES))
def test_python(tmp_path: Path, case: str) -> None:
    text, want = PYTHON_CASES[case]
    assert findings(tmp_path, "app/module.py", text) == sorted(want)


@pytest.mark.parametrize("case", sorted(SCRIPT_CASES))
def test_scripts(tmp_path: Path, case: str) -> None:
    name, text, want = SCRIPT_CASES[case]
    assert findings(tmp_path, f"src/{name}", text) == sorted(want)


def test_test_files_are_not_judged(tmp_path: Path) -> None:
    assert findings(tmp_path, "tests/test_client.py", "import requests\n\ndef test_x():\n    requests.get('u')\n") == []


@pytest.mark.parametrize("text", ["", "x = (", "@retry(\n", "def f(*a, **k):\n    return requests.get(*a, **k)\n",
                                  "from tenacity import retry\nretry(**opts)(f)\n", "lambda: (yield)\n"])  # fmt: skip
def test_odd_python_does_not_crash(tmp_path: Path, text: str) -> None:
    findings(tmp_path, "odd.py", text)


ODD_SCRIPTS = ["", "for (;;) {}", "app.post()", "fetch()", "new (foo())()", "class { }",
               "const { a: { b } } = require('x');", "while (true) { try {} catch {} }"]  # fmt: skip


@pytest.mark.parametrize("text", ODD_SCRIPTS)
def test_odd_scripts_do_not_crash(tmp_path: Path, text: str) -> None:
    path = tmp_path / "odd.ts"
    path.write_text(text, encoding="utf-8")
    _, warnings = scan(tmp_path)
    assert not [w for w in warnings if "reliability" in w]


# Look-alikes met on real code (requests 2.31, click 8.1): neither is a retry.
REAL_CODE_LOOKALIKES = [
    (
        "requests' default adapter: Retry(0) means no retries",
        "from urllib3.util.retry import Retry\n\n"
        "class A:\n    def __init__(self):\n        self.max_retries = Retry(0, read=False)\n",
    ),
    (
        "click's pager: waiting again after Ctrl-C is not retrying a failure",
        "def pager(c):\n    while True:\n        try:\n            c.wait()\n"
        "        except KeyboardInterrupt:\n            pass\n        else:\n            break\n",
    ),
]


@pytest.mark.parametrize(("title", "source"), REAL_CODE_LOOKALIKES, ids=[t for t, _ in REAL_CODE_LOOKALIKES])
def test_real_code_lookalikes_are_not_retries(tmp_path, title, source):
    (tmp_path / "mod.py").write_text(source)
    data, _ = scan(tmp_path)
    findings = run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)})
    assert not [f for f in findings if f.rule.startswith("reliability.retry")], title


def judged(tmp_path: Path, files: dict[str, str]) -> set[tuple[str, str | None, int | None, str | None]]:
    """(rule, path, line, confidence) of every reliability and shutdown finding on a tree of ``files``."""
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    data, _ = scan(tmp_path)
    found = run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)})
    return {(f.rule, f.path, f.line, f.confidence) for f in found if f.rule.startswith((R, "shutdown."))}


def test_axios_defaults_set_in_another_module_cover_every_call(tmp_path: Path) -> None:
    files = {
        "src/server.js": "const axios = require('axios');\naxios.defaults.timeout = 30000;\n",
        "src/notify.js": "const axios = require('axios');\nmodule.exports = (u, b) => axios.post(u, b);\n",
    }
    assert not [f for f in judged(tmp_path, files) if f[0] == R + "http-no-timeout"]


@pytest.mark.parametrize(("name", "text", "want"), [
    pytest.param("a.py", "import aiohttp\n\nasync def f():\n    async with aiohttp.ClientSession() as s:\n"
                 "        return s\n", (R + "http-no-timeout", 4, "likely"), id="aiohttp-five-minute-default"),
    pytest.param("a.js", "module.exports = (u) => fetch(u);\n", (R + "http-no-timeout", 1, "likely"),
                 id="node-fetch-five-minute-default"),
    pytest.param("a.py", "import time\n\ndef f(op):\n    while True:\n        try:\n            return op()\n"
                 "        except OSError:\n            time.sleep(5)\n", (R + "retry-unbounded", 4, "likely"),
                 id="forever-but-waiting"),
    pytest.param("a.py", "import time\n\ndef f(op, s):\n    for attempt in range(3):\n        try:\n"
                 "            return op()\n        except OSError:\n            time.sleep(s.delay)\n",
                 (R + "retry-without-backoff", 8, "possible"), id="fixed-wait-from-a-setting"),
])  # fmt: skip
def test_what_the_code_cannot_decide_is_to_review(tmp_path: Path, name: str, text: str,
                                                  want: tuple[str, int, str]) -> None:  # fmt: skip
    rule, line, confidence = want
    assert (rule, name, line, confidence) in judged(tmp_path, {name: text})


def test_signals_named_by_a_module_constant_and_a_comprehension_are_handled(tmp_path: Path) -> None:
    text = (
        "import signal\n\nHANDLED = (signal.SIGINT, signal.SIGTERM)\n\n\nclass Server:\n"
        "    def capture(self):\n        return {s: signal.signal(s, self.stop) for s in HANDLED}\n"
    )
    assert ("shutdown.signal-handler", "server.py", 8, "confirmed") in judged(tmp_path, {"server.py": text})


def test_a_sigterm_handler_that_exits_at_once_is_not_graceful(tmp_path: Path) -> None:
    text = (
        "const http = require('http');\nhttp.createServer().listen(8080);\n"
        "process.on('SIGTERM', () => process.exit());\n"
    )
    found = judged(tmp_path, {"server.js": text})
    assert (R + "exit-without-drain", "server.js", 3, "confirmed") in found
    assert not [f for f in found if f[0] == "shutdown.signal-handler"]


LIMITED = "const rateLimit = require('express-rate-limit');\napp.use(rateLimit({ windowMs: 60000, max: 500 }));\n"


@pytest.mark.parametrize(
    ("store", "confidence"),
    [
        ("const Database = require('better-sqlite3');\nconst db = new Database('data.db');\n", "possible"),
        ("const Database = require('better-sqlite3');\nconst Redis = require('ioredis');\n", "confirmed"),
        ("const { Pool } = require('pg');\n", "confirmed"),
    ],
    ids=["one-process-sqlite-service", "sqlite-beside-redis", "postgres-service"],
)
def test_an_in_memory_limit_of_a_one_process_service_is_to_review(tmp_path: Path, store: str, confidence: str) -> None:
    """A service whose data is a local SQLite file runs as one process: an in-process limit sees every request."""
    found = judged(tmp_path, {"src/app.js": LIMITED, "src/db.js": store})
    assert (R + "in-memory-rate-limit", "src/app.js", 2, confidence) in found


NODE_HTTP_CASES = [
    pytest.param("const https = require('https');\nfunction f(url) {\n  https.get(url, (res) => res.resume());\n}\n",
                 {(R + "http-no-timeout", 3, "confirmed")}, id="get-without-options"),
    pytest.param("const https = require('https');\nfunction f(url, cb) {\n  https.get(url, cb);\n}\n",
                 set(), id="an-argument-that-may-be-options-cannot-be-judged"),
    pytest.param("const https = require('https');\nfunction f(url, headers, cb) {\n"
                 "  const options = { headers };\n  return https.request(url, options, cb);\n}\n",
                 {(R + "http-no-timeout", 4, "confirmed")}, id="options-without-timeout"),
    pytest.param("const https = require('node:https');\nfunction f(url, cb) {\n"
                 "  const options = { timeout: 5000 };\n  return https.request(url, options, cb);\n}\n",
                 set(), id="options-with-timeout"),
    pytest.param("const http = require('http');\nfunction f(url, cb) {\n  const req = http.get(url, cb);\n"
                 "  req.setTimeout(5000, () => req.destroy());\n}\n", set(), id="set-timeout-on-the-request"),
    pytest.param("const http = require('http');\nfunction f(url, opts, cb) {\n"
                 "  return http.request(url, opts, cb);\n}\n", set(), id="options-from-elsewhere-cannot-be-judged"),
    pytest.param("const http = require('http');\nhttp.createServer(h).listen(1);\n", set(), id="a-server-is-no-call"),
]


@pytest.mark.parametrize(("source", "expected"), NODE_HTTP_CASES)
def test_node_http_client_timeouts(tmp_path: Path, source: str, expected: set[tuple[str, int, str]]) -> None:
    found = judged(tmp_path, {"src/client.js": source})
    assert {(rule, line, conf) for rule, _, line, conf in found if rule == R + "http-no-timeout"} == expected
