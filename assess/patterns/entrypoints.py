"""Where the project is started: console scripts, ``__main__``, ``package.json``, Dockerfiles, Procfiles, compose.

Each entry point is a fact with what it runs (``target``: a Python module, a file, or a command), read from
where it is declared. The project model (:mod:`assess.project`) follows the imports from these to tell the
code that runs in production from developer tooling, and the kinds of project (service, worker, CLI).
"""

from __future__ import annotations

import ast
import configparser
import re
import shlex
from collections.abc import Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any, Literal

from assess.model.patterns import Site, register_site
from assess.patterns import RepoFiles, register_extractor, snippet
from assess.patterns.configs import ConfigFile
from assess.patterns.pyast import PythonFile

EntryKind = Literal[
    "console-script", "main-block", "main-module", "package-main", "package-bin", "package-script", "dockerfile",
    "procfile", "compose", "k8s",
]  # fmt: skip
TargetKind = Literal["module", "file", "command"]


@register_site
class EntryPointSite(Site):
    """An entry point of the project. Line: where it is declared."""

    kind: Literal["entry-point"] = "entry-point"
    how: EntryKind
    name: str
    """The script's name, the package script's name (``start``), or the command as written."""
    target: str
    """What it runs: a dotted Python module, a file relative to the target root, or the command."""
    target_kind: TargetKind


START_SCRIPTS = frozenset({"start", "serve", "server", "prod", "production", "worker", "start:prod", "start:server"})
"""``package.json`` scripts that start the project in production (not ``dev``, ``test``, ``build``, ``lint``)."""
_CODE_FILE = re.compile(r"^[\w./@-]+\.(py|js|mjs|cjs|ts|mts|cts)$")
_MODULE_CALLABLE = re.compile(r"^([A-Za-z_][\w.]*)(:[A-Za-z_][\w.]*)?$")
MAX_COMMAND = 300


def _site(path: str, line: int, lines: list[str], language: str, **fields: Any) -> EntryPointSite:
    return EntryPointSite(path=path, line=line, end_line=line, language=language,
                          snippet=snippet(lines, line, line) if lines else "", **fields)  # fmt: skip


def command_target(command: str, base: str = "") -> tuple[str, TargetKind]:
    """What a command line runs: ``python -m pkg.mod`` -> (pkg.mod, module); ``node server/index.js`` -> (the file,
    relative to ``base``, file); ``uvicorn app.main:app`` / ``gunicorn app:app`` -> (app.main, module); else the
    command itself. Of a compound command (``npm run migrate && node server.js``), the last part that runs code
    of the project."""
    parts = [p.strip() for p in re.split(r"&&|\|\||;", command) if p.strip()]
    for part in reversed(parts):
        target, kind = _one_command(part, base)
        if kind != "command":
            return target, kind
    return command[:MAX_COMMAND], "command"


def _one_command(command: str, base: str) -> tuple[str, TargetKind]:
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    words = [w for w in words if not w.startswith("-") or w == "-m"]
    for n, word in enumerate(words):
        if word == "-m" and n + 1 < len(words):
            return words[n + 1].split(":")[0], "module"
        if _CODE_FILE.match(word):
            return _join(base, word), "file"
    for word in words[1:]:
        match = _MODULE_CALLABLE.match(word)
        if match and match.group(2):
            return match.group(1), "module"
    return command[:MAX_COMMAND], "command"


def _join(base: str, rel: str) -> str:
    parts: list[str] = [p for p in base.split("/") if p]
    for part in rel.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


# ---- Python ---------------------------------------------------------------------------------------


@register_extractor("python")
def python_entry_points(pf: PythonFile) -> Iterator[Site]:
    module = pf.path.removesuffix(".py").replace("/", ".")
    if PurePosixPath(pf.path).name == "__main__.py":
        yield _site(pf.path, 1, pf.lines, "Python", how="main-module", name=module, target=pf.path, target_kind="file")
    for node in pf.tree.body:
        if isinstance(node, ast.If) and _is_main_guard(node.test):
            yield _site(pf.path, node.lineno, pf.lines, "Python", how="main-block", name=module, target=pf.path,
                        target_kind="file")  # fmt: skip
    if PurePosixPath(pf.path).name == "setup.py":
        yield from _setup_py(pf)


