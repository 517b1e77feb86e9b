"""Tests as evidence, JavaScript/TypeScript side: ``it``/``test`` blocks and whether they expect anything,
real-clock waits, ``it.each``, fake timers, skipped tests, integration suites (supertest, Playwright,
Cypress, testcontainers) and load or benchmark scripts (k6, vitest bench, benchmark.js, tinybench)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from tree_sitter import Node

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.performance_js import _args, _callee, _walk
from assess.patterns.scripts import ScriptFile
from assess.patterns.testsuite import (
    INTEGRATION_DIRS,
    TEST_ROLES,
    FakeClockSite,
    IntegrationSuiteSite,
    ParametrizedTestSite,
    PerformanceSuiteSite,
    SkippedTestSite,
    TestFunctionSite,
    TestSleepSite,
    role,
)
from assess.patterns.testsuite_js_waits import TEST_CALLS, no_wait, sleep_context

SKIP_CALLS = {"it.skip", "test.skip", "describe.skip", "xit", "xtest", "xdescribe", "context.skip"}
EACH_CALLS = {"it.each", "test.each", "describe.each", "it.concurrent.each", "test.concurrent.each"}
FAKE_TIMERS = re.compile(r"^(jest|vi|sinon)\.useFakeTimers$|^(FakeTimers|fakeTimers)\.install$|^vi\.setSystemTime$")
SLEEP_CALLS = {"sleep", "delay", "wait", "waitForTimeout", "setTimeoutPromise"}
MIN_SLEEP_MS = 100
ASSERTING = re.compile(r"expect|assert|should|^(reject|fail)$|\.fail$", re.IGNORECASE)
"""Calls that check: ``expect``, ``assert.*``, ``should``; ``reject(err)`` or ``fail()`` when a check fails."""
NOTHING_RAISES = re.compile(
    r"\b(not (throw|fail|raise|crash|error|reject)s?|without (an? )?(errors?|exceptions?|throwing|failing|crashing)|"
    r"no (errors?|exceptions?)|succeeds?|successfully|smoke)\b", re.IGNORECASE
)
"""Test titles that say their point is that nothing throws."""
INTEGRATION_IMPORTS = {
    "supertest": "supertest", "@playwright/test": "Playwright", "playwright": "Playwright", "cypress": "Cypress",
    "testcontainers": "testcontainers", "puppeteer": "Puppeteer", "@testcontainers/postgresql": "testcontainers",
    "@testcontainers/redis": "testcontainers",
}  # fmt: skip
CONFIG_FILES = re.compile(r"^(playwright|cypress)\.config\.[cm]?[jt]s$")
LOAD_IMPORTS = {"k6/http": "k6", "k6": "k6"}
FUNCTION_TYPES = {"arrow_function", "function_expression", "function"}


def _site(sf: ScriptFile, cls: type[Site], node: Node, **fields: object) -> Site:
    line, end = sf.span(node)
    return cls(path=sf.path, line=line, end_line=end, language=sf.language, snippet=sf.snippet(node),
               function=sf.enclosing_function(node), **fields)  # fmt: skip


def _callback(call: Node) -> Node | None:
    return next((a for a in _args(call) if a.type in FUNCTION_TYPES), None)


LISTENS = {"on", "once", "addListener", "addEventListener"}


def _awaits_event(sf: ScriptFile, promise: Node) -> bool:
    """``new Promise((resolve) => emitter.on('completed', ...))``, or one whose ``resolve`` a callback calls later
    (``processor = async () => { if (++n === 2) resolve(); }``): awaited, it fails the test (by its timeout) unless
    that happens, so the test checks that it does. ``new Promise((r) => setTimeout(r, 500))`` is only a sleep."""
    ctor = promise.child_by_field_name("constructor")
    if ctor is None or sf.node_text(ctor) != "Promise":
        return False
    if any(n.type == "call_expression" and _callee(sf, n)[1] in LISTENS for n in _walk(promise)):
        return True
    executor = next((a for a in _args(promise) if a.type in FUNCTION_TYPES), None)
    params = executor.child_by_field_name("parameters") if executor is not None else None
    resolve = next((sf.node_text(p) for p in _walk(params) if p.type == "identifier"), None) if params else None
    return executor is not None and resolve is not None and any(
        n.type == "call_expression" and sf.node_text(n.child_by_field_name("function") or n) == resolve
        and _deferred(sf, n, executor) for n in _walk(executor)
    )  # fmt: skip


def _deferred(sf: ScriptFile, call: Node, executor: Node) -> bool:
    """Whether ``call`` sits in a callback inside ``executor`` that is not a timer's: code that runs when something
    happens, not after a fixed time."""
    inner = next((a for a in sf.ancestors(call) if a.type in FUNCTION_TYPES), None)
    if inner is None or inner == executor:
        return False
    holder = inner.parent.parent if inner.parent is not None and inner.parent.type == "arguments" else None
    return holder is None or _callee(sf, holder)[1] not in {"setTimeout", "setImmediate"}


def _checks(sf: ScriptFile, body: Node, params: set[str], helpers: set[str]) -> bool:
    for n in _walk(body):
        if n.type == "throw_statement" or (n.type == "new_expression" and _awaits_event(sf, n)):
            return True  # the test fails itself when a check fails, or when an awaited event never comes
        if n.type != "call_expression":
            continue
        text, _ = _callee(sf, n)
        if ASSERTING.search(text) or text.split(".")[0] in params or text in helpers:
            return True
    return False


def _helpers(sf: ScriptFile) -> set[str]:
    """Names of functions in the file that expect or assert (tests may delegate their checks to them)."""
    out: set[str] = set()
    for n in _walk(sf.tree.root_node):
        name = None
        if n.type == "function_declaration":
            name = n.child_by_field_name("name")
        elif n.type == "variable_declarator" and (v := n.child_by_field_name("value")) is not None:
            name = n.child_by_field_name("name") if v.type in FUNCTION_TYPES else None
        if name is not None and ASSERTING.search(sf.node_text(n)):
            out.add(sf.node_text(name))
    return out


def _number(sf: ScriptFile, node: Node | None) -> float | None:
    if node is None or node.type != "number":
        return None
    try:
        return float(sf.node_text(node).replace("_", ""))
    except ValueError:
        return None


@register_extractor("script")
def script_tests(sf: ScriptFile) -> Iterator[Site]:
    name = PurePosixPath(sf.path).name
    imports = set(sf.imports)
    yield from _first(_load_scripts(sf, imports))
    if role(sf.path, sf.text) not in TEST_ROLES and not CONFIG_FILES.match(name):
        return
    helpers = _helpers(sf)
    fake_timers = False
    found: dict[type[Site], list[Site]] = {ParametrizedTestSite: [], FakeClockSite: [], IntegrationSuiteSite: []}
    for call in (n for n in _walk(sf.tree.root_node) if n.type == "call_expression"):
        text, last = _callee(sf, call)
        args = _args(call)
        if text in TEST_CALLS and (fn := _callback(call)) is not None:
            params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
            names = {sf.node_text(p) for p in _walk(params) if p.type == "identifier"} if params else set()
            names.discard("done")
            asserts = _checks(sf, fn, names, helpers)
            title = _title(sf, args)
            yield _site(sf, TestFunctionSite, call, name=title, asserts=asserts,
                        nothing_raises=bool(NOTHING_RAISES.search(title)))  # fmt: skip
            if INTEGRATION_DIRS & set(PurePosixPath(sf.path).parts[:-1]):
                found[IntegrationSuiteSite].append(_site(sf, IntegrationSuiteSite, call, evidence="tests in an "
                                                         "integration folder"))  # fmt: skip
        elif text in SKIP_CALLS and not _skip_explained(sf, call, args):
            yield _site(sf, SkippedTestSite, call, mechanism=text)
        elif call.child_by_field_name("function") is not None and _each(sf, call) in EACH_CALLS:
            found[ParametrizedTestSite].append(_site(sf, ParametrizedTestSite, call, mechanism=_each(sf, call)))
        elif FAKE_TIMERS.match(text):
            fake_timers = True
            found[FakeClockSite].append(_site(sf, FakeClockSite, call, mechanism=text))
        elif last == "listen" and args and sf.node_text(args[0]) == "0":
            found[IntegrationSuiteSite].append(_site(sf, IntegrationSuiteSite, call, evidence="a real server on an "
                                                     "ephemeral port"))  # fmt: skip
    yield from _sleeps(sf, fake_timers)
    found[IntegrationSuiteSite].extend(_imported(sf, INTEGRATION_IMPORTS, IntegrationSuiteSite, "evidence"))
    for sites in found.values():
        yield from _first(iter(sites))


def _skip_explained(sf: ScriptFile, call: Node, args: list[Node]) -> bool:
    """A skip that says why: ``test.skip(condition, "why")``, or a comment right above the skipped test."""
    if len(args) >= 2 and args[1].type in {"string", "template_string"}:
        return True
    statement = call.parent if call.parent is not None and call.parent.type == "expression_statement" else call
    previous = statement.prev_named_sibling
    return previous is not None and previous.type == "comment" and sf.span(previous)[1] >= sf.span(statement)[0] - 1


def _title(sf: ScriptFile, args: list[Node]) -> str:
    return sf.node_text(args[0]).strip("'\"`")[:120] if args else "?"


def _each(sf: ScriptFile, call: Node) -> str:
    """``it.each`` for ``it.each(table)(name, fn)`` and for ``it.each`table```."""
    func = call.child_by_field_name("function")
    if func is not None and func.type == "call_expression":
        return _callee(sf, func)[0]
    return _callee(sf, call)[0]


def _sleeps(sf: ScriptFile, fake_timers: bool) -> Iterator[Site]:
    for call in (n for n in _walk(sf.tree.root_node) if n.type == "call_expression"):
        text, last = _callee(sf, call)
        args = _args(call)
        if text == "setTimeout" and not fake_timers and len(args) >= 2:
            ms = _number(sf, args[1])
        elif last in SLEEP_CALLS and len(args) == 1:
            ms = _number(sf, args[0])
        else:
            continue
        if ms is not None and ms >= MIN_SLEEP_MS and not no_wait(sf, call, text):
            yield _site(sf, TestSleepSite, call, callee=text, seconds=ms / 1000, context=sleep_context(sf, call))


def _imported(sf: ScriptFile, modules: dict[str, str], cls: type[Site], field: str) -> Iterator[Site]:
    """A site at each ``import ... from 'module'`` or ``require('module')`` of one of ``modules``."""
    for n in _walk(sf.tree.root_node):
        source = None
        if n.type == "import_statement":
            source = n.child_by_field_name("source")
        elif n.type == "call_expression" and _callee(sf, n)[0] == "require" and _args(n):
            source = _args(n)[0]
        module = sf.node_text(source).strip("'\"`") if source is not None else ""
        if module in modules:
            yield _site(sf, cls, n, **{field: modules[module]})


def _load_scripts(sf: ScriptFile, imports: set[str]) -> Iterator[Site]:
    yield from _imported(sf, LOAD_IMPORTS, PerformanceSuiteSite, "tool")
    for call in (n for n in _walk(sf.tree.root_node) if n.type in {"call_expression", "new_expression"}):
        text = sf.node_text(call.child_by_field_name("function") or call.child_by_field_name("constructor") or call)
        if text == "bench" and imports & {"vitest", "tinybench"}:
            yield _site(sf, PerformanceSuiteSite, call, tool="vitest bench")
        elif (
            call.type == "new_expression"
            and text in {"Benchmark.Suite", "Bench"}
            and imports & {"benchmark", "tinybench"}
        ):
            yield _site(sf, PerformanceSuiteSite, call, tool="benchmark.js" if "Suite" in text else "tinybench")


def _first(sites: Iterator[Site]) -> list[Site]:
    return sorted(sites, key=lambda s: s.line)[:1]
