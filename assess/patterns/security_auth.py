"""Security sites about logging in and checking input, in Python: routes that change state (with the decorators
around them) and checks that refuse input a validation function rejects (``if not is_valid(x): raise``). The
JavaScript and TypeScript ones are in ``security_js_auth``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from assess.patterns import register_extractor
from assess.patterns.pyast import PythonFile, keyword
from assess.patterns.security import ValidatorSite
from assess.patterns.security_js_auth import LIMIT_WORDS, VALID_CALL, RouteSite

_ROUTE = re.compile(r"(^|\.)(route|post|put|patch|api_route|add_url_rule)$")


@register_extractor("python")
def py_routes(f: PythonFile) -> Iterator[RouteSite]:
    for fn in f.of_type(ast.FunctionDef, ast.AsyncFunctionDef):
        for deco in fn.decorator_list:
            if not isinstance(deco, ast.Call) or not _ROUTE.search(f.dotted(deco.func)) or not deco.args:
                continue
            path = deco.args[0]
            method = _method(f, deco)
            if not isinstance(path, ast.Constant) or not isinstance(path.value, str) or method is None:
                continue
            others = tuple(f.unparse(d)[:80] for d in fn.decorator_list if d is not deco)
            limits = any(LIMIT_WORDS.search(name) for _, name in f.calls(fn))
            line = deco.lineno
            yield RouteSite(path=f.path, line=line, end_line=line, language="Python", snippet=f.lines[line - 1].strip(),
                            function=f.qualname(fn) or fn.name, method=method, route=path.value, middleware=others,
                            handler_limits=limits)  # fmt: skip


def _method(f: PythonFile, deco: ast.Call) -> str | None:
    """The state-changing method a route decorator declares (``post`` ...), or None for a GET-only route."""
    name = f.dotted(deco.func).rsplit(".", 1)[-1]
    if name in {"post", "put", "patch"}:
        return name
    methods = keyword(deco, "methods")
    text = f.unparse(methods).upper() if methods is not None else ""
    return next((m.lower() for m in ("POST", "PUT", "PATCH") if m in text), None)


@register_extractor("python")
def py_validation_guards(f: PythonFile) -> Iterator[ValidatorSite]:
    """``if not is_valid_packet(x): continue``: input refused when a validation function rejects it."""
    for node in f.of_type(ast.If):
        test = node.test
        operand = test.operand if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) else None
        call = operand.value if isinstance(operand, ast.Await) else operand
        if not isinstance(call, ast.Call) or not VALID_CALL.search(f.call_name(call)) or not _refuses(node.body):
            continue
        line = node.lineno
        yield ValidatorSite(path=f.path, line=line, end_line=line, language="Python", snippet=f.lines[line - 1].strip(),
                            function=f.qualname(node), name=f.call_name(call), rejections=1, checks=("call",),
                            style="guard")  # fmt: skip


def _refuses(body: list[ast.stmt]) -> bool:
    last = body[-1] if body else None
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        func = last.value.func
        return (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")) in {"abort", "send_error"}
    return isinstance(last, ast.Raise | ast.Return | ast.Continue)
