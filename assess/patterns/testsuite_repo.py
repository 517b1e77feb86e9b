"""Tests as evidence, about the repository as a whole: a coverage gate, whether each CI pipeline runs the tests,
and how the project declares its test command.

A pipeline runs the tests when one of its commands does (``pytest``, ``npm test`` ...) or calls something in the
tree that does: a ``package.json`` script, a ``make`` target, a shell script, a Dockerfile it builds. Commands that
call what the tree does not hold (a script missing from it, a reusable workflow of another repository) are kept,
so that the probe can say it cannot see them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Literal

from assess.collectors.roles import CODE_LANGUAGES, language_of
from assess.model import Role
from assess.model.patterns import Site, register_site
from assess.patterns import RepoFiles, register_extractor, snippet
from assess.patterns.operations_repo import ci_system


@register_site
class CoverageGateSite(Site):
    """A setting that fails the build when coverage drops below a threshold."""

    kind: Literal["tests-coverage-gate"] = "tests-coverage-gate"
    tool: str
    threshold: float | None = None
    """The threshold in percent where one number states it, else None."""


@register_site
class CiTestsSite(Site):
    """A CI pipeline file, and whether it runs the tests. Line: the test command, else a publish step, else 1."""

    kind: Literal["tests-ci-run"] = "tests-ci-run"
    runs_tests: bool
    how: str = ""
    """The command that runs them (``npm test``, ``make test -> pytest``), when it does."""
    unseen: tuple[str, ...] = ()
    """Commands that call what the tree does not hold (may run the tests)."""
    publishes: bool = False
    """It publishes something (an image, a package, a deployment)."""


TEST_COMMAND = re.compile(
    r"\b(pytest|py\.test|tox|nox|python3? -m unittest|manage\.py test|jest|vitest|mocha|nodeunit|karma|"
    r"playwright test|cypress run|go test|cargo test|(npm|yarn|pnpm|bun)( run)? test|make (test|check)|"
    r"coverage run|phpunit|rspec|mvn\b.*\b(test|verify)|gradlew?\b.*\btest|hatch run test|node --test)\b"
)
RUN_SCRIPT = re.compile(r"\b(?:npm|pnpm|bun)\s+run(?:-script)?\s+([\w:.\-]+)|\byarn\s+(?:run\s+)?([\w:.\-]+)")
MAKE = re.compile(r"\bmake\s+(?:-\S+\s+)*([\w.\-]+)")
SHELL_SCRIPT = re.compile(r"(?:^|\s|\b(?:bash|sh)\s+)(\.?/?[\w./\-]+\.sh|\./[\w./\-]+|scripts/[\w.\-]+)\b")
PUBLISH = re.compile(r"docker/build-push-action|docker push|npm publish|twine upload|gh release|"
                     r"pypa/gh-action-pypi-publish|deploy|helm upgrade|kubectl apply", re.I)  # fmt: skip
DOCKER_BUILD = re.compile(r"docker/build-push-action|docker build|docker buildx build")
EXTERNAL_WORKFLOW = re.compile(r"uses:\s*[\w.\-]+/[\w.\-]+/\.github/workflows/")
NPM_DEFAULT_TEST = 'echo "Error: no test specified" && exit 1'
MAX_READ = 512 * 1024
SKIP = {Role.VENDORED, Role.GENERATED, Role.DOCS}

GATES = (
    (re.compile(r"^\s*fail_under\s*[=:]\s*([\d.]+)"), "coverage.py fail_under"),
    (re.compile(r"--cov-fail-under[= ]([\d.]+)"), "pytest-cov --cov-fail-under"),
    (re.compile(r"coverage report\b.*--fail-under[= ]([\d.]+)"), "coverage report --fail-under"),
    (re.compile(r"\bcoverageThreshold\b"), "jest coverageThreshold"),
    (re.compile(r"[\"']?check-coverage[\"']?\s*[:=]\s*true|--check-coverage\b"), "nyc/c8 check-coverage"),
    (re.compile(r"\bthresholds\s*:\s*\{"), "vitest coverage thresholds"),
)
GATE_FILES = {"pyproject.toml", "setup.cfg", "tox.ini", ".coveragerc", "pytest.ini", "package.json", ".nycrc",
              ".nycrc.json", ".nycrc.yml", ".nycrc.yaml", ".c8rc", ".c8rc.json", "Makefile", "noxfile.py"}  # fmt: skip
JS_CONFIG = re.compile(r"^(jest|vitest|vite)(\.[\w-]+)?\.config\.[cm]?[jt]s$")
PERCENT = re.compile(r"\b(lines|branches|functions|statements)\b[\"']?\s*:\s*([\d.]+)")


def _lines(repo: RepoFiles, rel: str) -> list[str]:
    text = repo.read(rel, MAX_READ)
    return [] if text is None else text.splitlines()


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _gate(lines: list[str]) -> tuple[int, str, float | None] | None:
    """The first coverage gate in a file's lines: (line, tool, threshold), or None (a zero threshold is no gate)."""
    for number, line in enumerate(lines, start=1):
        for pattern, tool in GATES:
            m = pattern.search(line)
            if m is None:
                continue
            value = _number(m.group(1)) if m.groups() else _following_percent(lines, number)
            if value != 0:
                return number, tool, value
    return None


