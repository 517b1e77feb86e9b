"""Performance hazards in source files (tests are left to the ``tests.*`` rules)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from assess.model import Role
from assess.model.patterns import Site
from assess.patterns.performance import (
    BlockingCallSite,
    QueryInLoopSite,
    SyncDeliverySite,
    UnboundedCacheSite,
    UnpaginatedQuerySite,
)
from assess.probes import Hit, ProbeInput, register_probe

S = TypeVar("S", bound=Site)


def _in_source(given: ProbeInput, sites: Iterable[S]) -> Iterator[S]:
    return (s for s in sites if given.patterns.role_of(s.path) == Role.SOURCE)


@register_probe("performance.blocking-call-in-async")
def blocking_call_in_async(given: ProbeInput) -> Iterator[Hit]:
    for site in _in_source(given, given.patterns.of(BlockingCallSite)):
        yield Hit(
            "performance.blocking-call-in-async", site=site, details={"callee": site.callee, "context": site.context}
        )


@register_probe("performance.query-in-loop")
def query_in_loop(given: ProbeInput) -> Iterator[Hit]:
    for site in _in_source(given, given.patterns.of(QueryInLoopSite)):
        details = {"callee": site.callee, "loop_line": site.loop_line, "variable": site.variable}
        yield Hit("performance.query-in-loop", site=site, details=details)


@register_probe("performance.unbounded-cache")
def unbounded_cache(given: ProbeInput) -> Iterator[Hit]:
    for site in _in_source(given, given.patterns.of(UnboundedCacheSite)):
        yield Hit("performance.unbounded-cache", site=site, details={"name": site.name, "mechanism": site.mechanism})


@register_probe("performance.unpaginated-query")
def unpaginated_query(given: ProbeInput) -> Iterator[Hit]:
    for site in _in_source(given, given.patterns.of(UnpaginatedQuerySite)):
        yield Hit("performance.unpaginated-query", site=site, details={"api": site.api, "table": site.table})


@register_probe("performance.sync-event-delivery")
def sync_event_delivery(given: ProbeInput) -> Iterator[Hit]:
    for site in _in_source(given, given.patterns.of(SyncDeliverySite)):
        yield Hit(
            "performance.sync-event-delivery", site=site, details={"method": site.method, "handler": site.handler}
        )
