"""Where a sleep in a Python test file runs: in the test's own flow (a wait on the real clock) or in code handed
to the code under test (simulated work).

A sleep is a wait when the test, a fixture or set-up method, a context manager the tests enter, or a helper the
file calls runs it: the test then waits for something to happen. It is the workload when it sits in code the test
hands to the code under test: a job, an ASGI app, a worker subclass's hook, a process target. There it simulates
slow work, which is what the test is about.
"""

from __future__ import annotations

import ast
import re
from typing import Literal

from assess.patterns.pyast import PythonFile

SleepContext = Literal["test", "setup", "helper", "workload"]
"""``test``: in a test function; ``setup``: in a fixture, set-up method or context manager; ``helper``: in a
function the file calls (or hands to its own thread or task); ``workload``: in code handed to the code under test."""

SETUP_NAMES = re.compile(
    r"^(setUp|setUpClass|setUpModule|asyncSetUp|tearDown|tearDownClass|asyncTearDown|setup|teardown|"
    r"setup_(method|class|module|function)|teardown_(method|class|module|function))$"
)
HARNESS_DECORATORS = {"pytest.fixture", "pytest_asyncio.fixture", "contextlib.contextmanager",
                      "contextlib.asynccontextmanager"}  # fmt: skip
OWN_CONCURRENCY = {"threading.Thread", "threading.Timer", "asyncio.create_task", "asyncio.ensure_future",
                   "asyncio.to_thread", "create_task", "run_in_executor", "submit", "start_soon"}  # fmt: skip
"""Calls that run a function in the test's own thread or task: what they run is still the test's flow."""
Scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


def sleep_context(pf: PythonFile, call: ast.Call, tests: set[ast.AST], depth: int = 0) -> SleepContext:
    """Where the sleep ``call`` runs (see :data:`SleepContext`); ``tests`` are the file's test functions. A helper
    runs where its callers do (``depth`` bounds the climb)."""
    scope = next((a for a in pf.ancestors(call) if isinstance(a, Scope)), None)
    if scope is None:
        return "helper"
    if scope in tests:
        return "test"
    if not isinstance(scope, ast.Lambda) and _harness(pf, scope):
        return "setup"
    return _use(pf, scope, tests, depth)


def polls(pf: PythonFile, call: ast.Call) -> bool:
    """Whether the sleep is the step of a loop that polls a condition (``while not done: sleep(0.5)``, or a bounded
    ``for`` that breaks when ready): it waits for the condition, not for a fixed time."""
    loop = pf.in_loop(call)
    if isinstance(loop, ast.While):
        return not (isinstance(loop.test, ast.Constant) and loop.test.value)
    return loop is not None and bool(pf.within(loop, ast.Break, ast.Return))


def _harness(pf: PythonFile, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    if SETUP_NAMES.match(fn.name):
        return True
    return any(pf.dotted(d.func if isinstance(d, ast.Call) else d) in HARNESS_DECORATORS for d in fn.decorator_list)


def _own(name: str) -> bool:
    return name in OWN_CONCURRENCY or name.rsplit(".", 1)[-1] in OWN_CONCURRENCY


def _handed_to(pf: PythonFile, node: ast.AST) -> str | None:
    """The call ``node`` is an argument of (``Thread(target=f)`` -> ``threading.Thread``), or None."""
    parent = pf.parents.get(node)
    if isinstance(parent, ast.keyword):
        parent = pf.parents.get(parent)
    return pf.call_name(parent) if isinstance(parent, ast.Call) and parent.func is not node else None


def _use(pf: PythonFile, scope: Scope, tests: set[ast.AST], depth: int) -> SleepContext:
    """How the file uses the function the sleep is in: called (a helper, unless only workload calls it), handed to
    the test's own thread, or handed to anything else (the workload)."""
    if isinstance(scope, ast.Lambda):
        target = _handed_to(pf, scope)
        return "helper" if target is None or _own(target) else "workload"
    callers: list[ast.Call] = []
    handed: list[str] = []
    method = isinstance(pf.parents.get(scope), ast.ClassDef)
    for node in pf.of_type(ast.Name, ast.Attribute):
        if not _names(node, scope.name, method) or pf.contains(scope, node):
            continue
        parent = pf.parents.get(node)
        if isinstance(parent, ast.Call) and parent.func is node:
            callers.append(parent)
        else:
            handed.append(_handed_to(pf, node) or "?")
    if (handed and all(_own(h) for h in handed)) or any(
        depth > 3 or sleep_context(pf, c, tests, depth + 1) != "workload" for c in callers
    ):
        return "helper"
    if handed or callers:
        return "workload"
    return _unreferenced(pf, scope)


def _names(node: ast.Name | ast.Attribute, name: str, method: bool) -> bool:
    """Whether ``node`` reads the function ``name``: ``name`` for a function, ``self.name``/``cls.name`` for a
    method (``super().name`` inside an override is the base class's, not this one)."""
    if not isinstance(node.ctx, ast.Load):
        return False
    if method:
        return isinstance(node, ast.Attribute) and node.attr == name and (
            isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"})  # fmt: skip
    return isinstance(node, ast.Name) and node.id == name


def _unreferenced(pf: PythonFile, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> SleepContext:
    """A function the file never names: a test class's method runs in the test's flow; a method of another class
    (a worker subclass's hook) or a module function (a job other files enqueue) is the workload."""
    owner = pf.parents.get(fn)
    if isinstance(owner, ast.ClassDef) and _test_class(pf, owner):
        return "helper"
    return "workload"


def _test_class(pf: PythonFile, cls: ast.ClassDef) -> bool:
    return cls.name.startswith("Test") and not any(
        not pf.dotted(b).rsplit(".", 1)[-1].endswith(("TestCase", "Tests", "Test")) and pf.dotted(b) != "object"
        for b in cls.bases
    )
