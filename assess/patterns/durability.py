"""Data durability in Python: collections kept in memory (module-, class- and instance-level lists, dicts, sets,
deques) and how they are used: grown at run time, bounded, handed out, persisted by their owner.

Schemas and settings are in :mod:`assess.patterns.durability_schema`, file writes and read-modify-write in
:mod:`assess.patterns.durability_files`, transactions and multi-step writes in
:mod:`assess.patterns.durability_tx`, JavaScript/TypeScript in :mod:`assess.patterns.durability_js`; the site
types in :mod:`assess.patterns.durability_sites`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.durability_sites import CollectionSite
from assess.patterns.pyast import PythonFile, keyword, per_file, per_node

COLLECTIONS = {
    "list": "list", "dict": "dict", "set": "set", "collections.deque": "deque", "collections.defaultdict": "dict",
    "collections.OrderedDict": "dict", "collections.Counter": "dict", "typing.OrderedDict": "dict",
}  # fmt: skip
GROW = {"append", "extend", "insert", "add", "update", "setdefault", "appendleft", "extendleft"}
BOUND = {"pop", "popitem", "popleft", "clear", "remove", "discard", "difference_update", "intersection_update"}
CONSTRUCTORS = frozenset({"__init__", "__post_init__", "setUp"})
HEAP_POPS = {"heapq.heappop", "heapq.heappushpop", "heapq.heapreplace"}
READ = {"get", "keys", "values", "items", "copy", "count", "index", "__contains__", "__getitem__"}
HARMLESS_ARG = {
    "len", "list", "dict", "set", "tuple", "sorted", "iter", "enumerate", "sum", "any", "all", "min", "max", "str",
    "repr", "print", "isinstance", "reversed", "bool", "frozenset", "json.dumps", "json.dump", "copy.copy",
    "copy.deepcopy", "zip", "map", "filter",
}  # fmt: skip
PERSIST_CALL = re.compile(
    r"^(execute|executemany|executescript|commit|save\w*|persist\w*|insert_one|insert_many|update_one|update_many|"
    r"replace_one|bulk_write|put_item|hset|dump|write_text|write_bytes|upsert\w*|flush_to_disk)$"
)
def _container(f: PythonFile, value: ast.expr | None) -> tuple[str, bool] | None:
    """(kind of collection, bounded by construction) for a collection-building expression."""
    if isinstance(value, ast.List):
        return "list", False
    if isinstance(value, ast.Dict):
        return "dict", False
    if isinstance(value, ast.Set):
        return "set", False
    if isinstance(value, ast.Call):
        name = f.call_name(value)
        name = {"deque": "collections.deque", "defaultdict": "collections.defaultdict"}.get(name, name)
        if name in COLLECTIONS:
            maxlen = keyword(value, "maxlen")
            bounded = name == "collections.deque" and (
                len(value.args) > 1 or (maxlen is not None and not _is_none(maxlen))
            )
            return COLLECTIONS[name], bounded
    return None


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _target(stmt: ast.stmt) -> tuple[ast.expr, ast.expr | None] | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        return stmt.targets[0], stmt.value
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        return stmt.target, stmt.value
    return None


class _Use:
    def __init__(self, construction: set[str]) -> None:
        self.grows = self.bounded = self.escapes = self.keyed_writes = self.keyed_reads = False
        self.construction = CONSTRUCTORS | construction

    def runtime(self, f: PythonFile, node: ast.AST) -> bool:
        """Whether ``node`` runs with the traffic: in a function that is neither construction, registration
        (``register()``, a decorator that records its argument) nor a signal handler (it runs once per signal)."""
        func = f.enclosing_function(node)
        return (
            func is not None and func.name not in self.construction and not REGISTRATION.match(func.name)
            and not _registers(f, func) and func.name not in _signal_handlers(f)
        )  # fmt: skip


REGISTRATION = re.compile(r"^_*register")
SIGNAL_CALLS = re.compile(r"(^|\.)(signal\.signal|add_signal_handler)$")


@per_file
def _signal_handlers(f: PythonFile) -> set[str]:
    """Names of the functions the file installs as signal handlers (``signal.signal(SIGTERM, self.on_exit)``)."""
    out: set[str] = set()
    for call, name in f.calls():
        if SIGNAL_CALLS.search(name) and len(call.args) >= 2:
            handler = call.args[1]
            out.add(handler.attr if isinstance(handler, ast.Attribute) else getattr(handler, "id", ""))
    return out


@per_node
def _registers(f: PythonFile, func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A decorator that records its argument and returns it (``def register(cls): X[...] = cls; return cls``)."""
    params = {a.arg for a in func.args.args}
    return any(isinstance(n, ast.Return) and isinstance(n.value, ast.Name) and n.value.id in params
               for n in f.own_nodes(func))  # fmt: skip


