"""Data-durability probes: a snippet in, exact (rule, line) findings out, for Python and JS/TS.

Where the findings land: a collection on its definition; a transaction on the statement that opens it
(``with conn:``, ``with session.begin()``, ``@transaction.atomic``, ``$transaction(``, ``BEGIN``; the
``commit()`` for commit-style transactions) and on each write inside it; a multi-step write on the
second write; a file write on the ``open``/``write_text``/``writeFile`` call, when it writes data
(serialised content, or a target named like a data file: ``state``, ``config``, ``.json`` ...); a
read-modify-write on the read. Decisions: writes with no commit in the function are not flagged (the
caller may commit them together); instance collections count only when their object lives as long as
the process (it owns a lock, is created at module level, or is a service object such as a
``RateLimiter`` or ``KnowledgeBase``); names such as ``*cache*`` are left to the performance probes;
registries (``HANDLERS``, ``routes``, ``listeners``, or filled by a decorator that returns its argument, or
by a ``register()`` method) and collections filled only at import time (also in a callback that runs once
while the module loads, ``fs.readdir``), in a constructor (an ES5 ``function Cache() { this.x ... }`` too) or
by a signal handler are not "growing"; a collection passed to another function, read from outside its class,
or trimmed through its holder in another file (``delete server.sessions[id]``) may be bounded there and is
not flagged; a map whose keys are removed only under a configuration option (``if (conf.deleteX) delete
...``) and otherwise reset in place is flagged, to review, at the reset. Working state (``trackedJobs``,
``active``, ``running``) is not a store. Transactions, multi-step writes and migrations in context are in
``test_probes_durability_writes.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_probes_errors import findings, lines, scanned

IN_MEMORY = "durability.in-memory-state"
UNBOUNDED = "durability.unbounded-collection"
TX = "durability.transaction"
MULTI = "durability.multi-step-write-outside-transaction"
MIGRATIONS = "durability.migrations"
NO_MIGRATIONS = "durability.no-migrations"
WAL = "durability.sqlite-wal"
POOL = "durability.connection-pool"
NON_ATOMIC = "durability.non-atomic-write"
RMW = "durability.read-modify-write-without-lock"
ATOMIC = "durability.atomic-write"

PERSISTENCE = {"app/db.py": "import sqlite3\n"}


def run(tmp_path: Path, files: dict[str, str]) -> set[tuple[str, int | None]]:
    return lines(findings(tmp_path, files, prefix="durability."))


PYTHON_CASES = [
    (
        "module-list-appended",
        """
        EVENTS = []
        def record(e):
            EVENTS.append(e)
        """,
        {(UNBOUNDED, 1)},
    ),
    (
        "instance-dict-keyed",
        """
        class Limiter:
            def __init__(self):
                self._buckets: dict[str, float] = {}
            def allow(self, client):
                self._buckets[client] = self._buckets.get(client, 0) + 1
        """,
        {(UNBOUNDED, 3)},
    ),
    (
        "class-attribute-list",
        """
        class Metrics:
            samples = []
            def observe(self, v):
                self.samples.append(v)
        """,
        {(UNBOUNDED, 2)},
    ),
    (
        "deque-with-maxlen",
        """
        import collections
        RECENT = collections.deque(maxlen=50)
        def record(e):
            RECENT.append(e)
        """,
        set(),
    ),
    (
        "popped",
        """
        QUEUE = []
        def put(x):
            QUEUE.append(x)
        def get():
            return QUEUE.pop(0)
        """,
        set(),
    ),
    (
        "length-checked",
        """
        BATCH = []
        def add(x, flush):
            BATCH.append(x)
            if len(BATCH) > 100:
                flush()
        """,
        set(),
    ),
    (
        "trimmed-by-reassignment",
        """
        class Log:
            def __init__(self):
                self.lines = []
            def add(self, line):
                self.lines.append(line)
                self.lines = self.lines[-100:]
        """,
        set(),
    ),
    (
        "filled-only-at-import",
        """
        TABLE = {}
        for k in ("a", "b"):
            TABLE[k] = len(k)
        """,
        set(),
    ),
    (
        "filled-only-in-constructor",
        """
        class Router:
            def __init__(self, routes):
                self.table = {}
                for r in routes:
                    self.table[r.path] = r
            def match(self, p):
                return self.table.get(p)
        """,
        set(),
    ),
    (
        "registry-name",
        """
        HANDLERS = {}
        def register(name):
            def deco(fn):
                HANDLERS[name] = fn
                return fn
            return deco
        """,
        set(),
    ),
    (
        "cache-name-left-to-performance",
        """
        _cache = {}
        def get(k, load):
            if k not in _cache:
                _cache[k] = load(k)
            return _cache[k]
        """,
        set(),
    ),
    (
        "passed-elsewhere",
        """
        class Buffer:
            def __init__(self, sink):
                self.items = []
                self.sink = sink
            def add(self, x):
                self.items.append(x)
                self.sink.drain(self.items)
        """,
        set(),
    ),
    (
        "look-alike-local-list",
        """
        def collect(xs):
            out = []
            for x in xs:
                out.append(x)
            return out
        """,
        set(),
    ),
    (
        "appended-by-a-signal-handler",
        """
        import signal
        class Server:
            def __init__(self):
                self._lock = __import__("threading").Lock()
                self.received = []
            def install(self):
                signal.signal(signal.SIGTERM, self.on_signal)
            def on_signal(self, sig, frame):
                self.received.append(sig)
        """,
        set(),
    ),
    (
        "filled-by-register",
        """
        class Scheduler:
            def __init__(self):
                self._jobs = []
            def register(self, func, every):
                self._jobs.append((func, every))
        """,
        set(),
    ),
    (
        "appended-by-a-request",
        """
        class Scheduler:
            def __init__(self):
                self._runs = []
            def record(self, run):
                self._runs.append(run)
        """,
        {(UNBOUNDED, 3)},
    ),
]


@pytest.mark.parametrize("code,expected", [c[1:] for c in PYTHON_CASES], ids=[c[0] for c in PYTHON_CASES])
def test_python_collections(tmp_path: Path, code: str, expected: set[tuple[str, int]]):
    assert run(tmp_path, {"app/mod.py": code}) == expected


STORE = """
    class SessionStore:
        def __init__(self):
            self._sessions = {}
        def put(self, sid, user):
            self._sessions[sid] = user
        def get(self, sid):
            return self._sessions.get(sid)
        def drop(self, sid):
            self._sessions.pop(sid, None)
    """


def test_in_memory_store_with_persistence_elsewhere(tmp_path: Path):
    assert run(tmp_path, {"app/store.py": STORE, **PERSISTENCE}) == {(IN_MEMORY, 3)}


def test_in_memory_store_without_persistence_is_fine(tmp_path: Path):
    assert run(tmp_path, {"app/store.py": STORE}) == set()


def test_fake_store_and_write_through_cache_are_fine(tmp_path: Path):
    fake = STORE.replace("class SessionStore", "class InMemorySessionStore")
    write_through = STORE.replace(
        "self._sessions[sid] = user", "self._sessions[sid] = user\n        self.db.save(user)"
    )
    assert run(tmp_path, {"app/fake.py": fake, "app/wt.py": write_through, **PERSISTENCE}) == set()


TX_CASES = [
    (
        "with-conn",
        """
        def add(conn, a, b):
            with conn:
                conn.execute("INSERT INTO a VALUES (?)", (a,))
                conn.execute("UPDATE b SET n = n + 1 WHERE id = ?", (b,))
        """,
        {(TX, 2), (TX, 3), (TX, 4)},
    ),
    (
        "commit-after-two-writes",
        """
        def move(conn, a, b):
            conn.execute("UPDATE acc SET bal = bal - 1 WHERE id = ?", (a,))
            conn.execute("UPDATE acc SET bal = bal + 1 WHERE id = ?", (b,))
            conn.commit()
        """,
        {(TX, 2), (TX, 3), (TX, 4)},
    ),
    (
        "commit-between-writes",
        """
        def rename(conn, i, t):
            conn.execute("UPDATE notes SET t = ? WHERE id = ?", (t, i))
            conn.commit()
            conn.execute("INSERT INTO history (id) VALUES (?)", (i,))
            conn.commit()
        """,
        {(MULTI, 4)},
    ),
    (
        "helper-that-writes",
        """
        class Store:
            def _audit(self, conn, i):
                conn.execute("INSERT INTO audit (id) VALUES (?)", (i,))
                conn.commit()
            def update(self, conn, i):
                conn.execute("UPDATE t SET x = 1 WHERE id = ?", (i,))
                conn.commit()
                self._audit(conn, i)
        """,
        {(MULTI, 8)},
    ),
    (
        "helper-commits-both",
        """
        class Store:
            def _audit(self, conn, i):
                conn.execute("INSERT INTO audit (id) VALUES (?)", (i,))
                conn.commit()
            def update(self, conn, i):
                conn.execute("UPDATE t SET x = 1 WHERE id = ?", (i,))
                self._audit(conn, i)
        """,
        set(),
    ),
    (
        "no-commit-left-to-caller",
        """
        def purge(conn):
            conn.execute("DELETE FROM a")
            conn.execute("DELETE FROM b")
        """,
        set(),
    ),
    (
        "select-is-not-a-write",
        """
        def read(conn):
            conn.execute("SELECT 1")
            conn.commit()
            conn.execute("UPDATE t SET seen = 1")
        """,
        set(),
    ),
    (
        "sqlalchemy-session-begin",
        """
        def place(Session, order, payment):
            with Session.begin() as session:
                session.add(order)
                session.add(payment)
        """,
        {(TX, 2), (TX, 3), (TX, 4)},
    ),
    (
        "sqlalchemy-two-commits",
        """
        def place(session, order, payment):
            session.add(order)
            session.commit()
            session.add(payment)
            session.commit()
        """,
        {(MULTI, 4)},
    ),
    (
        "sqlalchemy-core-chain",
        """
        from sqlalchemy import delete, insert
        def purge(engine, T, U):
            with engine.begin() as conn:
                conn.execute(delete(T).where(T.id == 1))
                conn.execute(insert(U).values(x=1))
        """,
        {(TX, 3), (TX, 4), (TX, 5)},
    ),
    (
        "django-atomic-decorator",
        """
        from django.db import transaction
        @transaction.atomic
        def pay(invoice, Payment):
            invoice.save()
            Payment.objects.create(invoice=invoice)
        """,
        {(TX, 2), (TX, 4), (TX, 5)},
    ),
    (
        "django-autocommit",
        """
        from django.db import transaction
        def pay(invoice, Payment):
            invoice.save()
            Payment.objects.create(invoice=invoice)
        """,
        {(MULTI, 4)},
    ),
    (
        "lock-is-not-a-transaction",
        """
        def f(conn, lock):
            with lock:
                conn.execute("UPDATE t SET x = 1")
        """,
        set(),
    ),
]


@pytest.mark.parametrize("code,expected", [c[1:] for c in TX_CASES], ids=[c[0] for c in TX_CASES])
def test_python_transactions(tmp_path: Path, code: str, expected: set[tuple[str, int]]):
    assert run(tmp_path, {"app/mod.py": code}) == expected


FILE_CASES = [
    (
        "open-w",
        """
        import json
        def save(path, state):
            with open(path, "w", encoding="utf-8") as fh:
                json.dump(state, fh)
        """,
        {(NON_ATOMIC, 3)},
    ),
    (
        "write-text-of-state-file",
        """
        def save(state_path, text):
            state_path.write_text(text)
        """,
        {(NON_ATOMIC, 2)},
    ),
    (
        "not-a-data-file",
        """
        def render(readme, text):
            readme.write_text(text)
            with open(readme.with_suffix(".html"), "w") as fh:
                fh.write(text.upper())
        """,
        set(),
    ),
    (
        "serialised-content-makes-it-data",
        """
        import yaml
        def dump(out, doc):
            fh = open(out, "w")
            yaml.safe_dump(doc, fh)
            fh.close()
        """,
        {(NON_ATOMIC, 3)},
    ),
    (
        "temp-then-replace",
        """
        import os
        def save(path, text):
            tmp = path + ".tmp"
            with open(tmp, "w") as fh:
                fh.write(text)
            os.replace(tmp, path)
        """,
        {(ATOMIC, 4)},
    ),
    (
        "append-and-log-are-fine",
        """
        def log(path, log_path, line):
            with open(path, "a") as fh:
                fh.write(line)
            with open(log_path, "w") as fh:
                fh.write(line)
        """,
        set(),
    ),
    (
        "read-modify-write",
        """
        import json
        def bump(path):
            with open(path) as fh:
                data = json.load(fh)
            data["n"] += 1
            with open(path, "w") as fh:
                json.dump(data, fh)
        """,
        {(RMW, 3), (NON_ATOMIC, 6)},
    ),
    (
        "read-modify-write-under-lock",
        """
        import json
        from filelock import FileLock
        def bump(p):
            with FileLock(str(p) + ".lock"):
                data = json.loads(p.read_text())
                p.write_text(json.dumps(data))
        """,
        {(NON_ATOMIC, 6)},
    ),
    (
        "read-modify-replace-without-lock",
        """
        import json
        def bump(p):
            data = json.loads(p.read_text())
            tmp = p.with_suffix(".tmp")
            tmp.write_text(json.dumps(data))
            tmp.replace(p)
        """,
        {(RMW, 3), (ATOMIC, 5)},
    ),
    (
        "str-replace-is-not-a-rename",
        """
        def save(config_path, text):
            with open(config_path, "w") as fh:
                fh.write(text.replace("a", "b"))
        """,
        {(NON_ATOMIC, 2)},
    ),
]


@pytest.mark.parametrize("code,expected", [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES])
def test_python_files(tmp_path: Path, code: str, expected: set[tuple[str, int]]):
    assert run(tmp_path, {"app/mod.py": code}) == expected


def test_python_settings_and_schema(tmp_path: Path):
    code = '''
        """Docstring that mentions CREATE TABLE is not a schema."""
        import sqlite3
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool
        SCHEMA = "CREATE TABLE IF NOT EXISTS t (id INTEGER)"
        engine = create_engine("postgresql://db/app", pool_size=5)
        unpooled = create_engine("sqlite://", poolclass=NullPool)
        def connect(path):
            conn = sqlite3.connect(path)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            return conn
        '''
    assert run(tmp_path, {"app/db.py": code}) == {(POOL, 6), (WAL, 10), (NO_MIGRATIONS, None)}


def test_schema_only_in_tests_is_fine(tmp_path: Path):
    test = 'def test_x(conn):\n    conn.execute("CREATE TABLE t (id INTEGER)")\n'
    assert run(tmp_path, {"tests/test_db.py": test}) == set()


MARKERS = [
    "alembic.ini", "migrations/env.py", "app/migrations/0001_initial.py",
    "prisma/migrations/20240101_init/migration.sql", "knexfile.js", "db/migration/V1__init.sql",
    "migrations/20240101000000-create-user.js",
]  # fmt: skip


@pytest.mark.parametrize("marker", MARKERS)
def test_migrations(tmp_path: Path, marker: str):
    schema = {"app/db.py": 'SCHEMA = "CREATE TABLE t (id INTEGER)"\n'}
    assert run(tmp_path, {marker: "# migration\n", **schema}) == {(MIGRATIONS, 1)}


def test_migration_docs_are_not_migrations(tmp_path: Path):
    files = {"docs/migrations.md": "# Migrations\n", "app/db.py": 'SCHEMA = "CREATE TABLE t (id INTEGER)"\n'}
    assert run(tmp_path, files) == {(NO_MIGRATIONS, None)}


JS_CASES = [
    (
        "es5-constructor-registers-itself",
        "src/cache.js",
        """
        let instances = [];
        function ApiCache() {
          this.options = {};
          instances.push(this);
        }
        module.exports = new ApiCache();
        """,
        set(),
    ),
    (
        "filled-once-at-load",
        "src/css.js",
        """
        const fs = require("fs");
        const names = [];
        fs.readdir("custom/css", (err, files) => {
          files.forEach((file) => names.push(file));
        });
        """,
        set(),
    ),
    (
        "filled-by-each-request",
        "src/log.js",
        """
        const app = require("express")();
        const hits = [];
        app.get("/", (req, res) => { hits.push(req.ip); res.end(); });
        """,
        {(UNBOUNDED, 2)},
    ),
    (
        "trimmed-only-when-configured",
        "src/stats.js",
        """
        let counters = {};
        function onPacket(key) { counters[key] = (counters[key] || 0) + 1; }
        function flush(conf, emit) {
          const snapshot = { counters: counters };
          emit(snapshot);
          for (const key in snapshot.counters) {
            if (conf.deleteCounters) {
              delete snapshot.counters[key];
            } else {
              snapshot.counters[key] = 0;
            }
          }
        }
        """,
        {(UNBOUNDED, 10)},
    ),
    (
        "trimmed-always",
        "src/stats.js",
        """
        let counters = {};
        function onPacket(key) { counters[key] = (counters[key] || 0) + 1; }
        function flush(emit) {
          const snapshot = { counters: counters };
          emit(snapshot);
          for (const key in snapshot.counters) {
            delete snapshot.counters[key];
          }
        }
        """,
        set(),
    ),
    (
        "working-set-of-in-flight-jobs",
        "src/lock-manager.ts",
        """
        import Redis from "ioredis";
        export class LockManager {
          private trackedJobs = new Map<string, string>();
          track(id: string, token: string) { this.trackedJobs.set(id, token); }
          token(id: string) { return this.trackedJobs.get(id); }
          untrack(id: string) { this.trackedJobs.delete(id); }
        }
        """,
        set(),
    ),
    (
        "kb-map-ts",
        "src/kb.ts",
        """
        import { Pool } from "pg";
        export class KnowledgeBase {
          private entries = new Map<string, string>();
          save(id: string, e: string): void { this.entries.set(id, e); }
          get(id: string): string | undefined { return this.entries.get(id); }
        }
        """,
        {(IN_MEMORY, 3), (UNBOUNDED, 3)},
    ),
    (
        "module-array-pushed",
        "src/a.js",
        """
        const events = [];
        function record(e) { events.push(e); }
        """,
        {(UNBOUNDED, 1)},
    ),
    (
        "array-trimmed-by-length-check",
        "src/a.js",
        """
        class Batcher {
          constructor() { this.items = []; }
          add(x) {
            this.items.push(x);
            if (this.items.length >= 10) this.items.splice(0);
          }
        }
        """,
        set(),
    ),
    (
        "length-arithmetic-is-not-a-bound",
        "src/a.js",
        """
        class History {
          steps = [];
          push(s) { this.steps.push(s); }
          last() { return this.steps[this.steps.length - 1]; }
        }
        """,
        {(UNBOUNDED, 2)},
    ),
    (
        "set-with-delete",
        "src/a.js",
        """
        const seen = new Set();
        function mark(id) { seen.add(id); setTimeout(() => seen.delete(id), 1000); }
        """,
        set(),
    ),
    (
        "write-file-sync",
        "src/a.js",
        """
        const fs = require("fs");
        function save(p, s) { fs.writeFileSync(p, JSON.stringify(s)); }
        function saveAtomic(p, s) { fs.writeFileSync(p + ".tmp", s); fs.renameSync(p + ".tmp", p); }
        """,
        {(NON_ATOMIC, 2), (ATOMIC, 3)},
    ),
    (
        "a-pool-of-sockets-is-not-a-database-pool",
        "src/a.js",
        """
        const genericPool = require("generic-pool");
        const mysql = require("mysql2");
        const sockets = genericPool.createPool({ create: () => connect(), destroy: (s) => s.end() });
        const db = mysql.createPool({ host: "db", connectionLimit: 5 });
        """,
        {(POOL, 4)},
    ),
    (
        "an-image-is-not-data",
        "src/a.js",
        """
        const fs = require("fs");
        const images = require("./images");
        function saveLogo(Database, name, buffer, uri) {
          fs.writeFile(Database.uploadDir + name, buffer, (err) => { if (err) console.log(JSON.stringify(err)); });
          images.outputFile(uri, Database.uploadDir + name);
        }
        function saveState(dataDir, state) { fs.writeFileSync(dataDir + "/state", String(state)); }
        """,
        {(NON_ATOMIC, 7)},
    ),
    (
        "read-modify-write-js",
        "src/a.js",
        """
        const fs = require("fs");
        function bump(file) {
          const d = JSON.parse(fs.readFileSync(file, "utf8"));
          d.n += 1;
          fs.writeFileSync(file, JSON.stringify(d));
        }
        """,
        {(RMW, 3), (NON_ATOMIC, 5)},
    ),
    (
        "pg-pool-and-multi-write",
        "src/a.js",
        """
        const { Pool } = require("pg");
        const pool = new Pool();
        async function transfer(a, b) {
          await pool.query("UPDATE acc SET bal = bal - 1 WHERE id = $1", [a]);
          await pool.query("UPDATE acc SET bal = bal + 1 WHERE id = $1", [b]);
        }
        """,
        {(POOL, 2), (MULTI, 5)},
    ),
    (
        "pg-begin-commit",
        "src/a.js",
        """
        async function place(client, id) {
          await client.query("BEGIN");
          await client.query("INSERT INTO orders (id) VALUES ($1)", [id]);
          await client.query("UPDATE stock SET n = n - 1");
          await client.query("COMMIT");
        }
        """,
        {(TX, 2), (TX, 3), (TX, 4)},
    ),
    (
        "prisma-transaction-callback",
        "src/a.ts",
        """
        import { PrismaClient } from "@prisma/client";
        const prisma = new PrismaClient();
        export async function checkout(u: string): Promise<void> {
          await prisma.$transaction(async (tx) => {
            await tx.order.create({ data: { u } });
            await tx.audit.create({ data: { u } });
          });
        }
        """,
        {(TX, 4), (TX, 5), (TX, 6)},
    ),
    (
        "prisma-single-write",
        "src/a.ts",
        """
        import { PrismaClient } from "@prisma/client";
        const prisma = new PrismaClient();
        export async function rename(id: string): Promise<void> {
          const user = await prisma.user.findUnique({ where: { id } });
          await prisma.user.update({ where: { id }, data: { seen: true } });
        }
        """,
        set(),
    ),
    (
        "better-sqlite3-wal-and-schema",
        "src/a.js",
        """
        const Database = require("better-sqlite3");
        const db = new Database("app.db");
        db.pragma("journal_mode = WAL");
        db.exec("CREATE TABLE IF NOT EXISTS kv (k TEXT, v TEXT)");
        """,
        {(WAL, 3), (NO_MIGRATIONS, None)},
    ),
]


@pytest.mark.parametrize("path,code,expected", [c[1:] for c in JS_CASES], ids=[c[0] for c in JS_CASES])
def test_javascript(tmp_path: Path, path: str, code: str, expected: set[tuple[str, int]]):
    assert run(tmp_path, {path: code}) == expected


def test_an_upload_stored_in_place_is_data(tmp_path: Path):
    """What a client uploads is the user's data, whatever the file is called: rewritten in place, it is lost when
    the write is cut short."""
    code = """
        const fs = require("fs/promises");
        app.post("/upload-user-file", async (req, res) => {
          await fs.writeFile(pathFor(req.headers["x-file-id"]), req.body);
          res.send("ok");
        });
        app.post("/note", async (req, res) => {
          await fs.writeFile(pathFor(req.query.id), "seen");
        });
        """
    found = {(f.rule, f.line) for f in scanned(tmp_path, {"src/app.js": code}, "durability.") if f.rule == NON_ATOMIC}
    assert found == {(NON_ATOMIC, 3)}


def test_a_file_created_when_missing_is_not_rewritten_in_place(tmp_path: Path):
    """Written only when it does not exist: to review (a crash mid-write leaves a partial file), not confirmed; read
    if it exists, else created: no read-modify-write. A file read and written back stays both."""
    code = """
        const fs = require("fs");
        function packagesConfig(p) {
          if (!fs.existsSync(p)) {
            fs.writeFileSync(p, JSON.stringify({ private: true }));
          }
        }
        function keys(keyPath) {
          let keys = null;
          if (fs.existsSync(keyPath)) {
            keys = JSON.parse(fs.readFileSync(keyPath, "utf-8"));
          }
          if (!keys) {
            keys = generate();
            fs.writeFileSync(keyPath, JSON.stringify(keys));
          }
          return keys;
        }
        function bump(statePath) {
          const state = JSON.parse(fs.readFileSync(statePath, "utf-8"));
          state.n += 1;
          fs.writeFileSync(statePath, JSON.stringify(state));
        }
        """
    found = {(f.rule, f.line, f.confidence) for f in scanned(tmp_path, {"src/files.js": code}, "durability.")
             if f.rule in (NON_ATOMIC, RMW)}  # fmt: skip
    assert found == {(NON_ATOMIC, 4, "possible"), (NON_ATOMIC, 14, "confirmed"), (RMW, 19, "confirmed"),
                     (NON_ATOMIC, 21, "confirmed")}  # fmt: skip


def test_collection_trimmed_through_its_holder_in_another_file(tmp_path: Path):
    server = """
        class Server {
          windows = {};
          open(id, w) { this.windows[id] = w; }
          get(id) { return this.windows[id]; }
        }
        module.exports = new Server();
        """
    handler = """
        const server = require("./server");
        function close(id) { delete server.windows[id]; }
        """
    assert run(tmp_path, {"src/server.js": server}) == {(UNBOUNDED, 2)}
    assert run(tmp_path / "both", {"src/server.js": server, "src/handler.js": handler}) == set()


def test_odd_files_do_not_crash(tmp_path: Path):
    from .test_probes_errors import ODD_FILES

    odd = {
        **ODD_FILES,
        "app/odd2.py": """
            X = {}
            X[0:1] = []
            del X
            Y = []
            Y += [1]
            class C:
                def __init__(self):
                    self.a = self.b = []
                    (self.c,) = ([],)
                def f(self):
                    open(*self.a, **{"mode": "w"})
                    self.a.append(1) if self.a else None
            def g(conn, *args):
                with conn, open(args[0]) as fh:
                    conn.execute(*args)
                    conn.execute(f"INSERT INTO {args[0]} VALUES (1)")
                    conn.commit()
            """,
        "src/odd2.js": "this.x = [];\nconst {a, b} = {};\nconst [c] = [];\nexport default class { m = new Map(); }\n",
    }
    findings(tmp_path, odd, prefix="durability.")
