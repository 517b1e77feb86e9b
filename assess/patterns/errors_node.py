"""Error handling that only Node.js has: process-level handlers for uncaught errors, promise chains whose
``.catch`` handles nothing, and sockets with no ``'error'`` listener.

In Node an ``'error'`` event that no listener takes is thrown, and a rejected promise that nothing handles ends
the process (Node 15+); both crash the service, so where the code shows them, it is a claim the code proves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

import tree_sitter

from assess.model.patterns import Site, register_site
from assess.patterns import register_extractor
from assess.patterns.errors import CLEANUP_CALL, CLEANUP_FUNCTION, SwallowSite, explanatory
from assess.patterns.errors_js import FUNCTIONS, LOG_OBJECTS, callee, walk
from assess.patterns.scripts import ScriptFile


@register_site
class ProcessHandlerSite(Site):
    """``process.on('uncaughtException' | 'unhandledRejection', handler)``: what the handler does."""

    kind: Literal["errors-process-handler"] = "errors-process-handler"
    event: str
    outcome: Literal["exits", "continues", "unknown"]
    """``exits``: the handler ends the process (``process.exit``, a rethrow, a shutdown call); ``continues``: it only
    reports (logs, records) and returns; ``unknown``: it calls code this file cannot show."""
    calls: tuple[str, ...] = ()
    """For ``unknown``: the calls that might end the process."""
    handler_line: int | None = None
    """Where the handler function starts: one function registered for both events is one policy."""


@register_site
class CatchWithoutHandlerSite(Site):
    """``promise.catch()`` with no handler as a statement of its own: the chain still rejects and nothing awaits it."""

    kind: Literal["errors-catch-no-handler"] = "errors-catch-no-handler"


@register_site
class SocketSite(Site):
    """A Node socket the code creates or accepts (``net``, ``tls``, ``dgram``); whether it listens for ``'error'``."""

    kind: Literal["errors-socket"] = "errors-socket"
    origin: Literal["accepted", "connect", "datagram"]
    name: str
    """The socket's name in the code (``stream``, ``this.client``)."""
    listens_error: bool
    handed_to: str | None = None
    """A call the socket is passed to, or ``its caller`` when returned, that may add the listener (not in this file)."""


PROCESS_EVENTS = {"uncaughtException", "unhandledRejection"}
LISTEN = {"on", "once", "addListener", "prependListener", "prependOnceListener", "addEventListener"}
REMOVE = {"removeListener", "off", "removeAllListeners"}
EXITS = re.compile(r"^(exit|abort|kill|shutdown|shutDown|gracefulShutdown|terminate|crash|die|restart|stop|close|"
                   r"destroy|reallyExit|exitProcess|exitHandler|handleExit|fatal)$|[eE]xit|[sS]hutdown")  # fmt: skip
REPORTS = re.compile(r"log|Log|trace|report|Report|capture|Capture|notify|print|write|send|toString|stringify|String")
SOCKET_MODULES = {"net", "tls", "dgram", "node:net", "node:tls", "node:dgram"}
CONNECT = re.compile(r"^(net|tls)\.(connect|createConnection)$|^new (net\.)?Socket$|^new tls\.TLSSocket$")
DATAGRAM = re.compile(r"^dgram\.createSocket$")
SERVER = re.compile(r"^(net|tls)\.createServer$")


def _string(f: ScriptFile, node: tree_sitter.Node | None) -> str | None:
    if node is None or node.type != "string":
        return None
    return f.node_text(node).strip("'\"`")


def _args(call: tree_sitter.Node) -> list[tree_sitter.Node]:
    args = call.child_by_field_name("arguments")
    return [a for a in args.named_children if a.type != "comment"] if args is not None else []


def _functions_by_name(f: ScriptFile) -> dict[str, tree_sitter.Node]:
    """Functions declared in the file by name (``function x() {}``, ``const x = () => {}``)."""
    out: dict[str, tree_sitter.Node] = {}
    for n in walk(f.tree.root_node):
        if n.type == "function_declaration" and (name := n.child_by_field_name("name")) is not None:
            out[f.node_text(name)] = n
        elif n.type == "variable_declarator" and (value := n.child_by_field_name("value")) is not None and (
            value.type in FUNCTIONS and (name := n.child_by_field_name("name")) is not None
        ):
            out[f.node_text(name)] = value
    return out


