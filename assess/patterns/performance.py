"""Performance hazards in Python: queries in loops (N+1), unbounded caches, whole-table reads, and event buses that
call their handlers in the publisher's thread.

The site types are shared with the JavaScript/TypeScript extractor (:mod:`assess.patterns.performance_js`). Blocking
calls, and the call graph that places them on a request path, are recorded by
:mod:`assess.patterns.performance_paths_py` and :mod:`assess.patterns.performance_paths_js`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Literal

from assess.model.patterns import Site, register_site
from assess.patterns import register_extractor
from assess.patterns.performance_sql import query_text, table_names
from assess.patterns.pyast import PythonFile, keyword


@register_site
class BlockingCallSite(Site):
    kind: Literal["blocking-call"] = "blocking-call"
    callee: str
    context: str
    """``async function`` (an ``async def`` or JavaScript ``async function``), ``request handler`` (the callback of a
    route) or ``function`` (any other function: it blocks whoever calls it)."""
    cost: str = "io"
    """What the call waits for: ``io`` (files, a database), ``process`` (a child process), ``cpu`` (hashing,
    compression), ``network``, ``sleep``, or ``metadata`` (a stat of a path: microseconds on a local disk)."""
    owner_line: int | None = None
    """The line of the function that owns the call in the file's call graph
    (:class:`assess.patterns.performance_graph.CallGraphSite`; None: module level)."""
    memoised: bool = False
    """Whether the call runs only while its result is not kept yet (``if (!this.html) this.html = readFileSync(...)``,
    ``if self._data is None:``): once per process (or per key), not per request."""


@register_site
class QueryInLoopSite(Site):
    kind: Literal["query-in-loop"] = "query-in-loop"
    callee: str
    loop_line: int
    variable: str
    """The loop variable the query uses (one query per item)."""


@register_site
class UnboundedCacheSite(Site):
    kind: Literal["unbounded-cache"] = "unbounded-cache"
    name: str
    mechanism: str
    loads_files: bool = False
    """Whether the code that fills it reads a file for each entry (SQL, templates): the keys are then bounded by the
    files on disk, unless callers can name any file."""


@register_site
class UnpaginatedQuerySite(Site):
    kind: Literal["unpaginated-query"] = "unpaginated-query"
    api: str
    table: str


@register_site
class SyncDeliverySite(Site):
    kind: Literal["sync-event-delivery"] = "sync-event-delivery"
    method: str
    handler: str


SQL_METHODS = {"execute", "fetch", "fetchrow", "fetchval", "executescript"}
ORM_READS = {"get", "filter", "filter_by", "exclude", "first", "count", "exists", "get_or_404", "scalar", "scalars"}
SESSION_READS = {"get", "query", "execute", "scalar", "scalars", "filter", "filter_by"}
CACHE_NAME = re.compile(
    r"^(?!.*(dir|path|file|ttl|size|key|keys|config|settings|stats|hits|misses|lock|timeout|enabled)$)"
    r".*((^|_)(cache|cached|memo|memoi[sz]ed)(_|$)|cache$|memo$)",
    re.IGNORECASE,
)
"""Names of cache stores (``_cache``, ``statementCache``, ``memo``), not of cache settings (``cache_dir``)."""
DICT_FACTORIES = {"dict", "collections.OrderedDict", "collections.defaultdict", "collections.Counter"}
EVICTION = {"pop", "popitem", "clear", "move_to_end"}
SUBSCRIBERS = re.compile(r"subscri|listener|handler|observer|callback|hook|sink|receiver", re.IGNORECASE)
PUBLISH = re.compile(r"^_*(publish|emit|dispatch|fire|broadcast|trigger|notify_all|send_event|post_event)", re.I)
HANDLER_METHODS = {"handle", "on_event", "notify", "update", "callback", "fn", "func", "handler", "__call__"}


def _site(pf: PythonFile, cls: type[Site], node: ast.AST, line: int | None = None, **fields: object) -> Site:
    start, end = pf.span(node)
    line = line or start
    return cls(path=pf.path, line=line, end_line=max(end, line), language="Python",
               snippet=pf.snippet(node), function=pf.qualname(node), **fields)  # fmt: skip


def _loop_names(pf: PythonFile, call: ast.Call) -> tuple[int, set[str]] | None:
    """(line of the innermost loop around ``call``, names the loops bind), or None outside loops."""
    names: set[str] = set()
    line = 0
    child: ast.AST = call
    for a in pf.ancestors(call):
        if isinstance(a, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            break
        if isinstance(a, ast.For | ast.AsyncFor) and child is not a.iter:
            names |= {n.id for n in ast.walk(a.target) if isinstance(n, ast.Name)}
            line = line or a.lineno
        elif (
            isinstance(a, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp)
            and child is not a.generators[0].iter
        ):
            names |= {n.id for g in a.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
            line = line or a.lineno
        child = a
    return (line, names) if names else None


def query_callee(pf: PythonFile, call: ast.Call, name: str) -> bool:
    """Whether ``call`` runs a database read: SQL SELECT text, or an ORM lookup."""
    parts = name.split(".")
    last = parts[-1]
    if isinstance(call.func, ast.Attribute) and call.func.attr in SQL_METHODS and call.args:
        text = query_text(pf, call.args[0])
        return text is not None and text.is_select()
    if ".objects." in name and last in ORM_READS | {"get_or_create", "values", "aggregate"}:
        return True
    if ".query." in name and last in ORM_READS:
        return True
    return last in SESSION_READS and any("session" in p.lower() for p in parts[:-1])


@register_extractor("python")
def queries_in_loops(pf: PythonFile) -> Iterator[Site]:
    for call, name in pf.calls():
        if not name or not query_callee(pf, call, name):
            continue
        loop = _loop_names(pf, call)
        if loop is None:
            continue
        used = {n.id for arg in [*call.args, *(k.value for k in call.keywords)] for n in ast.walk(arg)
                if isinstance(n, ast.Name)}  # fmt: skip
        if call.args and table_names(pf, call.args[0]) & loop[1]:
            continue  # one query per table: queries of different tables cannot be folded into one
        if hit := sorted(used & loop[1]):
            yield _site(pf, QueryInLoopSite, call, callee=name, loop_line=loop[0], variable=hit[0])


def _has_parameters(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    args = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]]
    return bool([a for a in args if a not in {"self", "cls"}] or fn.args.vararg or fn.args.kwarg)


def _cache_decorator(pf: PythonFile, dec: ast.expr) -> str | None:
    if isinstance(dec, ast.Call):
        name = pf.call_name(dec)
        if name.endswith("lru_cache") and name.split(".")[0] in {"functools", "lru_cache"}:
            size = keyword(dec, "maxsize")
            if size is None and dec.args:
                size = dec.args[0]
            if isinstance(size, ast.Constant) and size.value is None:
                return "lru_cache(maxsize=None)"
        if name in {"cachetools.cached", "cachetools.func.cached"} and dec.args and isinstance(dec.args[0], ast.Dict):
            return "cachetools.cached({})"
        return None
    if pf.dotted(dec) == "functools.cache":
        return "functools.cache"
    return None


@register_extractor("python")
def cache_decorators(pf: PythonFile) -> Iterator[Site]:
    for fn in pf.of_type(ast.FunctionDef, ast.AsyncFunctionDef):
        if not _has_parameters(fn):
            continue
        if isinstance(pf.parents.get(fn), ast.ClassDef):
            continue  # a cached method holds its instances too: another problem, left to others
        for dec in fn.decorator_list:
            if mechanism := _cache_decorator(pf, dec):
                yield _site(pf, UnboundedCacheSite, dec, name=fn.name, mechanism=mechanism)


def _empty_dict(pf: PythonFile, value: ast.expr | None) -> bool:
    if isinstance(value, ast.Dict):
        return not value.keys
    return isinstance(value, ast.Call) and pf.call_name(value) in DICT_FACTORIES and not value.args[1:]


def _ref(node: ast.AST, name: str, on_self: bool) -> bool:
    """Whether ``node`` is ``name`` (module level) or ``self.name`` (instance)."""
    if on_self:
        return isinstance(node, ast.Attribute) and node.attr == name and isinstance(node.value, ast.Name)
    return isinstance(node, ast.Name) and node.id == name


def _reached(node: ast.AST, name: str, on_self: bool) -> bool:
    """Whether ``node`` is the cache, also through its owner (``self.manager.cache`` for an instance's ``cache``)."""
    return isinstance(node, ast.Attribute) and node.attr == name if on_self else _ref(node, name, on_self)


def _inner(node: ast.AST, name: str, on_self: bool) -> bool:
    """Whether ``node`` is one of the cache's inner dictionaries (``cache[key]`` of a two-level cache)."""
    return isinstance(node, ast.Subscript) and _reached(node.value, name, on_self)


def _evicts_inner(pf: PythonFile, loop: ast.For, name: str, on_self: bool) -> bool:
    """Whether ``loop`` goes over the cache's inner dictionaries (``for _, sub in cache.items()``) and removes
    entries from them (``sub.pop(path, None)``)."""
    it = loop.iter
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr in {"items", "values"}
            and _reached(it.func.value, name, on_self)):  # fmt: skip
        return False
    target = loop.target.elts[-1] if isinstance(loop.target, ast.Tuple) and loop.target.elts else loop.target
    if not isinstance(target, ast.Name):
        return False
    for node in pf.subtree(loop):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in EVICTION
                and isinstance(node.func.value, ast.Name) and node.func.value.id == target.id):  # fmt: skip
            return True
    return False


