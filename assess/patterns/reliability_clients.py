"""Reliability sites in Python's outbound calls: HTTP and database timeouts, dependency clients and fallbacks.

- HTTP timeouts: requests (module and ``Session`` calls) and ``urlopen``/``http.client`` without a
  timeout; httpx only with ``timeout=None`` (5 s default otherwise), and not over an in-process transport
  (``ASGITransport``: no network); ``aiohttp.ClientSession`` without one (bounded only by its 5-minute default).
- timeouts set once: a socket timeout written into a Redis pool's ``connection_kwargs``.
- database timeouts: psycopg/psycopg2, SQLAlchemy engines (not sqlite URLs), pymongo/motor, redis.
- dependencies: calls on redis, memcached, kafka, RabbitMQ and boto3 clients, and celery ``delay``;
  a fallback is a ``try`` whose handler returns or calls something other than logging or sleeping.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Literal

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.pyast import PythonFile, has_star_kwargs, keyword
from assess.patterns.reliability import (
    NESTED,
    ClientTimeoutSite,
    DbClientSite,
    DependencyCallSite,
    HttpCallSite,
    is_none,
    shallow,
    site_kw,
)

# --- HTTP calls ------------------------------------------------------------------------------------

VERBS = {"get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream"}
SESSIONS = {"requests.Session": "requests", "requests.session": "requests", "requests.sessions.Session": "requests",
            "httpx.Client": "httpx", "httpx.AsyncClient": "httpx"}  # fmt: skip


def _timeout_arg(call: ast.Call, position: int | None) -> ast.expr | Literal[False] | None:
    """The timeout argument; False when absent (None when ``**kwargs`` may carry it)."""
    value = keyword(call, "timeout")
    if value is None and position is not None and len(call.args) > position:
        value = call.args[position]
    if value is None:
        return None if has_star_kwargs(call) else False
    return value


def _http_site(f: PythonFile, call: ast.Call, client: str, callee: str, state: str,
               maker: bool = False) -> HttpCallSite:  # fmt: skip
    return HttpCallSite(client=client, callee=callee, timeout=state, maker=maker, **site_kw(f, call))


class Instances(dict[tuple[str | None, str], str]):
    """Names bound to a client: (enclosing function or None for module level and attributes, name) -> client."""

    def lookup(self, f: PythonFile, node: ast.AST, name: str) -> str | None:
        return self.get((f.qualname(node), name)) or self.get((None, name))


def _instances(f: PythonFile, makers: dict[str, str]) -> Instances:
    """Local names (``s``, ``self.session``) bound to a call of one of ``makers``."""
    out = Instances()
    for node in f.of_type(ast.Assign, ast.AnnAssign, ast.NamedExpr, ast.With, ast.AsyncWith):
        pairs: list[tuple[ast.AST, ast.AST | None]] = []
        if isinstance(node, ast.Assign):
            pairs = [(t, node.value) for t in node.targets]
        elif isinstance(node, ast.AnnAssign | ast.NamedExpr):
            pairs = [(node.target, node.value)]
        elif isinstance(node, ast.With | ast.AsyncWith):
            pairs = [(i.optional_vars, i.context_expr) for i in node.items if i.optional_vars is not None]
        for target, value in pairs:
            if isinstance(value, ast.Await):
                value = value.value
            if not isinstance(value, ast.Call):
                continue
            if f.call_name(value) in makers:
                out[(_scope(f, node, target), ast.unparse(target))] = makers[f.call_name(value)]
            elif isinstance(value.func, ast.Attribute) and value.func.attr in DERIVED and out:
                owner = out.lookup(f, node, ast.unparse(value.func.value))  # conn.channel(): the same client
                if owner is not None:
                    out[(_scope(f, node, target), ast.unparse(target))] = owner
    return out


DERIVED = frozenset({"channel", "Bucket", "Table", "Queue"})
"""Methods that return a handle on the same client (``conn.channel()``, ``s3.Bucket(name)``)."""


def _scope(f: PythonFile, node: ast.AST, target: ast.AST) -> str | None:
    """The function a name is bound in (None for attributes and module level: they are seen everywhere)."""
    return f.qualname(node) if isinstance(target, ast.Name) else None


def _http_state(f: PythonFile, call: ast.Call, client: str, position: int | None) -> str:
    arg = _timeout_arg(call, position)
    if arg is False:
        return "missing" if client in {"requests", "urllib", "http.client"} else "default"
    if arg is None:
        return "unknown"
    return "disabled" if is_none(arg) else "set"


IN_PROCESS = re.compile(r"(ASGI|WSGI|Mock)Transport$")
"""httpx transports that call an app in the same process (or a test double): no network, nothing to time out."""


def _in_process(f: PythonFile, call: ast.Call) -> bool:
    transport = keyword(call, "transport")
    return isinstance(transport, ast.Call) and bool(IN_PROCESS.search(f.call_name(transport)))


def _local_clients(f: PythonFile) -> set[str]:
    """Names bound to an httpx client over an in-process transport (``AsyncClient(transport=ASGITransport(app))``)."""
    out: set[str] = set()
    for node in f.of_type(ast.With, ast.AsyncWith, ast.Assign):
        pairs: list[tuple[ast.AST | None, ast.AST]] = []
        if isinstance(node, ast.With | ast.AsyncWith):
            pairs = [(i.optional_vars, i.context_expr) for i in node.items]
        elif isinstance(node, ast.Assign):
            pairs = [(t, node.value) for t in node.targets]
        out.update(ast.unparse(t) for t, v in pairs if t is not None and isinstance(v, ast.Call) and _in_process(f, v))
    return out


def http_calls(f: PythonFile) -> Iterator[HttpCallSite]:
    sessions = _instances(f, SESSIONS)
    local = _local_clients(f) if sessions else set()
    for call, name in f.calls():
        head, _, verb = name.rpartition(".")
        owner = ast.unparse(call.func.value) if sessions and isinstance(call.func, ast.Attribute) else ""
        session = sessions.lookup(f, call, owner) if owner and owner not in local else None
        if head in {"requests", "httpx"} and verb in VERBS - {"send"}:
            yield _http_site(f, call, head, name, _http_state(f, call, head, None))
        elif (session and verb in VERBS) or head in {"requests.Session()", "requests.session()"}:
            client = session or "requests"
            yield _http_site(f, call, client, name, _http_state(f, call, client, None))
        elif name in {"httpx.Client", "httpx.AsyncClient"} and not _in_process(f, call):
            yield _http_site(f, call, "httpx", name, _http_state(f, call, "httpx", None), maker=True)
        elif name == "aiohttp.ClientSession":
            state = _http_state(f, call, "aiohttp", None)
            yield _http_site(f, call, "aiohttp", name, "long-default" if state == "default" else state, maker=True)
        elif name == "urllib.request.urlopen":
            yield _http_site(f, call, "urllib", name, _http_state(f, call, "urllib", 2))
        elif name in {"http.client.HTTPConnection", "http.client.HTTPSConnection"}:
            yield _http_site(f, call, "http.client", name, _http_state(f, call, "http.client", 2))


POOL_SETTINGS = re.compile(r"^socket_(connect_)?timeout$")


def client_timeouts(f: PythonFile) -> Iterator[ClientTimeoutSite]:
    """A socket timeout written into a client's connection pool settings (``pool.connection_kwargs``), once for every
    connection it makes."""
    for call, name in f.calls():
        if not name.endswith(".connection_kwargs.update") and not name.endswith(".connection_kwargs.setdefault"):
            continue
        scope = f.enclosing_function(call) or f.tree
        found = sorted({c.value for c in f.within(scope, ast.Constant)
                        if isinstance(c.value, str) and POOL_SETTINGS.match(c.value)})  # fmt: skip
        found += [k.arg for k in call.keywords if k.arg and POOL_SETTINGS.match(k.arg)]
        if found:
            yield ClientTimeoutSite(client="redis", setting=found[0], **site_kw(f, call))


# --- database clients ------------------------------------------------------------------------------

PG = {"psycopg2.connect", "psycopg.connect", "psycopg.Connection.connect", "psycopg.AsyncConnection.connect",
      "psycopg2.pool.SimpleConnectionPool", "psycopg2.pool.ThreadedConnectionPool"}  # fmt: skip
ENGINES = {"sqlalchemy.create_engine", "sqlalchemy.ext.asyncio.create_async_engine"}
MONGO = {"pymongo.MongoClient", "motor.motor_asyncio.AsyncIOMotorClient", "mongoengine.connect"}
REDIS = {"redis.Redis", "redis.StrictRedis", "redis.from_url", "redis.Redis.from_url", "redis.StrictRedis.from_url",
         "redis.asyncio.Redis", "redis.asyncio.from_url", "redis.asyncio.Redis.from_url", "redis.ConnectionPool",
         "redis.ConnectionPool.from_url", "redis.BlockingConnectionPool", "redis.asyncio.ConnectionPool"}  # fmt: skip
DB_CLIENTS = frozenset(PG | ENGINES | MONGO | REDIS)
MONGO_TIMEOUTS = ("serverSelectionTimeoutMS", "socketTimeoutMS", "connectTimeoutMS", "timeoutMS")


def _strings(call: ast.Call) -> str:
    return " ".join(n.value for n in ast.walk(call) if isinstance(n, ast.Constant) and isinstance(n.value, str))


def _db_timeout(f: PythonFile, call: ast.Call, name: str) -> tuple[str, bool | None, str] | None:
    """(driver, timeout set?, wanted settings) for a database client call, or None if it is not one."""
    if name not in DB_CLIENTS:
        return None
    text, kws = _strings(call), {k.arg for k in call.keywords}
    unknown = None if has_star_kwargs(call) else False
    if name in PG:
        found = "connect_timeout" in kws or re.search(r"connect_timeout|statement_timeout", text)
        return "postgres", True if found else unknown, "connect_timeout or statement_timeout"
    if name in ENGINES:
        url = call.args[0] if call.args else keyword(call, "url")
        if isinstance(url, ast.Constant) and str(url.value).startswith("sqlite"):
            return None  # sqlite3 waits 5 s on a locked database by default
        args = keyword(call, "connect_args")
        if args is not None and not isinstance(args, ast.Dict):
            return "sqlalchemy", None, ""
        engine_found = "pool_timeout" in kws or "timeout" in text.lower()
        return "sqlalchemy", True if engine_found else unknown, "pool_timeout or connect_args timeouts"
    if name in MONGO:
        mongo_found = any(k in kws or k.lower() in text.lower() for k in MONGO_TIMEOUTS)
        return "mongodb", True if mongo_found else unknown, "serverSelectionTimeoutMS/socketTimeoutMS"
    if name in REDIS:
        if "connection_pool" in kws:
            return "redis", None, ""
        value = keyword(call, "socket_timeout")
        redis_found = (value is not None and not is_none(value)) or "socket_timeout" in text
        return "redis", True if redis_found else unknown, "socket_timeout"
    return None


def db_clients(f: PythonFile) -> Iterator[DbClientSite]:
    for call, name in f.calls():
        if found := _db_timeout(f, call, name):
            driver, timeout, wanted = found
            yield DbClientSite(driver=driver, callee=name, timeout=timeout, wanted=wanted, **site_kw(f, call))


# --- dependency clients and their fallbacks --------------------------------------------------------

DEPENDENCIES = {
    **{name: "redis" for name in REDIS},
    "pymemcache.Client": "memcached", "pymemcache.client.base.Client": "memcached",
    "pymemcache.client.hash.HashClient": "memcached", "memcache.Client": "memcached", "pylibmc.Client": "memcached",
    "kafka.KafkaProducer": "kafka", "kafka.KafkaConsumer": "kafka", "confluent_kafka.Producer": "kafka",
    "confluent_kafka.Consumer": "kafka", "aiokafka.AIOKafkaProducer": "kafka", "pika.BlockingConnection": "rabbitmq",
    "boto3.client": "aws", "boto3.resource": "aws",
}  # fmt: skip
NOT_USES = {
    "close", "ping", "info", "channel", "pipeline", "pubsub", "lock", "get_paginator", "register_script", "Bucket",
    "Table", "Queue", "flush", "poll", "subscribe", "connection_pool", "from_url",
}  # fmt: skip
NOT_FALLBACK = re.compile(r"^(log|logger|logging|_log|_logger|LOG|LOGGER|print|warnings|min|max|int|float|str|len|"
                          r"random|isinstance)\b|\.(debug|info|warning|warn|error|exception|critical|incr|increment|"
                          r"sleep|inc|observe)$|sleep")  # fmt: skip


def _has_fallback(f: PythonFile, call: ast.Call) -> bool:
    """Whether ``call`` sits in a ``try`` whose handler falls back (returns, assigns, or calls something else)."""
    child: ast.AST = call
    for a in f.ancestors(call):
        if isinstance(a, NESTED):
            return False
        if isinstance(a, ast.Try) and child in a.body:
            for h in a.handlers:
                acts: list[ast.AST] = [n for n in shallow(h.body) if isinstance(n, ast.Return)]
                acts += [
                    c for c in shallow(h.body) if isinstance(c, ast.Call) and not NOT_FALLBACK.search(f.call_name(c))
                ]
                if acts and not isinstance(h.body[-1], ast.Raise):
                    return True
        child = a
    return False


def _task_names(f: PythonFile) -> set[str]:
    """Celery tasks: functions decorated ``@app.task``/``@shared_task``, and names imported from a tasks module."""
    out = set()
    for node in f.of_type(ast.FunctionDef, ast.AsyncFunctionDef, ast.ImportFrom):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            f.unparse(d).split("(")[0].endswith(("task", "shared_task")) for d in node.decorator_list
        ):
            out.add(node.name)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] == "tasks":
            out.update(a.asname or a.name for a in node.names)
    return out


def dependency_calls(f: PythonFile) -> Iterator[DependencyCallSite]:
    clients = _instances(f, DEPENDENCIES)
    tasks = _task_names(f)
    if not clients and not tasks:
        return  # no client and no task: no call can be a dependency call
    for call, _name in f.calls():
        if not isinstance(call.func, ast.Attribute):
            continue
        owner, verb = ast.unparse(call.func.value), call.func.attr
        if (found := clients.lookup(f, call, owner)) and verb not in NOT_USES:
            client = found
        elif owner in tasks and verb in {"delay", "apply_async"}:
            client = "celery"
        else:
            continue
        yield DependencyCallSite(
            client=client, callee=f"{owner}.{verb}", instance=owner, fallback=_has_fallback(f, call), **site_kw(f, call)
        )


@register_extractor("python")
def extract(f: PythonFile) -> Iterator[Site]:
    """Every HTTP call, database client and dependency call in one Python file."""
    for make in (http_calls, client_timeouts, db_clients, dependency_calls):
        yield from make(f)
