"""The import graph of the target's own code: which file each import names, and what entry points reach.

Python imports are resolved against the tree's ``.py`` files under every possible root (``src/`` layouts, a
package at the top, nested projects), relative imports against the importing file's package; importing a
package runs its ``__init__.py`` and its parents'. JavaScript and TypeScript relative specifiers (``./db``,
``../lib/x``) are resolved as Node and bundlers do (the file, with an extension added, or its ``index``).
Imports of other packages (``requests``, ``express``) lead out of the tree and are not followed.
"""

from __future__ import annotations

import posixpath
from collections import deque
from collections.abc import Iterable

from assess.model.patterns import ScannedFile

JS_SUFFIXES = (".js", ".ts", ".mjs", ".cjs", ".jsx", ".tsx", ".mts", ".cts")


class ModuleIndex:
    """The tree's code files, looked up by Python module name or by path."""

    def __init__(self, files: Iterable[ScannedFile]) -> None:
        self.files = {f.path: f for f in files}
        self.modules: dict[str, str] = {}
        """Dotted module name -> file (under each possible root; the shallowest root wins)."""
        for path in sorted(self.files, key=lambda p: (p.count("/"), p)):
            if path.endswith(".py"):
                for name in _module_names(path):
                    self.modules.setdefault(name, path)

    def module_file(self, name: str) -> str | None:
        """The file of module ``name``, or of the longest prefix of it that is a module (``pkg.mod.func``)."""
        parts = name.split(".")
        while parts:
            found = self.modules.get(".".join(parts))
            if found is not None:
                return found
            parts.pop()
        return None

    def targets(self, path: str) -> set[str]:
        """The files of the tree that ``path`` imports (with the ``__init__.py`` files that importing runs)."""
        scanned = self.files.get(path)
        if scanned is None:
            return set()
        found: set[str] = set()
        for link in scanned.links:
            if path.endswith(".py"):
                target = self._python(path, link)
            elif link.startswith("."):
                target = self._script(path, link)
            else:
                target = None
            if target is not None:
                found.add(target)
                found.update(self._inits(target))
        return found

    def resolve(self, path: str, link: str) -> str | None:
        """The file of the tree that ``link`` (an import of ``path``, as in :attr:`ScannedFile.links`) names, or None
        when it leads out of the tree."""
        if path.endswith(".py"):
            return self._python(path, link)
        return self._script(path, link) if link.startswith(".") else None

    def _python(self, path: str, link: str) -> str | None:
        if not link.startswith("."):
            return self.module_file(link)
        level = len(link) - len(link.lstrip("."))
        folder = posixpath.dirname(path)
        for _ in range(level - 1):
            folder = posixpath.dirname(folder)
        parts = [p for p in link.lstrip(".").split(".") if p]
        while True:
            base = posixpath.join(folder, *parts) if parts else folder
            for candidate in (f"{base}.py", f"{base}/__init__.py"):
                if candidate in self.files:
                    return candidate
            if not parts:
                return None
            parts.pop()  # ``from .mod import name``: the name is in .mod

    def _script(self, path: str, link: str) -> str | None:
        base = posixpath.normpath(posixpath.join(posixpath.dirname(path), link))
        candidates = [base, *(base + s for s in JS_SUFFIXES), *(f"{base}/index{s}" for s in JS_SUFFIXES)]
        if base.endswith(".js"):  # TypeScript written as ESM imports ./x.js for ./x.ts
            candidates += [base[:-3] + s for s in (".ts", ".tsx", ".mts")]
        found = next((c for c in candidates if c in self.files), None)
        for stem in source_stems(base) if found is None else ():
            found = next((c for s in JS_SUFFIXES for c in (stem + s, f"{stem}/index{s}") if c in self.files), None)
            if found is not None:
                break
        return found

    def _inits(self, path: str) -> list[str]:
        """The ``__init__.py`` files of the packages around ``path`` (importing a module runs them)."""
        if not path.endswith(".py"):
            return []
        out = []
        folder = posixpath.dirname(path)
        while folder:
            init = f"{folder}/__init__.py"
            if init not in self.files:
                break
            out.append(init)
            folder = posixpath.dirname(folder)
        return out


BUILD_DIRS = ("dist", "build", "lib", "out", "compiled")
"""Folders a TypeScript or Babel build writes to: ``require("./dist/server/index.js")`` starts what
``server/index.ts`` (or ``src/server/index.ts``) compiles to, which the tree holds instead."""


def source_stems(path: str) -> list[str]:
    """The source paths, without suffix, that a build output's path stands for (``dist/server/index.js`` ->
    ``server/index`` and ``src/server/index``; ``dist/cjs/index.js`` -> ``src/index`` too); none when no folder of
    ``path`` is a build folder."""
    parts = path.removeprefix("./").split("/")
    at = next((i for i, part in enumerate(parts[:-1]) if part in BUILD_DIRS), None)
    if at is None:
        return []
    rest = [p for p in parts[at + 1 :] if p not in ("cjs", "esm", "commonjs", "module")]
    root, suffix = posixpath.splitext("/".join(rest))
    stem = root if suffix in (".js", ".cjs", ".mjs") else "/".join(rest)
    return ["/".join([*parts[:at], stem]), "/".join([*parts[:at], "src", stem])] if stem else []


def _module_names(path: str) -> list[str]:
    """``src/pkg/mod.py`` -> ``src.pkg.mod``, ``pkg.mod``, ``mod`` (each suffix of the path, as a root may sit at
    any folder); a package's ``__init__.py`` names the package."""
    parts = path[:-3].split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return [".".join(parts[i:]) for i in range(len(parts)) if all(p.isidentifier() for p in parts[i:])]


def reachable(index: ModuleIndex, roots: Iterable[str]) -> set[str]:
    """Every file of the tree that ``roots`` import, directly or not, with the roots."""
    seen = {r for r in roots if r in index.files}
    queue = deque(seen)
    while queue:
        for target in index.targets(queue.popleft()):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen
