"""Data-durability probes about writes: transactions, and writes that each commit on their own.

A multi-step write is judged in context, across files:

- a function whose writes a caller's transaction covers (Django's implicit ``atomic``, or a handle the caller
  passes in) is not confirmed when some caller runs it inside a transaction: whether every caller does, the code
  does not show;
- writes that only delete are left to review: running the operation again completes them;
- a function that calls other modules' functions named like writes (``query.link.update()``) is resolved against
  the functions that do write (``update`` in ``link.queries.js``): two or more such steps, or one with a direct
  write, outside a transaction are a multi-step write, at the ``Promise.all`` that runs them when one does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from assess.model import Role
from assess.model.patterns import PatternsData, Site
from assess.patterns.durability_sites import MultiWriteSite, TransactionSite, TxCallSite, WriterSite, WriteStepsSite
from assess.probes import Hit, ProbeInput, register_probe

MULTI = "durability.multi-step-write-outside-transaction"
ROLES = {"open": "opens a transaction", "commit": "commits a transaction", "write": "runs in a transaction",
         "script": "is the first write of a script"}  # fmt: skip
LAYER = re.compile(r"(services?|repositor(y|ies)|repo|queries|query|models?|dao|stores?|handlers?|controllers?|"
                   r"managers?)$")  # fmt: skip


def _source(data: PatternsData, site: Site) -> bool:
    return data.role_of(site.path) in (Role.SOURCE, None)


def module_key(name: str) -> str:
    """A module or receiver name without its layer's word: ``link.queries`` / ``query.link`` / ``linkService`` ->
    ``link``."""
    flat = re.sub(r"[^a-z0-9]", "", name.lower())
    return LAYER.sub("", flat) or flat


@register_probe("durability.transaction", MULTI)
def transactions(given: ProbeInput) -> Iterator[Hit]:
    data = given.patterns
    for site in data.of(TransactionSite):
        if _source(data, site):
            details = {"what": ROLES[site.role], "how": site.how, "writes": site.writes, "line": site.open_line}
            yield Hit("durability.transaction", site=site, details=details)
    callers: dict[str, TxCallSite] = {}
    for call in data.of(TxCallSite):
        if _source(data, call) and (call.passes_handle or call.callee not in callers):
            callers[call.callee] = call
    for multi in data.of(MultiWriteSite):
        if _source(data, multi):
            yield _multi_write(multi, callers)
    yield from _write_steps(given)


MIGRATION_FILE = re.compile(r"(^|/)(migrations?|migrate)/(versions/)?[^/]*\d[^/]*\.(js|ts|cjs|mjs|py)$")
"""A numbered schema migration (``migrations/1702667624000-rename.js``, ``alembic/versions/ab12_add.py``)."""


def _multi_write(multi: MultiWriteSite, callers: dict[str, TxCallSite]) -> Hit:
    name = (multi.function or "").rsplit(".", 1)[-1]
    details = {"write": multi.write, "what": _what(multi, name)}
    if MIGRATION_FILE.search(multi.path):
        reason = ("a schema migration runs once per database, when it is upgraded; whether its runner wraps each "
                  "migration in a transaction (knex and Alembic on PostgreSQL do) is the runner's configuration")
        return Hit(MULTI, site=multi, details=details, confidence="possible", confidence_reason=reason)
    caller = callers.get(name) if name else None
    covered = caller is not None and (
        multi.covered_by_caller == "always" or (multi.covered_by_caller == "if-passed" and caller.passes_handle)
    )
    if covered and caller is not None:
        reason = (f"{caller.path}:{caller.line} calls {name}() inside a transaction ({caller.how}); whether every "
                  "caller does, the code does not show")  # fmt: skip
        return Hit(MULTI, site=multi, details=details, confidence="possible", confidence_reason=reason)
    if multi.deletes_only:
        reason = ("every write deletes (or detaches rows before a delete): running the operation again completes it; "
                  "whether the half-done state harms in between, the code does not show")  # fmt: skip
        return Hit(MULTI, site=multi, details=details, confidence="possible", confidence_reason=reason)
    return Hit(MULTI, site=multi, details=details)


def _what(multi: MultiWriteSite, name: str) -> str:
    """What happens to the write, for the message."""
    if multi.bypassed:
        return (f"{multi.reason}, although {name}() is given {multi.bypassed!r} and never uses it: it commits at "
                "once, outside the caller's transaction, and stays when that transaction fails")  # fmt: skip
    if multi.gathered:
        return (f"and {multi.writes - 1} other write(s) run through Promise.all here with no transaction: when "
                "one fails the others stay done, and the data is half-updated")  # fmt: skip
    return (f"commits separately from the write at line {multi.first_line} ({multi.reason}): a crash or error "
            "between them leaves the data half-updated")  # fmt: skip


def _write_steps(given: ProbeInput) -> Iterator[Hit]:
    data = given.patterns
    writers = {(module_key(s.module), s.name) for s in data.of(WriterSite) if _source(data, s)}
    for site in data.of(WriteStepsSite):
        if not _source(data, site):
            continue
        resolved = [(line, f"{receiver}.{name}()", gather) for line, receiver, name, gather in site.steps
                    if (module_key(receiver.rsplit(".", 1)[-1]), name) in writers]  # fmt: skip
        steps = sorted(resolved + [(line, what, gather) for line, gather, what in site.direct])
        if not resolved or len(steps) < 2:
            continue
        gathers = {gather for _, _, gather in steps}
        together = next(iter(gathers)) if len(gathers) == 1 and 0 not in gathers else 0
        line = together or steps[1][0]
        write = steps[0][1] if together else steps[1][1]
        multi = MultiWriteSite(
            path=site.path, line=line, end_line=line, language=site.language, snippet=dict(site.texts).get(line, ""),
            function=site.function, first_line=steps[0][0], write=write, reason="each commits on its own",
            writes=len(steps), gathered=bool(together),
        )  # fmt: skip
        yield Hit(MULTI, site=multi, details={"write": write, "what": _what(multi, "")})
