"""Reliability and dependency-resilience probes: claims about the sites in :mod:`assess.patterns.reliability`.

Only source files are judged: a test that calls ``requests.get`` without a timeout or retries in a loop is
not the service's behaviour.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from assess.model import Role
from assess.model.patterns import Site
from assess.patterns.reliability import (
    BreakerSite,
    BulkheadSite,
    DbClientSite,
    DependencyCallSite,
    HttpCallSite,
    PostHandlerSite,
    RateLimiterSite,
    RetrySite,
)
from assess.probes import Hit, ProbeInput, register_probe

T = TypeVar("T", bound=Site)
GROWING = {"exponential", "linear"}


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
    return "without waiting between attempts" if site.backoff == "none" else "after a fixed delay"


def _at_delay(rule: str, site: RetrySite, details: dict[str, object]) -> Hit:
    """A hit on the line where the wait is computed (the loop itself when there is no wait)."""
    if site.delay_line is None:
        return Hit(rule, site=site, details=details)
    return Hit(rule, site=site, line=site.delay_line, end_line=site.delay_line, snippet=site.delay_snippet,
               details=details)  # fmt: skip


@register_probe(
    "reliability.retry-with-backoff",
    "reliability.retry-without-jitter",
    "reliability.retry-unbounded",
    "reliability.retry-without-backoff",
)
def retries(given: ProbeInput) -> Iterator[Hit]:
    """Each retry: unbounded, no backoff, no jitter (at the delay), or bounded with backoff (good)."""
    for site in _source(given, RetrySite):
        details: dict[str, object] = {"mechanism": _mechanism(site), "backoff": site.backoff, "jitter": site.jitter}
        if site.bounded is False:
            yield Hit("reliability.retry-unbounded", site=site, details={**details, "reason": _unbounded_reason(site)})
        if site.backoff in GROWING and site.bounded:
            yield Hit("reliability.retry-with-backoff", site=site, details=details)
        if site.backoff in GROWING and site.jitter is False:
            yield _at_delay("reliability.retry-without-jitter", site, details)
        if site.backoff in {"none", "fixed"}:
            yield _at_delay("reliability.retry-without-backoff", site, {**details, "wait": _wait(site)})


@register_probe("reliability.circuit-breaker", "reliability.no-circuit-breaker")
def circuit_breakers(given: ProbeInput) -> Iterator[Hit]:
    """Each breaker (good); or, once, at the first outbound HTTP call of a repository with no breaker at all."""
    found = _source(given, BreakerSite)
    for site in found:
        yield Hit("reliability.circuit-breaker", site=site, details={"mechanism": site.mechanism})
    calls = _source(given, HttpCallSite)
    if calls and not found:
        first = calls[0]
        yield Hit("reliability.no-circuit-breaker", site=first, details={"count": len(calls), "callee": first.callee})


HTTP_REASONS = {
    ("missing", "requests"): "is called without a timeout: requests waits for ever on a hung server",
    ("missing", "urllib"): "is called without a timeout: it waits for ever on a hung server",
    ("missing", "http.client"): "is created without a timeout: it waits for ever on a hung server",
    ("missing", "aiohttp"): "is created without a timeout: aiohttp's default lets a call hang for 5 minutes",
    ("missing", "fetch"): "is called without an abort signal: fetch has no timeout of its own",
    ("missing", "axios"): "is called without a timeout: axios waits for ever by default (timeout 0)",
}


@register_probe("reliability.http-no-timeout")
def http_without_timeout(given: ProbeInput) -> Iterator[Hit]:
    """HTTP calls with no timeout (requests, urllib, aiohttp, fetch, axios) or with the timeout switched off."""
    for site in _source(given, HttpCallSite):
        if site.timeout == "disabled":
            reason = "is called with timeout=None, which switches the client's timeout off"
        elif site.timeout == "missing":
            reason = HTTP_REASONS.get(("missing", site.client), "is called without a timeout")
        else:
            continue
        yield Hit("reliability.http-no-timeout", site=site, details={"callee": site.callee, "reason": reason})


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


@register_probe("reliability.in-memory-rate-limit")
def in_memory_rate_limits(given: ProbeInput) -> Iterator[Hit]:
    for site in _source(given, RateLimiterSite):
        if site.store == "memory":
            yield Hit("reliability.in-memory-rate-limit", site=site, details={"name": site.name})


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