def _following_percent(lines: list[str], line: int) -> float | None:
    """A percentage stated in the few lines after a threshold block opens (``lines: 80``)."""
    found = [_number(m.group(2)) for text in lines[line - 1 : line + 8] for m in PERCENT.finditer(text)]
    return max((v for v in found if v is not None), default=None)


def coverage_gates(repo: RepoFiles) -> Iterator[Site]:
    for rel in repo.paths():
        name = PurePosixPath(rel).name
        if repo.roles[rel] in SKIP or not (name in GATE_FILES or JS_CONFIG.match(name) or ci_system(rel)):
            continue
        lines = _lines(repo, rel)
        if JS_CONFIG.match(name) and not any("coverage" in line for line in lines):
            continue
        if (found := _gate(lines)) is not None:
            line, tool, threshold = found
            yield CoverageGateSite(path=rel, line=line, end_line=line, language="", tool=tool, threshold=threshold,
                                   snippet=snippet(lines, line, line))  # fmt: skip


def package_scripts(repo: RepoFiles) -> dict[str, str]:
    """The top ``package.json``'s scripts (name -> command); empty when there is none."""
    if "package.json" not in repo.roles:
        return {}
    text = repo.read("package.json", MAX_READ)
    try:
        scripts = json.loads(text or "{}").get("scripts", {})
    except (ValueError, AttributeError):
        return {}
    return {str(k): str(v) for k, v in scripts.items()} if isinstance(scripts, dict) else {}


def test_command(repo: RepoFiles) -> str | None:
    """How the project says its tests run: a ``package.json`` test script (not npm's placeholder), pytest or tox
    configuration, a noxfile; None when it says nothing."""
    script = package_scripts(repo).get("test", "")
    if script and script.strip() != NPM_DEFAULT_TEST:
        return f"npm test ({script[:60]})"
    for rel in ("pytest.ini", "tox.ini", "noxfile.py"):
        if rel in repo.roles:
            return rel
    for rel, marker in (("pyproject.toml", "[tool.pytest"), ("setup.cfg", "[tool:pytest]")):
        if rel in repo.roles and any(line.startswith(marker) for line in _lines(repo, rel)):
            return rel
    return None


def code_files(repo: RepoFiles, role: Role) -> int:
    """How many files of ``role`` hold code (not a fixture's data file)."""
    return sum(1 for p, r in repo.roles.items() if r == role and language_of(p) in CODE_LANGUAGES)


