"""Performance probes: a snippet in, exact (rule, line) findings out, for Python and JavaScript/TypeScript."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from assess.collectors.patterns import scan
from assess.model import Status
from assess.model.patterns import PatternsEvidence
from assess.probes import run_probes


def findings(root: Path, files: dict[str, str], family: str = "performance.") -> set[tuple[str, str, int | None]]:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    data, warnings = scan(root)
    assert not warnings
    found = run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)})
    return {(f.rule, f.path or "", f.line) for f in found if f.rule.startswith(family)}


BLOCK = "performance.blocking-call-in-async"
LOOP = "performance.query-in-loop"
CACHE = "performance.unbounded-cache"
PAGE = "performance.unpaginated-query"
SYNC = "performance.sync-event-delivery"

PYTHON = [
    (
        "time.sleep in async def",
        """
        import time
        async def handler():
            time.sleep(1)
        """,
        {(BLOCK, 3)},
    ),
    (
        "requests, urlopen, open, sqlite3, subprocess in async def",
        """
        import requests, sqlite3, subprocess
        from urllib.request import urlopen
        async def fetch(url):
            r = requests.get(url, timeout=5)
            urlopen(url, timeout=5)
            with open("x") as fh:
                pass
            conn = sqlite3.connect("db")
            subprocess.run(["ls"])
        """,
        {(BLOCK, 4), (BLOCK, 5), (BLOCK, 6), (BLOCK, 8), (BLOCK, 9)},
    ),
    (
        "asyncio.sleep, to_thread, executor lambda and nested sync def are fine",
        """
        import asyncio, time, requests
        async def handler(loop):
            await asyncio.sleep(1)
            await asyncio.to_thread(time.sleep, 1)
            await loop.run_in_executor(None, lambda: requests.get("u", timeout=1))
            def work():
                time.sleep(1)
            return work
        def plain():
            time.sleep(1)
        """,
        set(),
    ),
    (
        "query per item of a for loop",
        """
        def authors(conn, posts):
            out = []
            for post in posts:
                row = conn.execute("SELECT name FROM authors WHERE id = ?", (post["author_id"],)).fetchone()
                out.append(row)
            return out
        """,
        {(LOOP, 4)},
    ),
    (
        "ORM lookups per item, and a comprehension",
        """
        def names(session, posts, ids):
            for post in posts:
                Author.objects.get(id=post.author_id)
                session.query(Author).filter(Author.id == post.author_id).one()
            return [session.get(Author, i) for i in ids]
        """,
        {(LOOP, 3), (LOOP, 4), (LOOP, 5)},
    ),
    (
        "query in a loop that does not use the loop variable, INSERT in a loop, query on the iterable",
        """
        def f(conn, rows):
            for attempt in range(3):
                conn.execute("SELECT 1 FROM t")
            for r in rows:
                conn.execute("INSERT INTO t VALUES (?)", (r,))
            for row in conn.execute("SELECT id FROM t WHERE x = ?", (rows,)):
                print(row)
        """,
        set(),
    ),
    (
        "lru_cache(maxsize=None), functools.cache, cache dict without eviction",
        """
        import functools
        from functools import lru_cache

        _cache = {}

        @lru_cache(maxsize=None)
        def parse(path):
            return path.split("/")

        @functools.cache
        def lookup(key):
            return key

        def remember(k, v):
            _cache[k] = v
        """,
        {(CACHE, 6), (CACHE, 10), (CACHE, 4)},
    ),
    (
        "bounded caches, zero-argument cache, evicted dicts, cache-named settings",
        """
        from functools import lru_cache, cache

        _memo = {}
        cache_dir = {}

        @lru_cache
        def a(x):
            return x

        @lru_cache(maxsize=256)
        def b(x):
            return x

        @cache
        def settings():
            return {}

        def put(k, v):
            if len(_memo) > 100:
                _memo.clear()
            _memo[k] = v
            cache_dir[k] = v
        """,
        set(),
    ),
    (
        "instance cache dict filled and never evicted",
        """
        class Resolver:
            def __init__(self):
                self._cache = {}

            def resolve(self, name):
                if name not in self._cache:
                    self._cache[name] = name.upper()
                return self._cache[name]
        """,
        {(CACHE, 3)},
    ),
    (
        "instance cache with eviction",
        """
        class Resolver:
            def __init__(self):
                self._cache = {}

            def resolve(self, name):
                self._cache[name] = name.upper()
                while len(self._cache) > 10:
                    self._cache.pop(next(iter(self._cache)))
        """,
        set(),
    ),
    (
        "instance cache reset by a second assignment (annotated first)",
        """
        class Probe:
            def __init__(self):
                self._cache_values: dict[str, bool] = {}

            def put(self, key, value):
                self._cache_values[key] = value

            def reset(self):
                self._cache_values = {}
        """,
        set(),
    ),
    (
        "whole-table reads: built query, cursor fetchall, iteration, ORM",
        """
        def list_tasks(conn, status=None):
            query, params = "SELECT * FROM tasks", ()
            if status:
                query, params = query + " WHERE status = ?", (status,)
            rows = conn.execute(query + " ORDER BY created_at", params).fetchall()
            return rows

        def users(cur, session):
            cur.execute("SELECT id, name FROM users")
            everyone = cur.fetchall()
            items = [r for r in cur.execute("SELECT * FROM items ORDER BY id")]
            return session.query(User).all()
        """,
        {(PAGE, 5), (PAGE, 9), (PAGE, 11), (PAGE, 12)},
    ),
    (
        "bounded, filtered, single-row and aggregate reads",
        """
        def page(conn, session, limit, task_id):
            query = "SELECT * FROM tasks"
            if limit:
                query += " LIMIT ?"
            conn.execute(query, (limit,)).fetchall()
            conn.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchall()
            conn.execute("SELECT * FROM tasks").fetchone()
            conn.execute("SELECT COUNT(*) FROM tasks").fetchall()
            conn.execute("SELECT * FROM tasks LIMIT 50 OFFSET 0").fetchall()
            session.query(User).filter(User.active).all()
            session.query(User).limit(20).all()
        """,
        set(),
    ),
    (
        "event bus calling handlers in the publisher's thread",
        """
        class EventBus:
            def __init__(self):
                self._subscribers = {}

            def publish(self, event, payload):
                for handler in self._subscribers.get(event, []):
                    handler(payload)
        """,
        {(SYNC, 7)},
    ),
    (
        "event bus handing events to a queue or a task, and a publish loop over other things",
        """
        import asyncio
        class Bus:
            def publish(self, event):
                for handler in self._handlers:
                    self._queue.put((handler, event))
            async def emit(self, event):
                for listener in self.listeners:
                    asyncio.create_task(listener(event))
                    await listener(event)
            def dispatch(self, items):
                for item in items:
                    item()
        """,
        set(),
    ),
]

SCRIPTS = [
    (
        "app.ts",
        "sync fs and execSync in async functions and handlers; better-sqlite3 statements",
        """
        import fs from "fs";
        import { execSync } from "child_process";
        import Database from "better-sqlite3";
        export async function load(path: string): Promise<string> {
          return fs.readFileSync(path, "utf8");
        }
        app.post("/deploy", (req, res) => {
          execSync("make deploy");
          res.send("ok");
        });
        class Store {
          async run(sql: string, ...params: unknown[]) {
            const stmt = this.getCachedStatement(sql);
            return stmt.run(...params);
          }
        }
        """,
        {(BLOCK, 5), (BLOCK, 8), (BLOCK, 14)},
    ),
    (
        "tool.js",
        "sync calls at start-up and in plain functions are fine; fs.promises is fine",
        """
        const fs = require("fs");
        const config = fs.readFileSync("config.json", "utf8");
        function build() { fs.writeFileSync("out", "x"); }
        async function save(p) { await fs.promises.writeFile(p, "x"); }
        const m = new Map(); async function g(k) { return m.get(k); }
        """,
        set(),
    ),
    (
        "repo.ts",
        "queries per item in for-of, forEach and map",
        """
        export async function owners(ids: string[], posts: Post[]) {
          for (const id of ids) {
            await prisma.user.findUnique({ where: { id } });
          }
          posts.forEach(async (post) => {
            await pool.query("SELECT * FROM users WHERE id = $1", [post.authorId]);
          });
          return Promise.all(ids.map((i) => db.prepare("SELECT * FROM t WHERE id = ?").get(i)));
        }
        """,
        {(LOOP, 3), (LOOP, 6), (LOOP, 8)},
    ),
    (
        "batch.js",
        "one query for all items, and loop bodies that query nothing",
        """
        async function owners(ids) {
          const users = await prisma.user.findMany({ where: { id: { in: ids } } });
          for (const id of ids) { cache.get(id); console.log(id); }
          return users;
        }
        """,
        set(),
    ),
    (
        "cache.ts",
        "Map caches without eviction, and bounded ones",
        """
        const cache = new Map<string, string>();
        const memo = new Map();
        export function get(k: string) { cache.set(k, k); memo.set(k, 1); if (memo.size > 100) memo.clear(); }
        class Store {
          private statementCache: Map<string, any> = new Map();
          prepare(sql: string) { this.statementCache.set(sql, sql); }
        }
        """,
        {(CACHE, 1), (CACHE, 5)},
    ),
    (
        "list.ts",
        "findMany without take, SQL without LIMIT; paged and filtered reads are fine",
        """
        export async function all() {
          const a = await prisma.task.findMany();
          const b = await prisma.task.findMany({ orderBy: { createdAt: "desc" } });
          const c = await pool.query("SELECT * FROM tasks ORDER BY created_at");
          const d = await prisma.task.findMany({ take: 50 });
          const e = await prisma.task.findMany({ where: { ownerId } });
          const f = await pool.query("SELECT * FROM tasks LIMIT 50");
          return [a, b, c, d, e, f];
        }
        """,
        {(PAGE, 2), (PAGE, 3), (PAGE, 4)},
    ),
    (
        "bus.ts",
        "syncDelivery option and a plain emit loop",
        """
        class EventBus {
          emit(event: Event) {
            for (const subscription of this.subscriptions) {
              if (this.config.syncDelivery) {
                subscription.handler(event);
              } else {
                setImmediate(() => subscription.handler(event));
              }
            }
          }
        }
        class Emitter {
          emit(name, ...args) {
            for (const listener of this.listeners[name] || []) listener(...args);
          }
          publish(e) { this.queue.push(e); }
          fire(e) { this.listeners.forEach((l) => setImmediate(() => l(e))); }
        }
        """,
        {(SYNC, 5), (SYNC, 14)},
    ),
]


@pytest.mark.parametrize(("source", "expected"), [(c[1], c[2]) for c in PYTHON], ids=[c[0] for c in PYTHON])
def test_python(tmp_path: Path, source: str, expected: set[tuple[str, int]]) -> None:
    assert {(rule, line) for rule, _, line in findings(tmp_path, {"app/mod.py": source})} == expected


@pytest.mark.parametrize(
    ("name", "source", "expected"), [(c[0], c[2], c[3]) for c in SCRIPTS], ids=[c[1] for c in SCRIPTS]
)
def test_scripts(tmp_path: Path, name: str, source: str, expected: set[tuple[str, int]]) -> None:
    assert {(rule, line) for rule, _, line in findings(tmp_path, {f"src/{name}": source})} == expected


def test_only_source_files_count(tmp_path: Path) -> None:
    code = "import time\nasync def f():\n    time.sleep(1)\n"
    assert findings(tmp_path, {"tests/test_a.py": code, "app/a.py": code}) == {(BLOCK, "app/a.py", 3)}


def test_messages_name_what_was_seen(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(
        "from functools import lru_cache\n@lru_cache(maxsize=None)\ndef f(x):\n    return x\n"
    )
    data, _ = scan(tmp_path)
    (finding,) = [f for f in run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)})
                  if f.rule == CACHE]  # fmt: skip
    assert "f is cached with lru_cache(maxsize=None)" in finding.message
    assert finding.recommendation and finding.effort_hours > 0


@pytest.mark.parametrize(
    "source",
    [
        "",
        "x = (",
        "@decorator(arg)\nasync def f(*a, **k):\n    (lambda: time.sleep(1))()\n    d[0]()()\n",
        "for (const x of y) { }\n",
    ],
)
def test_odd_input_does_not_crash(tmp_path: Path, source: str) -> None:
    (tmp_path / "a.py").write_text(source)
    (tmp_path / "b.js").write_text(source)
    _, warnings = scan(tmp_path)
    assert not warnings
