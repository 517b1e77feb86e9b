"""Operations probes of the project's container images: the Dockerfile itself, its HEALTHCHECK, the user its process
runs as, and whether it installs dependencies from the lock file.

Only the project's own images are judged: a Dockerfile for the tests or CI, or one in developer tooling or an
example (``given.production``), is not how the service runs. A multi-stage Dockerfile is judged by its runtime stage
(:mod:`assess.patterns.operations_docker`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from assess.patterns.operations_docker import LOCK_NAMES, DependencyInstallSite, DockerImageSite, UserSwitchSite
from assess.probes import Hit, ProbeInput, register_probe
from assess.probes.operations import _files, _service, deployed_here

NONROOT_BASES = re.compile(r"distroless.*nonroot|:nonroot|nonroot\b|rootless|chainguard|cgr\.dev/|bitnami/")
"""Base images that run as a non-root user by default."""
PY_LOCKS = ("poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock")


def images(given: ProbeInput) -> list[DockerImageSite]:
    """The Dockerfiles that build the project's own images (not a test harness, a tool's or an example's)."""
    return [s for s in given.patterns.of(DockerImageSite) if given.production(s.path)]


@register_probe("ops.dockerfile", "ops.no-dockerfile")
def dockerfile(given: ProbeInput) -> Iterator[Hit]:
    """A service deployed from this tree should say how its image is built; a package others install need not."""
    found = images(given)
    for site in found:
        yield Hit("ops.dockerfile", site=site, details={"path": site.path})
    if not given.patterns.of(DockerImageSite) and deployed_here(given) and (service := _service(given)):
        yield Hit("ops.no-dockerfile", details={"service": service})


@register_probe("health.dockerfile-healthcheck", "health.dockerfile-no-healthcheck")
def dockerfile_healthcheck(given: ProbeInput) -> Iterator[Hit]:
    """An image that starts something and serves (EXPOSE, or the code is a service) should say how to check it."""
    serves = _service(given, ("http-service", "network-daemon")) is not None
    for site in images(given):
        if site.healthcheck_line is not None:
            yield Hit("health.dockerfile-healthcheck", path=site.path, line=site.healthcheck_line,
                      snippet=site.healthcheck_text, details={"path": site.path})  # fmt: skip
        elif site.runnable and (site.exposes or serves):
            yield Hit("health.dockerfile-no-healthcheck", path=site.path, line=site.start_line,
                      snippet=site.start_text, details={"path": site.path})  # fmt: skip


def _official(base: str) -> bool:
    """A Docker Official Image (``node:22``, ``python:3.12-slim``, ``docker.io/library/debian``): they run as root."""
    name = base.removeprefix("docker.io/").removeprefix("library/")
    return bool(name) and "/" not in name and not name.startswith("$")


def _as_root(site: DockerImageSite) -> str | None:
    """Why the image's process runs as root, or None when it does not (or another stage offers a rootless image)."""
    if not site.runnable or site.rootless_variant or NONROOT_BASES.search(site.base.lower()):
        return None
    if site.user is not None and site.user.split(":")[0].lower() not in {"root", "0"}:
        return None
    if site.user is not None:
        return f"as root: its runtime stage says USER {site.user}"
    if site.creates_user:
        return "as root: it creates a user but never switches to it (no USER)"
    return "as root: its runtime stage sets no USER"


@register_probe("ops.container-runs-as-root")
def container_user(given: ProbeInput) -> Iterator[Hit]:
    """The runtime stage of an image that serves (EXPOSE, or the project is a service) runs its process as root. A
    base image from another publisher may set its own user, and an entrypoint script may drop privileges: both are
    to review."""
    serves = _service(given, ("http-service", "network-daemon", "worker")) is not None
    for site in images(given):
        why = _as_root(site) if site.exposes or serves else None  # a one-shot tool's image is not judged
        if why is None or _switched(given, site) is not None:
            continue  # not root, or its entrypoint script drops to another user (exec gosu app ...)
        line = site.user_line if site.user is not None and site.user_line else site.start_line
        reason = _root_unsure(site)
        yield Hit("ops.container-runs-as-root", path=site.path, line=line, details={"path": site.path, "why": why},
                  confidence="likely" if reason else None, confidence_reason=reason)  # fmt: skip


def _root_unsure(site: DockerImageSite) -> str | None:
    """What the Dockerfile cannot show about the user the process runs as, or None when it shows it all."""
    if site.user is not None and site.user.split(":")[0].lower() not in {"root", "0"}:
        return None
    if site.drops_privileges:
        return "the entrypoint may switch to another user before it starts the service"
    if site.user is not None or site.creates_user:
        return None
    if not _official(site.base):
        return f"the base image {site.base} may set a non-root USER; this Dockerfile does not"
    return None


def _switched(given: ProbeInput, site: DockerImageSite) -> UserSwitchSite | None:
    """The entrypoint script this image starts that ``exec``s the service as another user, if the tree has it
    (named in the image's CMD/ENTRYPOINT)."""
    if not site.drops_privileges:
        return None
    command = site.start_text.lower()
    return next((s for s in given.patterns.of(UserSwitchSite)
                 if PurePosixPath(s.path).name.lower() in command), None)  # fmt: skip


def _near(dockerfile: str, lock: str) -> bool:
    """Whether the lock file is in the Dockerfile's folder or one above it (where its build context may be)."""
    folder = PurePosixPath(lock).parent
    return folder == PurePosixPath(".") or PurePosixPath(dockerfile).is_relative_to(folder)


def _lock_unused(given: ProbeInput, site: DependencyInstallSite) -> str | None:
    """Why the install does not use the lock file the repository has, or None."""
    locks = [s.path for s in _files(given, "lockfile") if given.production(s.path) and _near(site.path, s.path)]
    names = {PurePosixPath(p).name for p in locks}
    if site.tool in LOCK_NAMES:
        lock = next((n for n in LOCK_NAMES[site.tool] if n in names), None)
        if lock is not None and not site.lock_copied and not site.strict:  # npm ci fails without the lock
            return f"{lock} is not copied into the image before the install runs, so versions are resolved afresh"
        return None
    lock = next((n for n in PY_LOCKS if n in names), None)
    if lock is None:
        return None
    if site.manifest == ".":
        return f"pip installs the project's own version ranges and ignores {lock}"
    if PurePosixPath(site.manifest).name not in names:
        return f"{site.manifest} does not pin exact versions, and {lock}, which does, is not used"
    return None


@register_probe("ops.dockerfile-ignores-lockfile")
def dockerfile_lockfile(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(DependencyInstallSite):
        if given.production(site.path) and (why := _lock_unused(given, site)):
            yield Hit("ops.dockerfile-ignores-lockfile", site=site, details={"path": site.path, "why": why})