@per_node
def _init_helpers(f: PythonFile, cls: ast.ClassDef) -> set[str]:
    """Methods the constructor calls (``self._load()``): they run once, at construction."""
    init = next((m for m in cls.body if isinstance(m, ast.FunctionDef) and m.name in CONSTRUCTORS), None)
    if init is None:
        return set()
    return {
        c.func.attr for c in f.within(init, ast.Call)
        if isinstance(c.func, ast.Attribute) and isinstance(c.func.value, ast.Name) and c.func.value.id == "self"
    }  # fmt: skip


def _classify_use(f: PythonFile, ref: ast.expr, use: _Use, container: str) -> None:
    parent = f.parents.get(ref)
    grand = f.parents.get(parent) if parent is not None else None
    if isinstance(parent, ast.Attribute) and isinstance(grand, ast.Call) and grand.func is parent:
        method = parent.attr
        if method in GROW:
            use.grows |= use.runtime(f, ref)
            use.keyed_writes |= method in {"setdefault", "update"} and container == "dict"
        use.bounded |= method in BOUND
        use.keyed_reads |= method in READ
    elif isinstance(parent, ast.Subscript) and parent.value is ref:
        if isinstance(parent.ctx, ast.Del) or (
            isinstance(parent.ctx, ast.Store) and isinstance(parent.slice, ast.Slice)
        ):
            use.bounded = True
        elif isinstance(parent.ctx, ast.Store) or isinstance(grand, ast.AugAssign):
            use.keyed_writes |= container == "dict"
            use.grows |= container == "dict" and use.runtime(f, ref)
        else:
            use.keyed_reads = True
            if isinstance(grand, ast.Attribute) and grand.attr in GROW:
                use.grows |= use.runtime(f, ref)  # defaultdict(list): X[k].append(v)
    elif isinstance(parent, ast.Compare) and ref in parent.comparators:
        use.keyed_reads = True
    elif isinstance(parent, ast.AugAssign) and parent.target is ref:
        use.grows |= use.runtime(f, ref)
    elif isinstance(parent, ast.Call) and ref in parent.args:
        name = f.call_name(parent)
        if (name == "len" and isinstance(grand, ast.Compare)) or name in HEAP_POPS:
            use.bounded = True
        elif name == "heapq.heappush":
            use.grows |= use.runtime(f, ref)
        elif name not in HARMLESS_ARG:
            use.escapes = True
    elif isinstance(getattr(ref, "ctx", None), ast.Store | ast.Del):
        use.bounded = True  # reassigned (reset or trimmed) somewhere else


@per_node
def _persists(f: PythonFile, root: ast.AST) -> bool:
    for call, name in f.calls(root):
        last = name.rsplit(".", 1)[-1] if name else getattr(call.func, "attr", "")
        if PERSIST_CALL.match(last) or (name in {"open", "io.open"} and _writes_mode(call)):
            return True
    return False


def _writes_mode(call: ast.Call) -> bool:
    mode = call.args[1] if len(call.args) > 1 else keyword(call, "mode")
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and mode.value[:1] in {"w", "a"}


def _collection_site(f: PythonFile, node: ast.stmt, name: str, scope: str, kind: tuple[str, bool],
                     refs: Sequence[ast.expr], owner: ast.ClassDef | None) -> CollectionSite:  # fmt: skip
    use = _Use(_init_helpers(f, owner) if owner else set())
    use.bounded = kind[1]
    use.escapes = owner is not None and _handed_out(f, owner, name)
    for ref in refs:
        _classify_use(f, ref, use, kind[0])
    line = node.lineno
    return CollectionSite(
        path=f.path, line=line, end_line=node.end_lineno or line, language="Python", snippet=f.snippet(node),
        function=f.qualname(node), name=name, scope=scope, container=kind[0], owner=owner.name if owner else None,
        grows=use.grows, bounded=use.bounded, escapes=use.escapes, keyed_writes=use.keyed_writes,
        keyed_reads=use.keyed_reads, owner_persists=_persists(f, owner or f.tree),
        long_lived=_lifetime(f, scope, owner),
    )  # fmt: skip


LONG_LIVED_CLASS = re.compile(
    r"(Store|Storage|Repository|Repo|KnowledgeBase|Limiter|Throttle|Tracker|Monitor|Service|Server|Bus|Broker|"
    r"Dispatcher|Notifier|Scheduler|Pool|Counter|Recorder|Aggregator|History|Orchestrator|Daemon|Watcher|Gateway|"
    r"Hub|Book|Ledger)$"
)
LOCKS = re.compile(r"^(threading\.(Lock|RLock|Semaphore|BoundedSemaphore|Condition)|asyncio\.(Lock|Semaphore))$")


