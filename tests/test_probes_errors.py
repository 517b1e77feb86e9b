"""Error-handling probes: a snippet in, exact (rule, line) findings out, for Python and JS/TS.

Where the findings land: a swallowed exception on the ``except``/``catch`` line; a swallowed critical
startup failure on the handler's first statement (the log call or ``pass`` that drops it), or on the
``catch`` line when the block is empty; a hierarchy on its base class; a raise on the ``raise``/``throw``.
Decisions: narrow handlers (``except KeyError: pass``) are deliberate and never flagged as swallowed,
nor are broad ones that ignore the error with a comment saying why (``pass  # best effort: ...``; lint
pragmas such as ``# noqa`` are not explanations) or around code whose shape shows it is deliberate (an
optional import, a fallback path, an optional value with a default, best-effort cleanup); a handler that
logs is flagged only when the log drops the error itself; any handler type counts for a critical startup
call. Python raises without ``from`` are not flagged (implicit chaining keeps the original); ``raise X from
None`` is neither flagged nor praised; in JS, ``new AppError(msg, err)`` passes the error along, a catch that
reads its error elsewhere translates it, and ``catch {`` discards it on purpose: none is flagged.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from assess.collectors.patterns import scan
from assess.model import Status
from assess.model.findings import Finding
from assess.model.patterns import PatternsEvidence
from assess.probes import run_probes


def scanned(tmp_path: Path, files: dict[str, str], prefix: str = "errors.") -> list[Finding]:
    """Write ``files`` into a fresh repository, scan it, and return this family's findings."""
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    data, warnings = scan(tmp_path)
    mine = ("assess.patterns.errors", "assess.patterns.durability")
    assert not [w for w in warnings if w.startswith(mine)], warnings
    found = run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)})
    return [f for f in found if f.rule.startswith(prefix)]


def findings(tmp_path: Path, files: dict[str, str], prefix: str = "errors.") -> set[tuple[str, str, int | None]]:
    """This family's (rule, path, line) for ``files``."""
    return {(f.rule, f.path, f.line) for f in scanned(tmp_path, files, prefix)}


def lines(found: set[tuple[str, str, int | None]]) -> set[tuple[str, int | None]]:
    return {(rule, line) for rule, _, line in found}


SWALLOW = "errors.swallowed-exception"
CRITICAL = "errors.critical-init-swallowed"
HIERARCHY = "errors.error-hierarchy"
NO_CAUSE = "errors.reraise-without-cause"
CHAINED = "errors.exception-chaining"

