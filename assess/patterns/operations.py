"""Operations facts in Python code: health endpoints, servers, signal handlers, logging, telemetry.

The site types of the operations family live here (the JavaScript/TypeScript and configuration
extractors in ``operations_js`` and ``operations_config`` reuse them). Extractors record what was
seen; ``assess.probes.operations`` decides what it means for the service.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from typing import Literal

from assess.model.patterns import Site, register_site
from assess.patterns import register_extractor
from assess.patterns.pyast import PythonFile, keyword

ProbeKind = Literal["health", "readiness", "liveness"]


@register_site
class HealthEndpointSite(Site):
    """A health, readiness or liveness endpoint. Line: the first dependency call (deep) or the OK response."""

    kind: Literal["health-endpoint"] = "health-endpoint"
    route: str
    probe: ProbeKind
    deep: bool | None
    """Whether the handler touches a dependency; None when the handler is not in this file."""
    checks: tuple[str, ...] = ()


@register_site
class ServiceSite(Site):
    """A web application or HTTP server is built here: the code is a service, not a library."""

    kind: Literal["ops-service"] = "ops-service"
    how: str


@register_site
class ServeSite(Site):
    """A long-running server is started here (``serve_forever``, ``app.run``, ``app.listen``)."""

    kind: Literal["ops-serve"] = "ops-serve"
    how: str
    handles_signals: bool
    """The server itself drains on SIGTERM (uvicorn, aiohttp ``run_app``)."""


@register_site
class SignalHandlerSite(Site):
    kind: Literal["ops-signal-handler"] = "ops-signal-handler"
    signals: tuple[str, ...]
    mechanism: str


@register_site
class PrintLoggingSite(Site):
    """``print``/``console.log`` of a message in a module that has a logger."""

    kind: Literal["ops-print"] = "ops-print"
    call: str


@register_site
class StructuredLoggingSite(Site):
    kind: Literal["ops-structured-logging"] = "ops-structured-logging"
    library: str


@register_site
class TelemetrySite(Site):
    """Metrics or tracing instrumentation imported here (first import per file and signal)."""

    kind: Literal["ops-telemetry"] = "ops-telemetry"
    signal: Literal["metrics", "tracing"]
    library: str


@register_site
class RequestIdSite(Site):
    kind: Literal["ops-request-id"] = "ops-request-id"
    header: str


# ---- shared vocabulary (Python and JavaScript) ----------------------------------------------------

HEALTH_WORDS = frozenset({"health", "healthz", "healthcheck", "health-check", "health_check", "_health", "healthy"})
READY_WORDS = frozenset({"ready", "readyz", "readiness"})
LIVE_WORDS = frozenset({"live", "livez", "liveness", "alive", "ping"})
PROBE_STEMS = re.compile(r"health|ready|readiness|live|ping")
"""Each of the words above contains one of these: a quick test before reading a string as a route."""
PREFIXES = frozenset({"api", "-", "_", "internal", "v1", "v2", "v3", "management", "actuator", "_status"})
PATHLIKE = re.compile(r"(path|route|resource|url|uri|endpoint|pathname)$", re.IGNORECASE)

DEPENDENCY_TOKENS = frozenset(
    {
        "db", "database", "store", "storage", "repo", "repository", "session", "engine", "conn", "connection",
        "connect", "cursor", "pool", "redis", "cache", "ping", "execute", "query", "sql", "select", "mongo", "kafka",
        "rabbit", "broker", "queue", "upstream", "dependency", "dependencies", "deps", "check", "checks", "verify",
        "probe", "fetchone", "scalar", "sqlite", "postgres", "pg", "mysql", "prisma", "knex", "sequelize", "mongoose",
        "requests", "httpx", "urlopen", "fetch", "axios", "indicator", "indicators",
    }
)  # fmt: skip
"""Words in a call's name that mean the handler asks a dependency (database, cache, broker, upstream)."""

RESPONDERS = frozenset(
    {
        "jsonify", "JSONResponse", "Response", "HttpResponse", "JsonResponse", "json_response", "make_response",
        "PlainTextResponse", "send_response", "send_header", "end_headers", "write", "dumps", "encode",
    }
)  # fmt: skip