def _lifetime(f: PythonFile, scope: str, owner: ast.ClassDef | None) -> str | None:
    if owner is None or scope != "instance":
        return "module level" if owner is None else "class attribute"
    return _instance_lifetime(f, owner)


@per_node
def _instance_lifetime(f: PythonFile, owner: ast.ClassDef) -> str | None:
    if any(LOCKS.match(name) for _, name in f.calls(owner)):
        return "owns a lock"
    module_level = [s.value for s in f.tree.body if isinstance(s, ast.Assign | ast.AnnAssign) and s.value is not None]
    if any(isinstance(v, ast.Call) and f.call_name(v) == owner.name for v in module_level):
        return "created at module level"
    return f"a service object ({owner.name})" if LONG_LIVED_CLASS.search(owner.name) else None


@per_file
def _attributes_by_name(f: PythonFile) -> dict[str, list[ast.Attribute]]:
    """Every ``x.name`` of the file by ``name``, in ``ast.walk`` order."""
    out: dict[str, list[ast.Attribute]] = {}
    for node in f.of_type(ast.Attribute):
        out.setdefault(node.attr, []).append(node)
    return out


def _handed_out(f: PythonFile, owner: ast.ClassDef, name: str) -> bool:
    """``result.files`` read outside the class: the object builds a result for someone else to consume."""
    for node in _attributes_by_name(f).get(name, ()):
        if not f.contains(owner, node):
            return not (isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"})
    return False


@per_file
def _names_by_id(f: PythonFile) -> dict[str, list[ast.Name]]:
    """Every name the file uses, by identifier, in ``ast.walk`` order."""
    out: dict[str, list[ast.Name]] = {}
    for node in f.of_type(ast.Name):
        out.setdefault(node.id, []).append(node)
    return out


def _module_collections(f: PythonFile) -> Iterator[CollectionSite]:
    for stmt in f.tree.body:
        pair = _target(stmt)
        if pair is None or not isinstance(pair[0], ast.Name):
            continue
        kind = _container(f, pair[1])
        if kind is None:
            continue
        name = pair[0].id
        refs = [n for n in _names_by_id(f).get(name, ()) if n is not pair[0]]
        yield _collection_site(f, stmt, name, "module", kind, refs, None)


@per_node
def _holder_attributes(f: PythonFile, cls: ast.ClassDef) -> dict[str, list[ast.Attribute]]:
    """``self.x``, ``cls.x`` and ``Class.x`` anywhere in ``cls``, by ``x``, in ``ast.walk`` order."""
    holders = {"self", "cls", cls.name}
    out: dict[str, list[ast.Attribute]] = {}
    for n in f.within(cls, ast.Attribute):
        if isinstance(n.value, ast.Name) and n.value.id in holders:
            out.setdefault(n.attr, []).append(n)
    return out


def _attribute_refs(f: PythonFile, cls: ast.ClassDef, name: str) -> list[ast.Attribute]:
    return _holder_attributes(f, cls).get(name, [])


def _class_collections(f: PythonFile) -> Iterator[CollectionSite]:
    for cls in f.of_type(ast.ClassDef):
        seen: set[str] = set()
        for stmt in cls.body:
            pair = _target(stmt)
            if pair and isinstance(pair[0], ast.Name) and (kind := _container(f, pair[1])):
                seen.add(pair[0].id)
                yield _collection_site(f, stmt, pair[0].id, "class", kind, _attribute_refs(f, cls, pair[0].id), cls)
        methods = [m for m in cls.body if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)]
        for method in sorted(methods, key=lambda m: m.name != "__init__"):
            for stmt in f.within(method, ast.Assign, ast.AnnAssign):
                pair = _target(stmt)
                if pair is None or not isinstance(pair[0], ast.Attribute) or pair[0].attr in seen:
                    continue
                holder = pair[0].value
                if not (isinstance(holder, ast.Name) and holder.id == "self") or not (kind := _container(f, pair[1])):
                    continue
                seen.add(pair[0].attr)
                refs = [r for r in _attribute_refs(f, cls, pair[0].attr) if r is not pair[0]]
                yield _collection_site(f, stmt, pair[0].attr, "instance", kind, refs, cls)


@register_extractor("python")
def durability(f: PythonFile) -> Iterator[Site]:
    yield from _module_collections(f)
    yield from _class_collections(f)
