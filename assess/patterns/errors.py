"""Error handling in Python: handlers that swallow, critical startup whose failure is swallowed,
project exception classes, and exceptions raised with their cause (``raise ... from``).

A Python exception raised in a handler without ``from`` is not recorded: Python keeps the one being handled as
its ``__context__`` and shows both in the traceback, so nothing is lost.

The site types are shared with the JavaScript/TypeScript extractor (:mod:`assess.patterns.errors_js`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Literal

from assess.model.patterns import Site, register_site
from assess.patterns import register_extractor
from assess.patterns.pyast import PythonFile, keyword, per_node


@register_site
class SwallowSite(Site):
    """An exception handler whose body only passes, continues or logs, then carries on.

    ``line`` is the ``except``/``catch`` line; ``drop_line`` is the handler's first statement (the
    ``pass`` or the log call), or the ``catch`` line when the block is empty.
    """

    kind: Literal["errors-swallow"] = "errors-swallow"
    caught: str
    """What the handler catches as written (``Exception``, ``sqlite3.Error``, ``bare``, ``any`` in JS)."""
    broad: bool
    """Bare ``except:``, ``Exception`` or ``BaseException`` (every JS catch is broad)."""
    action: Literal["pass", "log", "continue", "empty"]
    drop_line: int
    explained: bool = False
    """A comment in the handler says why it ignores the error (lint pragmas such as ``noqa`` do not count)."""
    logs_error: bool = False
    """For a handler that logs: the log carries the error (its variable, ``log.exception``, ``exc_info``), so the
    failure is recorded; False when it logs a fixed message and drops the error itself."""
    deliberate: str | None = None
    """For a handler that ignores the error: the shape of the guarded code that makes ignoring it deliberate
    (``an optional import``, ``a fallback``, ``an optional value``, ``best-effort cleanup``), or None."""
    log_level: str | None = None
    """For a handler that logs: the most severe level it logs at (``error``, ``warning``, ``info`` ...)."""
    critical_call: str | None = None
    """A call in the ``try`` body that starts a critical dependency (``store.init_schema``), when the
    handler sits in startup code (``main``, ``__init__``, ``setup`` ... or module level)."""


@register_site
class ExceptionClassSite(Site):
    """A class declared with base classes (Python) or ``extends`` (JS/TS): the probe builds hierarchies."""

    kind: Literal["errors-class"] = "errors-class"
    name: str
    bases: tuple[str, ...]
    """Base class names, last dotted component only (``Exception``, ``TaskStoreError``)."""


@register_site
class RaiseSite(Site):
    """Any ``raise ... from`` (Python); a new error thrown inside a ``catch`` (JS/TS)."""

    kind: Literal["errors-raise"] = "errors-raise"
    exception: str
    cause: Literal["chained", "suppressed", "missing"]
    """``raise X from err`` / ``{cause: err}``; ``from None``; thrown in a catch without either (JS/TS only)."""
    handler_line: int | None = None
    original: Literal["dropped", "message", "unbound"] | None = None
    """For a missing cause: what reaches the new error of the caught one. ``dropped``: nothing (the catch never
    reads it); ``message``: its text (``err.message`` in the new message) but not its stack; ``unbound``: the catch
    takes no binding (``catch {``), so the error is discarded on purpose."""
    parses: bool = False
    """The guarded code only checks input: it parses or converts a value (``JSON.parse``, ``new URL``), or sits in a
    validating function (``checkTimezone``); the lost error says how the input is malformed, nothing about the
    system."""


LOG_NAMES = {"log", "logger", "logging", "LOG", "LOGGER", "_log", "_logger", "_LOG", "_LOGGER", "logs", "structlog"}
LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "msg"}
OTHER_LOG_CALLS = {"print", "traceback.print_exc", "traceback.print_exception", "sys.stderr.write", "warnings.warn"}
PRAGMA = re.compile(r"^\s*(noqa|pylint|type:|pragma|nosec|fmt:|istanbul|eslint|c8|prettier|@ts-|expect:)", re.I)
BROAD = {"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"}

CRITICAL_CALL = re.compile(
    r"^(connect|connect_db|connect_to_db|init_?db|init_?database|init_?schema|init_?storage|init_?store|"
    r"initiali[sz]e(_\w+)?|migrate\w*|run_migrations|create_all|create_tables?|create_schema|ensure_schema|"
    r"setup_?db|setup_?database|create_pool|create_engine|open_?db|open_?database|upgrade)$"
)
DB_OPEN = re.compile(r"^(shelve|dbm|lmdb|plyvel|rocksdb|zodb)\.open$|(^|\.)(db|database|store|storage)\.open$", re.I)
STARTUP_FUNCTION = re.compile(r"main|start|init|setup|boot|lifespan|create_app|serve", re.I)
CLEANUP_CALL = re.compile(
    r"^(close|aclose|unlink|remove|rmtree|rmdir|kill|terminate|cancel|disconnect|shutdown|stop|release|unregister|"
    r"destroy|end|emit|unref|unsubscribe|unwatch|dispose|cleanup|clean_up|detach|abort|quit|rollback|wait|join)$"
)
"""Calls whose failure leaves nothing undone that matters: tearing down, releasing, a courtesy notification."""
CLEANUP_FUNCTION = re.compile(
    r"^(__del__|__exit__|__aexit__|close|aclose|cleanup|clean_up|teardown|tear_down|shutdown|stop|dispose|destroy|"
    r"finali[sz]e|release|disconnect)$|_(close|cleanup|teardown|shutdown)$", re.I
)
"""Functions that tear something down: an error in them has nowhere better to go."""
IMPORTING = {"__import__", "importlib.import_module", "importlib.util.find_spec"}


def is_log_call(name: str) -> bool:
    """``log.exception``, ``self.logger.warning``, ``logging.error``, ``print`` ..."""
    if name in OTHER_LOG_CALLS:
        return True
    parts = name.split(".")
    return len(parts) >= 2 and parts[-1] in LOG_METHODS and any(p in LOG_NAMES for p in parts[:-1])


def _swallow_action(f: PythonFile, body: list[ast.stmt]) -> Literal["pass", "log", "continue"] | None:
    """How a handler body carries on, or None when it does something (raise, return, assign ...)."""
    kinds: set[str] = set()
    for stmt in body:
        if isinstance(stmt, ast.Pass):
            kinds.add("pass")
        elif isinstance(stmt, ast.Continue):
            kinds.add("continue")
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            kinds.add("pass")  # ``...`` or a string comment
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and is_log_call(f.call_name(stmt.value)):
            kinds.add("log")
        else:
            return None
    if "log" in kinds:
        return "log"
    return "continue" if "continue" in kinds else "pass"


def explanatory(comment: str) -> bool:
    """A comment that says something (not ``# noqa``, ``# pylint: disable=...``, ``/* istanbul ignore */``)."""
    text = comment.lstrip("#/* ").rstrip("*/ ")
    return bool(text) and not PRAGMA.match(text)


def _explained(f: PythonFile, handler: ast.ExceptHandler) -> bool:
    """A ``#`` comment on the ``except`` line or in the handler body (a rough scan: '#' inside strings is rare here)."""
    lines = f.lines[handler.lineno - 1 : handler.end_lineno or handler.lineno]
    return any("#" in line and explanatory(line[line.index("#") :]) for line in lines)


LEVELS = {"critical": 5, "fatal": 5, "exception": 4, "error": 4, "warning": 3, "warn": 3, "info": 2, "log": 2,
          "msg": 2, "debug": 1, "trace": 1}  # fmt: skip
"""Log levels by severity; a call that names none (``print``) counts as ``info``."""
PROBLEM_LEVELS = {"critical", "fatal", "exception", "error", "warning", "warn"}


def worst_level(methods: list[str]) -> str | None:
    """The most severe of the levels named by ``methods`` (``error`` for ``log.error``), or None for no log call."""
    levels = [m if m in LEVELS else "info" for m in methods]
    return max(levels, key=lambda m: LEVELS[m], default=None)


def _log_level(f: PythonFile, handler: ast.ExceptHandler) -> str | None:
    names = [f.call_name(s.value) for s in handler.body if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)]
    methods = ["error" if n in {"sys.stderr.write", "traceback.print_exc", "traceback.print_exception"}
               else "warning" if n == "warnings.warn" else n.rsplit(".", 1)[-1] for n in names if is_log_call(n)]
    return worst_level(methods)


def _logs_error(f: PythonFile, handler: ast.ExceptHandler) -> bool:
    """Whether a log call of the handler carries the error: its variable, ``log.exception``, ``exc_info=...``,
    ``traceback.print_exc()``."""
    for stmt in handler.body:
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            continue
        call, name = stmt.value, f.call_name(stmt.value)
        if name.rsplit(".", 1)[-1] == "exception" or name.startswith("traceback."):
            return True
        flag = keyword(call, "exc_info")
        if flag is not None and not (isinstance(flag, ast.Constant) and not flag.value):
            return True
        if handler.name and any(isinstance(n, ast.Name) and n.id == handler.name for n in ast.walk(call)):
            return True
    return False


def _guarded(f: PythonFile, node: ast.Try) -> list[ast.AST]:
    return [n for stmt in node.body for n in (stmt, *f.own_nodes(stmt))]


def _bare_calls(f: PythonFile, guarded: list[ast.AST]) -> list[str]:
    """The calls made as statements of their own (``x.close()``, ``await x.close()``; not ``y = f()``), by name."""
    names = []
    for n in guarded:
        value = n.value if isinstance(n, ast.Expr) else None
        call = value.value if isinstance(value, ast.Await) else value
        if isinstance(call, ast.Call):
            names.append(f.call_name(call) or f.unparse(call.func))
    return names


def _deliberate(f: PythonFile, node: ast.Try) -> str | None:
    """Why ignoring an error of ``node``'s body looks deliberate, from the shape of that body; None if nothing does."""
    guarded = _guarded(f, node)
    func = f.enclosing_function(node)
    if any(isinstance(n, ast.Import | ast.ImportFrom) for n in guarded) or any(
        isinstance(n, ast.Call) and f.call_name(n) in IMPORTING for n in guarded
    ):
        return "an optional import"
    if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef) and CLEANUP_FUNCTION.search(func.name):
        return "best-effort cleanup"
    if any(isinstance(n, ast.Return | ast.Break) for n in guarded) and (f.in_loop(node) or _alternative(f, node)):
        return "a fallback"
    calls = _bare_calls(f, guarded)
    if not calls and not any(isinstance(n, ast.Return) for n in guarded) and _defaults_kept(f, node, guarded):
        return "an optional value"
    if calls and all(CLEANUP_CALL.match(name.rsplit(".", 1)[-1]) for name in calls):
        return "best-effort cleanup"
    return None


