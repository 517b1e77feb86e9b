"""Tests as evidence, Python side: test functions and whether they assert, sleeps, parametrisation, fake
clocks, skips, integration suites (registered markers, real servers, containers) and performance suites
(pytest-benchmark, locust, asv). Also repository-level facts: a project manifest and test files.

Sites for test files are emitted only for files whose role is test or test support.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Literal

from assess.collectors.roles import classify
from assess.model import Role
from assess.model.patterns import Site, register_site
from assess.patterns import RepoFiles, register_extractor
from assess.patterns.configs import ConfigFile
from assess.patterns.pyast import PythonFile, keyword, per_node
from assess.patterns.testsuite_repo import code_files, test_command
from assess.patterns.testsuite_waits import SleepContext, polls, sleep_context


@register_site
class TestFunctionSite(Site):
    kind: Literal["test-function"] = "test-function"
    name: str
    asserts: bool
    """Whether the test checks anything: assert, pytest.raises, self.assert*, expect(...), mock assertions, a
    webtest ``status=`` or ``mustcontain``, an error it throws or a promise it rejects when a check fails, an event
    it waits for."""
    skipped: bool = False
    nothing_raises: bool = False
    """The test's name says its point is that nothing raises (``test_parse_good``, ``'runs without error'``)."""


@register_site
class TestSleepSite(Site):
    kind: Literal["test-sleep"] = "test-sleep"
    callee: str
    seconds: float
    context: SleepContext = "test"
    """Where the sleep runs: the test's own flow (``test``, ``setup``, ``helper``: a wait on the real clock) or code
    handed to the code under test (``workload``: simulated slow work); see :mod:`assess.patterns.testsuite_waits`."""


@register_site
class ParametrizedTestSite(Site):
    kind: Literal["parametrized-test"] = "parametrized-test"
    mechanism: str


@register_site
class FakeClockSite(Site):
    kind: Literal["fake-clock"] = "fake-clock"
    mechanism: str


@register_site
class SkippedTestSite(Site):
    kind: Literal["skipped-test"] = "skipped-test"
    mechanism: str


@register_site
class IntegrationSuiteSite(Site):
    kind: Literal["integration-suite"] = "integration-suite"
    evidence: str


@register_site
class PerformanceSuiteSite(Site):
    kind: Literal["performance-suite"] = "performance-suite"
    tool: str


@register_site
class TestRepoSite(Site):
    """The repository as a whole (path ``.``, line 0): whether it is a project with tests."""

    kind: Literal["test-repo"] = "test-repo"
    manifest: str | None
    test_files: int
    support_files: int = 0
    """Code files in test folders not named like tests (``test/graphite_tests.js``, helpers, fixtures)."""
    test_command: str | None = None
    """How the project says its tests run (a ``package.json`` test script, pytest or tox configuration)."""


TEST_ROLES = {Role.TEST, Role.TEST_SUPPORT}
MIN_SLEEP_SECONDS = 0.1
"""Shorter sleeps are a scheduler yield or a polling step, not a wait on the real clock."""
SKIPPING = {"pytest.skip", "pytest.xfail", "pytest.importorskip"}
SLEEPS = {"time.sleep", "asyncio.sleep", "trio.sleep", "anyio.sleep", "gevent.sleep"}
ASSERTING = re.compile(r"^(assert|expect|verify|check|should|fail|raises|warns|mustcontain|deprecated_call)|assert",
                       re.IGNORECASE)  # fmt: skip
HTTP_VERBS = re.compile(r"^(get|post|put|patch|delete|head|options)(_json)?$")
"""webtest's ``app.get(url, status=404)`` checks the status (it raises on any other)."""
NOTHING_RAISES = re.compile(
    r"(^|_)(no_?errors?|not_?raises?|does_?not_?raise|doesnt_raise|no_?exceptions?|without_(errors?|exceptions?)|"
    r"not_?fail|does_?not_?fail|no_?crash|smoke|good|succeeds?|valid)(_|$)"
)
"""Test names that say their point is that nothing raises."""
PARAMETRIZE = {"pytest.mark.parametrize", "parameterized.expand", "parameterized.parameterized.expand",
               "parameterized.parameterized"}  # fmt: skip