PYTHON_CASES = [
    (
        "except-exception-pass",
        """
        def f(x):
            try:
                x()
            except Exception:
                pass
        """,
        {(SWALLOW, 4)},
    ),
    (
        "bare-except-ellipsis",
        """
        def f(x):
            try:
                x()
            except:
                ...
        """,
        {(SWALLOW, 4)},
    ),
    (
        "base-exception-continue",
        """
        def f(xs):
            for x in xs:
                try:
                    x()
                except BaseException:
                    continue
        """,
        {(SWALLOW, 5)},
    ),
    (
        "logs-the-error-records-the-failure",
        """
        import logging
        log = logging.getLogger(__name__)
        def f(x):
            try:
                x()
            except Exception as err:
                log.warning("failed: %s", err)
                print("failed")
        """,
        set(),
    ),
    (
        "log-exception-carries-the-traceback",
        """
        class C:
            def f(self, x):
                try:
                    x()
                except (Exception, KeyError):
                    self.logger.exception("failed")
        """,
        set(),
    ),
    (
        "exc-info-carries-the-traceback",
        """
        import logging
        def f(x):
            try:
                x()
            except Exception:
                logging.error("sync failed", exc_info=True)
        """,
        set(),
    ),
    (
        "logs-a-fixed-message-without-the-error",
        """
        import logging
        log = logging.getLogger(__name__)
        def sync(batch):
            try:
                batch.upload()
            except Exception as err:
                log.error("upload failed")
        """,
        {(SWALLOW, 6)},
    ),
    (
        "exc-info-false-drops-the-error",
        """
        import logging
        def f(x):
            try:
                x()
            except Exception:
                logging.error("sync failed", exc_info=False)
        """,
        {(SWALLOW, 5)},
    ),
    (
        "optional-import-is-deliberate",
        """
        try:
            import ujson as json
        except Exception:
            json = None
        def g():
            try:
                import orjson
            except Exception:
                pass
        """,
        set(),
    ),
    (
        "fallback-chain-is-deliberate",
        """
        def load(key, cache, db):
            try:
                return cache.get(key)
            except Exception:
                pass
            return db.fetch(key)
        """,
        set(),
    ),
    (
        "return-then-nothing-is-no-fallback",
        """
        def load(key, cache):
            try:
                return cache.get(key)
            except Exception:
                pass
            return None
        """,
        {(SWALLOW, 4)},
    ),
    (
        "first-candidate-that-works-is-a-fallback",
        """
        def first_reachable(hosts, connect):
            for host in hosts:
                try:
                    return connect(host)
                except Exception:
                    continue
            raise LookupError("none reachable")
        """,
        set(),
    ),
    (
        "optional-value-keeps-its-default",
        """
        def describe(conn):
            version = "unknown"
            try:
                version = conn.execute("select version()").fetchone()[0]
            except Exception:
                pass
            return version
        """,
        set(),
    ),
    (
        "optional-entries-and-temporaries",
        """
        def probe(conn, checks):
            found = {}
            for name, sql in checks:
                try:
                    row = conn.execute(sql)
                    found[name] = row.fetchone()
                except Exception:
                    pass
            return found
        """,
        set(),
    ),
    (
        "value-without-a-default-is-flagged",
        """
        def total(client):
            try:
                amount = client.fetch_total()
            except Exception:
                pass
            return amount
        """,
        {(SWALLOW, 4)},
    ),
    (
        "best-effort-cleanup-is-deliberate",
        """
        def finish(conn, tmp):
            try:
                conn.close()
                tmp.unlink()
            except Exception:
                pass
        """,
        set(),
    ),
    (
        "cleanup-method-is-deliberate",
        """
        class Pool:
            def shutdown(self):
                try:
                    self.flush_pending()
                except Exception:
                    pass
        """,
        set(),
    ),
    (
        "work-before-cleanup-is-flagged",
        """
        def save(conn, row):
            try:
                conn.insert(row)
                conn.close()
            except Exception:
                pass
        """,
        {(SWALLOW, 5)},
    ),
    (
        "explained-ignore-is-deliberate",
        """
        import os
        def cleanup(path):
            try:
                os.remove(path)
            except Exception:
                pass  # best effort: a leftover temp file is harmless
        """,
        set(),
    ),
    (
        "pragma-is-not-an-explanation",
        """
        def f(x):
            try:
                x()
            except Exception:  # noqa: BLE001
                pass  # pylint: disable=broad-except
        """,
        {(SWALLOW, 4)},
    ),
    (
        "explained-but-only-logs-is-still-flagged",
        """
        import logging
        def f(x):
            try:
                x()
            except Exception:
                # keep serving
                logging.warning("x failed")
        """,
        {(SWALLOW, 5)},
    ),
    (
        "narrow-pass-is-deliberate",
        """
        def f(d, k):
            try:
                return d[k]
            except KeyError:
                pass
        """,
        set(),
    ),
    (
        "re-raises",
        """
        import logging
        def f(x):
            try:
                x()
            except Exception:
                logging.exception("failed")
                raise
        """,
        set(),
    ),
    (
        "returns-error",
        """
        def f(x):
            try:
                return x()
            except Exception as err:
                return {"error": str(err)}
        """,
        set(),
    ),
    (
        "sets-error-state",
        """
        def f(x):
            ok = True
            try:
                x()
            except Exception:
                ok = False
            return ok
        """,
        set(),
    ),
    (
        "calls-non-logging",
        """
        def f(task):
            try:
                task.run()
            except Exception:
                task.retry_later()
        """,
        set(),
    ),
    (
        "look-alike-log-attribute-not-a-call",
        """
        def f(x, log):
            try:
                x()
            except Exception:
                log.entries.clear()
        """,
        set(),
    ),
    (
        "critical-init-in-main",
        """
        import logging, sqlite3
        log = logging.getLogger(__name__)
        def main(store):
            try:
                store.init_schema()
            except sqlite3.Error:
                log.exception("database initialisation failed")
            serve()
        """,
        {(CRITICAL, 7)},
    ),
    (
        "critical-init-module-level",
        """
        import sqlite3
        try:
            CONN = sqlite3.connect("app.db")
        except Exception:
            pass
        """,
        {(CRITICAL, 5)},
    ),
    (
        "critical-init-constructor",
        """
        class Repo:
            def __init__(self, db):
                try:
                    db.create_all()
                except Exception as err:
                    print(err)
        """,
        {(CRITICAL, 6)},
    ),
    (
        "critical-init-fails-fast",
        """
        import sys
        def main(store):
            try:
                store.init_db()
            except Exception:
                print("init failed")
                sys.exit(1)
        """,
        set(),
    ),
    (
        "connect-outside-startup-is-only-broad",
        """
        def refresh(client):
            try:
                client.connect()
            except Exception:
                pass
        """,
        {(SWALLOW, 4)},
    ),
    (
        "startup-swallows-non-critical-call",
        """
        def main(metrics):
            try:
                metrics.send("started")
            except Exception:
                pass
        """,
        {(SWALLOW, 4)},
    ),
    (
        "hierarchy",
        """
        class AppError(Exception):
            pass
        class NotFound(AppError):
            pass
        class Conflict(AppError):
            pass
        """,
        {(HIERARCHY, 1)},
    ),
    (
        "hierarchy-nested-reports-root-only",
        """
        class AppError(ValueError):
            pass
        class DbError(AppError):
            pass
        class ReadError(DbError):
            pass
        class WriteError(DbError):
            pass
        """,
        {(HIERARCHY, 1)},
    ),
    (
        "one-subclass-is-not-a-hierarchy",
        """
        class AppError(Exception):
            pass
        class NotFound(AppError):
            pass
        """,
        set(),
    ),
    (
        "non-exception-base",
        """
        class Base:
            pass
        class Plugin(Base):
            pass
        class A(Plugin):
            pass
        class B(Plugin):
            pass
        """,
        set(),
    ),
    (
        "raise-from",
        """
        def f(x):
            try:
                return int(x)
            except ValueError as err:
                raise TypeError("bad") from err
        """,
        {(CHAINED, 5)},
    ),
    (
        "raise-without-from-keeps-implicit-context",
        """
        import json
        def f(x):
            try:
                return json.loads(x)
            except json.JSONDecodeError:
                raise ValueError(f"corrupt payload {x!r}")
        """,
        set(),
    ),
    (
        "raise-from-none-is-deliberate",
        """
        def f(d):
            try:
                return d["k"]
            except KeyError:
                raise LookupError("k") from None
        """,
        set(),
    ),
    (
        "re-raise-same-error",
        """
        def f(d):
            try:
                return d["k"]
            except KeyError as err:
                raise err
        """,
        set(),
    ),
    (
        "raise-outside-handler",
        """
        def f():
            raise ValueError("no handler here")
        """,
        set(),
    ),
    (
        "raise-in-function-defined-in-handler",
        """
        def f(x):
            try:
                return x()
            except Exception as err:
                def later():
                    raise RuntimeError("later")
                return later
        """,
        set(),
    ),
]


