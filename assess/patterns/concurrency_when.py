"""When a piece of Python code runs, as far as the concurrency hazards care: at start-up or exit (when no other
caller exists yet or any more), between two suspension points of a coroutine, or under an ``except`` that already
handles the race.

A race needs two callers at the same moment. A constructor, ``main()``, a ``setup()`` or the ``finally`` of a
``run()`` usually runs once, before or after the concurrent part of the program; a coroutine is interrupted only at
its ``await``s, so on a single-threaded event loop a check and an act with no ``await`` between them cannot
interleave with another coroutine; and a check whose act sits in ``try: ... except FileExistsError:`` has its race
handled already.
"""

from __future__ import annotations

import ast

from assess.patterns.pyast import PythonFile

Function = ast.FunctionDef | ast.AsyncFunctionDef
CONSTRUCTORS = {"__init__", "__post_init__", "__new__", "__init_subclass__", "setUp"}
EXIT_NAMES = {"close", "aclose", "shutdown", "stop", "teardown", "tearDown", "cleanup", "clean_up", "dispose",
              "terminate", "__del__", "__exit__", "__aexit__", "atexit", "on_shutdown"}  # fmt: skip
START_NAMES = {"main", "setup", "set_up", "configure", "startup", "start_up", "on_startup", "initialize", "initialise",
               "init", "bootstrap", "load_config"}  # fmt: skip
RUN_NAMES = {"main", "run", "serve", "run_forever", "serve_forever"}
"""Functions whose ``finally`` runs when the program ends."""
HANDLED = {"OSError", "IOError", "EnvironmentError", "FileExistsError", "FileNotFoundError", "IsADirectoryError",
           "NotADirectoryError", "Exception", "BaseException"}  # fmt: skip
"""Exceptions whose handler takes care of a file that appeared or vanished between a check and an act."""


def phase(pf: PythonFile, node: ast.AST) -> str | None:
    """``constructor``, ``start-up`` or ``exit`` when ``node`` runs in such code (by the function's name, or the
    ``finally`` of a ``run()``/``main()``); None for code that may run at any time."""
    fn = pf.enclosing_function(node)
    if fn is None:
        return "start-up"  # module level: runs once, at import
    name = fn.name.lstrip("_") if fn.name not in CONSTRUCTORS | EXIT_NAMES else fn.name
    if fn.name in CONSTRUCTORS:
        return "constructor"
    if fn.name in EXIT_NAMES or name in EXIT_NAMES:
        return "exit"
    if fn.name in START_NAMES or name in START_NAMES:
        return "start-up"
    if fn.name in RUN_NAMES and _in_finally(pf, node, fn):
        return "exit"
    return None


def _in_finally(pf: PythonFile, node: ast.AST, fn: Function) -> bool:
    child = node
    for a in pf.ancestors(node):
        if a is fn:
            return False
        if isinstance(a, ast.Try) and child in a.finalbody:
            return True
        child = a
    return False


def handled(pf: PythonFile, node: ast.AST) -> bool:
    """Whether ``node`` runs in the body of a ``try`` (within its function) whose handlers catch the errors a file
    race raises (``FileExistsError``, ``FileNotFoundError``, ``OSError``, or a bare ``except``)."""
    child = node
    for a in pf.ancestors(node):
        if isinstance(a, Function | ast.Lambda | ast.ClassDef):
            return False
        if isinstance(a, ast.Try) and child in a.body and any(_catches(pf, h) for h in a.handlers):
            return True
        child = a
    return False


def _catches(pf: PythonFile, handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(pf.dotted(t).rsplit(".", 1)[-1] in HANDLED for t in types)


def awaits_within(pf: PythonFile, root: ast.AST, before: int | None = None) -> bool:
    """Whether ``root`` holds an ``await`` (or ``async for``/``async with``) of its own, before line ``before``."""
    for node in pf.walk(root):
        suspends = isinstance(node, ast.Await | ast.AsyncFor | ast.AsyncWith) and node is not root
        if suspends and (before is None or node.lineno < before):  # type: ignore[attr-defined]
            return True
    return False
