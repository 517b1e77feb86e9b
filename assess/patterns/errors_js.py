"""Error handling in JavaScript/TypeScript: catch blocks (and ``.catch(() => {})``) that swallow, critical
startup whose failure is swallowed, ``class XError extends Error`` hierarchies, and errors thrown in a catch with
or without ``{ cause }``. Site types live in :mod:`assess.patterns.errors`; process-level handlers, promise
chains and sockets in :mod:`assess.patterns.errors_node`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

import tree_sitter

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.errors import (
    CLEANUP_CALL,
    CLEANUP_FUNCTION,
    ExceptionClassSite,
    RaiseSite,
    SwallowSite,
    explanatory,
    worst_level,
)
from assess.patterns.scripts import ScriptFile

FUNCTIONS = {
    "function_declaration", "function_expression", "function", "arrow_function", "method_definition",
    "generator_function_declaration", "generator_function",
}  # fmt: skip
LOG_OBJECTS = re.compile(r"^(console|logger|log|logging|this\.(logger|log)|this\.#?logger)$")
CRITICAL_CALL = re.compile(
    r"^(\$?connect|connectDb|connectDB|connectToDatabase|createConnection|createPool|initDb|initDB|initDatabase|"
    r"initSchema|initStorage|migrate\w*|runMigrations|createTables?)$"
)
GENERIC_INIT = re.compile(r"^(init|initialize|initialise|open|sync|start|load)$")
DB_RECEIVER = re.compile(r"db|database|datasource|sequelize|mongo|prisma|knex|pool|persist|storage|store|repo", re.I)
STARTUP_FUNCTION = re.compile(r"main|start|init|setup|boot|bootstrap|listen|serve", re.I)


def walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.named_children))


def own_nodes(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """Nodes under ``node`` that run with it, not inside nested functions."""
    stack = list(reversed(node.named_children))
    while stack:
        n = stack.pop()
        if n.type in FUNCTIONS:
            continue
        yield n
        stack.extend(reversed(n.named_children))


def callee(f: ScriptFile, call: tree_sitter.Node) -> tuple[str, str]:
    """(receiver text, function name) of a call: ``db.connect()`` -> ("db", "connect")."""
    fn = call.child_by_field_name("function")
    if fn is None:
        return "", ""
    if fn.type == "member_expression":
        obj, prop = fn.child_by_field_name("object"), fn.child_by_field_name("property")
        return (f.node_text(obj) if obj else ""), (f.node_text(prop) if prop else "")
    return "", f.node_text(fn)


def _is_log_statement(f: ScriptFile, stmt: tree_sitter.Node) -> bool:
    if stmt.type != "expression_statement" or not stmt.named_children:
        return False
    expr = stmt.named_children[0]
    if expr.type == "await_expression" and expr.named_children:
        expr = expr.named_children[0]
    if expr.type != "call_expression":
        return False
    receiver, _ = callee(f, expr)
    return bool(LOG_OBJECTS.match(receiver))


def _swallow_action(f: ScriptFile, block: tree_sitter.Node) -> Literal["empty", "log", "continue"] | None:
    statements = [s for s in block.named_children if s.type != "comment"]
    if not statements:
        return "empty"
    kinds = set()
    for stmt in statements:
        if stmt.type == "continue_statement":
            kinds.add("continue")
        elif stmt.type == "empty_statement":
            continue
        elif _is_log_statement(f, stmt):
            kinds.add("log")
        else:
            return None
    return "log" if "log" in kinds else "continue"


def _critical_call(f: ScriptFile, try_node: tree_sitter.Node) -> str | None:
    func = f.enclosing_function(try_node)
    if func is not None and not STARTUP_FUNCTION.search(func.rsplit(".", 1)[-1]):
        return None
    body = try_node.child_by_field_name("body")
    if body is None:
        return None
    for node in own_nodes(body):
        if node.type != "call_expression":
            continue
        receiver, name = callee(f, node)
        generic = GENERIC_INIT.match(name) or re.search(r"migrat", receiver, re.I)
        if CRITICAL_CALL.match(name) or (generic and DB_RECEIVER.search(receiver)):
            return f"{receiver}.{name}" if receiver else name
    return None


def identifiers(f: ScriptFile, node: tree_sitter.Node) -> set[str]:
    """The names ``node`` reads (identifiers and shorthand properties), nested functions included."""
    return {f.node_text(n) for n in walk(node) if n.type in {"identifier", "shorthand_property_identifier"}}


def _log_level(f: ScriptFile, statements: list[tree_sitter.Node]) -> str | None:
    methods = []
    for stmt in statements:
        if _is_log_statement(f, stmt):
            expr = stmt.named_children[0]
            call = expr.named_children[0] if expr.type == "await_expression" else expr
            methods.append(callee(f, call)[1])
    return worst_level(methods)


PARSES = re.compile(r"^(JSON\.parse|parse\w*|\w+\.parse\w*|decode\w*|atob|new URL|URL|Number|BigInt)$")


VALIDATES = re.compile(r"^(check|validate|verify|parse|is|assert)[A-Z_]|^(check|validate|verify|parse)$")


def _parses(f: ScriptFile, try_node: tree_sitter.Node | None) -> bool:
    """Whether the ``try`` block only checks input: every call it makes parses or converts a value
    (``JSON.parse(text)``), or it is all a validating function does (``checkTimezone``)."""
    if try_node is None:
        return False
    function = (f.enclosing_function(try_node) or "").rsplit(".", 1)[-1]
    if VALIDATES.match(function):
        return True
    body = try_node.child_by_field_name("body")
    calls = [n for n in own_nodes(body) if n.type in {"call_expression", "new_expression"}] if body is not None else []
    names = [f"new {f.node_text(c)}" if n.type == "new_expression" and (c := n.child_by_field_name("constructor"))
             else f.node_text(n.child_by_field_name("function") or n) for n in calls]  # fmt: skip
    return bool(names) and all(PARSES.match(name) for name in names)


def _logs_error(f: ScriptFile, statements: list[tree_sitter.Node], param: str | None) -> bool:
    """Whether a log statement of the catch carries the caught error (its binding appears in the call)."""
    return param is not None and any(param in identifiers(f, s) for s in statements if _is_log_statement(f, s))


def _bare_calls(f: ScriptFile, body: tree_sitter.Node) -> list[str]:
    """Names of the calls made as statements of their own (``x.close()``, ``await x.close()``) in ``body``."""
    names = []
    for node in own_nodes(body):
        expr = node.named_children[0] if node.type == "expression_statement" and node.named_children else None
        if expr is not None and expr.type == "await_expression" and expr.named_children:
            expr = expr.named_children[0]
        if expr is not None and expr.type == "call_expression":
            names.append(callee(f, expr)[1])
    return names


def _in_loop(node: tree_sitter.Node) -> bool:
    parent = node.parent
    while parent is not None and parent.type not in FUNCTIONS:
        if parent.type in {"for_statement", "for_in_statement", "while_statement", "do_statement"}:
            return True
        parent = parent.parent
    return False


def _alternative(f: ScriptFile, try_node: tree_sitter.Node) -> bool:
    """Whether code after the ``try`` does something when its ``return`` fails (not ``return;``/``return null``)."""
    after = []
    sibling = try_node.next_named_sibling
    while sibling is not None:
        if sibling.type != "comment":
            after.append(sibling)
        sibling = sibling.next_named_sibling
    return bool(after) and not (len(after) == 1 and re.fullmatch(
        r"return\s*(null|undefined|void 0)?\s*;?", f.node_text(after[0])) is not None)  # fmt: skip


def _deliberate(f: ScriptFile, try_node: tree_sitter.Node) -> str | None:
    """Why ignoring an error of the ``try`` block looks deliberate, from the block's shape; None if nothing does."""
    body = try_node.child_by_field_name("body")
    if body is None:
        return None
    inside = list(own_nodes(body))
    if any(n.type == "call_expression" and callee(f, n)[1] in {"require", "import"} for n in inside):
        return "an optional import"
    if CLEANUP_FUNCTION.search((f.enclosing_function(try_node) or "").rsplit(".", 1)[-1]):
        return "best-effort cleanup"
    if any(n.type in {"return_statement", "break_statement"} for n in inside) and (
        _in_loop(try_node) or _alternative(f, try_node)
    ):
        return "a fallback"
    calls = _bare_calls(f, body)
    if not calls and not any(n.type == "return_statement" for n in inside):
        return "an optional value"
    if calls and all(CLEANUP_CALL.match(name) for name in calls):
        return "best-effort cleanup"
    return None


