"""Transactions and multi-step writes in Python (sqlite3/DB-API, SQLAlchemy, Django).

In each function the extractor lists, in source order, the database writes (``execute`` of an
INSERT/UPDATE/DELETE, ORM ``session.add``/``delete``, Django ``objects.create``/``save``, and calls to
same-class or same-module helpers that do such writes), the commits, and the transaction blocks
(``with conn:``, ``with session.begin():``, ``with transaction.atomic():``, ``@transaction.atomic``).

- Writes inside a transaction block, or two or more writes followed by one commit, are a transaction:
  a site for the block's opening line (or the commit) and one per write.
- A write that follows an earlier write with a commit in between (or two Django autocommit writes
  outside ``atomic``) is a multi-step write outside a transaction: a crash in between leaves half of it.
  Writes with no commit in the function are left alone: the caller may commit them together.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.durability_sites import MultiWriteSite, TransactionSite, TxCallSite
from assess.patterns.pyast import PythonFile

TABLE = r"[\w.\"`\[\]]+"
DML = re.compile(
    rf"^\s*(?P<verb>INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|MERGE\s+INTO|DELETE\s+FROM)(?:\s+(?P<table>{TABLE}))?"
    rf"|^\s*(?P<update>UPDATE)\s+(?:OR\s+\w+\s+)?(?:(?P<utable>{TABLE})\s+)?SET\b",
    re.I,
)
"""A SQL statement that writes: ``UPDATE`` only with its ``SET`` (so that ``"update-checker"`` is not one)."""
SESSION_WRITES = {
    "add",
    "add_all",
    "delete",
    "merge",
    "bulk_save_objects",
    "bulk_insert_mappings",
    "bulk_update_mappings",
}
DJANGO_WRITES = {"create", "bulk_create", "get_or_create", "update_or_create", "update", "delete", "bulk_update"}
EXECUTE = {"execute", "executemany", "executescript"}
WRITE_METHODS = frozenset({"commit", "save", "delete"} | EXECUTE | SESSION_WRITES | DJANGO_WRITES)
"""Every method name :meth:`_Analysis._direct` can classify: other calls are not looked at further."""
TX_CALLS = {"begin", "begin_nested", "transaction", "atomic"}
CONNECTION_NAME = re.compile(r"^_*(conn|connection|con|cx|db|database|dbconn|db_conn|sqlite_conn)$")


EventKind = Literal["write", "commit", "write+commit"]


@dataclass
class Event:
    kind: EventKind
    node: ast.AST
    tx: ast.AST | None
    what: str
    autocommit: bool = False


def dml_text(sql: str) -> str | None:
    """``INSERT INTO t`` / ``UPDATE t`` / ``DELETE FROM t`` for a SQL statement that writes, or None."""
    m = DML.match(sql)
    if m is None:
        return None
    verb = " ".join((m["verb"] or m["update"]).split()).upper()
    table = m["table"] or m["utable"]
    return f"{verb} {table}" if table else verb


def _sql_text(f: PythonFile, node: ast.expr, consts: dict[str, str]) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _sql_text(f, node.left, consts)
    if isinstance(node, ast.Name):
        return consts.get(node.id, "")
    if isinstance(node, ast.Call) and f.call_name(node).endswith("text") and node.args:
        return _sql_text(f, node.args[0], consts)
    return ""


def _string_constants(f: PythonFile) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in f.of_type(ast.Assign):
        if not (len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            out[node.targets[0].id] = node.value.value
    return out


def _may_be_event(call: ast.Call, helpers: set[str]) -> bool:
    """Whether :meth:`_Analysis.classify` can find a write or commit in ``call``: a known method, or a helper's name."""
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr in WRITE_METHODS or (
            func.attr in helpers and isinstance(func.value, ast.Name) and func.value.id == "self"
        )
    return isinstance(func, ast.Name) and func.id in helpers