def _alternative(f: PythonFile, node: ast.Try) -> bool:
    """Whether code after the ``try`` does something when its ``return`` fails: a fallback path, not ``return None``."""
    block = next((b for b in _blocks(f.parents.get(node)) if node in b), [])
    after = block[block.index(node) + 1 :] if node in block else []
    return bool(after) and not (
        len(after) == 1 and isinstance(after[0], ast.Return)
        and (after[0].value is None or (isinstance(after[0].value, ast.Constant) and after[0].value.value is None))
    )  # fmt: skip


def _blocks(parent: ast.AST | None) -> list[list[ast.stmt]]:
    """The statement lists of ``parent`` (a function's body, an ``if``'s body and ``orelse`` ...)."""
    fields = ("body", "orelse", "finalbody", "handlers")
    return [b for name in fields if isinstance(b := getattr(parent, name, None), list)]


def _defaults_kept(f: PythonFile, node: ast.Try, guarded: list[ast.AST]) -> bool:
    """Whether every variable the ``try`` body assigns and the code after it reads already had a value before
    it (a default the failure keeps); entries of a dict or attributes count as optional (their absence is the
    signal), and temporaries used only inside the ``try`` do not matter."""
    targets = [t for n in guarded if isinstance(n, ast.Assign | ast.AnnAssign | ast.AugAssign)
               for t in (n.targets if isinstance(n, ast.Assign) else [n.target])]  # fmt: skip
    scope = f.enclosing_function(node) or f.tree
    end = node.end_lineno or node.lineno
    later = sorted((n for n in f.within(scope, ast.Name) if n.lineno > end), key=lambda n: (n.lineno, n.col_offset))
    first: dict[str, ast.Name] = {}
    for n in later:
        first.setdefault(n.id, n)
    read_after = {name for name, n in first.items() if isinstance(n.ctx, ast.Load)}  # not assigned afresh first
    names = {t.id for t in targets if isinstance(t, ast.Name)} & read_after
    if not names:
        return True
    before = {t.id for n in f.within(scope, ast.Assign, ast.AnnAssign) if n.lineno < node.lineno
              for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}  # fmt: skip
    if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
        before |= {a.arg for a in (*scope.args.posonlyargs, *scope.args.args, *scope.args.kwonlyargs)}
    return names <= before