FAKE_CLOCK_CLASS = re.compile(r"^(Fake|Mock|Stub|Frozen|Manual|Controlled|Stepping)\w*Clock$|^Clock(Fake|Stub|Mock)$")
FAKE_TIME_CALLS = {"freezegun.freeze_time", "time_machine.travel"}
INTEGRATION_MARK = re.compile(r"^(integration\w*|e2e\w*|end_?to_?end\w*|end2end|acceptance\w*)$")
INTEGRATION_DIRS = {"integration", "integration_tests", "integration-tests", "e2e", "end_to_end", "end-to-end",
                    "acceptance"}  # fmt: skip
LOCUST_USERS = {"locust.HttpUser", "locust.User", "locust.FastHttpUser", "locust.contrib.fasthttp.FastHttpUser"}
MANIFESTS = ("pyproject.toml", "setup.py", "setup.cfg", "package.json")
INI_FILES = {"pytest.ini", "setup.cfg", "tox.ini"}


def role(path: str, text: str) -> Role:
    return classify(path, text[:8192].encode("utf-8", errors="replace")).role


def _site(pf: PythonFile, cls: type[Site], node: ast.AST, line: int | None = None, **fields: object) -> Site:
    start, end = pf.span(node)
    line = line or start
    return cls(path=pf.path, line=line, end_line=max(line, end if line == start else line), language="Python",
               snippet=pf.snippet(node) if line == start else pf.lines[line - 1].strip(),
               function=pf.qualname(node), **fields)  # fmt: skip


def test_functions(pf: PythonFile) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Module-level ``test*`` functions and ``test*`` methods of module-level classes, as pytest collects them:
    not fixtures that happen to be named ``test*``."""
    for node in pf.tree.body:
        if isinstance(node, ast.ClassDef) and not _test_class(pf, node):
            continue
        bodies = node.body if isinstance(node, ast.ClassDef) else [node]
        for fn in bodies:
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) and fn.name.startswith("test") and not any(
                "fixture" in pf.dotted(d.func if isinstance(d, ast.Call) else d) for d in fn.decorator_list
            ):
                yield fn


def _test_class(pf: PythonFile, cls: ast.ClassDef) -> bool:
    """A class pytest collects tests from: named ``Test*``, or a ``unittest.TestCase`` subclass (by its bases)."""
    return cls.name.startswith("Test") or any(
        pf.dotted(b).rsplit(".", 1)[-1].endswith(("TestCase", "Test", "Tests")) for b in cls.bases
    )


@per_node
def _checks(pf: PythonFile, root: ast.AST) -> bool:
    for node in pf.within(root, ast.Assert, ast.Raise, ast.Call):
        if isinstance(node, ast.Assert | ast.Raise):
            return True
        if isinstance(node, ast.Call):
            name = pf.call_name(node) or (node.func.attr if isinstance(node.func, ast.Attribute) else "")
            method = name.rsplit(".", 1)[-1].rstrip("()")
            if ASSERTING.search(method) or (HTTP_VERBS.match(method) and keyword(node, "status") is not None):
                return True
    return False


def _asserts(pf: PythonFile, fn: ast.FunctionDef | ast.AsyncFunctionDef, helpers: set[str]) -> bool:
    if _checks(pf, fn) or "benchmark" in {a.arg for a in fn.args.args}:
        return True
    return any(isinstance(c.func, ast.Name) and c.func.id in helpers for c in pf.within(fn, ast.Call))


def _skips_itself(pf: PythonFile, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the test is skipped by a decorator or skips itself (``pytest.skip()``, ``self.skipTest()``)."""
    if any("skip" in pf.dotted(getattr(d, "func", d)) for d in fn.decorator_list):
        return True
    return any(name in SKIPPING or name.endswith(".skipTest") for _, name in pf.calls(fn))


def _skip_reason(pf: PythonFile, dec: ast.expr) -> str | None:
    """The skip mechanism when ``dec`` skips a test without saying why, else None."""
    name = pf.dotted(dec.func if isinstance(dec, ast.Call) else dec)
    if name != "pytest.mark.skip":
        return None
    if isinstance(dec, ast.Call) and (dec.args or keyword(dec, "reason") is not None):
        return None
    above = pf.lines[dec.lineno - 2].strip() if dec.lineno >= 2 else ""
    return None if above.startswith("#") else "@pytest.mark.skip"  # a comment right above says why


