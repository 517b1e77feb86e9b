"""Reliability sites in JavaScript and TypeScript (the same site types as :mod:`assess.patterns.reliability`).

Names are resolved through ``import``/``require`` bindings, so ``retry`` is p-retry or cockatiel only
when it was imported from there. Library defaults taken into account: p-retry retries 10 times with
factor 2 and no randomisation; async-retry randomises by default; axios-retry waits 0 ms unless
``retryDelay`` is set (``exponentialDelay`` adds up to 20 % random delay); cockatiel's
``ExponentialBackoff`` uses decorrelated jitter unless given ``noJitterGenerator``; axios and fetch have
no timeout; express-rate-limit keeps its counters in memory unless given a ``store``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from tree_sitter import Node

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.reliability import (
    ATTEMPT_NAME,
    BOUND_NAME,
    CREATES,
    IDEMPOTENCY,
    LIMITER_NAME,
    WEBHOOK,
    Backoff,
    BreakerSite,
    BulkheadSite,
    DbClientSite,
    DependencyCallSite,
    HttpCallSite,
    PostHandlerSite,
    RateLimiterSite,
    RetrySite,
)
from assess.patterns.scripts import ScriptFile

FUNCS = {"function_declaration", "function_expression", "arrow_function", "method_definition", "function",
         "generator_function_declaration", "class_declaration", "class"}  # fmt: skip
LOOPS = {"for_statement", "for_in_statement", "while_statement", "do_statement"}
SLEEP = re.compile(r"sleep|delay|wait|backoff|pause|setTimeout", re.I)
Binding = tuple[str, str]


def walk(node: Node, into: Iterable[str] = ()) -> Iterator[Node]:
    """``node`` and its descendants, not entering nested functions or loops (unless in ``into``)."""
    skip = (FUNCS | LOOPS) - set(into)
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed([c for c in n.named_children if c.type not in skip]))


def everything(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.named_children))


class JsFile:
    """A script file with its import bindings and helpers over tree-sitter nodes."""

    def __init__(self, f: ScriptFile) -> None:
        self.f = f
        self.nodes = list(everything(f.tree.root_node))
        self.bindings: dict[str, Binding] = {}
        for n in self.nodes:
            if n.type == "import_statement":
                self._import(n)
            elif n.type == "variable_declarator" and (value := n.child_by_field_name("value")) is not None:
                self._require(n, value)

    def text(self, node: Node | None) -> str:
        return self.f.node_text(node) if node is not None else ""

    def _import(self, n: Node) -> None:
        source = n.child_by_field_name("source")
        module = self.text(source).strip("'\"`")
        clause = next((c for c in n.named_children if c.type == "import_clause"), None)
        for c in clause.named_children if clause else []:
            if c.type == "identifier":
                self.bindings[self.text(c)] = (module, "default")
            elif c.type == "namespace_import":
                self.bindings.update({self.text(i): (module, "*") for i in c.named_children if i.type == "identifier"})
            elif c.type == "named_imports":
                for spec in c.named_children:
                    name, alias = spec.child_by_field_name("name"), spec.child_by_field_name("alias")
                    self.bindings[self.text(alias or name)] = (module, self.text(name))

    def _require(self, n: Node, value: Node) -> None:
        while value.type in {"await_expression", "member_expression"} and value.named_children:
            value = value.named_children[0]
        fn = value.child_by_field_name("function") if value.type == "call_expression" else None
        if fn is None or self.text(fn) not in {"require", "import"}:
            return
        args = value.child_by_field_name("arguments")
        module = self.text(args.named_children[0]).strip("'\"`") if args and args.named_children else ""
        name = n.child_by_field_name("name")
        if name is not None and name.type == "identifier":
            self.bindings[self.text(name)] = (module, "default")
        elif name is not None and name.type == "object_pattern":
            for p in name.named_children:
                if p.type == "shorthand_property_identifier_pattern":
                    self.bindings[self.text(p)] = (module, self.text(p))
                elif p.type == "pair_pattern":
                    key, val = p.child_by_field_name("key"), p.child_by_field_name("value")
                    self.bindings[self.text(val)] = (module, self.text(key))

    def resolve(self, node: Node | None) -> Binding | None:
        """(module, exported name) for an imported identifier or ``ns.member``; None otherwise."""
        if node is None:
            return None
        if node.type == "identifier":
            return self.bindings.get(self.text(node))
        if node.type == "member_expression":
            obj = self.resolve(node.child_by_field_name("object"))
            if obj is not None and obj[1] in {"default", "*"}:
                return obj[0], self.text(node.child_by_field_name("property"))
        return None

    def callee(self, call: Node) -> Node | None:
        return call.child_by_field_name("function" if call.type == "call_expression" else "constructor")

    def args(self, call: Node) -> list[Node]:
        a = call.child_by_field_name("arguments")
        return [c for c in a.named_children if c.type != "comment"] if a is not None else []

    def last_name(self, node: Node | None) -> str:
        if node is not None and node.type == "member_expression":
            return self.text(node.child_by_field_name("property"))
        return self.text(node)

    def site(self, node: Node, *, one_line: bool = False) -> dict[str, object]:
        line, end = self.f.span(node)
        snippet = self.f.lines[line - 1].strip() if one_line and self.f.lines else self.f.snippet(node)
        return {
            "path": self.f.path, "line": line, "end_line": line if one_line else end, "language": self.f.language,
            "snippet": snippet, "function": self.f.enclosing_function(node),
        }  # fmt: skip


def keys(js: JsFile, node: Node | None) -> dict[str, Node] | None:
    """An object literal's keys and values (``None`` when it is not a literal or has a spread)."""
    if node is None or node.type != "object":
        return None
    out: dict[str, Node] = {}
    for c in node.named_children:
        if c.type == "pair" and (k := c.child_by_field_name("key")) is not None:
            out[js.text(k).strip("'\"")] = c.child_by_field_name("value") or c
        elif c.type in {"shorthand_property_identifier", "method_definition"}:
            out[js.text(c.child_by_field_name("name") or c)] = c
        elif c.type == "spread_element":
            return None
    return out


