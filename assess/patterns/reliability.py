"""Reliability sites in Python: retries, breakers, timeouts, bulkheads, rate limiters, POST handlers, dependencies.

The site types (shared with :mod:`assess.patterns.reliability_js`) record what was seen; the probes in
:mod:`assess.probes.reliability` decide what it means. How each fact is recognised:

- retries: tenacity (``@retry``/``Retrying``: ``stop=`` bounds it, ``wait=`` gives backoff and jitter),
  backoff (``on_exception``/``on_predicate``: ``max_tries``/``max_time`` bound it; jitter is on unless
  ``jitter=None``), stamina, urllib3 ``Retry`` (``backoff_factor``, 2.x ``backoff_jitter``), and loops
  whose body tries a call, leaves the loop on success (``return``/``break``) and lets a handler fall
  through to the next iteration. ``for`` loops count over ``range``/``count`` or attempt-like names (a
  loop over hosts is failover). A loop over ``range`` is bounded; ``while True`` is bounded only by an
  ``if`` that tests a counter, an attempt/deadline name or the clock and then leaves.
- circuit breakers: pybreaker, aiobreaker, circuitbreaker, purgatory; a class with a failure counter
  (``+=``) and closed/open/half-open states, or named like a breaker with two of those states.
- HTTP timeouts: requests (module and ``Session`` calls) and ``urlopen``/``http.client`` without a
  timeout; httpx only with ``timeout=None`` (5 s default otherwise); ``aiohttp.ClientSession`` without one.
- database timeouts: psycopg/psycopg2, SQLAlchemy engines (not sqlite URLs), pymongo/motor, redis.
- bulkheads: semaphores above 1, ``ThreadPoolExecutor(max_workers=n)``, queues with ``maxsize > 0``.
- rate limiters: a class named like a rate limiter (ratelimit, throttle, limiter) that keeps a dict
  in ``self`` and reads the clock, or a module-level dict used by such a function, and never
  mentions redis; Flask-Limiter/slowapi ``Limiter`` without ``storage_uri`` (memory by default).
- POST handlers: Flask/FastAPI route decorators with POST, DRF ``api_view``, Django ``post`` methods
  and ``http.server`` handlers (``do_POST`` and branches testing ``== "POST"``). The site is where the
  Idempotency-Key is read when it is used, else the first creating call (``create*``, ``insert*`` ...).
- dependencies: calls on redis, memcached, kafka, RabbitMQ and boto3 clients, and celery ``delay``;
  a fallback is a ``try`` whose handler returns or calls something other than logging or sleeping.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Literal

from assess.model.patterns import Site, register_site
from assess.patterns import register_extractor
from assess.patterns.pyast import PythonFile, has_star_kwargs, keyword

Backoff = Literal["exponential", "linear", "fixed", "none", "unknown"]


@register_site
class RetrySite(Site):
    kind: Literal["reliability.retry"] = "reliability.retry"
    mechanism: str
    """tenacity, backoff, stamina, urllib3, loop, p-retry, async-retry, axios-retry, cockatiel."""
    bounded: bool | None
    """Whether the number of attempts (or the time spent) is limited; None when it cannot be told."""
    backoff: Backoff
    jitter: bool | None
    delay_line: int | None = None
    """Where the wait is computed (a loop's delay assignment or sleep call); None for libraries."""
    delay_snippet: str = ""


@register_site
class BreakerSite(Site):
    kind: Literal["reliability.breaker"] = "reliability.breaker"
    mechanism: str
    """pybreaker, aiobreaker, circuitbreaker, purgatory, opossum, cockatiel, or hand-written."""


@register_site
class HttpCallSite(Site):
    kind: Literal["reliability.http-call"] = "reliability.http-call"
    client: str
    callee: str
    timeout: Literal["set", "missing", "disabled", "default", "unknown"]
    """``default``: the client's own default applies (httpx 5 s, a session or instance configured elsewhere)."""


@register_site
class DbClientSite(Site):
    kind: Literal["reliability.db-client"] = "reliability.db-client"
    driver: str
    callee: str
    timeout: bool | None
    wanted: str = ""
    """The settings that would bound the wait (``connect_timeout``, ``socket_timeout`` ...)."""


@register_site
class BulkheadSite(Site):
    kind: Literal["reliability.bulkhead"] = "reliability.bulkhead"
    mechanism: str
    limit: str


@register_site
class RateLimiterSite(Site):
    kind: Literal["reliability.rate-limiter"] = "reliability.rate-limiter"
    name: str
    store: Literal["memory", "shared"]


@register_site
class PostHandlerSite(Site):
    kind: Literal["reliability.post-handler"] = "reliability.post-handler"
    framework: str
    handler: str
    route: str | None = None
    creates: bool = False
    webhook: bool = False
    idempotency: Literal["used", "ignored", "absent"] = "absent"


@register_site
class DependencyCallSite(Site):
    kind: Literal["reliability.dependency-call"] = "reliability.dependency-call"
    client: str
    callee: str
    instance: str
    fallback: bool


def site_kw(f: PythonFile, node: ast.AST) -> dict[str, object]:
    """The common Site fields for ``node``."""
    line, end = f.span(node)
    return {"path": f.path, "line": line, "end_line": end, "language": "Python", "snippet": f.snippet(node),
            "function": f.qualname(node)}  # fmt: skip


# --- retries: libraries ----------------------------------------------------------------------------

TENACITY = {"tenacity.retry", "tenacity.Retrying", "tenacity.AsyncRetrying", "tenacity.asyncio.AsyncRetrying"}
TENACITY_WAIT: dict[str, tuple[Backoff, bool]] = {
    "wait_exponential": ("exponential", False), "wait_random_exponential": ("exponential", True),
    "wait_full_jitter": ("exponential", True), "wait_exponential_jitter": ("exponential", True),
    "wait_incrementing": ("linear", False), "wait_fixed": ("fixed", False), "wait_random": ("fixed", True),
    "wait_none": ("none", False),
}  # fmt: skip
BACKOFF_GEN: dict[str, Backoff] = {"backoff.expo": "exponential", "backoff.fibo": "exponential",
                                   "backoff.constant": "fixed"}  # fmt: skip
URLLIB3_RETRY = {"urllib3.Retry", "urllib3.util.Retry", "urllib3.util.retry.Retry", "requests.adapters.Retry",
                 "requests.packages.urllib3.util.retry.Retry"}  # fmt: skip


def _is_none(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _tenacity_wait(f: PythonFile, wait: ast.expr | None) -> tuple[Backoff, bool | None]:
    if wait is None:
        return "none", False
    kinds = [TENACITY_WAIT.get(f.call_name(c).rsplit(".", 1)[-1]) for c, _ in f.calls(wait)]
    known = [k for k in kinds if k is not None]
    if not known or len(known) != len(kinds):
        return "unknown", None
    order: list[Backoff] = ["exponential", "linear", "fixed", "none"]
    backoff = next(b for b in order if any(k[0] == b for k in known))
    return backoff, any(k[1] for k in known)


def _tenacity(f: PythonFile, node: ast.AST, call: ast.Call | None) -> RetrySite:
    stop = keyword(call, "stop") if call else None
    bounded: bool | None = stop is not None and "stop_never" not in f.dotted(stop)
    if call is not None and stop is None and has_star_kwargs(call):
        bounded = None
    backoff, jitter = _tenacity_wait(f, keyword(call, "wait") if call else None)
    return RetrySite(mechanism="tenacity", bounded=bounded, backoff=backoff, jitter=jitter, **site_kw(f, node))


def _backoff(f: PythonFile, call: ast.Call) -> RetrySite:
    gen = call.args[0] if call.args else keyword(call, "wait_gen")
    backoff: Backoff = BACKOFF_GEN.get(f.dotted(gen), "unknown") if gen is not None else "unknown"
    limits = [keyword(call, "max_tries"), keyword(call, "max_time")]
    bounded = any(v is not None and not _is_none(v) for v in limits) or (None if has_star_kwargs(call) else False)
    jitter_kw = next((k for k in call.keywords if k.arg == "jitter"), None)
    jitter = True if jitter_kw is None else not _is_none(jitter_kw.value)
    return RetrySite(mechanism="backoff", bounded=bounded, backoff=backoff, jitter=jitter, **site_kw(f, call))


def _urllib3(f: PythonFile, call: ast.Call) -> RetrySite | None:
    total = call.args[0] if call.args else keyword(call, "total")
    if isinstance(total, ast.Constant) and total.value is False:
        return None  # Retry(False): retries switched off
    bounded = None if _is_none(total) else True
    factor = keyword(call, "backoff_factor")
    no_factor = factor is None or (isinstance(factor, ast.Constant) and not factor.value)
    backoff: Backoff = "none" if no_factor and not has_star_kwargs(call) else "exponential"
    jit = keyword(call, "backoff_jitter")
    jitter = jit is not None and not (isinstance(jit, ast.Constant) and not jit.value)
    return RetrySite(mechanism="urllib3", bounded=bounded, backoff=backoff, jitter=jitter, **site_kw(f, call))


def _stamina(f: PythonFile, call: ast.Call) -> RetrySite:
    jit = keyword(call, "wait_jitter")
    jitter = not (isinstance(jit, ast.Constant) and not jit.value)
    bounded = not (_is_none(keyword(call, "attempts")) and _is_none(keyword(call, "timeout")))
    return RetrySite(mechanism="stamina", bounded=bounded, backoff="exponential", jitter=jitter, **site_kw(f, call))


def library_retries(f: PythonFile) -> Iterator[RetrySite]:
    for call, name in f.calls():
        if name in TENACITY:
            yield _tenacity(f, call, call)
        elif name in {"backoff.on_exception", "backoff.on_predicate"}:
            yield _backoff(f, call)
        elif name in URLLIB3_RETRY and (site := _urllib3(f, call)):
            yield site
        elif name in {
            "stamina.retry",
            "stamina.retry_context",
            "stamina.AsyncRetryingCaller",
            "stamina.RetryingCaller",
        }:
            yield _stamina(f, call)
    for node in ast.walk(f.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for deco in node.decorator_list:
                if not isinstance(deco, ast.Call) and f.dotted(deco) == "tenacity.retry":
                    yield _tenacity(f, deco, None)


# --- retries: hand-written loops -------------------------------------------------------------------

NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
LOOPS = (ast.For, ast.AsyncFor, ast.While)
BOUND_NAME = re.compile(r"attempt|retr|tries|deadline|max_|budget|remaining", re.I)
ATTEMPT_NAME = re.compile(r"attempt|retr|tries|delay|backoff|wait|interval|sleep", re.I)
CLOCK = re.compile(r"(^|\.)(time|monotonic|perf_counter|now|utcnow|_?clock|_now)$")
RANDOM = re.compile(r"(^|\.)(random|uniform|randint|randrange|triangular|gauss|jitter\w*|_jitter\w*)$|^random\.")


def shallow(nodes: Iterable[ast.AST], into_loops: bool = False) -> Iterator[ast.AST]:
    """Every node under ``nodes`` without entering nested functions, classes or (unless asked) loops."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, NESTED) or (isinstance(child, LOOPS) and not into_loops):
                continue
            stack.append(child)


def _falls_through(handler: ast.ExceptHandler) -> bool:
    return not isinstance(handler.body[-1], ast.Raise | ast.Return | ast.Break)


def _retry_try(loop: ast.For | ast.AsyncFor | ast.While) -> ast.Try | None:
    """The ``try`` that makes ``loop`` a retry: a call, leave on success, a handler that goes round again."""
    for node in shallow(loop.body):
        if not isinstance(node, ast.Try) or not node.handlers:
            continue
        success = [n for n in shallow([*node.body, *node.orelse]) if isinstance(n, ast.Return | ast.Break)]
        calls = [n for n in shallow(node.body) if isinstance(n, ast.Call)]
        if success and calls and any(_falls_through(h) for h in node.handlers):
            return node
    return None


def _names(node: ast.AST) -> set[str]:
    """Names and ``self.x`` attributes read in ``node``."""
    out = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    out.update(ast.unparse(n) for n in ast.walk(node) if isinstance(n, ast.Attribute))
    return out


def _assigned(loop: ast.AST) -> dict[str, list[ast.Assign | ast.AugAssign | ast.AnnAssign]]:
    out: dict[str, list[ast.Assign | ast.AugAssign | ast.AnnAssign]] = {}
    for node in shallow([loop], into_loops=True):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                out.setdefault(ast.unparse(t), []).append(node)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign) and node.value is not None:
            out.setdefault(ast.unparse(node.target), []).append(node)
    return out


def _loop_bounded(f: PythonFile, loop: ast.For | ast.AsyncFor | ast.While) -> bool | None:
    if isinstance(loop, ast.For | ast.AsyncFor):
        name = f.dotted(loop.iter.func) if isinstance(loop.iter, ast.Call) else ""
        return name not in {"itertools.count", "itertools.cycle", "itertools.repeat"}
    varying = {k for k, v in _assigned(loop).items() if any(isinstance(a, ast.AugAssign) for a in v)}

    def bounds(test: ast.AST) -> bool:
        names = _names(test)
        clock = any(CLOCK.search(f.call_name(c)) for c, _ in f.calls(test))
        return bool(names & varying) or clock or any(BOUND_NAME.search(n) for n in names)

    if not (isinstance(loop.test, ast.Constant) and loop.test.value):
        return True if bounds(loop.test) else None
    for node in shallow(loop.body):
        if not isinstance(node, ast.If):
            continue
        if any(isinstance(n, ast.Raise | ast.Return | ast.Break) for n in shallow(node.body)) and bounds(node.test):
            return True
    return False


def _sleep(f: PythonFile, loop: ast.AST) -> ast.Call | None:
    calls = [n for n in shallow(getattr(loop, "body", [])) if isinstance(n, ast.Call)]
    sleeps = [c for c in calls if "sleep" in f.call_name(c).rsplit(".", 1)[-1].lower()]
    return min(sleeps, key=lambda c: (c.lineno, c.col_offset), default=None)


def _grows(f: PythonFile, exprs: list[ast.AST], assigns: Sequence[ast.AST], varying: set[str]) -> Backoff:
    for node in (n for e in exprs for n in ast.walk(e)):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow | ast.LShift):
            return "exponential"
        if isinstance(node, ast.Call) and f.call_name(node) in {"pow", "math.pow", "math.exp"}:
            return "exponential"
    for a in assigns:
        target = ast.unparse(a.targets[0] if isinstance(a, ast.Assign) else getattr(a, "target", a))
        if isinstance(a, ast.AugAssign) and isinstance(a.op, ast.Mult):
            return "exponential"
        value = getattr(a, "value", None)
        if value is not None and any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult) and target in _names(n)
                                     for n in ast.walk(value)):  # fmt: skip
            return "exponential"
        if isinstance(a, ast.AugAssign) and isinstance(a.op, ast.Add):
            return "linear"
    used = set().union(*(_names(e) for e in exprs))
    if any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult) and _names(n) & varying
           for e in exprs for n in ast.walk(e)):  # fmt: skip
        return "linear"
    return "unknown" if used & varying else "fixed"


def _constant_list_backoff(loop: ast.AST, arg: ast.AST) -> Backoff | None:
    if not (isinstance(loop, ast.For) and isinstance(loop.target, ast.Name) and isinstance(arg, ast.Name)):
        return None
    if arg.id != loop.target.id or not isinstance(loop.iter, ast.List | ast.Tuple):
        return None
    values = [e.value for e in loop.iter.elts if isinstance(e, ast.Constant) and isinstance(e.value, int | float)]
    if len(values) != len(loop.iter.elts) or len(values) < 2:
        return None
    if all(b >= 1.5 * a > 0 for a, b in itertools.pairwise(values)):
        return "exponential"
    return "fixed" if len(set(values)) == 1 else "linear"


def _loop_delay(f: PythonFile, loop: ast.For | ast.AsyncFor | ast.While) -> tuple[Backoff, bool | None, ast.AST | None]:
    sleep = _sleep(f, loop)
    if sleep is None:
        return "none", False, None
    arg = sleep.args[0] if sleep.args else (sleep.keywords[0].value if sleep.keywords else None)
    if arg is None or (isinstance(arg, ast.Constant) and not arg.value):
        return "none", False, sleep
    if isinstance(arg, ast.Constant):
        return "fixed", False, sleep
    if listed := _constant_list_backoff(loop, arg):
        return listed, False, sleep
    assigned = _assigned(loop)
    varying = set(assigned) | (_names(loop.target) if isinstance(loop, ast.For | ast.AsyncFor) else set())
    exprs: list[ast.AST] = [arg]
    assigns = [a for name in _names(arg) for a in assigned.get(name, [])]
    for a in list(assigns):  # one level further: delay = base * factor, factor = 2 ** attempt
        if a.value is not None:
            exprs.append(a.value)
            assigns.extend(b for name in _names(a.value) for b in assigned.get(name, []) if b not in assigns)
    exprs.extend(a.value for a in assigns if a.value is not None)
    backoff = _grows(f, exprs, assigns, varying)
    jitter = any(RANDOM.search(f.call_name(c)) for e in exprs for c, _ in f.calls(e))
    before = [a for a in assigns if isinstance(a, ast.Assign | ast.AnnAssign) and a.lineno <= sleep.lineno]
    where = max(before, key=lambda a: a.lineno, default=sleep)
    return backoff, (jitter if backoff != "unknown" or jitter else None), where


def _attempt_loop(f: PythonFile, loop: ast.For | ast.AsyncFor | ast.While) -> bool:
    """``for`` loops count only over ``range``/``count`` or named like attempts (not failover over hosts)."""
    if isinstance(loop, ast.While):
        return True
    inner = loop.iter.args[0] if isinstance(loop.iter, ast.Call) and f.call_name(loop.iter) == "enumerate" \
        and loop.iter.args else loop.iter  # fmt: skip
    if isinstance(inner, ast.Call) and f.call_name(inner) in {"range", "itertools.count", "itertools.repeat"}:
        return True
    return bool(ATTEMPT_NAME.search(ast.unparse(loop.target)) or ATTEMPT_NAME.search(ast.unparse(inner)))


def loop_retries(f: PythonFile) -> Iterator[RetrySite]:
    for loop in ast.walk(f.tree):
        if not isinstance(loop, LOOPS) or not _attempt_loop(f, loop) or _retry_try(loop) is None:
            continue
        backoff, jitter, where = _loop_delay(f, loop)
        line = loop.lineno
        delay_line = getattr(where, "lineno", None)
        yield RetrySite(
            mechanism="loop", bounded=_loop_bounded(f, loop), backoff=backoff, jitter=jitter, path=f.path,
            line=line, end_line=line, language="Python", snippet=f.lines[line - 1].strip() if f.lines else "",
            function=f.qualname(loop), delay_line=delay_line,
            delay_snippet=f.snippet(where) if where is not None else "",
        )  # fmt: skip


# --- circuit breakers ------------------------------------------------------------------------------

BREAKERS = {
    "pybreaker.CircuitBreaker": "pybreaker", "aiobreaker.CircuitBreaker": "aiobreaker",
    "circuitbreaker.CircuitBreaker": "circuitbreaker", "circuitbreaker.circuit": "circuitbreaker",
    "purgatory.AsyncCircuitBreakerFactory": "purgatory", "purgatory.SyncCircuitBreakerFactory": "purgatory",
}  # fmt: skip
STATES = re.compile(r"^(closed|open|half[-_ ]?open)$", re.I)
FAILURES = re.compile(r"fail|error", re.I)


def _hand_written_breaker(f: PythonFile, cls: ast.ClassDef) -> bool:
    words = {n.value for n in ast.walk(cls) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    words |= {n.attr for n in ast.walk(cls) if isinstance(n, ast.Attribute)}
    states = {w.lower().replace("-", "_").replace(" ", "_") for w in words if STATES.match(w)}
    counters = [n for n in ast.walk(cls) if isinstance(n, ast.AugAssign) and FAILURES.search(ast.unparse(n.target))]
    named = bool(re.search(r"circuit|breaker", cls.name, re.I))
    return bool(counters) and ((named and len(states) >= 2) or ({"closed", "open"} <= states and len(states) == 3))


def breakers(f: PythonFile) -> Iterator[BreakerSite]:
    for call, name in f.calls():
        if name in BREAKERS:
            yield BreakerSite(mechanism=BREAKERS[name], **site_kw(f, call))
    for node in ast.walk(f.tree):
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


def _http_site(f: PythonFile, call: ast.Call, client: str, callee: str, state: str) -> HttpCallSite:
    return HttpCallSite(client=client, callee=callee, timeout=state, **site_kw(f, call))


class Instances(dict[tuple[str | None, str], str]):
    """Names bound to a client: (enclosing function or None for module level and attributes, name) -> client."""

    def lookup(self, f: PythonFile, node: ast.AST, name: str) -> str | None:
        return self.get((f.qualname(node), name)) or self.get((None, name))


def _instances(f: PythonFile, makers: dict[str, str]) -> Instances:
    """Local names (``s``, ``self.session``) bound to a call of one of ``makers``."""
    out = Instances()
    for node in ast.walk(f.tree):
        pairs: list[tuple[ast.AST, ast.AST | None]] = []
        if isinstance(node, ast.Assign):
            pairs = [(t, node.value) for t in node.targets]
        elif isinstance(node, ast.AnnAssign | ast.NamedExpr):
            pairs = [(node.target, node.value)]
        elif isinstance(node, ast.With | ast.AsyncWith):
            pairs = [(i.optional_vars, i.context_expr) for i in node.items if i.optional_vars is not None]
        for target, value in pairs:
            scope = f.qualname(node) if isinstance(target, ast.Name) else None
            if isinstance(value, ast.Await):
                value = value.value
            if isinstance(value, ast.Call) and f.call_name(value) in makers:
                out[(scope, ast.unparse(target))] = makers[f.call_name(value)]
            elif isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
                owner = out.lookup(f, node, ast.unparse(value.func.value))  # conn.channel(): the same client
                if owner is not None and value.func.attr in {"channel", "Bucket", "Table", "Queue"}:
                    out[(scope, ast.unparse(target))] = owner
    return out


def _http_state(f: PythonFile, call: ast.Call, client: str, position: int | None) -> str:
    arg = _timeout_arg(call, position)
    if arg is False:
        return "missing" if client in {"requests", "urllib", "http.client"} else "default"
    if arg is None:
        return "unknown"
    return "disabled" if _is_none(arg) else "set"


def http_calls(f: PythonFile) -> Iterator[HttpCallSite]:
    sessions = _instances(f, SESSIONS)
    for call, name in f.calls():
        head, _, verb = name.rpartition(".")
        owner = ast.unparse(call.func.value) if isinstance(call.func, ast.Attribute) else ""
        session = sessions.lookup(f, call, owner) if owner else None
        if head in {"requests", "httpx"} and verb in VERBS - {"send"}:
            yield _http_site(f, call, head, name, _http_state(f, call, head, None))
        elif (session and verb in VERBS) or head in {"requests.Session()", "requests.session()"}:
            client = session or "requests"
            yield _http_site(f, call, client, name, _http_state(f, call, client, None))
        elif name in {"httpx.Client", "httpx.AsyncClient"}:
            yield _http_site(f, call, "httpx", name, _http_state(f, call, "httpx", None))
        elif name == "aiohttp.ClientSession":
            state = _http_state(f, call, "aiohttp", None)
            yield _http_site(f, call, "aiohttp", name, "missing" if state == "default" else state)
        elif name == "urllib.request.urlopen":
            yield _http_site(f, call, "urllib", name, _http_state(f, call, "urllib", 2))
        elif name in {"http.client.HTTPConnection", "http.client.HTTPSConnection"}:
            yield _http_site(f, call, "http.client", name, _http_state(f, call, "http.client", 2))


# --- database clients ------------------------------------------------------------------------------

PG = {"psycopg2.connect", "psycopg.connect", "psycopg.Connection.connect", "psycopg.AsyncConnection.connect",
      "psycopg2.pool.SimpleConnectionPool", "psycopg2.pool.ThreadedConnectionPool"}  # fmt: skip
ENGINES = {"sqlalchemy.create_engine", "sqlalchemy.ext.asyncio.create_async_engine"}
MONGO = {"pymongo.MongoClient", "motor.motor_asyncio.AsyncIOMotorClient", "mongoengine.connect"}
REDIS = {"redis.Redis", "redis.StrictRedis", "redis.from_url", "redis.Redis.from_url", "redis.StrictRedis.from_url",
         "redis.asyncio.Redis", "redis.asyncio.from_url", "redis.asyncio.Redis.from_url", "redis.ConnectionPool",
         "redis.ConnectionPool.from_url", "redis.BlockingConnectionPool", "redis.asyncio.ConnectionPool"}  # fmt: skip
MONGO_TIMEOUTS = ("serverSelectionTimeoutMS", "socketTimeoutMS", "connectTimeoutMS", "timeoutMS")


def _strings(call: ast.Call) -> str:
    return " ".join(n.value for n in ast.walk(call) if isinstance(n, ast.Constant) and isinstance(n.value, str))


def _db_timeout(f: PythonFile, call: ast.Call, name: str) -> tuple[str, bool | None, str] | None:
    """(driver, timeout set?, wanted settings) for a database client call, or None if it is not one."""
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
        redis_found = (value is not None and not _is_none(value)) or "socket_timeout" in text
        return "redis", True if redis_found else unknown, "socket_timeout"
    return None


def db_clients(f: PythonFile) -> Iterator[DbClientSite]:
    for call, name in f.calls():
        if found := _db_timeout(f, call, name):
            driver, timeout, wanted = found
            yield DbClientSite(driver=driver, callee=name, timeout=timeout, wanted=wanted, **site_kw(f, call))


# --- bulkheads -------------------------------------------------------------------------------------

SEMAPHORES = {"threading.BoundedSemaphore", "threading.Semaphore", "asyncio.Semaphore", "asyncio.BoundedSemaphore",
              "anyio.Semaphore", "anyio.CapacityLimiter", "trio.Semaphore", "trio.CapacityLimiter"}  # fmt: skip
POOLS = {"concurrent.futures.ThreadPoolExecutor", "concurrent.futures.thread.ThreadPoolExecutor"}
QUEUES = {"queue.Queue", "queue.LifoQueue", "queue.PriorityQueue", "asyncio.Queue", "asyncio.LifoQueue",
          "asyncio.PriorityQueue", "multiprocessing.Queue"}  # fmt: skip


def _limit(call: ast.Call, names: tuple[str, ...], minimum: int) -> ast.expr | None:
    value = call.args[0] if call.args else next((v for n in names if (v := keyword(call, n)) is not None), None)
    if value is None or _is_none(value):
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
    return any("redis" in n.lower() for n in _names(node))


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
    for node in ast.walk(f.tree):
        if isinstance(node, ast.ClassDef) and LIMITER_NAME.search(node.name) and _reads_clock(f, node):
            state = [(t, a) for t, a in _dict_assigns(f, ast.walk(node)) if t.startswith("self.")]
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
        users = [fn for fn in limiters if target in _names(fn)]
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
    for node in ast.walk(scope):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for deco in node.decorator_list:
                if "idempot" in ast.unparse(deco).lower():
                    return "used", deco
            for arg in node.args.args + node.args.kwonlyargs:
                if "idempot" in arg.arg.lower():
                    used = any(isinstance(n, ast.Name) and n.id == arg.arg for n in ast.walk(node))
                    return ("used" if used else "ignored"), arg
    for node in ast.walk(scope):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and IDEMPOTENCY.search(node.value):
            return _key_use(f, scope, node), node
    return "absent", None


def _key_use(f: PythonFile, scope: ast.AST, const: ast.AST) -> Literal["used", "ignored"]:
    for a in f.ancestors(const):
        if isinstance(a, ast.Assign) and all(isinstance(t, ast.Name) for t in a.targets):
            names = {t.id for t in a.targets if isinstance(t, ast.Name)}
            reads = [n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id in names and n.lineno > a.lineno]
            return "used" if reads else "ignored"
        if isinstance(a, ast.If | ast.Compare | ast.Return | ast.keyword):
            return "used"
        if isinstance(a, ast.stmt):
            return "ignored" if isinstance(a, ast.Expr) else "used"
    return "used"


def _creating_call(f: PythonFile, nodes: Iterable[ast.AST]) -> ast.Call | None:
    calls = [n for n in nodes if isinstance(n, ast.Call) and CREATES.match(f.call_name(n).rsplit(".", 1)[-1])]
    return min(calls, key=lambda c: (c.lineno, c.col_offset), default=None)


def _post_branches(cls: ast.ClassDef) -> Iterator[ast.AST]:
    """Nodes of ``do_POST`` and of ``if ... == "POST"`` branches anywhere in ``cls``."""
    for node in ast.walk(cls):
        if isinstance(node, ast.FunctionDef) and node.name == "do_POST":
            yield from ast.walk(node)
        elif isinstance(node, ast.If) and "POST" in {
            c.value for c in ast.walk(node.test) if isinstance(c, ast.Constant) and isinstance(c.value, str)
        }:
            for stmt in node.body:
                yield from ast.walk(stmt)


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
    for node in ast.walk(f.tree):
        if isinstance(node, ast.ClassDef) and any(isinstance(m, ast.FunctionDef) and m.name == "do_POST"
                                                  for m in node.body):  # fmt: skip
            site = _post_site(f, node, "http.server", node.name, None, list(_post_branches(node)))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (route := _route(f, node)):
            site = _post_site(f, node, route[0], node.name, route[1], ast.walk(node))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "post" and _django_view(f, node):
            site = _post_site(f, node, "django", node.name, None, ast.walk(node))
        else:
            continue
        if site is not None:
            yield site


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
    for node in ast.walk(f.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            ast.unparse(d).split("(")[0].endswith(("task", "shared_task")) for d in node.decorator_list
        ):
            out.add(node.name)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] == "tasks":
            out.update(a.asname or a.name for a in node.names)
    return out


def dependency_calls(f: PythonFile) -> Iterator[DependencyCallSite]:
    clients = _instances(f, DEPENDENCIES)
    tasks = _task_names(f)
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
    """Every reliability site in one Python file."""
    yield from library_retries(f)
    yield from loop_retries(f)
    yield from breakers(f)
    for make in (http_calls, db_clients, bulkheads, rate_limiters, post_handlers, dependency_calls):
        yield from make(f)
