"""Operations facts in Dockerfiles: the image's runtime stage, its HEALTHCHECK and USER, and how it installs
dependencies.

A multi-stage Dockerfile builds several images; the one that runs the service is the **runtime stage**: a stage
named like one (``release``, ``production``, ``runtime`` ...), else the last stage with its own ``CMD`` or
``ENTRYPOINT``, else the last stage. A stage ``FROM`` another stage of the file inherits its HEALTHCHECK, USER,
EXPOSE and command, so they are looked up along that chain.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from assess.model.patterns import Site, register_site
from assess.patterns import RepoFiles, register_extractor, snippet
from assess.patterns.configs import ConfigFile, Instruction


@register_site
class DockerImageSite(Site):
    """A Dockerfile. Line: its first ``FROM``."""

    kind: Literal["ops-docker-image"] = "ops-docker-image"
    healthcheck_line: int | None
    """``HEALTHCHECK`` of the runtime stage or a stage it is built from (``HEALTHCHECK NONE`` does not count)."""
    start_line: int
    """The runtime stage's ``CMD``/``ENTRYPOINT`` (or its ``FROM`` when there is none)."""
    runnable: bool
    """The runtime stage starts something (``CMD`` or ``ENTRYPOINT``, its own or inherited)."""
    exposes: bool
    healthcheck_text: str = ""
    start_text: str = ""
    stage: str = ""
    """The runtime stage's name (``AS name``), empty when it has none."""
    stage_line: int = 0
    """The runtime stage's ``FROM`` line."""
    base: str = ""
    """The image the runtime stage is built from, past the file's own stages (``python:3.12-slim``)."""
    user: str | None = None
    """The runtime stage's effective ``USER`` (own or inherited); None when no stage on its chain sets one."""
    user_line: int | None = None
    creates_user: bool = False
    """Some ``RUN`` on the runtime stage's chain creates a user (``useradd``, ``adduser``)."""
    rootless_variant: bool = False
    """Another stage built from the runtime stage switches to a non-root user (a ``rootless`` target)."""
    drops_privileges: bool = False
    """The runtime stage starts through a script (``ENTRYPOINT ["docker-entrypoint.sh"]``) or a tool that can switch
    to another user (``gosu``, ``su-exec``, ``setpriv``): the process may not run as the image's user."""


@register_site
class UserSwitchSite(Site):
    """A shell script that starts its program as another user: ``exec gosu app "$@"``, ``exec su-exec``,
    ``exec setpriv --reuid``, ``exec runuser -u``, ``exec chpst -u``, ``exec s6-setuidgid`` (an entrypoint that does
    root-only set-up, then drops to an unprivileged user)."""

    kind: Literal["ops-user-switch"] = "ops-user-switch"
    tool: str
    user: str


@register_site
class DependencyInstallSite(Site):
    """A ``RUN`` that installs the project's dependencies (``npm install``, ``pip install -r ...``)."""

    kind: Literal["ops-dependency-install"] = "ops-dependency-install"
    tool: str
    """``npm``, ``yarn``, ``pnpm`` or ``pip``."""
    strict: bool
    """The command installs exactly what the lock file says (``npm ci``, ``--frozen-lockfile``, ``--immutable``)."""
    lock_copied: bool
    """The stage copied the lock file (or the whole context) into the image before this command."""
    manifest: str = ""
    """What pip installs from: a requirements file's path, or ``.`` for the project itself."""


RUNTIME_NAMES = ("release", "production", "prod", "runtime", "final", "runner", "run", "app", "server", "deploy")
ROOT_USERS = frozenset({"root", "0", "0:0", "root:root"})
USER_CREATION = re.compile(r"\b(useradd|adduser)\b")
PRIVILEGE_DROP = re.compile(r"\b(gosu|su-exec|setpriv|chpst|s6-setuidgid|setuidgid|runuser)\b|\.sh\b|entrypoint")
LOCK_NAMES = {"npm": ("package-lock.json", "npm-shrinkwrap.json"), "yarn": ("yarn.lock",), "pnpm": ("pnpm-lock.yaml",)}


