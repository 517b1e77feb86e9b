"""Health facts in Python code: health, readiness and liveness endpoints (decorated views, Django-style views,
``if``/``match`` branches of a bare HTTP server, routing tables) and whether their handlers touch a dependency, and a
daemon's health command (``if command == "health"``). The site types and vocabulary live in
:mod:`assess.patterns.operations`."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.operations import (
    COMMAND_WORDS,
    COMMANDLIKE,
    PATHLIKE,
    PROBE_STEMS,
    RESPONDERS,
    HealthCommandSite,
    HealthEndpointSite,
    ProbeKind,
    _last,
    _name,
    _site,
    _statement,
    health_route,
    is_dependency_call,
)
from assess.patterns.pyast import PythonFile

REGISTRARS = frozenset({"path", "re_path", "url", "add_url_rule", "add_api_route", "add_route", "add_get", "Route"})


def _own_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Nodes under ``body`` in source order, not entering nested functions or classes."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _handler(f: PythonFile, body: list[ast.stmt], defs: dict[str, ast.AST]) -> tuple[ast.AST, bool, tuple[str, ...]]:
    """(node for the finding, deep?, dependency calls) for a handler body; follows calls to same-file functions once."""
    checks: list[tuple[ast.AST, str]] = []
    for node in _own_nodes(body):
        if not isinstance(node, ast.Call):
            continue
        name = _name(f, node)
        last = name.rsplit(".", 1)[-1]
        if last in RESPONDERS:
            continue
        if is_dependency_call(name):
            checks.append((node, name))
        elif (target := defs.get(last)) is not None and isinstance(target, ast.FunctionDef | ast.AsyncFunctionDef):
            inner = [(node, _name(f, c)) for c in _own_nodes(target.body) if isinstance(c, ast.Call)]
            checks.extend((n, c) for n, c in inner if is_dependency_call(c) and c.rsplit(".", 1)[-1] not in RESPONDERS)
    if checks:
        return checks[0][0], True, tuple(dict.fromkeys(c for _, c in checks))
    answer = next((n for n in _own_nodes(body) if isinstance(n, ast.Return) or _responds(f, n)), None)
    return answer or body[0], False, ()


def _responds(f: PythonFile, node: ast.AST) -> bool:
    """A call that sends the response (``self.send_response(200)``, ``jsonify(...)``)."""
    return isinstance(node, ast.Call) and _name(f, node).rsplit(".", 1)[-1] in RESPONDERS


def _health_site(f: PythonFile, route: str, probe: ProbeKind, body: list[ast.stmt], defs: dict[str, ast.AST]) -> Site:
    node, deep, checks = _handler(f, body, defs)
    return _site(f, HealthEndpointSite, _statement(f, node), route=route, probe=probe, deep=deep, checks=checks)


def _route_const(node: ast.AST, *, bare: bool = False) -> tuple[str, ProbeKind] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and (kind := health_route(node.value, bare=bare)):
        return node.value, kind
    return None


def _test_route(f: PythonFile, test: ast.expr) -> tuple[str, ProbeKind] | None:
    """A health route compared in an ``if`` test: ``self.path == "/health"``, ``resource == "ready"``."""
    for node in f.within(test, ast.Compare, ast.Call):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            pathlike = any(PATHLIKE.search(f.dotted(s) or "") for s in sides)
            for side in sides:
                consts = side.elts if isinstance(side, ast.Tuple | ast.List | ast.Set) else [side]
                for c in consts:
                    if found := _route_const(c, bare=pathlike):
                        return found
        elif (
            isinstance(node, ast.Call)
            and f.call_name(node).endswith("startswith")
            and node.args
            and (found := _route_const(node.args[0]))
        ):
            return found
    return None


def _handler_ref(node: ast.AST, defs: dict[str, ast.AST]) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    target = defs.get(name)
    return target if isinstance(target, ast.FunctionDef | ast.AsyncFunctionDef) else None


Route = tuple[str, ProbeKind, list[ast.stmt]]


ROUTE_HOLDERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.If, ast.match_case, ast.Dict, ast.Call, ast.Tuple)
"""The nodes :func:`_routes` can find a route in."""


def _health_endpoints(f: PythonFile) -> Iterator[Site]:
    defs: dict[str, ast.AST] = {}
    for fn in f.of_type(ast.FunctionDef, ast.AsyncFunctionDef):
        defs.setdefault(fn.name, fn)
    near = _around_health_strings(f)
    seen: set[int] = set()
    for node in f.of_type(*ROUTE_HOLDERS):
        if node not in near and not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue  # a route in an ``if``, a ``case``, a dict or a call is a string there
        for route, kind, body in _routes(f, node, defs):
            if not body:  # registered here, handled in another module: an endpoint we cannot judge
                yield _site(f, HealthEndpointSite, _statement(f, node), route=route, probe=kind, deep=None)
            elif id(body[0]) not in seen:
                seen.add(id(body[0]))
                yield _health_site(f, route, kind, body, defs)


def _around_health_strings(f: PythonFile) -> set[ast.AST]:
    """The nodes around a string that could name a health route (``bare``: that is the looser reading)."""
    out: set[ast.AST] = set()
    for node in f.of_type(ast.Constant):
        value = node.value
        if isinstance(value, str) and PROBE_STEMS.search(value.lower()) and health_route(value, bare=True):
            out.update(f.ancestors(node))
    return out


def _routes(f: PythonFile, node: ast.AST, defs: dict[str, ast.AST]) -> list[Route]:
    """Health routes whose handler is ``node`` (a decorated or Django-style view, an ``if``/``case`` branch)
    or that ``node`` registers (a routing dict, tuple or call)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        found = [(*r, node.body) for d in node.decorator_list if isinstance(d, ast.Call) and d.args
                 if (r := _route_const(d.args[0]))]  # fmt: skip
        args = node.args.posonlyargs + node.args.args
        if not found and args and args[0].arg in {"request", "req"} and (kind := health_route(node.name, bare=True)):
            found.append((node.name, kind, node.body))
        return found
    if isinstance(node, ast.If) and (route := _test_route(f, node.test)):
        return [(*route, node.body)]
    if isinstance(node, ast.match_case) and isinstance(node.pattern, ast.MatchValue):
        return [(*r, node.body)] if (r := _route_const(node.pattern.value, bare=True)) else []
    if isinstance(node, ast.Dict):
        return [(*r, t.body) for k, v in zip(node.keys, node.values, strict=False)
                if k is not None and (r := _route_const(k)) and (t := _handler_ref(v, defs))]  # fmt: skip
    if isinstance(node, ast.Call | ast.Tuple):
        return list(_registered(f, node, defs))
    return []


