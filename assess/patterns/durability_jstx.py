"""Transactions and multi-step writes in JavaScript/TypeScript.

In each function the extractor finds the database writes (SQL statements passed to ``query``/``exec``, MongoDB
and Prisma writes, ORM ``save``/``create``, knex ``insert``/``update``/``del`` chains, RedBean ``store``/``trash``,
and calls to same-file functions that write) and the transactions around them:

- a callback transaction (``knex.transaction(trx => ...)``, ``prisma.$transaction(...)``, ``withTransaction``);
- ``BEGIN`` ... ``COMMIT`` on one client;
- a transaction handle (``const trx = await knex.transaction()``, ``R.begin()``, ``sequelize.transaction()``):
  the writes made through it (``trx.exec``, ``trx("t").insert``, ``{ transaction: t }``, ``.transacting(trx)``).

Two or more writes outside any of them are a multi-step write: each statement commits on its own. The site says
whether the writes go through a parameter (then a caller that passes its transaction handle covers them), whether
they only delete (a re-run completes them) and whether ``Promise.all`` runs them together. Calls made inside a
transaction are recorded (:class:`TxCallSite`), and so are the functions that write (:class:`WriterSite`) and the
functions that call other modules' functions named like writes (:class:`WriteStepsSite`), for the probe to
resolve across files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

import tree_sitter

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.durability_jswrites import (
    WriteContext,
    args_of,
    best_effort,
    builders,
    first_arg,
    function_name,
    in_handle,
    is_write,
    parameters,
    root,
    string_of,
    target,
    together,
    write_context,
    write_of,
)
from assess.patterns.durability_sites import MultiWriteSite, TransactionSite, TxCallSite, WriterSite, WriteStepsSite
from assess.patterns.errors_js import FUNCTIONS, callee, own_nodes, walk
from assess.patterns.scripts import ScriptFile

Node = tree_sitter.Node
TX_CALLS = {"transaction", "$transaction", "withTransaction"}
HANDLE_CALLS = {"begin", "beginTransaction", "startTransaction", "transaction"}
TX_PARAM = re.compile(r"^(trx|tx|txn|transaction|t)$")
WRITE_VERB = re.compile(
    r"^(add|create|insert|update|upsert|save|store|set|put|delete|remove|destroy|ban|unban|mark|increment|"
    r"decrement|register|approve|reject|assign|attach|detach|archive|restore|move|transfer|record)([A-Z_]\w*)?$",
)
"""A function named like a write: ``update``, ``addMember``, ``increment_visits`` (not ``address``)."""
NOT_A_CALLEE = re.compile(r"^(then|catch|finally|push|map|forEach|filter|reduce|log|debug|info|warn|error|"
                          r"resolve|reject|stringify|parse|toString|commit|rollback|query|exec|execute)$")  # fmt: skip


@dataclass
class _Region:
    kind: str
    """``callback`` (the writes are in the callback), ``begin`` (between BEGIN and COMMIT) or ``handle`` (the
    writes made through the handle)."""
    opener: Node
    start: int
    end: int
    how: str
    handle: str | None
    """The transaction's handle (``trx``, the client that ran BEGIN)."""


def _calls(func: Node) -> list[Node]:
    return sorted((n for n in own_nodes(func) if n.type == "call_expression"), key=lambda n: n.start_byte)


BEGIN_SQL = re.compile(r"^(BEGIN|START\s+TRANSACTION)\b(?!.*\bEND\s*;?\s*$)", re.S)
"""``BEGIN``, ``BEGIN EXCLUSIVE TRANSACTION``, ``BEGIN IMMEDIATE``, ``START TRANSACTION`` (not a ``BEGIN ... END``
block of procedural SQL)."""
END_SQL = re.compile(r"^(COMMIT|END|ROLLBACK)\b(?!\s+TO\b)")
"""``COMMIT``, ``END TRANSACTION``, ``ROLLBACK`` (not ``ROLLBACK TO`` a savepoint, which stays in the transaction)."""