def tokens(name: str) -> set[str]:
    """Words of an identifier chain: ``app.store.pingDb`` -> {app, store, ping, db}."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return {t for t in re.split(r"[^A-Za-z0-9]+|_", spaced.lower()) if t}


def is_dependency_call(name: str) -> bool:
    return bool(tokens(name) & DEPENDENCY_TOKENS)


def health_route(value: str, *, bare: bool = False) -> ProbeKind | None:
    """What a route string names: ``/healthz`` -> health, ``/ready`` -> readiness, ``/tasks`` -> None.

    A string without a leading slash counts only when ``bare`` (it is compared with a path variable).
    """
    text = value.strip().split("?")[0]
    if not text.startswith("/") and not bare:
        return None
    parts = [p.lower() for p in text.split("/") if p]
    if not parts or len(parts) > 4:
        return None
    meaningful = [p for p in parts if p not in PREFIXES]
    if not meaningful or any(p not in HEALTH_WORDS for p in meaningful[:-1]):
        return None  # /orders/ready is about orders; /health/ready and /api/v1/readyz are probes
    first, last = meaningful[0], meaningful[-1]
    if last in LIVE_WORDS:
        return "liveness"
    if last in READY_WORDS:
        return "readiness"
    if last in HEALTH_WORDS or first in HEALTH_WORDS:
        return "health"
    return None


HEADER_NAMES = frozenset({"x-request-id", "x-correlation-id", "request-id", "correlation-id", "x-trace-id"})


# ---- Python ------------------------------------------------------------------------------------

APP_CONSTRUCTORS = {
    "flask.Flask": "Flask app", "quart.Quart": "Quart app", "fastapi.FastAPI": "FastAPI app",
    "starlette.applications.Starlette": "Starlette app", "sanic.Sanic": "Sanic app", "bottle.Bottle": "Bottle app",
    "litestar.Litestar": "Litestar app", "falcon.App": "Falcon app", "falcon.asgi.App": "Falcon app",
    "tornado.web.Application": "Tornado app", "aiohttp.web.Application": "aiohttp app",
    "django.core.wsgi.get_wsgi_application": "Django app", "django.core.asgi.get_asgi_application": "Django app",
    "http.server.HTTPServer": "http.server", "http.server.ThreadingHTTPServer": "http.server",
    "wsgiref.simple_server.make_server": "wsgiref server",
}  # fmt: skip
RUN_APPS = ("flask.Flask", "quart.Quart", "sanic.Sanic", "bottle.Bottle")
SERVER_BASES = ("http.server.",)
SELF_DRAINING = {
    "uvicorn.run": "uvicorn.run",
    "aiohttp.web.run_app": "aiohttp run_app",
    "uvicorn.Server().serve": "uvicorn",
}
SERVICE_CALLS = frozenset(
    {n.rsplit(".", 1)[-1] for n in [*APP_CONSTRUCTORS, *SELF_DRAINING]} | {"serve_forever", "run", "start", "serve"}
)
"""Last parts of the calls ``_services`` resolves (resolving every call of a big file is slow)."""
REGISTRARS = frozenset({"path", "re_path", "url", "add_url_rule", "add_api_route", "add_route", "add_get", "Route"})
LOGGING_CALLS = frozenset({"JsonFormatter", "JSONRenderer", "StdlibFormatter", "JSONFormatter", "add"})
LOGGER_NAMES = frozenset({"log", "logger", "_log", "_logger", "LOG", "LOGGER", "logging", "structlog"})
CLI_MODULES = frozenset({"argparse", "click", "typer", "fire", "docopt"})
METRICS_MODULES = (
    "prometheus_client", "statsd", "datadog", "aioprometheus", "prometheus_fastapi_instrumentator",
    "starlette_exporter", "opentelemetry.metrics", "opentelemetry.sdk.metrics", "prometheus_flask_exporter",
)  # fmt: skip
TRACING_MODULES = ("opentelemetry.trace", "opentelemetry.sdk.trace", "opentelemetry.instrumentation", "ddtrace",
                   "jaeger_client", "py_zipkin", "opentracing", "elasticapm")  # fmt: skip
JSON_FORMATTERS = {
    "pythonjsonlogger.jsonlogger.JsonFormatter": "python-json-logger",
    "pythonjsonlogger.json.JsonFormatter": "python-json-logger", "structlog.processors.JSONRenderer": "structlog",
    "ecs_logging.StdlibFormatter": "ecs-logging", "json_log_formatter.JSONFormatter": "json-log-formatter",
}  # fmt: skip


def _site(f: PythonFile, cls: type[Site], node: ast.AST, **fields: object) -> Site:
    line, end = f.span(node)
    return cls(path=f.path, line=line, end_line=end, language="Python", snippet=f.snippet(node),
               function=f.qualname(node), **fields)  # fmt: skip


def _name(f: PythonFile, call: ast.Call) -> str:
    name = f.call_name(call)
    if name:
        return name
    try:
        return ast.unparse(call.func)
    except (ValueError, TypeError, RecursionError):
        return ""


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


def _services(f: PythonFile) -> Iterator[Site]:
    apps: set[str] = set()
    for node in f.of_type(ast.ClassDef, ast.Assign):
        if isinstance(node, ast.ClassDef):
            bases = [f.dotted(b) for b in node.bases]
            if any(b.startswith(SERVER_BASES) for b in bases):
                yield _site(f, ServiceSite, node, how=f"subclass of {bases[0]}")
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and f.call_name(node.value) in RUN_APPS:
            apps.update(t.id for t in node.targets if isinstance(t, ast.Name))
    for call in f.of_type(ast.Call):
        if _last(call) not in SERVICE_CALLS:
            continue
        name = f.call_name(call)
        if name in APP_CONSTRUCTORS:
            yield _site(f, ServiceSite, call, how=APP_CONSTRUCTORS[name])
        if name in SELF_DRAINING:
            yield _site(f, ServeSite, call, how=SELF_DRAINING[name], handles_signals=True)
        elif name.endswith(".serve_forever") or name == "serve_forever":
            yield _site(f, ServeSite, call, how="serve_forever", handles_signals=False)
        elif name == "bottle.run" or (name.count(".") == 1 and name.endswith(".run") and name.split(".")[0] in apps):
            yield _site(f, ServeSite, call, how="development server (app.run)", handles_signals=False)
        elif name.startswith("tornado.ioloop.IOLoop") and name.endswith(".start"):
            yield _site(f, ServeSite, call, how="tornado IOLoop", handles_signals=False)


def _signals(f: PythonFile) -> Iterator[Site]:
    for call in f.of_type(ast.Call):
        if _last(call) not in {"signal", "add_signal_handler"} or len(call.args) < 2:
            continue
        name = f.call_name(call)
        if not (name == "signal.signal" or name.endswith("add_signal_handler")):
            continue
        handler = f.dotted(call.args[1])
        if handler.endswith(("SIG_DFL", "SIG_IGN")):
            continue
        scope: ast.AST = call.args[0]
        if isinstance(scope, ast.Name) and (loop := f.in_loop(call)) is not None and isinstance(loop, ast.For):
            scope = loop.iter
        found = sorted(
            {
                d.rsplit(".", 1)[-1]
                for n in ast.walk(scope)
                if (d := f.dotted(n)).endswith(("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"))
            }
        )
        if isinstance(scope, ast.Constant) and scope.value == 15:
            found = ["SIGTERM"]
        if found:
            yield _site(f, SignalHandlerSite, call, signals=tuple(found), mechanism=name.rsplit(".", 1)[-1])


def _is_message(node: ast.expr) -> bool:
    if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return True
    if isinstance(node, ast.BinOp):
        return _is_message(node.left) or _is_message(node.right)
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _is_message(node.func.value)


def _prints(f: PythonFile) -> Iterator[Site]:
    calls = f.of_type(ast.Call)
    prints = [c for c in calls if _last(c) == "print" and c.args]
    if not prints:
        return
    imported = {m.split(".")[0] for n in f.of_type(ast.Import, ast.ImportFrom) for m in _modules(n)}
    if imported & CLI_MODULES:
        return
    has_logger = bool(imported & {"logging", "structlog", "loguru"}) or any(
        name.split(".")[0] in LOGGER_NAMES for c in calls if "." in (name := f.call_name(c))
    )
    for call in prints if has_logger else []:
        if f.call_name(call) != "print" or not _is_message(call.args[0]):
            continue
        stream = keyword(call, "file")
        if stream is not None and f.dotted(stream) not in {"sys.stdout", "sys.stderr"}:
            continue  # writes a file: output, not logging
        yield _site(f, PrintLoggingSite, call, call="print")


def _last(call: ast.Call) -> str:
    """The called name's last part (``x.y.serve_forever()`` -> ``serve_forever``), without resolving imports."""
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _logging_and_telemetry(f: PythonFile) -> Iterator[Site]:
    for node in f.of_type(ast.ClassDef, ast.Call):
        if isinstance(node, ast.ClassDef):
            bases = [f.dotted(b) for b in node.bases]
            formatter = any(b.endswith("Formatter") for b in bases)
            json_body = formatter and any(
                n.endswith(("json.dumps", "orjson.dumps", "ujson.dumps")) for _, n in f.calls(node)
            )
            if any(b in JSON_FORMATTERS for b in bases) or json_body:
                yield _site(f, StructuredLoggingSite, node, library="JSON formatter class")
        elif isinstance(node, ast.Call) and _last(node) in LOGGING_CALLS:
            name = f.call_name(node)
            serialize = keyword(node, "serialize")
            if name in JSON_FORMATTERS:
                yield _site(f, StructuredLoggingSite, node, library=JSON_FORMATTERS[name])
            elif (
                name.startswith("loguru.logger.add") and isinstance(serialize, ast.Constant) and serialize.value is True
            ):
                yield _site(f, StructuredLoggingSite, node, library="loguru serialize")
    seen: set[str] = set()
    imports = sorted(f.of_type(ast.Import, ast.ImportFrom), key=lambda n: n.lineno)
    for imp in imports:
        for signal, library in _telemetry_imports(imp):
            if signal not in seen:
                seen.add(signal)
                yield _site(f, TelemetrySite, imp, signal=signal, library=library)


