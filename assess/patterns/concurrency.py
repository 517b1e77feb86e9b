"""Concurrency hazards in Python: state a class's lock should guard but does not, check-then-act races
on files and shared dicts, and read-modify-write of module-level state in modules that start threads.

JavaScript runs handlers on one thread, so these hazards are Python-only here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from assess.model.patterns import Site, register_site
from assess.patterns import register_extractor
from assess.patterns.pyast import PythonFile, keyword, per_file, per_node


@register_site
class StateOutsideLockSite(Site):
    kind: Literal["state-outside-lock"] = "state-outside-lock"
    owner: str
    """The class that owns the lock."""
    attribute: str
    lock: str
    guarded_in: str
    """A method that changes the same attribute while holding the lock."""


@register_site
class CheckThenActSite(Site):
    kind: Literal["check-then-act"] = "check-then-act"
    subject: str
    """What is checked and then changed: a path or a shared dict."""
    check: str
    act: str
    act_line: int


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
CONSTRUCTORS = {"__init__", "__post_init__", "__new__", "__init_subclass__", "setUp"}
EXISTS = {"os.path.exists", "os.path.isfile", "os.path.isdir", "os.path.lexists"}
PATH_METHODS = {"exists", "is_file", "is_dir"}
FILE_ACTS = {"open", "io.open", "os.open", "os.remove", "os.unlink", "os.makedirs", "os.mkdir", "os.rmdir",
             "os.rename", "os.replace", "shutil.rmtree", "shutil.move"}  # fmt: skip
TOLERANT = ("exist_ok", "missing_ok", "ignore_errors", "dirs_exist_ok")
"""Keyword arguments that make the act succeed whether or not the check still holds."""
PATH_ACTS = {"open", "read_text", "write_text", "read_bytes", "write_bytes", "unlink", "mkdir", "touch", "rmdir",
             "rename", "replace"}  # fmt: skip
CONCURRENT_MODULES = {
    "threading", "concurrent", "multiprocessing", "asyncio", "http", "socketserver", "flask", "fastapi", "django",
    "aiohttp", "starlette", "celery", "tornado", "sanic", "falcon", "bottle", "rq", "dramatiq", "gunicorn", "uvicorn",
}  # fmt: skip
"""Imports that say a module's code runs concurrently (threads, processes, async tasks, request workers)."""
MUTABLE_FACTORIES = {"dict", "list", "set", "collections.defaultdict", "collections.OrderedDict", "collections.Counter",
                     "collections.deque"}  # fmt: skip

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
        seen: set[tuple[str, str]] = set()
        for m, stmt, attr, held in lc.changes():
            if held or attr not in guarded or (m.name, attr) in seen:
                continue
            seen.add((m.name, attr))
            yield _site(pf, StateOutsideLockSite, stmt, owner=lc.node.name, attribute=attr,
                        lock=sorted(lc.locks)[0], guarded_in=guarded[attr])  # fmt: skip


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


def _under_lock(pf: PythonFile, node: ast.AST, locks: set[str] = frozenset()) -> bool:  # type: ignore[assignment]
    """Whether ``node`` runs inside ``with <something named like a lock>:``."""
    for a in pf.ancestors(node):
        if isinstance(a, ast.With | ast.AsyncWith):
            for item in a.items:
                text = pf.dotted(_unwrap(item.context_expr))
                if "lock" in text.lower() or "mutex" in text.lower() or text in locks:
                    return True
    return False


def _path_checks(pf: PythonFile, test: ast.expr) -> Iterator[tuple[ast.expr, str]]:
    """(checked path expression, check) for each existence check in an ``if`` test."""
    for node in pf.within(test, ast.Call):
        name = pf.call_name(node)
        if name in EXISTS and node.args:
            yield node.args[0], name
        elif isinstance(node.func, ast.Attribute) and node.func.attr in PATH_METHODS and not node.args:
            yield node.func.value, f".{node.func.attr}()"


def _tolerant(call: ast.Call) -> bool:
    return any(isinstance(v := keyword(call, k), ast.Constant) and v.value for k in TOLERANT)


def _file_act(pf: PythonFile, call: ast.Call, subject: str) -> str | None:
    name = pf.call_name(call)
    if name in FILE_ACTS and call.args and ast.dump(call.args[0]) == subject:
        return None if _tolerant(call) else name
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in PATH_ACTS and ast.dump(func.value) == subject:
        return None if _tolerant(call) else f".{func.attr}()"
    return None


def _branch_nodes(pf: PythonFile, node: ast.If, *types: type[ast.AST]) -> Iterator[ast.AST]:
    """Nodes of ``types`` in the ``if`` body and its ``else`` (an ``elif`` is a check of its own), in walk order."""
    elif_ = len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If)
    for stmt in [*node.body, *([] if elif_ else node.orelse)]:
        if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield from pf.within(stmt, *types)


def _file_races(pf: PythonFile, node: ast.If) -> Iterator[Site]:
    for path, check in _path_checks(pf, node.test):
        subject = ast.dump(path)
        for call in _branch_nodes(pf, node, ast.Call):
            if isinstance(call, ast.Call) and (act := _file_act(pf, call, subject)):
                yield _site(pf, CheckThenActSite, node.test, subject=ast.unparse(path), check=check, act=act,
                            act_line=call.lineno)  # fmt: skip
                return


def _dict_checks(pf: PythonFile, test: ast.expr) -> Iterator[ast.expr]:
    """The dicts an ``if`` test looks a key up in: ``k not in d``, ``k in d``, ``d.get(k) is None``."""
    for node in pf.within(test, ast.Compare, ast.Call):
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.In | ast.NotIn):
            yield node.comparators[0]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
            yield node.func.value


