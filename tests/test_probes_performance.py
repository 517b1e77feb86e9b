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
        "one query per table (the loop variable names the table) is not N+1",
        """
        def counts(conn, tables):
            for table in tables:
                conn.execute(f"select count(*) from [{table}]").fetchone()
                sql = "SELECT * FROM " + table + " WHERE id = ?"
                conn.execute(sql, (1,)).fetchone()
            for user_id in tables:
                conn.execute(f"SELECT name FROM users WHERE id = {user_id}").fetchone()
        """,
        {(LOOP, 7)},
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
        "two-level cache evicted by a file watcher of the module",
        """
        class Manager:
            def __init__(self):
                self.digest_cache = {}

            def digest(self, algo, path):
                cache = self.digest_cache.setdefault(algo, {})
                cache[path] = compute(path)
                return cache[path]

        class Handler:
            def __init__(self, manager):
                self.manager = manager

            def dispatch(self, event):
                for _, sub in self.manager.digest_cache.items():
                    sub.pop(event.src_path, None)
        """,
        set(),
    ),
    (
        "another class's dict of the same name evicted does not count for a module-level cache",
        """
        _cache = {}

        def resolve(name):
            _cache[name] = name.upper()
            return _cache[name]

        class Other:
            def drop(self, key):
                self.other.pop(key)
        """,
        {(CACHE, 1)},
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
            conn.execute("SELECT owner, SUM(points) FROM tasks GROUP BY owner").fetchall()
            conn.execute("SELECT version FROM schema_migrations").fetchall()
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
        "sync fs, execSync and better-sqlite3 statements in route handlers and the functions they call",
        """
        import fs from "fs";
        import { execSync } from "child_process";
        import Database from "better-sqlite3";
        export async function load(path: string): Promise<string> {
          return fs.readFileSync(path, "utf8");
        }
        app.post("/deploy", (req, res) => {
          execSync("make deploy");
          res.send(load("x"));
        });
        class Store {
          async run(sql: string, ...params: unknown[]) {
            const stmt = this.getCachedStatement(sql);
            return stmt.run(...params);
          }
        }
        const store = new Store();
        router.get("/items", async (req, res) => res.json(await store.run("SELECT 1")));
        """,
        {(BLOCK, 5), (BLOCK, 8), (BLOCK, 14)},
    ),
    (
        "boot.js",
        "sync calls at start-up, in routes registered only in development, and in functions no handler calls",
        """
        const fs = require("fs");
        const { isDev } = require("./util");
        async function connect() {
          if (!fs.existsSync("data")) fs.mkdirSync("data");
          return fs.readFileSync("data/config.json", "utf8");
        }
        if (isDev) {
          app.get("/_e2e/reset", async (req, res) => { fs.rmSync("data", { recursive: true }); res.send("ok"); });
        }
        app.get("/health", (req, res) => res.send("ok"));
        connect().then(() => app.listen(3000));
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
        "counts.js",
        "one query per table in a template literal is not N+1; a lookup per id is",
        """
        async function counts(tables, ids) {
          for (const table of tables) {
            await pool.query(`SELECT COUNT(*) FROM ${table}`);
          }
          for (const id of ids) {
            await pool.query(`SELECT * FROM users WHERE id = ${id}`);
          }
        }
        """,
        {(LOOP, 6)},
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

REQUEST_PATHS = [
    (
        "bcrypt in a login socket handler, two files away",
        {
            "server/hash.js": """
            const bcrypt = require("bcryptjs");
            exports.verify = function (password, hash) {
              return bcrypt.compareSync(password, hash);
            };
            """,
            "server/auth.js": """
            const hash = require("./hash");
            exports.login = async function (user, password) {
              const row = await db.findUser(user);
              return row && hash.verify(password, row.password);
            };
            """,
            "server/server.js": """
            const { login } = require("./auth");
            io.on("connection", (socket) => {
              socket.on("login", async (data, callback) => {
                callback(await login(data.username, data.password));
              });
            });
            """,
        },
        {(BLOCK, "server/hash.js", 3, "confirmed")},
    ),
    (
        "a route handler passed by reference; a stat on the request path is no finding (microseconds on a local disk)",
        {
            "src/auth.ts": """
            import * as fs from "fs";
            import { hashSync } from "bcrypt";
            export function apiAuth(req, res, next) {
              if (fs.existsSync("/run/maintenance")) return res.sendStatus(503);
              req.key = hashSync(req.headers.key, 10);
              next();
            }
            """,
            "src/routes.ts": """
            import express from "express";
            import { apiAuth } from "./auth";
            const router = express.Router();
            router.get("/metrics", apiAuth, (req, res) => res.send("ok"));
            """,
        },
        {(BLOCK, "src/auth.ts", 5, "confirmed")},
    ),
    (
        "handlers wrapped in a helper or listed in an array; handlers exported from a controller and passed by name",
        {
            "server/handlers/files.js": """
            const fs = require("fs");
            exports.download = async (req, res) => {
              res.send(fs.readFileSync(`uploads/${req.params.name}`));
            };
            """,
            "server/routes.js": """
            const { Router } = require("express");
            const zlib = require("zlib");
            const files = require("./handlers/files");
            const asyncHandler = (fn) => (req, res, next) => fn(req, res, next).catch(next);
            const router = Router();
            router.get("/files/:name", asyncHandler(files.download));
            router.post("/pack", [asyncHandler(async (req, res) => res.send(zlib.gzipSync(req.body)))]);
            module.exports = router;
            """,
        },
        {(BLOCK, "server/handlers/files.js", 3, "confirmed"), (BLOCK, "server/routes.js", 7, "confirmed")},
    ),
    (
        "a first-run setup route is walked once (no finding); the same helper on an ordinary route is confirmed",
        {
            "src/config.js": """
            const fs = require("fs");
            function saveConfig(config) {
              fs.writeFileSync("data/config.json", JSON.stringify(config));
            }
            function saveTheme(theme) {
              fs.writeFileSync("data/theme.json", JSON.stringify(theme));
            }
            module.exports = { saveConfig, saveTheme };
            """,
            "src/setup.js": """
            const express = require("express");
            const { saveConfig, saveTheme } = require("./config");
            const app = express();
            app.post("/setup", (req, res) => { saveConfig(req.body); res.sendStatus(204); });
            app.post("/api/install/theme", (req, res) => { saveTheme(req.body); res.sendStatus(204); });
            app.put("/api/theme", (req, res) => { saveTheme(req.body); res.sendStatus(204); });
            """,
        },
        {(BLOCK, "src/config.js", 6, "confirmed")},
    ),
    (
        "Python: an async route's helper reads a file; the same helper handed to a thread; a sync route",
        {
            "app/storage.py": """
            def load(name):
                with open(name) as fh:
                    return fh.read()
            """,
            "app/views.py": """
            import asyncio
            from .storage import load
            @app.get("/report")
            async def report(request):
                return load("report.txt")
            @app.get("/offloaded")
            async def offloaded(request):
                return await asyncio.to_thread(load, "report.txt")
            @app.get("/plain")
            def plain(request):
                with open("plain.txt") as fh:
                    return fh.read()
            """,
        },
        {(BLOCK, "app/storage.py", 2, "confirmed")},
    ),
    (
        "synchronous SQLite on the request path: a sqlite3 connection's queries, better-sqlite3's exec",
        {
            "app/store.py": """
            import sqlite3
            class Store:
                def __init__(self, path):
                    self.conn = sqlite3.connect(path, check_same_thread=False)
                def items(self, owner):
                    cur = self.conn.cursor()
                    cur.execute("SELECT * FROM items WHERE owner = ?", (owner,))
                    return cur.fetchall()
            store = Store("data.db")
            @routes.get("/items")
            async def items(request):
                return store.items(request.query["owner"])
            """,
            "src/db.js": """
            const Database = require("better-sqlite3");
            const db = new Database("data.db");
            app.post("/reset", (req, res) => {
              db.exec("DELETE FROM items");
              res.sendStatus(204);
            });
            """,
        },
        {
            (BLOCK, "app/store.py", 7, "confirmed"),
            (BLOCK, "app/store.py", 8, "confirmed"),
            (BLOCK, "src/db.js", 4, "confirmed"),
        },
    ),
    (
        "a read that runs only while a file does not exist yet (first creation) and a stat are no findings",
        {
            "src/store.js": """
            const { existsSync, readFileSync } = require("node:fs");
            function groupDb(path) {
              const needsInit = !existsSync(path);
              const db = open(path);
              if (needsInit) {
                db.exec(readFileSync("sql/init.sql", "utf8"));
              }
              if (!existsSync(path + ".keys")) {
                writeKeys(readFileSync("keys.tpl", "utf8"));
              }
              return db.exec(readFileSync("sql/check.sql", "utf8"));
            }
            app.post("/sync", (req, res) => res.send(groupDb(req.body.path)));
            """,
        },
        {
            (BLOCK, "src/store.js", 11, "confirmed"),
        },
    ),
    (
        "a read after 'if (kept) return kept' that stores into it runs once; entry changes are metadata: no findings",
        {
            "src/html.js": """
            const fs = require("fs");
            let cachedHtml;
            function baseHtml() {
              if (cachedHtml) {
                return cachedHtml;
              }
              cachedHtml = fs.readFileSync("public/index.html", "utf-8");
              return cachedHtml;
            }
            function other() {
              if (ready) {
                return "x";
              }
              ready = true;
              return fs.readFileSync("public/other.html", "utf-8");
            }
            app.get("/", (req, res) => {
              fs.mkdirSync("uploads", { recursive: true });
              res.send(baseHtml() + other());
            });
            """,
        },
        {
            (BLOCK, "src/html.js", 15, "confirmed"),
        },
    ),
    (
        "a read whose result is kept runs once (no finding); a read on every request is confirmed",
        {
            "src/pages.js": """
            const fs = require("fs");
            let indexHtml;
            const sqlCache = new Map();
            function sql(name) {
              let text = sqlCache.get(name);
              if (text === undefined) {
                text = fs.readFileSync(`sql/${name}.sql`, "utf8");
                sqlCache.set(name, text);
              }
              return text;
            }
            app.get("*", (req, res) => {
              if (!indexHtml) indexHtml = fs.readFileSync("dist/index.html", "utf8");
              res.send(indexHtml + sql("stats") + fs.readFileSync("dist/footer.html", "utf8"));
            });
            """,
            "app/views.py": """
            class Page(View):
                async def get(self, request):
                    if not hasattr(self, "_css"):
                        with open("static/app.css") as fh:
                            self._css = fh.read()
                    if self._logo is None:
                        self._banner = open("static/banner.txt").read()
                    return self._css
            """,
        },
        {
            (BLOCK, "src/pages.js", 14, "confirmed"),
            (BLOCK, "app/views.py", 7, "confirmed"),
        },
    ),
    (
        "Python: ASGI apps, asyncio protocols and views; lifespan handlers and coroutines no handler calls",
        {
            "app/server.py": """
            import time, subprocess
            class App:
                async def __call__(self, scope, receive, send):
                    self.render()
                def render(self):
                    return subprocess.run(["date"], check=True)
            class Lifespan:
                async def __call__(self, scope, receive, send):
                    time.sleep(1)
            class Echo(asyncio.Protocol):
                def data_received(self, data):
                    time.sleep(0.1)
            class Page(HTTPEndpoint):
                async def get(self, request):
                    time.sleep(0.1)
            async def warm_up():
                time.sleep(1)
            """,
        },
        {
            (BLOCK, "app/server.py", 6, "confirmed"),
            (BLOCK, "app/server.py", 12, "confirmed"),
            (BLOCK, "app/server.py", 15, "confirmed"),
            (BLOCK, "app/server.py", 9, "possible"),
            (BLOCK, "app/server.py", 17, "possible"),
        },
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


GRADED = [
    (
        "caches filled from files on disk are left to review (possible); small tables by design are not reported",
        {
            "app/sql.py": """
            _query_cache = {}
            def query(name):
                if name not in _query_cache:
                    with open(f"sql/{name}.sql") as fh:
                        _query_cache[name] = fh.read()
                return _query_cache[name]
            def settings(conn):
                return conn.execute("SELECT key, value FROM settings").fetchall()
            """,
            "src/loader.ts": """
            import { readFileSync } from "fs";
            const scriptCache = new Map<string, string>();
            export function script(name: string): string {
              if (!scriptCache.has(name)) scriptCache.set(name, readFileSync(`lua/${name}.lua`, "utf8"));
              return scriptCache.get(name)!;
            }
            """,
        },
        {(CACHE, "app/sql.py", 1, "possible"), (CACHE, "src/loader.ts", 2, "possible")},
    ),
    (
        "a statement cache is not a statement: its get() does not run SQL",
        {
            "src/store.ts": """
            import Database from "better-sqlite3";
            export class Store {
              private statementCache = new Map();
              prepared(sql: string) {
                const stmt = this.statementCache.get(sql);
                return stmt.get(1);
              }
            }
            const store = new Store();
            app.get("/one", (req, res) => res.json(store.prepared("SELECT 1")));
            """,
        },
        {(BLOCK, "src/store.ts", 6, "confirmed")},
    ),
]


@pytest.mark.parametrize(("files", "expected"), [(c[1], c[2]) for c in GRADED], ids=[c[0] for c in GRADED])
def test_graded(tmp_path: Path, files: dict[str, str], expected: set[tuple[str, str, int, str]]) -> None:
    """Every performance finding with its confidence."""
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    data, _ = scan(tmp_path)
    found = run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)})
    assert {(f.rule, f.path, f.line, f.confidence) for f in found if f.rule.startswith("performance.")} == expected


@pytest.mark.parametrize(
    ("files", "expected"), [(c[1], c[2]) for c in REQUEST_PATHS], ids=[c[0] for c in REQUEST_PATHS]
)
def test_request_paths(tmp_path: Path, files: dict[str, str], expected: set[tuple[str, str, int, str]]) -> None:
    """Blocking calls count on the request path of an event loop, across files; the confidence says how sure."""
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    data, _ = scan(tmp_path)
    found = run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)})
    assert {(f.rule, f.path, f.line, f.confidence) for f in found if f.rule == BLOCK} == expected


def test_request_path_is_named_in_the_message(tmp_path: Path) -> None:
    files = REQUEST_PATHS[0][1]
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    data, _ = scan(tmp_path)
    (finding,) = [f for f in run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)}) if f.rule == BLOCK]
    assert finding.message.startswith(
        "bcrypt.compareSync blocks the event loop on the request path ('login' handler of socket at "
        "server/server.js:3, through login and verify)"
    )


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
