"""Reliability sites in Python: the site types, and retries made with a library.

The site types (shared with the other ``reliability_*`` modules and their JavaScript twins) record what was
seen; the probes in :mod:`assess.probes.reliability` decide what it means. Hand-written retry loops and
backoff functions are in :mod:`assess.patterns.reliability_loops`; outbound calls in
:mod:`assess.patterns.reliability_clients`; breakers, bulkheads, rate limiters and POST handlers in
:mod:`assess.patterns.reliability_guards`; process supervision, time limits, back-pressure and exits on
SIGTERM in :mod:`assess.patterns.reliability_process`. Retry libraries recognised: tenacity
(``@retry``/``Retrying``: ``stop=`` bounds it, ``wait=`` gives backoff and jitter), backoff
(``on_exception``/``on_predicate``: ``max_tries``/``max_time`` bound it; jitter is on unless ``jitter=None``),
stamina, urllib3 ``Retry`` (``backoff_factor``, 2.x ``backoff_jitter``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
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
    delay_s: float | None = None
    """A fixed wait the code spells out, in seconds; None when it is computed or read from a setting."""
    capped: bool = False
    """A growing wait is capped (``min(delay * 2, cap)``): a retry that never gives up stays polite."""


@register_site
class BackoffSite(Site):
    """A function that computes a retry's delay from the attempt number (a backoff strategy)."""

    kind: Literal["reliability.backoff"] = "reliability.backoff"
    name: str
    backoff: Backoff
    jitter: bool


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
    timeout: Literal["set", "missing", "disabled", "default", "long-default", "unknown"]
    """``default``: the client's own default applies (httpx 5 s, a session or instance configured elsewhere);
    ``long-default``: only a library default of minutes bounds the call (Node's fetch and aiohttp: 300 s)."""
    maker: bool = False
    """The call makes a client (``httpx.Client``, ``axios.create``), rather than a request."""


@register_site
class ClientTimeoutSite(Site):
    """A timeout set once for every call of a client: ``axios.defaults.timeout``, a pool's ``socket_timeout``."""

    kind: Literal["reliability.client-timeout"] = "reliability.client-timeout"
    client: str
    setting: str
    everywhere: bool = False
    """It changes the library's defaults for the whole process (``axios.defaults.timeout = ...``)."""


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


# --- helpers shared with the other reliability modules -----------------------------------------

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


def names_read(node: ast.AST) -> set[str]:
    """Names and ``self.x`` attributes read in ``node``."""
    out = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    out.update(ast.unparse(n) for n in ast.walk(node) if isinstance(n, ast.Attribute))
    return out


@register_extractor("python")
def extract(f: PythonFile) -> Iterator[Site]:
    """Every retry made with a library in one Python file (loops: :mod:`assess.patterns.reliability_loops`)."""
    yield from library_retries(f)