Outcome = Literal["exits", "continues", "unknown"]
Origin = Literal["accepted", "connect", "datagram"]


def _handler_outcome(f: ScriptFile, fn: tree_sitter.Node) -> tuple[Outcome, tuple[str, ...]]:
    """What a process-level handler does: exits, only reports and returns, or calls something unseen."""
    unseen: list[str] = []
    for n in walk(fn):
        if n.type == "throw_statement":
            return "exits", ()
        if n.type not in {"call_expression", "new_expression"} or n is fn:
            continue
        receiver, name = callee(f, n) if n.type == "call_expression" else ("", "")
        if EXITS.search(name) or (receiver == "process" and name in {"exit", "abort", "kill"}):
            return "exits", ()
        if n.type == "call_expression" and not (LOG_OBJECTS.match(receiver) or REPORTS.search(name)):
            unseen.append(f"{receiver}.{name}" if receiver else name)
    return ("unknown", tuple(dict.fromkeys(unseen))) if unseen else ("continues", ())


def _process_handlers(f: ScriptFile, functions: dict[str, tree_sitter.Node]) -> Iterator[Site]:
    removed = {(_string(f, a[0]), f.node_text(a[1])) for n in walk(f.tree.root_node) if n.type == "call_expression"
               and callee(f, n)[0] == "process" and callee(f, n)[1] in REMOVE and len(a := _args(n)) >= 2}  # fmt: skip
    for n in walk(f.tree.root_node):
        if n.type != "call_expression" or callee(f, n)[0] != "process" or callee(f, n)[1] not in LISTEN:
            continue
        args = _args(n)
        event = _string(f, args[0]) if args else None
        if event not in PROCESS_EVENTS or len(args) < 2 or (event, f.node_text(args[1])) in removed:
            continue  # a listener the code removes again is a temporary guard, not the process's policy
        handler = args[1] if args[1].type in FUNCTIONS else functions.get(f.node_text(args[1]))
        outcome, calls = _handler_outcome(f, handler) if handler is not None else ("unknown", (f.node_text(args[1]),))
        line, end = f.span(n)
        yield ProcessHandlerSite(path=f.path, line=line, end_line=end, language=f.language, snippet=f.snippet(n),
                                 function=f.enclosing_function(n), event=str(event), outcome=outcome, calls=calls,
                                 handler_line=f.span(handler)[0] if handler is not None else None)  # fmt: skip


def _catch_call(f: ScriptFile, n: tree_sitter.Node) -> bool:
    fn = n.child_by_field_name("function")
    return n.type == "call_expression" and fn is not None and fn.type == "member_expression" and (
        callee(f, n)[1] == "catch"
    )


def _empty_handler(f: ScriptFile, fn: tree_sitter.Node) -> bool:
    """``() => {}``, ``function () {}``, ``() => undefined`` / ``null``: a handler that does nothing."""
    body = fn.child_by_field_name("body")
    if body is None:
        return False
    if body.type == "statement_block":
        return all(c.type == "comment" for c in body.named_children)
    return f.node_text(body) in {"undefined", "null", "void 0"}


def _chain_calls(f: ScriptFile, catch: tree_sitter.Node) -> list[str]:
    """Names of the calls in the promise chain ``.catch`` is attached to (``fs.unlink(p).catch`` -> [unlink])."""
    fn = catch.child_by_field_name("function")
    receiver = fn.child_by_field_name("object") if fn is not None else None
    return [callee(f, n)[1] for n in walk(receiver) if n.type == "call_expression"] if receiver is not None else []


def _promise_catches(f: ScriptFile) -> Iterator[Site]:
    for n in walk(f.tree.root_node):
        if not _catch_call(f, n):
            continue
        args, parent = _args(n), n.parent
        line, end = f.span(n)
        function = f.enclosing_function(n)
        common = {"path": f.path, "line": line, "end_line": end, "language": f.language, "snippet": f.snippet(n),
                  "function": function}  # fmt: skip
        if not args and parent is not None and parent.type == "expression_statement":
            yield CatchWithoutHandlerSite(**common)
        elif len(args) == 1 and args[0].type in FUNCTIONS and _empty_handler(f, args[0]) and not _awaited_elsewhere(
            f, n
        ):
            cleanup = any(CLEANUP_CALL.match(c) for c in _chain_calls(f, n)) or CLEANUP_FUNCTION.search(
                (function or "").rsplit(".", 1)[-1])  # fmt: skip
            explained = any(c.type == "comment" and explanatory(f.node_text(c)) for c in walk(args[0])) or (
                _comment_above(f, n))  # fmt: skip
            yield SwallowSite(**common, caught="a rejected promise", broad=True, action="empty", drop_line=line,
                              explained=explained, deliberate="best-effort cleanup" if cleanup else None)  # fmt: skip