@pytest.mark.parametrize("code,expected", [c[1:] for c in PYTHON_CASES], ids=[c[0] for c in PYTHON_CASES])
def test_python(tmp_path: Path, code: str, expected: set[tuple[str, int]]):
    assert lines(findings(tmp_path, {"app/mod.py": code})) == expected


JS_CASES = [
    (
        "empty-catch",
        "src/a.js",
        """
        function f(x) {
          try {
            x();
          } catch (e) {}
        }
        """,
        {(SWALLOW, 4)},
    ),
    (
        "catch-logs-the-error",
        "src/a.ts",
        """
        async function f(x: () => Promise<void>): Promise<void> {
          try {
            await x();
          } catch (err: unknown) {
            // keep going
            console.error("failed", err);
          }
        }
        """,
        set(),
    ),
    (
        "catch-logs-a-fixed-message",
        "src/a.ts",
        """
        async function handle(msg: Message): Promise<void> {
          try {
            await worker.run(msg);
          } catch (err) {
            console.error("Error handling message");
          }
        }
        """,
        {(SWALLOW, 4)},
    ),
    (
        "catch-in-loop-with-return-is-a-fallback",
        "src/a.js",
        """
        function firstExisting(paths) {
          for (const p of paths) {
            try {
              return fs.readFileSync(p);
            } catch (e) {}
          }
          return null;
        }
        """,
        set(),
    ),
    (
        "catch-keeps-an-optional-value",
        "src/a.js",
        """
        function start(date) {
          let startAt = undefined;
          try {
            startAt = date.toISOString();
          } catch (_) {}
          return schedule(startAt);
        }
        """,
        set(),
    ),
    (
        "catch-around-cleanup",
        "src/a.js",
        """
        function drop(sockets) {
          for (const socket of sockets) {
            try {
              socket.emit("refresh");
              socket.disconnect();
            } catch (e) {}
          }
        }
        """,
        set(),
    ),
    (
        "catch-around-optional-require",
        "src/a.js",
        """
        let native = null;
        try {
          native = require("native-addon");
        } catch (e) {}
        """,
        set(),
    ),
    (
        "promise-catch-on-a-promise-used-again-is-no-swallow",
        "src/a.ts",
        """
        async function next(client: Client, ms: number): Promise<string | null> {
          const read = client.blockingRead(ms);
          read.catch((): null => null);
          return Promise.race([read, timeout(ms)]);
        }
        function flush(queue) {
          // the queue retries on its own; a failed flush is reported by its 'error' event
          queue.flush().catch(() => {});
        }
        """,
        set(),
    ),
    (
        "promise-catch-empty-handler",
        "src/a.js",
        """
        function save(repo, row) {
          repo.insert(row).catch(() => {});
          client.quit().catch(() => {});
        }
        """,
        {(SWALLOW, 2)},
    ),
    (
        "optional-binding-empty",
        "src/a.js",
        """
        function f(text) {
          try {
            return JSON.parse(text);
          } catch {
          }
        }
        """,
        {(SWALLOW, 4)},
    ),
    (
        "explained-empty-catch-is-deliberate",
        "src/a.js",
        """
        function f(text) {
          try {
            return JSON.parse(text);
          } catch {
            // not JSON: the caller treats undefined as "no options"
          }
        }
        """,
        set(),
    ),
    (
        "istanbul-pragma-is-not-an-explanation",
        "src/a.js",
        """
        function f(x) {
          try {
            x();
          } catch (e) { /* istanbul ignore next */ }
        }
        """,
        {(SWALLOW, 4)},
    ),
    (
        "catch-rethrows",
        "src/a.js",
        """
        function f(x) {
          try {
            x();
          } catch (e) {
            console.error(e);
            throw e;
          }
        }
        """,
        set(),
    ),
    (
        "catch-returns-error",
        "src/a.js",
        """
        function f(x) {
          try {
            return x();
          } catch (e) {
            logger.error(e);
            return { error: String(e) };
          }
        }
        """,
        set(),
    ),
    (
        "critical-connect-in-main",
        "src/a.ts",
        """
        import mongoose from "mongoose";
        async function main(): Promise<void> {
          try {
            await mongoose.connect("mongodb://db/app");
          } catch (err) {
            console.warn("starting without persistence", err);
          }
        }
        """,
        {(CRITICAL, 6)},
    ),
    (
        "critical-top-level-empty",
        "src/a.mjs",
        """
        try {
          await prisma.$connect();
        } catch (e) {}
        """,
        {(CRITICAL, 3)},
    ),
    (
        "init-of-non-db-is-only-broad",
        "src/a.js",
        """
        async function main(widget) {
          try {
            await widget.init();
          } catch (e) {}
        }
        """,
        {(SWALLOW, 4)},
    ),
    (
        "hierarchy-ts",
        "src/errors.ts",
        """
        export class AppError extends Error {}
        export class NotFound extends AppError {}
        export class Conflict extends AppError {}
        """,
        {(HIERARCHY, 1)},
    ),
    (
        "hierarchy-non-error-base",
        "src/a.js",
        """
        class Base extends EventEmitter {}
        class A extends Base {}
        class B extends Base {}
        """,
        set(),
    ),
    (
        "hierarchy-of-class-expressions",
        "src/errors.js",
        """
        const AppError = class extends Error {};
        exports.NotFound = class extends AppError {};
        module.exports = { AppError, Conflict: class extends AppError {} };
        """,
        {(HIERARCHY, 1)},
    ),
    (
        "single-error-class-is-not-a-hierarchy",  # kutt's CustomError: one type with a status code, no subclasses
        "src/utils.js",
        """
        class CustomError extends Error {
          constructor(message, statusCode) {
            super(message);
            this.statusCode = statusCode ?? 500;
          }
        }
        """,
        set(),
    ),
    (
        "sibling-errors-without-a-project-base",  # bullmq's DelayedError, WaitingError ...: each extends Error
        "src/errors.ts",
        """
        export class DelayedError extends Error { constructor(m = "delayed") { super(m); this.name = "Delayed"; } }
        export class WaitingError extends Error { constructor(m = "waiting") { super(m); this.name = "Waiting"; } }
        export class LimitError extends Error { constructor(m = "limited") { super(m); this.name = "Limit"; } }
        """,
        set(),
    ),
    (
        "class-expression-not-bound-to-a-name",
        "src/a.js",
        """
        register(class extends Error {});
        register(class extends Error {});
        """,
        set(),
    ),
    (
        "throw-with-cause",
        "src/a.js",
        """
        function f(x) {
          try {
            return x();
          } catch (err) {
            throw new Error("failed", { cause: err });
          }
        }
        """,
        {(CHAINED, 5)},
    ),
    (
        "throw-keeping-only-the-message",
        "src/a.ts",
        """
        function f(x: () => void): void {
          try {
            x();
          } catch (err) {
            throw new Error(`failed: ${String(err)}`);
          }
        }
        """,
        set(),  # its message reaches the new error: not shown (see exception_causes)
    ),
    (
        "throw-dropping-the-error",
        "src/a.js",
        """
        function f(x) {
          try {
            return x();
          } catch (err) {
            throw new Error("failed");
          }
        }
        """,
        {(NO_CAUSE, 5)},
    ),
    (
        "throw-after-reading-the-error-is-a-translation",
        "src/a.js",
        """
        function read(p) {
          try {
            return fs.readFileSync(p);
          } catch (err) {
            if (err.code === "ENOENT") throw new NotFound(`no file ${p}`);
            throw err;
          }
        }
        """,
        set(),
    ),
    (
        "throw-in-unbound-catch-discards-on-purpose",
        "src/a.js",
        """
        function parse(text) {
          try {
            return JSON.parse(text);
          } catch {
            throw new ConfigError("config is not JSON");
          }
        }
        """,
        set(),
    ),
    (
        "throw-passing-error-along",
        "src/a.js",
        """
        function f(x) {
          try {
            return x();
          } catch (err) {
            throw new AppError(500, err);
          }
        }
        """,
        set(),
    ),
    (
        "rethrow-same",
        "src/a.js",
        """
        function f(x) {
          try {
            return x();
          } catch (err) {
            throw err;
          }
        }
        """,
        set(),
    ),
]


