"""Reliability sites in Python: the site types, and retries (libraries and hand-written loops).

The site types (shared with :mod:`assess.patterns.reliability_js`) record what was seen; the probes in
:mod:`assess.probes.reliability` decide what it means. Outbound calls are extracted in
:mod:`assess.patterns.reliability_clients`; breakers, bulkheads, rate limiters and POST handlers in
:mod:`assess.patterns.reliability_guards`. How a retry is recognised:

- libraries: tenacity (``@retry``/``Retrying``: ``stop=`` bounds it, ``wait=`` gives backoff and jitter),
  backoff (``on_exception``/``on_predicate``: ``max_tries``/``max_time`` bound it; jitter is on unless
  ``jitter=None``), stamina, urllib3 ``Retry`` (``backoff_factor``, 2.x ``backoff_jitter``).
- loops whose body tries a call, leaves the loop on success (``return``/``break``) and lets a handler fall
  through to the next iteration. ``for`` loops count over ``range``/``count`` or attempt-like names (a
  loop over hosts is failover). A loop over ``range`` is bounded; ``while True`` is bounded only by an
  ``if`` that tests a counter, an attempt/deadline name or the clock and then leaves.
"""

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


def is_none(node: ast.AST | None) -> bool:
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
    bounded = any(v is not None and not is_none(v) for v in limits) or (None if has_star_kwargs(call) else False)
    jitter_kw = next((k for k in call.keywords if k.arg == "jitter"), None)
    jitter = True if jitter_kw is None else not is_none(jitter_kw.value)
    return RetrySite(mechanism="backoff", bounded=bounded, backoff=backoff, jitter=jitter, **site_kw(f, call))


def _urllib3(f: PythonFile, call: ast.Call) -> RetrySite | None:
    total = call.args[0] if call.args else keyword(call, "total")
    if isinstance(total, ast.Constant) and (total.value is False or total.value == 0):
        return None  # Retry(False) / Retry(0): retries switched off (requests' default adapter)
    bounded = None if is_none(total) else True
    factor = keyword(call, "backoff_factor")
    no_factor = factor is None or (isinstance(factor, ast.Constant) and not factor.value)
    backoff: Backoff = "none" if no_factor and not has_star_kwargs(call) else "exponential"
    jit = keyword(call, "backoff_jitter")
    jitter = jit is not None and not (isinstance(jit, ast.Constant) and not jit.value)
    return RetrySite(mechanism="urllib3", bounded=bounded, backoff=backoff, jitter=jitter, **site_kw(f, call))


def _stamina(f: PythonFile, call: ast.Call) -> RetrySite:
    jit = keyword(call, "wait_jitter")
    jitter = not (isinstance(jit, ast.Constant) and not jit.value)
    bounded = not (is_none(keyword(call, "attempts")) and is_none(keyword(call, "timeout")))
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
    for node in f.of_type(ast.FunctionDef, ast.AsyncFunctionDef):
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
        if success and calls and any(_falls_through(h) and not _control_flow_only(h) for h in node.handlers):
            return node
    return None


CONTROL_FLOW_EXCEPTIONS = {"KeyboardInterrupt", "SystemExit", "GeneratorExit", "StopIteration", "StopAsyncIteration"}


def _control_flow_only(handler: ast.ExceptHandler) -> bool:
    """A handler for Ctrl-C and the like: going round again after it is not retrying a failure."""
    caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type] if handler.type else []
    names = {n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else "" for n in caught}
    return bool(names) and names <= CONTROL_FLOW_EXCEPTIONS


def names_read(node: ast.AST) -> set[str]:
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
        names = names_read(test)
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
        if value is not None and any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult) and target in names_read(n)
                                     for n in ast.walk(value)):  # fmt: skip
            return "exponential"
        if isinstance(a, ast.AugAssign) and isinstance(a.op, ast.Add):
            return "linear"
    used = set().union(*(names_read(e) for e in exprs))
    if any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult) and names_read(n) & varying
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
    varying = set(assigned) | (names_read(loop.target) if isinstance(loop, ast.For | ast.AsyncFor) else set())
    exprs: list[ast.AST] = [arg]
    assigns = [a for name in names_read(arg) for a in assigned.get(name, [])]
    for a in list(assigns):  # one level further: delay = base * factor, factor = 2 ** attempt
        if a.value is not None:
            exprs.append(a.value)
            assigns.extend(b for name in names_read(a.value) for b in assigned.get(name, []) if b not in assigns)
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
    for loop in f.of_type(*LOOPS):
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


@register_extractor("python")
def extract(f: PythonFile) -> Iterator[Site]:
    """Every retry site in one Python file."""
    yield from library_retries(f)
    yield from loop_retries(f)
