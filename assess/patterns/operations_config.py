"""Operations facts in YAML configuration: Kubernetes workloads and their probes, Helm charts, Prometheus
alerting rules and Alertmanager config, and Compose services that restart (YAML read with ``yaml.compose`` so
every key keeps its line). Dockerfiles are read in :mod:`assess.patterns.operations_docker`, the repository's
file list (CI, lock files, runbooks, service units) in :mod:`assess.patterns.operations_repo`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Literal

import yaml

from assess.model.patterns import Site, register_site
from assess.patterns import register_extractor, snippet
from assess.patterns.configs import ConfigFile


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
class RestartPolicySite(Site):
    """A service manager restarts the process when it exits: a systemd unit's ``Restart=``, an upstart job's
    ``respawn``, a supervisord program, a Compose service's ``restart:`` policy."""

    kind: Literal["ops-restart-policy"] = "ops-restart-policy"
    what: str


WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet"})
K8S_KINDS = WORKLOADS | {"Service", "Ingress", "CronJob", "Job", "Pod", "HorizontalPodAutoscaler",
                         "PodDisruptionBudget", "NetworkPolicy", "ConfigMap"}  # fmt: skip
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
RESTARTS = frozenset({"always", "unless-stopped", "on-failure"})
INFRASTRUCTURE = frozenset({
    "postgres", "postgis", "mysql", "mariadb", "redis", "valkey", "keydb", "mongo", "mongodb", "rabbitmq",
    "memcached", "nginx", "traefik", "caddy", "haproxy", "elasticsearch", "opensearch", "minio", "zookeeper",
    "kafka", "grafana", "prometheus", "graphite", "carbon", "influxdb", "clickhouse", "mailhog", "mailpit",
    "localstack", "adminer", "pgadmin4", "redis-stack", "dragonfly", "etcd", "consul", "vault", "jaeger",
})  # fmt: skip
"""Images a Compose file runs beside the project (its database, cache, proxy): their restart policy is not the
project's."""


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
    if "compose" in PurePosixPath(f.path).name.lower() and docs:
        yield from _compose_restarts(f, docs[0])
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


def _compose_restarts(f: ConfigFile, doc: yaml.Node) -> Iterator[Site]:
    """Services of this project with a restart policy: built here, or running an image named as the service that
    is not a well-known infrastructure image (a database or proxy beside the project is not the project)."""
    services = _get(doc, "services")
    for name, service in services.value if isinstance(services, yaml.MappingNode) else []:
        policy = _scalar(_get(service, "restart"))
        image = _scalar(_get(service, "image")).split("@")[0].rsplit(":", 1)[0].rsplit("/", 1)[-1]
        named = image.lower() == _scalar(name).lower() and image.lower() not in INFRASTRUCTURE  # x/app for app
        ours = _get(service, "build") is not None or named
        line = _key_line(service, "restart")
        if policy in RESTARTS and ours and line is not None:
            yield _site(f, RestartPolicySite, line, what=f"Compose service {_scalar(name)}: restart: {policy}")


def _alerting(f: ConfigFile, groups: yaml.Node | None) -> Iterator[Site]:
    rules = [r for g in _items(groups) for r in _items(_get(g, "rules"))]
    lines = [line for r in rules if (line := _key_line(r, "alert") or _key_line(r, "record"))]
    if lines:
        yield _site(f, AlertingSite, min(lines), what="Prometheus rules", count=len(lines))


@register_extractor("config")
def operations_config(f: ConfigFile) -> Iterator[Site]:
    if f.format == "yaml":
        yield from _yaml(f)
