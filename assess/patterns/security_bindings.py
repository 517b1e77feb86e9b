"""What gives a name its value in Python code, for :mod:`assess.patterns.security_flow`: the assignments, loops,
``with`` blocks and ``append`` calls of the scopes around a use that may reach it, the kind of a parameter (a route's
URL segment or query parameter is request input, a click or typer option is command-line input), and whether the
value was checked against allowed values before the use (``if name not in allowed: raise``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from assess.patterns.pyast import PythonFile, per_file

REQUEST_NAMES = frozenset({"request", "req", "flask.request", "bottle.request", "quart.request"})
SAFE_CALLS = frozenset({"int", "float", "bool", "len", "abs", "round", "hash", "id", "ord", "uuid4", "isdigit",
                        "count", "UUID", "Decimal", "datetime", "date", "fromisoformat", "range",
                        "isinstance"})  # fmt: skip
"""Calls whose result cannot carry text chosen by whoever wrote the input."""
_SEGMENT = re.compile(r"<(?:\w+:)?(\w+)>|\{(\w+)(?::[^}]*)?\}")
_ROUTE = re.compile(r"(^|\.)(route|get|post|put|patch|delete|head|options|api_route|websocket|add_url_rule)$")


@dataclass(frozen=True)
class _Binding:
    value: ast.expr
    statement: ast.AST
    """The statement that binds (an assignment, a loop, a ``with``, an ``append`` call)."""
    replaces: bool
    """Whether it replaces the name's value (``x = ...``) rather than adding to it (``x += ...``, ``x.append()``)."""


def lookup(f: PythonFile, node: ast.Name) -> list[ast.expr] | str | None:
    """What gives ``node`` its value: the expressions bound to its name in the nearest scope that binds it, or
    the kind of a parameter (``request``, ``cli``, ``unknown``); None when nothing in the file binds it."""
    scope: ast.AST = f.scope_of(node)
    while True:
        bindings = _bindings(f).get((id(scope), node.id))
        if bindings:
            return [b.value for b in _reaching(f, bindings, node)]
        if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) and node.id in _params(scope):
            return _parameter_kind(f, scope, node.id)
        if scope is f.tree:
            return None
        scope = f.scope_of(scope)


def _reaching(f: PythonFile, bindings: list[_Binding], use: ast.Name) -> list[_Binding]:
    """The bindings that may reach ``use``: those before it from the last one that replaces the value on every
    path to it (its block holds ``use``), or all of them when none comes before (a loop carries them round)."""
    before = [b for b in bindings if getattr(b.statement, "lineno", 0) < use.lineno]
    if not before:
        return bindings
    for i in range(len(before) - 1, -1, -1):
        block = f.parents.get(before[i].statement)
        value = before[i].value
        converted = isinstance(value, ast.Call) and callee_text(value) in SAFE_CALLS
        if before[i].replaces and block is not None and (converted or f.contains(block, use)):
            return before[i:]
    return before


def checked(f: PythonFile, use: ast.Name) -> bool:
    """Whether ``use`` is only reached once its value was checked: after ``if name not in allowed: raise`` or
    ``if not exists(name): raise`` (or return, continue, abort), or inside ``if name in allowed:``."""
    for guard, negative in _guards(f).get((id(f.scope_of(use)), use.id), ()):
        inside = f.contains(guard, use)
        if negative and _rejects(f, guard.body) and guard.lineno < use.lineno and not inside:
            return True
        if not negative and inside and not any(f.contains(s, use) for s in guard.orelse):
            return True
    return False


def _rejects(f: PythonFile, body: list[ast.stmt]) -> bool:
    last = body[-1] if body else None
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        return f.call_name(last.value).rsplit(".", 1)[-1] in {"abort", "fail", "exit", "send_error"}
    return isinstance(last, ast.Raise | ast.Return | ast.Continue | ast.Break)


@per_file
def _guards(f: PythonFile) -> dict[tuple[int, str], list[tuple[ast.If, bool]]]:
    """(scope, name) -> the ``if`` statements of that scope that check the name, each with whether the check
    fails when the test holds (``not in``, ``not exists(name)``) or passes (``in``)."""
    out: dict[tuple[int, str], list[tuple[ast.If, bool]]] = {}
    for node in f.of_type(ast.If):
        for name, negative in _checks(node.test):
            out.setdefault((id(f.scope_of(node)), name), []).append((node, negative))
    return out


def _checks(test: ast.expr) -> Iterator[tuple[str, bool]]:
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Name):
        if isinstance(test.ops[0], ast.In | ast.NotIn):
            yield test.left.id, isinstance(test.ops[0], ast.NotIn)
    elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        call = test.operand.value if isinstance(test.operand, ast.Await) else test.operand
        if isinstance(call, ast.Call):
            yield from ((a.id, True) for a in call.args if isinstance(a, ast.Name))


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> set[str]:
    a = fn.args
    names = [*a.posonlyargs, *a.args, *a.kwonlyargs, *([a.vararg] if a.vararg else []), *([a.kwarg] if a.kwarg else [])]
    return {p.arg for p in names}


