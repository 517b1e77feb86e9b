"""Performance hazards in source files (tests are left to the ``tests.*`` rules)."""

from __future__ import annotations

import re
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
from assess.probes.performance_paths import RequestPaths, Route

S = TypeVar("S", bound=Site)
UNREACHED = (
    "No request handler in the code is seen to call this coroutine: at start-up or shutdown it blocks nothing being "
    "served, in a background task it stalls every request while it runs."
)
FILE_BACKED = (
    "Each entry is read from a file, so the cache holds at most one entry per file on disk, unless callers can name "
    "any file: the code does not show which."
)
SMALL_TABLE = re.compile(
    r"^_?(settings?|config(uration)?s?|migrations?|schema_(version|migrations)|knex_migrations|_prisma_migrations"
    r"|feature_flags?|sqlite_master|sqlite_schema)$",
    re.IGNORECASE,
)
"""Tables that hold a handful of rows by design: a service's settings, its migration ledger, the schema."""


def _in_source(given: ProbeInput, sites: Iterable[S]) -> Iterator[S]:
    return (s for s in sites if given.patterns.role_of(s.path) == Role.SOURCE)


@register_probe("performance.blocking-call-in-async")
def blocking_call_in_async(given: ProbeInput) -> Iterator[Hit]:
    """Blocking calls on the request path of an event-loop server (a handler, or a function a handler calls).

    A Python coroutine that no handler is seen to call is reported as possible: at start-up it blocks nothing
    being served, in a background task it stalls every request. In JavaScript every function runs on the loop,
    start-up included, so only the request path says anything."""
    sites = list(_in_source(given, given.patterns.of(BlockingCallSite)))
    if not sites:
        return
    paths = RequestPaths(given)
    for site in sites:
        route = paths.route(site.path, site.owner_line)
        if route is not None:
            if (hit := _on_request_path(site, route)) is not None:
                yield hit
        elif site.language == "Python" and site.context == "async function":
            context = "inside an async function that no request handler in the code is seen to call"
            yield Hit("performance.blocking-call-in-async", site=site, details={"callee": site.callee,
                      "context": context}, confidence="possible", confidence_reason=UNREACHED)  # fmt: skip


def _on_request_path(site: BlockingCallSite, route: Route) -> Hit | None:
    """The finding for a blocking call a request reaches; None for one that stalls the loop once (a first-run
    route, a kept value, a file created when missing) or for microseconds (a stat, a directory entry). Those were
    shown "to review" once; on the tuned services not one of the 9 shown was a gap a reviewer would write."""
    if route.once or site.memoised or site.cost == "metadata":
        return None
    details = {"callee": site.callee, "context": f"on the request path ({route.describe()})"}
    return Hit("performance.blocking-call-in-async", site=site, details=details)


@register_probe("performance.query-in-loop")
def query_in_loop(given: ProbeInput) -> Iterator[Hit]:
    for site in _in_source(given, given.patterns.of(QueryInLoopSite)):
        details = {"callee": site.callee, "loop_line": site.loop_line, "variable": site.variable}
        yield Hit("performance.query-in-loop", site=site, details=details)


@register_probe("performance.unbounded-cache")
def unbounded_cache(given: ProbeInput) -> Iterator[Hit]:
    """Caches that only grow; one filled from files on disk holds at most one entry per file (possible)."""
    for site in _in_source(given, given.patterns.of(UnboundedCacheSite)):
        details = {"name": site.name, "mechanism": site.mechanism}
        if site.loads_files:
            yield Hit("performance.unbounded-cache", site=site, details=details, confidence="possible",
                      confidence_reason=FILE_BACKED)  # fmt: skip
        else:
            yield Hit("performance.unbounded-cache", site=site, details=details)


@register_probe("performance.unpaginated-query")
def unpaginated_query(given: ProbeInput) -> Iterator[Hit]:
    """Whole-table reads, except of a table that holds a handful of rows by design (settings, migrations)."""
    for site in _in_source(given, given.patterns.of(UnpaginatedQuerySite)):
        if not SMALL_TABLE.match(site.table.rsplit(".", 1)[-1].strip("`\"[]")):
            yield Hit("performance.unpaginated-query", site=site, details={"api": site.api, "table": site.table})


@register_probe("performance.sync-event-delivery")
def sync_event_delivery(given: ProbeInput) -> Iterator[Hit]:
    for site in _in_source(given, given.patterns.of(SyncDeliverySite)):
        yield Hit(
            "performance.sync-event-delivery", site=site, details={"method": site.method, "handler": site.handler}
        )
