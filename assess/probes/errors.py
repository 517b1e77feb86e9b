"""Error-handling probes: swallowed exceptions, swallowed startup failures, error hierarchies, causes, and the
Node.js ways to crash: process-level handlers that carry on, ``.catch()`` without a handler, sockets without an
``'error'`` listener."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from assess.model import Role
from assess.model.patterns import PatternsData
from assess.patterns.errors import PROBLEM_LEVELS, ExceptionClassSite, RaiseSite, SwallowSite
from assess.patterns.errors_express import ErrorMiddlewareSite
from assess.patterns.errors_node import CatchWithoutHandlerSite, ProcessHandlerSite, SocketSite
from assess.probes import Hit, ProbeInput, register_probe

ACTIONS = {"pass": "passes", "continue": "continues", "log": "only logs", "empty": "is empty"}
LOST = "the failure is lost and the caller believes the work succeeded"
UNEXPLAINED = "the log says that something failed but not what: the error itself is dropped"


def _source(data: PatternsData, path: str) -> bool:
    return data.role_of(path) == Role.SOURCE


@register_probe("errors.swallowed-exception", "errors.critical-init-swallowed")
def swallowed(given: ProbeInput) -> Iterator[Hit]:
    """Broad handlers that drop the error; any handler that swallows a critical startup failure.

    A broad handler that ignores the error is flagged unless a comment says why (``except Exception:  # best
    effort``) or the guarded code shows it is deliberate (an optional import, a fallback, an optional value,
    best-effort cleanup). One that logs is flagged only when it logs a failure (error or warning level) and drops
    the error itself: logging the error and carrying on records the failure, whether carrying on is right is the
    design's call, and a note at info or debug level says the author expects the failure.
    """
    for site in given.patterns.of(SwallowSite):
        if not _source(given.patterns, site.path):
            continue
        details = {"caught": site.caught, "action": ACTIONS[site.action], "call": site.critical_call or "",
                   "lost": UNEXPLAINED if site.action == "log" else LOST}  # fmt: skip
        if site.critical_call:
            yield Hit("errors.critical-init-swallowed", site=site, line=site.drop_line, end_line=site.drop_line,
                      details=details)  # fmt: skip
        elif site.broad and _drops(site):
            yield Hit("errors.swallowed-exception", site=site, details=details)


def _drops(site: SwallowSite) -> bool:
    """Whether a broad handler loses the error: ignores it with no sign that this is deliberate, or logs without it."""
    if site.action == "log":
        return not site.logs_error and site.log_level in PROBLEM_LEVELS
    return not site.explained and site.deliberate is None


def _family(language: str) -> str:
    return "Python" if language == "Python" else "script"


def _looks_like_exception(base: str, language: str) -> bool:
    if language == "Python":
        return base in {"Exception", "BaseException"} or base.endswith(("Error", "Exception", "Warning"))
    return base == "Error" or base.endswith(("Error", "Exception"))


def _descendants(name: str, children: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(children.get(name, []))
    while stack:
        child = stack.pop()
        if child not in seen and child != name:
            seen.add(child)
            stack.extend(children.get(child, []))
    return seen


def _hierarchies(sites: Iterable[ExceptionClassSite]) -> Iterator[Hit]:
    sites = list(sites)
    defined = {s.name for s in sites}
    children: dict[str, list[str]] = defaultdict(list)
    for s in sites:
        for base in s.bases:
            children[base].append(s.name)
    for s in sites:
        if any(b in defined for b in s.bases) or not any(_looks_like_exception(b, s.language) for b in s.bases):
            continue
        below = _descendants(s.name, children)
        if len(below) >= 2:
            details = {"name": s.name, "count": len(below), "examples": ", ".join(sorted(below)[:4])}
            yield Hit("errors.error-hierarchy", site=s, details=details)


@register_probe("errors.error-hierarchy")
def error_hierarchy(given: ProbeInput) -> Iterator[Hit]:
    """A project exception base class (bases outside the project) with at least two project subclasses."""
    groups: dict[str, list[ExceptionClassSite]] = defaultdict(list)
    for site in given.patterns.of(ExceptionClassSite):
        if _source(given.patterns, site.path):
            groups[_family(site.language)].append(site)
    for sites in groups.values():
        yield from _hierarchies(sites)


LOST_CAUSE = {"dropped": "neither its message nor its stack reaches the new error"}


@register_probe("errors.reraise-without-cause", "errors.exception-chaining")
def exception_causes(given: ProbeInput) -> Iterator[Hit]:
    """Chained causes (good); a JS/TS error thrown in a catch that keeps nothing of the caught one.

    Python needs no ``from`` for the original to survive (``__context__``), so only JS/TS is judged. A catch that
    reads its error elsewhere (logs it, tests its code) translates it on purpose, and one that takes no binding
    discards it on purpose: neither is flagged. Nor is a new error that carries the caught one's message, or one
    thrown where the guarded code only checks input (``JSON.parse``, ``new URL``): on the labelled services none of
    30 such throws was a gap a reviewer would write (10 false, 20 debatable), so they are not shown at all.
    """
    for site in given.patterns.of(RaiseSite):
        if not _source(given.patterns, site.path):
            continue
        details = {"exception": site.exception, "handler_line": site.handler_line or "",
                   "lost": LOST_CAUSE.get(site.original or "", "")}  # fmt: skip
        if site.cause == "chained":
            yield Hit("errors.exception-chaining", site=site, details=details)
        elif site.cause == "missing" and site.original == "dropped" and not site.parses:
            yield Hit("errors.reraise-without-cause", site=site, details=details)


def _continuing_handler(given: ProbeInput, event: str) -> ProcessHandlerSite | None:
    """A process-level handler for ``event`` in production code that does not exit, if any."""
    return next((s for s in given.patterns.of(ProcessHandlerSite)
                 if s.event == event and s.outcome != "exits" and given.production(s.path)), None)  # fmt: skip


@register_probe("errors.uncaught-exception-continues")
def process_handlers(given: ProbeInput) -> Iterator[Hit]:
    """``process.on('uncaughtException' | 'unhandledRejection')`` handlers that report the error and return.

    Carrying on after an uncaught exception is unsafe (Node's documentation says so); after an unhandled rejection
    the failed work has unwound, so carrying on is to review. A handler that calls code this file does not show
    may exit there: to review as well.
    """
    sites = [s for s in given.patterns.of(ProcessHandlerSite) if _source(given.patterns, s.path)]
    for site in sites:
        if site.outcome == "exits" or _also_uncaught(site, sites):
            continue
        both = any(s is not site and s.handler_line == site.handler_line and s.path == site.path for s in sites)
        details = {"event": f"{site.event}' and 'unhandledRejection" if both else site.event}
        if site.outcome == "unknown":
            yield Hit("errors.uncaught-exception-continues", site=site, details=details, confidence="possible",
                      confidence_reason=f"The handler calls {', '.join(site.calls[:3])}, which this file does not "
                      "show; whether that ends the process the code cannot tell.")  # fmt: skip
        elif site.event == "unhandledRejection":
            yield Hit("errors.uncaught-exception-continues", site=site, details=details, confidence="likely",
                      confidence_reason="A rejection that reaches this handler has already unwound the code that "
                      "failed; whether carrying on is safe depends on what was in flight, which the code does not "
                      "show.")  # fmt: skip
        else:
            yield Hit("errors.uncaught-exception-continues", site=site, details=details)


def _also_uncaught(site: ProcessHandlerSite, sites: list[ProcessHandlerSite]) -> bool:
    """An ``unhandledRejection`` registration of a function also registered for ``uncaughtException``: one policy,
    reported once, where the graver event is."""
    return site.event == "unhandledRejection" and site.handler_line is not None and any(
        s.event == "uncaughtException" and s.path == site.path and s.handler_line == site.handler_line for s in sites
    )


@register_probe("errors.catch-without-handler")
def catch_without_handler(given: ProbeInput) -> Iterator[Hit]:
    """``promise.catch()`` with no handler, as a statement: the rejection stays unhandled, which ends the process
    (Node 15+) unless a process-level ``unhandledRejection`` handler takes it (then it is only a log line)."""
    if _continuing_handler(given, "unhandledRejection") is not None:
        return
    for site in given.patterns.of(CatchWithoutHandlerSite):
        if _source(given.patterns, site.path):
            yield Hit("errors.catch-without-handler", site=site)


SOCKETS = {"accepted": "accepted connection", "connect": "outgoing connection", "datagram": "UDP socket"}


@register_probe("errors.socket-without-error-listener")
def socket_error_listener(given: ProbeInput) -> Iterator[Hit]:
    """Node sockets with no ``'error'`` listener: an error event nobody listens to is thrown."""
    handler = _continuing_handler(given, "uncaughtException")
    outcome = ("the process-level handler then carries on in an unknown state" if handler is not None
               else "the process ends")  # fmt: skip
    for site in given.patterns.of(SocketSite):
        if site.listens_error or not _source(given.patterns, site.path):
            continue
        details = {"what": SOCKETS[site.origin], "name": site.name, "outcome": outcome}
        if site.handed_to is not None:
            yield Hit("errors.socket-without-error-listener", site=site, details=details, confidence="possible",
                      confidence_reason=f"The socket is handed to {site.handed_to}, which may add the listener; "
                      "this file does not show it.")  # fmt: skip
        else:
            yield Hit("errors.socket-without-error-listener", site=site, details=details)


@register_probe("errors.central-error-handler", "errors.error-handler-before-routes")
def express_error_handlers(given: ProbeInput) -> Iterator[Hit]:
    """Express error middleware: good where it follows the routes of its app or router; a problem where every route
    of that receiver in the file comes after it (it then catches none of their errors). A handler only named like
    one (imported, its parameters unseen) is to review."""
    for site in given.patterns.of(ErrorMiddlewareSite):
        if not _source(given.patterns, site.path):
            continue
        details = {"receiver": site.receiver, "handler": site.handler, "first_route_line": site.first_route_line or ""}
        if site.first_route_line is not None and not site.routes_before:
            yield Hit("errors.error-handler-before-routes", site=site, details=details,
                      confidence=None if site.sure else "likely",
                      confidence_reason=None if site.sure else "The handler is imported and named like an error "
                      "handler; its four parameters are not in this file.")  # fmt: skip
        else:
            yield Hit("errors.central-error-handler", site=site, details=details)

