"""Blocking calls and the call graph of Python files: what the performance probes need to tell a blocking call on
the request path of an asyncio server from one at start-up or in a worker thread.

A blocking call (``time.sleep``, ``open``, ``requests.get``, ``subprocess.run``, ``sqlite3.connect`` and the queries
of a connection the file opens with it ...) stalls an
event loop when it runs in a coroutine, or in a plain function a coroutine calls; a plain function handed to
``asyncio.to_thread`` or ``run_in_executor`` runs on a thread and blocks nothing. So the extractor records:

- every **blocking call** in a function (:class:`BlockingCallSite`; not in lambdas, which are handed on, nor at
  module level, which runs at import), with the function that owns it;
- the file's **call graph** (:class:`CallGraphSite`): each function, the functions of the tree it *calls* (a
  reference handed to an executor is not a call): ``#name`` for a function or method of this file (``self.name``,
  ``cls.name``, a class of this file), ``module#name`` for a name imported from ``module`` (``.utils#escape``,
  ``pkg.db#connect``), or a method of an object made from an imported class;
- the **handlers**: functions that serve requests on the loop. Route decorators (``@app.get("/x")``,
  ``@router.route``), the HTTP methods of class-based views (a class whose base is a ``...View``, ``...Endpoint``
  or ``...Handler``), ASGI callables (``async def __call__(self, scope, receive, send)``; not lifespan handlers),
  and an asyncio protocol's callbacks (``data_received``: the loop calls them); handlers registered by reference
  (``web.get("/x", handler)``, ``Route("/x", endpoint)``, ``asyncio.start_server(handle)``) are listed apart.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.performance import BlockingCallSite
from assess.patterns.performance_graph import CalledFunction, CallGraphSite, HandlerRef
from assess.patterns.pyast import PythonFile, per_file

Function = ast.FunctionDef | ast.AsyncFunctionDef
HTTP_VERBS = {"get", "post", "put", "patch", "delete", "head", "options", "request"}
COSTS = {
    "time.sleep": "sleep", "urllib.request.urlopen": "network", "socket.create_connection": "network",
    "sqlite3.connect": "io", "open": "io", "io.open": "io", "builtins.open": "io", "shutil.copyfile": "io",
    "shutil.copy": "io", "shutil.rmtree": "io", "subprocess.run": "process", "subprocess.call": "process",
    "subprocess.check_call": "process", "subprocess.check_output": "process", "os.system": "process",
}  # fmt: skip
BLOCKING_CLIENTS = ("requests", "httpx", "urllib3")
PATH_IO = {"read_text", "write_text", "read_bytes", "write_bytes"}
"""``pathlib.Path`` methods that read or write a whole file."""
ROUTE_DECORATORS = {"get", "post", "put", "patch", "delete", "head", "options", "route", "websocket", "api_route",
                    "view", "ws"}  # fmt: skip
REGISTRARS = {"add_route", "add_get", "add_post", "add_put", "add_patch", "add_delete", "add_api_route",
              "add_websocket_route", "add_url_rule", "Route", "WebSocketRoute", "start_server", "start_unix_server",
              "serve", "unix_serve"}  # fmt: skip
"""Calls that register a function, passed by reference, as a request or connection handler."""
VIEW_BASES = ("View", "Endpoint", "Handler", "Resource", "ViewSet")
VIEW_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "websocket"}
PROTOCOL_CALLBACKS = {"data_received", "datagram_received", "connection_made", "eof_received", "buffer_updated",
                      "message_received"}  # fmt: skip


def blocking_callee(name: str) -> str | None:
    """What the call named ``name`` waits for (``io``, ``network``, ``process``, ``sleep``), or None."""
    if name in COSTS:
        return COSTS[name]
    head, _, verb = name.rpartition(".")
    return "network" if head in BLOCKING_CLIENTS and verb in HTTP_VERBS else None


@per_file
def _bindings(pf: PythonFile) -> dict[str, str]:
    """Local name -> the module (or module.name) it is imported from, as written (relative ones with their dots);
    names assigned an object of an imported class map to the class's module."""
    out: dict[str, str] = {}
    for node in pf.of_type(ast.Import, ast.ImportFrom):
        if isinstance(node, ast.Import):
            out.update({a.asname or a.name.split(".")[0]: a.name if a.asname else a.name.split(".")[0]
                        for a in node.names})  # fmt: skip
            continue
        base = "." * node.level + (node.module or "")
        sep = "." if node.module else ""
        out.update({a.asname or a.name: f"{base}{sep}{a.name}" for a in node.names if a.name != "*"})
    classes = _local(pf)[1]
    for assign in pf.of_type(ast.Assign):
        value = assign.value.func if isinstance(assign.value, ast.Call) else None
        if isinstance(value, ast.Name) and (value.id in out or value.id in classes):
            spec = out.get(value.id, "")
            out.update({t.id: spec for t in assign.targets if isinstance(t, ast.Name)})
    return out