def _dict_act(node: ast.AST, subject: str) -> bool:
    if isinstance(node, ast.Assign | ast.Delete):
        targets = node.targets
        return any(isinstance(t, ast.Subscript) and ast.dump(t.value) == subject for t in targets)
    return False


def _shared_dict(pf: PythonFile, expr: ast.expr, threaded_classes: set[str], module_threads: bool) -> bool:
    if (attr := _self_attr(expr)) and not isinstance(expr, ast.Subscript):
        cls = next((a for a in pf.ancestors(expr) if isinstance(a, ast.ClassDef)), None)
        return cls is not None and f"{cls.name}.{attr}" in threaded_classes
    if isinstance(expr, ast.Name) and module_threads and expr.id in _module_state(pf):
        fn = pf.enclosing_function(expr)
        local = fn is not None and expr.id in _assigned_names(pf, fn)
        return not local
    return False


@per_node
def _assigned_names(pf: PythonFile, fn: Function) -> set[str]:
    """Names assigned anywhere in ``fn`` (nested functions included): local there, not module state."""
    found = pf.within(fn, ast.Assign, ast.AnnAssign)
    return {name for n in found if isinstance(n, ast.Assign | ast.AnnAssign) for name in _names(n)}


def _names(stmt: ast.Assign | ast.AnnAssign) -> set[str]:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    return {t.id for t in targets if isinstance(t, ast.Name)}


def _threaded_attrs(pf: PythonFile) -> set[str]:
    """``Class.attr`` for attributes of classes that use threads, except those the class's lock guards."""
    out: set[str] = set()
    locked = {lc.node.name: lc for lc in locked_classes(pf)}
    for cls in pf.of_type(ast.ClassDef):
        if cls.name not in locked and not thread_starter(pf, cls):
            continue
        guarded = set(locked[cls.name].guarded()) if cls.name in locked else set()
        attrs = {a for node in pf.within(cls, ast.stmt) for a in mutations(node)}
        out |= {f"{cls.name}.{a}" for a in attrs - guarded}
    return out


@register_extractor("python")
def check_then_act(pf: PythonFile) -> Iterator[Site]:
    """File races in code that runs concurrently (a one-shot script racing with nobody is left alone), and
    check-then-insert on dicts shared between threads."""
    threaded = _threaded_attrs(pf)
    module_threads = thread_starter(pf) is not None
    concurrent = bool({m.split(".")[0] for m in pf.imports} & CONCURRENT_MODULES)
    for node in pf.of_type(ast.If):
        if _under_lock(pf, node):
            continue
        found = list(_file_races(pf, node)) if concurrent or pf.in_async(node) else []
        for expr in [] if found else _dict_checks(pf, node.test):
            if not _shared_dict(pf, expr, threaded, module_threads):
                continue
            subject = ast.dump(expr)
            act = next((n for n in _branch_nodes(pf, node, ast.Assign, ast.Delete) if _dict_act(n, subject)), None)
            if act is not None:
                kind = "del" if isinstance(act, ast.Delete) else "store"
                found.append(_site(pf, CheckThenActSite, node.test, subject=ast.unparse(expr), check="key lookup",
                                   act=kind, act_line=getattr(act, "lineno", node.lineno)))  # fmt: skip
                break
        yield from found[:1]


@per_file
def _module_state(pf: PythonFile) -> set[str]:
    names: set[str] = set()
    for stmt in pf.tree.body:
        if not isinstance(stmt, ast.Assign | ast.AnnAssign) or stmt.value is None:
            continue
        value = stmt.value
        mutable = isinstance(value, ast.Dict | ast.List | ast.Set) or (
            isinstance(value, ast.Call) and pf.call_name(value) in MUTABLE_FACTORIES
        )
        counter = isinstance(value, ast.Constant) and type(value.value) in {int, float}
        if mutable or counter:
            names |= _names(stmt)
    return names


def _read_modify_write(stmt: ast.stmt, state: set[str], declared: set[str]) -> str | None:
    """The module-level name ``stmt`` updates from its own value (``n += 1``, ``d[k] = d.get(k, 0) + 1``), or None."""
    if isinstance(stmt, ast.AugAssign):
        aug = stmt.target
        if isinstance(aug, ast.Name) and aug.id in state & declared:
            return aug.id
        if isinstance(aug, ast.Subscript) and isinstance(aug.value, ast.Name) and aug.value.id in state:
            return aug.value.id
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        name = target.id if isinstance(target, ast.Name) and target.id in declared else None
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            name = target.value.id
        read = {n.id for n in ast.walk(stmt.value) if isinstance(n, ast.Name)}
        if name in state and name in read:
            return name
    return None


@register_extractor("python")
def shared_module_state(pf: PythonFile) -> Iterator[Site]:
    threads = thread_starter(pf)
    state = _module_state(pf)
    if threads is None or not state:
        return
    for fn in pf.of_type(ast.FunctionDef, ast.AsyncFunctionDef):
        declared = {n for g in pf.within(fn, ast.Global) for n in g.names}
        seen: set[str] = set()
        for stmt in pf.within(fn, ast.stmt):
            if pf.enclosing_function(stmt) is fn and not _under_lock(pf, stmt):
                name = _read_modify_write(stmt, state, declared)
                if name and name not in seen:
                    seen.add(name)
                    yield _site(pf, SharedStateSite, stmt, name=name, threads=threads)
