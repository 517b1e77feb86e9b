"""Concurrency hazards in source files: unguarded state, check-then-act races, shared module state.

A race needs two callers at once. With the project model, a module's concurrency (``project.concurrency``) says
whether anything runs beside its code: only coroutines (which switch at ``await``) in an event-loop module without
threads; nothing in a sequential module of a command or a library (in a service, the server that runs the module
may run it on several threads without the module showing it). Code that runs at start-up or exit usually has no
second caller; whether it has one there is what the code cannot show, so such findings are left to review.
"""

from __future__ import annotations

from collections.abc import Iterator

from assess.model import Role
from assess.patterns.concurrency import CheckThenActSite, SharedStateSite, StateOutsideLockSite
from assess.probes import Hit, ProbeInput, register_probe

ONE_LOOP = "event-loop"
PHASE_REASON = (
    "It runs {when}, when usually no other thread or process uses {subject} yet or any more; whether one does is "
    "not in the code."
)
OTHER_PROCESS = (
    "Nothing else in this process runs between the check and the act (one event loop, no await between them): only "
    "another process sharing the path could race, and the code does not show whether several run."
)


def _source(given: ProbeInput, path: str) -> bool:
    return given.patterns.role_of(path) == Role.SOURCE


def _concurrency(given: ProbeInput, path: str) -> str | None:
    """How the module runs (``event-loop``, ``threads`` ...), ``sequential``, or None without a project model."""
    if given.project is None:
        return None
    return given.project.concurrency.get(path, "sequential")


def _when(phase: str) -> str:
    return {"constructor": "when the object is made", "exit": "at exit"}.get(phase, "at start-up")


@register_probe("concurrency.state-outside-lock")
def state_outside_lock(given: ProbeInput) -> Iterator[Hit]:
    """Changes outside the lock that guards the attribute elsewhere. On one event loop (an asyncio lock, or a module
    that runs no threads) the change races only if a coroutine can be suspended in the middle of an update."""
    for site in given.patterns.of(StateOutsideLockSite):
        if not _source(given, site.path):
            continue
        one_loop = site.lock_kind == "asyncio" or _concurrency(given, site.path) == ONE_LOOP
        if one_loop and not site.suspends:
            continue
        details = {"owner": site.owner, "attribute": site.attribute, "lock": site.lock, "guarded_in": site.guarded_in}
        if site.phase is None:
            yield Hit("concurrency.state-outside-lock", site=site, details=details)
        else:
            reason = PHASE_REASON.format(when=_when(site.phase), subject=f"the {site.owner}")
            yield Hit("concurrency.state-outside-lock", site=site, details=details, confidence="possible",
                      confidence_reason=reason)  # fmt: skip


@register_probe("concurrency.check-then-act")
def check_then_act(given: ProbeInput) -> Iterator[Hit]:
    """Check-then-act where something can run between the check and the act; left to review at start-up and exit,
    and for a file on a single-threaded loop (only another process could change it then)."""
    for site in given.patterns.of(CheckThenActSite):
        if not _source(given, site.path):
            continue
        runs = _concurrency(given, site.path)
        on_file = site.check != "key lookup"
        if runs == "sequential" and on_file and given.project is not None and not given.project.is_service():
            continue  # a command or library module that runs nothing beside it (a service's server may, unseen)
        alone = not site.awaits and (runs == ONE_LOOP or (runs is None and site.coroutine))
        if alone and not on_file:
            continue  # a dict lives in this process, where nothing runs between the check and the act
        details = {"subject": site.subject, "check": site.check, "act": site.act, "act_line": site.act_line}
        if site.phase is not None:
            reason = PHASE_REASON.format(when=_when(site.phase), subject=site.subject)
            yield Hit("concurrency.check-then-act", site=site, details=details, confidence="possible",
                      confidence_reason=reason)  # fmt: skip
        elif alone:
            yield Hit("concurrency.check-then-act", site=site, details=details, confidence="possible",
                      confidence_reason=OTHER_PROCESS)  # fmt: skip
        else:
            yield Hit("concurrency.check-then-act", site=site, details=details)


@register_probe("concurrency.shared-module-state")
def shared_module_state(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(SharedStateSite):
        if _source(given, site.path):
            yield Hit(
                "concurrency.shared-module-state", site=site, details={"name": site.name, "threads": site.threads}
            )
