"""What a JavaScript/TypeScript call writes to a database, and how writes relate within a function.

- :func:`write_of` says what a call writes: a SQL statement given to ``query``/``exec``, a MongoDB or Prisma
  write, an ORM ``save``/``create``, a knex ``insert``/``update``/``del`` chain (from ``knex("t")``, a
  ``trx``, or a variable holding such a builder), a RedBean ``store``/``trash``, or a call of a same-file
  function that writes;
- :func:`exclusive` says whether two writes can both run (not in two branches of one ``if``), :func:`target`
  what a write writes (two writes of one row are one update), :func:`best_effort` whether the code lets it fail.

Used by :mod:`assess.patterns.durability_jstx`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import tree_sitter

from assess.patterns.durability_tx import dml_text
from assess.patterns.errors_js import FUNCTIONS, callee, walk
from assess.patterns.scripts import ScriptFile

Node = tree_sitter.Node
ORM_IMPORTS = re.compile(r"^(mongoose|typeorm|sequelize|@prisma/client|mongodb|@mikro-orm/.*)$")
MONGO_WRITES = {
    "insertOne", "insertMany", "updateOne", "updateMany", "deleteOne", "deleteMany", "replaceOne", "findOneAndUpdate",
    "findOneAndDelete", "findByIdAndUpdate", "findByIdAndDelete", "bulkWrite",
}  # fmt: skip
PRISMA_WRITES = {"create", "createMany", "update", "updateMany", "upsert", "delete", "deleteMany"}
MODEL_WRITES = {"create", "update", "destroy", "bulkCreate", "upsert"}
"""Sequelize-style static writes on a model class (``User.create``)."""
BUILDER_WRITES = {"insert", "update", "del", "delete", "increment", "decrement", "truncate"}
REDBEAN_WRITES = {"store", "storeAll", "trash", "trashAll"}
BUILDER_ROOT = re.compile(r"^(knex|trx|tx|db)$")
LOGGING = re.compile(r"^(await\s+)?(console|log|logger|this\.log|this\.logger)\.\w+\(")


@dataclass
class WriteContext:
    """What a file's imports and functions say about its writes."""

    orm: bool
    redbean: bool
    builder: bool
    helpers: set[str] = field(default_factory=set)
    """Names of this file's functions that write (a call to one is a write)."""
    targets: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    """What each of those functions writes (see :func:`target`)."""
    builders: set[str] = field(default_factory=set)
    """Variables holding a query builder (``const q = trx("users").where(...)``): ``q.update()`` writes."""


def string_of(f: ScriptFile, node: Node | None) -> str:
    """The text of a string literal (a template's parts, the left of ``"..." + x``); empty for anything else."""
    if node is not None and node.type == "binary_expression":
        return string_of(f, node.child_by_field_name("left"))
    if node is None or node.type not in {"string", "template_string"}:
        return ""
    return "".join(f.node_text(c) if c.type == "string_fragment" else " " for c in node.named_children)


