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


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted name, from the module's imports (``from redis import Redis`` -> ``redis.Redis``)."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                found[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
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


def _resources_in(nodes: Iterable[ast.AST], aliases: Mapping[str, str]) -> list[TestResource]:
    found = []
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func, aliases)
        hit = RESOURCE_CALLS.get(name) or next((v for p, v in RESOURCE_PREFIXES.items() if name.startswith(p)), None)
        if hit is not None:
            found.append(TestResource(what=hit[0], kind=hit[1], call=name, line=node.lineno))
    return found


def _is_fixture(fn: ast.FunctionDef | ast.AsyncFunctionDef, aliases: Mapping[str, str]) -> bool:
    for deco in fn.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if _dotted(target, aliases).endswith("fixture"):
            return True
    return False


def resources_of(tree: ast.Module) -> TestResources:
    """The resources a test or test-support module's code uses: the module's own, each class's (with its bases),
    each fixture's, and each module-level function's (a helper such as ``run_server()`` that starts a server)."""
    aliases = _aliases(tree)
    helpers = _resource_functions(tree, aliases)
    classes: dict[str, tuple[str, ...]] = {}
    users: list[str] = []
    fixtures: list[str] = []
    module_level = [n for stmt in tree.body if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef
                                                                  | ast.ClassDef) for n in ast.walk(stmt)]  # fmt: skip
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef):
            classes[stmt.name] = tuple(b for b in (_dotted(x, aliases).split(".")[-1] for x in stmt.bases) if b)
            if _uses(stmt, aliases, helpers):
                users.append(stmt.name)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name in helpers and _is_fixture(
            stmt, aliases
        ):
            fixtures.append(stmt.name)
    return TestResources(
        module=tuple(_resources_in(module_level, aliases)), all=tuple(_resources_in(ast.walk(tree), aliases)),
        classes=tuple(users), fixtures=tuple(fixtures), functions=tuple(sorted(helpers)), bases=classes,
    )  # fmt: skip


def _calls(node: ast.AST) -> set[str]:
    """Names of the plain functions called under ``node`` (``run_server(...)``)."""
    return {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def _resource_functions(tree: ast.Module, aliases: Mapping[str, str]) -> set[str]:
    """Module-level functions that use a resource, themselves or through another such function of the module."""
    functions = {s.name: s for s in tree.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)}
    found = {name for name, fn in functions.items() if _resources_in(ast.walk(fn), aliases)}
    changed = True
    while changed:
        more = {name for name, fn in functions.items() if name not in found and _calls(fn) & found}
        found |= more
        changed = bool(more)
    return found


def _uses(node: ast.AST, aliases: Mapping[str, str], helpers: set[str]) -> bool:
    return bool(_resources_in(ast.walk(node), aliases)) or bool(_calls(node) & helpers)


class ModuleHelpers:
    """A test module's imports and its module-level functions that use a real resource, worked out once for all of
    its test functions (per test, they made a large test module quadratic: Django's admin_views/tests.py took 37 s).
    """

    def __init__(self, tree: ast.Module) -> None:
        self.aliases = _aliases(tree)
        self.helpers = _resource_functions(tree, self.aliases)

    def case_resources(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[TestResource]:
        """The resources a test function's own body uses, directly or through a helper function of its module."""
        found = _resources_in(ast.walk(fn), self.aliases)
        if found:
            return found
        helpers = self.helpers & _calls(fn)
        if helpers:
            name = sorted(helpers)[0]
            return [TestResource(what=f"a real resource through {name}()", kind=TestKind.INTEGRATION, call=name,
                                 line=fn.lineno)]  # fmt: skip
        return []

    def imported_helpers(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
        """The dotted names of the imported functions the test calls (``tests.utils.run_server``), to look up in
        the other modules' resource functions."""
        aliases = self.aliases
        return tuple(sorted(aliases[name] for name in _calls(fn) if name in aliases and "." in aliases[name]))


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