@register_extractor("python")
def python_tests(pf: PythonFile) -> Iterator[Site]:
    if role(pf.path, pf.text) not in TEST_ROLES:
        return
    helpers = {f.name for f in pf.tree.body if isinstance(f, ast.FunctionDef) and _checks(pf, f)}
    tests: set[ast.AST] = set()
    for fn in test_functions(pf):
        tests.add(fn)
        skips = [(d, m) for d in fn.decorator_list if (m := _skip_reason(pf, d))]
        skipped = bool(skips) or _skips_itself(pf, fn)
        yield _site(pf, TestFunctionSite, fn, line=fn.lineno, name=fn.name, asserts=_asserts(pf, fn, helpers),
                    skipped=skipped, nothing_raises=bool(NOTHING_RAISES.search(fn.name.lower())))  # fmt: skip
        for dec, mechanism in skips:
            yield _site(pf, SkippedTestSite, dec, mechanism=mechanism)
    for call, name in pf.calls():
        if name in SLEEPS and call.args and isinstance(call.args[0], ast.Constant):
            value = call.args[0].value
            if not isinstance(value, int | float) or isinstance(value, bool):
                continue
            if value >= MIN_SLEEP_SECONDS and not polls(pf, call):
                yield _site(pf, TestSleepSite, call, callee=name, seconds=float(value),
                            context=sleep_context(pf, call, tests))  # fmt: skip
        elif name == "pytest.skip" and not call.args and not call.keywords:
            yield _site(pf, SkippedTestSite, call, mechanism="pytest.skip()")
    yield from _first(_parametrized(pf))
    yield from _first(_fake_clocks(pf))
    yield from _first(_integration(pf))
    yield from _first(_benchmarks(pf))


def _first(sites: Iterator[Site]) -> list[Site]:
    found = sorted(sites, key=lambda s: s.line)
    return found[:1]


def _parametrized(pf: PythonFile) -> Iterator[Site]:
    for node in pf.of_type(ast.FunctionDef, ast.AsyncFunctionDef, ast.Call):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for dec in node.decorator_list:
                if pf.dotted(dec.func if isinstance(dec, ast.Call) else dec) in PARAMETRIZE:
                    # the finding sits on the ``def`` line, which names the table-driven test
                    yield _site(pf, ParametrizedTestSite, node, line=node.lineno, mechanism=pf.dotted(dec.func
                                if isinstance(dec, ast.Call) else dec))  # fmt: skip
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "subTest":
            yield _site(pf, ParametrizedTestSite, node, mechanism="unittest subTest")


def _fake_clocks(pf: PythonFile) -> Iterator[Site]:
    for node in pf.of_type(ast.ClassDef, ast.Call):
        if isinstance(node, ast.ClassDef) and FAKE_CLOCK_CLASS.match(node.name):
            yield _site(pf, FakeClockSite, node, line=node.lineno, mechanism=f"class {node.name}")
        elif isinstance(node, ast.Call) and pf.call_name(node) in FAKE_TIME_CALLS:
            yield _site(pf, FakeClockSite, node, mechanism=pf.call_name(node))


def _ephemeral_port(call: ast.Call) -> bool:
    port = keyword(call, "port")
    if isinstance(port, ast.Constant) and port.value == 0 and not isinstance(port.value, bool):
        return True
    return any(
        isinstance(a, ast.Tuple) and len(a.elts) == 2 and isinstance(a.elts[0], ast.Constant)
        and isinstance(a.elts[0].value, str) and isinstance(a.elts[1], ast.Constant) and a.elts[1].value == 0
        for a in call.args
    )  # fmt: skip


def _integration(pf: PythonFile) -> Iterator[Site]:
    for node in pf.of_type(ast.Attribute, ast.Call, ast.arg):
        if isinstance(node, ast.Attribute):  # the mark's name first: resolving every attribute is slow
            if INTEGRATION_MARK.match(node.attr) and pf.dotted(node).startswith("pytest.mark."):
                yield _site(pf, IntegrationSuiteSite, node, evidence=f"tests marked {node.attr}")
        elif isinstance(node, ast.Call) and _ephemeral_port(node):
            yield _site(pf, IntegrationSuiteSite, node, evidence="a real server on an ephemeral port")
        elif isinstance(node, ast.Call) and pf.call_name(node).startswith("testcontainers."):
            yield _site(pf, IntegrationSuiteSite, node, evidence="testcontainers")
        elif isinstance(node, ast.arg) and node.arg in {"docker_services", "docker_compose_file"}:
            yield _site(pf, IntegrationSuiteSite, node, evidence="docker-compose services (pytest-docker)")
    if INTEGRATION_DIRS & set(PurePosixPath(pf.path).parts[:-1]):
        for fn in test_functions(pf):
            yield _site(pf, IntegrationSuiteSite, fn, line=fn.lineno, evidence="tests in an integration folder")
            break