def _swallows(f: ScriptFile) -> Iterator[SwallowSite]:
    for node in walk(f.tree.root_node):
        if node.type != "catch_clause":
            continue
        block = node.child_by_field_name("body")
        action = _swallow_action(f, block) if block is not None else None
        if block is None or action is None:
            continue
        param_node = node.child_by_field_name("parameter")
        param = f.node_text(param_node) if param_node is not None and param_node.type == "identifier" else None
        statements = [s for s in block.named_children if s.type != "comment"]
        drop = statements[0] if statements else node
        try_node = node.parent
        critical = _critical_call(f, try_node) if try_node is not None else None
        line, end = f.span(node)
        yield SwallowSite(
            path=f.path, line=line, end_line=end, language=f.language, snippet=f.snippet(node),
            function=f.enclosing_function(node), caught=f.node_text(param_node) if param_node else "any", broad=True,
            action=action, drop_line=f.span(drop)[0], critical_call=critical,
            explained=any(c.type == "comment" and explanatory(f.node_text(c)) for c in block.named_children),
            logs_error=action == "log" and _logs_error(f, statements, param),
            log_level=_log_level(f, statements) if action == "log" else None,
            deliberate=None if action == "log" or try_node is None else _deliberate(f, try_node),
        )  # fmt: skip


