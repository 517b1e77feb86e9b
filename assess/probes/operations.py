"""Operations probes: health checks, observability, graceful shutdown and operational readiness.

Claims about code are made only for source files (tests may print, start servers and fake
health endpoints as they like). Claims about something missing from the whole repository
("no health endpoint", "no metrics", "no runbooks", "no lock file", "no Dockerfile") are made only
for a deployable service: a project manifest, and source code that builds a web application or
starts a server. A library or a folder of scripts gets none of them. "No CI" needs only a manifest.

``print`` counts as logging in a source module that already has a logger and is not a command line
(argparse, click, typer ...), when it prints a message rather than data: a service's startup banner
("listening on ...") is an operational event and belongs in the structured log with a level, not
on stdout where log shippers and level filters never see it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import TypeVar

from assess.model import Role
from assess.model.patterns import Site
from assess.patterns.operations import (
    HealthEndpointSite,
    PrintLoggingSite,
    RequestIdSite,
    ServeSite,
    ServiceSite,
    SignalHandlerSite,
    StructuredLoggingSite,
    TelemetrySite,
)
from assess.patterns.operations_config import (
    AlertingSite,
    CiSite,
    DockerImageSite,
    K8sContainerSite,
    K8sManifestSite,
    RepoFileSite,
)
from assess.probes import Hit, ProbeInput, register_probe

CONFIG_LANGUAGES = frozenset({"YAML", "JSON", "TOML"})
JSONC = re.compile(
    r"(^|/)(tsconfig[^/]*|jsconfig[^/]*|\.eslintrc[^/]*|devcontainer)\.json$|(^|/)\.(vscode|devcontainer)/"
)
LINE = re.compile(r"line (\d+)")
YAML_MARK = re.compile(r'\s*in "<unicode string>", line \d+, column \d+:.*?\^')
"""PyYAML's position marks, which echo the source line: the finding already has the line."""


S = TypeVar("S", bound=Site)


def _source(given: ProbeInput, sites: Iterable[S]) -> Iterator[S]:
    """The sites in the project's production source (not tests, not developer tooling or examples)."""
    return (s for s in sites if given.patterns.role_of(s.path) == Role.SOURCE and given.production(s.path))


def _service(given: ProbeInput) -> str | None:
    """How the code serves HTTP (``Flask app``, ``express app``) when it is a deployable service; else None.

    With the project model: the project is an HTTP service (an application, not a server library or a daemon
    speaking another protocol). Without it: a manifest and a web application in the source. A bare
    ``serve_forever`` (a TCP or asyncio server) does not make an HTTP service by itself."""
    project = given.project
    if project is not None:
        if "http-service" not in project.kinds:
            return None
        reason = next((r for r in project.kind_reasons if r.startswith("http-service")), "")
        site = next(_source(given, given.patterns.of(ServiceSite)), None)
        return site.how if site is not None else reason.split("(")[-1].rstrip(")") or "HTTP service"
    if not _files(given, "manifest"):
        return None
    site = next(_source(given, given.patterns.of(ServiceSite)), None)
    return site.how if site is not None else None


def _files(given: ProbeInput, what: str) -> list[RepoFileSite]:
    return [s for s in given.patterns.of(RepoFileSite) if s.what == what]


# ---- Health Monitoring ----------------------------------------------------------------------------


@register_probe("health.deep-check", "health.shallow-check")
def health_checks(given: ProbeInput) -> Iterator[Hit]:
    """A liveness endpoint is meant to be shallow: only health and readiness endpoints are judged."""
    for site in _source(given, given.patterns.of(HealthEndpointSite)):
        if site.deep:
            yield Hit("health.deep-check", site=site, details={"route": site.route, "checks": ", ".join(site.checks)})
        elif site.deep is False and site.probe != "liveness":
            yield Hit("health.shallow-check", site=site, details={"route": site.route})