def _is_main_guard(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = (test.left, test.comparators[0])
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


def _setup_py(pf: PythonFile) -> Iterator[Site]:
    """``setup(entry_points={"console_scripts": ["name = module:func", ...]})``."""
    for call in pf.of_type(ast.Call):
        for kw in call.keywords:
            if kw.arg != "entry_points":
                continue
            if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):  # the INI form
                yield from _ini_scripts(kw.value.value, pf.path, kw.value.lineno, pf.lines, "Python")
                continue
            if not isinstance(kw.value, ast.Dict):
                continue
            for key, value in zip(kw.value.keys, kw.value.values, strict=False):
                if isinstance(key, ast.Constant) and key.value in ("console_scripts", "gui_scripts"):
                    for item in _strings(value):
                        yield from _script_spec(item, pf.path, kw.value.lineno, pf.lines, "Python")


def _ini_scripts(text: str, path: str, line: int, lines: list[str], language: str) -> Iterator[Site]:
    """The ``console_scripts`` of an entry-points text in INI form (``[console_scripts]`` then ``name = mod:f``)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return
    for section in ("console_scripts", "gui_scripts"):
        for name, target in (parser.items(section) if parser.has_section(section) else []):
            yield from _script_spec(f"{name} = {target}", path, line, lines, language)


def _strings(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.splitlines()
    if isinstance(node, ast.List | ast.Tuple):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def _script_spec(spec: str, path: str, line: int, lines: list[str], language: str) -> Iterator[Site]:
    """``name = package.module:function`` as a console script."""
    name, sep, target = spec.partition("=")
    module = target.strip().split(":")[0].split()[0] if sep and target.strip() else ""
    if name.strip() and module:
        yield _site(path, line, lines, language, how="console-script", name=name.strip(), target=module,
                    target_kind="module")  # fmt: skip


# ---- configuration files -------------------------------------------------------------------------


def _line_of(lines: list[str], needle: str, default: int = 1) -> int:
    return next((n for n, line in enumerate(lines, start=1) if needle in line), default)


@register_extractor("config")
def config_entry_points(f: ConfigFile) -> Iterator[Site]:
    name = PurePosixPath(f.path).name
    base = str(PurePosixPath(f.path).parent).removeprefix(".")
    document = f.documents[0] if f.documents else None
    if name == "pyproject.toml" and isinstance(document, Mapping):
        yield from _pyproject(f, document)
    elif name == "package.json" and isinstance(document, Mapping):
        yield from _package_json(f, document, base)
    elif f.format == "dockerfile":
        yield from _dockerfile(f, base)
    elif f.format == "yaml":
        yield from _compose_and_k8s(f, base)


def _table(document: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    """``document[k1][k2]...`` when each is a table; else an empty one."""
    node: Any = document
    for key in keys:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def _pyproject(f: ConfigFile, document: Mapping[str, Any]) -> Iterator[Site]:
    tables = [_table(document, "project", "scripts"), _table(document, "project", "gui-scripts"),
              _table(document, "project", "entry-points", "console_scripts"),
              _table(document, "tool", "poetry", "scripts")]  # fmt: skip
    for table in tables:
        if not isinstance(table, Mapping):
            continue
        for script, spec in table.items():
            if isinstance(spec, str):
                line = _line_of(f.lines, str(script))
                yield from _script_spec(f"{script} = {spec}", f.path, line, f.lines, "TOML")


def _package_json(f: ConfigFile, document: Mapping[str, Any], base: str) -> Iterator[Site]:
    main = document.get("main")
    if isinstance(main, str) and main.strip():
        yield _site(f.path, _line_of(f.lines, '"main"'), f.lines, "JSON", how="package-main", name="main",
                    target=_join(base, main), target_kind="file")  # fmt: skip
    bins = document.get("bin")
    if isinstance(bins, str):
        bins = {str(document.get("name") or "bin"): bins}
    for script, target in (bins.items() if isinstance(bins, Mapping) else []):
        if isinstance(target, str):
            yield _site(f.path, _line_of(f.lines, '"bin"'), f.lines, "JSON", how="package-bin", name=str(script),
                        target=_join(base, target), target_kind="file")  # fmt: skip
    scripts = document.get("scripts")
    scripts = {str(k): v for k, v in scripts.items() if isinstance(v, str)} if isinstance(scripts, Mapping) else {}
    for script, command in scripts.items():
        if script in START_SCRIPTS:
            target, kind = command_target(_follow(command, scripts), base)
            yield _site(f.path, _line_of(f.lines, f'"{script}"'), f.lines, "JSON", how="package-script",
                        name=str(script), target=target, target_kind=kind)  # fmt: skip


RUN_SCRIPT = re.compile(r"^(?:npm|pnpm|yarn|bun)(?:\s+run)?\s+([\w:.-]+)")


def _follow(command: str, scripts: Mapping[str, str], hops: int = 3) -> str:
    """A package script's command with the scripts it runs (``npm run start-server``) replaced by their commands."""
    for _ in range(hops):
        parts = re.split(r"(&&|\|\||;)", command)
        changed = False
        for n, part in enumerate(parts):
            match = RUN_SCRIPT.match(part.strip())
            name = "start" if part.strip() in ("npm start", "yarn start", "pnpm start") else (
                match.group(1) if match else "")  # fmt: skip
            if name in scripts:
                parts[n] = f" {scripts[name]} "
                changed = True
        command = "".join(parts)
        if not changed:
            break
    return command


