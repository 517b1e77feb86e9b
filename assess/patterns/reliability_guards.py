"""Reliability sites in Python that guard the service: circuit breakers, bulkheads, rate limiters, POST handlers.

- circuit breakers: pybreaker, aiobreaker, circuitbreaker, purgatory; a class with a failure counter
  (``+=``) and closed/open/half-open states, or named like a breaker with two of those states.
- bulkheads: semaphores above 1, ``ThreadPoolExecutor(max_workers=n)``, queues with ``maxsize > 0``.
- rate limiters: a class named like a rate limiter (ratelimit, throttle, limiter) that keeps a dict
  in ``self`` and reads the clock, or a module-level dict used by such a function, and never
  mentions redis; Flask-Limiter/slowapi ``Limiter`` without ``storage_uri`` (memory by default).
- POST handlers: Flask/FastAPI route decorators with POST, DRF ``api_view``, Django ``post`` methods
  and ``http.server`` handlers (``do_POST`` and branches testing ``== "POST"``). The site is where the
  Idempotency-Key is read when it is used, else the first creating call (``create*``, ``insert*`` ...).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from typing import Literal

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.pyast import PythonFile, has_star_kwargs, keyword
from assess.patterns.reliability import (
    CLOCK,
    BreakerSite,
    BulkheadSite,
    PostHandlerSite,
    RateLimiterSite,
    is_none,
    names_read,
    site_kw,
)

# --- circuit breakers ------------------------------------------------------------------------------

BREAKERS = {
    "pybreaker.CircuitBreaker": "pybreaker", "aiobreaker.CircuitBreaker": "aiobreaker",
    "circuitbreaker.CircuitBreaker": "circuitbreaker", "circuitbreaker.circuit": "circuitbreaker",
    "purgatory.AsyncCircuitBreakerFactory": "purgatory", "purgatory.SyncCircuitBreakerFactory": "purgatory",
}  # fmt: skip
STATES = re.compile(r"^(closed|open|half[-_ ]?open)$", re.I)
FAILURES = re.compile(r"fail|error", re.I)


def _hand_written_breaker(f: PythonFile, cls: ast.ClassDef) -> bool:
    if not any(FAILURES.search(ast.unparse(n.target)) for n in f.within(cls, ast.AugAssign)):
        return False  # no failure counter: the states need not be read
    words = {n.value for n in f.within(cls, ast.Constant) if isinstance(n.value, str)}
    words |= {n.attr for n in f.within(cls, ast.Attribute)}
    states = {w.lower().replace("-", "_").replace(" ", "_") for w in words if STATES.match(w)}
    named = bool(re.search(r"circuit|breaker", cls.name, re.I))
    return (named and len(states) >= 2) or ({"closed", "open"} <= states and len(states) == 3)


def breakers(f: PythonFile) -> Iterator[BreakerSite]:
    for call, name in f.calls():
        if name in BREAKERS:
            yield BreakerSite(mechanism=BREAKERS[name], **site_kw(f, call))
    for node in f.of_type(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for deco in node.decorator_list:
                if not isinstance(deco, ast.Call) and f.dotted(deco) in BREAKERS:
                    yield BreakerSite(mechanism=BREAKERS[f.dotted(deco)], **site_kw(f, deco))
        elif isinstance(node, ast.ClassDef):
            bases = {f.dotted(b) for b in node.bases}
            if bases & set(BREAKERS) or _hand_written_breaker(f, node):
                line = node.lineno
                yield BreakerSite(mechanism="hand-written" if not bases & set(BREAKERS) else "circuitbreaker",
                                  path=f.path, line=line, end_line=line, language="Python",
                                  snippet=f.lines[line - 1].strip(), function=f.qualname(node))  # fmt: skip


# --- bulkheads -------------------------------------------------------------------------------------

SEMAPHORES = {"threading.BoundedSemaphore", "threading.Semaphore", "asyncio.Semaphore", "asyncio.BoundedSemaphore",
              "anyio.Semaphore", "anyio.CapacityLimiter", "trio.Semaphore", "trio.CapacityLimiter"}  # fmt: skip
POOLS = {"concurrent.futures.ThreadPoolExecutor", "concurrent.futures.thread.ThreadPoolExecutor"}
QUEUES = {"queue.Queue", "queue.LifoQueue", "queue.PriorityQueue", "asyncio.Queue", "asyncio.LifoQueue",
          "asyncio.PriorityQueue", "multiprocessing.Queue"}  # fmt: skip


def _limit(call: ast.Call, names: tuple[str, ...], minimum: int) -> ast.expr | None:
    value = call.args[0] if call.args else next((v for n in names if (v := keyword(call, n)) is not None), None)
    if value is None or is_none(value):
        return None
    if isinstance(value, ast.Constant) and (not isinstance(value.value, int | float) or value.value < minimum):
        return None  # Semaphore(1) is a lock; Queue(0) is unbounded
    return value


def bulkheads(f: PythonFile) -> Iterator[BulkheadSite]:
    for call, name in f.calls():
        if name in SEMAPHORES:
            limit = _limit(call, ("value", "initial_value", "total_tokens"), 2)
        elif name in POOLS:
            limit = _limit(call, ("max_workers",), 1)
        elif name in QUEUES:
            limit = _limit(call, ("maxsize",), 1)
        else:
            continue
        if limit is not None:
            yield BulkheadSite(mechanism=name, limit=ast.unparse(limit), **site_kw(f, call))


# --- in-process rate limiters ----------------------------------------------------------------------

LIMITER_NAME = re.compile(r"rate_?limit|throttl|limiter", re.I)
DICTS = {"dict", "collections.defaultdict", "collections.OrderedDict", "collections.Counter", "cachetools.TTLCache"}
LIMITER_LIBS = {"flask_limiter.Limiter", "flask_limiter.extension.Limiter", "slowapi.Limiter"}


def _is_dict(f: PythonFile, value: ast.AST | None) -> bool:
    return isinstance(value, ast.Dict | ast.DictComp) or (isinstance(value, ast.Call) and f.call_name(value) in DICTS)


def _reads_clock(f: PythonFile, node: ast.AST) -> bool:
    return any(CLOCK.search(name) for _, name in f.calls(node))


def _mentions_redis(node: ast.AST) -> bool:
    return any("redis" in n.lower() for n in names_read(node))


def _dict_assigns(f: PythonFile, nodes: Iterable[ast.AST]) -> Iterator[tuple[str, ast.stmt]]:
    for node in nodes:
        if isinstance(node, ast.Assign) and _is_dict(f, node.value):
            yield from ((ast.unparse(t), node) for t in node.targets)
        elif isinstance(node, ast.AnnAssign) and _is_dict(f, node.value):
            yield ast.unparse(node.target), node


def _rl_site(f: PythonFile, node: ast.AST, name: str, store: str) -> RateLimiterSite:
    line = getattr(node, "lineno", 1)
    return RateLimiterSite(name=name, store=store, path=f.path, line=line, end_line=line, language="Python",
                           snippet=f.lines[line - 1].strip(), function=f.qualname(node))  # fmt: skip


def rate_limiters(f: PythonFile) -> Iterator[RateLimiterSite]:
    uses_redis = any(m.startswith("redis") for m in f.imports)
    for node in f.of_type(ast.ClassDef, ast.Call):
        if isinstance(node, ast.ClassDef) and LIMITER_NAME.search(node.name) and _reads_clock(f, node):
            state = [(t, a) for t, a in _dict_assigns(f, f.walk(node)) if t.startswith("self.")]
            if state and not _mentions_redis(node):
                yield _rl_site(f, state[0][1], node.name, "memory")
        elif isinstance(node, ast.Call) and f.call_name(node) in LIMITER_LIBS:
            uri = keyword(node, "storage_uri")
            memory = (uri is None and not has_star_kwargs(node)) or (
                isinstance(uri, ast.Constant) and str(uri.value).startswith("memory")
            )
            yield _rl_site(f, node, f.call_name(node), "memory" if memory else "shared")
    if uses_redis:
        return
    funcs = [n for n in f.tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    limiters = [fn for fn in funcs if LIMITER_NAME.search(fn.name) and _reads_clock(f, fn)]
    for target, assign in _dict_assigns(f, f.tree.body):
        users = [fn for fn in limiters if target in names_read(fn)]
        if users:
            yield _rl_site(f, assign, users[0].name, "memory")


# --- POST handlers and idempotency keys ------------------------------------------------------------

IDEMPOTENCY = re.compile(r"idempoten(t|cy)[-_ ]?key", re.I)
CREATES = re.compile(r"^(create|insert|add|save|register|submit|enqueue|charge|place|book|bulk_create)", re.I)
WEBHOOK = re.compile(r"hook", re.I)
POST_DECOS = {"post"}


def _route(f: PythonFile, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, str | None] | None:
    """(framework, path) when ``fn`` handles POST requests, else None."""
    for deco in fn.decorator_list:
        call = deco if isinstance(deco, ast.Call) else None
        name = f.dotted(call.func if call else deco)
        last = name.rsplit(".", 1)[-1]
        path = call.args[0].value if call and call.args and isinstance(call.args[0], ast.Constant) else None
        methods = keyword(call, "methods") if call else None
        if last == "post" and call is not None:
            return "route", str(path) if path is not None else None
        if last in {"route", "api_route"} and methods is not None and "POST" in _strings_of(methods):
            return "route", str(path) if path is not None else None
        if last in {"require_POST", "api_view", "require_http_methods"} and (last == "require_POST" or (
                call is not None and "POST" in _strings_of(call))):  # fmt: skip
            return "django", None
    return None


def _strings_of(node: ast.AST) -> set[str]:
    return {n.value.upper() for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _idempotency(f: PythonFile, scope: ast.AST) -> tuple[str, ast.AST | None]:
    """("used"|"ignored"|"absent", where the key is read) within ``scope``."""
    for node in f.within(scope, ast.FunctionDef, ast.AsyncFunctionDef):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for deco in node.decorator_list:
                if "idempot" in ast.unparse(deco).lower():
                    return "used", deco
            for arg in node.args.args + node.args.kwonlyargs:
                if "idempot" in arg.arg.lower():
                    used = any(n.id == arg.arg for n in f.within(node, ast.Name))
                    return ("used" if used else "ignored"), arg
    for const in f.within(scope, ast.Constant):
        if isinstance(const.value, str) and IDEMPOTENCY.search(const.value):
            return _key_use(f, scope, const), const
    return "absent", None


def _key_use(f: PythonFile, scope: ast.AST, const: ast.AST) -> Literal["used", "ignored"]:
    for a in f.ancestors(const):
        if isinstance(a, ast.Assign) and all(isinstance(t, ast.Name) for t in a.targets):
            names = {t.id for t in a.targets if isinstance(t, ast.Name)}
            reads = [n for n in f.within(scope, ast.Name) if n.id in names and n.lineno > a.lineno]
            return "used" if reads else "ignored"
        if isinstance(a, ast.If | ast.Compare | ast.Return | ast.keyword):
            return "used"
        if isinstance(a, ast.stmt):
            return "ignored" if isinstance(a, ast.Expr) else "used"
    return "used"


def _creating_call(f: PythonFile, nodes: Iterable[ast.AST]) -> ast.Call | None:
    calls = [n for n in nodes if isinstance(n, ast.Call) and CREATES.match(f.call_name(n).rsplit(".", 1)[-1])]
    return min(calls, key=lambda c: (c.lineno, c.col_offset), default=None)


def _post_branches(f: PythonFile, cls: ast.ClassDef) -> Iterator[ast.AST]:
    """Nodes of ``do_POST`` and of ``if ... == "POST"`` branches anywhere in ``cls``."""
    for node in f.within(cls, ast.FunctionDef, ast.If):
        if isinstance(node, ast.FunctionDef) and node.name == "do_POST":
            yield from f.walk(node)
        elif isinstance(node, ast.If) and "POST" in {
            c.value for c in f.within(node.test, ast.Constant) if isinstance(c.value, str)
        }:
            for stmt in node.body:
                yield from f.walk(stmt)


def _post_site(f: PythonFile, scope: ast.AST, framework: str, handler: str, route: str | None,
               nodes: Iterable[ast.AST]) -> PostHandlerSite | None:  # fmt: skip
    state, where = _idempotency(f, scope)
    create = _creating_call(f, nodes)
    webhook = bool(WEBHOOK.search(route or "") or WEBHOOK.search(handler))
    if state == "absent" and create is None and not webhook:
        return None
    anchor: ast.AST = where if state == "used" and where is not None else create or scope
    line = getattr(anchor, "lineno", 1)
    return PostHandlerSite(
        framework=framework, handler=handler, route=route, creates=create is not None, webhook=webhook,
        idempotency=state, path=f.path, line=line, end_line=line, language="Python",
        snippet=f.lines[line - 1].strip(), function=f.qualname(anchor),
    )  # fmt: skip


def _django_view(f: PythonFile, method: ast.AST) -> bool:
    cls = f.parents.get(method)
    return isinstance(cls, ast.ClassDef) and any(
        f.dotted(b).endswith(("View", "APIView", "ViewSet")) for b in cls.bases
    )


def post_handlers(f: PythonFile) -> Iterator[PostHandlerSite]:
    for node in f.of_type(ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef):
        if isinstance(node, ast.ClassDef) and any(isinstance(m, ast.FunctionDef) and m.name == "do_POST"
                                                  for m in node.body):  # fmt: skip
            site = _post_site(f, node, "http.server", node.name, None, list(_post_branches(f, node)))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (route := _route(f, node)):
            site = _post_site(f, node, route[0], node.name, route[1], f.walk(node))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "post" and _django_view(f, node):
            site = _post_site(f, node, "django", node.name, None, f.walk(node))
        else:
            continue
        if site is not None:
            yield site


@register_extractor("python")
def extract(f: PythonFile) -> Iterator[Site]:
    """Every breaker, bulkhead, rate limiter and POST handler in one Python file."""
    for make in (breakers, bulkheads, rate_limiters, post_handlers):
        yield from make(f)
