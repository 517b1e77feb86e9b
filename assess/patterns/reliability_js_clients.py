"""Reliability sites in JavaScript and TypeScript outbound calls: HTTP and database timeouts, dependency clients.

axios and fetch have no timeout by default (an axios instance from ``axios.create`` or a file that sets
``defaults.timeout`` counts as configured elsewhere); pg, mongoose and the MongoDB driver need their
timeout options or URI parameters. Dependency clients are ioredis/redis, kafkajs, amqplib and the AWS SDK
v3; a fallback is a ``catch`` that returns or calls something other than logging or sleeping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.reliability import DbClientSite, DependencyCallSite, HttpCallSite
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
    return HttpCallSite(client="axios", callee=js.text(js.callee(call)), timeout=state, **js.site(call, one_line=True))


def http_calls(js: JsFile) -> Iterator[HttpCallSite]:
    defaults = "defaults.timeout" in js.f.text
    instances: set[str] = set()
    for call, b in calls(js):
        fn = js.callee(call)
        if call.type == "call_expression" and fn is not None and js.text(fn) == "fetch" and (
                b is None or b[0] in {"node-fetch", "cross-fetch", "undici"}):  # fmt: skip
            args = js.args(call)
            state = _options_state(js, args[1] if len(args) > 1 else None, ("signal", "timeout"))
            yield HttpCallSite(client="fetch", callee="fetch", timeout=state, **js.site(call, one_line=True))
        elif b is not None and b[0] == "axios" and (site := _axios(js, call, b, defaults)):
            if b[1] == "create" and call.parent is not None and call.parent.type == "variable_declarator":
                instances.add(js.text(call.parent.child_by_field_name("name")))
            yield site
        elif (
            fn is not None and fn.type == "member_expression" and js.text(fn.child_by_field_name("object")) in instances
        ):
            yield HttpCallSite(client="axios", callee=js.text(fn), timeout="default", **js.site(call, one_line=True))


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
    "duplicate", "multi", "pipeline",
}  # fmt: skip


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


def dependency_calls(js: JsFile) -> Iterator[DependencyCallSite]:
    instances: dict[str, str] = {}
    for call, b in calls(js):
        client = _dep_client(b)
        holder = next(
            (a for a in js.f.ancestors(call) if a.type in {"variable_declarator", "assignment_expression"}), None
        )
        if client is None and holder is not None:  # kafka.producer(), conn.createChannel(): the same client
            fn = js.callee(call)
            owner = (
                js.text(fn.child_by_field_name("object")) if fn is not None and fn.type == "member_expression" else ""
            )
            client = instances.get(owner) if js.last_name(fn) in {"producer", "consumer", "createChannel"} else None
        if client is not None and holder is not None:
            name = holder.child_by_field_name("name") or holder.child_by_field_name("left")
            instances[js.text(name)] = client
    for call, _ in calls(js):
        fn = js.callee(call)
        if call.type != "call_expression" or fn is None or fn.type != "member_expression":
            continue
        owner, verb = js.text(fn.child_by_field_name("object")), js.text(fn.child_by_field_name("property"))
        if owner in instances and verb not in DEP_SKIP:
            yield DependencyCallSite(client=instances[owner], callee=f"{owner}.{verb}", instance=owner,
                                     fallback=_js_fallback(js, call), **js.site(call, one_line=True))  # fmt: skip


@register_extractor("script")
def extract(f: ScriptFile) -> Iterator[Site]:
    """Every HTTP call, database client and dependency call in one JavaScript or TypeScript file."""
    js = js_file(f)
    for make in (http_calls, db_clients, dependency_calls):
        yield from make(js)
