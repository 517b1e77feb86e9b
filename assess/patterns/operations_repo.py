"""Operations facts in the repository's file list: CI pipelines and the line that runs the tests, lock files,
project manifests, runbooks, JSON files with comments, and service-manager units that restart the process
(systemd ``Restart=``, upstart ``respawn``, supervisord programs)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Literal

from assess.model import Role
from assess.model.patterns import Site, register_site
from assess.patterns import RepoFiles, register_extractor, snippet
from assess.patterns.operations_config import RestartPolicySite


@register_site
class CiSite(Site):
    """A CI pipeline file. Line: the command that runs the tests (preferring one under coverage), else 1."""

    kind: Literal["ops-ci"] = "ops-ci"
    system: str
    runs_tests: bool


@register_site
class RepoFileSite(Site):
    """A file whose existence matters: a lock file, a project manifest, a runbook, a JSON file with comments."""

    kind: Literal["ops-repo-file"] = "ops-repo-file"
    what: Literal["lockfile", "manifest", "runbook", "jsonc"]


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


def ci_system(rel: str) -> str | None:
    """The CI system a repository path configures (``GitHub Actions`` for ``.github/workflows/ci.yml``), or None."""
    return next((s for pattern, s in CI_FILES if pattern.match(rel)), None)


TEST_COMMAND = re.compile(
    r"\b(pytest|py\.test|tox|nox|python -m unittest|manage\.py test|jest|vitest|mocha|go test|cargo test|"
    r"(npm|yarn|pnpm|bun)( run)? (test|coverage)|make (test|check)|coverage run|phpunit|rspec|"
    r"mvn\b.*\b(test|verify)|gradlew?\b.*\btest)\b"
)
COVERAGE_COMMAND = re.compile(r"coverage run|--cov\b|--coverage\b|\bc8\b|\bnyc\b|\b(npm|yarn|pnpm|bun)( run)? coverage")
COMMAND_KEY = re.compile(
    r"^(?P<indent>\s*(?:-\s+)?)(?:run|script|before_script|after_script|command|commands|bash|sh|pwsh|powershell)"
    r"\s*:\s*(?P<value>.*)$"
)
"""A CI step's command key: its value, or the block under it, is shell."""
LOCKFILES = frozenset({
    "poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock",
    "pnpm-lock.yaml", "bun.lockb", "bun.lock", "Cargo.lock", "go.sum", "Gemfile.lock", "composer.lock",
    "requirements.lock",
})  # fmt: skip
MANIFESTS = frozenset({"pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "package.json", "requirements.txt",
                       "go.mod", "Cargo.toml", "Gemfile"})  # fmt: skip
PIN = re.compile(r"^[A-Za-z0-9_.\-\[\],]+\s*===?\s*[^\s;*]+|--hash=|\s@\s")
MAX_READ = 256 * 1024
MAX_JSON_READ = 64 * 1024
SKIP_ROLES = frozenset({Role.VENDORED, Role.GENERATED, Role.TEST, Role.TEST_SUPPORT})


def _read(files: RepoFiles, rel: str, limit: int = MAX_READ) -> list[str]:
    text = files.read(rel, limit)
    return [] if text is None else text.splitlines()


def command_lines(lines: list[str]) -> list[tuple[int, str]]:
    """The lines of a YAML pipeline that are shell commands: a ``run:``/``script:`` value, or the lines of the
    block or list under such a key (a path filter naming ``vitest.config.ts`` is not a command)."""
    out: list[tuple[int, str]] = []
    block: int | None = None
    for number, line in enumerate(lines, start=1):
        indent = len(line) - len(line.lstrip())
        if block is not None and line.strip() and indent <= block:
            block = None
        if block is not None:
            out.append((number, line))
        elif m := COMMAND_KEY.match(line):
            value = m.group("value").strip()
            if value and value[0] not in "|>":
                out.append((number, value))
            else:
                block = len(m.group("indent"))
    return out


def _ci_line(rel: str, lines: list[str]) -> int | None:
    """The line that runs the tests: one under coverage if any, else the first."""
    yaml = rel.endswith((".yml", ".yaml"))
    candidates = command_lines(lines) if yaml else list(enumerate(lines, start=1))
    commands = [(n, line) for n, line in candidates
                if not line.strip().startswith(("#", "//")) and TEST_COMMAND.search(line)]  # fmt: skip
    covered = next((n for n, line in commands if COVERAGE_COMMAND.search(line)), None)
    return covered or (commands[0][0] if commands else None)


def _pinned(lines: list[str]) -> bool:
    """Every requirement line pins an exact version (``==``), a hash or a URL."""
    reqs = [s for line in lines if (s := line.split(" #")[0].strip()) and not s.startswith(("#", "-r", "-c", "--"))]
    return bool(reqs) and all(PIN.search(r) for r in reqs)