def _evicts(pf: PythonFile, node: ast.AST, name: str, on_self: bool) -> bool:
    """Whether ``node`` removes entries of the cache: ``del cache[k]``, ``cache.pop(k)``, ``cache[k].pop(x)``,
    a loop that pops from its inner dictionaries."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Del):
        return _reached(node.value, name, on_self)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in EVICTION:
        return _reached(node.func.value, name, on_self) or _inner(node.func.value, name, on_self)
    return isinstance(node, ast.For) and _evicts_inner(pf, node, name, on_self)


def _cache_use(pf: PythonFile, scope: ast.AST, name: str, on_self: bool, definition: ast.AST) -> tuple[bool, bool]:
    """(filled, evicted): whether ``scope`` adds keys to the cache, and whether it ever removes or bounds them.

    Eviction counts wherever the module does it: a watcher or another class reaching the cache through its owner
    (``manager.cache.pop(key)``), or removing from the inner dictionaries of a two-level cache."""
    filled = evicted = False
    if on_self:  # another class of the module may hold the owner and evict (a file watcher's handler)
        evicted = any(_evicts(pf, node, name, on_self) for node in pf.subtree(pf.tree))
    for node in pf.subtree(scope):
        if isinstance(node, ast.For) and _evicts_inner(pf, node, name, on_self):
            evicted = True
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and _ref(node.value, name, on_self):
            filled = True
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Del) and _ref(node.value, name, on_self):
            evicted = True
        elif (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _ref(node.func.value, name, on_self)
        ):
            filled = filled or node.func.attr in {"setdefault", "update"}
            evicted = evicted or node.func.attr in EVICTION
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len":
            evicted = evicted or any(_ref(a, name, on_self) for a in node.args)
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node is not definition:  # reset to a new dict
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            evicted = evicted or any(_ref(t, name, on_self) for t in targets)
    return filled, evicted


@register_extractor("python")
def cache_dicts(pf: PythonFile) -> Iterator[Site]:
    for node in pf.of_type(ast.Assign, ast.AnnAssign):
        value: ast.expr | None
        scope: ast.AST
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        else:
            continue
        if not _empty_dict(pf, value):
            continue
        owner = pf.parents.get(node)
        if isinstance(target, ast.Name) and isinstance(owner, ast.Module) and CACHE_NAME.search(target.id):
            name, on_self, scope = target.id, False, pf.tree
        elif isinstance(target, ast.Attribute) and _ref(target, target.attr, True) and CACHE_NAME.search(target.attr):
            cls = next((a for a in pf.ancestors(node) if isinstance(a, ast.ClassDef)), None)
            if cls is None:
                continue
            name, on_self, scope = target.attr, True, cls
        else:
            continue
        filled, evicted = _cache_use(pf, scope, name, on_self, node)
        if filled and not evicted:
            loads = _fills_from_files(pf, scope, name, on_self)
            yield _site(pf, UnboundedCacheSite, node, name=name, mechanism="dict", loads_files=loads)


FILE_READS = {"open", "io.open", "builtins.open"}


def _fills_from_files(pf: PythonFile, scope: ast.AST, name: str, on_self: bool) -> bool:
    """Whether a function that stores into the cache reads a file (``open``, ``Path.read_text``)."""
    stores = [
        n for n in pf.subtree(scope)
        if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store) and _ref(n.value, name, on_self)
    ]  # fmt: skip
    for fn in {f for n in stores if (f := pf.enclosing_function(n)) is not None}:
        for call, callee in pf.calls(fn):
            method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
            if callee in FILE_READS or method in {"read_text", "read_bytes"}:
                return True
    return False


FULL_READERS = {"pandas.read_sql", "pandas.read_sql_query", "pd.read_sql", "pd.read_sql_query"}
NARROWING = {"filter", "filter_by", "where", "limit", "offset", "slice", "paginate", "get", "first", "one", "fetch",
             "one_or_none", "scalar", "exists", "count", "values_list", "in_bulk", "iterator"}  # fmt: skip


def _scope(pf: PythonFile, node: ast.AST) -> ast.AST:
    return pf.enclosing_function(node) or pf.tree


def _iterated(pf: PythonFile, node: ast.AST) -> bool:
    parent = pf.parents.get(node)
    if isinstance(parent, ast.For | ast.AsyncFor | ast.comprehension) and parent.iter is node:
        return True
    return isinstance(parent, ast.Call) and pf.call_name(parent) in {"list", "tuple"} and node in parent.args


def _fetched_whole(pf: PythonFile, call: ast.Call) -> bool:
    """Whether every row of ``call``'s result is read: ``.fetchall()``, iteration, ``list()``."""
    parent = pf.parents.get(call)
    if isinstance(parent, ast.Attribute):
        return parent.attr == "fetchall"
    if _iterated(pf, call):
        return True
    holders: set[str] = set()
    if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name):
        holders.add(call.func.value.id)  # cursor.execute(...); cursor.fetchall()
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        holders.add(parent.targets[0].id)
    for node in pf.within(_scope(pf, call), ast.Name):
        if node.lineno <= call.lineno or node.id not in holders:
            continue
        up = pf.parents.get(node)
        if (isinstance(up, ast.Attribute) and up.attr in {"fetchone", "fetchmany"}) or isinstance(up, ast.Subscript):
            return False
        if (isinstance(up, ast.Attribute) and up.attr == "fetchall") or _iterated(pf, node):
            return True
    return False


