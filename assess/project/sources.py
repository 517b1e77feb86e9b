"""Where the project's production code starts: its entry points, the packages it ships, and what the tree
cannot show."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping

from assess.model import Role
from assess.model.patterns import PatternsData
from assess.model.project import EntryPoint
from assess.patterns.entrypoints import EntryPointSite
from assess.project.areas import by_folder, harness
from assess.project.graph import JS_SUFFIXES, ModuleIndex, source_stems

NOT_DEPLOYMENT = frozenset({Role.TEST, Role.TEST_SUPPORT, Role.DOCS, Role.VENDORED, Role.GENERATED})
STARTING = frozenset({"dockerfile", "procfile", "compose", "k8s", "package-script"})
"""Entry points that start the project as a deployed process (not a command a user types, not a library import)."""


def entry_points(patterns: PatternsData, index: ModuleIndex) -> tuple[EntryPoint, ...]:
    """Every entry point declared in the tree, with the file it starts where that file is in the tree."""
    sites = []
    for site in patterns.of(EntryPointSite):
        role = patterns.role_of(site.path)
        if site.how in ("main-block", "main-module") and role is not Role.SOURCE:
            continue  # a test module or a config script run by hand
        if role in NOT_DEPLOYMENT or by_folder(site.path) or harness(site.path):
            continue  # declared by a test harness, an example or developer tooling: not how the project runs
        sites.append(site)
    named = [_point(s, index.module_file(s.target) if s.target_kind == "module" else _code_file(s.target, index))
             for s in sites if s.target_kind != "command"]  # fmt: skip
    commands = [_point(s, _command_file(s.target, named, index)) for s in sites if s.target_kind == "command"]
    return tuple(sorted([*named, *commands], key=lambda p: p.declared_at))


def _point(site: EntryPointSite, file: str | None) -> EntryPoint:
    return EntryPoint(how=site.how, name=site.name, declared_at=f"{site.path}:{site.line}", target=site.target,
                      file=file)  # fmt: skip


def _code_file(path: str, index: ModuleIndex) -> str | None:
    """``path`` or its source: a built file (``dist/index.js``, ``lib/x.js``) maps to its source (``index.ts``,
    ``src/x.ts``) when the tree has the source and not the build."""
    base = path.removeprefix("./")
    candidates = [base, *(base + s for s in JS_SUFFIXES), *(f"{base}/index{s}" for s in JS_SUFFIXES)]
    for stem in source_stems(base):
        candidates += [stem + s for s in JS_SUFFIXES] + [f"{stem}/index{s}" for s in JS_SUFFIXES]
    return next((c for c in candidates if c in index.files), None)


NODE_RUNNERS = frozenset({"node", "nodemon", "ts-node", "tsx", "bun", "deno"})
"""Commands whose first argument (past options) is the script they run: ``node index start``."""


def _command_file(command: str, known: list[EntryPoint], index: ModuleIndex) -> str | None:
    """A command that runs a script of the tree (``node index start``) or another entry point by name (``npm
    start``, ``npm run migrate && npm start``, a console script): that file."""
    for part in reversed(re.split(r"&&|\|\||;", command)):
        words = part.split()
        if words and words[0] in NODE_RUNNERS:
            script = next((w for w in words[1:] if not w.startswith("-")), None)
            if script is not None and (file := _code_file(script, index)) is not None:
                return file
        script = words[-1] if words[:2] in (["npm", "run"], ["pnpm", "run"], ["yarn", "run"]) and len(words) == 3 \
            else "start" if words[:2] in (["npm", "start"], ["yarn", "start"], ["pnpm", "start"]) else None  # fmt: skip
        for p in known:
            if p.file and ((p.how == "package-script" and p.name == script) or (
                p.how in ("console-script", "package-bin") and words and p.name == words[0]
            )):
                return p.file
    return None


def packages(patterns: PatternsData, roles: Mapping[str, Role]) -> set[str]:
    """The folders the project ships as its code: top-level Python packages (a folder with ``__init__.py`` whose
    parent has none, holding source), and a JavaScript/TypeScript project's ``src/`` or ``lib/`` beside its
    ``package.json``."""
    found = set()
    for path in roles:
        if path.endswith("/__init__.py") and roles[path] is Role.SOURCE:
            folder = posixpath.dirname(path)
            parent = posixpath.dirname(folder)
            if f"{parent}/__init__.py".lstrip("/") not in roles:
                found.add(folder)
    manifests = [p for p in roles if posixpath.basename(p) == "package.json" and "node_modules/" not in p]
    for manifest in manifests:
        base = posixpath.dirname(manifest)
        for name in ("src", "lib"):
            folder = posixpath.join(base, name) if base else name
            if any(p.startswith(folder + "/") and roles[p] is Role.SOURCE for p in roles):
                found.add(folder)
    return found


SDIST_MARKERS = ("PKG-INFO",)


def not_in_tree(roles: Mapping[str, Role]) -> tuple[str, ...]:
    """What this tree cannot show: a source distribution (an sdist has ``PKG-INFO`` at its top) ships no CI
    configuration, so its absence says nothing about the project."""
    has_ci = any(p.startswith((".github/workflows/", ".circleci/", ".gitlab-ci")) for p in roles)
    if not has_ci and any(p in roles for p in SDIST_MARKERS):
        return ("CI configuration: this is a source distribution (PKG-INFO at its top), which ships no .github/ or "
                "other CI folder; whether the project runs CI is not in this tree",)  # fmt: skip
    return ()


MANIFEST_LANGUAGES = {"pyproject.toml": "Python", "setup.py": "Python", "setup.cfg": "Python",
                      "package.json": "JavaScript", "Cargo.toml": "Rust", "go.mod": "Go", "composer.json": "PHP",
                      "mix.exs": "Elixir", "pom.xml": "Java", "build.gradle": "Java", "Gemfile": "Ruby"}  # fmt: skip
"""Project manifests, and the language of the project each declares."""


def other_packages(roles: Mapping[str, Role]) -> dict[str, str]:
    """Folders holding a project in another language than the tree's own (the one whose manifest is at the top):
    folder -> that language. A library's ports to other languages in one repository (``python/``, ``rust/``) are
    other projects, judged apart; a subfolder in the same language (a workspace, a monorepo's service) is not."""
    top = {MANIFEST_LANGUAGES[p] for p in roles if p in MANIFEST_LANGUAGES}
    if not top:
        return {}
    found: dict[str, str] = {}
    for path in roles:
        name = posixpath.basename(path)
        language = MANIFEST_LANGUAGES.get(name)
        folder = posixpath.dirname(path)
        nested = any(folder.startswith(f + "/") for f in found)
        if language and folder and language not in top and "node_modules/" not in path and not nested:
            found[folder] = language
    return found