def without_comments(text: str) -> str:
    """JSON text with ``//`` and ``/* */`` comments removed (strings kept as they are)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            end = i + 1
            while end < n and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append(text[i : end + 1])
            i = end + 1
        elif text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else n
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _jsonc(text: str | None) -> bool:
    """Whether ``text`` has comments and is JSON once they (and the trailing commas JSONC allows) are taken out."""
    if text is None or ("//" not in text and "/*" not in text):
        return False
    bare = without_comments(text)
    if bare == text:
        return False
    try:
        json.loads(re.sub(r",(\s*[}\]])", r"\1", bare))
        return True
    except (ValueError, RecursionError):
        return False


def _repo_site(rel: str, line: int, lines: list[str], cls: type[Site], **fields: object) -> Site:
    return cls(path=rel, line=line, end_line=line, language="", snippet=snippet(lines, line, line) if lines else "",
               **fields)  # fmt: skip


# ---- service-manager units --------------------------------------------------------------------------

SYSTEMD_RESTART = re.compile(r"^\s*Restart\s*=\s*(always|on-failure|on-abnormal|on-abort|on-watchdog)\s*$")
UPSTART_RESPAWN = re.compile(r"^\s*respawn\s*$")
SUPERVISOR_PROGRAM = re.compile(r"^\s*\[program:([^\]]+)\]")


def _unit_restart(rel: str, lines: list[str]) -> tuple[int, str] | None:
    """(line, what) where a service unit makes its manager restart the process."""
    name = PurePosixPath(rel).name
    if name.endswith(".service"):
        hit = next(((n, m.group(1)) for n, line in enumerate(lines, 1) if (m := SYSTEMD_RESTART.match(line))), None)
        return (hit[0], f"systemd unit, Restart={hit[1]}") if hit else None
    if name.endswith(".upstart") or "/init/" in f"/{rel}":
        respawn = next((n for n, line in enumerate(lines, 1) if UPSTART_RESPAWN.match(line)), None)
        return (respawn, "upstart job, respawn") if respawn else None
    text = "\n".join(lines)
    program = next(((n, m.group(1)) for n, line in enumerate(lines, 1) if (m := SUPERVISOR_PROGRAM.match(line))), None)
    if program and not re.search(r"^\s*autorestart\s*=\s*false\s*$", text, re.MULTILINE | re.IGNORECASE):
        return program[0], f"supervisord program {program[1]}"
    return None


def _is_unit(rel: str) -> bool:
    name = PurePosixPath(rel).name.lower()
    return name.endswith((".service", ".upstart")) or (
        name.endswith((".conf", ".ini")) and ("supervisor" in rel.lower() or "/init/" in f"/{rel}")
    )


@register_extractor("repo")
def operations_repo(files: RepoFiles) -> Iterator[Site]:
    for rel in files.paths():
        role, name = files.roles[rel], PurePosixPath(rel).name
        if role in SKIP_ROLES and not (role is Role.GENERATED and name in LOCKFILES):
            continue  # a lock file says it is generated ("DO NOT EDIT"): it is still the project's pins
        if "runbook" in rel.lower() and PurePosixPath(rel).suffix.lower() in {".md", ".rst", ".txt", ".adoc", ".html"}:
            yield _repo_site(rel, 1, [], RepoFileSite, what="runbook")
        if role == Role.DOCS:  # examples/ and docs/ hold sample projects, not this one's pipeline or pins
            continue
        yield from _repo_file(files, rel, role)


def _repo_file(files: RepoFiles, rel: str, role: Role) -> Iterator[Site]:
    name = PurePosixPath(rel).name
    system = ci_system(rel)
    if system is not None:
        lines = _read(files, rel)
        line = _ci_line(rel, lines)
        yield _repo_site(rel, line or 1, lines, CiSite, system=system, runs_tests=line is not None)
    if name in LOCKFILES or (name.startswith("requirements") and name.endswith(".txt") and _pinned(_read(files, rel))):
        yield _repo_site(rel, 1, [], RepoFileSite, what="lockfile")
    if name in MANIFESTS:
        yield _repo_site(rel, 1, [], RepoFileSite, what="manifest")
    json_config = role is Role.CONFIG and name.endswith(".json") and name not in LOCKFILES
    if json_config and _jsonc(files.read(rel, MAX_JSON_READ)):
        yield _repo_site(rel, 1, [], RepoFileSite, what="jsonc")
    if _is_unit(rel) and (restart := _unit_restart(rel, lines := _read(files, rel))):
        yield _repo_site(rel, restart[0], lines, RestartPolicySite, what=restart[1])