def _dockerfile(f: ConfigFile, base: str) -> Iterator[Site]:
    froms = [i for i in f.instructions if i.keyword == "FROM"]
    final = [i for i in f.instructions if not froms or i.line >= froms[-1].line]
    start = next((i for i in reversed(final) if i.keyword in {"CMD", "ENTRYPOINT"}), None)
    if start is None:
        return
    command = _exec_form(start.value)
    target, kind = command_target(command, "")
    yield _site(f.path, start.line, f.lines, "Dockerfile", how="dockerfile", name=command[:MAX_COMMAND],
                target=target, target_kind=kind)  # fmt: skip


def _exec_form(value: str) -> str:
    """``["node", "server.js"]`` -> ``node server.js``; a shell form stays as it is."""
    text = value.strip()
    if text.startswith("["):
        words = re.findall(r'"((?:[^"\\]|\\.)*)"', text)
        return " ".join(words)
    return text


def _compose_and_k8s(f: ConfigFile, base: str) -> Iterator[Site]:
    for document in f.documents:
        if not isinstance(document, Mapping):
            continue
        services = document.get("services")
        if isinstance(services, Mapping) and "compose" in PurePosixPath(f.path).name.lower():
            for service, spec in services.items():
                command = spec.get("command") if isinstance(spec, Mapping) else None
                yield from _command_site(f, "compose", str(service), command)
        if document.get("kind") in {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}:
            for container in _containers(document):
                command = [*(container.get("command") or []), *(container.get("args") or [])]
                yield from _command_site(f, "k8s", str(container.get("name") or "container"), command or None)


def _containers(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    node: Any = document
    for key in ("spec", "template", "spec"):
        node = node.get(key) if isinstance(node, Mapping) else None
    containers = node.get("containers") if isinstance(node, Mapping) else None
    return [c for c in containers if isinstance(c, Mapping)] if isinstance(containers, list) else []


def _command_site(f: ConfigFile, how: EntryKind, name: str, command: object) -> Iterator[Site]:
    if isinstance(command, list):
        command = " ".join(str(c) for c in command)
    if not isinstance(command, str) or not command.strip():
        return
    target, kind = command_target(command, "")
    yield _site(f.path, _line_of(f.lines, command.split()[0]), f.lines, "YAML", how=how, name=name, target=target,
                target_kind=kind)  # fmt: skip


# ---- files read whole: setup.cfg, Procfile -------------------------------------------------------

MAX_READ = 256 * 1024


@register_extractor("repo")
def repo_entry_points(files: RepoFiles) -> Iterator[Site]:
    for rel in files.paths():
        name = PurePosixPath(rel).name
        if name == "setup.cfg":
            yield from _setup_cfg(files, rel)
        elif name == "Procfile":
            yield from _procfile(files, rel)


def _setup_cfg(files: RepoFiles, rel: str) -> Iterator[Site]:
    text = files.read(rel, MAX_READ)
    if text is None:
        return
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
        specs = parser.get("options.entry_points", "console_scripts", fallback="")
    except configparser.Error:
        return
    lines = text.splitlines()
    for spec in specs.splitlines():
        if spec.strip():
            yield from _script_spec(spec, rel, _line_of(lines, spec.strip()), lines, "INI")


def _procfile(files: RepoFiles, rel: str) -> Iterator[Site]:
    text = files.read(rel, MAX_READ)
    lines = [] if text is None else text.splitlines()
    base = str(PurePosixPath(rel).parent).removeprefix(".")
    for number, line in enumerate(lines, start=1):
        process, sep, command = line.partition(":")
        if sep and process.strip() and not process.startswith("#") and command.strip():
            target, kind = command_target(command.strip(), base)
            yield _site(rel, number, lines, "Procfile", how="procfile", name=process.strip(), target=target,
                        target_kind=kind)  # fmt: skip