def _benchmarks(pf: PythonFile) -> Iterator[Site]:
    for fn in test_functions(pf):
        if "benchmark" in {a.arg for a in fn.args.args}:
            yield _site(pf, PerformanceSuiteSite, fn, line=fn.lineno, tool="pytest-benchmark")


@register_extractor("python")
def locust_users(pf: PythonFile) -> Iterator[Site]:
    if "locust" not in {m.split(".")[0] for m in pf.imports}:
        return
    for node in pf.of_type(ast.ClassDef):
        if any(pf.dotted(b) in LOCUST_USERS for b in node.bases):
            yield _site(pf, PerformanceSuiteSite, node, line=node.lineno, tool="locust")
            return


@register_extractor("config")
def config_facts(cf: ConfigFile) -> Iterator[Site]:
    name = PurePosixPath(cf.path).name
    if name == "pyproject.toml" and cf.documents and isinstance(cf.documents[0], dict):
        ini = cf.documents[0].get("tool", {}).get("pytest", {}).get("ini_options", {})
        markers = ini.get("markers", []) if isinstance(ini, dict) else []
        yield from _markers(cf.path, cf.lines, [m for m in markers if isinstance(m, str)] if isinstance(markers, list)
                            else [])  # fmt: skip
    elif cf.format == "yaml" and any(_artillery(d) for d in cf.documents):
        line = next((n for n, text in enumerate(cf.lines, start=1) if text.startswith("scenarios:")), 1)
        yield PerformanceSuiteSite(path=cf.path, line=line, end_line=line, language="YAML",
                                   snippet=cf.lines[line - 1] if cf.lines else "", tool="artillery")  # fmt: skip


def _artillery(doc: object) -> bool:
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("config"), dict)
        and "target" in doc["config"]
        and ("scenarios" in doc)
    )


def _markers(path: str, lines: list[str], markers: list[str]) -> Iterator[Site]:
    for marker in markers:
        mark = marker.split(":", 1)[0].strip()
        if not INTEGRATION_MARK.match(mark):
            continue
        head = marker[:40]
        line = next((n for n, text in enumerate(lines, start=1) if head in text), None)
        if line is not None:
            yield IntegrationSuiteSite(path=path, line=line, end_line=line, language="TOML", snippet=lines[line - 1]
                                       .strip(), evidence=f"pytest marker {mark!r} registered")  # fmt: skip


MAX_INI_BYTES = 1024 * 1024
"""Larger pytest/tox/setup.cfg files are not read for markers."""


def _ini_markers(path: str, text: str) -> Iterator[Site]:
    lines = text.splitlines()
    inside = False
    for number, raw in enumerate(lines, start=1):
        if re.match(r"^\s*markers\s*[=:]", raw):
            inside, raw = True, raw.split("=", 1)[-1] if "=" in raw else raw.split(":", 1)[-1]
        elif inside and (not raw.strip() or not raw[0].isspace()):
            inside = False
        if inside and (mark := raw.strip().split(":", 1)[0].strip()) and INTEGRATION_MARK.match(mark):
            yield IntegrationSuiteSite(path=path, line=number, end_line=number, language="INI", snippet=raw.strip(),
                                       evidence=f"pytest marker {mark!r} registered")  # fmt: skip


@register_extractor("repo")
def repository(repo: RepoFiles) -> Iterator[Site]:
    paths = repo.paths()
    manifest = next((p for p in paths if p in MANIFESTS), None)
    tests = sum(1 for p in paths if repo.roles[p] == Role.TEST)
    yield TestRepoSite(path=".", line=0, end_line=0, language="", manifest=manifest, test_files=tests,
                       support_files=code_files(repo, Role.TEST_SUPPORT), test_command=test_command(repo))  # fmt: skip
    for p in paths:
        if PurePosixPath(p).name == "asv.conf.json":
            yield PerformanceSuiteSite(path=p, line=1, end_line=1, language="JSON", tool="asv")
        elif PurePosixPath(p).name in INI_FILES:
            text = repo.read(p, MAX_INI_BYTES)
            if text is not None:
                yield from _ini_markers(p, text)