def _regions(f: ScriptFile, func: Node, calls: list[Node]) -> list[_Region]:
    regions: list[_Region] = []
    begin: Node | None = None
    for call in calls:
        receiver, name = callee(f, call)
        sql = string_of(f, first_arg(call)).strip().upper()
        callback = next((a for a in args_of(call) if a.type in FUNCTIONS), None)
        batch = name in TX_CALLS and any(a.type == "array" for a in args_of(call))  # prisma.$transaction([...])
        if name in TX_CALLS and (callback is not None or batch):
            params = parameters(f, callback) if callback is not None else []
            how = f"{receiver}.{name}".lstrip(".")
            handle = params[0] if params else None
            regions.append(_Region("callback", call, call.start_byte, call.end_byte, how, handle))
        elif BEGIN_SQL.match(sql):
            begin = call
        elif END_SQL.match(sql) and begin is not None:
            regions.append(_Region("begin", begin, begin.start_byte, call.start_byte, "BEGIN ... COMMIT",
                                   root(f, begin)))
            begin = None
        elif name in HANDLE_CALLS and callback is None and (handle := _assigned_to(f, call)):
            regions.append(_Region("handle", call, call.start_byte, func.end_byte, f"{receiver}.{name}()", handle))
    if begin is not None:
        regions.append(_Region("begin", begin, begin.start_byte, func.end_byte, "BEGIN ... COMMIT", root(f, begin)))
    return regions


def _assigned_to(f: ScriptFile, call: Node) -> str | None:
    """The variable ``const trx = await x.begin()`` assigns the call to, or None."""
    node = call.parent
    while node is not None and node.type in {"await_expression", "parenthesized_expression"}:
        node = node.parent
    if node is not None and node.type == "variable_declarator":
        name = node.child_by_field_name("name")
        return f.node_text(name) if name is not None and name.type == "identifier" else None
    if node is not None and node.type == "assignment_expression":
        left = node.child_by_field_name("left")
        return f.node_text(left) if left is not None and left.type == "identifier" else None
    return None


def _inside(region: _Region, call: Node, f: ScriptFile) -> bool:
    if region.kind == "handle" and region.handle:  # only what goes through the handle
        return in_handle(f, call, {region.handle})
    return region.start <= call.start_byte < region.end


def _scope(func: Node, region: _Region) -> Node:
    """Where a region's calls are: in the callback given to the call that opens it, or in the function."""
    return region.opener if region.kind == "callback" else func


def _region_writes(f: ScriptFile, func: Node, region: _Region, ctx: WriteContext) -> list[Node]:
    return [n for n in walk(_scope(func, region)) if n.type == "call_expression" and n != region.opener
            and _inside(region, n, f) and is_write(f, n, ctx)]  # fmt: skip


def _common(f: ScriptFile, node: Node) -> dict[str, object]:
    line, end = f.span(node)
    return {"path": f.path, "line": line, "end_line": end, "language": f.language, "snippet": f.snippet(node),
            "function": f.enclosing_function(node)}  # fmt: skip


def _transaction_sites(f: ScriptFile, region: _Region, writes: list[Node]) -> Iterator[Site]:
    line = f.span(region.opener)[0]
    how = region.how
    yield TransactionSite(**_common(f, region.opener), role="open", how=how, writes=len(writes), open_line=line)
    for n in writes:
        yield TransactionSite(**_common(f, n), role="write", how=how, writes=len(writes), open_line=line)


def _tx_calls(f: ScriptFile, func: Node, region: _Region, ctx: WriteContext) -> Iterator[Site]:
    """The functions a transaction calls (once each), and whether it hands them its handle."""
    seen: set[str] = set()
    inside = (n for n in walk(_scope(func, region)) if n.type == "call_expression" and n != region.opener
              and region.start <= n.start_byte < region.end)  # fmt: skip
    for call in inside:
        name = callee(f, call)[1]
        if not name or name in seen or NOT_A_CALLEE.match(name) or not name.isidentifier():
            continue
        if write_of(f, call, ctx) and name not in ctx.helpers:
            continue  # a write itself (a helper of this file that writes is also a function the transaction covers)
        seen.add(name)
        receiver = callee(f, call)[0]
        handle = region.handle or ""
        passes = bool(handle) and (any(f.node_text(a) == handle for a in args_of(call))
                                   or (receiver == "this" and handle.startswith("this.")))  # fmt: skip
        # this.steps() inside BEGIN on this.database: the method reaches the same client through `this`
        yield TxCallSite(**_common(f, call), callee=name, how=region.how, passes_handle=passes or not region.handle)