@per_file
def _local(pf: PythonFile) -> tuple[set[str], set[str]]:
    """(names of the file's functions and methods, names of its classes)."""
    functions = {f.name for f in pf.of_type(ast.FunctionDef, ast.AsyncFunctionDef)}
    return functions, {c.name for c in pf.of_type(ast.ClassDef)}


def _target(pf: PythonFile, func: ast.expr) -> str | None:
    """The function of the tree a call's ``func`` names (``#name`` or ``module#name``), or None."""
    functions, classes = _local(pf)
    bindings = _bindings(pf)
    if isinstance(func, ast.Name):
        if func.id in functions:
            return f"#{func.id}"
        spec = bindings.get(func.id)
        return f"{spec}#{spec.rsplit('.', 1)[-1]}" if spec else None
    if not isinstance(func, ast.Attribute):
        return None
    owner = func.value
    if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super":
        return f"#{func.attr}"
    if not isinstance(owner, ast.Name):
        return None
    if owner.id in {"self", "cls"} or owner.id in classes:
        return f"#{func.attr}"
    spec = bindings.get(owner.id)
    return f"{spec}#{func.attr}" if spec is not None else None


def _route_decorated(pf: PythonFile, fn: Function) -> str | None:
    for dec in fn.decorator_list:
        call = dec if isinstance(dec, ast.Call) else None
        func = call.func if call is not None else dec
        if not isinstance(func, ast.Attribute) or func.attr not in ROUTE_DECORATORS:
            continue
        first = call.args[0] if call is not None and call.args else None
        path = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
        if path is not None and path.startswith("/"):
            return f"route {func.attr.upper()} {path}"
        if func.attr in {"route", "websocket", "api_route"}:
            return f"route ({pf.unparse(dec)})"
    return None


def _handler(pf: PythonFile, fn: Function) -> tuple[str | None, bool]:
    """(how ``fn`` serves requests or None, whether the loop itself calls it)."""
    if how := _route_decorated(pf, fn):
        return how, False
    cls = pf.parents.get(fn)
    bases = [pf.dotted(b).rsplit(".", 1)[-1] for b in cls.bases] if isinstance(cls, ast.ClassDef) else []
    if fn.name in VIEW_METHODS and any(b.endswith(VIEW_BASES) for b in bases):
        return f"{fn.name.upper()} of the view {cls.name}", False  # type: ignore[union-attr]
    if fn.name in PROTOCOL_CALLBACKS and any(b.endswith("Protocol") for b in bases):
        return f"{fn.name} of the protocol {cls.name}", True  # type: ignore[union-attr]
    params = [a.arg for a in fn.args.args if a.arg not in {"self", "cls"}]
    owner = cls.name if isinstance(cls, ast.ClassDef) else ""
    lifespan = "lifespan" in (owner + fn.name).lower()
    if isinstance(fn, ast.AsyncFunctionDef) and params[:3] == ["scope", "receive", "send"] and not lifespan:
        return f"ASGI application {owner or fn.name}", False
    return None, False


def _references(pf: PythonFile, call: ast.Call, name: str) -> list[str]:
    """Handlers ``call`` registers by reference (``web.get("/x", handler)``, ``Route("/x", endpoint)``)."""
    last = name.rsplit(".", 1)[-1]
    routes = last in HTTP_VERBS and any(isinstance(a, ast.Constant) and str(a.value).startswith("/") for a in call.args)
    if last not in REGISTRARS and not routes:
        return []
    values = [*call.args, *(k.value for k in call.keywords)]
    return [t for v in values if isinstance(v, ast.Name | ast.Attribute) and (t := _target(pf, v)) is not None]


SQLITE_CALLS = {"execute", "executemany", "executescript", "commit", "fetchall", "fetchone", "fetchmany"}


@per_file
def _sqlite_handles(pf: PythonFile) -> set[str]:
    """Names (``conn``, ``self.db``) the file assigns a ``sqlite3`` connection, or a cursor of one."""
    handles: set[str] = set()
    for assign in pf.of_type(ast.Assign):
        if not isinstance(assign.value, ast.Call):
            continue
        made = pf.call_name(assign.value)
        func = assign.value.func
        cursor = isinstance(func, ast.Attribute) and func.attr == "cursor" and pf.dotted(func.value) in handles
        if made == "sqlite3.connect" or cursor:
            handles |= {pf.dotted(t) for t in assign.targets if isinstance(t, ast.Name | ast.Attribute)}
    return handles - {""}


