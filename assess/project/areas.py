"""Which of the target's source and configuration files are not the service's production code, and why."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping

from assess.knowledge import knowledge, matches
from assess.model import Role
from assess.model.project import Area

CODE_ROLES = frozenset({Role.SOURCE, Role.CONFIG})
"""Files whose findings are about the product (tests and test support have their own rules)."""
HARNESS_NAMES = ("dockerfile", "docker-compose", "compose")


def outside_areas(
    roles: Mapping[str, Role], live: set[str], shipped: set[str], others: Mapping[str, str],
    imports: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[dict[str, Area], dict[str, str]]:
    """(path -> area, path -> why) for every source or config file that is not production code.

    ``live``: the files entry points and shipped packages reach (production wherever they are); ``others``: folders
    that hold a project in another language (see :func:`assess.project.sources.other_packages`); ``imports``: what
    each file imports (to tell browser code).
    """
    areas: dict[str, Area] = {}
    reasons: dict[str, str] = {}
    for path, role in roles.items():
        if role not in CODE_ROLES or path in live:
            continue
        uses = (imports or {}).get(path, ())
        found = (by_place(path) or harness(path) or _other(path, others) or _browser(path, uses)
                 or _loose_script(path, role, live, shipped))  # fmt: skip
        if found is not None:
            areas[path], reasons[path] = found
    return areas, reasons


SCRIPT_SUFFIXES = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".vue", ".svelte")


def _browser(path: str, imports: tuple[str, ...]) -> tuple[Area, str] | None:
    """JavaScript/TypeScript that runs in the browser: it imports a UI library (``vue``, ``react-dom``), or sits
    under a top-level ``client/``, ``frontend/``, ``public/`` ... folder (the caller has checked that no server entry
    point reaches it)."""
    if not path.endswith(SCRIPT_SUFFIXES):
        return None
    k = knowledge()
    ui = next((m for m in imports if matches(m, k.browser_libraries)), None)
    if ui is not None:
        return "browser", f"browser code: it imports {ui} and no server entry point reaches it"
    top = _top(path)
    if top.lower() in k.browser_dirs:
        return "browser", f"browser code: inside {top}/, which no server entry point reaches"
    return None


def _other(path: str, others: Mapping[str, str]) -> tuple[Area, str] | None:
    folder = next((f for f in others if path.startswith(f + "/")), None)
    if folder is None:
        return None
    return "other-package", f"inside {folder}/, a {others[folder]} project of its own beside this one"


def _loose_script(path: str, role: Role, live: set[str], shipped: set[str]) -> tuple[Area, str] | None:
    """A Python file at the top of the tree that no entry point starts and nothing imports, in a project that has
    entry points or packages (``bootstrap.py``, ``gen_docs.py``): a script run by hand. JavaScript files are not
    judged so: Node projects start top-level files directly (``node proxy.js``) and load modules by computed
    names (``require("./backends/" + name)``), which no import graph sees."""
    if role is not Role.SOURCE or "/" in path or not path.endswith(".py") or not (live or shipped):
        return None
    return "unreachable", "a script at the top of the tree that no entry point starts and nothing imports"


def _top(path: str) -> str:
    return path.split("/", 1)[0] if "/" in path else ""


def by_place(path: str) -> tuple[Area, str] | None:
    """The area a file's folders or name put it in (developer tooling, examples, benchmarks, docs)."""
    found = by_folder(path)
    if found is not None:
        return found
    name = posixpath.basename(path)
    if name in knowledge().tooling_files:
        return "tooling", f"{name} is developer tooling"
    return None


def by_folder(path: str) -> tuple[Area, str] | None:
    """The area a file's folders put it in (``scripts/``, ``examples/``, ``benchmarks/``, ``docs/``)."""
    k = knowledge()
    folders = path.split("/")[:-1]
    for folder in folders:
        name = folder.lower()
        for area, names in (("tooling", k.tooling_dirs), ("examples", k.example_dirs),
                            ("benchmarks", k.benchmark_dirs), ("docs", k.doc_dirs)):  # fmt: skip
            if name in names:
                return area, f"inside {folder}/"  # type: ignore[return-value]
    return None


def harness(path: str) -> tuple[Area, str] | None:
    """A Dockerfile or compose file for tests or CI: ``Dockerfile.test``, ``docker-compose.ci.yml``,
    ``tests/Dockerfile``."""
    name = posixpath.basename(path).lower()
    if not name.startswith(HARNESS_NAMES) and not name.endswith(".dockerfile"):
        return None
    words = set(name.replace("-", ".").replace("_", ".").split(".")) | {f.lower() for f in path.split("/")[:-1]}
    hit = words & knowledge().harness_words
    return ("test-harness", f"{posixpath.basename(path)} is for {sorted(hit)[0]}, not the deployment") if hit else None
