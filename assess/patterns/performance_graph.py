"""The call graph of a source file, as facts: its functions, what each calls, and which serve requests.

Recorded by :mod:`assess.patterns.performance_paths_py` and :mod:`assess.patterns.performance_paths_js`, read by
:mod:`assess.probes.performance_paths`, which resolves the calls across files and walks from the handlers.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict

from assess.model.base import Model
from assess.model.patterns import Site, register_site


class CalledFunction(Model):
    """A function of a file as the call graph sees it (anonymous callbacks belong to the function around them)."""

    model_config = ConfigDict(use_attribute_docstrings=False)
    line: int
    """Where the function starts: its key within the file."""
    names: tuple[str, ...] = ()
    """The names other code calls it by (``verify`` for ``exports.verify = function``, a method's name)."""
    is_async: bool = False
    """Whether it runs on the event loop by itself: an ``async`` function, or a callback the loop calls (an asyncio
    protocol's ``data_received``)."""
    calls: tuple[str, ...] = ()
    """The functions of the tree it calls or hands on as a callback: ``#name`` (this file, ``this.name``,
    ``self.name``) or ``module#name`` (a name imported from ``module`` as written: ``./auth``, ``.utils``)."""
    handler: str | None = None
    """How it serves requests when it is registered as a handler (``route GET /login``), else None."""


class HandlerRef(Model):
    """A function registered as a request handler by reference (``app.get("/metrics", apiAuth)``)."""

    model_config = ConfigDict(use_attribute_docstrings=False)
    target: str
    """``#name`` or ``module#name``, as in :attr:`CalledFunction.calls`."""
    how: str
    line: int


@register_site
class CallGraphSite(Site):
    """One per source file: its functions, what each calls, and which serve requests (see
    :mod:`assess.patterns.performance_paths`)."""

    kind: Literal["call-graph"] = "call-graph"
    functions: tuple[CalledFunction, ...] = ()
    handlers: tuple[HandlerRef, ...] = ()
