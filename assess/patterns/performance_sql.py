"""What SQL a Python call runs, when its text can be read from string constants in the same function.

Queries are often built from pieces (``query = "SELECT * FROM tasks"``, then ``query + " WHERE ..."``
inside an ``if``). :func:`query_text` returns two readings: the *base* text (only the pieces that are
always there) and *all* the constant text that may end up in the query (every piece, conditional or
not). A read is unbounded when the base has no ``WHERE`` and no piece adds a ``LIMIT``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from assess.patterns.pyast import PythonFile, per_node

SELECT = re.compile(r"^\s*\(?\s*(select|with)\b.*\bfrom\b", re.IGNORECASE | re.DOTALL)
BOUND = re.compile(r"\b(limit|offset|fetch\s+(first|next)|top\s+\d|rownum)\b", re.IGNORECASE)
WHERE = re.compile(r"\b(where|join)\b", re.IGNORECASE)
AGGREGATE = re.compile(
    r"^\s*select\b(?:(?!\bfrom\b).)*\b(count|sum|max|min|avg|exists|total|group_concat|string_agg|array_agg)\s*\("
    r"|\bgroup\s+by\b",
    re.IGNORECASE | re.DOTALL,
)
"""An aggregate in the select list, or a ``GROUP BY``: one row per group comes back, not the table."""
TABLE = re.compile(r"\bfrom\s+([\w.\"`\[\]]+)", re.IGNORECASE)
MAX_DEPTH = 4
TABLE_SLOT = re.compile(r"\b(from|join|into|update|table)\s*[\[\"`]?\s*$", re.IGNORECASE)
"""Query text that ends where a table name goes: what is interpolated next names the table."""


@dataclass(frozen=True)
class QueryText:
    base: str
    """The constant text that is always part of the query (placeholders for unknown parts)."""
    every: str
    """All constant text that may be part of the query, conditional pieces included."""

    @property
    def table(self) -> str:
        m = TABLE.search(self.base)
        return m.group(1).strip('"`[]') if m else "?"

    def unbounded_read(self) -> bool:
        """A SELECT of a whole table: no WHERE or JOIN that is always there, no LIMIT anywhere, no aggregate."""
        return (
            bool(SELECT.search(self.base))
            and not WHERE.search(self.base)
            and not BOUND.search(self.every)
            and not AGGREGATE.search(self.base)
        )

    def is_select(self) -> bool:
        return bool(SELECT.search(self.base))


def _scope(pf: PythonFile, node: ast.AST) -> ast.AST:
    return pf.enclosing_function(node) or pf.tree


def _assignments(pf: PythonFile, scope: ast.AST, name: str) -> list[tuple[ast.stmt, ast.expr]]:
    """(statement, value) for every assignment of ``name`` in ``scope`` (tuple unpacking included), by line."""
    return _scope_assignments(pf, scope).get(name, [])


@per_node
def _scope_assignments(pf: PythonFile, scope: ast.AST) -> dict[str, list[tuple[ast.stmt, ast.expr]]]:
    """:func:`_assignments` of every name of ``scope`` at once: one walk of the scope, not one per name."""
    out: dict[str, list[tuple[ast.stmt, ast.expr]]] = {}
    for node in pf.within(scope, ast.Assign, ast.AnnAssign, ast.AugAssign):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                for name, value in _values(target, node.value):
                    out.setdefault(name, []).append((node, value))
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            if isinstance(node.target, ast.Name):
                out.setdefault(node.target.id, []).append((node, node.value))
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            name = node.target.id
            out.setdefault(name, []).append((node, ast.BinOp(left=ast.Name(id=name), op=ast.Add(), right=node.value)))
    for pairs in out.values():
        pairs.sort(key=lambda pair: pair[0].lineno)
    return out


def _values(target: ast.expr, value: ast.expr) -> list[tuple[str, ast.expr]]:
    """(name, value) for each name ``target = value`` binds to a known value (the first, if a name repeats)."""
    if isinstance(target, ast.Name):
        return [(target.id, value)]
    out: dict[str, ast.expr] = {}
    if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
        for t, v in zip(target.elts, value.elts, strict=True):
            if isinstance(t, ast.Name):
                out.setdefault(t.id, v)
    return list(out.items())


def _unconditional(pf: PythonFile, stmt: ast.AST, scope: ast.AST) -> bool:
    """Whether ``stmt`` runs whenever its scope runs (not inside if/for/while/try/match)."""
    for a in pf.ancestors(stmt):
        if a is scope:
            return True
        if isinstance(a, ast.If | ast.For | ast.AsyncFor | ast.While | ast.Try | ast.Match | ast.IfExp):
            return False
    return True


def _base(pf: PythonFile, expr: ast.AST, scope: ast.AST, before: int, depth: int) -> str | None:
    if depth > MAX_DEPTH:
        return None
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "?" for v in expr.values
        )
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        left = _base(pf, expr.left, scope, before, depth + 1)
        right = _base(pf, expr.right, scope, before, depth + 1)
        return None if left is None and right is None else (left or "?") + (right or "?")
    if isinstance(expr, ast.Name):
        found = [
            (stmt, value)
            for stmt, value in _assignments(pf, scope, expr.id)
            if stmt.lineno < before and _unconditional(pf, stmt, scope)
        ]
        if not found and scope is not pf.tree:
            return _base(pf, expr, pf.tree, 10**9, depth + 1)  # a module-level constant
        if found:
            stmt, value = found[-1]
            return _base(pf, value, scope, stmt.lineno, depth + 1)
    return None


def _every(pf: PythonFile, expr: ast.AST, scope: ast.AST, depth: int = 0, seen: frozenset[str] = frozenset()) -> str:
    pieces: list[str] = []
    for node in pf.walk(expr):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            pieces.append(node.value)
        elif isinstance(node, ast.Name) and node.id not in seen and depth < MAX_DEPTH:
            for _, value in _assignments(pf, scope, node.id):
                pieces.append(_every(pf, value, scope, depth + 1, seen | {node.id}))
    return " ".join(pieces)


def query_text(pf: PythonFile, expr: ast.AST) -> QueryText | None:
    """The SQL that ``expr`` (a call's first argument) holds, or None when no constant text is known."""
    scope = _scope(pf, expr)
    base = _base(pf, expr, scope, getattr(expr, "lineno", 10**9) + 1, 0)
    if base is None:
        return None
    return QueryText(base=base, every=_every(pf, expr, scope))


def table_names(pf: PythonFile, expr: ast.AST) -> set[str]:
    """Names interpolated where the query ``expr`` holds names its table (``f"select count(*) from [{table}]"``,
    ``"SELECT * FROM " + name``), read through one assignment of a name in the same function."""
    if isinstance(expr, ast.Name):
        found = _assignments(pf, _scope(pf, expr), expr.id)
        expr = found[-1][1] if found else expr
    pieces: list[ast.AST] = []
    _flatten(expr, pieces)
    out: set[str] = set()
    text = ""
    for piece in pieces:
        if isinstance(piece, ast.Constant) and isinstance(piece.value, str):
            text += piece.value
            continue
        if TABLE_SLOT.search(text):
            out |= {n.id for n in ast.walk(piece) if isinstance(n, ast.Name)}
        text += "?"
    return out


def _flatten(expr: ast.AST, out: list[ast.AST]) -> None:
    """The pieces of an f-string or a ``+`` concatenation, in order."""
    if isinstance(expr, ast.JoinedStr):
        out.extend(v.value if isinstance(v, ast.FormattedValue) else v for v in expr.values)
    elif isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        _flatten(expr.left, out)
        _flatten(expr.right, out)
    else:
        out.append(expr)