def _modules(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    return [node.module] if node.module and node.level == 0 else []


def _telemetry_imports(node: ast.AST) -> Iterable[tuple[Literal["metrics", "tracing"], str]]:
    modules: list[str] = []
    if isinstance(node, ast.Import):
        modules = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        modules = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
    for module in modules:
        if module.startswith(METRICS_MODULES):
            yield "metrics", module
        if module.startswith(TRACING_MODULES):
            yield "tracing", module


def _request_ids(f: PythonFile) -> Iterator[Site]:
    """The first place (in line order) that names a request or correlation id header."""
    found: list[tuple[int, ast.AST, str]] = []
    for node in f.of_type(ast.Constant, ast.ImportFrom):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.lower() in HEADER_NAMES:
            found.append((node.lineno, node, node.value))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("asgi_correlation_id"):
            found.append((node.lineno, node, "asgi-correlation-id"))
    if found:
        _, first, header = min(found, key=lambda item: item[0])
        yield _site(f, RequestIdSite, _statement(f, first), header=header)


def _statement(f: PythonFile, node: ast.AST) -> ast.AST:
    """The statement holding ``node`` (so the snippet shows the whole line, not one string)."""
    if isinstance(node, ast.stmt):
        return node
    return next((a for a in f.ancestors(node) if isinstance(a, ast.stmt)), node)


@register_extractor("python")
def operations_python(f: PythonFile) -> Iterator[Site]:
    yield from _health_endpoints(f)  # each helper reads only the node types it needs (PythonFile.of_type)
    yield from _services(f)
    yield from _signals(f)
    yield from _prints(f)
    yield from _logging_and_telemetry(f)
    yield from _request_ids(f)
