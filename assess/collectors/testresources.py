"""What real resources a Python test file's code touches: a Redis or database server, a server it starts, a real
process, containers, a browser. A test that uses one (itself, through its class and the classes it derives from,
or through its fixtures) is an integration or end-to-end test, wherever its file lives and whatever its name: a
suite whose base test case connects to a real Redis is not a unit suite.

Facts only, per file (:class:`TestResources`); the inventory resolves classes and fixtures across files
(:func:`classify_across_files`). Test doubles (``fakeredis``, ``mongomock``, mocks) are not resources.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping

from assess.model import TestCase, TestKind
from assess.model.inventory import TestResource, TestResources
from assess.patterns.pyast import PythonFile

RESOURCE_CALLS: dict[str, tuple[str, TestKind]] = {
    "redis.Redis": ("a real Redis", TestKind.INTEGRATION),
    "redis.StrictRedis": ("a real Redis", TestKind.INTEGRATION),
    "redis.from_url": ("a real Redis", TestKind.INTEGRATION),
    "redis.Redis.from_url": ("a real Redis", TestKind.INTEGRATION),
    "redis.asyncio.Redis": ("a real Redis", TestKind.INTEGRATION),
    "redis.asyncio.from_url": ("a real Redis", TestKind.INTEGRATION),
    "redis.cluster.RedisCluster": ("a real Redis", TestKind.INTEGRATION),
    "psycopg2.connect": ("a real database", TestKind.INTEGRATION),
    "psycopg.connect": ("a real database", TestKind.INTEGRATION),
    "asyncpg.connect": ("a real database", TestKind.INTEGRATION),
    "asyncpg.create_pool": ("a real database", TestKind.INTEGRATION),
    "pymysql.connect": ("a real database", TestKind.INTEGRATION),
    "MySQLdb.connect": ("a real database", TestKind.INTEGRATION),
    "pymongo.MongoClient": ("a real database", TestKind.INTEGRATION),
    "motor.motor_asyncio.AsyncIOMotorClient": ("a real database", TestKind.INTEGRATION),
    "uvicorn.Server": ("a real server", TestKind.INTEGRATION),
    "uvicorn.run": ("a real server", TestKind.INTEGRATION),
    "http.server.HTTPServer": ("a real server", TestKind.INTEGRATION),
    "http.server.ThreadingHTTPServer": ("a real server", TestKind.INTEGRATION),
    "socketserver.TCPServer": ("a real server", TestKind.INTEGRATION),
    "wsgiref.simple_server.make_server": ("a real server", TestKind.INTEGRATION),
    "werkzeug.serving.make_server": ("a real server", TestKind.INTEGRATION),
    "asyncio.start_server": ("a real server", TestKind.INTEGRATION),
    "aiohttp.test_utils.TestServer": ("a real server", TestKind.INTEGRATION),
    "subprocess.Popen": ("a real process", TestKind.INTEGRATION),
    "multiprocessing.Process": ("a real process", TestKind.INTEGRATION),
    "docker.from_env": ("containers", TestKind.INTEGRATION),
    "playwright.sync_api.sync_playwright": ("a browser", TestKind.E2E),
    "playwright.async_api.async_playwright": ("a browser", TestKind.E2E),
    "selenium.webdriver.Chrome": ("a browser", TestKind.E2E),
    "selenium.webdriver.Firefox": ("a browser", TestKind.E2E),
}
"""Calls (as imported names resolve them) that use a real resource, what it is, and the kind it makes a test."""
RESOURCE_PREFIXES: dict[str, tuple[str, TestKind]] = {
    "testcontainers.": ("containers", TestKind.INTEGRATION),
}


def _aliases(imports: Iterable[ast.Import | ast.ImportFrom]) -> dict[str, str]:
    """Local name -> dotted name, from the module's imports (``from redis import Redis`` -> ``redis.Redis``)."""
    found: dict[str, str] = {}
    for node in imports:
        if isinstance(node, ast.Import):
            for a in node.names:
                found[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif node.module and node.level == 0:
            for a in node.names:
                found[a.asname or a.name] = f"{node.module}.{a.name}"
    return found


def _dotted(node: ast.AST, aliases: Mapping[str, str]) -> str:
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value, aliases)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def _call_nodes(node: ast.AST, imports: list[ast.Import | ast.ImportFrom] | None = None) -> list[ast.Call]:
    """Every call under ``node`` (itself included), in one walk; the imports met on the way go to ``imports``."""
    calls = []
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            calls.append(n)
        elif imports is not None and isinstance(n, ast.Import | ast.ImportFrom):
            imports.append(n)
    return calls


ROOTS = frozenset(name.split(".")[0] for name in [*RESOURCE_CALLS, *RESOURCE_PREFIXES])
"""The first parts of the resource calls' names: a call whose name starts otherwise is none of them."""


def _first_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _resources_in(calls: Iterable[ast.Call], aliases: Mapping[str, str]) -> list[TestResource]:
    found = []
    for node in calls:
        first = _first_name(node.func)
        if first is None or aliases.get(first, first).split(".")[0] not in ROOTS:
            continue  # cheap: most calls of a test module are no resource
        name = _dotted(node.func, aliases)
        hit = RESOURCE_CALLS.get(name) or next((v for p, v in RESOURCE_PREFIXES.items() if name.startswith(p)), None)
        if hit is not None:
            found.append(TestResource(what=hit[0], kind=hit[1], call=name, line=node.lineno))
    return found


def _called(calls: Iterable[ast.Call]) -> set[str]:
    """Names of the plain functions called (``run_server(...)``)."""
    return {n.func.id for n in calls if isinstance(n.func, ast.Name)}