def calls(js: JsFile) -> Iterator[tuple[Node, Binding | None]]:
    for n in js.nodes:
        if n.type in {"call_expression", "new_expression"}:
            yield n, js.resolve(js.callee(n))


# --- retries ---------------------------------------------------------------------------------------


def _library_retry(js: JsFile, call: Node, b: Binding) -> RetrySite | None:
    args = js.args(call)
    opts = keys(js, args[1]) if len(args) > 1 else {}
    if opts is None:
        return None
    text = {k: js.text(v) for k, v in opts.items()}
    bounded: bool | None = text.get("retries", text.get("maxAttempts")) != "Infinity"
    backoff: Backoff
    if b == ("p-retry", "default") or b == ("async-retry", "default"):
        backoff = "fixed" if text.get("factor") == "1" else "exponential"
        jitter = text.get("randomize", "false" if b[0] == "p-retry" else "true") != "false"
    elif b[0] == "axios-retry":
        delay = text.get("retryDelay", "")
        backoff = "exponential" if "exponentialDelay" in delay else "linear" if "linearDelay" in delay else (
            "none" if not delay else "unknown")  # fmt: skip
        jitter = "exponentialDelay" in delay
    elif b == ("cockatiel", "retry"):
        bounded = True if "maxAttempts" in text else None
        spec = text.get("backoff", "")
        backoff = "exponential" if "ExponentialBackoff" in spec else "fixed" if "ConstantBackoff" in spec else "unknown"
        jitter = "noJitterGenerator" not in spec
    else:
        return None
    return RetrySite(mechanism=b[0], bounded=bounded, backoff=backoff, jitter=jitter, **js.site(call, one_line=True))


def _falls_through(js: JsFile, catch: Node) -> bool:
    body = catch.child_by_field_name("body")
    stmts = [c for c in body.named_children if c.type != "comment"] if body else []
    return not stmts or stmts[-1].type not in {"throw_statement", "return_statement", "break_statement"}


def _retry_try(js: JsFile, loop: Node) -> bool:
    body = loop.child_by_field_name("body")
    for t in walk(body) if body is not None else []:
        if t.type != "try_statement" or (handler := t.child_by_field_name("handler")) is None:
            continue
        inner = list(walk(t.child_by_field_name("body") or t))
        if any(n.type in {"return_statement", "break_statement"} for n in inner) and any(
                n.type == "call_expression" for n in inner) and _falls_through(js, handler):  # fmt: skip
            return True
    return False


def _updated(js: JsFile, loop: Node) -> set[str]:
    out = set()
    for n in walk(loop):
        if n.type == "update_expression":
            out.add(js.text(n.child_by_field_name("argument")))
        elif n.type == "augmented_assignment_expression":
            out.add(js.text(n.child_by_field_name("left")))
    return out


def _bounded(js: JsFile, loop: Node) -> bool | None:
    cond = loop.child_by_field_name("condition")
    varying = _updated(js, loop)

    def bounds(n: Node) -> bool:
        names = {js.text(i) for i in walk(n) if i.type in {"identifier", "member_expression"}}
        return bool(names & varying) or any(BOUND_NAME.search(x) for x in names) or "now()" in js.text(n)

    forever = cond is None or js.text(cond).strip("(); ") in {"", "true", "1"}
    if loop.type == "for_in_statement":
        return True
    if not forever and cond is not None:
        return True if bounds(cond) else None
    for n in walk(loop.child_by_field_name("body") or loop):
        cons = n.child_by_field_name("consequence") if n.type == "if_statement" else None
        exits = cons is not None and any(x.type in {"throw_statement", "return_statement", "break_statement"}
                                         for x in walk(cons))  # fmt: skip
        test = n.child_by_field_name("condition")
        if exits and test is not None and bounds(test):
            return True
    return False