@pytest.mark.parametrize("path,code,expected", [c[1:] for c in JS_CASES], ids=[c[0] for c in JS_CASES])
def test_javascript(tmp_path: Path, path: str, code: str, expected: set[tuple[str, int]]):
    assert lines(findings(tmp_path, {path: code})) == expected


def test_only_a_throw_that_keeps_nothing_of_the_error_is_flagged(tmp_path: Path):
    code = """
    function f(x) {
      try { return x(); } catch (err) { throw new Error(`failed: ${err.message}`); }
    }
    function g(x) {
      try { return x(); } catch (err) { throw new Error("failed"); }
    }
    function h(text) {
      try { return JSON.parse(text); } catch (err) { throw new Error("settings are not JSON"); }
    }
    """
    got = {(f.line, f.confidence) for f in scanned(tmp_path, {"src/a.js": code}) if f.rule == NO_CAUSE}
    assert got == {(5, "confirmed")}


UNCAUGHT = "errors.uncaught-exception-continues"
NO_HANDLER = "errors.catch-without-handler"
SOCKET = "errors.socket-without-error-listener"

NODE_CASES = [
    (
        "uncaught-exception-handler-only-logs",
        """
        const onError = (err) => {
          console.error(err);
          Server.errorLog(err);
        };
        process.addListener("unhandledRejection", onError);
        process.addListener("uncaughtException", onError);
        """,
        {(UNCAUGHT, 6, "confirmed")},
    ),
    (
        "unhandled-rejection-handler-only-logs",
        """
        process.on("unhandledRejection", (reason) => {
          logger.error({ reason }, "unhandled rejection");
        });
        """,
        {(UNCAUGHT, 1, "likely")},
    ),
    (
        "uncaught-exception-handler-exits",
        """
        process.on("uncaughtException", (err) => {
          logger.fatal({ err }, "crashing");
          process.exit(1);
        });
        process.on("unhandledRejection", async (reason) => {
          await flushLogs();
          throw reason;
        });
        """,
        set(),
    ),
    (
        "uncaught-exception-handler-calls-unseen-code",
        """
        import { cleanup } from "./lifecycle";
        process.on("uncaughtException", (err) => {
          cleanup(err);
        });
        """,
        {(UNCAUGHT, 2, "possible")},
    ),
    (
        "temporary-rejection-guard-is-removed",
        """
        async function close(db) {
          const guard = () => { db.rejected = true; };
          process.addListener("unhandledRejection", guard);
          await db.close();
          process.removeListener("unhandledRejection", guard);
        }
        """,
        set(),
    ),
    (
        "catch-without-handler-in-timer",
        """
        setInterval(function () {
          links.removeExpired().catch();
        }, 30000);
        async function run() {
          await links.removeExpired().catch();
          return links.removeExpired().catch(handle);
        }
        """,
        {(NO_HANDLER, 2, "confirmed")},
    ),
    (
        "catch-without-handler-with-process-handler",
        """
        process.on("unhandledRejection", (reason) => { console.error(reason); });
        setInterval(() => { links.removeExpired().catch(); }, 30000);
        """,
        {(UNCAUGHT, 1, "likely")},
    ),
    (
        "accepted-socket-without-error-listener",
        """
        const net = require("net");
        exports.start = function (port, onLine) {
          const server = net.createServer(function (stream) {
            stream.setEncoding("ascii");
            stream.on("data", (data) => onLine(data, new Peer(stream)));
          });
          server.listen(port);
        };
        function Peer(stream) { this.address = stream.remoteAddress; }
        """,
        {(SOCKET, 3, "confirmed")},
    ),
    (
        "accepted-socket-with-error-listener",
        """
        const net = require("net");
        const server = net.createServer((socket) => {
          socket.on("data", handle);
          socket.on("error", (err) => { log.warn(err); socket.destroy(); });
        });
        """,
        set(),
    ),
    (
        "accepted-socket-handed-to-unseen-code",
        """
        const net = require("net");
        const { attach } = require("./session");
        const server = net.createServer((socket) => {
          attach(socket);
        });
        """,
        {(SOCKET, 3, "possible")},
    ),
    (
        "client-sockets",
        """
        const net = require("net");
        const tls = require("tls");
        function probe(host) {
          const client = net.connect(80, host);
          client.on("data", (d) => console.log(d));
        }
        function secure(options) {
          const socket = tls.connect(options);
          socket.once("error", (err) => reject(err));
        }
        function chained(host) {
          net.createConnection(80, host).on("connect", ok).on("error", fail);
        }
        """,
        {(SOCKET, 4, "confirmed")},
    ),
    (
        "datagram-sockets",
        """
        const dgram = require("dgram");
        const listener = dgram.createSocket("udp4", onMessage);
        listener.bind(8125);
        const sender = dgram.createSocket("udp4");
        function forward(msg, host) { sender.send(msg, 0, msg.length, 8125, host); }
        """,
        {(SOCKET, 4, "confirmed")},
    ),
]


