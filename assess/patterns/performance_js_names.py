"""The names a JavaScript or TypeScript file binds to functions of the tree: its own functions and classes, and what
it takes from relative modules (``const { login } = require("./auth")``, ``import * as db from "./db"``, an object
made with ``new`` from an imported class). The call graph (:mod:`assess.patterns.performance_paths_js`) writes a
call through one of them as ``./module#name``.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from assess.patterns.performance_js import FUNCTIONS, _args, _callee
from assess.patterns.scripts import ScriptFile

Binding = tuple[str, str]
"""(relative module as written, the name taken from it; "" for the module itself or an object made from it)."""


def string_value(sf: ScriptFile, node: Node | None) -> str | None:
    """The text inside a string or template literal (its quotes taken off), or None for any other node."""
    if node is None or node.type not in {"string", "template_string"}:
        return None
    return sf.node_text(node)[1:-1]


def _require_spec(sf: ScriptFile, node: Node | None) -> Binding | None:
    """(module, member) for ``require("./m")`` or ``require("./m").member``; None for anything else."""
    member = ""
    if node is not None and node.type == "member_expression":
        prop = node.child_by_field_name("property")
        member = sf.node_text(prop) if prop is not None else ""
        node = node.child_by_field_name("object")
    if node is None or node.type != "call_expression" or _callee(sf, node)[0] != "require":
        return None
    args = _args(node)
    spec = string_value(sf, args[0]) if args else None
    return (spec, member) if spec and spec.startswith(".") else None


def bindings(sf: ScriptFile, local: set[str]) -> dict[str, Binding]:
    """Local names bound to relative modules: ``require``, ``import``, and objects made from them with ``new``."""
    out: dict[str, Binding] = {}
    for node in nodes(sf, {"variable_declarator", "import_statement"}):
        if node.type == "import_statement":
            out.update(_import_names(sf, node))
            continue
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is None or value is None:
            continue
        if (spec := _require_spec(sf, value)) is not None:
            out.update(_declared(sf, name, spec))
        elif name.type == "identifier" and (made := _made_from(sf, value, out, local)) is not None:
            out[sf.node_text(name)] = made
    return out


def _declared(sf: ScriptFile, name: Node, spec: tuple[str, str]) -> dict[str, Binding]:
    if name.type == "identifier":
        return {sf.node_text(name): spec}
    out: dict[str, Binding] = {}
    for part in name.named_children:  # const { a, b: c } = require("./m")
        if part.type == "shorthand_property_identifier_pattern":
            out[sf.node_text(part)] = (spec[0], sf.node_text(part))
        elif part.type == "pair_pattern":
            key, value = part.child_by_field_name("key"), part.child_by_field_name("value")
            if key is not None and value is not None and value.type == "identifier":
                out[sf.node_text(value)] = (spec[0], sf.node_text(key))
    return out


def _import_names(sf: ScriptFile, node: Node) -> dict[str, Binding]:
    spec = string_value(sf, node.child_by_field_name("source"))
    clause = next((c for c in node.named_children if c.type == "import_clause"), None)
    if not spec or not spec.startswith(".") or clause is None:
        return {}
    out: dict[str, Binding] = {}
    for part in clause.named_children:
        if part.type == "identifier":
            out[sf.node_text(part)] = (spec, "default")
        elif part.type == "namespace_import":
            out.update({sf.node_text(n): (spec, "") for n in part.named_children if n.type == "identifier"})
        elif part.type == "named_imports":
            for item in part.named_children:
                name, alias = item.child_by_field_name("name"), item.child_by_field_name("alias")
                if name is not None:
                    out[sf.node_text(alias or name)] = (spec, sf.node_text(name))
    return out


def _made_from(sf: ScriptFile, value: Node, bindings: dict[str, Binding], local: set[str]) -> Binding | None:
    """The module of the class an object is made from: ``new Store()``, ``await Server.getInstance()``."""
    if value.type == "await_expression" and value.named_children:
        value = value.named_children[0]
    made = value.child_by_field_name("constructor") if value.type == "new_expression" else None
    if value.type == "call_expression" and _callee(sf, value)[1] == "getInstance":
        func = value.child_by_field_name("function")
        made = func.child_by_field_name("object") if func is not None else None
    if made is None or made.type != "identifier":
        return None
    name = sf.node_text(made)
    return (bindings[name][0], "") if name in bindings else ("", "") if name in local else None


def nodes(sf: ScriptFile, types: set[str]) -> Iterator[Node]:
    stack = [sf.tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in types:
            yield node
        stack.extend(reversed(node.named_children))


def local_names(sf: ScriptFile) -> set[str]:
    """Names of the file's functions and classes (declared, or assigned a function)."""
    out: set[str] = set()
    for node in nodes(sf, {"function_declaration", "generator_function_declaration", "class_declaration",
                            "variable_declarator"}):  # fmt: skip
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("value") if node.type == "variable_declarator" else None
        holds = node.type != "variable_declarator" or (value is not None and value.type in FUNCTIONS | {"class"})
        if name is not None and name.type in {"identifier", "type_identifier"} and holds:
            out.add(sf.node_text(name))
    return out
