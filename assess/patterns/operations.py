"""Operations facts in Python code: health endpoints, servers, signal handlers, logging, telemetry.

The site types of the operations family live here (the JavaScript/TypeScript and configuration
extractors in ``operations_js`` and ``operations_config`` reuse them). Extractors record what was
seen; ``assess.probes.operations`` decides what it means for the service.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Literal

from assess.model.patterns import Site, register_site
from assess.patterns import register_extractor
from assess.patterns.pyast import PythonFile

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
    handler_module: str | None = None
    """Where the handler is, when it is a router mounted from another module (``app.use('/health', health)``):
    that module's path without its extension (``server/routes/health.routes``)."""


@register_site
class RootRouteSite(Site):
    """A router's own root route (``router.get('/', handler)``), judged like a health handler: it is the health
    endpoint when another module mounts the router at ``/health``. Line: as for :class:`HealthEndpointSite`."""

    kind: Literal["ops-root-route"] = "ops-root-route"
    deep: bool
    checks: tuple[str, ...] = ()


@register_site
class HealthCommandSite(Site):
    """A daemon's protocol answers a health command (``case "health":`` in its command dispatch)."""

    kind: Literal["ops-health-command"] = "ops-health-command"
    command: str


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


# ---- shared vocabulary (Python and JavaScript) ----------------------------------------------------

HEALTH_WORDS = frozenset({"health", "healthz", "healthcheck", "health-check", "health_check", "_health", "healthy"})
READY_WORDS = frozenset({"ready", "readyz", "readiness"})
LIVE_WORDS = frozenset({"live", "livez", "liveness", "alive", "ping"})
PROBE_STEMS = re.compile(r"health|ready|readiness|live|ping")
"""Each of the words above contains one of these: a quick test before reading a string as a route."""
PREFIXES = frozenset({"api", "-", "_", "internal", "v1", "v2", "v3", "management", "actuator", "_status"})
PATHLIKE = re.compile(r"(path|route|resource|url|uri|endpoint|pathname)$", re.IGNORECASE)
COMMANDLIKE = re.compile(r"(^|[._])(cmd|command|verb|op|opcode|action)$", re.IGNORECASE)
"""A variable a daemon dispatches its protocol's commands on (``switch (cmd)``, ``if command == ...``)."""
COMMAND_WORDS = frozenset({"health", "healthcheck", "health_check", "ping"})

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


def _signal_scope(f: PythonFile, arg: ast.expr, call: ast.Call) -> ast.AST:
    """Where the signals handled by ``signal(arg, ...)`` are named: ``arg`` itself, or, when it is a loop variable
    (``for sig in (SIGINT, SIGTERM)``, ``{s: signal(s, h) for s in HANDLED}``), what it iterates over, followed to a
    module-level assignment (``HANDLED = (signal.SIGINT, signal.SIGTERM)``)."""
    for a in f.ancestors(call) if isinstance(arg, ast.Name) else ():
        if isinstance(a, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            break
        loops = [a] if isinstance(a, ast.For) else a.generators if isinstance(a, COMPREHENSIONS) else []
        over = next((g.iter for g in loops if isinstance(arg, ast.Name) and arg.id in _names(g.target)), None)
        if over is not None:
            arg = over
            break
    if not isinstance(arg, ast.Name):
        return arg
    values = [n.value for n in f.tree.body if isinstance(n, ast.Assign | ast.AugAssign)
              and arg.id in _names(*(n.targets if isinstance(n, ast.Assign) else [n.target]))]  # fmt: skip
    return ast.Tuple(elts=values) if values else arg


COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _names(*targets: ast.AST) -> set[str]:
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


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
        scope = _signal_scope(f, call.args[0], call)
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


def _last(call: ast.Call) -> str:
    """The called name's last part (``x.y.serve_forever()`` -> ``serve_forever``), without resolving imports."""
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _statement(f: PythonFile, node: ast.AST) -> ast.AST:
    """The statement holding ``node`` (so the snippet shows the whole line, not one string)."""
    if isinstance(node, ast.stmt):
        return node
    return next((a for a in f.ancestors(node) if isinstance(a, ast.stmt)), node)


@register_extractor("python")
def operations_python(f: PythonFile) -> Iterator[Site]:
    yield from _services(f)  # each helper reads only the node types it needs (PythonFile.of_type)
    yield from _signals(f)