def _in_transaction_callback(f: ScriptFile, func: Node) -> bool:
    return any(a.type == "call_expression" and callee(f, a)[1] in TX_CALLS for a in f.ancestors(func))


def _gathered(f: ScriptFile, calls: list[Node]) -> dict[int, Node]:
    """Start byte of a call -> the ``Promise.all`` that runs it (given in an array, or pushed to one)."""
    out: dict[int, Node] = {}
    pushed: dict[str, list[Node]] = {}
    for call in calls:
        receiver, name = callee(f, call)
        if name == "push" and receiver.isidentifier():
            pushed.setdefault(receiver, []).extend(args_of(call))
    for call in calls:
        receiver, name = callee(f, call)
        arg = first_arg(call)
        if receiver != "Promise" or name not in {"all", "allSettled"} or arg is None:
            continue
        items = arg.named_children if arg.type == "array" else pushed.get(f.node_text(arg), [])
        for item in items:
            for n in walk(item):
                if n.type == "call_expression":
                    out[n.start_byte] = call
    return out


DELETES = re.compile(r"^DELETE\b|\.(del|delete|destroy|trash|trashAll|deleteOne|deleteMany|findOneAndDelete|"
                     r"findByIdAndDelete)\(\)$")  # fmt: skip
DETACH = re.compile(r"^\s*UPDATE\s+\S+\s+SET\s+[\w`\"\[\].]+\s*=\s*NULL\s+WHERE\b", re.I)
"""``UPDATE child SET parent_id = NULL WHERE parent_id = ?``: references removed before the row they point to."""


def _removes(f: ScriptFile, call: Node, what: str) -> bool:
    """A write that deletes, or detaches rows from one about to be deleted: running it again does no harm."""
    return bool(DELETES.search(what) or DETACH.match(string_of(f, first_arg(call))))


def _multi_write(f: ScriptFile, func: Node, outside: list[Node], calls: list[Node], ctx: WriteContext) -> Site:
    """The site of two or more writes that each commit on their own: the ``Promise.all`` that runs them all, or
    the second write."""
    gathered = _gathered(f, calls)
    gathers = {gathered[c.start_byte].start_byte if c.start_byte in gathered else None for c in outside}
    together = gathered.get(outside[0].start_byte) if len(gathers) == 1 and None not in gathers else None
    at = together if together is not None else outside[1]
    params = set(parameters(f, func))
    what = [write_of(f, c, ctx) or "" for c in outside]
    via_params = all(root(f, c) in params or any(f.node_text(a) in params for a in args_of(c)) for c in outside)
    via_this = all(root(f, c).startswith("this.") for c in outside)  # the object's client: a method's caller shares it
    reason = "Promise.all runs them at once, each committing on its own" if together else \
        "each statement commits on its own"  # fmt: skip
    return MultiWriteSite(
        **_common(f, at), first_line=f.span(outside[0])[0], write=what[1], reason=reason, writes=len(outside),
        deletes_only=all(_removes(f, c, w) for w, c in zip(what, outside, strict=True)),
        gathered=together is not None,
        covered_by_caller="if-passed" if (via_params and params) or via_this else "never",
    )  # fmt: skip


def _imported(f: ScriptFile) -> set[str]:
    """Names bound at the top of the file to an imported module (``const query = require("../queries")``)."""
    names: set[str] = set()
    for stmt in f.tree.root_node.named_children:
        if stmt.type == "import_statement":
            names.update(f.node_text(n) for n in walk(stmt) if n.type == "identifier")
        elif stmt.type in {"lexical_declaration", "variable_declaration"} and "require(" in f.node_text(stmt):
            for d in (c for c in stmt.named_children if c.type == "variable_declarator"):
                name = d.child_by_field_name("name")
                if name is not None:
                    names.update(f.node_text(n) for n in walk(name)
                                 if n.type in {"identifier", "shorthand_property_identifier_pattern"})  # fmt: skip
    return names