class _Resolver:
    """Follows a pipeline's commands into the tree: package.json scripts, make targets, shell scripts, Dockerfiles."""

    def __init__(self, repo: RepoFiles) -> None:
        self.repo = repo
        self.scripts = package_scripts(repo)

    def runs(self, command: str, depth: int = 0) -> tuple[str | None, list[str]]:
        """(how it runs the tests, or None; what it calls that the tree does not hold)."""
        if TEST_COMMAND.search(command):
            return TEST_COMMAND.search(command).group(0), []  # type: ignore[union-attr]
        if depth > 2:
            return None, []
        unseen: list[str] = []
        for target, body in self._called(command):
            if body is None:
                unseen.append(target)
                continue
            how, more = self.runs(body, depth + 1)
            if how is not None:
                return f"{target} -> {how}", []
            unseen += more
        return None, unseen

    def _called(self, command: str) -> Iterator[tuple[str, str | None]]:
        for m in RUN_SCRIPT.finditer(command):
            name = m.group(1) or m.group(2)
            if name not in {"install", "ci", "add", "build"}:
                yield f"npm run {name}", self.scripts.get(name, "") if self.scripts else None
        for m in MAKE.finditer(command):
            yield f"make {m.group(1)}", self._make_target(m.group(1))
        for m in SHELL_SCRIPT.finditer(command):
            rel = m.group(1).removeprefix("./").rstrip("/")
            yield rel, self._local(rel)

    def _make_target(self, target: str) -> str | None:
        """The target's recipe, with its prerequisites as ``make X`` lines; None without a Makefile."""
        if "Makefile" not in self.repo.roles:
            return None
        recipe: list[str] = []
        inside = False
        for line in _lines(self.repo, "Makefile"):
            if re.match(rf"^{re.escape(target)}\s*:(?!=)", line):
                inside = True
                recipe += [f"make {p}" for p in line.split(":", 1)[1].split("#")[0].split()]
            elif inside and line.startswith("\t"):
                recipe.append(line)
            elif inside:
                break
        return "\n".join(recipe)

    def _local(self, rel: str) -> str | None:
        """A script in the tree, or a local action's ``action.yml``; None when the tree does not hold it."""
        for candidate in (rel, f"{rel}/action.yml", f"{rel}/action.yaml"):
            if candidate in self.repo.roles:
                return "\n".join(_lines(self.repo, candidate))
        return None

    def docker_tests(self) -> str | None:
        """A Dockerfile's RUN step that runs the tests (building the image runs them)."""
        for rel in self.repo.paths():
            if PurePosixPath(rel).name == "Dockerfile" and self.repo.roles[rel] not in SKIP:
                for line in _lines(self.repo, rel):
                    if line.strip().upper().startswith("RUN") and (m := TEST_COMMAND.search(line)):
                        return f"{rel}: {m.group(0)}"
        return None


def _commands(lines: list[str]) -> list[tuple[int, str]]:
    return [(n, line) for n, line in enumerate(lines, start=1)
            if line.strip() and not line.strip().startswith(("#", "//", "name:", "- name:"))]  # fmt: skip


def ci_runs(repo: RepoFiles) -> Iterator[Site]:
    resolver: _Resolver | None = None
    for rel in repo.paths():
        if not ci_system(rel) or repo.roles[rel] in SKIP:
            continue
        resolver = resolver or _Resolver(repo)
        lines = _lines(repo, rel)
        found: tuple[int, str] | None = None
        unseen: list[str] = []
        for number, text in _commands(lines):
            how, more = resolver.runs(text)
            unseen += more + ([text.strip()[:80]] if EXTERNAL_WORKFLOW.search(text) else [])
            if how is not None:
                found = found or (number, how)
        if found is None and any(DOCKER_BUILD.search(t) for t in lines) and (how := resolver.docker_tests()):
            found = (1, how)
        publish = next((n for n, t in _commands(lines) if PUBLISH.search(t)), None)
        line = found[0] if found else publish or 1
        yield CiTestsSite(path=rel, line=line, end_line=line, language="YAML", snippet=snippet(lines, line, line)
                          if lines else "", runs_tests=found is not None, how=found[1] if found else "",
                          unseen=tuple(dict.fromkeys(unseen))[:5], publishes=publish is not None)  # fmt: skip


@register_extractor("repo")
def repository_tests(repo: RepoFiles) -> Iterator[Site]:
    yield from coverage_gates(repo)
    yield from ci_runs(repo)
