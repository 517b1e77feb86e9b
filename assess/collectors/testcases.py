"""Count test cases by reading test files (Python AST), without running anything.

Rules (docs/metrics.md): pytest functions ``test*`` at module level; methods ``test*`` of classes
named ``Test*`` without ``__init__`` (pytest) or of classes deriving from a ``*TestCase`` base,
directly or through a class in the same module (unittest). A parametrized test counts once as a
definition; its expansion is the product of the lengths of its literal ``argvalues`` lists, or
unknown when any list is not a literal.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterator
from pathlib import PurePosixPath

from assess.collectors.testresources import TestModule
from assess.model import TestCase, TestKind

MARKER_KINDS: dict[str, TestKind] = {
    "integration": TestKind.INTEGRATION,
    "integration_test": TestKind.INTEGRATION,
    "db": TestKind.INTEGRATION,
    "django_db": TestKind.INTEGRATION,
    "e2e": TestKind.E2E,
    "end_to_end": TestKind.E2E,
    "acceptance": TestKind.E2E,
    "functional": TestKind.E2E,
    "system": TestKind.E2E,
    "ui": TestKind.E2E,
    "browser": TestKind.E2E,
    "selenium": TestKind.E2E,
    "playwright": TestKind.E2E,
    "benchmark": TestKind.PERFORMANCE,
    "performance": TestKind.PERFORMANCE,
    "perf": TestKind.PERFORMANCE,
    "load": TestKind.PERFORMANCE,
    "stress": TestKind.PERFORMANCE,
}
PATH_KINDS: dict[str, TestKind] = {
    "integration": TestKind.INTEGRATION,
    "integrations": TestKind.INTEGRATION,
    "integ": TestKind.INTEGRATION,
    "it": TestKind.INTEGRATION,
    "e2e": TestKind.E2E,
    "end_to_end": TestKind.E2E,
    "end2end": TestKind.E2E,
    "acceptance": TestKind.E2E,
    "functional": TestKind.E2E,
    "system": TestKind.E2E,
    "performance": TestKind.PERFORMANCE,
    "perf": TestKind.PERFORMANCE,
    "benchmark": TestKind.PERFORMANCE,
    "benchmarks": TestKind.PERFORMANCE,
    "load": TestKind.PERFORMANCE,
    "stress": TestKind.PERFORMANCE,
}
"""Folder names that set a test's kind."""

NAME_WORD_KINDS = {w: k for w, k in PATH_KINDS.items() if w not in {"it", "load", "system", "functional", "integ"}}
"""Words of file or test names (split at underscores) that set a test's kind; words too common in
unit-test names (``test_functional.py`` of a functional-programming helper, ``test_load_config``) are left out."""

BENCHMARK_FIXTURES = frozenset({"benchmark", "aio_benchmark"})


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    return ""


def _marker(deco: ast.AST) -> tuple[str, ast.Call | None] | None:
    """('name', call) for ``@pytest.mark.name`` / ``@mark.name(...)``; None for other decorators."""
    dotted = _dotted(deco)
    parts = dotted.split(".")
    if len(parts) >= 2 and parts[-2] == "mark":
        return parts[-1], deco if isinstance(deco, ast.Call) else None
    return None


def _markers(nodes: list[ast.expr]) -> list[tuple[str, ast.Call | None]]:
    return [m for m in map(_marker, nodes) if m is not None]


def _module_marks(tree: ast.Module) -> list[ast.expr]:
    marks: list[ast.expr] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets):
            value = stmt.value
            marks.extend(value.elts if isinstance(value, ast.List | ast.Tuple) else [value])
    return marks


def _expansion(call: ast.Call | None) -> int | None:
    if call is None:
        return None
    values = (
        call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "argvalues"), None)
    )
    return len(values.elts) if isinstance(values, ast.List | ast.Tuple | ast.Set) else None


def _kind(rel: str, name: str, markers: list[str], args: set[str]) -> tuple[TestKind, str]:
    for m in markers:
        if m in MARKER_KINDS:
            return MARKER_KINDS[m], f"marker {m}"
    if used := BENCHMARK_FIXTURES & args:
        return TestKind.PERFORMANCE, f"uses the {sorted(used)[0]} fixture"
    path = PurePosixPath(rel)
    for part in path.parts[:-1]:
        if part.lower() in PATH_KINDS:
            return PATH_KINDS[part.lower()], f"path {part}/"
    for word in path.stem.lower().split("_") + name.lower().split("_"):
        if word in NAME_WORD_KINDS:
            return PATH_KINDS[word], f"name word {word!r}"
    return TestKind.UNIT, "default"