@register_probe("health.no-endpoint")
def no_health_endpoint(given: ProbeInput) -> Iterator[Hit]:
    """An HTTP service with no health route of its own and no library that serves one (express-actuator,
    terminus ...: ``assess/knowledge/libraries.toml``)."""
    service = _service(given)
    if service and not any(_source(given, given.patterns.of(HealthEndpointSite))) and not given.provider(
        "health_endpoint"
    ):
        yield Hit("health.no-endpoint", details={"service": service})


@register_probe("health.dockerfile-healthcheck", "health.dockerfile-no-healthcheck")
def dockerfile_healthcheck(given: ProbeInput) -> Iterator[Hit]:
    """An image that starts something and serves (EXPOSE, or the code is a service) should say how to check it."""
    serves = _service(given) is not None
    for site in given.patterns.of(DockerImageSite):
        if site.healthcheck_line is not None:
            yield Hit("health.dockerfile-healthcheck", path=site.path, line=site.healthcheck_line,
                      snippet=site.healthcheck_text, details={"path": site.path})  # fmt: skip
        elif site.runnable and (site.exposes or serves):
            yield Hit("health.dockerfile-no-healthcheck", path=site.path, line=site.start_line,
                      snippet=site.start_text, details={"path": site.path})  # fmt: skip


