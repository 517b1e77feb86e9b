"""Operations facts in configuration and in the repository's file list.

Dockerfiles (HEALTHCHECK, the command that starts the container), Kubernetes workloads and their
probes, Helm charts, Prometheus alerting rules and Alertmanager config (YAML read with
``yaml.compose`` so every key keeps its line), CI pipelines and the line that runs the tests,
lock files, project manifests and runbooks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Literal

import yaml

from assess.model import Role
from assess.model.patterns import Site, register_site
from assess.patterns import RepoFiles, register_extractor, snippet
from assess.patterns.configs import ConfigFile


@register_site
class DockerImageSite(Site):
    """A Dockerfile. Line: its first ``FROM``."""

    kind: Literal["ops-docker-image"] = "ops-docker-image"
    healthcheck_line: int | None
    """``HEALTHCHECK`` of the final stage (``HEALTHCHECK NONE`` does not count)."""
    start_line: int
    """The final stage's ``CMD``/``ENTRYPOINT`` (or its ``FROM`` when there is none)."""
    runnable: bool
    """The final stage starts something (``CMD`` or ``ENTRYPOINT``)."""
    exposes: bool
    healthcheck_text: str = ""
    start_text: str = ""


@register_site
class K8sContainerSite(Site):
    """A container of a Deployment/StatefulSet/DaemonSet. Line: its ``- name:`` entry."""

    kind: Literal["ops-k8s-container"] = "ops-k8s-container"
    workload: str
    container: str
    probes: tuple[str, ...]


@register_site
class K8sManifestSite(Site):
    kind: Literal["ops-k8s-manifest"] = "ops-k8s-manifest"
    what: str


@register_site
class AlertingSite(Site):
    kind: Literal["ops-alerting"] = "ops-alerting"
    what: str
    count: int


@register_site
class CiSite(Site):
    """A CI pipeline file. Line: the command that runs the tests (preferring one under coverage), else 1."""

    kind: Literal["ops-ci"] = "ops-ci"
    system: str
    runs_tests: bool


@register_site
class RepoFileSite(Site):
    """A file whose existence matters: a lock file, a project manifest, a runbook."""

    kind: Literal["ops-repo-file"] = "ops-repo-file"
    what: Literal["lockfile", "manifest", "runbook"]


WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet"})
K8S_KINDS = WORKLOADS | {"Service", "Ingress", "CronJob", "Job", "Pod", "HorizontalPodAutoscaler",
                         "PodDisruptionBudget", "NetworkPolicy", "ConfigMap"}  # fmt: skip
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
SKIP_ROLES = frozenset({Role.VENDORED, Role.GENERATED, Role.TEST, Role.TEST_SUPPORT})


def _docker(f: ConfigFile) -> Iterator[Site]:
    froms = [i for i in f.instructions if i.keyword == "FROM"]
    if not froms:
        return
    final = [i for i in f.instructions if i.line >= froms[-1].line]
    health = next((i for i in reversed(final) if i.keyword == "HEALTHCHECK"), None)
    if health is not None and health.value.upper().startswith("NONE"):
        health = None
    start = next((i for i in reversed(final) if i.keyword in {"CMD", "ENTRYPOINT"}), None)
    yield DockerImageSite(
        path=f.path, line=froms[0].line, end_line=froms[0].line, language="Dockerfile",
        snippet=snippet(f.lines, froms[0].line, froms[0].line), healthcheck_line=health.line if health else None,
        start_line=(start or froms[-1]).line, runnable=start is not None,
        exposes=any(i.keyword == "EXPOSE" for i in final),
        healthcheck_text=f"HEALTHCHECK {health.value}"[:200] if health else "",
        start_text=f"{(start or froms[-1]).keyword} {(start or froms[-1]).value}"[:200],
    )  # fmt: skip


def _get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.Node):
                return v
    return None


def _key_line(node: yaml.Node | None, key: str) -> int | None:
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return int(k.start_mark.line) + 1
    return None


def _scalar(node: yaml.Node | None) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else ""


