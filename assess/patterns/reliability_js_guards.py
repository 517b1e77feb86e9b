"""Reliability sites in JavaScript and TypeScript that guard the service: breakers, bulkheads, limiters, POSTs.

Circuit breakers are opossum, cockatiel's ``circuitBreaker`` or a class with a failure counter and
open/closed/half-open states; bulkheads are p-limit, cockatiel's ``bulkhead``, bottleneck and p-queue with
a concurrency limit. Rate limiters are express-rate-limit (in memory unless given a ``store``),
rate-limiter-flexible and limiter classes or functions that keep a ``Map`` and read the clock; POST handlers
are Express ``.post(route, ...)`` calls and Next.js ``POST`` route handlers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.reliability import BreakerSite, BulkheadSite, PostHandlerSite, RateLimiterSite
from assess.patterns.reliability_guards import CREATES, IDEMPOTENCY, LIMITER_NAME, WEBHOOK
from assess.patterns.reliability_js import FUNCS, Binding, JsFile, calls, everything, js_file, keys
from assess.patterns.scripts import ScriptFile

# --- circuit breakers, bulkheads -------------------------------------------------------------------


def _hand_written_breaker(js: JsFile, cls: Node) -> bool:
    text = js.text(cls)
    states = {s.lower().replace("-", "_") for s in re.findall(r"\b(HALF[-_]?OPEN|OPEN|CLOSED)\b", text, re.I)}
    counter = re.search(r"\w*fail\w*\s*(\+\+|\+=)", text, re.I)
    named = re.search(r"circuit|breaker", js.text(cls.child_by_field_name("name")), re.I)
    return bool(counter) and ((bool(named) and len(states) >= 2) or len(states) == 3)


def _chain_root(js: JsFile, call: Node) -> Binding | None:
    node: Node | None = call
    while node is not None and node.type in {"call_expression", "member_expression"}:
        node = node.child_by_field_name("function") or node.child_by_field_name("object")
    return js.resolve(node)


def breakers_and_bulkheads(js: JsFile) -> Iterator[Site]:
    for call, b in calls(js):
        prop = js.last_name(js.callee(call))
        root = _chain_root(js, call) if b is None else b
        args = js.args(call)
        if (b == ("opossum", "default") and call.type == "new_expression") or (
                root and root[0] == "cockatiel" and prop == "circuitBreaker"):  # fmt: skip
            yield BreakerSite(mechanism=(b or root or ("",))[0], **js.site(call, one_line=True))
        elif (b == ("p-limit", "default") or (root and root[0] == "cockatiel" and prop == "bulkhead")) and args:
            yield BulkheadSite(
                mechanism=(b or root or ("",))[0], limit=js.text(args[0]), **js.site(call, one_line=True)
            )
        elif b in {("bottleneck", "default"), ("p-queue", "default")} and args:
            opts = keys(js, args[0]) or {}
            limit = opts.get("maxConcurrent") or opts.get("concurrency")
            if limit is not None:
                yield BulkheadSite(mechanism=b[0], limit=js.text(limit), **js.site(call, one_line=True))
    for n in js.nodes:
        if n.type in {"class_declaration", "class"} and n.child_by_field_name("name") and _hand_written_breaker(js, n):
            yield BreakerSite(mechanism="hand-written", **js.site(n, one_line=True))


# --- rate limiters, POST handlers ------------------------------------------------------------------

MAPS = re.compile(r"^new (Map|WeakMap)\b|^\{\s*\}$|^Object\.create\(null\)$")


def _memory_state(js: JsFile, scope: Node) -> Node | None:
    """The first ``new Map()``/``{}`` held by a class (field or ``this.x = ...``) in ``scope``."""
    for n in everything(scope):
        value = None
        if n.type in {"public_field_definition", "field_definition"}:
            value = n.child_by_field_name("value")
        elif n.type == "assignment_expression" and js.text(n.child_by_field_name("left")).startswith("this."):
            value = n.child_by_field_name("right")
        if value is not None and MAPS.match(js.text(value)):
            return n
    return None


def rate_limiters(js: JsFile) -> Iterator[RateLimiterSite]:
    clock = re.compile(r"Date\.now\(\)|performance\.now\(\)|new Date\(\)|getTime\(\)")
    for call, b in calls(js):
        args = js.args(call)
        if b in {("express-rate-limit", "default"), ("express-rate-limit", "rateLimit")}:
            opts = keys(js, args[0]) if args else {}
            store = "shared" if opts is None or "store" in opts else "memory"
            yield RateLimiterSite(name="express-rate-limit", store=store, **js.site(call, one_line=True))
        elif b is not None and b[0] == "rate-limiter-flexible" and b[1].startswith("RateLimiter"):
            store = "memory" if b[1] == "RateLimiterMemory" else "shared"
            yield RateLimiterSite(name=b[1], store=store, **js.site(call, one_line=True))
    for n in js.nodes:
        if n.type in {"class_declaration", "class"} and LIMITER_NAME.search(js.text(n.child_by_field_name("name"))):
            text = js.text(n)
            if clock.search(text) and "redis" not in text.lower() and (state := _memory_state(js, n)):
                yield RateLimiterSite(name=js.text(n.child_by_field_name("name")), store="memory",
                                      **js.site(state, one_line=True))  # fmt: skip
    if "redis" in js.f.text.lower():
        return
    top = [d for s in js.f.tree.root_node.named_children if s.type == "lexical_declaration" for d in s.named_children
           if d.type == "variable_declarator" and MAPS.match(js.text(d.child_by_field_name("value")))]  # fmt: skip
    funcs = [n for n in js.nodes if n.type in FUNCS - {"class_declaration", "class"}
             and LIMITER_NAME.search(_fn_name(js, n)) and clock.search(js.text(n))]  # fmt: skip
    for d in top:
        name = js.text(d.child_by_field_name("name"))
        if any(re.search(rf"\b{re.escape(name)}\b", js.text(fn)) for fn in funcs):
            yield RateLimiterSite(name=name, store="memory", **js.site(d, one_line=True))


def _fn_name(js: JsFile, n: Node) -> str:
    name = n.child_by_field_name("name")
    if name is None and n.parent is not None and n.parent.type == "variable_declarator":
        name = n.parent.child_by_field_name("name")
    return js.text(name)


def _key_use(js: JsFile, scope: Node, s: Node) -> str:
    for a in js.f.ancestors(s):
        if a.type == "variable_declarator":
            name = js.text(a.child_by_field_name("name"))
            uses = [i for i in everything(scope) if i.type in {"identifier", "shorthand_property_identifier"}
                    and js.text(i) == name and i.start_byte > a.end_byte]  # fmt: skip
            return "used" if uses else "ignored"
        if a.type in {"expression_statement"}:
            return "ignored" if a.named_children and a.named_children[0].type != "call_expression" else "used"
        if a.type in {"if_statement", "arguments", "return_statement", "pair"}:
            return "used"
    return "used"


def _post(js: JsFile, anchor: Node, handler: str, route: str | None, parts: list[Node]) -> PostHandlerSite | None:
    state, where = "absent", None
    for p in parts:
        if p.type in {"identifier", "call_expression"} and "idempot" in js.text(p).lower():
            state, where = "used", p
            break
        strings = [
            s for s in everything(p) if s.type in {"string", "template_string"} and IDEMPOTENCY.search(js.text(s))
        ]
        if strings:
            state, where = _key_use(js, p, strings[0]), strings[0]
            break
    creates = [c for p in parts for c in everything(p) if c.type == "call_expression" and (
        CREATES.match(js.last_name(js.callee(c))) or re.search(r"\.status\(\s*201\s*\)", js.text(c)))]  # fmt: skip
    webhook = bool(WEBHOOK.search(route or "") or WEBHOOK.search(handler))
    if state == "absent" and not creates and not webhook:
        return None
    at = where if state == "used" and where is not None else creates[0] if creates else anchor
    return PostHandlerSite(framework="express" if route is not None else "next", handler=handler, route=route,
                           creates=bool(creates), webhook=webhook, idempotency=state,
                           **js.site(at, one_line=True))  # fmt: skip


def post_handlers(js: JsFile) -> Iterator[PostHandlerSite]:
    for n in js.nodes:
        fn = n.child_by_field_name("function") if n.type == "call_expression" else None
        if fn is not None and fn.type == "member_expression" and js.text(fn.child_by_field_name("property")) == "post":
            args = js.args(n)
            route = js.text(args[0]).strip("'\"`") if args and args[0].type in {"string", "template_string"} else ""
            # a route starts with "/": ``axios.post("https://...")`` is a request, not a handler
            if route.startswith(("/", "*")) and (site := _post(js, n, f"POST {route}", route, args[1:])):
                yield site
        elif _next_post(js, n) and (site := _post(js, n, "POST", None, [n.child_by_field_name("body") or n])):
            yield site


def _next_post(js: JsFile, n: Node) -> bool:
    """``export async function POST(request)``: a Next.js route handler."""
    if n.type != "function_declaration":  # first: ``n.parent`` costs a walk down from the root
        return False
    exported = n.parent is not None and n.parent.type == "export_statement"
    return exported and js.text(n.child_by_field_name("name")) == "POST"


@register_extractor("script")
def extract(f: ScriptFile) -> Iterator[Site]:
    """Every breaker, bulkhead, rate limiter and POST handler in one JavaScript or TypeScript file."""
    js = js_file(f)
    for make in (breakers_and_bulkheads, rate_limiters, post_handlers):
        yield from make(js)