def _awaited_elsewhere(f: ScriptFile, catch: tree_sitter.Node) -> bool:
    """``p.catch(() => {})`` on a promise variable the code uses again (awaits it, races it): that use still sees the
    rejection; the empty handler only keeps an abandoned promise from being reported as unhandled."""
    fn = catch.child_by_field_name("function")
    receiver = fn.child_by_field_name("object") if fn is not None else None
    if receiver is None or receiver.type != "identifier":
        return False
    name = f.node_text(receiver)
    scope = next((a for a in f.ancestors(catch) if a.type in FUNCTIONS), f.tree.root_node)
    return any(n.type == "identifier" and f.node_text(n) == name and n != receiver and n.parent is not None
               and n.parent.type != "variable_declarator" for n in walk(scope))  # fmt: skip


def _comment_above(f: ScriptFile, node: tree_sitter.Node) -> bool:
    """An explanatory comment on the lines right above the statement holding ``node``."""
    statement = next((a for a in (node, *f.ancestors(node)) if a.type == "expression_statement"), node)
    previous = statement.prev_named_sibling
    return previous is not None and previous.type == "comment" and explanatory(f.node_text(previous)) and (
        f.span(previous)[1] >= f.span(statement)[0] - 1
    )


def _rebinds(f: ScriptFile, fn: tree_sitter.Node, name: str) -> bool:
    """Whether the function ``fn`` declares its own ``name`` (a parameter or a variable): another socket there."""
    params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
    if params is not None and name in {f.node_text(p) for p in walk(params) if p.type == "identifier"}:
        return True
    return any(n.type == "variable_declarator" and (v := n.child_by_field_name("name")) is not None
               and f.node_text(v) == name for n in walk(fn))  # fmt: skip


def _visible(f: ScriptFile, scope: tree_sitter.Node, name: str) -> Iterator[tree_sitter.Node]:
    """The nodes of ``scope`` where ``name`` means the same variable: not inside functions that declare their own."""
    stack = [scope]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(c for c in reversed(n.named_children)
                     if c.type not in FUNCTIONS or name.startswith("this.") or not _rebinds(f, c, name))  # fmt: skip


def _listens(f: ScriptFile, scope: tree_sitter.Node, name: str) -> bool:
    """Whether ``name.on('error', ...)`` (or once, addListener ...) is called anywhere in ``scope``."""
    for n in _visible(f, scope, name):
        if n.type == "call_expression" and callee(f, n)[1] in LISTEN and callee(f, n)[0] == name:
            args = _args(n)
            if args and _string(f, args[0]) == "error":
                return True
    return False


def _chained_listener(f: ScriptFile, creation: tree_sitter.Node) -> bool:
    """``net.connect(...).on('connect', ...).on('error', ...)``: a listener added on the creation's chain."""
    node = creation
    while (member := node.parent) is not None and member.type == "member_expression":
        call = member.parent
        if call is None or call.type != "call_expression":
            return False
        args = _args(call)
        if callee(f, call)[1] in LISTEN and args and _string(f, args[0]) == "error":
            return True
        node = call
    return False


def _handed_to(f: ScriptFile, scope: tree_sitter.Node, name: str, functions: dict[str, tree_sitter.Node]) -> str | None:
    """A call outside this file the socket is passed to, or ``its caller`` when returned; None if it stays here."""
    for n in _visible(f, scope, name):
        if n.type == "return_statement" and name in {f.node_text(c) for c in walk(n) if c.type == "identifier"}:
            return "its caller"
        if n.type not in {"call_expression", "new_expression"}:
            continue
        if any(a.type == "identifier" and f.node_text(a) == name for a in _args(n)):
            fn = n.child_by_field_name("function") or n.child_by_field_name("constructor")
            target = f.node_text(fn) if fn is not None else "?"
            local = functions.get(target)
            if local is None or _listens_any(f, local):
                return target
    return None


