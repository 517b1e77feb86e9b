"""Collections trimmed from another file: ``delete server.maintenanceList[id]``, ``app.state.jobs.pop(key)``,
``registry.items.clear()``. A collection is usually defined in one file and may be trimmed in another, through an
object that holds it; each such trim is a site naming the attribute, for the probe to match against the
collections it would otherwise call unbounded. Trims through ``self``/``this`` are the defining class's own, and
are seen where the collection is.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

import tree_sitter

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.durability_sites import CollectionBoundSite
from assess.patterns.errors_js import walk
from assess.patterns.pyast import PythonFile
from assess.patterns.scripts import ScriptFile

PY_TRIMS = {"pop", "popitem", "popleft", "clear", "remove", "discard"}
JS_TRIMS = {"delete", "clear", "splice", "pop", "shift"}
OWN = {"self", "cls", "this"}


def _py_attribute(node: ast.expr) -> str | None:
    """``x.name`` (x not ``self``/``cls``) -> ``name``, else None."""
    if isinstance(node, ast.Attribute) and not (isinstance(node.value, ast.Name) and node.value.id in OWN):
        return node.attr
    return None


def _py_trims(f: PythonFile) -> Iterator[tuple[ast.AST, str]]:
    for call in f.of_type(ast.Call):
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in PY_TRIMS and (name := _py_attribute(func.value)):
            yield call, name
    for stmt in f.of_type(ast.Delete):
        for target in stmt.targets:
            if isinstance(target, ast.Subscript) and (name := _py_attribute(target.value)):
                yield stmt, name


@register_extractor("python")
def python_bounds(f: PythonFile) -> Iterator[Site]:
    seen: set[str] = set()
    for node, name in _py_trims(f):
        if name not in seen:
            seen.add(name)
            line, end = f.span(node)
            yield CollectionBoundSite(path=f.path, line=line, end_line=end, language="Python", snippet=f.snippet(node),
                                      function=f.qualname(node), name=name)  # fmt: skip


def _js_attribute(f: ScriptFile, node: tree_sitter.Node | None) -> str | None:
    """``x.name`` (x not ``this``) -> ``name``, else None."""
    if node is None or node.type != "member_expression":
        return None
    obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
    if obj is None or prop is None or obj.type == "this":
        return None
    return f.node_text(prop)


def _js_trim(f: ScriptFile, node: tree_sitter.Node) -> str | None:
    """The attribute ``node`` trims: ``delete x.name[k]`` or ``x.name.delete(k)``; None otherwise."""
    if node.type == "unary_expression" and f.node_text(node).startswith("delete"):
        target = node.named_children[-1] if node.named_children else None
        while target is not None and target.type == "parenthesized_expression" and target.named_children:
            target = target.named_children[0]
        if target is not None and target.type == "subscript_expression":
            return _js_attribute(f, target.child_by_field_name("object"))
    elif node.type == "call_expression":
        fn = node.child_by_field_name("function")
        if fn is not None and fn.type == "member_expression":
            prop = fn.child_by_field_name("property")
            if prop is not None and f.node_text(prop) in JS_TRIMS:
                return _js_attribute(f, fn.child_by_field_name("object"))
    return None


@register_extractor("script")
def script_bounds(f: ScriptFile) -> Iterator[Site]:
    seen: set[str] = set()
    for node in walk(f.tree.root_node):
        name = _js_trim(f, node) if node.type in {"unary_expression", "call_expression"} else None
        if name and name not in seen:
            seen.add(name)
            line, end = f.span(node)
            yield CollectionBoundSite(path=f.path, line=line, end_line=end, language=f.language,
                                      snippet=f.snippet(node), function=f.enclosing_function(node),
                                      name=name)  # fmt: skip
