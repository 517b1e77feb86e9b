"""Performance hazards in JavaScript and TypeScript: queries in loops, unbounded ``Map`` caches, whole-table reads
(``findMany()`` without ``take``), and synchronous event delivery. Blocking calls and who calls them are in
:mod:`assess.patterns.performance_paths_js`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.performance import (
    CACHE_NAME,
    SUBSCRIBERS,
    QueryInLoopSite,
    SyncDeliverySite,
    UnboundedCacheSite,
    UnpaginatedQuerySite,
)
from assess.patterns.performance_sql import TABLE_SLOT, QueryText
from assess.patterns.scripts import ScriptFile

FUNCTIONS = {
    "function_declaration", "function_expression", "arrow_function", "method_definition",
    "generator_function_declaration", "generator_function", "function",
}  # fmt: skip
ROUTE_METHODS = {"get", "post", "put", "patch", "delete", "all", "use", "options", "head"}
STATEMENT_CALLS = {"run", "all", "get", "iterate"}
STATEMENT_NAME = re.compile(r"(stmt|statement)$", re.IGNORECASE)
"""Names of prepared statements (``stmt``, ``insertStatement``), not of what holds them (``statementCache``)."""
ORM_FINDS = {"findUnique", "findFirst", "findMany", "findUniqueOrThrow", "findFirstOrThrow", "findOne", "findById",
             "findByPk", "findAll", "findOneBy", "findBy", "countDocuments"}  # fmt: skip
DB_OBJECT = re.compile(r"(^|\.)(pool|db|client|conn|connection|knex|sql|database|pg|mysql|sqlite)$", re.IGNORECASE)
SQL_CALLS = {"query", "execute", "all", "any", "many", "manyOrNone"}
LOOP_CALLBACKS = {"forEach", "map", "flatMap"}
PUBLISH = re.compile(r"^_*(publish|emit|dispatch|fire|broadcast|trigger)", re.IGNORECASE)
DEFERRED = {"setImmediate", "queueMicrotask", "process.nextTick", "setTimeout", "Promise.resolve"}
HANDLER_CALLEE = re.compile(r"(^|\.)(handler|listener|callback|cb|fn|handle|subscriber)$", re.IGNORECASE)


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def _site(sf: ScriptFile, cls: type[Site], node: Node, **fields: object) -> Site:
    line, end = sf.span(node)
    return cls(path=sf.path, line=line, end_line=end, language=sf.language, snippet=sf.snippet(node),
               function=sf.enclosing_function(node), **fields)  # fmt: skip


def _ancestors(node: Node) -> Iterator[Node]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def _callee(sf: ScriptFile, call: Node) -> tuple[str, str]:
    """(whole callee text, last name): ``fs.readFileSync`` -> ("fs.readFileSync", "readFileSync")."""
    func = call.child_by_field_name("function")
    if func is None:
        return "", ""
    if func.type == "member_expression" and (prop := func.child_by_field_name("property")) is not None:
        return sf.node_text(func), sf.node_text(prop)
    return sf.node_text(func), sf.node_text(func) if func.type == "identifier" else ""


def _args(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    return [a for a in args.named_children if a.type != "comment"] if args is not None else []


def _statement_object(sf: ScriptFile, obj: Node, fn: Node | None) -> bool:
    """Whether ``obj`` is a better-sqlite3 statement: ``db.prepare(...)``, a ``stmt`` name, or assigned from one."""
    text = sf.node_text(obj)
    if obj.type == "call_expression":
        return _callee(sf, obj)[1] in {"prepare", "getCachedStatement"}
    if STATEMENT_NAME.search(text.rsplit(".", 1)[-1]):
        return True
    if obj.type == "identifier" and fn is not None:
        for n in _walk(fn):
            if n.type == "variable_declarator" and sf.node_text(n.child_by_field_name("name") or n) == text:
                value = n.child_by_field_name("value")
                return value is not None and ".prepare(" in sf.node_text(value)
    return False


def _calls(sf: ScriptFile) -> Iterator[Node]:
    return (n for n in _walk(sf.tree.root_node) if n.type == "call_expression")


def _literal(sf: ScriptFile, node: Node | None) -> str | None:
    if node is None or node.type not in {"string", "template_string"}:
        return None
    parts = ["?" if c.type == "template_substitution" else sf.node_text(c) for c in node.named_children]
    return "".join(parts)


def _sql_query(sf: ScriptFile, call: Node) -> QueryText | None:
    """The SQL text of ``pool.query("SELECT ...")`` / ``db.prepare("SELECT ...").all()``, or None."""
    last = _callee(sf, call)[1]
    args = _args(call)
    if last == "prepare" or last in SQL_CALLS:
        sql = _literal(sf, args[0] if args else None)
        if sql is not None:
            return QueryText(base=sql, every=sql)
    func = call.child_by_field_name("function")
    obj = func.child_by_field_name("object") if func is not None and func.type == "member_expression" else None
    if last in STATEMENT_CALLS and obj is not None and obj.type == "call_expression":
        return _sql_query(sf, obj)
    return None


def _is_query(sf: ScriptFile, call: Node) -> bool:
    text, last = _callee(sf, call)
    if last in ORM_FINDS and "." in text:
        return True
    if last in {"count", "aggregate"} and text.count(".") >= 2:
        return True
    sql = _sql_query(sf, call)
    if sql is not None:
        return sql.is_select()
    obj = text.rsplit(".", 1)[0] if "." in text else ""
    return last in {"query", "execute"} and bool(DB_OBJECT.search(obj))


def _table_names(sf: ScriptFile, call: Node) -> set[str]:
    """Names interpolated where the SQL template literal of ``call`` names its table (`` `FROM ${table}` ``)."""
    args = _args(call)
    if not args or args[0].type != "template_string":
        return set()
    out: set[str] = set()
    text = ""
    for part in args[0].named_children:
        if part.type != "template_substitution":
            text += sf.node_text(part)
            continue
        if TABLE_SLOT.search(text):
            out |= {sf.node_text(n) for n in _walk(part) if n.type == "identifier"}
        text += "?"
    return out


def _pattern_names(sf: ScriptFile, node: Node | None) -> set[str]:
    if node is None:
        return set()
    return {sf.node_text(n) for n in _walk(node) if n.type in {"identifier", "shorthand_property_identifier_pattern"}}


def _loop_names(sf: ScriptFile, call: Node) -> tuple[int, set[str]] | None:
    names: set[str] = set()
    line = 0
    child = call
    for a in _ancestors(call):
        if a.type == "for_in_statement" and child != a.child_by_field_name("right"):
            names |= _pattern_names(sf, a.child_by_field_name("left"))
            line = line or a.start_point[0] + 1
        elif a.type == "for_statement" and child == a.child_by_field_name("body"):
            names |= _pattern_names(sf, a.child_by_field_name("initializer"))
            line = line or a.start_point[0] + 1
        elif a.type in FUNCTIONS:
            holder = a.parent.parent if a.parent is not None and a.parent.type == "arguments" else None
            if holder is None or _callee(sf, holder)[1] not in LOOP_CALLBACKS:
                break
            params = a.child_by_field_name("parameters") or a.child_by_field_name("parameter")
            names |= _pattern_names(sf, params)
            line = line or holder.start_point[0] + 1
        child = a
    return (line, names) if names else None


@register_extractor("script")
def queries_in_loops(sf: ScriptFile) -> Iterator[Site]:
    for call in _calls(sf):
        if not _is_query(sf, call) or (loop := _loop_names(sf, call)) is None:
            continue
        used = {sf.node_text(n) for n in _walk(call) if n.type in {"identifier", "shorthand_property_identifier"}}
        if _table_names(sf, call) & loop[1]:
            continue  # one query per table: queries of different tables cannot be folded into one
        if hit := sorted(used & loop[1]):
            yield _site(sf, QueryInLoopSite, call, callee=_callee(sf, call)[0], loop_line=loop[0], variable=hit[0])


def _cache_declarations(sf: ScriptFile) -> Iterator[tuple[Node, str, str, str]]:
    """(node, name, reference, kind) for each ``new Map()`` or ``{}`` held in a name that says cache or memo."""
    for n in _walk(sf.tree.root_node):
        if n.type == "variable_declarator":
            name_node, value = n.child_by_field_name("name"), n.child_by_field_name("value")
            ref = sf.node_text(name_node) if name_node is not None and name_node.type == "identifier" else ""
        elif n.type in {"public_field_definition", "field_definition"}:
            name_node = n.child_by_field_name("name") or n.child_by_field_name("property")
            value = n.child_by_field_name("value")
            ref = "this." + sf.node_text(name_node) if name_node is not None else ""
        elif n.type == "assignment_expression":
            left, value = n.child_by_field_name("left"), n.child_by_field_name("right")
            ref = sf.node_text(left) if left is not None and sf.node_text(left).startswith("this.") else ""
        else:
            continue
        name = ref.rsplit(".", 1)[-1]
        if not ref or value is None or not CACHE_NAME.search(name):
            continue
        text = sf.node_text(value)
        if value.type == "new_expression" and re.fullmatch(r"new\s+Map\s*(<[^()]*>)?\s*\(\s*\)", text):
            yield n, name, ref, "Map"
        elif value.type == "object" and not value.named_children:
            yield n, name, ref, "object"


@register_extractor("script")
def cache_maps(sf: ScriptFile) -> Iterator[Site]:
    for node, name, ref, kind in _cache_declarations(sf):
        r = re.escape(ref)
        lead = r"(?<![\w.$])" if not ref.startswith("this.") else ""
        rest = (sf.data[: node.start_byte] + sf.data[node.end_byte :]).decode("utf-8", errors="replace")
        if kind == "Map":
            filled = re.search(lead + r + r"\s*\.set\(", rest)
            evicted = re.search(lead + r + r"\s*(\.(delete|clear)\(|\.size\b|=\s*new\b)", rest)
        else:
            filled = re.search(lead + r + r"\s*\[[^\]]+\]\s*=[^=]", rest)
            evicted = re.search(
                r"delete\s+" + r + r"\s*\[|Object\.keys\(\s*" + r + r"\s*\)\.length|" + lead + r + r"\s*=[^=]", rest
            )
        if filled and not evicted:
            yield _site(sf, UnboundedCacheSite, node, name=name, mechanism=kind, loads_files=_loads_files(sf, ref))


FILE_READ = re.compile(r"\breadFile(Sync)?\s*\(")


def _loads_files(sf: ScriptFile, ref: str) -> bool:
    """Whether a function that fills the cache ``ref`` (``ref.set(...)``, ``ref[k] = ...``) reads a file."""
    for fn in _walk(sf.tree.root_node):
        if fn.type not in FUNCTIONS:
            continue
        text = sf.node_text(fn)
        if (f"{ref}.set(" in text or f"{ref}[" in text) and FILE_READ.search(text):
            return True
    return False


def _object_keys(sf: ScriptFile, node: Node) -> set[str]:
    return {sf.node_text(c.named_children[0]) for c in node.named_children if c.type == "pair" and c.named_children} | {
        sf.node_text(c) for c in node.named_children if c.type == "shorthand_property_identifier"
    }


def _chained(sf: ScriptFile, call: Node) -> set[str]:
    """Methods called on the result of ``call`` (``.limit``, ``.skip`` ...)."""
    out: set[str] = set()
    node = call
    while node.parent is not None and node.parent.type == "member_expression":
        prop = node.parent.child_by_field_name("property")
        out.add(sf.node_text(prop) if prop is not None else "")
        node = node.parent.parent if node.parent.parent is not None else node.parent
    return out


@register_extractor("script")
def unpaginated_queries(sf: ScriptFile) -> Iterator[Site]:
    for call in _calls(sf):
        text, last = _callee(sf, call)
        args = _args(call)
        if last in {"findMany", "findAll"} and "." in text:
            if not args or (args[0].type == "object" and not _object_keys(sf, args[0]) & {"take", "limit", "where"}):
                yield _site(sf, UnpaginatedQuerySite, call, api=f"{text}()", table=text.split(".")[-2])
        elif last == "find" and "." in text and (not args or (args[0].type == "object" and not args[0].named_children)):
            if not _chained(sf, call) & {"limit", "skip", "countDocuments", "cursor"}:
                yield _site(sf, UnpaginatedQuerySite, call, api=f"{text}()", table=text.split(".")[-2])
        elif last in SQL_CALLS - {"execute"} or (last == "execute" and DB_OBJECT.search(text.rsplit(".", 1)[0])):
            sql = _sql_query(sf, call)
            if sql is not None and sql.unbounded_read() and (last != "all" or (args and args[0].type != "identifier")):
                yield _site(sf, UnpaginatedQuerySite, call, api=text, table=sql.table)


def _deferred(sf: ScriptFile, call: Node, stop: Node) -> bool:
    for a in _ancestors(call):
        if a == stop:
            return False
        if a.type == "await_expression" or (a.type == "call_expression" and _callee(sf, a)[0] in DEFERRED):
            return True
    return False


@register_extractor("script")
def sync_event_delivery(sf: ScriptFile) -> Iterator[Site]:
    for method in _walk(sf.tree.root_node):
        name = method.child_by_field_name("name") if method.type == "method_definition" else None
        if name is None or not PUBLISH.match(sf.node_text(name)):
            continue
        calls = [c for c in _walk(method) if c.type == "call_expression" and not _deferred(sf, c, method)]
        flagged = [c for c in calls if HANDLER_CALLEE.search(_callee(sf, c)[0]) and _sync_flag(sf, c, method)]
        if not flagged:
            flagged = [c for c in calls if _loop_handler_call(sf, c, method)]
        if flagged:
            handler = _callee(sf, flagged[0])[0]
            yield _site(sf, SyncDeliverySite, flagged[0], method=sf.node_text(name), handler=handler)


def _sync_flag(sf: ScriptFile, call: Node, stop: Node) -> bool:
    """Whether ``call`` runs under ``if (...sync...)`` (a synchronous delivery option)."""
    for a in _ancestors(call):
        if a == stop:
            return False
        cond = a.child_by_field_name("condition") if a.type == "if_statement" else None
        if cond is not None and re.search(r"(^|[^a-zA-Z])sync|Sync", sf.node_text(cond)):
            return True
    return False


def _loop_handler_call(sf: ScriptFile, call: Node, stop: Node) -> bool:
    """``for (const l of this.listeners) l(event)`` or ``this.handlers.forEach(h => h(event))``."""
    loop = _loop_names(sf, call)
    text, _ = _callee(sf, call)
    if loop is None or text.split(".")[0] not in loop[1]:
        return False
    for a in _ancestors(call):
        if a == stop:
            return False
        source = a.child_by_field_name("right") if a.type == "for_in_statement" else None
        if a.type in FUNCTIONS and a.parent is not None and a.parent.parent is not None:
            source = a.parent.parent.child_by_field_name("function")
        if source is not None and SUBSCRIBERS.search(sf.node_text(source)):
            return text in loop[1] or bool(HANDLER_CALLEE.search(text))
    return False
