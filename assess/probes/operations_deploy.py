"""Operations probes of how the project is built, deployed and run: Kubernetes manifests and probes, CI, alerting
rules, configuration files that do not parse, runbooks, lock files, service managers that restart the process and
configuration validated at start-up. (Container images: :mod:`assess.probes.operations_docker`.)

"No runbooks" and "no lock file" are claimed only for a service this tree deploys: a package that others install
and run (the project model's ``library`` kind) pins and documents its operation where it is deployed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from assess.model import Role
from assess.patterns.operations_config import AlertingSite, K8sContainerSite, K8sManifestSite, RestartPolicySite
from assess.patterns.operations_observe import ValidatedConfigSite
from assess.patterns.operations_repo import CiSite
from assess.probes import Hit, ProbeInput, register_probe
from assess.probes.operations import _files, _service, _source, deployed_here

CONFIG_LANGUAGES = frozenset({"YAML", "JSON", "TOML"})
JSONC = re.compile(
    r"(^|/)(tsconfig[^/]*|jsconfig[^/]*|\.eslintrc[^/]*|devcontainer)\.json$|(^|/)\.(vscode|devcontainer)/"
)
STRICT_JSON = frozenset({"package.json", "composer.json", "package-lock.json", "npm-shrinkwrap.json"})
"""JSON files whose tools reject comments: a JSON-with-comments file there is broken."""
LINE = re.compile(r"line (\d+)")
YAML_MARK = re.compile(r'\s*in "<unicode string>", line \d+, column \d+:.*?\^')
"""PyYAML's position marks, which echo the source line: the finding already has the line."""


@register_probe("health.k8s-probes", "health.k8s-no-probes")
def k8s_probes(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(K8sContainerSite):
        details = {"container": site.container, "workload": site.workload, "probes": ", ".join(site.probes)}
        if {"livenessProbe", "readinessProbe"} & set(site.probes):
            yield Hit("health.k8s-probes", site=site, details=details)
        else:
            yield Hit("health.k8s-no-probes", site=site, details=details)


@register_probe("ops.k8s-manifests")
def k8s_manifests(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(K8sManifestSite):
        yield Hit("ops.k8s-manifests", site=site, details={"what": site.what})


@register_probe("ops.ci-workflow", "ops.no-ci")
def ci(given: ProbeInput) -> Iterator[Hit]:
    """The pipelines that run the tests; when none does, the first pipeline (a repository's issue bots and release
    jobs are not each a CI pipeline)."""
    pipelines = given.patterns.of(CiSite)
    testing = [s for s in pipelines if s.runs_tests]
    for site in testing or pipelines[:1]:
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
    """YAML that is valid but uses application tags (``!Ref``, ``!reference``) is not broken, nor is JSON with
    comments (JSONC: tsconfig, api-extractor, VS Code settings), which the tools that read such files accept."""
    jsonc = {s.path for s in _files(given, "jsonc") if PurePosixPath(s.path).name not in STRICT_JSON}
    jsonc |= {f.path for f in given.patterns.files if JSONC.search(f.path)}
    for f in given.patterns.files:
        if f.parsed or f.role != Role.CONFIG or f.language not in CONFIG_LANGUAGES or f.path in jsonc:
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
    elif deployed_here(given) and (service := _service(given)):
        yield Hit("ops.no-runbooks", details={"service": service})


@register_probe("ops.lockfile", "ops.no-lockfile")
def lockfiles(given: ProbeInput) -> Iterator[Hit]:
    found = _files(given, "lockfile")
    for site in found:
        yield Hit("ops.lockfile", site=site, details={"path": site.path})
    if not found and deployed_here(given) and (service := _service(given)):
        yield Hit("ops.no-lockfile", details={"service": service})


@register_probe("ops.restart-policy")
def restart_policy(given: ProbeInput) -> Iterator[Hit]:
    """A systemd unit, upstart job, supervisord program or Compose service that restarts the project's process."""
    for site in given.patterns.of(RestartPolicySite):
        if given.production(site.path):
            yield Hit("ops.restart-policy", site=site, details={"what": site.what})


@register_probe("ops.validated-config")
def validated_config(given: ProbeInput) -> Iterator[Hit]:
    for site in _source(given, given.patterns.of(ValidatedConfigSite)):
        yield Hit("ops.validated-config", site=site, details={"library": site.library})
