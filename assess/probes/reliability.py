"""Reliability and dependency-resilience probes: claims about the sites in :mod:`assess.patterns.reliability`.

Only source files are judged: a test that calls ``requests.get`` without a timeout or retries in a loop is
not the service's behaviour.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TypeVar

from assess.knowledge import matches
from assess.model import Role
from assess.model.findings import Confidence
from assess.model.patterns import Site
from assess.patterns.reliability import (
    BackoffSite,
    BreakerSite,
    BulkheadSite,
    ClientTimeoutSite,
    DbClientSite,
    DependencyCallSite,
    HttpCallSite,
    PostHandlerSite,
    RateLimiterSite,
    RetrySite,
)
from assess.patterns.reliability_process import (
    BackPressureSite,
    DrainWaitSite,
    HeartbeatSite,
    NoLimitDefaultSite,
    SignalExitSite,
    SupervisorSite,
    TimeLimitSite,
)
from assess.probes import Hit, ProbeInput, register_probe

T = TypeVar("T", bound=Site)
GROWING = {"exponential", "linear"}
FIXED_WAIT = (
    "It waits the same time before every attempt. That is gentle enough for a few clients; with many of them "
    "failing together the dependency sees the same load again each round, which the code cannot show."
)
WAITS_FOR_EVER = (
    "It waits between attempts. Retrying until the dependency comes back is right for a daemon's "
    "reconnect loop and wrong for a request's call; the code does not show which this is."
)


def _source(given: ProbeInput, site_type: type[T]) -> list[T]:
    return [s for s in given.patterns.of(site_type) if given.patterns.role_of(s.path) == Role.SOURCE]


def _unbounded_reason(site: RetrySite) -> str:
    if site.mechanism == "loop":
        return "the loop has no attempt limit or deadline"
    if site.mechanism == "tenacity":
        return "no stop= condition (tenacity retries forever by default)"
    if site.mechanism == "backoff":
        return "no max_tries or max_time"
    return "no attempt limit"


def _mechanism(site: RetrySite) -> str:
    return "A hand-written retry loop" if site.mechanism == "loop" else site.mechanism


def _wait(site: RetrySite) -> str:
    if site.backoff == "none":
        return "without waiting between attempts"
    return f"after a fixed {site.delay_s:g} s delay" if site.delay_s is not None else "after a fixed delay"


def _at_delay(rule: str, site: RetrySite, details: dict[str, object], confidence: Confidence | None = None,
              reason: str | None = None) -> Hit:  # fmt: skip
    """A hit on the line where the wait is computed (the loop itself when there is no wait)."""
    hit = Hit(rule, site=site, details=details, confidence=confidence, confidence_reason=reason)
    if site.delay_line is None:
        return hit
    return replace(hit, line=site.delay_line, end_line=site.delay_line, snippet=site.delay_snippet)


def _spins(site: RetrySite) -> bool:
    """The retry does not wait between attempts, or waits less than a second (a constant in the code)."""
    return site.backoff == "none" or (site.backoff == "fixed" and site.delay_s is not None and site.delay_s < 1)


def _unbounded(site: RetrySite, details: dict[str, object]) -> Hit | None:
    """A retry with no limit: sure when it spins; to review when it waits (a daemon's reconnect loop should
    keep trying, a request's should not); none when the wait grows to a cap (it keeps trying politely)."""
    details = {**details, "reason": _unbounded_reason(site)}
    if _spins(site):
        return Hit("reliability.retry-unbounded", site=site, details=details)
    if site.backoff in GROWING and site.capped:
        return None
    return Hit(
        "reliability.retry-unbounded", site=site, details=details, confidence="likely", confidence_reason=WAITS_FOR_EVER
    )


def _no_backoff(site: RetrySite, details: dict[str, object]) -> Hit | None:
    """Immediate (or sub-second) retries are sure; a fixed wait of a second or more, or one read from a setting, is to
    review: whether it spares a struggling dependency depends on how many clients retry together."""
    details = {**details, "wait": _wait(site)}
    if _spins(site):
        return _at_delay("reliability.retry-without-backoff", site, details)
    if site.backoff == "fixed":
        return _at_delay("reliability.retry-without-backoff", site, details, "possible", FIXED_WAIT)
    return None


def _retries(site: RetrySite) -> str:
    return "retries until the call succeeds" if site.bounded is False else "retries a bounded number of times"


@register_probe(
    "reliability.retry-with-backoff",
    "reliability.retry-without-jitter",
    "reliability.retry-unbounded",
    "reliability.retry-without-backoff",
)
def retries(given: ProbeInput) -> Iterator[Hit]:
    """Each retry: unbounded, no backoff, no jitter (at the delay), or with backoff (good); each backoff function."""
    for site in _source(given, RetrySite):
        details: dict[str, object] = {
            "mechanism": _mechanism(site),
            "backoff": site.backoff,
            "jitter": site.jitter,
            "retries": _retries(site),
            "with_jitter": " and jitter" if site.jitter else "",
        }
        unbounded = _unbounded(site, details) if site.bounded is False else None
        found = [unbounded, _no_backoff(site, details)]
        if site.backoff in GROWING and (site.bounded or (site.bounded is False and unbounded is None)):
            found.append(Hit("reliability.retry-with-backoff", site=site, details=details))
        if site.backoff in GROWING and site.jitter is False:
            found.append(_at_delay("reliability.retry-without-jitter", site, details))
        yield from (hit for hit in found if hit is not None)
    for backoff in _source(given, BackoffSite):
        yield Hit("reliability.retry-with-backoff", site=backoff, details={
            "mechanism": f"{backoff.name}()", "retries": "times each retry from the attempt number,",
            "backoff": backoff.backoff, "with_jitter": " and random jitter" if backoff.jitter else ""})  # fmt: skip


@register_probe("reliability.circuit-breaker", "reliability.no-circuit-breaker")
def circuit_breakers(given: ProbeInput) -> Iterator[Hit]:
    """Each breaker (good); or, once, at the first outbound HTTP call of the service's own code when a service (not a
    command, not a library) has no breaker at all."""
    found = _source(given, BreakerSite)
    for site in found:
        yield Hit("reliability.circuit-breaker", site=site, details={"mechanism": site.mechanism})
    calls = [c for c in _source(given, HttpCallSite) if given.production(c.path)]
    if given.project is not None and not given.project.is_service():
        return  # a command or a library: its caller decides how to treat a failing dependency
    if calls and not found:
        first = calls[0]
        yield Hit("reliability.no-circuit-breaker", site=first, details={"count": len(calls), "callee": first.callee})


HTTP_REASONS = {
    ("missing", "requests"): "is called without a timeout: requests waits for ever on a hung server",
    ("missing", "urllib"): "is called without a timeout: it waits for ever on a hung server",
    ("missing", "http.client"): "is created without a timeout: it waits for ever on a hung server",
    ("missing", "fetch"): "is called without an abort signal: this fetch has no timeout of its own",
    ("missing", "axios"): "is called without a timeout: axios waits for ever by default (timeout 0)",
    ("missing", "node http"): "is called without a timeout: Node's http client waits for ever on a hung server",
    ("long-default", "aiohttp"): "is created without a timeout: aiohttp's default lets a call hang for 5 minutes",
    ("long-default", "fetch"): "is called without an abort signal: only Node's 300 s header and body timeouts bound it",
}
LONG_DEFAULT = (
    "A library default of 5 minutes bounds the wait; whether that is too long depends on who waits for "
    "the call (a request handler, or a background job that can afford it)."
)


def _covered(given: ProbeInput) -> set[str]:
    """Clients whose every call gets a timeout set once for the process (``axios.defaults.timeout = ...``)."""
    return {s.client for s in _source(given, ClientTimeoutSite) if s.everywhere and given.production(s.path)}


@register_probe("reliability.http-no-timeout")
def http_without_timeout(given: ProbeInput) -> Iterator[Hit]:
    """HTTP calls with no timeout (requests, urllib, fetch, axios) or with the timeout switched off; to review, those
    only a library's 5-minute default bounds (Node's fetch, aiohttp)."""
    covered = _covered(given)
    for site in _source(given, HttpCallSite):
        if site.timeout == "disabled":
            reason = "is called with timeout=None, which switches the client's timeout off"
        elif site.timeout in {"missing", "long-default"} and site.client not in covered:
            reason = HTTP_REASONS.get((site.timeout, site.client), "is called without a timeout")
        else:
            continue
        details = {"callee": site.callee, "reason": reason}
        if site.timeout == "long-default":
            yield Hit("reliability.http-no-timeout", site=site, details=details, confidence="likely",
                      confidence_reason=LONG_DEFAULT)  # fmt: skip
        else:
            yield Hit("reliability.http-no-timeout", site=site, details=details)


@register_probe("reliability.client-timeout")
def client_timeouts(given: ProbeInput) -> Iterator[Hit]:
    """Timeouts set once for a client: on its pool, in the library's defaults, or when the client is made."""
    for site in _source(given, ClientTimeoutSite):
        yield Hit("reliability.client-timeout", site=site, details={"client": site.client, "setting": site.setting})
    for call in _source(given, HttpCallSite):
        if call.maker and call.timeout == "set":
            yield Hit("reliability.client-timeout", site=call, details={"client": call.callee, "setting": "timeout"})


@register_probe("reliability.db-no-timeout")
def db_without_timeout(given: ProbeInput) -> Iterator[Hit]:
    for site in _source(given, DbClientSite):
        if site.timeout is False:
            yield Hit("reliability.db-no-timeout", site=site,
                      details={"callee": site.callee, "driver": site.driver, "wanted": site.wanted})  # fmt: skip


@register_probe("reliability.bulkhead")
def bulkheads(given: ProbeInput) -> Iterator[Hit]:
    for site in _source(given, BulkheadSite):
        yield Hit("reliability.bulkhead", site=site, details={"mechanism": site.mechanism, "limit": site.limit})


LOCAL_STORES = ("sqlite3", "better-sqlite3", "sqlite", "node:sqlite", "aiosqlite", "lowdb", "nedb", "shelve")
"""Modules that keep a service's data in a local file: such a service runs as one process (a second replica would
not see the first one's data)."""
SHARED_STORES = ("redis", "ioredis", "pg", "psycopg2", "psycopg", "mysql", "mysql2", "pymysql", "mongodb", "pymongo",
                 "asyncpg", "memcached", "memjs", "pymemcache")  # fmt: skip


@register_probe("reliability.in-memory-rate-limit")
def in_memory_rate_limits(given: ProbeInput) -> Iterator[Hit]:
    """A rate limit kept in the process's memory: each replica counts apart, and a restart forgets. A service that
    keeps its data in a local SQLite file (and no shared store) runs as one process, where an in-process count is
    the whole count: to review."""
    one_process = _single_process(given)
    for site in _source(given, RateLimiterSite):
        if site.store != "memory":
            continue
        if one_process is not None:
            yield Hit("reliability.in-memory-rate-limit", site=site, details={"name": site.name},
                      confidence="possible", confidence_reason=f"The service keeps its data in a local file "
                      f"({one_process}), so it runs as one process; an in-process limit then sees every request and "
                      "only a restart resets it.")  # fmt: skip
        else:
            yield Hit("reliability.in-memory-rate-limit", site=site, details={"name": site.name})


def _single_process(given: ProbeInput) -> str | None:
    """The local-file store the production code uses when it uses no shared one, else None."""
    modules = {m for f in given.patterns.files if given.production(f.path) for m in f.imports}
    if any(matches(m, SHARED_STORES) for m in modules):
        return None
    return next((m for m in sorted(modules) if matches(m, LOCAL_STORES)), None)


@register_probe("reliability.idempotency-key", "reliability.post-without-idempotency")
def idempotency(given: ProbeInput) -> Iterator[Hit]:
    """POST handlers that honour an Idempotency-Key (good), and creating or webhook handlers that do not."""
    for site in _source(given, PostHandlerSite):
        details = {"handler": site.handler, "route": site.route}
        if site.idempotency == "used":
            yield Hit("reliability.idempotency-key", site=site, details=details)
        elif site.creates or site.webhook:
            what = "creates a resource" if site.creates else "handles a webhook"
            effect = "creates a duplicate" if site.creates else "processes the same event twice"
            if site.idempotency == "ignored":
                what += " and reads the Idempotency-Key header but never uses it"
            yield Hit("reliability.post-without-idempotency", site=site, details={**details, "what": what,
                                                                                  "effect": effect})  # fmt: skip


@register_probe("reliability.dependency-fallback", "reliability.dependency-no-fallback")
def dependency_fallbacks(given: ProbeInput) -> Iterator[Hit]:
    """Cache, queue and cloud-service calls with and without a fallback: once per function and client."""
    seen: set[tuple[str, str | None, str, bool]] = set()
    for site in _source(given, DependencyCallSite):
        key = (site.path, site.function, site.instance, site.fallback)
        if key in seen:
            continue
        seen.add(key)
        rule = "reliability.dependency-fallback" if site.fallback else "reliability.dependency-no-fallback"
        yield Hit(rule, site=site, details={"callee": site.callee, "client": site.client})


TIGHT = 5.0
"""A check that runs at least this often (seconds) and restarts at once makes a crash loop."""
CALLER_DECIDES = (
    "How often the check runs is decided by its caller, which the code here does not show; a restart "
    "without backoff is a crash loop only when the check runs often."
)


def _when(site: SupervisorSite) -> str:
    if site.tick == 0:
        return "as soon as it exits"
    return f"at the next check (every {site.tick:g} s)" if site.tick is not None else "at the next check"


@register_probe("reliability.process-supervision", "reliability.respawn-without-backoff")
def supervision(given: ProbeInput) -> Iterator[Hit]:
    """Each place that replaces a dead child process (good); a problem when it does so at once, with no backoff and no
    limit, on a check that runs often (to review when how often is not shown)."""
    for site in _source(given, SupervisorSite):
        details = {"how": site.how, "when": _when(site)}
        yield Hit("reliability.process-supervision", site=site, details=details)
        if site.limited:
            continue
        if site.tick is not None and site.tick <= TIGHT:
            yield Hit("reliability.respawn-without-backoff", site=site, details=details)
        else:
            yield Hit("reliability.respawn-without-backoff", site=site, details=details, confidence="likely",
                      confidence_reason=CALLER_DECIDES)  # fmt: skip


@register_probe("reliability.time-limit")
def time_limits(given: ProbeInput) -> Iterator[Hit]:
    for site in _source(given, TimeLimitSite):
        yield Hit("reliability.time-limit", site=site, details={"mechanism": site.mechanism})


@register_probe("reliability.heartbeat-ttl")
def heartbeats(given: ProbeInput) -> Iterator[Hit]:
    for site in _source(given, HeartbeatSite):
        yield Hit("reliability.heartbeat-ttl", site=site, details={"name": site.name, "how": site.how})


@register_probe("reliability.back-pressure")
def back_pressure(given: ProbeInput) -> Iterator[Hit]:
    for site in _source(given, BackPressureSite):
        yield Hit("reliability.back-pressure", site=site, details={"mechanism": site.mechanism})


@register_probe("reliability.exit-without-drain")
def exits_on_sigterm(given: ProbeInput) -> Iterator[Hit]:
    """SIGTERM handlers of a service that end the process at once (a command may stop however it likes)."""
    if given.project is not None and not given.project.is_service():
        return
    for site in _source(given, SignalExitSite):
        if "SIGTERM" in site.signals:
            yield Hit("reliability.exit-without-drain", site=site, details={"signals": "/".join(site.signals),
                                                                            "exit": site.exit_call})  # fmt: skip


@register_probe("reliability.unbounded-drain")
def unbounded_drains(given: ProbeInput) -> Iterator[Hit]:
    """Shutdown waits bounded by a setting that the service's own code defaults to None (no limit)."""
    unset = {s.name: s for s in _source(given, NoLimitDefaultSite)}
    for wait in _source(given, DrainWaitSite):
        default = unset.get(wait.setting) if wait.unbounded is None else None
        if wait.unbounded or default is not None:
            where = f"{default.path}:{default.line}" if default is not None else "its parameter's default"
            details = {"expression": wait.expression, "setting": wait.setting, "where": where}
            yield Hit("reliability.unbounded-drain", site=wait, details=details)
