"""Security sites in JavaScript and TypeScript: ``Math.random()`` and where its value goes, ``eval`` and
``new Function``, writes to ``localStorage``, body-size limits of Express parsers, ``validate*`` functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

import tree_sitter

from assess.model.patterns import Site, register_site
from assess.patterns import register_extractor
from assess.patterns.scripts import ScriptFile
from assess.patterns.security import SizeLimitSite, ValidatorSite
from assess.patterns.security_js_flow import js_origin


@register_site
class JsRandomSite(Site):
    """A ``Math.random()`` call and the names its value flows into."""

    kind: Literal["security.js-random"] = "security.js-random"
    flows_into: tuple[str, ...]
    """Variable, property or object key the value is given to, or the function that returns it."""


@register_site
class JsEvalSite(Site):
    kind: Literal["security.js-eval"] = "security.js-eval"
    form: str
    """``eval`` or ``new Function``."""
    literal: bool
    """Whether every argument is a plain string literal (no interpolation)."""
    origin: str = "unknown"
    """Where the code evaluated comes from (:mod:`assess.patterns.security_js_flow`): ``request``, ``file`` (a
    configuration file the operator wrote), ``constant``, ``unknown``."""


@register_site
class StorageWriteSite(Site):
    """A write to ``localStorage`` (``setItem`` or property assignment)."""

    kind: Literal["security.storage-write"] = "security.storage-write"
    storage: str
    """``localStorage``."""
    key: str
    """The key as written (a string literal's text, or the expression)."""
    value: str
    """The stored expression as written."""


_FUNCTIONS = {"function_declaration", "method_definition", "arrow_function", "function_expression", "function",
              "generator_function_declaration", "class_declaration", "program"}  # fmt: skip
_STATEMENT = re.compile(r"(_statement|_declaration)$")


def _site_args(f: ScriptFile, node: tree_sitter.Node) -> dict[str, object]:
    line, end = f.span(node)
    return {"path": f.path, "line": line, "end_line": end, "language": f.language, "snippet": f.snippet(node),
            "function": f.enclosing_function(node)}  # fmt: skip


def _function_name(f: ScriptFile, fn: tree_sitter.Node) -> str | None:
    name = fn.child_by_field_name("name")
    if name is None and fn.parent is not None and fn.parent.type in {"variable_declarator", "pair"}:
        name = fn.parent.child_by_field_name("name") or fn.parent.child_by_field_name("key")
    return f.node_text(name) if name is not None else None


def _enclosing_fn(node: tree_sitter.Node) -> tree_sitter.Node | None:
    parent = node.parent
    while parent is not None and parent.type not in _FUNCTIONS:
        parent = parent.parent
    return parent


def _assigned_name(f: ScriptFile, node: tree_sitter.Node | None) -> str | None:
    if node is None:
        return None
    if node.type == "member_expression":
        node = node.child_by_field_name("property")
    elif node.type == "subscript_expression":
        node = node.child_by_field_name("index")
    return f.node_text(node).strip("'\"`") if node is not None else None


def flows_into(f: ScriptFile, node: tree_sitter.Node) -> tuple[str, ...]:
    """Names a value computed at ``node`` is given to: the first naming context up the tree."""
    child, parent = node, node.parent
    while parent is not None:
        if parent.type.startswith("jsx"):
            return ()  # a JSX attribute (React's key={...}) names a prop, not key material
        named = _naming(f, parent, child)
        if named is not None:
            return tuple(n for n in named if n)
        if parent.type in _FUNCTIONS or _STATEMENT.search(parent.type):
            return ()
        child, parent = parent, parent.parent
    return ()


def _naming(f: ScriptFile, parent: tree_sitter.Node, child: tree_sitter.Node) -> tuple[str | None, ...] | None:
    """The name ``parent`` gives the value of ``child``; None if ``parent`` is not a naming context."""
    kind = parent.type
    if kind == "variable_declarator":
        target = parent.child_by_field_name("name")
        return (f.node_text(target) if target is not None and target.type == "identifier" else None,)
    if kind in {"assignment_expression", "augmented_assignment_expression"}:
        return (_assigned_name(f, parent.child_by_field_name("left")),)
    if kind == "pair" and parent.child_by_field_name("value") == child:
        return (f.node_text(parent.child_by_field_name("key") or parent).strip("'\"`"),)
    if kind == "public_field_definition":
        target = parent.child_by_field_name("name") or parent.child_by_field_name("property")
        return (f.node_text(target) if target is not None else None,)
    if kind == "return_statement" or (kind == "arrow_function" and parent.child_by_field_name("body") == child):
        fn = parent if kind == "arrow_function" else _enclosing_fn(parent)
        return (_function_name(f, fn) if fn is not None else None,)
    return None


@register_extractor("script")
def js_random(f: ScriptFile) -> Iterator[JsRandomSite]:
    query = ('(call_expression function: (member_expression object: (identifier) @o property: (property_identifier) @p)'
             ' (#eq? @o "Math") (#eq? @p "random")) @call')  # fmt: skip
    for call in f.captures(query).get("call", []):
        yield JsRandomSite(**_site_args(f, call), flows_into=flows_into(f, call))


def _all_literal(f: ScriptFile, args: tree_sitter.Node | None) -> bool:
    if args is None:
        return True
    return all(a.type == "string" for a in args.named_children if a.type != "comment")


@register_extractor("script")
def js_eval(f: ScriptFile) -> Iterator[JsEvalSite]:
    for call in f.captures("(call_expression function: (_) @fn) @call").get("call", []):
        fn = call.child_by_field_name("function")
        text = f.node_text(fn) if fn is not None else ""
        if text in {"eval", "window.eval", "globalThis.eval", "self.eval"}:
            args = call.child_by_field_name("arguments")
            yield JsEvalSite(**_site_args(f, call), form="eval", literal=_all_literal(f, args),
                             origin=js_origin(f, args)[0] if args is not None else "constant")
    for new in f.captures('(new_expression constructor: (identifier) @c (#eq? @c "Function")) @new').get("new", []):
        args = new.child_by_field_name("arguments")
        yield JsEvalSite(**_site_args(f, new), form="new Function", literal=_all_literal(f, args),
                         origin=js_origin(f, args)[0] if args is not None else "constant")


def _storage(f: ScriptFile, node: tree_sitter.Node | None) -> str | None:
    text = f.node_text(node) if node is not None else ""
    name = text.removeprefix("window.").removeprefix("globalThis.")
    return name if name == "localStorage" else None


@register_extractor("script")
def storage_writes(f: ScriptFile) -> Iterator[StorageWriteSite]:
    query = "(call_expression function: (member_expression object: (_) @obj property: (property_identifier) @m)) @call"
    for match in f.matches(query):
        call, obj, method = match["call"][0], match["obj"][0], match["m"][0]
        args = call.child_by_field_name("arguments")
        values = [a for a in args.named_children if a.type != "comment"] if args is not None else []
        if f.node_text(method) != "setItem" or (storage := _storage(f, obj)) is None or len(values) < 2:
            continue
        key, value = f.node_text(values[0]).strip("'\"`"), f.node_text(values[1])
        yield StorageWriteSite(**_site_args(f, call), storage=storage, key=key, value=value)
    for assign in f.captures("(assignment_expression left: [(member_expression) (subscript_expression)] @l) @a").get(
        "a", []
    ):
        left = assign.child_by_field_name("left")
        right = assign.child_by_field_name("right")
        if left is None or right is None or (storage := _storage(f, left.child_by_field_name("object"))) is None:
            continue
        key = _assigned_name(f, left) or ""
        yield StorageWriteSite(**_site_args(f, assign), storage=storage, key=key, value=f.node_text(right))


_BODY_PARSERS = re.compile(r"^(express|bodyParser)\.(json|urlencoded|raw|text)$")


@register_extractor("script")
def body_limits(f: ScriptFile) -> Iterator[SizeLimitSite]:
    query = "(call_expression function: (member_expression) @fn arguments: (arguments (object) @opts)) @call"
    for match in f.matches(query):
        if not _BODY_PARSERS.match(f.node_text(match["fn"][0])):
            continue
        for pair in match["opts"][0].named_children:
            key = pair.child_by_field_name("key") if pair.type == "pair" else None
            value = pair.child_by_field_name("value") if pair.type == "pair" else None
            if key is not None and value is not None and f.node_text(key).strip("'\"") == "limit":
                yield SizeLimitSite(**_site_args(f, pair), mechanism=f"{f.node_text(match['fn'][0])} limit",
                                    limit=f.node_text(value))  # fmt: skip


_VALIDATE = re.compile(r"^_?validate", re.IGNORECASE)


@register_extractor("script")
def js_validators(f: ScriptFile) -> Iterator[ValidatorSite]:
    kinds = "[(function_declaration) (method_definition) (arrow_function) (function_expression)] @fn"
    for fn in f.captures(kinds).get("fn", []):
        name = _function_name(f, fn)
        if not name or not _VALIDATE.match(name):
            continue
        rejections, checks = 0, set()
        for node in _walk(fn):
            if node.type == "if_statement" and _throws(node.child_by_field_name("consequence")):
                rejections += 1
                checks |= _js_checks(f, node.child_by_field_name("condition"))
        line = fn.start_point[0] + 1
        yield ValidatorSite(path=f.path, line=line, end_line=fn.end_point[0] + 1, language=f.language,
                            snippet=f.lines[line - 1].strip() if line <= len(f.lines) else "",
                            function=f.enclosing_function(fn) or name, name=name, rejections=rejections,
                            checks=tuple(sorted(checks)))  # fmt: skip


def _walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _throws(node: tree_sitter.Node | None) -> bool:
    if node is None:
        return False
    if node.type == "throw_statement":
        return True
    return node.type == "statement_block" and any(c.type == "throw_statement" for c in node.named_children)


def _js_checks(f: ScriptFile, cond: tree_sitter.Node | None) -> set[str]:
    text = f.node_text(cond) if cond is not None else ""
    kinds = set()
    if re.search(r"\btypeof\b|\binstanceof\b|Array\.isArray|Number\.is", text):
        kinds.add("type")
    if re.search(r"\.length\b", text):
        kinds.add("length")
    if re.search(r"\.includes\(|\bin\b|\.has\(", text):
        kinds.add("membership")
    if re.search(r"[<>]=?|[!=]==?", text):
        kinds.add("comparison")
    return kinds
