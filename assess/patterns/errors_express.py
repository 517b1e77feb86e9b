"""Express error-handling middleware: a function of four parameters (``(err, req, res, next) => ...``) given to
``app.use``. Express calls it for errors raised by the routes and middleware registered *before* it on the same
app or router, so where it is registered matters as much as that it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

import tree_sitter

from assess.model.patterns import Site, register_site
from assess.patterns import register_extractor
from assess.patterns.scripts import ScriptFile

Node = tree_sitter.Node


@register_site
class ErrorMiddlewareSite(Site):
    """``app.use(handler)`` where the handler takes ``(err, req, res, next)``."""

    kind: Literal["errors-express-handler"] = "errors-express-handler"
    receiver: str
    """What it is registered on (``app``, ``router``)."""
    handler: str
    """The handler as written (a name, or ``(err, req, res, next) => ...``)."""
    sure: bool
    """The code shows its four parameters; False for an imported function named like an error handler."""
    first_route_line: int | None = None
    """The first route or mounted router of the same receiver in this file, None when the file declares none."""
    routes_before: bool = False
    """At least one route or router of the same receiver is registered before it."""


ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "all", "head", "options", "route"})
FUNCTION_TYPES = frozenset({"arrow_function", "function_expression", "function", "function_declaration"})
ERROR_NAME = re.compile(r"error", re.IGNORECASE)


def _params(node: Node) -> int | None:
    params = node.child_by_field_name("parameters")
    if params is None:
        return 1 if node.child_by_field_name("parameter") is not None else None
    return len([p for p in params.named_children if p.type != "comment"])


def _functions(f: ScriptFile) -> dict[str, Node]:
    """Functions the file declares by name: ``function h(...)``, ``const h = (...) => ...``."""
    out: dict[str, Node] = {}
    for node in f.captures("(function_declaration name: (identifier) @n) @fn").get("fn", []):
        if (name := node.child_by_field_name("name")) is not None:
            out[f.node_text(name)] = node
    query = "(variable_declarator name: (identifier) value: [(arrow_function) (function_expression)]) @d"
    for node in f.captures(query).get("d", []):
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is not None and value is not None:
            out[f.node_text(name)] = value
    return out


def _calls(f: ScriptFile) -> list[tuple[Node, str, str, list[Node]]]:
    """(call, receiver, method, arguments) of every ``x.method(...)`` call, in source order."""
    out = []
    for call in f.captures("(call_expression function: (member_expression) @fn) @c").get("c", []):
        fn = call.child_by_field_name("function")
        args = call.child_by_field_name("arguments")
        if fn is None or args is None:
            continue
        obj, prop = fn.child_by_field_name("object"), fn.child_by_field_name("property")
        if obj is None or prop is None:
            continue
        out.append((call, f.node_text(obj), f.node_text(prop), [a for a in args.named_children if a.type != "comment"]))
    return sorted(out, key=lambda c: c[0].start_byte)


@register_extractor("script")
def error_middleware(f: ScriptFile) -> Iterator[Site]:
    if "express" not in f.text and "(err,req,res,next)" not in re.sub(r"\s+", "", f.text):
        return  # neither an Express app nor a file that registers an error handler
    declared = _functions(f)
    imported = _imported(f)
    calls = _calls(f)
    routes: dict[str, list[Node]] = {}
    for call, receiver, method, args in calls:
        mounts = method == "use" and any(a.type == "identifier" and "router" in f.node_text(a).lower() for a in args)
        if (method in ROUTE_METHODS and args and args[0].type in {"string", "template_string"}) or mounts:
            routes.setdefault(receiver, []).append(call)
    for call, receiver, method, args in calls:
        if method != "use" or not args:
            continue
        handler = args[-1]
        if handler.type in FUNCTION_TYPES:
            sure, four = True, _params(handler) == 4
        elif handler.type == "identifier" and f.node_text(handler) in declared:
            sure, four = True, _params(declared[f.node_text(handler)]) == 4
        elif handler.type == "identifier" and f.node_text(handler) in imported:
            sure, four = False, bool(ERROR_NAME.search(f.node_text(handler)))
        else:
            continue
        if not four:
            continue
        mine = routes.get(receiver, [])
        line = f.span(call)[0]
        yield ErrorMiddlewareSite(
            path=f.path, line=line, end_line=line, language=f.language, snippet=f.snippet(call),
            function=f.enclosing_function(call), receiver=receiver, handler=f.node_text(handler)[:60], sure=sure,
            first_route_line=f.span(mine[0])[0] if mine else None,
            routes_before=any(r.start_byte < call.start_byte for r in mine),
        )  # fmt: skip


def _imported(f: ScriptFile) -> set[str]:
    """Names the file binds from other modules (``const x = require(...)``, ``import x``, ``{ a, b }``)."""
    text, names = f.text, set()
    names.update(re.findall(r"(?:const|let|var)\s+(\w+)\s*=\s*require\(", text))
    names.update(re.findall(r"\bimport\s+(\w+)", text))
    for group in re.findall(r"\{([^}]*)\}\s*=\s*require\(", text) + re.findall(r"\bimport\s*\{([^}]*)\}", text):
        names.update(part.replace(" as ", ":").split(":")[-1].strip() for part in group.split(","))
    return {n for n in names if n}