def _chain(call: ast.AST) -> tuple[list[ast.Call], ast.AST]:
    """The calls of a method chain ``a.b(...).c(...)`` from outermost to innermost, and its root."""
    calls: list[ast.Call] = []
    node = call
    while isinstance(node, ast.Call | ast.Attribute):
        if isinstance(node, ast.Call):
            calls.append(node)
            node = node.func
        else:
            node = node.value
    return calls, node


def _methods(calls: list[ast.Call]) -> list[str]:
    return [c.func.attr for c in calls if isinstance(c.func, ast.Attribute)]


def _orm_read(pf: PythonFile, call: ast.Call) -> str | None:
    """The API of an ORM read of a whole table (``session.query(T).all()``), or None."""
    if not isinstance(call.func, ast.Attribute) or call.args:
        return None
    calls, _ = _chain(call)
    methods = _methods(calls)
    text = pf.dotted(call.func)
    if NARROWING & set(methods[1:]):
        return None
    if methods[0] == "all" and "query" in methods and "session" in text.lower():
        return "session.query().all()"
    if methods[0] == "all" and ".query.all" in text and "query" not in methods:
        return "Model.query.all()"
    if methods[0] == "all" and {"scalars", "execute"} & set(methods):
        inner = next((c for c in calls if _methods([c]) and _methods([c])[0] in {"scalars", "execute"}), None)
        if inner is not None and inner.args and isinstance(inner.args[0], ast.Call):
            select_calls, _ = _chain(inner.args[0])
            if pf.call_name(select_calls[-1]).endswith("select") and not NARROWING & set(_methods(select_calls)):
                return "session.scalars(select()).all()"
    if ".objects." in text and methods[0] in {"all", "order_by"} and _iterated(pf, call):
        return "Model.objects.all()"
    return None


