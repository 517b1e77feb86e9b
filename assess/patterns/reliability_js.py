"""Reliability sites in JavaScript and TypeScript (the same site types as :mod:`assess.patterns.reliability`).

This module reads a file's import bindings (:class:`JsFile`) and finds retries; outbound calls are in
:mod:`assess.patterns.reliability_js_clients`, breakers, bulkheads, rate limiters and POST handlers in
:mod:`assess.patterns.reliability_js_guards`. Names are resolved through ``import``/``require`` bindings,
so ``retry`` is p-retry or cockatiel only when it was imported from there. Library defaults taken into
account: p-retry retries 10 times with factor 2 and no randomisation; async-retry randomises by default;
axios-retry waits 0 ms unless ``retryDelay`` is set (``exponentialDelay`` adds up to 20 % random delay);
cockatiel's ``ExponentialBackoff`` uses decorrelated jitter unless given ``noJitterGenerator``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from tree_sitter import Node

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.reliability import ATTEMPT_NAME, BOUND_NAME, Backoff, BackoffSite, RetrySite
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


_LAST: dict[str, JsFile] = {}


def js_file(f: ScriptFile) -> JsFile:
    """The :class:`JsFile` for ``f``, built once: the three reliability extractors read each file in turn."""
    last = _LAST.get("file")
    if last is None or last.f is not f:
        last = JsFile(f)
        _LAST["file"] = last
    return last


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


def _loop_delay(js: JsFile, loop: Node) -> tuple[Backoff, bool | None, Node | None, float | None, bool]:
    """(backoff, jitter, where the wait is computed, a fixed wait in seconds, whether a growing wait is capped)."""
    found = _sleep_arg(js, loop)
    if found is None:
        return "none", False, None, None, False
    sleep, arg = found
    if arg is None or js.text(arg) in {"0", "undefined"}:
        return "none", False, sleep, 0.0, False
    if arg.type == "number":
        return "fixed", False, sleep, _milliseconds(js.text(arg)), False
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
    return _growth(js, text, names, assigns, varying), jitter, where, None, "Math.min" in text


def _milliseconds(text: str) -> float | None:
    try:
        return float(text.replace("_", "")) / 1000
    except ValueError:
        return None


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


HELPERS = re.compile(r"^(__\w+|_?asyncToGenerator|_?regeneratorRuntime)$")
"""Helpers a compiler emits (TypeScript's ``__generator``/``__awaiter``, Babel's ``asyncToGenerator``): their
loops run a state machine, not a retry."""
COLLECTION = re.compile(r"\.(length|size)\b")


def _in_helper(js: JsFile, loop: Node) -> bool:
    for a in js.f.ancestors(loop):
        name = a.child_by_field_name("name") if a.type in {"variable_declarator", "function_declaration"} else None
        if name is not None and HELPERS.match(js.text(name)):
            return True
    return False


def _over_collection(js: JsFile, loop: Node) -> bool:
    """``for (let i = 0; i < nodes.length; i++)``: trying each of a list in turn is failover, not a retry."""
    if loop.type == "for_in_statement":
        return not ATTEMPT_NAME.search(js.text(loop.child_by_field_name("left")))
    cond = js.text(loop.child_by_field_name("condition")) if loop.type == "for_statement" else ""
    return bool(COLLECTION.search(cond)) and not ATTEMPT_NAME.search(cond)


def _loop_retry(js: JsFile, loop: Node) -> RetrySite | None:
    if not _retry_try(js, loop) or _over_collection(js, loop) or _in_helper(js, loop):
        return None
    backoff, jitter, where, seconds, capped = _loop_delay(js, loop)
    delay_line = js.f.span(where)[0] if where is not None else None
    return RetrySite(mechanism="loop", bounded=_bounded(js, loop), backoff=backoff, jitter=jitter,
                     delay_line=delay_line, delay_snippet=js.f.lines[delay_line - 1].strip() if delay_line else "",
                     delay_s=seconds, capped=capped, **js.site(loop, one_line=True))  # fmt: skip


# --- backoff functions -----------------------------------------------------------------------------

ATTEMPT_ARG = re.compile(r"attempt|retr|tries|failures", re.I)
FUNCTIONS = {"function_declaration", "function_expression", "arrow_function", "method_definition", "function"}
EXPONENTIAL = re.compile(r"\*\*|Math\.pow\(|<<")


def _fn_name(js: JsFile, fn: Node) -> str:
    name = fn.child_by_field_name("name")
    holder = fn.parent
    if name is None and holder is not None and holder.type in {"variable_declarator", "pair"}:
        name = holder.child_by_field_name("name") or holder.child_by_field_name("key")
    if name is None and holder is not None and holder.type == "return_statement":
        outer = next((a for a in js.f.ancestors(holder) if a.type in FUNCTIONS), None)
        return _fn_name(js, outer) if outer is not None else "function"
    return js.text(name).strip("'\"") if name is not None else "function"


def backoff_functions(js: JsFile) -> Iterator[BackoffSite]:
    """Functions of the attempt number whose result grows exponentially with it."""
    for fn in (n for n in js.nodes if n.type in FUNCTIONS):
        params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
        args = {js.text(i) for i in everything(params) if i.type == "identifier"} if params is not None else set()
        attempt = next((a for a in args if ATTEMPT_ARG.search(a)), None)
        body = fn.child_by_field_name("body")
        if attempt is None or body is None:
            continue
        uses = re.compile(rf"\b{re.escape(attempt)}\b")
        if any(n.type in {"binary_expression", "call_expression"} and EXPONENTIAL.search(js.text(n))
               and uses.search(js.text(n)) for n in walk(body, into=LOOPS)):  # fmt: skip
            jitter = "Math.random" in js.text(body)
            yield BackoffSite(name=_fn_name(js, fn), backoff="exponential", jitter=jitter, **js.site(fn, one_line=True))


def retries(js: JsFile) -> Iterator[RetrySite | BackoffSite]:
    for call, b in calls(js):
        if b is not None and (site := _library_retry(js, call, b)):
            yield site
    for n in js.nodes:
        if n.type in LOOPS and (site := _loop_retry(js, n)):
            yield site
    yield from backoff_functions(js)


@register_extractor("script")
def extract(f: ScriptFile) -> Iterator[Site]:
    """Every retry site in one JavaScript or TypeScript file."""
    yield from retries(js_file(f))
