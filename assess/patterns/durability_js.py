"""Data durability in JavaScript/TypeScript: Maps, Sets, arrays and record objects kept in memory,
``fs.writeFile`` without write-temp-then-rename, read-modify-write of files, SQLite WAL, connection
pools, schemas created in code. Transactions and writes outside them are in :mod:`assess.patterns.durability_jstx`;
site types live in :mod:`assess.patterns.durability`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import tree_sitter

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.durability import LONG_LIVED_CLASS
from assess.patterns.durability_files import DATA_NAME
from assess.patterns.durability_jswrites import function_name
from assess.patterns.durability_schema import WAL, schema_facts, schema_site
from assess.patterns.durability_sites import (
    CollectionSite,
    DbSettingSite,
    FileWriteSite,
    MigrationSite,
    ReadModifyWriteSite,
    SchemaInCodeSite,
)
from assess.patterns.errors_js import FUNCTIONS, callee, own_nodes, walk
from assess.patterns.scripts import ScriptFile

Node = tree_sitter.Node
REGISTRATION = re.compile(r"^_*register")
ONE_SHOT = re.compile(r"^(readdir|readFile|stat|lstat|access|exists|glob|forEach|map|filter|reduce|some|every|find|"
                      r"then|catch|finally)$")  # fmt: skip
"""Calls whose callback runs once (or once per item) when the call runs: at the top of a file, at load time."""
CONFIG_TEST = re.compile(r"\b(conf|config|cfg|options|opts|settings)\.\w+|process\.env\.", re.I)
GROW = {"push", "unshift", "set", "add"}
BOUND = {"delete", "clear", "shift", "pop", "splice"}
READ = {"get", "has", "values", "keys", "entries", "forEach", "find", "filter", "map", "includes", "some", "every"}
COMPARISONS = {"<", "<=", ">", ">=", "==", "===", "!=", "!=="}
HARMLESS_ARG = re.compile(r"^(console\.\w+|JSON\.stringify|Array\.from|Object\.(keys|values|entries)|String|Number)$")
PERSIST_CALL = re.compile(
    r"^(save\w*|persist\w*|insert\w*|upsert\w*|update(One|Many)|replaceOne|bulkWrite|query|execute|writeFile(Sync)?|"
    r"commit|setItem)$"
)
FILE_WRITES = {"writeFile", "writeFileSync", "outputFile", "outputFileSync", "writeJson", "writeJsonSync", "outputJson"}
SERIALIZED = re.compile(r"JSON\.stringify|yaml\.(dump|stringify)|toml\.stringify|\.toJSON\(")
FILE_READS = {"readFile", "readFileSync", "readJson", "readJsonSync"}
DB_DRIVERS = {"mysql", "mysql2", "mariadb", "oracledb", "pg", "pg-pool", "tedious", "mssql", "snowflake-sdk"}
"""Database drivers whose ``createPool`` pools database connections (``generic-pool``'s pools anything)."""
FS_RECEIVER = re.compile(r"^(|fs|fse|fsp|fsExtra|fs\.promises|promises|fsPromises|jsonfile|this\.fs)$")
"""Where the file writes come from: ``fs``, ``fs-extra``, ``fs/promises`` (or a destructured function)."""
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
    """Whether ``node`` runs with the traffic: in a function that is not a constructor (``constructor()``, or an
    ES5 ``function Cache() { this.x = ... }``), not a registration (``register()``), and not a callback that runs
    once while the module loads (``fs.readdir(dir, (err, files) => files.forEach(...))`` at the top of a file)."""
    for a in f.ancestors(node):
        if a.type not in FUNCTIONS:
            continue
        name = function_name(f, a)
        if name == "constructor" or REGISTRATION.match(name):
            return False
        if a.type != "method_definition" and name[:1].isupper() and "this." in f.node_text(a):
            return False
        if name or a.parent is None or a.parent.type != "arguments" or a.parent.parent is None:
            return True
        if not ONE_SHOT.match(callee(f, a.parent.parent)[1]):
            return True  # an event handler, a timer, a route: it runs again and again
    return False


def _limits(f: ScriptFile, node: Node, length: Node) -> bool:
    """``x.length > N`` (a size check) or ``x.length = 0`` (truncation)."""
    if node.type == "assignment_expression":
        return node.child_by_field_name("left") == length
    operator = node.child_by_field_name("operator")
    return node.type == "binary_expression" and operator is not None and operator.type in COMPARISONS


def _bound(f: ScriptFile, ref: Node, use: dict[str, bool], guards: list[str]) -> None:
    """Record a trim of the collection, or the configuration option it depends on."""
    guard = _config_guard(f, ref)
    if guard:
        guards.append(guard)
    else:
        use["bounded"] = True


def _config_guard(f: ScriptFile, node: Node) -> str | None:
    """The test of an ``if`` around ``node`` (in its function) that reads a configuration option, or None."""
    for a in f.ancestors(node):
        if a.type in FUNCTIONS:
            return None
        condition = a.child_by_field_name("condition") if a.type == "if_statement" else None
        if condition is not None and CONFIG_TEST.search(text := f.node_text(condition)):
            return text.strip("() ")
    return None


RESET_VALUE = {"number", "string", "array", "object", "new_expression", "null", "true", "false"}


def _resets(f: ScriptFile, subscript: Node, assignment: Node) -> bool:
    """``for (k in x) { y[k] = 0; }``: an entry set back to a fresh value by a loop over keys, which keeps the key."""
    index, value = subscript.child_by_field_name("index"), assignment.child_by_field_name("right")
    if index is None or value is None or value.type not in RESET_VALUE or assignment.type != "assignment_expression":
        return False
    for a in f.ancestors(subscript):
        if a.type == "for_in_statement":
            left = a.child_by_field_name("left")
            return left is not None and f.node_text(left) == f.node_text(index)
        if a.type in FUNCTIONS:
            return False
    return False


def _up(node: Node | None) -> Node | None:
    """The parent of ``node``, past parentheses."""
    parent = node.parent if node is not None else None
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    return parent


def _use(f: ScriptFile, refs: list[Node], container: str, use: dict[str, bool]) -> tuple[str | None, int | None]:
    """Fill ``use`` from the references; return the option every trim depends on and a line that resets entries in
    place (see :class:`CollectionSite`)."""
    keyed = container in {"Map", "object"}
    guards: list[str] = []
    reset: int | None = None
    for ref in refs:
        parent = ref.parent
        grand = _up(parent)
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
                if prop in BOUND:
                    _bound(f, ref, use, guards)
                use["keyed_writes"] |= prop == "set"
                use["keyed_reads"] |= prop in READ
            elif prop in {"length", "size"} and grand is not None and _limits(f, grand, parent):
                use["bounded"] = True
        elif parent.type == "subscript_expression" and parent.child_by_field_name("object") == ref:
            if grand is not None and grand.type == "unary_expression" and f.node_text(grand).startswith("delete"):
                _bound(f, ref, use, guards)
            elif (
                grand is not None
                and grand.type in {"assignment_expression", "augmented_assignment_expression"}
                and grand.child_by_field_name("left") == parent
            ):
                use["keyed_writes"] |= keyed
                use["grows"] |= keyed and _in_growth_scope(f, ref)
                if reset is None and _resets(f, parent, grand):
                    reset = f.span(parent)[0]
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
    return (guards[0] if guards and not use["bounded"] else None), reset


def _persists(f: ScriptFile, root: Node) -> bool:
    return any(n.type == "call_expression" and PERSIST_CALL.match(callee(f, n)[1]) for n in walk(root))


def _site(
    f: ScriptFile, node: Node, name: str, scope: str, container: str, refs: list[Node], owner: Node | None
) -> CollectionSite:
    use = dict.fromkeys(("grows", "bounded", "escapes", "keyed_writes", "keyed_reads"), False)
    bounded_if, reset = _use(f, refs, container, use)
    owner_name = owner.child_by_field_name("name") if owner is not None else None
    return CollectionSite(
        **_common(f, node), name=name, scope=scope, container=container,
        owner=f.node_text(owner_name) if owner_name is not None else None,
        owner_persists=_persists(f, owner if owner is not None else f.tree.root_node),
        long_lived=_lifetime(f, owner, owner_name), bounded_if=bounded_if, reset_line=reset,
        reset_snippet=f.lines[reset - 1].strip()[:200] if reset and reset <= len(f.lines) else "", **use,
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
            yield _site(f, stmt, text, "module", container, refs + _alias_refs(f, text), None)


def _alias_refs(f: ScriptFile, name: str) -> list[Node]:
    """``other.key`` wherever the file puts the collection in an object as ``{ key: name }`` (or ``{ name }``) and
    reads it back from that object: ``metrics.counters[k] = 0`` after ``emit("flush", { counters: counters })``."""
    keys = set()
    for n in walk(f.tree.root_node):
        if n.type == "shorthand_property_identifier" and f.node_text(n) == name:
            keys.add(name)
        elif n.type == "pair" and (value := n.child_by_field_name("value")) is not None and value.type == "identifier" \
                and f.node_text(value) == name and (key := n.child_by_field_name("key")) is not None:  # fmt: skip
            keys.add(f.node_text(key).strip("'\""))
    if not keys:
        return []
    return [n for n in walk(f.tree.root_node) if n.type == "member_expression"
            and (o := n.child_by_field_name("object")) is not None and o.type != "this"
            and f.node_text(n.child_by_field_name("property") or n) in keys]  # fmt: skip


def _functions(f: ScriptFile) -> Iterator[Node]:
    yield f.tree.root_node
    yield from (n for n in walk(f.tree.root_node) if n.type in FUNCTIONS)


REQUEST_DATA = re.compile(r"^\s*(await\s+)?(req|request|ctx\.request)\.(body|file|files|rawBody)\b")
"""A write that stores what a client sent (``fs.writeFile(path, req.body)``): an upload is the user's data."""


def _content(f: ScriptFile, call: Node) -> str:
    """What a file write writes: its second argument (not a callback after it)."""
    args = call.child_by_field_name("arguments")
    content = args.named_children[1] if args is not None and len(args.named_children) > 1 else None
    return f.node_text(content) if content is not None else ""


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
            if name not in FILE_WRITES or not target or not FS_RECEIVER.match(callee(f, call)[0]):
                continue
            lower = target.lower()
            yield FileWriteSite(
                **_common(f, call), how=name, target=target, atomic=renamed or atomic_lib,
                temporary="tmp" in lower or "temp" in lower, log_like=bool(re.search(r"log|trace|/dev/", lower)),
                data_like=bool(DATA_NAME.search(target) or SERIALIZED.search(content := _content(f, call))
                               or REQUEST_DATA.search(content)),
                creates=_existence_guard(f, call, func) is False,
            )  # fmt: skip
            read = reads.get(target)
            if read is not None and not _create_if_missing(f, read, call, func):
                yield ReadModifyWriteSite(**_common(f, read), target=target, write_line=f.span(call)[0], locked=locked)


EXISTS = re.compile(r"^\(?\s*(?P<neg>!\s*)?(?:[\w$]+\.)?existsSync\s*\(")


def _guard_block(f: ScriptFile, node: Node, func: Node) -> tuple[Node, bool] | None:
    """The ``if`` whose consequence holds ``node`` and tests a file's existence (``if (existsSync(p))``: True,
    ``if (!existsSync(p))``: False), inside ``func``; None when there is none."""
    for a in f.ancestors(node):
        if a == func:
            return None
        if a.type != "if_statement":
            continue
        condition, then = a.child_by_field_name("condition"), a.child_by_field_name("consequence")
        found = EXISTS.match(f.node_text(condition)) if condition is not None else None
        if found and then is not None and then.start_byte <= node.start_byte < then.end_byte:
            return a, not found.group("neg")
    return None


def _existence_guard(f: ScriptFile, node: Node, func: Node) -> bool | None:
    """Whether ``node`` runs only when a file exists (True), only when it does not (False), or either (None)."""
    found = _guard_block(f, node, func)
    return None if found is None else found[1]


def _create_if_missing(f: ScriptFile, read: Node, write: Node, func: Node) -> bool:
    """Read the file if it exists, else create it: the read sits under ``if (existsSync(p))`` and the write outside
    that block, or the write under ``if (!existsSync(p))``. Nothing is modified in place."""
    if _existence_guard(f, write, func) is False:
        return True
    found = _guard_block(f, read, func)
    return found is not None and found[1] and not (found[0].start_byte <= write.start_byte < found[0].end_byte)


def _string_facts(f: ScriptFile, node: Node) -> Iterator[Site]:
    for kind, how, offset in schema_facts(_string(f, node)):
        start, end = f.span(node)
        where = {**_common(f, node), "line": start + offset, "end_line": max(start + offset, end)}
        yield schema_site(kind, how, where)


def _migrations_config(f: ScriptFile, node: Node) -> bool:
    """``migrations: { directory: ..., tableName: ... }``: a knex (or similar) migrations configuration."""
    key, value = node.child_by_field_name("key"), node.child_by_field_name("value")
    if key is None or value is None or value.type != "object" or f.node_text(key).strip("'\"") != "migrations":
        return False
    pairs = (p for p in value.named_children if p.type == "pair")
    keys = {f.node_text(p.child_by_field_name("key") or p).strip("'\"") for p in pairs}
    return bool(keys & {"directory", "tableName", "migrationsPath", "path", "glob"})


def _migrate_call(receiver: str, name: str) -> str | None:
    """The tool a call runs migrations with (``knex.migrate.latest()``, ``umzug.up()``), or None."""
    if receiver.endswith("migrate") and name in {"latest", "up", "rollback", "down"}:
        return "Knex"
    if name in {"migrateToLatest", "migrateUp"} or (re.search(r"umzug", receiver, re.I) and name == "up"):
        return "Kysely" if name.startswith("migrate") else "Umzug"
    return None


def _database_pool(f: ScriptFile, receiver: str) -> bool:
    """Whether ``receiver.createPool()`` pools database connections: the receiver is a database driver
    (``mysql.createPool``) in a file that imports one."""
    drivers = [re.escape(m) for m in f.imports if m.split("/")[0] in DB_DRIVERS]
    names = "|".join(["mysql", "maria", "oracle", "sql", "db", "pg", *drivers])
    return bool(drivers) and bool(re.search(names, receiver, re.I))


def _settings(f: ScriptFile) -> Iterator[Site]:
    for node in walk(f.tree.root_node):
        if node.type in {"string", "template_string"}:
            yield from _string_facts(f, node)
        elif node.type == "pair" and re.match(r"^synchronize\s*:\s*true$", f.node_text(node)):
            yield SchemaInCodeSite(**_common(f, node), how="TypeORM synchronize: true")
        elif node.type == "pair" and _migrations_config(f, node):
            yield MigrationSite(**_common(f, node), tool="migrations configured (migrations: {...})")
        elif node.type == "call_expression":
            receiver, name = callee(f, node)
            args = node.child_by_field_name("arguments")
            if tool := _migrate_call(receiver, name):
                yield MigrationSite(**_common(f, node), tool=f"{tool} migrations run in code ({receiver}.{name}())")
            elif args is not None and any(WAL.search(_string(f, a)) for a in args.named_children):
                yield DbSettingSite(**_common(f, node), setting="sqlite-wal", detail="journal_mode=WAL")
            elif name == "createPool" and _database_pool(f, receiver):
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


@register_extractor("script")
def durability_js(f: ScriptFile) -> Iterator[Site]:
    yield from _collections(f)
    yield from _files(f)
    yield from _settings(f)