def _items(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _site(f: ConfigFile, cls: type[Site], line: int, **fields: object) -> Site:
    return cls(path=f.path, line=line, end_line=line, language="YAML", snippet=snippet(f.lines, line, line), **fields)


def _yaml(f: ConfigFile) -> Iterator[Site]:
    docs = f.yaml_nodes
    manifest_done = False
    for doc in docs:
        kind = _scalar(_get(doc, "kind"))
        if kind in K8S_KINDS and _get(doc, "apiVersion") is not None and not manifest_done:
            manifest_done = True
            yield _site(f, K8sManifestSite, _key_line(doc, "kind") or 1, what=f"Kubernetes {kind}")
        if kind in WORKLOADS:
            yield from _containers(f, doc, kind)
        yield from _alerting(f, _get(_get(doc, "spec"), "groups") if kind == "PrometheusRule" else _get(doc, "groups"))
        if isinstance(_get(doc, "route"), yaml.MappingNode) and isinstance(_get(doc, "receivers"), yaml.SequenceNode):
            yield _site(f, AlertingSite, _key_line(doc, "route") or 1, what="Alertmanager config",
                        count=len(_items(_get(doc, "receivers"))))  # fmt: skip
    if PurePosixPath(f.path).name in {"Chart.yaml", "Chart.yml"} and docs and _get(docs[0], "name") is not None:
        yield _site(f, K8sManifestSite, int(docs[0].start_mark.line) + 1, what="Helm chart")


def _containers(f: ConfigFile, doc: yaml.Node, kind: str) -> Iterator[Site]:
    pod = _get(_get(_get(doc, "spec"), "template"), "spec")
    for container in _items(_get(pod, "containers")):
        if not isinstance(container, yaml.MappingNode):
            continue
        probes = tuple(p for p in PROBES if _get(container, p) is not None)
        name = _scalar(_get(container, "name")) or "?"
        yield _site(
            f, K8sContainerSite, int(container.start_mark.line) + 1, workload=kind, container=name, probes=probes
        )


def _alerting(f: ConfigFile, groups: yaml.Node | None) -> Iterator[Site]:
    rules = [r for g in _items(groups) for r in _items(_get(g, "rules"))]
    lines = [line for r in rules if (line := _key_line(r, "alert") or _key_line(r, "record"))]
    if lines:
        yield _site(f, AlertingSite, min(lines), what="Prometheus rules", count=len(lines))


@register_extractor("config")
def operations_config(f: ConfigFile) -> Iterator[Site]:
    if f.format == "dockerfile":
        yield from _docker(f)
    elif f.format == "yaml":
        yield from _yaml(f)


# ---- the repository's files ---------------------------------------------------------------------

CI_FILES = (
    (re.compile(r"^\.github/workflows/[^/]+\.ya?ml$"), "GitHub Actions"),
    (re.compile(r"^\.gitlab-ci\.ya?ml$"), "GitLab CI"),
    (re.compile(r"^(.*/)?Jenkinsfile$"), "Jenkins"),
    (re.compile(r"^\.circleci/config\.ya?ml$"), "CircleCI"),
    (re.compile(r"^azure-pipelines\.ya?ml$"), "Azure Pipelines"),
    (re.compile(r"^\.travis\.ya?ml$"), "Travis CI"),
    (re.compile(r"^bitbucket-pipelines\.ya?ml$"), "Bitbucket Pipelines"),
    (re.compile(r"^\.drone\.ya?ml$"), "Drone"),
    (re.compile(r"^\.buildkite/pipeline\.ya?ml$"), "Buildkite"),
)
TEST_COMMAND = re.compile(
    r"\b(pytest|py\.test|tox|nox|python -m unittest|manage\.py test|jest|vitest|mocha|go test|cargo test|"
    r"(npm|yarn|pnpm|bun)( run)? test|make (test|check)|coverage run|phpunit|rspec|mvn\b.*\b(test|verify)|"
    r"gradlew?\b.*\btest)\b"
)
COVERAGE_COMMAND = re.compile(r"coverage run|--cov\b|--coverage\b|\bc8\b|\bnyc\b")
LOCKFILES = frozenset({
    "poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock",
    "pnpm-lock.yaml", "bun.lockb", "bun.lock", "Cargo.lock", "go.sum", "Gemfile.lock", "composer.lock",
    "requirements.lock",
})  # fmt: skip
MANIFESTS = frozenset({"pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "package.json", "requirements.txt",
                       "go.mod", "Cargo.toml", "Gemfile"})  # fmt: skip
PIN = re.compile(r"^[A-Za-z0-9_.\-\[\],]+\s*===?\s*[^\s;*]+|--hash=|\s@\s")
MAX_READ = 256 * 1024


def _read(files: RepoFiles, rel: str) -> list[str]:
    text = files.read(rel, MAX_READ)
    return [] if text is None else text.splitlines()


def _ci_line(lines: list[str]) -> int | None:
    """The line that runs the tests: one under coverage if any, else the first."""
    commands = [
        (n, line) for n, line in enumerate(lines, start=1)
        if not line.strip().startswith(("#", "//", "name:", "- name:")) and TEST_COMMAND.search(line)
    ]  # fmt: skip
    covered = next((n for n, line in commands if COVERAGE_COMMAND.search(line)), None)
    return covered or (commands[0][0] if commands else None)


def _pinned(lines: list[str]) -> bool:
    """Every requirement line pins an exact version (``==``), a hash or a URL."""
    reqs = [s for line in lines if (s := line.split(" #")[0].strip()) and not s.startswith(("#", "-r", "-c", "--"))]
    return bool(reqs) and all(PIN.search(r) for r in reqs)


def _repo_site(rel: str, line: int, lines: list[str], cls: type[Site], **fields: object) -> Site:
    return cls(path=rel, line=line, end_line=line, language="", snippet=snippet(lines, line, line) if lines else "",
               **fields)  # fmt: skip


@register_extractor("repo")
def operations_repo(files: RepoFiles) -> Iterator[Site]:
    for rel in files.paths():
        role, name = files.roles[rel], PurePosixPath(rel).name
        if role in SKIP_ROLES:
            continue
        if "runbook" in rel.lower() and PurePosixPath(rel).suffix.lower() in {".md", ".rst", ".txt", ".adoc", ".html"}:
            yield _repo_site(rel, 1, [], RepoFileSite, what="runbook")
        if role == Role.DOCS:  # examples/ and docs/ hold sample projects, not this one's pipeline or pins
            continue
        system = next((s for pattern, s in CI_FILES if pattern.match(rel)), None)
        if system is not None:
            lines = _read(files, rel)
            line = _ci_line(lines)
            yield _repo_site(rel, line or 1, lines, CiSite, system=system, runs_tests=line is not None)
        if name in LOCKFILES or (
            name.startswith("requirements") and name.endswith(".txt") and _pinned(_read(files, rel))
        ):
            yield _repo_site(rel, 1, [], RepoFileSite, what="lockfile")
        if name in MANIFESTS:
            yield _repo_site(rel, 1, [], RepoFileSite, what="manifest")