SERVICE_PROPERTY = re.compile(r"^this\.\w*(service|repository|repo|dao|store|model|queries)$", re.I)


def _steps(f: ScriptFile, calls: list[Node], imported: set[str], ctx: WriteContext) -> list[Node]:
    """Calls of another module's functions named like writes (``query.link.update()``,
    ``this.userService.create()``)."""
    out = []
    for call in calls:
        receiver, name = callee(f, call)
        start = root(f, call)
        if receiver and WRITE_VERB.match(name) and not write_of(f, call, ctx) and (
            start in imported or SERVICE_PROPERTY.match(start)
        ):
            out.append(call)
    return out


def _write_steps(f: ScriptFile, steps: list[Node], direct: list[Node], calls: list[Node], ctx: WriteContext) -> Site:
    gathered = _gathered(f, calls)

    def gather(call: Node) -> int:
        return f.span(gathered[call.start_byte])[0] if call.start_byte in gathered else 0

    lines = {f.span(c)[0] for c in [*steps, *direct]} | {gather(c) for c in [*steps, *direct]} - {0}
    return WriteStepsSite(
        **_common(f, steps[0]),
        steps=tuple((f.span(c)[0], callee(f, c)[0], callee(f, c)[1], gather(c)) for c in steps),
        direct=tuple((f.span(c)[0], gather(c), write_of(f, c, ctx) or "") for c in direct),
        texts=tuple((n, f.lines[n - 1].strip()[:200]) for n in sorted(lines) if 0 < n <= len(f.lines)),
    )  # fmt: skip


def _function_sites(f: ScriptFile, func: Node, ctx: WriteContext, imported: set[str]) -> Iterator[Site]:
    calls = _calls(func)
    regions = _regions(f, func, calls)
    for region in regions:
        writes = _region_writes(f, func, region, ctx)
        if writes:
            yield from _transaction_sites(f, region, writes)
        yield from _tx_calls(f, func, region, ctx)
    handles = {r.handle for r in regions if r.handle} | {p for p in parameters(f, func) if TX_PARAM.match(p)}
    writes = [c for c in calls if is_write(f, c, ctx)]
    if func.type in FUNCTIONS and (writes or any(_region_writes(f, func, r, ctx) for r in regions)) and \
            (name := function_name(f, func)):  # fmt: skip
        yield WriterSite(**_common(f, func), name=name, module=PurePosixPath(f.path).name.split(".")[0])
    if func.type not in FUNCTIONS or _in_transaction_callback(f, func):
        return
    outside = [c for c in writes if not any(_inside(r, c, f) for r in regions) and not in_handle(f, c, handles)]
    outside = together(f, outside, ctx)
    if len(outside) >= 2:
        yield _multi_write(f, func, outside, calls, ctx)
        return
    steps = [c for c in _steps(f, calls, imported, ctx) if not any(_inside(r, c, f) for r in regions)
             and not best_effort(f, c)]  # fmt: skip
    steps = [c for i, c in enumerate(steps) if target(f, c) not in {target(f, d) for d in steps[:i]}]
    if steps and len(steps) + len(outside) >= 2:
        yield _write_steps(f, steps, outside, calls, ctx)


@register_extractor("script")
def transactions_js(f: ScriptFile) -> Iterator[Site]:
    ctx = write_context(f)
    funcs = [n for n in walk(f.tree.root_node) if n.type in FUNCTIONS]
    for func in funcs:
        if (name := function_name(f, func)) and (writes := [c for c in _calls(func) if write_of(f, c, ctx)]):
            ctx.targets.setdefault(name, set()).update(target(f, c) for c in writes)
    ctx.helpers = set(ctx.targets)
    ctx.builders = builders(f, ctx)
    imported = _imported(f)
    for func in [f.tree.root_node, *funcs]:
        yield from _function_sites(f, func, ctx, imported)