@register_probe("health.k8s-probes", "health.k8s-no-probes")
def k8s_probes(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(K8sContainerSite):
        details = {"container": site.container, "workload": site.workload, "probes": ", ".join(site.probes)}
        if {"livenessProbe", "readinessProbe"} & set(site.probes):
            yield Hit("health.k8s-probes", site=site, details=details)
        else:
            yield Hit("health.k8s-no-probes", site=site, details=details)


# ---- Observability ------------------------------------------------------------------------------


@register_probe(
    "observability.structured-logging", "observability.print-logging", "observability.metrics",
    "observability.tracing", "observability.request-id",
)  # fmt: skip
def observability(given: ProbeInput) -> Iterator[Hit]:
    for site in _source(given, given.patterns.sites):
        if isinstance(site, StructuredLoggingSite):
            yield Hit("observability.structured-logging", site=site, details={"library": site.library})
        elif isinstance(site, PrintLoggingSite):
            yield Hit("observability.print-logging", site=site, details={"call": site.call})
        elif isinstance(site, TelemetrySite):
            yield Hit(f"observability.{site.signal}", site=site, details={"library": site.library})
        elif isinstance(site, RequestIdSite):
            yield Hit("observability.request-id", site=site, details={"header": site.header})


@register_probe("observability.no-metrics")
def no_metrics(given: ProbeInput) -> Iterator[Hit]:
    service = _service(given)
    metrics = [s for s in _source(given, given.patterns.of(TelemetrySite)) if s.signal == "metrics"]
    if service and not metrics and not given.provider("metrics"):
        yield Hit("observability.no-metrics", details={"service": service})


# ---- Graceful shutdown --------------------------------------------------------------------------


@register_probe("shutdown.signal-handler", "shutdown.no-signal-handler")
def graceful_shutdown(given: ProbeInput) -> Iterator[Hit]:
    """SIGTERM handled anywhere in the source covers every server; SIGINT alone (Ctrl-C) does not."""
    handlers = [s for s in _source(given, given.patterns.of(SignalHandlerSite)) if "SIGTERM" in s.signals]
    for handler in handlers:
        details = {"signals": "/".join(handler.signals), "mechanism": handler.mechanism}
        yield Hit("shutdown.signal-handler", site=handler, details=details)
    if handlers or given.provider("graceful_shutdown"):
        return  # a library that drains on SIGTERM (http-graceful-shutdown, terminus, a server that does it itself)
    for serve in _source(given, given.patterns.of(ServeSite)):
        if not serve.handles_signals:
            yield Hit("shutdown.no-signal-handler", site=serve, details={"how": serve.how})


# ---- Operational Readiness ----------------------------------------------------------------------


@register_probe("ops.dockerfile", "ops.no-dockerfile")
def dockerfile(given: ProbeInput) -> Iterator[Hit]:
    images = given.patterns.of(DockerImageSite)
    for site in images:
        yield Hit("ops.dockerfile", site=site, details={"path": site.path})
    if not images and (service := _service(given)):
        yield Hit("ops.no-dockerfile", details={"service": service})


@register_probe("ops.k8s-manifests")
def k8s_manifests(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(K8sManifestSite):
        yield Hit("ops.k8s-manifests", site=site, details={"what": site.what})


@register_probe("ops.ci-workflow", "ops.no-ci")
def ci(given: ProbeInput) -> Iterator[Hit]:
    pipelines = given.patterns.of(CiSite)
    for site in pipelines:
        tests = "runs the tests here" if site.runs_tests else "exists but no step that runs tests was recognised"
        yield Hit("ops.ci-workflow", site=site, details={"system": site.system, "tests": tests})
    not_shown = given.project is not None and any(n.startswith("CI configuration") for n in given.project.not_in_tree)
    if not pipelines and _files(given, "manifest") and not not_shown:  # an sdist ships no CI folder: not in the tree
        yield Hit("ops.no-ci")


@register_probe("ops.alerting-rules")
def alerting(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(AlertingSite):
        count = f"{site.count} rule(s)" if site.what == "Prometheus rules" else f"{site.count} receiver(s)"
        yield Hit("ops.alerting-rules", site=site, details={"what": site.what, "count": count})


def _config_kind(path: str) -> str:
    lower = path.lower()
    for words, what in (
        (("alertmanager",), "Alertmanager config"), (("alert", "rules", "prometheus"), "Prometheus config"),
        ((".github/workflows", "gitlab-ci", "circleci", "pipeline"), "CI pipeline"),
        (("compose",), "Compose file"), (("k8s", "kube", "deploy", "manifest", "helm", "chart"), "Kubernetes manifest"),
    ):  # fmt: skip
        if any(w in lower for w in words):
            return what
    return "configuration file"


def _templated(given: ProbeInput, path: str) -> bool:
    """Helm templates and cookiecutter skeletons are not YAML until rendered."""
    parts = PurePosixPath(path).parts
    if any("{{" in p for p in parts):
        return True
    paths = {f.path for f in given.patterns.files}
    for i, part in enumerate(parts[:-1]):
        base = "/".join(parts[:i])
        if part == "templates" and {f"{base}/Chart.yaml".lstrip("/"), f"{base}/Chart.yml".lstrip("/")} & paths:
            return True
    return False


@register_probe("ops.config-does-not-parse")
def broken_config(given: ProbeInput) -> Iterator[Hit]:
    """YAML that is valid but uses application tags (``!Ref``, ``!reference``) is not broken."""
    for f in given.patterns.files:
        if f.parsed or f.role != Role.CONFIG or f.language not in CONFIG_LANGUAGES or JSONC.search(f.path):
            continue
        error = f.error or ""
        if "could not determine a constructor" in error or _templated(given, f.path):
            continue
        lines = LINE.findall(error)  # YAML: context mark, then problem mark; past the end, keep the context
        line = int(lines[0] if "<stream end>" in error else lines[-1]) if lines else 1
        short = YAML_MARK.sub(";", error.split(": ", 1)[-1]).strip(" ;")[:160]
        yield Hit("ops.config-does-not-parse", path=f.path, line=line,
                  details={"what": _config_kind(f.path), "path": f.path, "error": short})  # fmt: skip


@register_probe("ops.runbooks", "ops.no-runbooks")
def runbooks(given: ProbeInput) -> Iterator[Hit]:
    found = _files(given, "runbook")
    if found:
        yield Hit("ops.runbooks", site=found[0], details={"count": len(found), "path": found[0].path})
    elif service := _service(given):
        yield Hit("ops.no-runbooks", details={"service": service})


@register_probe("ops.lockfile", "ops.no-lockfile")
def lockfiles(given: ProbeInput) -> Iterator[Hit]:
    found = _files(given, "lockfile")
    for site in found:
        yield Hit("ops.lockfile", site=site, details={"path": site.path})
    if not found and (service := _service(given)):
        yield Hit("ops.no-lockfile", details={"service": service})