@pytest.mark.parametrize("code,expected", [c[1:] for c in NODE_CASES], ids=[c[0] for c in NODE_CASES])
def test_node(tmp_path: Path, code: str, expected: set[tuple[str, int, str]]):
    got = scanned(tmp_path, {"src/server.js": code})
    assert {(f.rule, f.line, f.confidence) for f in got if f.rule in (UNCAUGHT, NO_HANDLER, SOCKET)} == expected


def test_hierarchy_across_files(tmp_path: Path):
    found = findings(tmp_path, {
        "app/base.py": "class StoreError(Exception):\n    pass\n",
        "app/errors.py": "from app.base import StoreError\nclass A(StoreError): ...\nclass B(StoreError): ...\n",
    })  # fmt: skip
    assert found == {(HIERARCHY, "app/base.py", 1)}


def test_js_hierarchy_across_files(tmp_path: Path):
    found = findings(tmp_path, {
        "src/errors/app-error.ts": "export class AppError extends Error {}\n",
        "src/errors/missing.ts": "import { AppError } from './app-error';\nexport class Missing extends AppError {}\n",
        "src/errors/conflict.js": "const { AppError } = require('./app-error');\nclass Conflict extends AppError {}\n",
    })  # fmt: skip
    assert found == {(HIERARCHY, "src/errors/app-error.ts", 1)}


