"""Data durability in Python: collections kept in memory, SQLite WAL, connection pools, schemas created
in code, and (for the repository) migrations.

File writes and read-modify-write are in :mod:`assess.patterns.durability_files`, transactions and
multi-step writes in :mod:`assess.patterns.durability_tx`, JavaScript/TypeScript in
:mod:`assess.patterns.durability_js`. The site types here are shared by all of them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from assess.model.patterns import Site, register_site
from assess.patterns import RepoFiles, register_extractor
from assess.patterns.pyast import PythonFile, keyword, per_file, per_node


@register_site
class CollectionSite(Site):
    """A module-, class- or instance-level list/dict/set/deque (JS: array, Map, Set, object) and how it is used."""

    kind: Literal["durability-collection"] = "durability-collection"
    name: str
    scope: Literal["module", "class", "instance"]
    container: str
    owner: str | None = None
    """The class holding it (None at module level)."""
    grows: bool
    """Appended/added/assigned to by key from a function (not only at import time or in the constructor)."""
    bounded: bool
    """Popped, deleted from, cleared, trimmed, reassigned, length-checked, or a deque with ``maxlen``."""
    escapes: bool
    """Passed to another function, which may bound it; the extractor cannot tell."""
    keyed_writes: bool
    keyed_reads: bool
    owner_persists: bool
    """The owning class (or module) also writes to a database or file: it is a cache, not the only copy."""
    long_lived: str | None = None
    """Why the holder lives as long as the process: ``module level``, ``class attribute``, ``owns a lock``,
    ``created at module level``, ``a service object (RateLimiter)``; None for an instance of a class that
    shows none of these (a builder or per-request object, whose collections die with it)."""


@register_site
class FileWriteSite(Site):
    kind: Literal["durability-file-write"] = "durability-file-write"
    how: str
    target: str
    atomic: bool
    """The same function renames or replaces a file (write-temp-then-rename), or an atomic-write library is used."""
    temporary: bool
    """The target is a temporary file (the first half of write-temp-then-rename)."""
    log_like: bool
    data_like: bool
    """The content is serialised data (``json.dump``, ``yaml.safe_dump`` ...) or the target is named like a
    data file (``state.json``, ``config_path``, ``export``): the rule is about data, not every file."""


@register_site
class ReadModifyWriteSite(Site):
    """A function that reads a file and writes the same path back. ``line`` is the read."""

    kind: Literal["durability-read-modify-write"] = "durability-read-modify-write"
    target: str
    write_line: int
    locked: bool


@register_site
class DbSettingSite(Site):
    kind: Literal["durability-db-setting"] = "durability-db-setting"
    setting: Literal["sqlite-wal", "connection-pool"]
    detail: str


@register_site
class SchemaInCodeSite(Site):
    kind: Literal["durability-schema-in-code"] = "durability-schema-in-code"
    how: str


@register_site
class MigrationSite(Site):
    """Evidence of a migration tool (repository-level: ``line`` is 1 of the marker file)."""

    kind: Literal["durability-migrations"] = "durability-migrations"
    tool: str


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
WAL = re.compile(r"journal_mode\s*=\s*['\"]?wal\b", re.I)
CREATE_SQL = re.compile(r"\bCREATE\s+(?:TEMP(?:ORARY)?\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[\w.\"`\[\]]+\s*\(", re.I)
POOLS = re.compile(
    r"^(sqlalchemy|sqlmodel|sqlalchemy\.ext\.asyncio|psycopg_pool|psycopg2\.pool|asyncpg|aiopg|aiomysql|redis|"
    r"redis\.asyncio|mysql\.connector\.pooling|dbutils\.pooled_db|DBUtils\.PooledDB)\.(create_engine|"
    r"create_async_engine|ConnectionPool|AsyncConnectionPool|ThreadedConnectionPool|SimpleConnectionPool|"
    r"create_pool|PooledDB|MySQLConnectionPool|BlockingConnectionPool)$"
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
        """Whether ``node`` runs after start-up: in a function that is neither construction nor registration."""
        func = f.enclosing_function(node)
        return func is not None and func.name not in self.construction and not _registers(f, func)


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


def _settings(f: PythonFile) -> Iterator[Site]:
    def common(call: ast.Call) -> dict[str, Any]:
        line, end = f.span(call)
        return {"path": f.path, "line": line, "end_line": end, "language": "Python", "snippet": f.snippet(call),
                "function": f.qualname(call)}  # fmt: skip

    for call, name in f.calls():
        strings = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if any(WAL.search(s) for s in strings):
            yield DbSettingSite(**common(call), setting="sqlite-wal", detail="PRAGMA journal_mode=WAL")
        elif name and POOLS.match(name) and not re.search(r"NullPool", ast.unparse(call)):
            yield DbSettingSite(**common(call), setting="connection-pool", detail=name)
        elif name.endswith("metadata.create_all"):
            yield SchemaInCodeSite(**common(call), how=name)
    for node in f.of_type(ast.Constant):
        if isinstance(node.value, str) and CREATE_SQL.search(node.value):
            if isinstance(f.parents.get(node), ast.Expr):
                continue  # a docstring mentioning CREATE TABLE
            line = node.lineno + next((i for i, s in enumerate(node.value.splitlines()) if CREATE_SQL.search(s)), 0)
            yield SchemaInCodeSite(path=f.path, line=line, end_line=line, language="Python",
                                   snippet=f.lines[line - 1].strip()[:200] if line <= len(f.lines) else "",
                                   function=f.qualname(node), how="a CREATE TABLE statement")  # fmt: skip


@register_extractor("python")
def durability(f: PythonFile) -> Iterator[Site]:
    yield from _module_collections(f)
    yield from _class_collections(f)
    yield from _settings(f)


MIGRATION_MARKERS = (
    ("Alembic", re.compile(r"(^|/)alembic\.ini$|(^|/)(alembic|migrations)/(env\.py|versions/[^/]+\.py)$")),
    ("Django migrations", re.compile(r"(^|/)migrations/\d{4}_\w+\.py$")),
    ("Prisma Migrate", re.compile(r"(^|/)prisma/migrations/")),
    ("Knex", re.compile(r"(^|/)knexfile\.(js|ts|cjs|mjs)$")),
    ("Sequelize", re.compile(r"(^|/)\.sequelizerc$|(^|/)migrations/\d{14}-[\w-]+\.(js|cjs|ts)$")),
    ("TypeORM", re.compile(r"(^|/)migrations?/\d{13}-\w+\.(ts|js)$")),
    ("Flyway", re.compile(r"(^|/)V\d+(_\d+)*__\w+\.sql$|(^|/)flyway\.(conf|toml)$")),
    ("Liquibase", re.compile(r"(^|/)liquibase\.properties$|(^|/)[\w.-]*changelog[\w.-]*\.(xml|ya?ml|json|sql)$", re.I)),
    ("SQL migrations", re.compile(r"(^|/)(migrations|migrate)/[^/]*\d[^/]*\.sql$")),
    ("Rails migrations", re.compile(r"(^|/)db/migrate/\d+_\w+\.rb$")),
)


@register_extractor("repo")
def migrations(repo: RepoFiles) -> Iterator[Site]:
    """One site per migration tool, at the first file that shows it."""
    for tool, pattern in MIGRATION_MARKERS:
        path = next((p for p in repo.paths() if pattern.search(p)), None)
        if path is not None:
            yield MigrationSite(path=path, line=1, end_line=1, language="", snippet=path, tool=tool)
