"""Reliability probes: a snippet in, the exact reliability findings (rule, line) out.

Decisions the cases pin down:
- a ``requests.Session`` call without ``timeout=`` is flagged even when the session mounts an adapter:
  requests has no session-wide timeout, and an adapter that injects one is not visible at the call;
- httpx module functions and clients have a 5 s default, so only ``timeout=None`` is flagged;
- ``sqlite3.connect`` is never flagged (5 s busy timeout by default); a SQLAlchemy ``sqlite:`` URL neither;
- a ``for`` loop over hosts that returns on the first success is failover, not a retry;
- ``no-circuit-breaker`` is reported once, at the first outbound HTTP call, only when no breaker exists.
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