@dataclass
class Stage:
    """One ``FROM`` of a Dockerfile and the instructions up to the next."""

    name: str
    base: str
    line: int
    instructions: list[Instruction] = field(default_factory=list)
    parent: Stage | None = None
    """The stage of this file it is built from (``FROM build``), None for an outside image."""

    def chain(self) -> Iterator[Stage]:
        """This stage, then the stages it is built from."""
        stage: Stage | None = self
        seen: set[int] = set()
        while stage is not None and id(stage) not in seen:
            seen.add(id(stage))
            yield stage
            stage = stage.parent

    def last(self, *keywords: str) -> Instruction | None:
        """The last instruction of ``keywords`` along the chain (a stage's own before its parent's)."""
        for stage in self.chain():
            found = [i for i in stage.instructions if i.keyword in keywords]
            if found:
                return found[-1]
        return None


def stages(f: ConfigFile) -> list[Stage]:
    """The stages of a Dockerfile, each linked to the stage of the file it is built from."""
    out: list[Stage] = []
    for instruction in f.instructions:
        if instruction.keyword == "FROM":
            words = [w for w in instruction.value.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else ""
            base = words[0] if words else ""
            parent = next((s for s in reversed(out) if s.name and s.name.lower() == base.lower()), None)
            out.append(Stage(name=name, base=base, line=instruction.line, parent=parent))
        elif out:
            out[-1].instructions.append(instruction)
    return out


def runtime_stage(found: list[Stage]) -> Stage:
    """The stage that runs the service (see the module's docstring). ``found`` must not be empty."""
    for name in RUNTIME_NAMES:
        named = next((s for s in found if s.name.lower() == name and s.last("CMD", "ENTRYPOINT")), None)
        if named is not None:
            return named
    own = [s for s in found if any(i.keyword in {"CMD", "ENTRYPOINT"} for i in s.instructions)]
    return own[-1] if own else found[-1]


def _outside_base(stage: Stage) -> str:
    return next((s.base for s in stage.chain() if s.parent is None), stage.base)


def _rootless_variant(found: list[Stage], runtime: Stage) -> bool:
    """Whether a stage built from ``runtime`` switches to a non-root user."""
    for stage in found:
        if stage is runtime or runtime not in list(stage.chain()):
            continue
        user = stage.last("USER")
        if user is not None and user.value.split()[0].lower() not in ROOT_USERS:
            return True
    return False


def _image(f: ConfigFile, found: list[Stage]) -> Site:
    runtime = runtime_stage(found)
    health = runtime.last("HEALTHCHECK")
    if health is not None and health.value.upper().startswith("NONE"):
        health = None
    start = runtime.last("CMD", "ENTRYPOINT")
    user = runtime.last("USER")
    chain = list(runtime.chain())
    anchor = start.line if start is not None else runtime.line
    return DockerImageSite(
        path=f.path, line=found[0].line, end_line=found[0].line, language="Dockerfile",
        snippet=snippet(f.lines, found[0].line, found[0].line), healthcheck_line=health.line if health else None,
        start_line=anchor, runnable=start is not None, exposes=runtime.last("EXPOSE") is not None,
        healthcheck_text=f"HEALTHCHECK {health.value}"[:200] if health else "",
        start_text=f"{start.keyword} {start.value}"[:200] if start else f"FROM {runtime.base}"[:200],
        stage=runtime.name, stage_line=runtime.line, base=_outside_base(runtime),
        user=user.value.split()[0] if user is not None and user.value.split() else None,
        user_line=user.line if user is not None else None,
        creates_user=any(USER_CREATION.search(i.value) for s in chain for i in s.instructions if i.keyword == "RUN"),
        rootless_variant=_rootless_variant(found, runtime),
        drops_privileges=any(PRIVILEGE_DROP.search(i.value.lower()) for s in chain for i in s.instructions
                             if i.keyword in {"ENTRYPOINT", "CMD"}),
    )  # fmt: skip


# ---- dependency installs ------------------------------------------------------------------------


def _commands(run: str) -> Iterator[list[str]]:
    """The simple commands of a ``RUN`` line, as words (``a && b; c | d`` -> a, b, c, d)."""
    for part in re.split(r"&&|\|\||;|\|", run):
        try:
            words = shlex.split(part, comments=True)
        except ValueError:
            words = part.split()
        while words and ("=" in words[0] and not words[0].startswith("-")):  # NODE_ENV=production npm ci
            words = words[1:]
        if words:
            yield words


def _install(words: list[str]) -> tuple[str, bool, str] | None:
    """(tool, strict, manifest) when ``words`` install the project's dependencies; None otherwise."""
    tool, args = words[0].rsplit("/", 1)[-1], words[1:]
    plain = [a for a in args if not a.startswith("-")]
    if tool == "npm" and plain[:1] in (["ci"], ["clean-install"]):
        return "npm", True, ""
    if tool == "npm" and plain[:1] in (["install"], ["i"]) and len(plain) == 1 and "-g" not in args:
        return "npm", False, ""
    if tool in {"yarn", "pnpm"} and (not plain or plain == ["install"]):
        return tool, bool({"--frozen-lockfile", "--immutable"} & set(args)), ""
    return _pip_install(tool, args)


def _pip_install(tool: str, args: list[str]) -> tuple[str, bool, str] | None:
    if tool.startswith("python") and args[:2] == ["-m", "pip"]:
        tool, args = "pip", args[2:]
    if not tool.startswith("pip") or not args or args[0] != "install":
        return None
    rest = args[1:]
    for i, arg in enumerate(rest):
        if arg in {"-r", "--requirement"} and i + 1 < len(rest):
            return "pip", False, rest[i + 1]
    plain = [a for a in rest if not a.startswith("-")]
    if plain and all(_project_path(p) for p in plain):
        return "pip", False, "."
    return None


def _project_path(arg: str) -> bool:
    """``.``, ``./[extra]``, ``/app``: the project's own folder, not a package name, a wheel or a pattern."""
    return arg.startswith((".", "/")) and "*" not in arg and not arg.endswith((".whl", ".tar.gz", ".zip"))


def _copies_lock(instruction: Instruction, tool: str) -> bool:
    """Whether a ``COPY``/``ADD`` (or a ``RUN --mount``) brings the tool's lock file, or the whole context, in."""
    flags = [w for w in instruction.value.split() if w.startswith("--")]
    if any(w.startswith("--from") for w in flags):
        return False  # from another stage or image: not the build context's lock
    if instruction.keyword == "RUN":
        sources = [m.group(1) for w in flags for m in [re.search(r"source=([^,]+)", w)] if m]
    else:
        sources = [w for w in instruction.value.split() if not w.startswith("--")][:-1]
    for source in sources:
        name = source.strip("\"'[],").rstrip("/").rsplit("/", 1)[-1]
        if name in {"", ".", "*"} or any(fnmatch.fnmatchcase(lock, name) for lock in LOCK_NAMES.get(tool, ())):
            return True
    return False


def _installs(f: ConfigFile, found: list[Stage]) -> Iterator[Site]:
    for stage in found:
        before = [i for s in list(stage.chain())[1:] for i in s.instructions]  # what its parent stages copied
        for instruction in stage.instructions:
            before.append(instruction)
            if instruction.keyword != "RUN":
                continue
            for words in _commands(instruction.value):
                if (hit := _install(words)) is None:
                    continue
                tool, strict, manifest = hit
                copied = any(_copies_lock(i, tool) for i in before if i.keyword in {"COPY", "ADD", "RUN"})
                yield DependencyInstallSite(
                    path=f.path, line=instruction.line, end_line=instruction.line, language="Dockerfile",
                    snippet=snippet(f.lines, instruction.line, instruction.line), tool=tool, strict=strict,
                    lock_copied=copied, manifest=manifest,
                )  # fmt: skip


@register_extractor("config")
def operations_docker(f: ConfigFile) -> Iterator[Site]:
    if f.format != "dockerfile":
        return
    found = stages(f)
    if found:
        yield _image(f, found)
        yield from _installs(f, found)


# ---- entrypoint scripts that drop privileges --------------------------------------------------------

SCRIPT_LIMIT = 64 * 1024
USER_SWITCH = re.compile(
    r"^\s*exec\s+(?:/\S*/)?(gosu|su-exec|runuser\s+-u|chpst\s+-u|s6-setuidgid|setuidgid|setpriv\s[^\n]*?--reuid[= ])"
    r"\s*['\"]?([\w$.{}:-]+)",
    re.M,
)


@register_extractor("repo")
def user_switches(repo: RepoFiles) -> Iterator[Site]:
    """Shell scripts (``*.sh``, or named like an entrypoint) that ``exec`` their program as another user."""
    for path in repo.paths():
        name = path.rsplit("/", 1)[-1].lower()
        if not (name.endswith(".sh") or "entrypoint" in name):
            continue
        text = repo.read(path, SCRIPT_LIMIT)
        if not text or (found := USER_SWITCH.search(text)) is None:
            continue
        line = text.count("\n", 0, found.start()) + 1
        lines = text.splitlines()
        yield UserSwitchSite(path=path, line=line, end_line=line, language="Shell", snippet=snippet(lines, line, line),
                             tool=found.group(1).split()[0], user=found.group(2))  # fmt: skip