def _classes(f: ScriptFile) -> Iterator[ExceptionClassSite]:
    for node in walk(f.tree.root_node):
        if node.type not in {"class_declaration", "class", "abstract_class_declaration"}:
            continue
        name = node.child_by_field_name("name") or _bound_name(node)
        heritage = next((c for c in node.named_children if c.type == "class_heritage"), None)
        if name is None or heritage is None:
            continue
        m = re.search(r"extends\s+([\w$.]+)", f.node_text(heritage))
        if m is None:
            continue
        line = f.span(node)[0]
        yield ExceptionClassSite(
            path=f.path, line=line, end_line=line, language=f.language, snippet=f.lines[line - 1].strip(),
            function=f.enclosing_function(node), name=f.node_text(name), bases=(m.group(1).rsplit(".", 1)[-1],),
        )  # fmt: skip


def _bound_name(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The name an anonymous class expression is bound to: ``const AppError = class extends Error {}``,
    ``exports.AppError = class extends Error {}``, ``module.exports = { AppError: class extends Error {} }``."""
    parent = node.parent
    if parent is None:
        return None
    if parent.type == "variable_declarator":
        name = parent.child_by_field_name("name")
        return name if name is not None and name.type == "identifier" else None
    if parent.type == "assignment_expression":
        left = parent.child_by_field_name("left")
        if left is not None and left.type == "member_expression":
            left = left.child_by_field_name("property")
        return left if left is not None and left.type in {"identifier", "property_identifier"} else None
    if parent.type == "pair":
        key = parent.child_by_field_name("key")
        return key if key is not None and key.type == "property_identifier" else None
    return None


def _catch_of(node: tree_sitter.Node) -> tree_sitter.Node | None:
    parent = node.parent
    while parent is not None:
        if parent.type == "catch_clause":
            return parent
        if parent.type in FUNCTIONS:
            return None
        parent = parent.parent
    return None


def _cause(f: ScriptFile, new: tree_sitter.Node, param: str | None) -> Literal["chained", "missing"] | None:
    """``chained`` with ``{ cause }``; None when the caught error is passed on as an argument."""
    args = new.child_by_field_name("arguments")
    for arg in args.named_children if args is not None else []:
        if arg.type == "object" and re.search(r"(^|[{,\s])cause\b", f.node_text(arg)):
            return "chained"
        if param is not None and arg.type == "identifier" and f.node_text(arg) == param:
            return None
    return "missing"


Original = Literal["dropped", "message", "unbound"]


def _original(f: ScriptFile, catch: tree_sitter.Node, throw: tree_sitter.Node, param: str | None) -> Original | None:
    """What of the caught error reaches the new one (see :attr:`RaiseSite.original`); None when the catch reads
    the error elsewhere (logs it, tests its code: a deliberate translation)."""
    if param is None:
        return "unbound"
    if param in identifiers(f, throw):
        return "message"
    body = catch.child_by_field_name("body")
    reads = [n for n in walk(body) if n.type == "identifier" and f.node_text(n) == param] if body is not None else []
    elsewhere = any(not throw.start_byte <= n.start_byte < throw.end_byte for n in reads)
    return None if elsewhere else "dropped"


def _throws(f: ScriptFile) -> Iterator[RaiseSite]:
    for node in walk(f.tree.root_node):
        if node.type != "throw_statement" or not node.named_children:
            continue
        new = node.named_children[0]
        catch = _catch_of(node)
        if new.type != "new_expression" or catch is None:
            continue
        param_node = catch.child_by_field_name("parameter")
        param = f.node_text(param_node) if param_node is not None and param_node.type == "identifier" else None
        cause = _cause(f, new, param)
        original = _original(f, catch, node, param) if cause == "missing" else None
        if cause is None or (cause == "missing" and original is None):
            continue
        ctor = new.child_by_field_name("constructor")
        line, end = f.span(node)
        yield RaiseSite(
            path=f.path, line=line, end_line=end, language=f.language, snippet=f.snippet(node),
            function=f.enclosing_function(node), exception=f.node_text(ctor) if ctor else "Error", cause=cause,
            handler_line=f.span(catch)[0], original=original, parses=_parses(f, catch.parent),
        )  # fmt: skip


@register_extractor("script")
def error_handling_js(f: ScriptFile) -> Iterator[Site]:
    yield from _swallows(f)
    yield from _classes(f)
    yield from _throws(f)
