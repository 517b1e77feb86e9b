"""The project model: what the target is, how it is started, and which of its code is the service.

Built from the evidence before the probes run (:mod:`assess.project`), so that every finding can be judged
in context: a finding in a developer script is not a finding about the service, a lock in single-threaded
asyncio code guards nothing, and what a source tree cannot show (an sdist has no CI folder) is not missing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from assess.model.base import Model

ProjectKind = Literal["http-service", "network-daemon", "worker", "cli", "library"]
Area = Literal["tooling", "examples", "benchmarks", "tests", "docs", "test-harness", "unreachable", "other-package",
               "browser"]
Concurrency = Literal["event-loop", "threads", "processes", "event-loop+threads", "sequential"]


class EntryPoint(Model):
    """How the project is started: a console script, ``__main__``, ``package.json``, a Dockerfile's command ..."""

    how: str
    """``console-script``, ``main-block``, ``main-module``, ``package-main``, ``package-bin``, ``package-script``,
    ``dockerfile``, ``procfile``, ``compose``, ``k8s``."""
    name: str
    declared_at: str
    """``path:line`` where it is declared."""
    target: str
    """What it runs, as declared: a Python module, a file, or a command."""
    file: str | None = None
    """The file of the target's code it starts from, when it could be found in the tree."""


class ProjectModel(Model):
    """What the project is, and which of its code runs in production."""

    kinds: tuple[ProjectKind, ...]
    """What it is, most specific first: ``http-service`` (serves HTTP), ``network-daemon`` (serves another
    protocol: UDP, TCP), ``worker`` (consumes a queue), ``cli`` (a command), ``library`` (imported by others)."""
    kind_reasons: tuple[str, ...] = ()
    """Why each kind, with the evidence (``path:line``)."""
    frameworks: tuple[str, ...] = ()
    """Frameworks and servers the production code uses (``flask``, ``asgi``, ``express``, ``rq`` ...)."""
    entry_points: tuple[EntryPoint, ...] = ()
    packages: tuple[str, ...] = ()
    """The folders the project ships as its code (Python packages, a ``package.json``'s source folder)."""
    production_files: int = 0
    """Source files that are the project's own production code."""
    outside: dict[str, Area] = Field(default_factory=dict)
    """Source and config files that are not production code, and what they are instead (developer tooling,
    examples, benchmarks, a test harness, or code nothing starts or imports)."""
    outside_reasons: dict[str, str] = Field(default_factory=dict)
    """Path in ``outside`` -> why (``inside scripts/``, ``not imported by any entry point or shipped package``)."""
    concurrency: dict[str, Concurrency] = Field(default_factory=dict)
    """Production module -> how its code runs: on an event loop (asyncio, Node), on threads, in processes, or
    sequentially (no concurrency seen in it)."""
    not_in_tree: tuple[str, ...] = ()
    """What this tree cannot show, and so is not judged (``CI configuration: a PyPI sdist ships no .github/``)."""

    def is_production(self, path: str | None) -> bool:
        """Whether ``path`` is the project's production code (None: a claim about the whole repository)."""
        return path is None or path not in self.outside

    def is_service(self) -> bool:
        return any(kind in self.kinds for kind in ("http-service", "network-daemon", "worker"))
