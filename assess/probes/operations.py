"""Operations probes: health checks, observability and graceful shutdown (deployment and operational readiness:
:mod:`assess.probes.operations_deploy`).

Claims about code are made only for the production source (tests may print, start servers and fake health
endpoints as they like). What a project needs depends on what it is (``given.project.kinds``): an HTTP service needs
a health endpoint; a network daemon or a worker needs a liveness signal (a health command, a heartbeat, a
supervisor), not an HTTP route; a library needs neither. Claims about something missing from the whole repository
("no health endpoint", "no metrics") are made only for a service. Without the project model, a service is a
project manifest plus code that builds a web application.

``print`` counts as logging in a source module that already has a logger and is not a command line
(argparse, click, typer ...), when it prints a message rather than data: a service's startup banner
("listening on ...") is an operational event and belongs in the structured log with a level, not
on stdout where log shippers and level filters never see it. In a service with no logger at all, the errors
it reports with ``print``, ``sys.stderr.write`` or ``console.error`` are its whole log, and are findings too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import TypeVar

from assess.model import Role
from assess.model.patterns import Site
from assess.patterns.operations import (
    HealthCommandSite,
    HealthEndpointSite,
    RootRouteSite,
    ServeSite,
    ServiceSite,
    SignalHandlerSite,
)
from assess.patterns.operations_docker import DockerImageSite
from assess.patterns.operations_observe import (
    LogFormatSite,
    LoggerSite,
    PrintLoggingSite,
    RequestIdSite,
    StructuredLoggingSite,
    TelemetrySite,
)
from assess.patterns.operations_repo import RepoFileSite
from assess.patterns.reliability_process import SignalExitSite
from assess.probes import Hit, ProbeInput, register_probe

S = TypeVar("S", bound=Site)
SERVICE_KINDS = ("http-service", "network-daemon", "worker")
KIND_NAMES = {"http-service": "HTTP service", "network-daemon": "network daemon", "worker": "queue worker"}
NO_LOGGER = ("reports an error on the console, and the service has no logger at all: its errors carry no level or "
             "time, and no log shipper or alert can tell them from ordinary output")  # fmt: skip
BESIDE_LOGGER = "writes an operational message to stdout in a module that has a logger, so it bypasses levels, " \
                "format and handlers"  # fmt: skip


def _source(given: ProbeInput, sites: Iterable[S]) -> Iterator[S]:
    """The sites in the project's production source (not tests, not developer tooling or examples)."""
    return (s for s in sites if given.patterns.role_of(s.path) == Role.SOURCE and given.production(s.path))


def _service(given: ProbeInput, kinds: tuple[str, ...] = ("http-service",)) -> str | None:
    """How the code serves (``Flask app``, ``express app``, ``worker``) when the project is one of ``kinds``;
    else None.

    With the project model: its kinds. Without it (unit tests): a manifest and a web application in the source.
    A bare ``serve_forever`` (a TCP or asyncio server) does not make an HTTP service by itself."""
    project = given.project
    if project is not None:
        kind = next((k for k in kinds if k in project.kinds), None)
        if kind is None:
            return None
        site = next(_source(given, given.patterns.of(ServiceSite)), None) if kind == "http-service" else None
        reason = next((r for r in project.kind_reasons if r.startswith(kind)), "")
        detail = site.how if site is not None else reason.split("(")[-1].rstrip(")") if "(" in reason else ""
        return ", ".join(part for part in (KIND_NAMES[kind], detail) if part)
    if not _files(given, "manifest"):
        return None
    site = next(_source(given, given.patterns.of(ServiceSite)), None)
    return site.how if site is not None else None


def deployed_here(given: ProbeInput) -> bool:
    """Whether the tree deploys the project (a Dockerfile command, a start script ...): not a package that others
    install and run their own way (the project model's ``library`` kind)."""
    return given.project is None or "library" not in given.project.kinds


def _files(given: ProbeInput, what: str) -> list[RepoFileSite]:
    return [s for s in given.patterns.of(RepoFileSite) if s.what == what]


# ---- Health Monitoring ----------------------------------------------------------------------------


def _module_of(path: str) -> str:
    """``server/routes/health.routes.js`` -> ``server/routes/health.routes`` (``x/index.ts`` -> ``x``)."""
    stem = str(PurePosixPath(path).with_suffix(""))
    return stem.removesuffix("/index")


def _mounted_root(given: ProbeInput, site: HealthEndpointSite) -> RootRouteSite | None:
    """The root route of the router ``site`` mounts from another module, when that module has exactly one."""
    if site.handler_module is None:
        return None
    roots = [r for r in _source(given, given.patterns.of(RootRouteSite)) if _module_of(r.path) == site.handler_module]
    return roots[0] if len(roots) == 1 else None


