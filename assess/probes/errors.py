"""Error-handling probes: swallowed exceptions, swallowed startup failures, error hierarchies, causes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from assess.model import Role
from assess.model.patterns import PatternsData
from assess.patterns.errors import ExceptionClassSite, RaiseSite, SwallowSite
from assess.probes import Hit, ProbeInput, register_probe

ACTIONS = {"pass": "passes", "continue": "continues", "log": "only logs", "empty": "is empty"}


def _source(data: PatternsData, path: str) -> bool:
    return data.role_of(path) == Role.SOURCE


@register_probe("errors.swallowed-exception", "errors.critical-init-swallowed")
def swallowed(given: ProbeInput) -> Iterator[Hit]:
    """Broad handlers that pass or only log; any handler that swallows a critical startup failure.

    A handler that ignores the error with a comment saying why (``except Exception:  # best effort``)
    is deliberate, like a narrow ``except KeyError: pass``; one that only logs is still flagged.
    """
    for site in given.patterns.of(SwallowSite):
        if not _source(given.patterns, site.path):
            continue
        details = {"caught": site.caught, "action": ACTIONS[site.action], "call": site.critical_call or ""}
        if site.critical_call:
            yield Hit("errors.critical-init-swallowed", site=site, line=site.drop_line, end_line=site.drop_line,
                      details=details)  # fmt: skip
        elif site.broad and not (site.explained and site.action != "log"):
            yield Hit("errors.swallowed-exception", site=site, details=details)


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


@register_probe("errors.reraise-without-cause", "errors.exception-chaining")
def exception_causes(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(RaiseSite):
        if not _source(given.patterns, site.path):
            continue
        details = {"exception": site.exception, "handler_line": site.handler_line or ""}
        if site.cause == "chained":
            yield Hit("errors.exception-chaining", site=site, details=details)
        elif site.cause == "missing":
            yield Hit("errors.reraise-without-cause", site=site, details=details)