def _is_testcase_class(cls: ast.ClassDef, local_testcases: set[str]) -> bool:
    for base in cls.bases:
        dotted = _dotted(base)
        if dotted.endswith("TestCase") or dotted in local_testcases:
            return True
    return False


def _declares_no_test(cls: ast.ClassDef) -> bool:
    for stmt in cls.body:
        if (
            isinstance(stmt, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__test__" for t in stmt.targets)
            and isinstance(stmt.value, ast.Constant)
            and stmt.value.value is False
        ):
            return True
    return False


class _Finder:
    def __init__(self, rel: str, tree: ast.Module, module: TestModule | None = None) -> None:
        self.rel = rel
        self.module_marks = _markers(_module_marks(tree))
        self.local_testcases: set[str] = set()
        self.tree = tree
        self.helpers = module if module is not None else TestModule(tree)
        self.resources = self.helpers.resources()
        self.bases: tuple[str, ...] = ()

    def run(self) -> Iterator[TestCase]:
        for stmt in self.tree.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name.startswith("test"):
                yield self._case(stmt, "", "pytest-function", [])
            elif isinstance(stmt, ast.ClassDef):
                yield from self._class(stmt, "", [])

    def _class(
        self, cls: ast.ClassDef, prefix: str, outer_marks: list[tuple[str, ast.Call | None]]
    ) -> Iterator[TestCase]:
        unittest_style = _is_testcase_class(cls, self.local_testcases)
        if unittest_style:
            self.local_testcases.add(cls.name)
        pytest_style = cls.name.startswith("Test") and not any(
            isinstance(s, ast.FunctionDef) and s.name == "__init__" for s in cls.body
        )
        if not (unittest_style or pytest_style) or _declares_no_test(cls):
            return
        marks = outer_marks + _markers(cls.decorator_list)
        style = "unittest" if unittest_style else "pytest-method"
        qual = f"{prefix}{cls.name}::"
        outer_bases, self.bases = self.bases, (cls.name, *self.resources.bases.get(cls.name, ()))
        for stmt in cls.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name.startswith("test"):
                yield self._case(stmt, qual, style, marks)
            elif isinstance(stmt, ast.ClassDef) and not unittest_style:
                yield from self._class(stmt, qual, marks)
        self.bases = outer_bases

    def _case(
        self,
        fn: ast.FunctionDef | ast.AsyncFunctionDef,
        qual: str,
        style: str,
        outer: list[tuple[str, ast.Call | None]],
    ) -> TestCase:
        marks = self.module_marks + outer + _markers(fn.decorator_list)
        params = [call for name, call in marks if name == "parametrize"]
        sizes = [_expansion(c) for c in params]
        expanded = None if any(s is None for s in sizes) else math.prod(s for s in sizes if s is not None)
        names = [n for n, _ in marks if n != "parametrize"]
        args = {a.arg for a in fn.args.args + fn.args.kwonlyargs}
        kind, reason = _kind(self.rel, fn.name, names, args)
        if kind is TestKind.UNIT and reason == "default":
            kind, reason = self._resource_kind(fn, kind, reason)
        return TestCase(
            path=self.rel,
            name=f"{qual}{fn.name}",
            line=fn.lineno,
            style=style,
            kind=kind,
            kind_reason=reason,
            markers=tuple(dict.fromkeys(names)),
            parametrized=bool(params),
            expanded=expanded,
            bases=self.bases,
            fixtures=tuple(sorted(args - {"self", "cls"})),
            helpers=self.helpers.imported_helpers(fn),
        )

    def _resource_kind(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, kind: TestKind,
                       reason: str) -> tuple[TestKind, str]:  # fmt: skip
        """The kind a real resource used by the test itself, its class or its module gives it; else as given."""
        own = self.helpers.case_resources(fn) or list(self.resources.module)
        if own:
            return own[0].kind, f"uses {own[0].what} ({own[0].call}, line {own[0].line})"
        if self.bases and self.bases[0] in self.resources.classes:
            return TestKind.INTEGRATION, f"its class {self.bases[0]} uses a real resource"
        used = sorted(set(a.arg for a in fn.args.args) & set(self.resources.fixtures))
        if used:
            return TestKind.INTEGRATION, f"its fixture {used[0]} uses a real resource"
        return kind, reason


def find_python_tests(
    rel: str, source: str, tree: ast.Module | None = None, module: TestModule | None = None
) -> list[TestCase]:
    """Test cases defined in the Python test file ``rel``, from ``tree`` when it is already parsed (and ``module``,
    its :class:`TestModule`, when it is already made). Raises SyntaxError/ValueError if it does not parse."""
    tree = tree if tree is not None else ast.parse(source, filename=rel)
    return list(_Finder(rel, tree, module).run())