def _listens_any(f: ScriptFile, fn: tree_sitter.Node) -> bool:
    return any(n.type == "call_expression" and callee(f, n)[1] in LISTEN and (a := _args(n))
               and _string(f, a[0]) == "error" for n in walk(fn))  # fmt: skip


def _bound_name(f: ScriptFile, creation: tree_sitter.Node) -> str | None:
    """The variable (or ``this.x``) a creation is assigned to, through an ``await``."""
    node = creation.parent
    if node is not None and node.type == "await_expression":
        node = node.parent
    if node is not None and node.type == "variable_declarator":
        name = node.child_by_field_name("name")
        return f.node_text(name) if name is not None and name.type == "identifier" else None
    if node is not None and node.type == "assignment_expression":
        left = node.child_by_field_name("left")
        return f.node_text(left) if left is not None else None
    return None


def _scope(node: tree_sitter.Node) -> tree_sitter.Node:
    """The function around ``node``, or the whole file."""
    parent = node.parent
    while parent is not None and parent.type not in FUNCTIONS:
        parent = parent.parent
    return parent if parent is not None else _root(node)


def _root(node: tree_sitter.Node) -> tree_sitter.Node:
    while node.parent is not None:
        node = node.parent
    return node


def _socket_site(f: ScriptFile, at: tree_sitter.Node, origin: Origin, name: str, scope: tree_sitter.Node,
                 functions: dict[str, tree_sitter.Node], chained: bool = False) -> SocketSite:  # fmt: skip
    search = _root(at) if name.startswith("this.") else scope
    listens = chained or _listens(f, search, name)
    handed = None if listens or name.startswith("this.") else _handed_to(f, scope, name, functions)
    line, end = f.span(at)
    return SocketSite(path=f.path, line=line, end_line=end, language=f.language, snippet=f.snippet(at),
                      function=f.enclosing_function(at), origin=origin, name=name,
                      listens_error=listens, handed_to=handed)  # fmt: skip


def _creation_text(f: ScriptFile, n: tree_sitter.Node) -> str:
    if n.type == "new_expression":
        ctor = n.child_by_field_name("constructor")
        return f"new {f.node_text(ctor)}" if ctor is not None else ""
    fn = n.child_by_field_name("function")
    return f.node_text(fn) if fn is not None else ""


def _sockets(f: ScriptFile, functions: dict[str, tree_sitter.Node]) -> Iterator[Site]:
    for n in walk(f.tree.root_node):
        if n.type not in {"call_expression", "new_expression"}:
            continue
        text = _creation_text(f, n)
        if SERVER.match(text):
            handler = next((a for a in _args(n) if a.type in FUNCTIONS), None)
            params = handler.child_by_field_name("parameters") if handler is not None else None
            first = next((p for p in params.named_children if p.type == "identifier"), None) if params else None
            if handler is not None and first is not None:
                yield _socket_site(f, n, "accepted", f.node_text(first), handler, functions)
        elif CONNECT.match(text) or DATAGRAM.match(text):
            name, scope = _bound_name(f, n), _scope(n)
            origin: Origin = "datagram" if DATAGRAM.match(text) else "connect"
            where = _root(n) if name is not None and name.startswith("this.") else scope
            if origin == "datagram" and name is not None and not _sends(f, where, name):
                continue  # a socket that only receives fails at bind, at start-up: failing fast is right
            if name is not None or _chained_listener(f, n):
                yield _socket_site(f, n, origin, name or "?", scope, functions, _chained_listener(f, n))


def _sends(f: ScriptFile, scope: tree_sitter.Node, name: str) -> bool:
    return any(n.type == "call_expression" and callee(f, n) == (name, "send") for n in _visible(f, scope, name))


@register_extractor("script")
def node_errors(f: ScriptFile) -> Iterator[Site]:
    """Each part walks the tree only when the text holds what it looks for (most files hold none of it)."""
    handlers = "uncaughtException" in f.text or "unhandledRejection" in f.text
    sockets = bool(set(f.imports) & SOCKET_MODULES)
    functions = _functions_by_name(f) if handlers or sockets else {}
    if handlers:
        yield from _process_handlers(f, functions)
    if ".catch" in f.text:
        yield from _promise_catches(f)
    if sockets:
        yield from _sockets(f, functions)
