"""Reliability sites in JavaScript and TypeScript outbound calls: HTTP and database timeouts, dependency clients.

axios and node-fetch have no timeout by default (an axios instance from ``axios.create`` or a file that sets
``defaults.timeout`` counts as configured elsewhere; ``axios.defaults.timeout = ...`` is recorded, for the probe
to apply to the whole process); Node's own fetch (undici) gives up after 300 s without headers or body; a file
that defines its own ``fetch`` wraps it. pg, mongoose and the MongoDB driver need their
timeout options or URI parameters. Dependency clients are ioredis/redis, kafkajs, amqplib and the AWS SDK
v3 (a name is bound in its function; ``redis.client.get(...)`` on a name that says Redis counts too); a fallback
is a ``catch`` that returns or calls something other than logging or sleeping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.reliability import ClientTimeoutSite, DbClientSite, DependencyCallSite, HttpCallSite
from assess.patterns.reliability_js import FUNCS, Binding, JsFile, calls, js_file, keys
from assess.patterns.scripts import ScriptFile

# --- HTTP and database clients ---------------------------------------------------------------------

AXIOS_CONFIG_AT = {"get": 1, "delete": 1, "head": 1, "options": 1, "post": 2, "put": 2, "patch": 2, "request": 0}
MONGO_KEYS = ("serverSelectionTimeoutMS", "socketTimeoutMS", "connectTimeoutMS", "timeoutMS")


def _options_state(js: JsFile, node: Node | None, wanted: tuple[str, ...], absent: str = "missing") -> str:
    if node is None:
        return absent
    opts = keys(js, node)
    if opts is None:
        return "unknown"
    return "set" if any(k in opts for k in wanted) else absent


def _axios(js: JsFile, call: Node, b: Binding, defaults: bool) -> HttpCallSite | None:
    args = js.args(call)
    fn = js.callee(call)
    if b[1] == "default" and call.type == "call_expression" and fn is not None and fn.type == "identifier":
        at = 0  # axios(config)
    elif b[1] in AXIOS_CONFIG_AT:
        at = AXIOS_CONFIG_AT[b[1]]
    elif b[1] == "create":
        at = 0
    else:
        return None
    state = _options_state(js, args[at] if len(args) > at else None, ("timeout", "signal"))
    if defaults and state == "missing":
        state = "default"
    return HttpCallSite(client="axios", callee=js.text(js.callee(call)), timeout=state, maker=b[1] == "create",
                        **js.site(call, one_line=True))  # fmt: skip


LOCAL_FETCH = re.compile(r"\b(function\s+fetch\s*\(|(const|let|var)\s+fetch\s*=\s*(?!require\b))")
"""The file defines its own ``fetch`` (a wrapper that may set a signal): its calls are not the global fetch."""
FETCH_DEFAULTS = {None: "long-default", "undici": "long-default", "node-fetch": "missing", "cross-fetch": "missing"}
"""Node's own fetch (undici) gives up after 300 s without headers or body; node-fetch waits for ever."""


def _fetch(js: JsFile, call: Node, b: Binding | None) -> HttpCallSite | None:
    module = b[0] if b is not None else None
    if module not in FETCH_DEFAULTS or (module is None and LOCAL_FETCH.search(js.f.text)):
        return None
    args = js.args(call)
    state = _options_state(js, args[1] if len(args) > 1 else None, ("signal", "timeout"), FETCH_DEFAULTS[module])
    return HttpCallSite(client="fetch", callee="fetch", timeout=state, **js.site(call, one_line=True))


NODE_HTTP = frozenset({"http", "https", "node:http", "node:https"})


def _node_http(js: JsFile, call: Node, b: Binding) -> HttpCallSite | None:
    """``https.request(url, options, callback)`` / ``http.get``: Node's own client has no timeout unless the options
    give one, or the request's ``setTimeout`` / ``'timeout'`` listener or a ``signal`` bounds it."""
    if b[1] not in {"request", "get"}:
        return None
    scope = next((a for a in js.f.ancestors(call) if a.type in FUNCS), None)
    named = [a for a in js.args(call)[1:] if a.type == "identifier"]
    options = next((a for a in js.args(call) if a.type == "object"), None)
    if options is None and named:
        options = _declared_object(js, scope, js.text(named[0]))
        if options is None and not _function_named(js, named[0]):
            return HttpCallSite(client="node http", callee=js.text(js.callee(call)), timeout="unknown",
                                **js.site(call, one_line=True))  # fmt: skip
    state = _options_state(js, options, ("timeout", "signal"))
    if state == "missing" and scope is not None:
        text = js.text(scope)
        if re.search(r"\.setTimeout\s*\(|\.on\(\s*['\"]timeout['\"]|AbortSignal\.timeout", text):
            state = "set"
    return HttpCallSite(client="node http", callee=js.text(js.callee(call)), timeout=state,
                        **js.site(call, one_line=True))  # fmt: skip