def test_js_hierarchy_in_test_files_is_not_judged(tmp_path: Path):
    code = "class FakeError extends Error {}\nclass A extends FakeError {}\nclass B extends FakeError {}\n"
    assert findings(tmp_path, {"test/errors.test.js": code}) == set()


def test_test_files_are_not_judged(tmp_path: Path):
    code = "def test_x(x):\n    try:\n        x()\n    except Exception:\n        pass\n"
    assert findings(tmp_path, {"tests/test_x.py": code}) == set()


ODD_FILES = {
    "app/empty.py": "",
    "app/odd.py": """
        import functools
        handlers = {}
        x = [f for f in ()][0:1]
        y = (lambda: 1)()
        handlers["a"](*[], **{})
        @functools.lru_cache(maxsize=None)
        def g(*args, **kwargs):
            try:
                return args[0](**kwargs)
            except* ValueError:
                pass
        try:
            pass
        except (lambda: Exception)():
            pass
        class K(type(object), metaclass=type):
            pass
        raise
        """,
    "src/empty.ts": "",
    "src/odd.js": "try {} catch ({ message }) { throw new Error(message) }\nclass X extends (mixin(Base)) {}\n",
    "src/broken.ts": "class {{{ catch (",
}


def test_odd_files_do_not_crash(tmp_path: Path):
    findings(tmp_path, ODD_FILES)