class _Analysis:
    def __init__(self, f: PythonFile) -> None:
        self.f = f
        self.consts = _string_constants(f)
        self.django = any(m.split(".")[0] == "django" for m in f.imports)
        self.direct: dict[ast.Call, tuple[EventKind | None, str, bool]] = {}
        self.helpers: dict[tuple[str | None, str], EventKind] = {}
        for func in f.of_type(ast.FunctionDef, ast.AsyncFunctionDef):
            kinds = {k for c in f.own_calls(func) if (k := self._direct(c)[0])}
            if "write" in kinds:
                cls = self._class_of(func)
                self.helpers[(cls, func.name)] = "write+commit" if "commit" in kinds else "write"
        helper_names = {name for _, name in self.helpers}
        self.statement_calls: dict[ast.AST, list[ast.Call]] = {}
        """Statement -> the calls that may be events and belong to it (not to a statement nested in it, nor to a
        lambda): a call's statement is the nearest statement (or lambda) around it."""
        self.active: set[ast.AST] = set()
        """The functions with such calls: the others have no events."""
        for call in f.of_type(ast.Call):
            if not _may_be_event(call, helper_names):
                continue
            self.active.add(f.scope_of(call))
            anchor = f.parents[call]
            while not isinstance(anchor, ast.stmt | ast.Lambda):
                anchor = f.parents[anchor]
            self.statement_calls.setdefault(anchor, []).append(call)
        for block in f.of_type(ast.With, ast.AsyncWith):
            if self.tx_context(block):
                self.active.add(f.scope_of(block))  # its callees run in the transaction

    def _class_of(self, func: ast.AST) -> str | None:
        parent = self.f.parents.get(func)
        return parent.name if isinstance(parent, ast.ClassDef) else None

    def _direct(self, call: ast.Call) -> tuple[EventKind | None, str, bool]:
        """(write/commit/None, description, autocommit) for a call, without following helpers (memoised)."""
        found = self.direct.get(call)
        if found is None:
            found = self.direct[call] = self._classify_direct(call)
        return found

    def _classify_direct(self, call: ast.Call) -> tuple[EventKind | None, str, bool]:
        if not isinstance(call.func, ast.Attribute) or call.func.attr not in WRITE_METHODS:
            return None, "", False
        method, receiver = call.func.attr, self.f.dotted(call.func.value) or ast.unparse(call.func.value)
        if method == "commit":
            return "commit", f"{receiver}.commit()", False
        if method in {"execute", "executemany"} and call.args:
            arg = call.args[0]
            if (core := self._core_statement(arg)) is not None:
                return "write", core, False
            if text := dml_text(_sql_text(self.f, arg, self.consts)):
                return "write", text, False
        last = receiver.rsplit(".", 1)[-1].lower()
        if method in SESSION_WRITES and ("session" in last or last in {"db", "sess"}):
            return "write", f"{receiver}.{method}()", False
        if self.django and ((".objects" in receiver and method in DJANGO_WRITES) or method in {"save", "delete"}):
            return "write", f"{receiver}.{method}()", True
        return None, "", False

    def _core_statement(self, node: ast.expr) -> str | None:
        """``insert(T).values(...)`` / ``table.delete().where(...)``: a SQLAlchemy Core write, or None."""
        while isinstance(node, ast.Call):
            name = self.f.call_name(node) or ast.unparse(node.func)
            if name.rsplit(".", 1)[-1] in {"insert", "update", "delete"}:
                return f"{name}()"
            node = node.func.value if isinstance(node.func, ast.Attribute) else node.func
        return None

    def classify(self, call: ast.Call, cls: str | None) -> tuple[EventKind | None, str, bool]:
        kind, what, auto = self._direct(call)
        if kind is not None:
            return kind, what, auto
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
            helper = self.helpers.get((cls, func.attr))
        elif isinstance(func, ast.Name):
            helper = self.helpers.get((None, func.id))
        else:
            helper = None
        return (helper, f"{ast.unparse(func)}()", False) if helper else (None, "", False)

    def tx_context(self, stmt: ast.With | ast.AsyncWith) -> str | None:
        for item in stmt.items:
            e = item.context_expr
            if isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute | ast.Name):
                name = self.f.call_name(e) or ast.unparse(e.func)
                if name.rsplit(".", 1)[-1] in TX_CALLS:
                    return f"{name}()"
            elif isinstance(e, ast.Name | ast.Attribute):
                text = ast.unparse(e)
                if CONNECTION_NAME.match(text.rsplit(".", 1)[-1]):
                    return f"with {text}"
        return None

    def events(self, func: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[list[Event], dict[ast.AST, str]]:
        cls = self._class_of(func)
        opened: dict[ast.AST, str] = {}
        out: list[Event] = []
        atomic = next((d for d in func.decorator_list if self.f.unparse(d).split("(")[0].endswith("atomic")), None)
        if atomic is not None:
            opened[atomic] = ast.unparse(atomic)
        self._visit(func.body, atomic, cls, opened, out)
        return out, opened

    def _visit(self, body: list[ast.stmt], tx: ast.AST | None, cls: str | None, opened: dict[ast.AST, str],
               out: list[Event]) -> None:  # fmt: skip
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            inner = tx
            if isinstance(stmt, ast.With | ast.AsyncWith) and (how := self.tx_context(stmt)):
                opened[stmt], inner = how, stmt
            blocks = [
                getattr(stmt, name)
                for name in ("body", "orelse", "finalbody")
                if isinstance(getattr(stmt, name, None), list)
            ]
            blocks += [h.body for h in getattr(stmt, "handlers", [])] + [c.body for c in getattr(stmt, "cases", [])]
            calls = self.statement_calls.get(stmt, [])
            for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):
                kind, what, auto = self.classify(call, cls)
                if kind is None and tx is not None and _unknown_statement(self.f, call, self.consts):
                    kind, what = "write", f"{ast.unparse(call.func)}()"  # a statement run in a transaction
                if kind is not None:
                    out.append(Event(kind, call, tx, what, auto))
            for block in blocks:
                self._visit(block, inner, cls, opened, out)