def args_of(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    return list(args.named_children) if args is not None else []


def first_arg(call: Node) -> Node | None:
    args = args_of(call)
    return args[0] if args else None


def unwrap(node: Node) -> Node:
    while node.type in {"await_expression", "parenthesized_expression"} and node.named_children:
        node = node.named_children[0]
    return node


def root(f: ScriptFile, node: Node) -> str:
    """The name a call chain starts from: ``trx("t").where().update()`` -> ``trx``, ``this.db.query()`` ->
    ``this.db``, ``R.exec()`` -> ``R``; empty when it starts elsewhere."""
    node = unwrap(node)
    while True:
        if node.type == "call_expression":
            fn = node.child_by_field_name("function")
            if fn is None:
                return ""
            node = unwrap(fn)
        elif node.type == "member_expression":
            obj = node.child_by_field_name("object")
            if obj is None:
                return ""
            if obj.type == "this":
                return "this." + f.node_text(node.child_by_field_name("property") or node)
            node = unwrap(obj)
        elif node.type == "identifier":
            return f.node_text(node)
        else:
            return ""


def chain(f: ScriptFile, call: Node) -> Iterator[tuple[str, Node]]:
    """(method name, call) of every call of a chain, outermost first: ``a.b().c()`` -> c, b."""
    node: Node | None = call
    while node is not None and node.type == "call_expression":
        fn = node.child_by_field_name("function")
        if fn is None or fn.type != "member_expression":
            yield (f.node_text(fn) if fn is not None else ""), node
            return
        yield f.node_text(fn.child_by_field_name("property") or fn), node
        node = unwrap(fn.child_by_field_name("object") or fn)


def write_of(f: ScriptFile, call: Node, ctx: WriteContext) -> str | None:
    """A description of the database write ``call`` makes, or None."""
    fn = call.child_by_field_name("function")
    receiver, name = callee(f, call)
    if text := dml_text(string_of(f, first_arg(call))):
        return text
    obj = fn.child_by_field_name("object") if fn is not None and fn.type == "member_expression" else None
    if name in MONGO_WRITES:
        return f"{receiver}.{name}()"
    if name in PRISMA_WRITES and obj is not None and obj.type == "member_expression":
        base = f.node_text(obj.child_by_field_name("object") or obj)
        if re.search(r"(prisma|tx|db|client)$", base, re.I):
            return f"{receiver}.{name}()"
    if ctx.orm and (name == "save" or (name in MODEL_WRITES and receiver[:1].isupper() and "." not in receiver)):
        return f"{receiver}.{name}()"
    if name in BUILDER_WRITES and obj is not None and unwrap(obj).type == "call_expression":
        table = table_of(f, call)
        if table or ctx.builder or BUILDER_ROOT.match(root(f, call)):
            return f"{table or receiver}.{name}()"
    if name in BUILDER_WRITES and obj is not None and obj.type == "identifier" and f.node_text(obj) in ctx.builders:
        return f"{receiver}.{name}()"
    if ctx.redbean and name in REDBEAN_WRITES and obj is not None:
        return f"{receiver}.{name}()"
    if fn is not None and name in ctx.helpers and (fn.type == "identifier" or receiver == "this"):
        return f"{name}()"
    return None


def table_of(f: ScriptFile, call: Node) -> str:
    """The table a knex chain starts from (``knex("links")...`` -> ``links``), or empty."""
    for _, node in chain(f, call):
        fn = node.child_by_field_name("function")
        if fn is not None and fn.type == "identifier" and f.node_text(fn) != "require":
            return string_of(f, first_arg(node))
    return ""


def in_handle(f: ScriptFile, call: Node, handles: set[str]) -> bool:
    """Whether a write goes through a transaction handle: its chain starts from one, passes one to
    ``.transacting()``, or gives ``{ transaction: t }``."""
    if root(f, call) in handles:
        return True
    for name, node in chain(f, call):
        args = args_of(node)
        if name == "transacting" and args:
            return True
        if any(a.type == "object" and re.search(r"\btransaction\s*:", f.node_text(a)) for a in args):
            return True
        if any(a.type == "shorthand_property_identifier" and f.node_text(a) == "transaction"
               for o in args if o.type == "object" for a in o.named_children):  # fmt: skip
            return True
    return False


def parameters(f: ScriptFile, func: Node) -> list[str]:
    """The names a function's parameters bind directly (destructured ones are left out)."""
    single = func.child_by_field_name("parameter")
    if single is not None:
        return [f.node_text(single)] if single.type == "identifier" else []
    params = func.child_by_field_name("parameters")
    names = []
    for p in params.named_children if params is not None else []:
        if p.type in {"required_parameter", "optional_parameter", "assignment_pattern"} and p.named_children:
            p = p.named_children[0]
        if p.type == "identifier":
            names.append(f.node_text(p))
    return names


def function_name(f: ScriptFile, func: Node) -> str:
    """The name a function is called by: its declared name, its variable's, or its property's; empty if none."""
    name = func.child_by_field_name("name")
    if name is not None:
        return f.node_text(name)
    parent = func.parent
    if parent is not None and parent.type == "variable_declarator":
        return f.node_text(parent.child_by_field_name("name") or parent)
    if parent is not None and parent.type == "pair":
        return f.node_text(parent.child_by_field_name("key") or parent)
    if parent is not None and parent.type == "assignment_expression":
        left = parent.child_by_field_name("left")
        if left is not None and left.type == "member_expression":
            return f.node_text(left.child_by_field_name("property") or left)
    return ""


def is_write(f: ScriptFile, call: Node, ctx: WriteContext) -> bool:
    """A write, and the outermost of its chain (``q.increment().update()`` is one write, at ``update``)."""
    if write_of(f, call, ctx) is None:
        return False
    parent = call.parent
    if parent is None or parent.type != "member_expression" or parent.child_by_field_name("object") != call:
        return True
    outer = parent.parent
    return outer is None or outer.type != "call_expression" or write_of(f, outer, ctx) is None


def builders(f: ScriptFile, ctx: WriteContext) -> set[str]:
    """Variables the file assigns a query builder to: a chain that starts from ``knex("t")`` / ``trx("t")``."""
    out = set()
    for d in (n for n in walk(f.tree.root_node) if n.type == "variable_declarator"):
        name, value = d.child_by_field_name("name"), d.child_by_field_name("value")
        if name is None or value is None or name.type != "identifier" or unwrap(value).type != "call_expression":
            continue
        call = unwrap(value)
        if table_of(f, call) and (ctx.builder or BUILDER_ROOT.match(root(f, call))):
            out.add(f.node_text(name))
    return out


def write_context(f: ScriptFile) -> WriteContext:
    imports = f.imports
    return WriteContext(
        orm=any(ORM_IMPORTS.match(m) for m in imports), redbean="redbean-node" in imports,
        builder=any(m == "knex" or m.endswith("/knex") for m in imports),
    )  # fmt: skip


def branches(f: ScriptFile, node: Node) -> dict[int, str]:
    """Start byte of each ``if``/ternary/``switch`` around ``node`` (within its function) -> which branch it is in."""
    out: dict[int, str] = {}
    child = node
    for a in f.ancestors(node):
        if a.type in FUNCTIONS:
            break
        if a.type in {"if_statement", "ternary_expression"}:
            which = "then" if child == a.child_by_field_name("consequence") else \
                "else" if child == a.child_by_field_name("alternative") else ""  # fmt: skip
            if which:
                out[a.start_byte] = which
        elif a.type in {"switch_case", "switch_default"} and a.parent is not None:
            out[a.parent.start_byte] = str(a.start_byte)
        child = a
    return out


def returns_early(f: ScriptFile, node: Node) -> bool:
    """Whether ``node`` is in a branch that ends by returning or throwing (``if (x) { await a(); return; }``)."""
    for a in f.ancestors(node):
        if a.type in FUNCTIONS:
            return False
        if a.type == "statement_block" and a.parent is not None and a.parent.type in {"if_statement", "else_clause"}:
            last = a.named_children[-1] if a.named_children else None
            return last is not None and last.type in {"return_statement", "throw_statement"}
    return False


def exclusive(f: ScriptFile, a: Node, b: Node) -> bool:
    """Whether two writes never both run: in different branches of one ``if``/``switch``, or the first in a branch
    that returns before the second."""
    first, second = branches(f, a), branches(f, b)
    if any(first[k] != second[k] for k in first.keys() & second.keys()):
        return True
    return returns_early(f, a) and not returns_early(f, b)


def target(f: ScriptFile, call: Node, ctx: WriteContext | None = None) -> tuple[str, str]:
    """What a write writes, as far as the call shows: its callee and first argument (``Settings.set("k", v)``,
    ``R.store(this)``); for a call of a helper that makes one kind of write, that write's."""
    fn = call.child_by_field_name("function")
    name = f.node_text(fn) if fn is not None else ""
    if ctx is not None and len(found := ctx.targets.get(name.removeprefix("this."), set())) == 1:
        return next(iter(found))
    first = first_arg(call)
    return name, f.node_text(first) if first is not None else ""


def best_effort(f: ScriptFile, call: Node) -> bool:
    """A write the code lets fail: in a ``try`` whose ``catch`` is empty or only logs."""
    for a in f.ancestors(call):
        if a.type in FUNCTIONS:
            return False
        if a.type == "try_statement":
            handler = a.child_by_field_name("handler")
            body = handler.child_by_field_name("body") if handler is not None else None
            if body is None or call.start_byte >= body.start_byte:
                continue
            return all(s.type == "expression_statement" and LOGGING.match(f.node_text(s)) for s in body.named_children)
    return False


def together(f: ScriptFile, writes: list[Node], ctx: WriteContext) -> list[Node]:
    """The first write and the first later one that can run with it and writes something else (two writes that can
    both run, each needed), or fewer. Writes the code lets fail are not part of a unit."""
    needed = [w for w in writes if not best_effort(f, w)]
    for i, a in enumerate(needed):
        b = next((b for b in needed[i + 1 :] if not exclusive(f, a, b) and target(f, a, ctx) != target(f, b, ctx)),
                 None)  # fmt: skip
        if b is not None:
            return [a, b, *(w for w in needed if w not in (a, b))]
    return needed[:1] if len(needed) > 1 else needed


