"""What the project is (service, daemon, worker, CLI, library), what it is built on, and how each of its
production modules runs."""

from __future__ import annotations

from collections.abc import Iterable

from assess.knowledge import knowledge, matches
from assess.model.patterns import PatternsData
from assess.model.project import Concurrency, EntryPoint, ProjectKind
from assess.patterns.operations import ServeSite, ServiceSite
from assess.patterns.runtime import RuntimeSite
from assess.project.sources import STARTING

EVENT_LOOP_LANGUAGES = frozenset({"JavaScript", "TypeScript"})


def _where(site: object) -> str:
    return f"{getattr(site, 'path', '?')}:{getattr(site, 'line', '?')}"


def project_kinds(
    patterns: PatternsData, production: set[str], points: Iterable[EntryPoint]
) -> tuple[tuple[ProjectKind, ...], tuple[str, ...]]:
    """(kinds, why each) from the production code's sites and the entry points."""
    points = tuple(points)
    found: dict[ProjectKind, str] = {}
    apps = [s for s in patterns.of(ServiceSite) if s.path in production]
    serves = [s for s in patterns.of(ServeSite) if s.path in production]
    if apps:
        found["http-service"] = f"a web application is built at {_where(apps[0])} ({apps[0].how})"
    elif serves:
        found["http-service"] = f"it serves its application over HTTP at {_where(serves[0])} ({serves[0].how})"
    runtime = [s for s in patterns.of(RuntimeSite) if s.path in production]
    listens = [s for s in runtime if s.facet == "listen"]
    raw = {s.path for s in listens if s.detail in knowledge().udp_tcp_calls}
    if "http-service" in found and not apps and all(s.path in raw for s in serves):  # net.createServer().listen
        del found["http-service"]
    if "http-service" not in found and listens:
        found["network-daemon"] = f"it listens for connections itself at {_where(listens[0])} ({listens[0].detail})"
    consumers = [s for s in runtime if s.facet == "consume"]
    if consumers:
        found["worker"] = f"it consumes a queue at {_where(consumers[0])} ({consumers[0].detail})"
    clis = [p for p in points if p.how in ("console-script", "package-bin")]
    if clis:
        found["cli"] = f"it installs the command {clis[0].name!r} ({clis[0].declared_at})"
    deployed = [p for p in points if p.how in STARTING and p.file]  # a compose file's redis-server is not this
    if not deployed:
        found["library"] = "nothing in the tree deploys it as a process (no Dockerfile command, Procfile, " \
                           "compose command or start script): it is used by other code"  # fmt: skip
    order: tuple[ProjectKind, ...] = ("http-service", "network-daemon", "worker", "cli", "library")
    kinds = tuple(k for k in order if k in found)
    return kinds, tuple(f"{k}: {found[k]}" for k in kinds)


def frameworks(patterns: PatternsData, production: set[str]) -> tuple[str, ...]:
    """The web frameworks and queue libraries the production code imports."""
    k = knowledge()
    names = k.http_frameworks + k.worker_libraries
    found = {n for f in patterns.files if f.path in production for m in f.imports for n in names if matches(m, [n])}
    return tuple(sorted(found))


def concurrency_of(patterns: PatternsData, production: set[str]) -> dict[str, Concurrency]:
    """Production module -> how its code runs; modules that show no concurrency are left out (sequential)."""
    facets: dict[str, set[str]] = {}
    for site in patterns.of(RuntimeSite):
        if site.path in production:
            facets.setdefault(site.path, set()).add(site.facet)
    for f in patterns.files:
        if f.path in production and f.language in EVENT_LOOP_LANGUAGES:
            facets.setdefault(f.path, set()).add("asyncio")
    out: dict[str, Concurrency] = {}
    for path, seen in sorted(facets.items()):
        model = _model(seen)
        if model != "sequential":
            out[path] = model
    return out


def _model(facets: set[str]) -> Concurrency:
    loop, threads = "asyncio" in facets, "threads" in facets
    if loop and threads:
        return "event-loop+threads"
    if loop:
        return "event-loop"
    if threads:
        return "threads"
    return "processes" if "processes" in facets else "sequential"
