"""Data-durability probes about writes and schemas, judged in context: a snippet (or a few files) in, exact
(rule, line, confidence) out.

Where the findings land: a transaction on the statement that opens it (a transaction handle's ``begin()``, a
Redis pipeline's ``with``, a Lua script's first write); a multi-step write on the second write, on the
``Promise.all`` that runs the writes together, or on the write that bypasses the transaction handle its function
is given; migrations on the code that runs them or configures them. Decisions: two writes in different branches
of one ``if`` (or the first in a branch that returns) never both run; writes made through a transaction handle
(``trx.exec``, ``trx("t").insert()``, a ``trx`` parameter) are the caller's transaction; writes that only delete,
and writes a caller's transaction covers (it passes its handle), are left to review (``possible``); a SQL
string must be SQL (``"update-checker"`` is not an UPDATE); a schema in a file that opens an in-memory database,
or made with a library that migrates, is not "no migrations".
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from assess.collectors.patterns import scan
from assess.model import Status
from assess.model.patterns import PatternsEvidence
from assess.probes import run_probes

TX = "durability.transaction"
MULTI = "durability.multi-step-write-outside-transaction"
MIGRATIONS = "durability.migrations"
NO_MIGRATIONS = "durability.no-migrations"
Found = set[tuple[str, str | None, int | None, str]]


def judged(tmp_path: Path, files: dict[str, str]) -> Found:
    """(rule, path, line, confidence) of the durability findings on ``files``."""
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    data, _ = scan(tmp_path)
    found = run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)})
    return {(f.rule, f.path, f.line, f.confidence) for f in found if f.rule.startswith("durability.")}


def lines(found: Found) -> set[tuple[str, int | None, str]]:
    return {(rule, line, confidence) for rule, _, line, confidence in found}


PYTHON_CASES = [
    (
        "with-conn-runs-a-statement-it-is-given",
        """
        def execute_write(conn, sql, params):
            with conn:
                return conn.execute(sql, params)
        """,
        {(TX, 2, "confirmed"), (TX, 3, "confirmed")},
    ),
    (
        "writes-in-two-branches-never-both-run",
        """
        def upsert(conn, row, exists):
            if exists:
                conn.execute("UPDATE t SET v = ? WHERE id = ?", row)
                conn.commit()
            else:
                conn.execute("INSERT INTO t (id, v) VALUES (?, ?)", row)
                conn.commit()
        """,
        set(),
    ),
    (
        "first-write-returns-early",
        """
        def upsert(conn, row, exists):
            if exists:
                conn.execute("UPDATE t SET v = ? WHERE id = ?", row)
                conn.commit()
                return
            conn.execute("INSERT INTO t (id, v) VALUES (?, ?)", row)
            conn.commit()
        """,
        set(),
    ),
    (
        "update-word-in-a-log-is-not-sql",
        """
        def check(conn, log):
            conn.execute("INSERT INTO pings (at) VALUES (1)")
            conn.commit()
            log.info("update settings for the checker")
            conn.execute("update-checker")
            conn.commit()
        """,
        set(),
    ),
    (
        "redis-pipeline-is-a-transaction",
        """
        import redis
        def enqueue(r, job_id, payload):
            with r.pipeline() as pipe:
                pipe.hset(f"job:{job_id}", mapping=payload)
                pipe.rpush("queue", job_id)
                pipe.execute()
        """,
        {(TX, 3, "confirmed")},
    ),
    (
        "redis-pipeline-without-transaction",
        """
        import redis
        def warm(r, keys):
            pipe = r.pipeline(transaction=False)
            pipe.set("a", 1)
            pipe.set("b", 2)
            pipe.execute()
        """,
        set(),
    ),
    (
        "pipeline-handed-to-helpers",
        """
        import redis
        class Worker:
            def finish(self, job):
                with self.connection.pipeline() as pipeline:
                    pipeline.multi()
                    job.save(pipeline=pipeline)
                    self.registry.remove(job, pipeline=pipeline)
                    pipeline.execute()
        """,
        {(TX, 4, "confirmed")},
    ),
    (
        "given-pipeline-ignored",
        """
        import redis
        class Registry:
            def add(self, job, score, pipeline=None):
                return self.connection.zadd(self.key, {job.id: score})
        """,
        {(MULTI, 4, "confirmed")},
    ),
    (
        "given-pipeline-used",
        """
        import redis
        class Registry:
            def add(self, job, score, pipeline=None):
                connection = pipeline if pipeline is not None else self.connection
                return connection.zadd(self.key, {job.id: score})
        """,
        set(),
    ),
]


@pytest.mark.parametrize("code,expected", [c[1:] for c in PYTHON_CASES], ids=[c[0] for c in PYTHON_CASES])
def test_python_writes(tmp_path: Path, code: str, expected: set[tuple[str, int, str]]):
    assert lines(judged(tmp_path, {"app/mod.py": code})) == expected


def test_django_writes_a_caller_runs_in_atomic_are_left_to_review(tmp_path: Path):
    services = """
        from django.db import transaction
        def pay(invoice, Payment):
            invoice.save()
            Payment.objects.create(invoice=invoice)
        """
    views = """
        from django.db import transaction
        from .services import pay
        def checkout(invoice, Payment):
            with transaction.atomic():
                pay(invoice, Payment)
        """
    found = judged(tmp_path, {"app/services.py": services, "app/views.py": views})
    assert (MULTI, "app/services.py", 4, "possible") in found
    alone = judged(tmp_path / "alone", {"app/services.py": services})
    assert (MULTI, "app/services.py", 4, "confirmed") in alone


JS_CASES = [
    (
        "log-tag-is-not-sql",
        """
        const { R } = require("redbean-node");
        async function check(log) {
          log.info("update-checker", "checking");
          log.info("update-checker", "done");
        }
        """,
        set(),
    ),
    (
        "redbean-delete-then-store",
        """
        const { R } = require("redbean-node");
        async function setTags(itemId, tags) {
          await R.exec("DELETE FROM item_tag WHERE item_id = ?", [itemId]);
          for (const tag of tags) {
            const row = R.dispense("item_tag");
            row.tag = tag;
            await R.store(row);
          }
        }
        """,
        {(MULTI, 7, "confirmed")},
    ),
    (
        "transaction-handle",
        """
        const { R } = require("redbean-node");
        async function setTags(itemId, tags) {
          const trx = await R.begin();
          try {
            await trx.exec("DELETE FROM item_tag WHERE item_id = ?", [itemId]);
            await trx.store(trx.dispense("item_tag"));
            await trx.commit();
          } catch (e) {
            await trx.rollback();
            throw e;
          }
        }
        """,
        {(TX, 3, "confirmed"), (TX, 5, "confirmed"), (TX, 6, "confirmed")},
    ),
    (
        "knex-through-a-local-module",
        """
        const knex = require("../knex");
        async function rename(id, name) {
          await knex("items").where({ id }).update({ name });
          await knex("history").insert({ id, what: "rename" });
        }
        """,
        {(MULTI, 4, "confirmed")},
    ),
    (
        "knex-upsert-in-two-branches",
        """
        const knex = require("../knex");
        async function save(row, existing) {
          if (existing) {
            await knex("items").where("id", existing.id).update(row);
          } else {
            await knex("items").insert(row);
          }
        }
        """,
        set(),
    ),
    (
        "knex-transaction-with-builder-variable",
        """
        const knex = require("../knex");
        async function bump(id) {
          return knex.transaction(async (trx) => {
            const q = trx("counters").where({ id });
            await q.increment("n", 1);
            await trx("log").insert({ id });
          });
        }
        """,
        {(TX, 3, "confirmed"), (TX, 5, "confirmed"), (TX, 6, "confirmed")},
    ),
    (
        "writes-through-a-trx-parameter-are-the-callers",
        """
        async function addLines(trx, orderId, lines) {
          await trx("order_lines").insert(lines);
          await trx("orders").where({ id: orderId }).increment("lines", lines.length);
        }
        """,
        set(),
    ),
    (
        "promise-all-of-writes",
        """
        const knex = require("knex")({});
        async function ban(userId) {
          await Promise.all([
            knex("users").where({ id: userId }).update({ banned: true }),
            knex("links").where({ user_id: userId }).update({ banned: true }),
          ]);
        }
        """,
        {(MULTI, 3, "confirmed")},
    ),
    (
        "a-write-the-code-lets-fail-is-not-part-of-a-unit",
        """
        const { R } = require("redbean-node");
        async function refresh(monitorId, info) {
          try {
            await R.exec("DELETE FROM sent_history WHERE monitor_id = ?", [monitorId]);
          } catch (e) {}
          await R.store(info);
        }
        """,
        set(),
    ),
    (
        "the-same-row-stored-twice",
        """
        const { R } = require("redbean-node");
        async function run(job, started) {
          job.cron = job.cron || "* * * * *";
          await R.store(job);
          job.last_start = started;
          await R.store(job);
        }
        """,
        set(),
    ),
    (
        "a-helper-that-stores-the-same-row",
        """
        const { R } = require("redbean-node");
        async function run(job, started) {
          const begin = async () => {
            job.last_start = started;
            await R.store(job);
          };
          job.cron = job.cron || "* * * * *";
          await R.store(job);
          await begin();
        }
        """,
        set(),
    ),
    (
        "sql-built-by-concatenation",
        """
        const { R } = require("redbean-node");
        async function purge(offset, id) {
          await R.exec("DELETE FROM heartbeat WHERE time < " + offset, [id]);
          await R.exec("UPDATE monitor SET purged = 1 WHERE id = ?", [id]);
        }
        """,
        {(MULTI, 4, "confirmed")},
    ),
    (
        "detach-then-delete-is-left-to-review",
        """
        const { R } = require("redbean-node");
        async function removeProxy(id, bean) {
          await R.exec("UPDATE monitor SET proxy_id = NULL WHERE proxy_id = ?", [id]);
          await R.trash(bean);
        }
        """,
        {(MULTI, 4, "possible")},
    ),
    (
        "deletes-only-are-left-to-review",
        """
        const { R } = require("redbean-node");
        async function wipe(id) {
          await R.exec("DELETE FROM heartbeat WHERE monitor_id = ?", [id]);
          await R.exec("DELETE FROM stat WHERE monitor_id = ?", [id]);
        }
        """,
        {(MULTI, 4, "possible")},
    ),
]


@pytest.mark.parametrize("code,expected", [c[1:] for c in JS_CASES], ids=[c[0] for c in JS_CASES])
def test_javascript_writes(tmp_path: Path, code: str, expected: set[tuple[str, int, str]]):
    assert lines(judged(tmp_path, {"src/mod.js": code})) == expected


QUERIES = {
    "src/queries/user.queries.js": """
        const knex = require("../knex");
        async function update(match, values) {
          return knex("users").where(match).update(values);
        }
        module.exports = { update };
        """,
    "src/queries/link.queries.js": """
        const knex = require("../knex");
        async function update(match, values) {
          return knex("links").where(match).update(values);
        }
        async function find(match) {
          return knex("links").where(match).first();
        }
        module.exports = { update, find };
        """,
}


def test_other_modules_writes_gathered_in_promise_all(tmp_path: Path):
    handler = """
        const query = require("../queries");
        async function ban(req) {
          const tasks = [];
          tasks.push(query.user.update({ id: req.id }, { banned: true }));
          if (req.links) {
            tasks.push(query.link.update({ user_id: req.id }, { banned: true }));
          }
          await Promise.all(tasks);
        }
        """
    found = judged(tmp_path, {**QUERIES, "src/handlers/users.js": handler})
    assert {f for f in found if f[0] == MULTI} == {(MULTI, "src/handlers/users.js", 8, "confirmed")}


def test_other_modules_reads_are_not_writes(tmp_path: Path):
    handler = """
        const query = require("../queries");
        async function show(req) {
          const user = await query.user.update({ id: req.id }, { seen: true });
          const links = await query.link.find({ user_id: req.id });
          return { user, links };
        }
        """
    assert not {f for f in judged(tmp_path, {**QUERIES, "src/handlers/users.js": handler}) if f[0] == MULTI}


def test_callee_of_a_transaction_that_gets_its_client(tmp_path: Path):
    lines_js = """
        async function addLines(client, orderId, lines) {
          await client.query("INSERT INTO order_lines (order_id) VALUES ($1)", [orderId]);
          await client.query("UPDATE orders SET n = n + 1 WHERE id = $1", [orderId]);
        }
        module.exports = { addLines };
        """
    place = """
        const { addLines } = require("./lines");
        async function place(client, orderId, lines) {
          await client.query("BEGIN");
          await addLines(client, orderId, lines);
          await client.query("COMMIT");
        }
        """
    found = judged(tmp_path, {"src/lines.js": lines_js, "src/place.js": place})
    assert (MULTI, "src/lines.js", 3, "possible") in found
    alone = judged(tmp_path / "alone", {"src/lines.js": lines_js})
    assert (MULTI, "src/lines.js", 3, "confirmed") in alone


def test_begin_with_a_mode_and_its_callees(tmp_path: Path):
    """BEGIN EXCLUSIVE TRANSACTION (or IMMEDIATE, START TRANSACTION) opens a transaction like BEGIN; the writes of
    the methods called inside it are then not confirmed multi-step writes (other callers may still call them)."""
    store = """
        class Store {
          migrate(version) {
            this.database.exec("BEGIN EXCLUSIVE TRANSACTION");
            try {
              this.steps(version);
            } catch (err) {
              this.database.exec("ROLLBACK");
              throw err;
            }
            this.database.exec("COMMIT");
          }
          steps(version) {
            this.database.prepare("UPDATE options SET value = ? WHERE name = 'schema'").run(version);
            this.database.prepare("DELETE FROM migrations WHERE version > ?").run(version);
          }
        }
        """
    found = judged(tmp_path, {"src/store.js": store})
    assert not {f for f in found if f[0] == MULTI and f[3] == "confirmed"}, found


LUA = {
    "src/commands/includes/removeLock.lua": """
        local function removeLock(jobKey, token)
          if rcall("GET", jobKey .. ":lock") == token then
            rcall("DEL", jobKey .. ":lock")
          end
        end
        """,
    "src/commands/finish-2.lua": """
        local rcall = redis.call
        --- @include "includes/removeLock"
        if rcall("EXISTS", KEYS[1]) == 1 then
          removeLock(KEYS[1], ARGV[1])
          rcall("LREM", KEYS[2], -1, ARGV[2])
          rcall("ZADD", KEYS[3], ARGV[3], ARGV[2])
        end
        """,
    "src/commands/peek-1.lua": """
        return redis.call("LRANGE", KEYS[1], 0, 10)
        """,
}


def test_lua_scripts_are_transactions(tmp_path: Path):
    found = judged(tmp_path, LUA)
    assert {(f[1], f[2]) for f in found if f[0] == TX} == {("src/commands/finish-2.lua", 4)}


MIGRATION_CASES = [
    (
        "knex-migrate-latest",
        {"src/db.js": 'const knex = require("knex")(cfg);\nasync function up() {\n  await knex.migrate.latest();\n}\n'},
        {(MIGRATIONS, "src/db.js", 3)},
    ),
    (
        "umzug-up",
        {"src/migrate.js": 'const { Umzug, SequelizeStorage } = require("umzug");\n'
                           'const umzug = new Umzug({ migrations: { glob: "migrations/*.js" }, storage });\n'
                           'async function migrate() {\n  await umzug.up();\n}\n'},
        {(MIGRATIONS, "src/migrate.js", 2), (MIGRATIONS, "src/migrate.js", 4)},
    ),
    (
        "migration-ledger-table",
        {"app/db.py": 'LEDGER = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)"\n'
                      'T = "CREATE TABLE IF NOT EXISTS notes (id INTEGER)"\n'},
        {(MIGRATIONS, "app/db.py", 1)},
    ),
    (
        "sqlite-user-version",
        {"app/db.py": 'T = "CREATE TABLE IF NOT EXISTS notes (id INTEGER)"\n'
                      'def version(conn):\n    return conn.execute("PRAGMA user_version").fetchone()\n'},
        {(MIGRATIONS, "app/db.py", 3)},
    ),
    (
        "schema-of-an-in-memory-database",
        {"app/catalog.py": 'import sqlite3\nconn = sqlite3.connect(":memory:")\n'
                           'conn.execute("CREATE TABLE tables (name TEXT)")\n'},
        set(),
    ),
    (
        "temporary-table-is-not-schema",
        {"app/db.py": 'T = "CREATE TEMP TABLE scratch (id INTEGER)"\n'},
        set(),
    ),
    (
        "schema-with-a-library-that-migrates",
        {"src/db.js": 'const knex = require("knex")(cfg);\nknex.raw("CREATE TABLE IF NOT EXISTS kv (k TEXT)");\n'},
        set(),
    ),
    (
        "schema-with-another-library",
        {"src/db.js": 'const Database = require("better-sqlite3");\nconst db = new Database("app.db");\n'
                      'db.exec("CREATE TABLE IF NOT EXISTS kv (k TEXT)");\n'},
        {(NO_MIGRATIONS, None, None)},
    ),
]


@pytest.mark.parametrize("files,expected", [c[1:] for c in MIGRATION_CASES], ids=[c[0] for c in MIGRATION_CASES])
def test_migrations_and_schema(tmp_path: Path, files: dict[str, str], expected: set[tuple[str, str, int]]):
    found = judged(tmp_path, files)
    assert {(rule, path, line) for rule, path, line, _ in found if "migrations" in rule} == expected


def test_schema_beside_in_memory_databases_elsewhere_is_left_to_review(tmp_path: Path):
    files = {"app/store.py": 'T = "CREATE TABLE IF NOT EXISTS cache (k TEXT)"\n',
             "app/conn.py": 'import sqlite3\ndef memory():\n    return sqlite3.connect(":memory:")\n'}  # fmt: skip
    assert judged(tmp_path, files) == {(NO_MIGRATIONS, None, None, "likely")}


def test_writes_of_a_numbered_migration_are_to_review(tmp_path: Path):
    """A migration runs once per database at upgrade, usually inside its runner's transaction: to review."""
    migration = """
        export const up = async function () {
          await getAccountDb().mutate("UPDATE secrets SET name = 'a' WHERE name = 'b'");
          await getAccountDb().mutate("DELETE FROM secrets WHERE name = 'c'");
        };
        """
    found = judged(tmp_path, {"migrations/1702667624000-rename-secrets.js": migration})
    multi = {(f[2], f[3]) for f in found if f[0] == MULTI}
    assert multi and all(confidence == "possible" for _, confidence in multi)