def _unknown_statement(f: PythonFile, call: ast.Call, consts: dict[str, str]) -> bool:
    """``conn.execute(sql)`` with a statement the code does not show (a parameter, built elsewhere)."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in EXECUTE and call.args):
        return False
    return not _sql_text(f, call.args[0], consts).strip()


def _site(f: PythonFile, node: ast.AST) -> dict[str, object]:
    line = getattr(node, "lineno", 1)
    return {"path": f.path, "line": line, "end_line": getattr(node, "end_lineno", None) or line,
            "language": "Python", "snippet": f.snippet(node), "function": f.qualname(node)}  # fmt: skip


def _transactions(f: PythonFile, events: list[Event], opened: dict[ast.AST, str]) -> Iterator[Site]:
    for block, how in opened.items():
        writes = [e for e in events if e.tx is block and e.kind != "commit"]
        if not writes:
            continue
        line = getattr(block, "lineno", 1)
        yield TransactionSite(**_site(f, block), role="open", how=how, writes=len(writes), open_line=line)
        for e in writes:
            yield TransactionSite(**_site(f, e.node), role="write", how=how, writes=len(writes), open_line=line)
    group: list[Event] = []
    for e in (e for e in events if e.tx is None and not e.autocommit):
        if e.kind == "commit" and len(group) >= 2:
            line = getattr(e.node, "lineno", 1)
            yield TransactionSite(**_site(f, e.node), role="commit", how=e.what, writes=len(group), open_line=line)
            for w in group:
                yield TransactionSite(**_site(f, w.node), role="write", how=e.what, writes=len(group), open_line=line)
        group = [] if e.kind != "write" else [*group, e]


def _branches(f: PythonFile, node: ast.AST) -> dict[ast.AST, object]:
    """Each ``if``/``match`` around ``node`` (within its function) -> the branch ``node`` is in."""
    out: dict[ast.AST, object] = {}
    child = node
    for a in f.ancestors(node):
        if isinstance(a, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            break
        if isinstance(a, ast.If | ast.IfExp):
            body = a.body if isinstance(a.body, list) else [a.body]
            orelse = a.orelse if isinstance(a.orelse, list) else [a.orelse]
            which = "body" if child in body else "orelse" if child in orelse else None
            if which:
                out[a] = which
        elif isinstance(a, ast.match_case) and (match := f.parents.get(a)) is not None:
            out[match] = a
        child = a
    return out


def _returns(f: PythonFile, node: ast.AST) -> bool:
    """Whether ``node`` is in an ``if`` branch that ends by returning or raising."""
    for a in f.ancestors(node):
        if isinstance(a, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return False
        if isinstance(a, ast.If):
            block = a.body if f.contains(a.body[0], node) or any(f.contains(s, node) for s in a.body) else a.orelse
            return bool(block) and isinstance(block[-1], ast.Return | ast.Raise)
    return False


def _exclusive(f: PythonFile, a: ast.AST, b: ast.AST) -> bool:
    """Whether two writes never both run: in different branches of one ``if``/``match``, or the first in a branch
    that returns before the second."""
    first, second = _branches(f, a), _branches(f, b)
    if any(first[k] != second[k] for k in first.keys() & second.keys()):
        return True
    return _returns(f, a) and not _returns(f, b)


def _split_writes(f: PythonFile, events: list[Event]) -> Iterator[Site]:
    outside = [e for e in events if e.tx is None]
    first: Event | None = None
    committed = False
    for e in outside:
        if e.kind == "commit":
            committed = first is not None
            continue
        if first is not None and (committed or (e.autocommit and first.autocommit)) and \
                not _exclusive(f, first.node, e.node):  # fmt: skip
            reason = "a commit between them" if committed else "each autocommits"
            yield MultiWriteSite(**_site(f, e.node), first_line=getattr(first.node, "lineno", 1), write=e.what,
                                 reason=reason, covered_by_caller="never" if committed else "always")  # fmt: skip
            return
        if first is None:
            first = e
        committed = committed or e.kind == "write+commit"


def _tx_calls(f: PythonFile, func: ast.AST, opened: dict[ast.AST, str]) -> Iterator[Site]:
    """The functions each transaction block calls, once per name (Python's transactions are implicit: a function
    called in one runs in it)."""
    for block, how in opened.items():
        body = block.body if isinstance(block, ast.With | ast.AsyncWith) else [func]
        seen: set[str] = set()
        for call in (c for stmt in body for c in f.within(stmt, ast.Call)):
            func_node = call.func
            name = func_node.attr if isinstance(func_node, ast.Attribute) else getattr(func_node, "id", "")
            if name and name not in seen and name not in WRITE_METHODS:
                seen.add(name)
                yield TxCallSite(**_site(f, call), callee=name, how=how, passes_handle=True)


@register_extractor("python")
def transactions(f: PythonFile) -> Iterator[Site]:
    analysis = _Analysis(f)
    for func in f.of_type(ast.FunctionDef, ast.AsyncFunctionDef):
        if func not in analysis.active:
            continue  # no call in it can be a write or a commit
        events, opened = analysis.events(func)
        yield from _transactions(f, events, opened)
        yield from _split_writes(f, events)
        yield from _tx_calls(f, func, opened)