def _caught(f: PythonFile, handler: ast.ExceptHandler) -> tuple[str, bool]:
    if handler.type is None:
        return "bare", True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    names = [f.dotted(t) or ast.unparse(t) for t in types]
    return ", ".join(names), any(n in BROAD for n in names)


@per_node
def _critical_call(f: PythonFile, node: ast.Try) -> str | None:
    func = f.enclosing_function(node)
    if func is not None and not STARTUP_FUNCTION.search(func.name):
        return None
    calls = [n for stmt in node.body for n in [stmt, *f.own_nodes(stmt)] if isinstance(n, ast.Call)]
    for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):
        name = f.call_name(call) or ast.unparse(call.func)
        if CRITICAL_CALL.match(name.rsplit(".", 1)[-1]) or DB_OPEN.search(name):
            return name
    return None


def _swallows(f: PythonFile) -> Iterator[SwallowSite]:
    for node in f.of_type(ast.Try, getattr(ast, "TryStar", ast.Try)):
        for handler in node.handlers:
            action = _swallow_action(f, handler.body)
            if action is None:
                continue
            caught, broad = _caught(f, handler)
            critical = _critical_call(f, node)
            if not broad and critical is None:
                continue
            yield SwallowSite(
                path=f.path, line=handler.lineno, end_line=handler.end_lineno or handler.lineno, language="Python",
                snippet=f.snippet(handler), function=f.qualname(handler), caught=caught, broad=broad,
                action=action, drop_line=handler.body[0].lineno, critical_call=critical,
                explained=_explained(f, handler), logs_error=action == "log" and _logs_error(f, handler),
                log_level=_log_level(f, handler) if action == "log" else None,
                deliberate=None if action == "log" else _deliberate(f, node),
            )  # fmt: skip


