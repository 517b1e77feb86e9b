"""Where a sleep in a JavaScript/TypeScript test file runs: the test's own flow (a wait on the real clock) or code
handed to the code under test (simulated work); and the delays that are no wait at all.

The JS side of :mod:`assess.patterns.testsuite_waits`. Callbacks the test runs as part of its own flow (a promise
executor, ``.then``, an event listener, ``setTimeout``, ``Promise.all``, ``.map``) are looked through to the function
that holds them; a callback passed to anything else (``new Worker(queue, async (job) => { await delay(500) })``,
``queue.process(fn)``, ``module.exports = function (job) {...}``) is code the code under test runs: the workload.
"""

from __future__ import annotations

from tree_sitter import Node

from assess.patterns.performance_js import _args, _callee, _walk
from assess.patterns.scripts import ScriptFile
from assess.patterns.testsuite_waits import SleepContext

TEST_CALLS = {"it", "test", "it.only", "test.only", "it.concurrent", "test.concurrent"}
HOOKS = {"beforeEach", "beforeAll", "afterEach", "afterAll", "before", "after", "setup", "teardown", "suiteSetup",
         "suiteTeardown"}  # fmt: skip
FLOW = {"then", "catch", "finally", "on", "once", "addListener", "prependListener", "setTimeout", "setImmediate",
        "nextTick", "all", "allSettled", "race", "any", "map", "forEach", "flatMap", "filter", "reduce", "some",
        "every", "step", "waitFor", "act", "describe", "context", "suite", "Promise", "queueMicrotask"}  # fmt: skip
"""Calls whose callback runs in the test's own flow."""
FUNCTIONS = {"arrow_function", "function_expression", "function", "function_declaration", "method_definition",
             "generator_function_declaration", "generator_function"}  # fmt: skip
FAILING = {"reject", "fail", "done"}


def sleep_context(sf: ScriptFile, call: Node, depth: int = 0) -> SleepContext:
    """Where the sleep ``call`` runs (see :data:`~assess.patterns.testsuite_waits.SleepContext`); a helper runs
    where its callers do (``depth`` bounds the climb)."""
    node = call
    while True:
        fn = next((a for a in sf.ancestors(node) if a.type in FUNCTIONS), None)
        if fn is None:
            return "helper"
        parent = fn.parent
        if parent is None or parent.type != "arguments" or parent.parent is None:
            return _named(sf, fn, depth)
        owner = parent.parent
        text = _owner_text(sf, owner)
        last = text.rsplit(".", 1)[-1]
        if text in TEST_CALLS or text.startswith(("it.each", "test.each")):
            return "test"
        if last in HOOKS:
            return "setup"
        if last not in FLOW:
            return "workload"
        node = owner


def _owner_text(sf: ScriptFile, owner: Node) -> str:
    if owner.type == "new_expression":
        ctor = owner.child_by_field_name("constructor")
        return sf.node_text(ctor) if ctor is not None else ""
    func = owner.child_by_field_name("function")
    if func is not None and func.type == "call_expression":  # it.each(table)(name, fn)
        return _callee(sf, func)[0]
    return _callee(sf, owner)[0]


def _name_of(sf: ScriptFile, fn: Node) -> str | None:
    if fn.type in {"function_declaration", "generator_function_declaration"}:
        name = fn.child_by_field_name("name")
        return sf.node_text(name) if name is not None else None
    parent = fn.parent
    if parent is not None and parent.type == "variable_declarator":
        name = parent.child_by_field_name("name")
        return sf.node_text(name) if name is not None and name.type == "identifier" else None
    return None


def _named(sf: ScriptFile, fn: Node, depth: int) -> SleepContext:
    """A function not passed inline: a helper the file calls (running where its callers run), or code it hands on
    or exports (the workload)."""
    name = _name_of(sf, fn)
    if name is None:  # a method, ``module.exports = function``, an object's property: run by someone else
        return "workload"
    called, handed = False, False
    for n in _walk(sf.tree.root_node):
        if n.type != "identifier" or sf.node_text(n) != name or n.parent is None:
            continue
        parent = n.parent
        if parent.type == "call_expression" and parent.child_by_field_name("function") == n:
            called = called or depth > 3 or sleep_context(sf, parent, depth + 1) != "workload"
        elif parent.type == "arguments" and parent.parent is not None:
            handed = handed or _owner_text(sf, parent.parent).rsplit(".", 1)[-1] not in FLOW
        elif parent.type in {"shorthand_property_identifier", "pair", "export_specifier", "assignment_expression"}:
            handed = True
    exported = fn.parent is not None and fn.parent.type == "export_statement"
    if called:
        return "helper"
    return "workload" if handed or exported or _only_called_from_workload(sf, name) else "helper"


def _only_called_from_workload(sf: ScriptFile, name: str) -> bool:
    """Whether ``name`` is called at all (then every call is in the workload: ``_named`` saw no other)."""
    return any(n.type == "call_expression" and sf.node_text(n.child_by_field_name("function") or n) == name
               for n in _walk(sf.tree.root_node))  # fmt: skip


LOOPS = {"while_statement", "do_statement", "for_statement", "for_in_statement"}


def _polls(sf: ScriptFile, call: Node) -> bool:
    """Whether the sleep is the step of a loop that polls a condition (``while (!ready()) await delay(200)``)."""
    loop = next((a for a in sf.ancestors(call) if a.type in LOOPS | FUNCTIONS), None)
    if loop is None or loop.type in FUNCTIONS:
        return False
    condition = loop.child_by_field_name("condition")
    if loop.type in {"while_statement", "do_statement"}:
        return condition is not None and sf.node_text(condition).strip("() ") != "true"
    return any(n.type in {"break_statement", "return_statement"} for n in _walk(loop))


LISTENS = {"on", "once", "addListener", "addEventListener"}


def _fallback(sf: ScriptFile, call: Node) -> bool:
    """``new Promise(async (resolve) => { worker.on('ready', resolve); await delay(1000); resolve(); })``: the
    promise settles on the event; the delay only bounds the wait."""
    executor = next((a for a in sf.ancestors(call) if a.type in FUNCTIONS), None)
    if executor is None or executor.parent is None:
        return False
    owner = executor.parent.parent
    if owner is None or owner.type != "new_expression" or _owner_text(sf, owner) != "Promise":
        return False
    body = executor.child_by_field_name("body")
    return body is not None and any(n.type == "call_expression" and _callee(sf, n)[1] in LISTENS
                                    for n in body.named_children for n in _walk(n))  # fmt: skip


def no_wait(sf: ScriptFile, call: Node, text: str) -> bool:
    """Delays that are no fixed wait: the step of a polling loop, a fallback bound on a wait for an event, a
    ``setTimeout`` that fails the test when it fires (a timeout guard), and a delayed action started beside the code
    under test (``Promise.all([delay(100).then(() => queue.add(...)), ...])``)."""
    if _polls(sf, call) or _fallback(sf, call):
        return True
    if text == "setTimeout":
        callback = next(iter(_args(call)), None)
        return callback is not None and any(
            n.type == "throw_statement" or (n.type == "call_expression" and _callee(sf, n)[1] in FAILING
                                            and bool(_args(n)))
            for n in _walk(callback)
        )  # fmt: skip
    top = call
    while top.parent is not None and top.parent.type in {"member_expression", "call_expression"}:
        top = top.parent
    return top is not call and top.parent is not None and top.parent.type in {"array", "arguments"}
