"""Concurrency hazards in source files: unguarded state, check-then-act races, shared module state."""

from __future__ import annotations

from collections.abc import Iterator

from assess.model import Role
from assess.patterns.concurrency import CheckThenActSite, SharedStateSite, StateOutsideLockSite
from assess.probes import Hit, ProbeInput, register_probe


def _source(given: ProbeInput, path: str) -> bool:
    return given.patterns.role_of(path) == Role.SOURCE


@register_probe("concurrency.state-outside-lock")
def state_outside_lock(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(StateOutsideLockSite):
        if _source(given, site.path):
            details = {
                "owner": site.owner,
                "attribute": site.attribute,
                "lock": site.lock,
                "guarded_in": site.guarded_in,
            }
            yield Hit("concurrency.state-outside-lock", site=site, details=details)


@register_probe("concurrency.check-then-act")
def check_then_act(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(CheckThenActSite):
        if _source(given, site.path):
            details = {"subject": site.subject, "check": site.check, "act": site.act, "act_line": site.act_line}
            yield Hit("concurrency.check-then-act", site=site, details=details)


@register_probe("concurrency.shared-module-state")
def shared_module_state(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(SharedStateSite):
        if _source(given, site.path):
            yield Hit(
                "concurrency.shared-module-state", site=site, details={"name": site.name, "threads": site.threads}
            )