def _parameter_kind(f: PythonFile, fn: ast.AST, name: str) -> str:
    """``request`` for a parameter of a route handler (a URL segment, a query parameter), ``cli`` for a command's
    option, else ``unknown``."""
    if name in REQUEST_NAMES:
        return "request"
    if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
        return "unknown"
    for deco in fn.decorator_list:
        call = deco if isinstance(deco, ast.Call) else None
        dotted = f.dotted(call.func if call else deco)
        if dotted.startswith(("click.", "typer.")) or dotted.endswith((".command", ".group", ".option", ".argument")):
            return "cli"
        if call is not None and _ROUTE.search(dotted) and _path_argument(call) and not _injected(fn, name):
            return "request"
    return "unknown"


def _path_argument(call: ast.Call) -> bool:
    first = call.args[0] if call.args else None
    return isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.startswith("/")


def _injected(fn: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    """Whether a route parameter is given by the framework (``Depends(...)``, a ``Request``, a session), not sent."""
    a = fn.args
    positional = [*a.posonlyargs, *a.args]
    defaults = dict(zip([p.arg for p in positional[len(positional) - len(a.defaults):]], a.defaults, strict=True))
    defaults.update({p.arg: d for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d is not None})
    arg = next((p for p in [*positional, *a.kwonlyargs] if p.arg == name), None)
    annotation = ast.unparse(arg.annotation) if arg is not None and arg.annotation is not None else ""
    return isinstance(defaults.get(name), ast.Call) or bool(re.search(r"Request|Session|Connection|WebSocket",
                                                                      annotation))  # fmt: skip


@per_file
def _bindings(f: PythonFile) -> dict[tuple[int, str], list[_Binding]]:
    """(scope, name) -> what gives the name a value there, in source order: assignments, loop and ``with``
    targets, comprehension targets, and ``name.append(x)``-style additions to a collection."""
    out: dict[tuple[int, str], list[_Binding]] = {}
    for target, binding in _binding_pairs(f):
        for name in _target_names(target):
            out.setdefault((id(f.scope_of(target)), name), []).append(binding)
    for found in out.values():
        found.sort(key=lambda b: (getattr(b.statement, "lineno", 0), getattr(b.statement, "col_offset", 0)))
    return out


def _binding_pairs(f: PythonFile) -> Iterator[tuple[ast.AST, _Binding]]:
    for node in f.of_type(ast.Assign, ast.AugAssign):
        for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
            yield target, _Binding(node.value, node, isinstance(node, ast.Assign) and isinstance(target, ast.Name))
    for ann in f.of_type(ast.AnnAssign, ast.NamedExpr):
        if ann.value is not None:
            yield ann.target, _Binding(ann.value, ann, True)
    for loop in f.of_type(ast.For, ast.AsyncFor):
        yield from _loop_bindings(loop.target, loop.iter, loop)
    for gen in f.of_type(ast.comprehension):
        yield gen.target, _Binding(gen.iter, gen.target, False)
    for item in f.of_type(ast.withitem):
        if item.optional_vars is not None:
            yield item.optional_vars, _Binding(item.context_expr, item.optional_vars, True)
    for call in f.of_type(ast.Call):
        func = call.func
        adds = isinstance(func, ast.Attribute) and func.attr in {"append", "extend", "add", "insert", "update"}
        if adds and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and call.args:
            yield func.value, _Binding(call.args[-1], call, False)


def _loop_bindings(target: ast.expr, iterable: ast.expr, loop: ast.AST) -> Iterator[tuple[ast.AST, _Binding]]:
    """A loop's target takes its values from what it iterates; ``for i, x in enumerate(xs)`` gives ``i`` a count."""
    counted = isinstance(iterable, ast.Call) and callee_text(iterable) == "enumerate" and iterable.args
    if counted and isinstance(target, ast.Tuple) and len(target.elts) == 2 and isinstance(iterable, ast.Call):
        yield target.elts[0], _Binding(ast.Constant(0), loop, True)
        yield target.elts[1], _Binding(iterable.args[0], loop, True)
    else:
        yield target, _Binding(iterable, loop, True)


def _target_names(target: ast.AST) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Tuple | ast.List | ast.Starred):
        for element in target.elts if isinstance(target, ast.Tuple | ast.List) else [target.value]:
            yield from _target_names(element)
    elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
        yield target.value.id  # params[key] = value adds to params


def callee_text(call: ast.Call) -> str:
    """The called name's last part (``get`` for ``request.args.get(...)``), or ""."""
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
