"""Reliability sites about processes in JavaScript and TypeScript (site types: :mod:`reliability_process`).

- supervision: a handler of a child's or a cluster worker's ``exit``/``close`` event that starts a new one
  (``cluster.fork()``, ``fork``/``spawn`` of ``child_process``). It runs on the event, at once: the restart is
  limited only when it waits (``setTimeout``) or counts (a restart/crash/backoff name tested in an ``if``);
- back-pressure: ``if (!stream.write(chunk))`` followed by waiting for ``drain`` or pausing the source;
- exits on SIGTERM: ``process.on('SIGTERM', ...)`` whose handler calls ``process.exit()`` with nothing but logging
  and assignments before it (Node runs no asynchronous work once ``process.exit`` is called).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.reliability_js import FUNCS, JsFile, calls, everything, js_file
from assess.patterns.reliability_process import (
    HEARTBEAT,
    BackPressureSite,
    HeartbeatSite,
    SignalExitSite,
    SupervisorSite,
)
from assess.patterns.scripts import ScriptFile

EXIT_EVENTS = re.compile(r"^['\"`](exit|close|disconnect)['\"`]$")
RESPAWN = re.compile(r"\b(cluster\.fork|fork|spawn|execFile)\s*\(")
LIMIT_NAME = re.compile(r"restart|respawn|crash|backoff|attempt|retr|delay|fail", re.I)
LISTEN = {"on", "once", "addListener"}


def _handler(js: JsFile, call: Node) -> Node | None:
    """The function passed as the last argument of an event subscription, or the function a name refers to."""
    args = js.args(call)
    last = args[-1] if args else None
    if last is not None and last.type == "identifier":
        return _function_named(js, js.text(last))
    return last if last is not None and last.type in FUNCS else None


def _function_named(js: JsFile, name: str) -> Node | None:
    """``function name() {}`` or ``const name = () => ...`` in this file."""
    for n in js.nodes:
        if n.type == "function_declaration" and js.text(n.child_by_field_name("name")) == name:
            return n
        value = n.child_by_field_name("value") if n.type == "variable_declarator" else None
        if value is not None and value.type in FUNCS and js.text(n.child_by_field_name("name")) == name:
            return value
    return None


def _restarts_itself(js: JsFile, call: Node, body: Node) -> Node | None:
    """``function start() { const child = spawn(...); child.on('exit', () => start()); }``: the handler calls the
    function that spawned the child again. Returns that call."""
    outer = next((a for a in js.f.ancestors(call) if a.type in FUNCS), None)
    name = js.f.enclosing_function(call) if outer is not None else None
    if name is None or outer is None or not RESPAWN.search(js.text(outer)):
        return None
    short = name.rsplit(".", 1)[-1]
    return next((n for n in everything(body) if n.type == "call_expression" and js.last_name(js.callee(n)) == short),
                None)  # fmt: skip


def _subscription(js: JsFile, call: Node, events: re.Pattern[str]) -> Node | None:
    """The handler of ``x.on('<event>', handler)`` when the event matches ``events``."""
    fn = js.callee(call)
    if call.type != "call_expression" or fn is None or fn.type != "member_expression" or js.last_name(fn) not in LISTEN:
        return None
    args = js.args(call)
    return _handler(js, call) if args and events.match(js.text(args[0])) else None


def _limited(js: JsFile, body: Node) -> bool:
    """The restart waits (``setTimeout``) or is counted (an ``if`` that tests a restart/crash/backoff name)."""
    for n in everything(body):
        if n.type == "call_expression" and js.last_name(js.callee(n)) == "setTimeout":
            return True
        cond = n.child_by_field_name("condition") if n.type == "if_statement" else None
        if cond is not None and any(i.type in {"identifier", "property_identifier"} and LIMIT_NAME.search(js.text(i))
                                    for i in everything(cond)):  # fmt: skip
            return True
    return False


def supervisors(js: JsFile) -> Iterator[SupervisorSite]:
    for call, _ in calls(js):
        handler = _subscription(js, call, EXIT_EVENTS)
        body = handler.child_by_field_name("body") if handler is not None else None
        if body is None:
            continue
        found = RESPAWN.search(js.text(body))
        spawn = next((n for n in everything(body) if n.type == "call_expression"
                      and js.text(js.callee(n)).endswith(found.group(1).rsplit(".", 1)[-1])), None) if found \
            else _restarts_itself(js, call, body)  # fmt: skip
        if spawn is not None:
            how = found.group(1) if found else f"{js.last_name(js.callee(spawn))}() again"
            yield SupervisorSite(how=how, limited=_limited(js, body), tick=0.0, **js.site(spawn, one_line=True))


def back_pressure(js: JsFile) -> Iterator[BackPressureSite]:
    for n in js.nodes:
        cond = n.child_by_field_name("condition") if n.type == "if_statement" else None
        text = js.text(cond).strip("() ") if cond is not None else ""
        cons = js.text(n.child_by_field_name("consequence")) if cond is not None else ""
        if text.startswith("!") and ".write(" in text and ("drain" in cons or ".pause(" in cons):
            yield BackPressureSite(mechanism="waits for 'drain' when write() reports a full buffer",
                                   **js.site(n, one_line=True))  # fmt: skip
            return


EXPIRY = re.compile(r"\.(expire|pexpire|setex|psetex)\s*\(|\.set\s*\(.*?['\"](EX|PX)['\"]", re.I)


def heartbeats(js: JsFile) -> Iterator[HeartbeatSite]:
    """Functions named like a heartbeat (heartbeat, renew, extendLock) that give a key a time to live."""
    for fn in (n for n in js.nodes if n.type in FUNCS):
        name = _name_of(js, fn)
        body = fn.child_by_field_name("body")
        found = EXPIRY.search(js.text(body)) if body is not None and HEARTBEAT.search(name) else None
        if body is None or found is None:
            continue
        call = next((c for c in everything(body) if c.type == "call_expression" and EXPIRY.search(js.text(c))), body)
        yield HeartbeatSite(name=name, how=(found.group(1) or "set").lower(), **js.site(call, one_line=True))


def _name_of(js: JsFile, fn: Node) -> str:
    name = fn.child_by_field_name("name")
    if name is None and fn.parent is not None and fn.parent.type in {"variable_declarator", "pair"}:
        name = fn.parent.child_by_field_name("name") or fn.parent.child_by_field_name("key")
    return js.text(name) if name is not None else ""


STOP_EVENTS = re.compile(r"^['\"`](SIGTERM|SIGINT)['\"`]$")
QUIET = re.compile(r"^(console\.\w+|(\w+\.)*(log|debug|info|warn|warning|error|trace)|util\.log)\s*\(")


def _quiet(js: JsFile, stmt: Node) -> bool:
    """Logging, an assignment, or an ``if`` holding only those."""
    if stmt.type in {"comment", "empty_statement"}:
        return True
    if stmt.type == "if_statement":
        parts = [stmt.child_by_field_name("consequence"), stmt.child_by_field_name("alternative")]
        return all(_quiet(js, s) for p in parts if p is not None for s in _statements(p))
    expr = stmt.named_children[0] if stmt.type == "expression_statement" and stmt.named_children else None
    if expr is None:
        return False
    return expr.type in {"assignment_expression", "augmented_assignment_expression"} or (
        expr.type == "call_expression" and bool(QUIET.match(js.text(expr))))  # fmt: skip


def _statements(node: Node) -> list[Node]:
    if node.type in {"statement_block", "else_clause"}:
        return [c for c in node.named_children if c.type != "comment"]
    return [node]


def _exits_at_once(js: JsFile, handler: Node) -> bool:
    body = handler.child_by_field_name("body")
    if body is None:
        return False
    if body.type != "statement_block":
        return js.text(body).startswith("process.exit(")
    for stmt in _statements(body):
        if stmt.type == "expression_statement" and js.text(stmt).startswith("process.exit("):
            return True
        if not _quiet(js, stmt):
            return False
    return False


def signal_exits(js: JsFile) -> Iterator[SignalExitSite]:
    for call, _ in calls(js):
        fn = js.callee(call)
        if fn is None or js.text(fn.child_by_field_name("object")) != "process":
            continue
        handler = _subscription(js, call, STOP_EVENTS)
        if handler is not None and _exits_at_once(js, handler):
            signal = js.text(js.args(call)[0]).strip("'\"`")
            statement = call.parent if call.parent is not None and call.parent.type == "expression_statement" else call
            yield SignalExitSite(signals=(signal,), exit_call="process.exit()", **js.site(statement, one_line=True))


@register_extractor("script")
def extract(f: ScriptFile) -> Iterator[Site]:
    """Every supervisor, back-pressure point and exit on SIGTERM in one JavaScript or TypeScript file."""
    js = js_file(f)
    for make in (supervisors, heartbeats, back_pressure, signal_exits):
        yield from make(js)
