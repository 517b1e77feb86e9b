"""Concurrency hazards in Python: state a class's lock should guard but does not (here), check-then-act races on
files and shared dicts, and read-modify-write of module-level state in modules that start threads
(:mod:`assess.patterns.concurrency_races`).

JavaScript runs handlers on one thread, so these hazards are Python-only here. Each site says when its code runs
(:mod:`assess.patterns.concurrency_when`), so the probes can leave alone what cannot race: start-up and exit code,
and on a single-threaded event loop, updates that no ``await`` interrupts.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from assess.model.patterns import Site, register_site
from assess.patterns import register_extractor
from assess.patterns.concurrency_when import CONSTRUCTORS, awaits_within, phase
from assess.patterns.pyast import PythonFile, per_file


@register_site
class StateOutsideLockSite(Site):
    kind: Literal["state-outside-lock"] = "state-outside-lock"
    owner: str
    """The class that owns the lock."""
    attribute: str
    lock: str
    guarded_in: str
    """A method that changes the same attribute while holding the lock."""
    lock_kind: str = "threads"
    """``asyncio`` when every lock of the class is an ``asyncio`` lock (it orders coroutines, not threads)."""
    suspends: bool = True
    """Whether a coroutine can be interrupted in the middle of an update: a locked change of the attribute sits in a
    block that awaits, or this change follows an ``await`` after the attribute was read. Without that, on one event
    loop the unlocked change cannot interleave with the locked one."""
    phase: str | None = None
    """``start-up`` or ``exit`` when the change is made by a method that runs then (``close``, ``setup``)."""


@register_site
class CheckThenActSite(Site):
    kind: Literal["check-then-act"] = "check-then-act"
    subject: str
    """What is checked and then changed: a path or a shared dict."""
    check: str
    act: str
    act_line: int
    phase: str | None = None
    """``constructor``, ``start-up`` or ``exit`` when the code runs then
    (:func:`assess.patterns.concurrency_when.phase`)."""
    coroutine: bool = False
    """Whether the check runs in a coroutine (``async def``)."""
    awaits: bool = False
    """Whether the coroutine awaits between the check and the act (where another coroutine can run)."""


@register_site
class SharedStateSite(Site):
    kind: Literal["shared-module-state"] = "shared-module-state"
    name: str
    threads: str
    """How the module runs code on several threads (``threading.Thread``, ``ThreadingHTTPServer`` ...)."""


LOCK_FACTORIES = {
    "threading.Lock", "threading.RLock", "threading.Condition", "asyncio.Lock", "asyncio.Condition",
    "multiprocessing.Lock", "multiprocessing.RLock",
}  # fmt: skip
THREAD_STARTERS = (
    "threading.Thread", "threading.Timer", "concurrent.futures.ThreadPoolExecutor", "multiprocessing.pool.ThreadPool",
    "http.server.ThreadingHTTPServer", "socketserver.ThreadingMixIn", "socketserver.ThreadingTCPServer",
    "socketserver.ThreadingUDPServer", "_thread.start_new_thread", "asyncio.to_thread",
)  # fmt: skip
STARTER_ATTRS = frozenset(api.rsplit(".", 1)[-1] for api in THREAD_STARTERS)
"""The last parts of the thread-starting APIs (every one is dotted: a bare name matches only through an import)."""
MUTATORS = {"append", "extend", "insert", "pop", "popleft", "appendleft", "remove", "clear", "update", "add",
            "discard", "setdefault", "popitem", "sort", "reverse"}  # fmt: skip

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _site(pf: PythonFile, cls: type[Site], node: ast.AST, **fields: object) -> Site:
    line, end = pf.span(node)
    return cls(path=pf.path, line=line, end_line=end, language="Python", snippet=pf.snippet(node),
               function=pf.qualname(node), **fields)  # fmt: skip


def _self_attr(node: ast.AST) -> str | None:
    """``a`` for ``self.a``, ``self.a[k]`` or ``self.a.b``."""
    while isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}:
        return node.attr
    return None


def mutations(stmt: ast.AST) -> list[str]:
    """Attributes of ``self`` that ``stmt`` changes (assignment, augmented assignment, del, mutating call)."""
    targets: list[ast.AST] = []
    if isinstance(stmt, ast.Assign):
        targets = [e for t in stmt.targets for e in (t.elts if isinstance(t, ast.Tuple) else [t])]
    elif isinstance(stmt, ast.AugAssign | ast.AnnAssign) and (not isinstance(stmt, ast.AnnAssign) or stmt.value):
        targets = [stmt.target]
    elif isinstance(stmt, ast.Delete):
        targets = list(stmt.targets)
    elif (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Attribute)
        and stmt.value.func.attr in MUTATORS
    ):
        targets = [stmt.value.func.value]
    return [a for t in targets if (a := _self_attr(t))]


@dataclass
class LockedClass:
    """A class's locks, and for each of its statements whether it runs with one of them held."""

    pf: PythonFile
    node: ast.ClassDef
    locks: set[str]

    def methods(self) -> list[Function]:
        return [m for m in self.node.body if isinstance(m, Function)]

    def holds_lock(self, node: ast.AST, method: Function) -> bool:
        for a in self.pf.ancestors(node):
            if a is method:
                return False
            if isinstance(a, ast.With | ast.AsyncWith) and any(
                _self_attr(_unwrap(i.context_expr)) in self.locks for i in a.items
            ):
                return True
        return False

    def acquires(self, method: Function) -> bool:
        return any(
            isinstance(c.func, ast.Attribute) and c.func.attr == "acquire" and _self_attr(c.func.value) in self.locks
            for c in self.pf.within(method, ast.Call)
        )

    @cached_property
    def _protected(self) -> set[str]:
        out = {m.name for m in self.methods() if self.acquires(m) or m.name.endswith(("_locked", "_unlocked"))}
        callers: dict[str, list[bool]] = {}
        for m in self.methods():
            for c in self.pf.within(m, ast.Call):
                if name := _self_attr(c.func):
                    callers.setdefault(name, []).append(m.name in out or self.holds_lock(c, m))
        return out | {name for name, held in callers.items() if held and all(held)}

    def protected_methods(self) -> set[str]:
        """Methods that run with the lock held: they take it, or every call to them is made holding it."""
        return self._protected

    @cached_property
    def _changes(self) -> list[tuple[Function, ast.stmt, str, bool]]:
        protected = self.protected_methods()
        out: list[tuple[Function, ast.stmt, str, bool]] = []
        for m in self.methods():
            if m.name in CONSTRUCTORS:
                continue
            for stmt in self.pf.within(m, ast.stmt):
                for attr in mutations(stmt):
                    if attr not in self.locks:
                        out.append((m, stmt, attr, m.name in protected or self.holds_lock(stmt, m)))
        return out

    def changes(self) -> Iterator[tuple[Function, ast.stmt, str, bool]]:
        """(method, statement, attribute, lock held) for each change of an attribute outside constructors."""
        return iter(self._changes)

    @cached_property
    def _guarded(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for m, _, attr, held in self.changes():
            if held:
                out.setdefault(attr, m.name)
        return out

    def guarded(self) -> dict[str, str]:
        """Attribute -> a method that changes it holding the lock (shared: do not change it)."""
        return self._guarded


def _unwrap(expr: ast.expr) -> ast.expr:
    return expr.func if isinstance(expr, ast.Call) else expr  # ``with self._lock:`` or ``with self._cond():``


@per_file
def locked_classes(pf: PythonFile) -> list[LockedClass]:
    """Classes that create a lock (``self._lock = threading.Lock()``), in ``ast.walk`` order (shared: do not change)."""
    made = [
        node for node in pf.of_type(ast.Assign)
        if isinstance(node.value, ast.Call) and pf.call_name(node.value) in LOCK_FACTORIES
    ]  # fmt: skip
    out: list[LockedClass] = []
    for cls in pf.of_type(ast.ClassDef) if made else ():
        locks: set[str] = set()
        for node in made:
            if pf.contains(cls, node):
                locks |= {a for t in node.targets if (a := _self_attr(t))}
                locks |= {t.id for t in node.targets if isinstance(t, ast.Name) and pf.parents.get(node) is cls}
        if locks:
            out.append(LockedClass(pf, cls, locks))
    return out


@register_extractor("python")
def state_outside_lock(pf: PythonFile) -> Iterator[Site]:
    for lc in locked_classes(pf):
        guarded = lc.guarded()
        kind = _lock_kind(pf, lc)
        seen: set[tuple[str, str]] = set()
        for m, stmt, attr, held in lc.changes():
            if held or attr not in guarded or (m.name, attr) in seen:
                continue
            seen.add((m.name, attr))
            suspends = _locked_update_suspends(lc, attr) or _read_await_write(pf, m, stmt, attr)
            yield _site(pf, StateOutsideLockSite, stmt, owner=lc.node.name, attribute=attr, lock=sorted(lc.locks)[0],
                        guarded_in=guarded[attr], lock_kind=kind, suspends=suspends,
                        phase=_method_phase(pf, stmt))  # fmt: skip


def _lock_kind(pf: PythonFile, lc: LockedClass) -> str:
    """``asyncio`` when every lock the class makes is an asyncio lock, else ``threads``."""
    made = {pf.call_name(n.value) for n in pf.within(lc.node, ast.Assign)
            if isinstance(n.value, ast.Call) and pf.call_name(n.value) in LOCK_FACTORIES}  # fmt: skip
    return "asyncio" if made and all(m.startswith("asyncio.") for m in made) else "threads"


def _method_phase(pf: PythonFile, stmt: ast.stmt) -> str | None:
    found = phase(pf, stmt)
    return found if found in {"start-up", "exit"} else None


def _locked_update_suspends(lc: LockedClass, attr: str) -> bool:
    """Whether a change of ``attr`` made under the lock sits in a locked block (or method) that awaits."""
    for m, stmt, changed, held in lc.changes():
        if changed != attr or not held:
            continue
        block = next((a for a in lc.pf.ancestors(stmt) if isinstance(a, ast.With | ast.AsyncWith)
                      and any(_self_attr(_unwrap(i.context_expr)) in lc.locks for i in a.items)), None)  # fmt: skip
        if awaits_within(lc.pf, block if block is not None and lc.pf.contains(m, block) else m):
            return True
    return False


def _read_await_write(pf: PythonFile, method: Function, stmt: ast.stmt, attr: str) -> bool:
    """Whether ``method`` reads ``self.attr``, then awaits, then changes it at ``stmt``."""
    if not isinstance(method, ast.AsyncFunctionDef):
        return False
    reads = [n.lineno for n in pf.within(method, ast.Attribute)
             if isinstance(n.ctx, ast.Load) and _self_attr(n) == attr and n.lineno < stmt.lineno]  # fmt: skip
    return (
        bool(reads)
        and awaits_within(pf, method, before=stmt.lineno)
        and any(reads[0] <= n.lineno for n in pf.within(method, ast.Await) if n.lineno < stmt.lineno)
    )


def thread_starter(pf: PythonFile, root: ast.AST | None = None) -> str | None:
    """The first thread-starting API that ``root`` (default: the module) refers to, or None."""
    everywhere = _thread_starters(pf)
    if root is None or root is pf.tree:
        return everywhere[0][1] if everywhere else None
    return next((api for node, api in everywhere if pf.contains(root, node)), None)


@per_file
def _thread_starters(pf: PythonFile) -> list[tuple[ast.AST, str]]:
    """Every reference to a thread-starting API, in ``ast.walk`` order (a subtree's references come in its order)."""
    out: list[tuple[ast.AST, str]] = []
    imported = {name for name, api in pf.aliases.items() if api in THREAD_STARTERS}  # a name is what it imports
    for name in pf.of_type(ast.Name) if imported else ():
        if name.id in imported:
            out.append((name, pf.aliases[name.id]))
    for node in pf.of_type(ast.Attribute):  # an attribute's dotted name ends with the attribute
        if node.attr in STARTER_ATTRS and (api := pf.dotted(node)) in THREAD_STARTERS:
            out.append((node, api))
        elif node.attr == "run_in_executor":
            out.append((node, "run_in_executor"))
    return sorted(out, key=lambda found: pf.position(found[0]))