@register_probe("health.deep-check", "health.shallow-check")
def health_checks(given: ProbeInput) -> Iterator[Hit]:
    """A liveness endpoint is meant to be shallow: only health and readiness endpoints are judged. A router mounted
    at ``/health`` from another module is judged by its root route."""
    for site in _source(given, given.patterns.of(HealthEndpointSite)):
        judged: Site | None = site if site.deep is not None else _mounted_root(given, site)
        deep, checks = getattr(judged, "deep", None), getattr(judged, "checks", ())
        if judged is None or deep is None:
            continue
        if deep:
            yield Hit("health.deep-check", site=judged, details={"route": site.route, "checks": ", ".join(checks)})
        elif site.probe != "liveness":
            yield Hit("health.shallow-check", site=judged, details={"route": site.route})


@register_probe("health.command")
def health_commands(given: ProbeInput) -> Iterator[Hit]:
    """A daemon that answers a health command can be checked by a monitor, a proxy or a supervisor."""
    if given.project is not None and not given.project.is_service():
        return
    for site in _source(given, given.patterns.of(HealthCommandSite)):
        yield Hit("health.command", site=site, details={"command": site.command})


@register_probe("health.no-endpoint")
def no_health_endpoint(given: ProbeInput) -> Iterator[Hit]:
    """An HTTP service with no health route of its own and no library that serves one (express-actuator,
    terminus ...: ``assess/knowledge/libraries.toml``). When the image declares a HEALTHCHECK, the service is
    checked some other way (its home page, a script), and whether that is enough is to review."""
    service = _service(given)
    if not service or any(_source(given, given.patterns.of(HealthEndpointSite))) or given.provider("health_endpoint"):
        return
    checked = [s for s in given.patterns.of(DockerImageSite) if s.healthcheck_line and given.production(s.path)]
    if checked:
        yield Hit("health.no-endpoint", details={"service": service}, confidence="possible",
                  confidence_reason=f"the image's HEALTHCHECK ({checked[0].path}:{checked[0].healthcheck_line}) "
                  "checks the service some other way")  # fmt: skip
    else:
        yield Hit("health.no-endpoint", details={"service": service})


# ---- Observability ------------------------------------------------------------------------------


def _has_logger(given: ProbeInput) -> bool:
    return any(_source(given, given.patterns.of(LoggerSite)))


def _logs(path: str) -> bool:
    """Whether console output at ``path`` is the service's log: a migration's is the output of the command that
    runs it (``knex migrate``, ``alembic upgrade``)."""
    return not {"migrations", "migration", "alembic"} & set(PurePosixPath(path).parts[:-1])


@register_probe(
    "observability.structured-logging", "observability.print-logging", "observability.metrics",
    "observability.tracing", "observability.request-id", "observability.log-format-without-level",
)  # fmt: skip
def observability(given: ProbeInput) -> Iterator[Hit]:
    """Console writes beside a logger always; error reports without one only in a service with no logger."""
    loggerless_service = _service(given, SERVICE_KINDS) is not None and not _has_logger(given)
    for site in _source(given, given.patterns.sites):
        if isinstance(site, StructuredLoggingSite):
            yield Hit("observability.structured-logging", site=site, details={"library": site.library})
        elif isinstance(site, PrintLoggingSite) and (site.has_logger or (loggerless_service and _logs(site.path))):
            what = BESIDE_LOGGER if site.has_logger else NO_LOGGER
            yield Hit("observability.print-logging", site=site, details={"call": site.call, "what": what})
        elif isinstance(site, TelemetrySite):
            yield Hit(f"observability.{site.signal}", site=site, details={"library": site.library})
        elif isinstance(site, RequestIdSite):
            yield Hit("observability.request-id", site=site, details={"header": site.header})
        elif isinstance(site, LogFormatSite):
            yield Hit("observability.log-format-without-level", site=site, details={"format": site.format})


@register_probe("observability.no-metrics")
def no_metrics(given: ProbeInput) -> Iterator[Hit]:
    """An HTTP service or a queue worker with no metrics of its own and no library that exports them."""
    service = _service(given, ("http-service", "worker"))
    metrics = [s for s in _source(given, given.patterns.of(TelemetrySite)) if s.signal == "metrics"]
    if service and not metrics and not given.provider("metrics"):
        yield Hit("observability.no-metrics", details={"service": service})


# ---- Graceful shutdown --------------------------------------------------------------------------


@register_probe("shutdown.signal-handler", "shutdown.no-signal-handler")
def graceful_shutdown(given: ProbeInput) -> Iterator[Hit]:
    """SIGTERM handled anywhere in the source covers every server; SIGINT alone (Ctrl-C) does not."""
    handlers = [s for s in _source(given, given.patterns.of(SignalHandlerSite)) if "SIGTERM" in s.signals]
    exits = {(s.path, s.line) for s in given.patterns.of(SignalExitSite)}
    for handler in handlers:
        if (handler.path, handler.line) in exits:
            continue  # it exits at once, draining nothing: reliability.exit-without-drain says so
        details = {"signals": "/".join(handler.signals), "mechanism": handler.mechanism}
        yield Hit("shutdown.signal-handler", site=handler, details=details)
    if handlers or given.provider("graceful_shutdown"):
        return  # a library that drains on SIGTERM (http-graceful-shutdown, terminus, a server that does it itself)
    for serve in _source(given, given.patterns.of(ServeSite)):
        if not serve.handles_signals:
            yield Hit("shutdown.no-signal-handler", site=serve, details={"how": serve.how})
