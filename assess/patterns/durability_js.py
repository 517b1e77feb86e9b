"""Data durability in JavaScript/TypeScript: Maps, Sets, arrays and record objects kept in memory,
``fs.writeFile`` without write-temp-then-rename, read-modify-write of files, SQLite WAL, connection
pools, schemas created in code, transactions (``$transaction``, ``knex.transaction``, ``BEGIN``) and
writes outside them. Site types live in :mod:`assess.patterns.durability` and ``durability_tx``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import tree_sitter

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.durability import (
    CREATE_SQL,
    LONG_LIVED_CLASS,
    WAL,
    CollectionSite,
    DbSettingSite,
    FileWriteSite,
    ReadModifyWriteSite,
    SchemaInCodeSite,
)
from assess.patterns.durability_files import DATA_NAME
from assess.patterns.durability_tx import DML, MultiWriteSite, TransactionSite
from assess.patterns.errors_js import FUNCTIONS, callee, own_nodes, walk
from assess.patterns.scripts import ScriptFile

Node = tree_sitter.Node
GROW = {"push", "unshift", "set", "add"}
BOUND = {"delete", "clear", "shift", "pop", "splice"}
READ = {"get", "has", "values", "keys", "entries", "forEach", "find", "filter", "map", "includes", "some", "every"}
COMPARISONS = {"<", "<=", ">", ">=", "==", "===", "!=", "!=="}
HARMLESS_ARG = re.compile(r"^(console\.\w+|JSON\.stringify|Array\.from|Object\.(keys|values|entries)|String|Number)$")
PERSIST_CALL = re.compile(
    r"^(save\w*|persist\w*|insert\w*|upsert\w*|update(One|Many)|replaceOne|bulkWrite|query|execute|writeFile(Sync)?|"
    r"commit|setItem)$"
)
ORM_IMPORTS = re.compile(r"^(mongoose|typeorm|sequelize|@prisma/client|mongodb|@mikro-orm/.*)$")
MONGO_WRITES = {
    "insertOne", "insertMany", "updateOne", "updateMany", "deleteOne", "deleteMany", "replaceOne", "findOneAndUpdate",
    "findOneAndDelete", "findByIdAndUpdate", "findByIdAndDelete", "bulkWrite",
}  # fmt: skip
PRISMA_WRITES = {"create", "createMany", "update", "updateMany", "upsert", "delete", "deleteMany"}
TX_CALLS = {"transaction", "$transaction", "withTransaction"}
FILE_WRITES = {"writeFile", "writeFileSync", "outputFile", "outputFileSync", "writeJson", "writeJsonSync", "outputJson"}
SERIALIZED = re.compile(r"JSON\.stringify|yaml\.(dump|stringify)|toml\.stringify|\.toJSON\(")
FILE_READS = {"readFile", "readFileSync", "readJson", "readJsonSync"}
ATOMIC_IMPORTS = {"write-file-atomic", "atomically", "steno", "fs-write-atomic"}


def _common(f: ScriptFile, node: Node) -> dict[str, object]:
    line, end = f.span(node)
    return {"path": f.path, "line": line, "end_line": end, "language": f.language, "snippet": f.snippet(node),
            "function": f.enclosing_function(node)}  # fmt: skip


def _container(f: ScriptFile, value: Node | None) -> str | None:
    if value is None:
        return None
    if value.type == "new_expression":
        ctor = value.child_by_field_name("constructor")
        name = f.node_text(ctor) if ctor is not None else ""
        return {"Map": "Map", "Set": "Set", "Array": "array"}.get(name)
    if value.type == "array":
        return "array"
    if value.type == "object" and not value.named_children:
        return "object"
    return None


def _string(f: ScriptFile, node: Node | None) -> str:
    if node is None or node.type not in {"string", "template_string"}:
        return ""
    return "".join(f.node_text(c) for c in node.named_children if c.type == "string_fragment")


def _first_arg(call: Node) -> Node | None:
    args = call.child_by_field_name("arguments")
    return args.named_children[0] if args is not None and args.named_children else None


def _in_growth_scope(f: ScriptFile, node: Node) -> bool:
    for a in f.ancestors(node):
        if a.type in FUNCTIONS:
            name = a.child_by_field_name("name")
            return not (a.type == "method_definition" and name is not None and f.node_text(name) == "constructor")
    return False


def _limits(f: ScriptFile, node: Node, length: Node) -> bool:
    """``x.length > N`` (a size check) or ``x.length = 0`` (truncation)."""
    if node.type == "assignment_expression":
        return node.child_by_field_name("left") == length
    operator = node.child_by_field_name("operator")
    return node.type == "binary_expression" and operator is not None and operator.type in COMPARISONS


def _use(f: ScriptFile, refs: list[Node], container: str, use: dict[str, bool]) -> None:
    keyed = container in {"Map", "object"}
    for ref in refs:
        parent = ref.parent
        grand = parent.parent if parent is not None else None
        if parent is None:
            continue
        if parent.type == "member_expression" and parent.child_by_field_name("object") == ref:
            prop = f.node_text(parent.child_by_field_name("property") or parent)
            if (
                grand is not None
                and grand.type == "call_expression"
                and grand.child_by_field_name("function") == parent
            ):
                use["grows"] |= prop in GROW and _in_growth_scope(f, ref)
                use["bounded"] |= prop in BOUND
                use["keyed_writes"] |= prop == "set"
                use["keyed_reads"] |= prop in READ
            elif prop in {"length", "size"} and grand is not None and _limits(f, grand, parent):
                use["bounded"] = True
        elif parent.type == "subscript_expression" and parent.child_by_field_name("object") == ref:
            if grand is not None and grand.type == "unary_expression" and f.node_text(grand).startswith("delete"):
                use["bounded"] = True
            elif (
                grand is not None
                and grand.type in {"assignment_expression", "augmented_assignment_expression"}
                and grand.child_by_field_name("left") == parent
            ):
                use["keyed_writes"] |= keyed
                use["grows"] |= keyed and _in_growth_scope(f, ref)
            else:
                use["keyed_reads"] = True
        elif parent.type == "assignment_expression" and parent.child_by_field_name("left") == ref:
            use["bounded"] = True
        elif parent.type == "arguments" and grand is not None:
            receiver, name = callee(f, grand)
            if not HARMLESS_ARG.match(f"{receiver}.{name}" if receiver else name):
                use["escapes"] = True
        elif parent.type == "for_in_statement":
            use["keyed_reads"] = True


def _persists(f: ScriptFile, root: Node) -> bool:
    return any(n.type == "call_expression" and PERSIST_CALL.match(callee(f, n)[1]) for n in walk(root))


def _site(
    f: ScriptFile, node: Node, name: str, scope: str, container: str, refs: list[Node], owner: Node | None
) -> CollectionSite:
    use = dict.fromkeys(("grows", "bounded", "escapes", "keyed_writes", "keyed_reads"), False)
    _use(f, refs, container, use)
    owner_name = owner.child_by_field_name("name") if owner is not None else None
    return CollectionSite(
        **_common(f, node), name=name, scope=scope, container=container,
        owner=f.node_text(owner_name) if owner_name is not None else None,
        owner_persists=_persists(f, owner if owner is not None else f.tree.root_node),
        long_lived=_lifetime(f, owner, owner_name), **use,
    )  # fmt: skip


def _lifetime(f: ScriptFile, owner: Node | None, name: Node | None) -> str | None:
    if owner is None:
        return "module level"
    text = f.node_text(name) if name is not None else ""
    if text and re.search(rf"^(export\s+)?(const|let|var)\s+\w+\s*=\s*new\s+{re.escape(text)}\b", f.text, re.M):
        return "created at module level"
    return f"a service object ({text})" if text and LONG_LIVED_CLASS.search(text) else None


def _this_refs(f: ScriptFile, cls: Node, name: str) -> list[Node]:
    return [
        n for n in walk(cls)
        if n.type == "member_expression" and (o := n.child_by_field_name("object")) is not None and o.type == "this"
        and f.node_text(n.child_by_field_name("property") or n) == name
    ]  # fmt: skip


def _collections(f: ScriptFile) -> Iterator[Site]:
    for cls in (n for n in walk(f.tree.root_node) if n.type in {"class_declaration", "class"}):
        body = cls.child_by_field_name("body")
        seen: set[str] = set()
        for field in body.named_children if body is not None else []:
            if field.type in {"field_definition", "public_field_definition"}:
                key = field.child_by_field_name("property") or field.child_by_field_name("name")
                container = _container(f, field.child_by_field_name("value"))
                if key is not None and container and not f.node_text(field).startswith(("static", "readonly")):
                    seen.add(f.node_text(key))
                    yield _site(
                        f, field, f.node_text(key), "instance", container, _this_refs(f, cls, f.node_text(key)), cls
                    )
        for assign in (n for n in walk(cls) if n.type == "assignment_expression"):
            left, container = assign.child_by_field_name("left"), _container(f, assign.child_by_field_name("right"))
            if left is None or container is None or left.type != "member_expression":
                continue
            obj, prop = left.child_by_field_name("object"), left.child_by_field_name("property")
            if obj is None or obj.type != "this" or prop is None or f.node_text(prop) in seen:
                continue
            seen.add(f.node_text(prop))
            refs = [r for r in _this_refs(f, cls, f.node_text(prop)) if r != left]
            yield _site(f, assign, f.node_text(prop), "instance", container, refs, cls)
    for stmt in f.tree.root_node.named_children:
        decl = stmt.named_children[0] if stmt.type == "export_statement" and stmt.named_children else stmt
        if decl.type not in {"lexical_declaration", "variable_declaration"}:
            continue
        for d in (c for c in decl.named_children if c.type == "variable_declarator"):
            name, container = d.child_by_field_name("name"), _container(f, d.child_by_field_name("value"))
            if name is None or container is None or name.type != "identifier":
                continue
            text = f.node_text(name)
            refs = [
                n for n in walk(f.tree.root_node) if n.type == "identifier" and f.node_text(n) == text and n != name
            ]
            yield _site(f, stmt, text, "module", container, refs, None)


def _functions(f: ScriptFile) -> Iterator[Node]:
    yield f.tree.root_node
    yield from (n for n in walk(f.tree.root_node) if n.type in FUNCTIONS)


def _files(f: ScriptFile) -> Iterator[Site]:
    atomic_lib = any(m in ATOMIC_IMPORTS for m in f.imports)
    for func in _functions(f):
        calls = [n for n in own_nodes(func) if n.type == "call_expression"]
        renamed = any(callee(f, c)[1] in {"rename", "renameSync", "move", "moveSync"} for c in calls)
        locked = any(re.search(r"^(lock|lockSync|acquire|runExclusive)$", callee(f, c)[1]) for c in calls)
        reads: dict[str, Node] = {}
        for call in calls:
            name, arg = callee(f, call)[1], _first_arg(call)
            target = f.node_text(arg) if arg is not None else ""
            if name in FILE_READS and target:
                reads.setdefault(target, call)
            if name not in FILE_WRITES or not target:
                continue
            lower = target.lower()
            yield FileWriteSite(
                **_common(f, call), how=name, target=target, atomic=renamed or atomic_lib,
                temporary="tmp" in lower or "temp" in lower, log_like=bool(re.search(r"log|trace|/dev/", lower)),
                data_like=bool(DATA_NAME.search(target) or SERIALIZED.search(f.node_text(call))),
            )  # fmt: skip
            read = reads.get(target)
            if read is not None:
                yield ReadModifyWriteSite(**_common(f, read), target=target, write_line=f.span(call)[0], locked=locked)


def _settings(f: ScriptFile) -> Iterator[Site]:
    for node in walk(f.tree.root_node):
        if node.type in {"string", "template_string"} and CREATE_SQL.search(_string(f, node)):
            yield SchemaInCodeSite(**_common(f, node), how="a CREATE TABLE statement")
        elif node.type == "pair" and re.match(r"^synchronize\s*:\s*true$", f.node_text(node)):
            yield SchemaInCodeSite(**_common(f, node), how="TypeORM synchronize: true")
        elif node.type == "call_expression":
            receiver, name = callee(f, node)
            args = node.child_by_field_name("arguments")
            if args is not None and any(WAL.search(_string(f, a)) for a in args.named_children):
                yield DbSettingSite(**_common(f, node), setting="sqlite-wal", detail="journal_mode=WAL")
            elif name == "createPool":
                yield DbSettingSite(
                    **_common(f, node), setting="connection-pool", detail=f"{receiver}.{name}".lstrip(".")
                )
            elif name == "sync" and re.search(r"sequelize", receiver, re.I):
                yield SchemaInCodeSite(**_common(f, node), how=f"{receiver}.sync()")
        elif node.type == "new_expression":
            ctor = f.node_text(node.child_by_field_name("constructor") or node)
            if re.fullmatch(r"(\w+\.)?Pool", ctor) and any(
                m in {"pg", "pg-pool", "mysql2", "mysql"} for m in f.imports
            ):
                yield DbSettingSite(**_common(f, node), setting="connection-pool", detail=f"new {ctor}()")


def _write(f: ScriptFile, call: Node, orm: bool) -> str | None:
    """A description of the database write ``call`` makes, or None."""
    fn = call.child_by_field_name("function")
    receiver, name = callee(f, call)
    if m := DML.match(_string(f, _first_arg(call))):
        return " ".join(m.group(1).split()).upper()
    if name in MONGO_WRITES:
        return f"{receiver}.{name}()"
    obj = fn.child_by_field_name("object") if fn is not None and fn.type == "member_expression" else None
    if name in PRISMA_WRITES and obj is not None and obj.type == "member_expression":
        root = f.node_text(obj.child_by_field_name("object") or obj)
        if re.search(r"(prisma|tx|db|client)$", root, re.I):
            return f"{receiver}.{name}()"
    if orm and (name == "save" or (name == "create" and receiver[:1].isupper())):
        return f"{receiver}.{name}()"
    if (
        name in {"insert", "update", "del"}
        and obj is not None
        and obj.type == "call_expression"
        and "knex" in f.imports
    ):
        return f"{receiver}.{name}()"
    return None


def _in_transaction_callback(f: ScriptFile, func: Node) -> bool:
    return any(a.type == "call_expression" and callee(f, a)[1] in TX_CALLS for a in f.ancestors(func))


def _transactions(f: ScriptFile) -> Iterator[Site]:
    orm = any(ORM_IMPORTS.match(m) for m in f.imports)
    for func in _functions(f):
        calls = sorted((n for n in own_nodes(func) if n.type == "call_expression"), key=lambda n: n.start_byte)
        regions: list[tuple[Node, int, int, str]] = []
        begin: Node | None = None
        for call in calls:
            receiver, name = callee(f, call)
            sql = _string(f, _first_arg(call)).strip().upper()
            if name in TX_CALLS:
                regions.append((call, call.start_byte, call.end_byte, f"{receiver}.{name}".lstrip(".")))
            elif sql in {"BEGIN", "START TRANSACTION", "BEGIN TRANSACTION"}:
                begin = call
            elif sql in {"COMMIT", "ROLLBACK"} and begin is not None:
                regions.append((begin, begin.start_byte, call.start_byte, "BEGIN ... COMMIT"))
                begin = None
        if begin is not None:
            regions.append((begin, begin.start_byte, func.end_byte, "BEGIN ... COMMIT"))
        for opener, start, end, how in regions:
            inside = [n for n in walk(opener if how != "BEGIN ... COMMIT" else func) if n.type == "call_expression"
                      and start <= n.start_byte < end and _write(f, n, orm)]  # fmt: skip
            if not inside:
                continue
            line = f.span(opener)[0]
            yield TransactionSite(**_common(f, opener), role="open", how=how, writes=len(inside), open_line=line)
            for n in inside:
                yield TransactionSite(**_common(f, n), role="write", how=how, writes=len(inside), open_line=line)
        outside = [c for c in calls if _write(f, c, orm) and not any(s <= c.start_byte < e for _, s, e, _ in regions)]
        if len(outside) >= 2 and func.type in FUNCTIONS and not _in_transaction_callback(f, func):
            write = _write(f, outside[1], orm) or ""
            first = f.span(outside[0])[0]
            yield MultiWriteSite(
                **_common(f, outside[1]), first_line=first, write=write, reason="each statement commits on its own"
            )


@register_extractor("script")
def durability_js(f: ScriptFile) -> Iterator[Site]:
    yield from _collections(f)
    yield from _files(f)
    yield from _settings(f)
    yield from _transactions(f)
