"""The project model: a stage between collection and the probes (see :class:`assess.model.project.ProjectModel`).

:func:`build_project` reads the inventory and the patterns evidence (the files, their roles and imports, the
entry points, the runtime facts) and decides:

- the **areas**: which source and config files are not the service's production code: developer tooling
  (``scripts/``, ``tools/``, ``extra/`` ...), examples, benchmarks, test-harness Dockerfiles and compose files,
  and code that no entry point starts and no shipped package holds. A file an entry point starts, or that
  production code imports, is production code wherever it lives;
- the **entry points** and the files they start;
- the **kinds** of project (HTTP service, network daemon, worker, CLI, library), with the evidence;
- each production module's **concurrency** model (event loop, threads, processes, sequential);
- what the tree **cannot show** (a PyPI sdist or an npm tarball ships no CI configuration).

It never reads the target: only evidence. Probes get the model and ask it whether a path is production code and
how it runs; findings in code that is not the service are marked and never counted.
"""

from __future__ import annotations

from collections.abc import Mapping

from assess.model import Evidence, InventoryData, Role
from assess.model.patterns import PatternsData
from assess.model.project import ProjectModel
from assess.project.areas import outside_areas
from assess.project.graph import ModuleIndex, reachable
from assess.project.kinds import concurrency_of, frameworks, project_kinds
from assess.project.sources import entry_points, not_in_tree, other_packages, packages


def build_project(evidence: Mapping[str, Evidence]) -> ProjectModel | None:
    """The project model from a run's evidence; None without patterns evidence (nothing to build it from)."""
    patterns = evidence.get("patterns")
    if patterns is None or not isinstance(patterns.data, PatternsData):
        return None
    inventory = evidence.get("inventory")
    return model_project(patterns.data, inventory.data if inventory and isinstance(inventory.data, InventoryData)
                         else None)  # fmt: skip


def _inside(path: str, folders: Mapping[str, str]) -> bool:
    return any(path.startswith(folder + "/") for folder in folders)


def model_project(patterns: PatternsData, inventory: InventoryData | None) -> ProjectModel:
    """The project model of a tree from its patterns (and inventory) data."""
    roles = {f.path: f.role for f in patterns.files}
    if inventory is not None:
        roles.update({f.path: f.role for f in inventory.files})
    index = ModuleIndex(patterns.files)
    others = other_packages(roles)
    points = tuple(p for p in entry_points(patterns, index) if not _inside(p.declared_at, others))
    shipped = {pkg for pkg in packages(patterns, roles) if not _inside(pkg + "/", others)}
    starts = {p.file for p in points if p.file}
    production_roots = starts | {path for path in roles if any(path.startswith(pkg + "/") for pkg in shipped)}
    live = {path for path in reachable(index, production_roots) if not _inside(path, others)}
    imports = {f.path: f.imports for f in patterns.files}
    outside, reasons = outside_areas(roles, live, shipped, others, imports)
    production = {f.path for f in patterns.files if f.role is Role.SOURCE and f.path not in outside}
    runs = reachable(index, {p.file for p in points if p.file and p.how != "package-main"}) & production
    kinds, why = project_kinds(patterns, runs, points)
    return ProjectModel(
        kinds=kinds, kind_reasons=why, frameworks=frameworks(patterns, production), entry_points=points,
        packages=tuple(sorted(shipped)), production_files=len(production), outside=outside,
        outside_reasons=reasons, concurrency=concurrency_of(patterns, production),
        not_in_tree=not_in_tree(roles),
    )  # fmt: skip