def _declared_object(js: JsFile, scope: Node | None, name: str) -> Node | None:
    """The object literal ``const name = {...}`` declares in ``scope`` (the function, or the file), if any."""
    root = scope if scope is not None else js.f.tree.root_node
    for n in js.f.captures("(variable_declarator name: (identifier) value: (object)) @d").get("d", []):
        ident = n.child_by_field_name("name")
        if root.start_byte <= n.start_byte < root.end_byte and ident is not None and js.text(ident) == name:
            return n.child_by_field_name("value")
    return None


def _function_named(js: JsFile, node: Node) -> bool:
    """Whether an identifier argument is a callback (``https.get(url, onResponse)``), not options."""
    name = js.text(node)
    return bool(re.search(rf"function\s+{re.escape(name)}\s*\(|(const|let|var)\s+{re.escape(name)}\s*=\s*(async\s*)?"
                          rf"(\(|function|\w+\s*=>)", js.f.text))


def http_calls(js: JsFile) -> Iterator[HttpCallSite]:
    defaults = "defaults.timeout" in js.f.text
    instances: set[str] = set()
    for call, b in calls(js):
        fn = js.callee(call)
        if call.type == "call_expression" and fn is not None and js.text(fn) == "fetch":
            if site := _fetch(js, call, b):
                yield site
        elif b is not None and b[0] in NODE_HTTP and call.type == "call_expression":
            if site := _node_http(js, call, b):
                yield site
        elif b is not None and b[0] == "axios" and (site := _axios(js, call, b, defaults)):
            if b[1] == "create" and call.parent is not None and call.parent.type == "variable_declarator":
                instances.add(js.text(call.parent.child_by_field_name("name")))
            yield site
        elif (
            fn is not None and fn.type == "member_expression" and js.text(fn.child_by_field_name("object")) in instances
        ):
            yield HttpCallSite(client="axios", callee=js.text(fn), timeout="default", **js.site(call, one_line=True))


AXIOS_DEFAULTS = re.compile(r"^(\w+)\.defaults\.timeout$")


def client_timeouts(js: JsFile) -> Iterator[ClientTimeoutSite]:
    """``axios.defaults.timeout = ms``: every axios call of the process gets a timeout."""
    for n in js.nodes:
        if n.type != "assignment_expression":
            continue
        found = AXIOS_DEFAULTS.match(js.text(n.child_by_field_name("left")))
        if found and js.bindings.get(found.group(1), ("", ""))[0] == "axios":
            yield ClientTimeoutSite(client="axios", setting="axios.defaults.timeout", everywhere=True,
                                    **js.site(n, one_line=True))  # fmt: skip


def _db_site(
    js: JsFile, call: Node, driver: str, opts: Node | None, wanted: tuple[str, ...], uri: Node | None
) -> DbClientSite:
    state = _options_state(js, opts, wanted)
    if state == "missing" and uri is not None and any(w.lower() in js.text(uri).lower() for w in wanted):
        state = "set"
    timeout = None if state == "unknown" else state == "set"
    return DbClientSite(driver=driver, callee=js.text(js.callee(call)), timeout=timeout, wanted="/".join(wanted),
                        **js.site(call, one_line=True))  # fmt: skip


def db_clients(js: JsFile) -> Iterator[DbClientSite]:
    for call, b in calls(js):
        args = js.args(call)
        if b in {("pg", "Pool"), ("pg", "Client")} and call.type == "new_expression":
            wanted = ("statement_timeout", "query_timeout", "connectionTimeoutMillis")
            yield _db_site(js, call, "postgres", args[0] if args else None, wanted, None)
        elif b in {("mongoose", "connect"), ("mongoose", "createConnection"), ("mongodb", "MongoClient")}:
            yield _db_site(js, call, "mongodb", args[1] if len(args) > 1 else None, MONGO_KEYS,
                           args[0] if args else None)  # fmt: skip


# --- dependency clients and their fallbacks --------------------------------------------------------

DEP_CLIENTS = {("ioredis", "default"): "redis", ("ioredis", "Redis"): "redis", ("redis", "createClient"): "redis",
               ("kafkajs", "Kafka"): "kafka", ("amqplib", "connect"): "rabbitmq"}  # fmt: skip