def _registered(f: PythonFile, node: ast.Call | ast.Tuple, defs: dict[str, ast.AST]) -> Iterator[Route]:
    """``add_url_rule("/health", view_func=health)``, ``("/health", health)``, ``path("health/", views.health)``."""
    items = node.elts if isinstance(node, ast.Tuple) else [*node.args, *(k.value for k in node.keywords)]
    route = next((r for r in map(_route_const, items) if r), None)
    if route is None and isinstance(node, ast.Call):
        bare = next((r for i in items if (r := _route_const(i, bare=True))), None)
        route = bare if bare and f.call_name(node).split(".")[-1] in {"path", "re_path", "url"} else None
    target = next((t for i in items if (t := _handler_ref(i, defs))), None) if route else None
    if route is not None and target is not None:
        yield (*route, target.body)
    elif route is not None and isinstance(node, ast.Call) and _last(node) in REGISTRARS and _refers(items):
        yield (*route, [])


def _refers(items: list[ast.expr]) -> bool:
    """Some argument names a handler (``views.health``), not only strings and numbers."""
    return any(isinstance(i, ast.Name | ast.Attribute) for i in items)


def _health_commands(f: PythonFile) -> Iterator[Site]:
    """``if cmd == "health":`` and ``match command: case "ping":`` in a daemon's command dispatch."""
    for node in f.of_type(ast.Compare, ast.Match):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(COMMANDLIKE.search(f.dotted(s) or "") for s in sides):
                word = next((s.value for s in sides if isinstance(s, ast.Constant) and s.value in COMMAND_WORDS), None)
                if word is not None:
                    yield _site(f, HealthCommandSite, _statement(f, node), command=str(word))
        elif COMMANDLIKE.search(f.dotted(node.subject) or ""):
            for case in node.cases:
                value = case.pattern.value if isinstance(case.pattern, ast.MatchValue) else None
                if isinstance(value, ast.Constant) and value.value in COMMAND_WORDS:
                    yield _site(f, HealthCommandSite, case.pattern, command=str(value.value))


@register_extractor("python")
def operations_health_python(f: PythonFile) -> Iterator[Site]:
    yield from _health_endpoints(f)
    yield from _health_commands(f)
