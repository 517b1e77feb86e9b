"""Request paths of the service: which of its functions serve requests, and which functions they reach.

Built from the files' :class:`~assess.patterns.performance.CallGraphSite` facts (production source only: a handler
in a test or a developer script serves no one). A call's target names a function as ``#name`` (the same file) or
``module#name``; the module is resolved to a file of the tree as the project's import graph does
(:meth:`assess.project.graph.ModuleIndex.resolve`), and the name to every function of that file called so. Roots
are the handlers: in JavaScript every handler (all of a Node process runs on its loop); in Python only those the
event loop runs itself (``async`` handlers, protocol callbacks), since a framework runs a plain ``def`` handler on a
worker thread. The walk follows calls breadth-first, so the path it reports is a shortest one.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from assess.model import Role
from assess.patterns.performance_graph import CalledFunction, CallGraphSite
from assess.probes import ProbeInput
from assess.project.graph import ModuleIndex

Key = tuple[str, int]
"""A function: (file, line where it starts)."""
MAX_DEPTH = 12
ONCE = re.compile(r"^route \w+ /(\S*/)?(setup|install|onboarding|first-run|bootstrap)\b", re.IGNORECASE)
"""Routes of a first-run flow (a setup wizard): called once per installation, usually before the service serves
anyone. A function reached only through them is on a request path that is walked once."""


@dataclass(frozen=True)
class Route:
    """How a request reaches a function: the handler, then the functions called on the way (handler first)."""

    handler: str
    """How the handler serves requests (``route POST /login``, ``'login' handler of socket``)."""
    once: bool
    """Whether only handlers of a first-run flow (``POST /setup``) reach the function."""
    steps: tuple[tuple[Key, str], ...]
    """(function, its name) from the handler to the function itself."""

    def describe(self) -> str:
        """``route POST /login at server/auth.js:12, through login and verify``."""
        (path, line), _ = self.steps[0]
        text = f"{self.handler} at {path}:{line}"
        names = [name for _, name in self.steps[1:]]
        if len(names) > 1:
            return f"{text}, through {', '.join(names[:-1])} and {names[-1]}"
        return f"{text}, through {names[0]}" if names else text


class RequestPaths:
    """The functions of the service that a request reaches, each with one way it gets there."""

    def __init__(self, given: ProbeInput) -> None:
        self._index = ModuleIndex(given.patterns.files)
        sites = [s for s in given.patterns.of(CallGraphSite)
                 if given.production(s.path) and given.patterns.role_of(s.path) is Role.SOURCE]  # fmt: skip
        self._functions: dict[Key, CalledFunction] = {(s.path, f.line): f for s in sites for f in s.functions}
        self._named: dict[tuple[str, str], list[int]] = {}
        for (path, line), fn in self._functions.items():
            for name in fn.names:
                self._named.setdefault((path, name), []).append(line)
        self._reached = self._walk(self._roots(sites))

    def route(self, path: str, line: int | None) -> Route | None:
        """How a request reaches the function of ``path`` that starts at ``line``; None when none does."""
        if line is None or (path, line) not in self._reached:
            return None
        steps: list[tuple[Key, str]] = []
        key: Key | None = (path, line)
        handler = ""
        while key is not None:
            parent, how = self._reached[key]
            steps.append((key, self._name(key)))
            handler, key = how or handler, parent
        return Route(handler=handler, once=bool(ONCE.match(handler)), steps=tuple(reversed(steps)))

    def _name(self, key: Key) -> str:
        fn = self._functions.get(key)
        return fn.names[0] if fn is not None and fn.names else f"the function at line {key[1]}"

    def targets(self, path: str, target: str) -> list[Key]:
        """The functions ``target`` (``#name`` or ``module#name``, written in ``path``) names."""
        module, _, name = target.rpartition("#")
        where = self._index.resolve(path, module) if module else path
        return [(where, line) for line in self._named.get((where, name), [])] if where else []

    def _roots(self, sites: Iterable[CallGraphSite]) -> list[tuple[Key, str]]:
        roots: list[tuple[Key, str]] = []
        for site in sites:
            python = site.path.endswith(".py")
            roots += [((site.path, f.line), f.handler) for f in site.functions
                      if f.handler and (f.is_async or not python)]  # fmt: skip
            for ref in site.handlers:
                found = self.targets(site.path, ref.target)
                roots += [(key, ref.how) for key in found if self._functions[key].is_async or not python]
        return roots

    def _walk(self, roots: list[tuple[Key, str]]) -> dict[Key, tuple[Key | None, str]]:
        """Function -> (the function it is reached from, None for a handler; how the handler serves requests).
        The handlers of first-run routes are walked last: a function any other handler reaches is placed there."""
        reached: dict[Key, tuple[Key | None, str]] = {}
        for later in (False, True):
            self._spread(reached, [(key, how) for key, how in roots if bool(ONCE.match(how)) is later])
        return reached

    def _spread(self, reached: dict[Key, tuple[Key | None, str]], roots: list[tuple[Key, str]]) -> None:
        queue: deque[tuple[Key, int]] = deque()
        for key, how in roots:
            if key not in reached:
                reached[key] = (None, how)
                queue.append((key, 0))
        while queue:
            key, depth = queue.popleft()
            fn = self._functions.get(key)
            if fn is None or depth >= MAX_DEPTH:
                continue
            for target in fn.calls:
                for found in self.targets(key[0], target):
                    if found not in reached:
                        reached[found] = (key, "")
                        queue.append((found, depth + 1))