def _is_fixture(fn: ast.FunctionDef | ast.AsyncFunctionDef, aliases: Mapping[str, str]) -> bool:
    for deco in fn.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if _dotted(target, aliases).endswith("fixture"):
            return True
    return False


class TestModule:
    """A test or test-support module's imports, its calls by top-level statement and its module-level functions
    that use a real resource, each worked out once (per test function, they made a large test module quadratic:
    Django's tests/admin_views/tests.py took 37 s)."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, tree: ast.Module, file: PythonFile | None = None) -> None:
        """``file``: the module already indexed for the pattern extractors (its nodes are then not walked again)."""
        self.tree, self.file = tree, file
        imports: list[ast.Import | ast.ImportFrom] = []
        if file is not None:
            self.calls = {id(stmt): file.within(stmt, ast.Call) for stmt in tree.body}
            imports = file.of_type(ast.Import, ast.ImportFrom)
        else:
            self.calls = {id(stmt): _call_nodes(stmt, imports) for stmt in tree.body}
        self.aliases = _aliases(imports)
        self.helpers = self._resource_functions()
        self._resources: TestResources | None = None

    def _resource_functions(self) -> set[str]:
        """Module-level functions that use a resource, themselves or through another such function of the module."""
        functions = {s.name: s for s in self.tree.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)}
        called = {name: _called(self.calls[id(fn)]) for name, fn in functions.items()}
        found = {name for name, fn in functions.items() if _resources_in(self.calls[id(fn)], self.aliases)}
        while more := {name for name in functions if name not in found and called[name] & found}:
            found |= more
        return found

    def resources(self) -> TestResources:
        """The resources the module's code uses: its own, each class's (with its bases), each fixture's, and each
        module-level function's (a helper such as ``run_server()`` that starts a server)."""
        if self._resources is None:
            self._resources = self._find_resources()
        return self._resources

    def _find_resources(self) -> TestResources:
        aliases, helpers = self.aliases, self.helpers
        classes: dict[str, tuple[str, ...]] = {}
        users: list[str] = []
        fixtures: list[str] = []
        module_level: list[TestResource] = []
        every: list[TestResource] = []
        for stmt in self.tree.body:
            calls = self.calls[id(stmt)]
            used = _resources_in(calls, aliases)
            every.extend(used)
            if isinstance(stmt, ast.ClassDef):
                classes[stmt.name] = tuple(b for b in (_dotted(x, aliases).split(".")[-1] for x in stmt.bases) if b)
                if used or _called(calls) & helpers:
                    users.append(stmt.name)
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                if stmt.name in helpers and _is_fixture(stmt, aliases):
                    fixtures.append(stmt.name)
            else:
                module_level.extend(used)
        return TestResources(
            module=tuple(module_level), all=tuple(every),
            classes=tuple(users), fixtures=tuple(fixtures), functions=tuple(sorted(helpers)), bases=classes,
        )  # fmt: skip

    def _calls_of(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Call]:
        found = self.calls.get(id(fn))
        if found is None:
            found = self.file.within(fn, ast.Call) if self.file is not None else _call_nodes(fn)
        return found

    def case_resources(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[TestResource]:
        """The resources a test function's own body uses, directly or through a helper function of its module."""
        calls = self._calls_of(fn)
        found = _resources_in(calls, self.aliases)
        if found:
            return found
        helpers = self.helpers & _called(calls)
        if helpers:
            name = sorted(helpers)[0]
            return [TestResource(what=f"a real resource through {name}()", kind=TestKind.INTEGRATION, call=name,
                                 line=fn.lineno)]  # fmt: skip
        return []

    def imported_helpers(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
        """The dotted names of the imported functions the test calls (``tests.utils.run_server``), to look up in
        the other modules' resource functions."""
        calls = self._calls_of(fn)
        aliases = self.aliases
        return tuple(sorted(aliases[name] for name in _called(calls) if name in aliases and "." in aliases[name]))


def resources_of(tree: ast.Module) -> TestResources:
    """The resources a test or test-support module's code uses (see :meth:`TestModule.resources`)."""
    return TestModule(tree).resources()


def classify_across_files(cases: list[TestCase], files: Mapping[str, TestResources]) -> list[TestCase]:
    """``cases`` with the unit tests that reach a real resource through another file made integration (or e2e):
    a base class that uses one (followed through its bases), a fixture that does (conftest.py), or an imported
    helper function that does (``from tests.utils import run_server``)."""
    users = {name for r in files.values() for name in r.classes}
    bases = {name: b for r in files.values() for name, b in r.bases.items()}
    fixtures = {name for r in files.values() for name in r.fixtures}
    helpers = {f"{_module(path)}.{name}" for path, r in files.items() for name in r.functions}
    out = []
    for case in cases:
        if case.kind is TestKind.UNIT and case.kind_reason == "default":
            used = sorted(set(case.helpers) & helpers)
            why = _reached(case, users, bases, fixtures) or (f"calls {used[0]}, which uses a real resource" if used
                                                             else None)  # fmt: skip
            if why:
                case = case.model_copy(update={"kind": TestKind.INTEGRATION, "kind_reason": why})
        out.append(case)
    return out


def _reached(case: TestCase, users: set[str], bases: Mapping[str, tuple[str, ...]], fixtures: set[str]) -> str | None:
    seen: set[str] = set()
    pending = list(case.bases)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in users:
            return f"its class derives from {name}, which uses a real resource"
        pending.extend(bases.get(name, ()))
    used = sorted(set(case.fixtures) & fixtures)
    return f"its fixture {used[0]} uses a real resource" if used else None


def _module(path: str) -> str:
    """``tests/utils.py`` -> ``tests.utils``; a package's ``__init__.py`` names the package."""
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