@register_extractor("python")
def unpaginated_queries(pf: PythonFile) -> Iterator[Site]:
    for call, name in pf.calls():
        if isinstance(call.func, ast.Attribute) and call.func.attr in {"execute", "fetch"} and call.args:
            text = query_text(pf, call.args[0])
            whole = call.func.attr == "fetch" or _fetched_whole(pf, call)
            if text is not None and text.unbounded_read() and whole:
                yield _site(pf, UnpaginatedQuerySite, call, api=name or call.func.attr, table=text.table)
        elif name in FULL_READERS and call.args:
            text = query_text(pf, call.args[0])
            if text is not None and text.unbounded_read():
                yield _site(pf, UnpaginatedQuerySite, call, api=name, table=text.table)
        elif api := _orm_read(pf, call):
            yield _site(pf, UnpaginatedQuerySite, call, api=api, table="?")


def _subscriber_iter(pf: PythonFile, expr: ast.AST, fn: ast.AST, depth: int = 0) -> bool:
    for node in ast.walk(expr):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and SUBSCRIBERS.search(node.attr):
            return True
        if isinstance(node, ast.Name) and depth < 2:
            for stmt in ast.walk(fn):
                assigns = isinstance(stmt, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == node.id for t in stmt.targets
                )
                if assigns and _subscriber_iter(pf, stmt.value, fn, depth + 1):  # type: ignore[attr-defined]
                    return True
    return False


def _direct_handler_call(pf: PythonFile, call: ast.Call, targets: set[str]) -> bool:
    func = call.func
    direct = (isinstance(func, ast.Name) and func.id in targets) or (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in targets
        and func.attr in HANDLER_METHODS
    )
    parent = pf.parents.get(call)
    return direct and not isinstance(parent, ast.Await | ast.Call | ast.keyword)


@register_extractor("python")
def sync_event_delivery(pf: PythonFile) -> Iterator[Site]:
    for cls in pf.of_type(ast.ClassDef):
        for fn in cls.body:
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) or not PUBLISH.match(fn.name):
                continue
            for loop in pf.within(fn, ast.For):
                if not _subscriber_iter(pf, loop.iter, fn):
                    continue
                targets = {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
                calls = [c for stmt in loop.body for c in ast.walk(stmt) if isinstance(c, ast.Call)]
                if call := next((c for c in calls if _direct_handler_call(pf, c, targets)), None):
                    yield _site(
                        pf, SyncDeliverySite, call, method=f"{cls.name}.{fn.name}", handler=pf.dotted(call.func)
                    )
