"""Where a value in JavaScript or TypeScript code comes from, as far as the file shows (the counterpart of
:mod:`assess.patterns.security_flow`): the request (``req.body``, ``req.query``, ``ctx.request``), a file
(``fs.readFileSync``, the data a ``fs.readFile`` callback is given), a constant, or somewhere the code does not
show. Names are followed to their declarations and assignments in the functions around them, a few steps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import tree_sitter

from assess.patterns.scripts import ScriptFile
from assess.patterns.security_flow import Source, summary

REQUEST = re.compile(r"^(req|request|ctx\.request|ctx)\.(body|query|params|headers|cookies|url|originalUrl|path|"
                     r"hostname|files|file)\b")  # fmt: skip
FILE_READS = re.compile(r"(^|\.)(readFileSync|readFile|readJsonSync|readJSON)$")
PASS_THROUGH = re.compile(r"^(JSON\.parse|String|decodeURIComponent|decodeURI|unescape|Buffer\.from|"
                          r"(\w+\.)*(toString|trim|toLowerCase|toUpperCase|slice|substring|replace|split|join|concat|"
                          r"normalize|padStart|padEnd))$")  # fmt: skip
SAFE = re.compile(r"^(Number|parseInt|parseFloat|Boolean|Math\.\w+|encodeURIComponent|isNaN)$")
_FUNCTIONS = {"function_declaration", "function_expression", "arrow_function", "method_definition", "function",
              "generator_function_declaration"}  # fmt: skip
_LITERALS = {"string", "number", "true", "false", "null", "undefined", "regex"}
MAX_DEPTH = 6


def js_origin(f: ScriptFile, node: tree_sitter.Node) -> Source:
    """The most telling source of ``node``'s value (:func:`assess.patterns.security_flow.summary`)."""
    return summary(_trace(f, node, 0, set()))


def _trace(f: ScriptFile, node: tree_sitter.Node, depth: int, seen: set[int]) -> set[Source]:
    text = f.node_text(node)
    if depth > MAX_DEPTH:
        return {("unknown", _short(text))}
    if node.type in _LITERALS or (node.type == "template_string" and not _substitutions(node)):
        return {("constant", "")}
    if node.type in {"member_expression", "subscript_expression"} and REQUEST.match(text):
        return {("request", _short(text))}
    if node.type == "identifier":
        return _identifier(f, node, depth, seen)
    if node.type in {"member_expression", "subscript_expression"}:
        return _trace(f, node.child_by_field_name("object") or node, depth + 1, seen) if node.child_count else set()
    if node.type == "call_expression":
        return _call(f, node, depth, seen)
    if node.type in _FUNCTIONS:
        return {("constant", "")}
    out: set[Source] = set()
    for child in node.named_children:
        if child.type != "comment":
            out |= _trace(f, child, depth, seen)
    return out or {("constant", "")}


def _call(f: ScriptFile, call: tree_sitter.Node, depth: int, seen: set[int]) -> set[Source]:
    callee = f.node_text(call.child_by_field_name("function") or call)
    args = call.child_by_field_name("arguments")
    if FILE_READS.search(callee):
        return {("file", _short(f.node_text(call)))}
    if SAFE.match(callee):
        return {("constant", "")}
    if PASS_THROUGH.match(callee):
        parts = [*(args.named_children if args is not None else [])]
        fn = call.child_by_field_name("function")
        if fn is not None and fn.type == "member_expression" and not callee.startswith(("JSON.", "Buffer.")):
            parts.append(fn.child_by_field_name("object") or fn)
        out: set[Source] = set()
        for part in parts:
            out |= _trace(f, part, depth + 1, seen)
        return out or {("constant", "")}
    return {("unknown", _short(f.node_text(call)))}


def _identifier(f: ScriptFile, node: tree_sitter.Node, depth: int, seen: set[int]) -> set[Source]:
    name = f.node_text(node)
    if name in {"undefined", "NaN", "Infinity"}:
        return {("constant", "")}
    for scope in _scopes(node):
        values = list(_bound_values(f, scope, name))
        if values:
            out: set[Source] = set()
            for value in values:
                if value.id not in seen:
                    seen.add(value.id)
                    out |= _trace(f, value, depth + 1, seen)
            return out or {("constant", "")}
        kind = _parameter_kind(f, scope, name)
        if kind is not None:
            return {(kind, name)}
    return {("unknown", name)}


def _scopes(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    parent = node.parent
    while parent is not None:
        if parent.type in _FUNCTIONS or parent.type == "program":
            yield parent
        parent = parent.parent


def _bound_values(f: ScriptFile, scope: tree_sitter.Node, name: str) -> Iterator[tree_sitter.Node]:
    """Values given to ``name`` by declarations and assignments directly in ``scope`` (not in nested functions)."""
    stack = list(scope.named_children)
    while stack:
        node = stack.pop()
        if node.type in _FUNCTIONS:
            continue
        if node.type == "variable_declarator":
            target, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if target is not None and value is not None and name in _pattern_names(f, target):
                yield value
        elif node.type == "assignment_expression":
            target, value = node.child_by_field_name("left"), node.child_by_field_name("right")
            if target is not None and value is not None and f.node_text(target) == name:
                yield value
        stack.extend(node.named_children)


def _pattern_names(f: ScriptFile, target: tree_sitter.Node) -> set[str]:
    if target.type == "identifier":
        return {f.node_text(target)}
    return {f.node_text(n) for n in _walk(target) if n.type in {"identifier", "shorthand_property_identifier_pattern"}}


def _parameter_kind(f: ScriptFile, fn: tree_sitter.Node, name: str) -> str | None:
    """``file`` for the data a file-reading callback is given, ``unknown`` for another parameter, None if ``name``
    is not a parameter of ``fn``."""
    params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
    if params is None or name not in _pattern_names(f, params):
        return None
    call = fn.parent.parent if fn.parent is not None and fn.parent.type == "arguments" else None
    callee = call.child_by_field_name("function") if call is not None else None
    if callee is not None and FILE_READS.search(f.node_text(callee)):
        return "file"
    return "request" if name in {"req", "request"} else "unknown"


def _substitutions(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    return [c for c in node.named_children if c.type == "template_substitution"]


def _walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.named_children)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."
