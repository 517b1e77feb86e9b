"""Error-handling probes: a snippet in, exact (rule, line) findings out, for Python and JS/TS.

Where the findings land: a swallowed exception on the ``except``/``catch`` line; a swallowed critical
startup failure on the handler's first statement (the log call or ``pass`` that drops it), or on the
``catch`` line when the block is empty; a hierarchy on its base class; a raise on the ``raise``/``throw``.
Decisions: narrow handlers (``except KeyError: pass``) are deliberate and never flagged as swallowed,
nor are broad ones that ignore the error with a comment saying why (``pass  # best effort: ...``; lint
pragmas such as ``# noqa`` are not explanations, and a handler that only logs is flagged regardless),
but any handler type counts for a critical startup call; ``raise X from None`` is neither flagged nor
praised; in JS, ``new AppError(msg, err)`` passes the error along and is not flagged.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from assess.collectors.patterns import scan
from assess.model import Status
from assess.model.patterns import PatternsEvidence
from assess.probes import run_probes


def findings(tmp_path: Path, files: dict[str, str], prefix: str = "errors.") -> set[tuple[str, str, int | None]]:
    """Write ``files`` into a fresh repository, scan it, and return this family's (rule, path, line)."""
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    data, warnings = scan(tmp_path)
    mine = ("assess.patterns.errors", "assess.patterns.durability")
    assert not [w for w in warnings if w.startswith(mine)], warnings
    found = run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)})
    return {(f.rule, f.path, f.line) for f in found if f.rule.startswith(prefix)}


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
        "only-logs",
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
        {(SWALLOW, 6)},
    ),
    (
        "self-logger",
        """
        class C:
            def f(self, x):
                try:
                    x()
                except (Exception, KeyError):
                    self.logger.exception("failed")
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
        "raise-without-from",
        """
        import json
        def f(x):
            try:
                return json.loads(x)
            except json.JSONDecodeError:
                raise ValueError(f"corrupt payload {x!r}")
        """,
        {(NO_CAUSE, 6)},
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
        "catch-only-logs",
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
        {(SWALLOW, 4)},
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
        "throw-without-cause",
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
        {(NO_CAUSE, 5)},
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


def test_hierarchy_across_files(tmp_path: Path):
    found = findings(tmp_path, {
        "app/base.py": "class StoreError(Exception):\n    pass\n",
        "app/errors.py": "from app.base import StoreError\nclass A(StoreError): ...\nclass B(StoreError): ...\n",
    })  # fmt: skip
    assert found == {(HIERARCHY, "app/base.py", 1)}


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
