"""Error handling in Python: handlers that swallow, critical startup whose failure is swallowed,
project exception classes, and exceptions raised inside handlers with or without their cause.

The site types are shared with the JavaScript/TypeScript extractor (:mod:`assess.patterns.errors_js`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Literal

from assess.model.patterns import Site, register_site
from assess.patterns import register_extractor
from assess.patterns.pyast import PythonFile, per_node


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
    """A new exception raised inside a handler, or any ``raise ... from``."""

    kind: Literal["errors-raise"] = "errors-raise"
    exception: str
    cause: Literal["chained", "suppressed", "missing"]
    """``raise X from err`` / ``{cause: err}``; ``from None``; raised in a handler without either."""
    handler_line: int | None = None


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


def _caught(f: PythonFile, handler: ast.ExceptHandler) -> tuple[str, bool]:
    if handler.type is None:
        return "bare", True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    names = [f.dotted(t) or ast.unparse(t) for t in types]
    return ", ".join(names), any(n in BROAD for n in names)


def own_nodes(root: ast.AST) -> Iterator[ast.AST]:
    """Nodes under ``root`` that run with it: not inside nested functions, lambdas or classes.

    For a node of a parsed file, :meth:`PythonFile.own_nodes` gives the same nodes from its index.
    """
    stack = list(ast.iter_child_nodes(root))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


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
                explained=_explained(f, handler),
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
        if node.exc is None:
            continue
        handler = _handler_of(f, node)
        exc = node.exc
        if node.cause is not None:
            is_none = isinstance(node.cause, ast.Constant) and node.cause.value is None
            cause: Literal["chained", "suppressed", "missing"] = "suppressed" if is_none else "chained"
        elif handler is None or _reraises(exc, handler):
            continue
        else:
            cause = "missing"
        target = exc.func if isinstance(exc, ast.Call) else exc
        line, end = f.span(node)
        yield RaiseSite(
            path=f.path, line=line, end_line=end, language="Python", snippet=f.snippet(node),
            function=f.qualname(node), exception=ast.unparse(target)[:80], cause=cause,
            handler_line=handler.lineno if handler else None,
        )  # fmt: skip


def _reraises(exc: ast.expr, handler: ast.ExceptHandler) -> bool:
    """``raise err`` or ``raise err.with_traceback(tb)``: the caught exception itself, not a new one."""
    if handler.name is None:
        return False
    if isinstance(exc, ast.Name):
        return exc.id == handler.name
    if isinstance(exc, ast.Call) and isinstance(exc.func, ast.Attribute):
        return isinstance(exc.func.value, ast.Name) and exc.func.value.id == handler.name
    return False


@register_extractor("python")
def error_handling(f: PythonFile) -> Iterator[Site]:
    yield from _swallows(f)
    yield from _classes(f)
    yield from _raises(f)