CENTRAL = "errors.central-error-handler"
BEFORE = "errors.error-handler-before-routes"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("const express = require('express');\nconst app = express();\napp.get('/a', h);\n"
                     "app.use((err, req, res, next) => res.status(500).end());\n", {(CENTRAL, 4, "confirmed")},
                     id="after-the-routes"),
        pytest.param("const express = require('express');\nconst app = express();\n"
                     "app.use((err, req, res, next) => res.status(500).end());\napp.get('/a', h);\n",
                     {(BEFORE, 3, "confirmed")}, id="before-the-routes"),
        pytest.param("const express = require('express');\nconst { onError } = require('./errors');\n"
                     "const app = express();\napp.use(onError);\napp.post('/a', h);\n", {(BEFORE, 4, "likely")},
                     id="imported-handler-named-like-one"),
        pytest.param("const express = require('express');\nconst app = express();\n"
                     "app.use((req, res, next) => next());\napp.get('/a', h);\n", set(), id="ordinary-middleware"),
        pytest.param("const express = require('express');\nconst app = express();\nconst router = express.Router();\n"
                     "app.use((err, req, res, next) => res.end());\nrouter.get('/a', h);\n",
                     {(CENTRAL, 4, "confirmed")}, id="routes-of-another-receiver-do-not-count"),
        pytest.param("const express = require('express');\nconst app = express();\napp.use(cors);\n", set(),
                     id="imported-middleware-not-named-like-an-error-handler"),
    ],
)  # fmt: skip
def test_express_error_handlers(tmp_path: Path, code: str, expected: set[tuple[str, int, str]]) -> None:
    found = {(f.rule, f.line, f.confidence) for f in scanned(tmp_path, {"src/app.js": code})
             if f.rule in (CENTRAL, BEFORE)}  # fmt: skip
    assert found == expected