def _sleep_arg(js: JsFile, loop: Node) -> tuple[Node, Node | None] | None:
    """(the awaited sleep, its delay argument) in ``loop``."""
    for n in walk(loop.child_by_field_name("body") or loop):
        if n.type != "await_expression" or not n.named_children:
            continue
        inner = n.named_children[0]
        if inner.type == "new_expression" and "setTimeout" in js.text(inner):
            timer = next((c for c in everything(inner) if c.type == "call_expression"
                          and js.text(js.callee(c)) == "setTimeout"), None)  # fmt: skip
            args = js.args(timer) if timer is not None else []
            return n, args[1] if len(args) > 1 else None
        if inner.type == "call_expression" and SLEEP.search(js.last_name(js.callee(inner))):
            args = js.args(inner)
            return n, args[0] if args else None
    return None


def _declared(js: JsFile, loop: Node) -> dict[str, list[Node]]:
    out: dict[str, list[Node]] = {}
    for n in walk(loop):
        if n.type == "variable_declarator" and n.child_by_field_name("value") is not None:
            out.setdefault(js.text(n.child_by_field_name("name")), []).append(n)
        elif n.type in {"assignment_expression", "augmented_assignment_expression"}:
            out.setdefault(js.text(n.child_by_field_name("left")), []).append(n)
    return out


def _loop_delay(js: JsFile, loop: Node) -> tuple[Backoff, bool | None, Node | None]:
    found = _sleep_arg(js, loop)
    if found is None:
        return "none", False, None
    sleep, arg = found
    if arg is None or js.text(arg) in {"0", "undefined"}:
        return "none", False, sleep
    if arg.type == "number":
        return "fixed", False, sleep
    declared = _declared(js, loop)
    varying = set(declared) | _updated(js, loop)
    names = {js.text(i) for i in everything(arg) if i.type in {"identifier", "member_expression"}}
    assigns = [d for name in names for d in declared.get(name, [])]
    for d in list(assigns):
        value = d.child_by_field_name("value") or d.child_by_field_name("right")
        more = {js.text(i) for i in everything(value) if i.type == "identifier"} if value else set()
        assigns += [x for m in more for x in declared.get(m, []) if x not in assigns]
    text = " ".join([js.text(arg), *(js.text(a) for a in assigns)])
    jitter = "random" in text.lower()
    where = max((a for a in assigns if a.start_point[0] <= sleep.start_point[0]), key=lambda a: a.start_point[0],
                default=sleep)  # fmt: skip
    return _growth(js, text, names, assigns, varying), jitter, where


def _growth(js: JsFile, text: str, names: set[str], assigns: list[Node], varying: set[str]) -> Backoff:
    """How a delay computed by ``text`` (the sleep argument and its assignments in the loop) grows."""
    if any(op in text for op in ("**", "Math.pow", "<<", "*=")):
        return "exponential"
    for a in assigns:  # delay = delay * 2, delay = Math.min(delay * 2, cap)
        left = js.text(a.child_by_field_name("left")) if a.type == "assignment_expression" else ""
        if left and re.search(rf"\b{re.escape(left)}\s*\*", js.text(a.child_by_field_name("right"))):
            return "exponential"
    words = names | {m for a in assigns for m in re.findall(r"\w+", js.text(a))}
    if "*" in text and words & varying:
        return "linear"
    return "unknown" if names & varying else "fixed"


def _loop_retry(js: JsFile, loop: Node) -> RetrySite | None:
    if not _retry_try(js, loop):
        return None
    if loop.type == "for_in_statement" and not ATTEMPT_NAME.search(js.text(loop.child_by_field_name("left"))):
        return None
    backoff, jitter, where = _loop_delay(js, loop)
    delay_line = js.f.span(where)[0] if where is not None else None
    return RetrySite(mechanism="loop", bounded=_bounded(js, loop), backoff=backoff, jitter=jitter,
                     delay_line=delay_line, delay_snippet=js.f.lines[delay_line - 1].strip() if delay_line else "",
                     **js.site(loop, one_line=True))  # fmt: skip


def retries(js: JsFile) -> Iterator[RetrySite]:
    for call, b in calls(js):
        if b is not None and (site := _library_retry(js, call, b)):
            yield site
    for n in js.nodes:
        if n.type in LOOPS and (site := _loop_retry(js, n)):
            yield site


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


# --- rate limiters, POST handlers, dependency clients ----------------------------------------------

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
            if args and args[0].type in {"string", "template_string"}:
                route = js.text(args[0]).strip("'\"`")
                if site := _post(js, n, f"POST {route}", route, args[1:]):
                    yield site
        elif _next_post(js, n) and (site := _post(js, n, "POST", None, [n.child_by_field_name("body") or n])):
            yield site


def _next_post(js: JsFile, n: Node) -> bool:
    """``export async function POST(request)``: a Next.js route handler."""
    exported = n.parent is not None and n.parent.type == "export_statement"
    return n.type == "function_declaration" and exported and js.text(n.child_by_field_name("name")) == "POST"


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
    """Every reliability site in one JavaScript or TypeScript file."""
    js = JsFile(f)
    for make in (retries, breakers_and_bulkheads, http_calls, db_clients, rate_limiters, post_handlers,
                 dependency_calls):  # fmt: skip
        yield from make(js)