NOT_FALLBACK = re.compile(r"^(await\s+)?(console|log|logger|metrics)\b|sleep|setTimeout|delay\(|Math\.")
DEP_SKIP = {
    "connect", "ping", "disconnect", "quit", "on", "once", "off", "createChannel", "producer", "consumer", "close",
    "duplicate", "multi", "pipeline", "emit", "removeListener", "removeAllListeners", "listeners",
}  # fmt: skip


REDIS_COMMANDS = frozenset({
    "get", "set", "del", "mget", "mset", "setex", "getex", "incr", "incrby", "decr", "expire", "exists", "hget", "hset",
    "hgetall", "hdel", "hincrby", "lpush", "rpush", "lpop", "rpop", "lrange", "sadd", "srem", "smembers", "zadd",
    "zrem", "zrange", "zrangebyscore", "publish", "eval", "evalsha",
})  # fmt: skip
REDIS_HOLDER = re.compile(r"^(\w+\.)*\w*redis\w*(\.(client|conn|connection|cache))?$", re.I)


def _dep_client(b: Binding | None) -> str | None:
    if b is None:
        return None
    if b in DEP_CLIENTS:
        return DEP_CLIENTS[b]
    return "aws" if b[0].startswith("@aws-sdk/client-") and b[1].endswith("Client") else None


def _js_fallback(js: JsFile, call: Node) -> bool:
    child = call
    for a in js.f.ancestors(call):
        if a.type in FUNCS:
            return False
        if a.type == "try_statement" and a.child_by_field_name("body") == child:
            catch = a.child_by_field_name("handler")
            body = catch.child_by_field_name("body") if catch is not None else None
            stmts = [s for s in body.named_children if s.type != "comment"] if body is not None else []
            acts = [s for s in stmts if s.type == "return_statement" or (
                s.type in {"expression_statement", "lexical_declaration", "variable_declaration"}
                and "(" in js.text(s) and not NOT_FALLBACK.search(js.text(s)))]  # fmt: skip
            return bool(acts) and stmts[-1].type != "throw_statement"
        child = a
    return False


DERIVED = frozenset({"producer", "consumer", "createChannel"})
Scope = tuple[int, int] | None
"""A function's byte span, or None for the module: where a client's name is bound."""


def _scopes(js: JsFile, node: Node) -> list[Scope]:
    """The functions around ``node``, innermost first, then the module."""
    return [*((a.start_byte, a.end_byte) for a in js.f.ancestors(node) if a.type in FUNCS), None]


def _clients(js: JsFile) -> dict[tuple[Scope, str], str]:
    """Names bound to a dependency client: ``const c = new Redis()`` in its function, ``client = ...`` module-wide."""
    instances: dict[tuple[Scope, str], str] = {}
    for call, b in calls(js):
        client = _dep_client(b)
        holder = next(
            (a for a in js.f.ancestors(call) if a.type in {"variable_declarator", "assignment_expression"}), None
        )
        fn = js.callee(call)
        if (
            client is None
            and holder is not None
            and fn is not None
            and fn.type == "member_expression"
            and js.last_name(fn) in DERIVED
        ):  # kafka.producer(), conn.createChannel(): the same client
            client = _lookup(js, instances, call, js.text(fn.child_by_field_name("object")))
        if client is not None and holder is not None:
            name = holder.child_by_field_name("name") or holder.child_by_field_name("left")
            scope = _scopes(js, holder)[0] if holder.type == "variable_declarator" else None
            instances[(scope, js.text(name))] = client
    return instances


def _lookup(js: JsFile, instances: dict[tuple[Scope, str], str], node: Node, name: str) -> str | None:
    return next((found for scope in _scopes(js, node) if (found := instances.get((scope, name)))), None)


def dependency_calls(js: JsFile) -> Iterator[DependencyCallSite]:
    instances = _clients(js)
    for call, _ in calls(js):
        fn = js.callee(call)
        if call.type != "call_expression" or fn is None or fn.type != "member_expression":
            continue
        owner, verb = js.text(fn.child_by_field_name("object")), js.text(fn.child_by_field_name("property"))
        client = _lookup(js, instances, call, owner) if verb not in DEP_SKIP and instances else None
        if client is None and verb in REDIS_COMMANDS and REDIS_HOLDER.search(owner):
            client = "redis"  # redis.client.get(...): a client another module made, named for what it is
        if client is not None:
            yield DependencyCallSite(client=client, callee=f"{owner}.{verb}", instance=owner,
                                     fallback=_js_fallback(js, call), **js.site(call, one_line=True))  # fmt: skip


@register_extractor("script")
def extract(f: ScriptFile) -> Iterator[Site]:
    """Every HTTP call, database client and dependency call in one JavaScript or TypeScript file."""
    js = js_file(f)
    for make in (http_calls, client_timeouts, db_clients, dependency_calls):
        yield from make(js)