def _blocking_method(pf: PythonFile, call: ast.Call) -> tuple[str, str] | None:
    """(callee, cost) for blocking methods: ``Path.read_text()``, ``conn.execute()`` on a sqlite3 connection."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    if func.attr in PATH_IO:
        return f".{func.attr}()", "io"
    if func.attr in SQLITE_CALLS and (handle := pf.dotted(func.value)) in _sqlite_handles(pf):
        return f"{handle}.{func.attr}", "io"
    return None


def _blocking(pf: PythonFile, fn: Function) -> Iterator[Site]:
    for call in pf.own_calls(fn):
        name = pf.call_name(call)
        cost = blocking_callee(name)
        if cost is None and (method := _blocking_method(pf, call)) is not None:
            name, cost = method
        if cost is not None:
            line, end = pf.span(call)
            yield BlockingCallSite(
                path=pf.path, line=line, end_line=end, language="Python", snippet=pf.snippet(call),
                function=pf.qualname(call), callee=name, cost=cost, owner_line=fn.lineno,
                context="async function" if isinstance(fn, ast.AsyncFunctionDef) else "function",
                memoised=_memoised(pf, call, fn),
            )  # fmt: skip


def _memoised(pf: PythonFile, call: ast.Call, fn: Function) -> bool:
    """Whether ``call`` runs under ``if X is None:``, ``if not X:``, ``if not hasattr(o, "a"):`` or ``if k not in
    d:`` whose body stores into ``X``, ``o.a`` or ``d[...]``: the result is kept, so the call runs once."""
    for node in pf.ancestors(call):
        if node is fn:
            return False
        if isinstance(node, ast.If) and pf.contains(node, call) and not any(pf.contains(s, call) for s in node.orelse):
            kept = _unset(pf, node.test)
            stored = {pf.dotted(t.value if isinstance(t, ast.Subscript) else t)
                      for a in pf.within(node, ast.Assign) for t in a.targets}  # fmt: skip
            if kept and kept & stored:
                return True
    return False


def _unset(pf: PythonFile, test: ast.expr) -> set[str]:
    """What an ``if`` test finds missing: ``X`` in ``X is None`` / ``not X`` / ``k not in X``, ``o.a`` in
    ``not hasattr(o, "a")``."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = test.operand
        if isinstance(inner, ast.Call) and pf.call_name(inner) == "hasattr" and len(inner.args) == 2:
            attr = inner.args[1]
            if isinstance(attr, ast.Constant) and isinstance(attr.value, str):
                return {f"{pf.dotted(inner.args[0])}.{attr.value}"}
            return set()
        return {pf.dotted(inner)} - {""}
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        if isinstance(test.ops[0], ast.Is) and isinstance(test.comparators[0], ast.Constant):
            return {pf.dotted(test.left)} - {""}
        if isinstance(test.ops[0], ast.NotIn):
            return {pf.dotted(test.comparators[0])} - {""}
    return set()


@register_extractor("python")
def request_paths(pf: PythonFile) -> Iterator[Site]:
    """The file's blocking calls, and its call graph (the functions that call, serve or block)."""
    functions: list[CalledFunction] = []
    refs: list[HandlerRef] = []
    for fn in pf.of_type(ast.FunctionDef, ast.AsyncFunctionDef):
        blocking = list(_blocking(pf, fn))
        yield from blocking
        calls: set[str] = set()
        for call in pf.own_calls(fn):
            if (target := _target(pf, call.func)) is not None:
                calls.add(target)
            how = pf.call_name(call)
            refs.extend(HandlerRef(target=t, how=f"registered by {how}", line=call.lineno)
                        for t in _references(pf, call, how))  # fmt: skip
        handler, loop = _handler(pf, fn)
        if calls or handler or blocking:
            on_loop = loop or isinstance(fn, ast.AsyncFunctionDef)
            functions.append(CalledFunction(line=fn.lineno, names=(fn.name,), calls=tuple(sorted(calls)),
                                            is_async=on_loop, handler=handler))  # fmt: skip
    for call in pf.own_calls(pf.tree):  # routes registered at import
        how = pf.call_name(call)
        refs.extend(HandlerRef(target=t, how=f"registered by {how}", line=call.lineno)
                    for t in _references(pf, call, how))  # fmt: skip
    if functions or refs:
        yield CallGraphSite(path=pf.path, line=1, end_line=1, language="Python",
                            functions=tuple(sorted(functions, key=lambda f: f.line)), handlers=tuple(refs))  # fmt: skip