def _classes(f: PythonFile) -> Iterator[ExceptionClassSite]:
    for node in f.of_type(ast.ClassDef):
        if node.bases:
            bases = tuple((f.dotted(b) or ast.unparse(b)).rsplit(".", 1)[-1] for b in node.bases)
            line = node.lineno
            yield ExceptionClassSite(
                path=f.path, line=line, end_line=line, language="Python", snippet=f.lines[line - 1].strip(),
                function=f.qualname(node), name=node.name, bases=bases,
            )  # fmt: skip


def _handler_of(f: PythonFile, node: ast.Raise) -> ast.ExceptHandler | None:
    """The handler ``node`` is raised in (not from a function defined inside it)."""
    for a in f.ancestors(node):
        if isinstance(a, ast.ExceptHandler):
            return a
        if isinstance(a, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            return None
    return None


def _raises(f: PythonFile) -> Iterator[RaiseSite]:
    for node in f.of_type(ast.Raise):
        if node.exc is None or node.cause is None:
            continue  # without ``from``, Python chains implicitly (``__context__``): nothing is lost
        handler = _handler_of(f, node)
        exc = node.exc
        is_none = isinstance(node.cause, ast.Constant) and node.cause.value is None
        cause: Literal["chained", "suppressed", "missing"] = "suppressed" if is_none else "chained"
        target = exc.func if isinstance(exc, ast.Call) else exc
        line, end = f.span(node)
        yield RaiseSite(
            path=f.path, line=line, end_line=end, language="Python", snippet=f.snippet(node),
            function=f.qualname(node), exception=ast.unparse(target)[:80], cause=cause,
            handler_line=handler.lineno if handler else None,
        )  # fmt: skip


@register_extractor("python")
def error_handling(f: PythonFile) -> Iterator[Site]:
    yield from _swallows(f)
    yield from _classes(f)
    yield from _raises(f)
