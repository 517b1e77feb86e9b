"""SQL built from strings: the values put into it, where in the statement each goes, and where each comes from.

Bandit's B608 flags every string that looks like SQL and is built with ``%``, ``+``, ``.format`` or an f-string.
What makes it injectable is what fills the holes: a value from the request is; a table or column name read from
the database's own schema, a constant, or a name passed through a quoting function is not. And where a hole sits
matters: a value written inside quotes or after ``=`` should have been a bound parameter whatever its origin, while
an identifier (a table, a column, a clause built elsewhere) cannot be bound and is only a problem when it can come
from a user.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator

from assess.patterns.pyast import PythonFile
from assess.patterns.security_flow import RANK, Source, origins, summary

Hole = tuple[ast.expr, str]
"""An expression put into the SQL text, and where: ``value`` (a literal's place), ``number`` (after LIMIT or
OFFSET) or ``identifier`` (anything else)."""
_NUMBER_BEFORE = re.compile(r"\b(limit|offset|top)\s*$", re.IGNORECASE)
_VALUE_BEFORE = re.compile(r"(=|<|>|\blike|\bglob|\bin\s*\(|\bbetween)\s*\(?\s*$", re.IGNORECASE)
_FRAGMENT = re.compile(r"(^|_)(sql|query|where|clauses?|conditions?|order_by|joins?|filters?|select)($|_)",
                       re.IGNORECASE)  # fmt: skip
"""Names of SQL built elsewhere (a whole query, a where clause): whether it is injectable is decided where it is
built, and that is found there."""
_PERCENT = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxa]")
_UNKNOWN = ast.Name(id="__unknown__")
"""Stands for a value the code passes as ``**kwargs``: nothing shows what it holds."""


def sql_origin(f: PythonFile, node: ast.AST) -> tuple[str, str, str]:
    """(origin, what reached it, where in the statement) for the SQL text built at ``node``.

    ``origin`` is the most telling source of its holes (:data:`assess.patterns.security_flow.RANK`), or
    ``not-run`` when the text is only compared with something, never run. Holes of unknown origin in a value's
    place outrank those in an identifier's: the first should have been bound parameters in any case."""
    if _only_compared(f, node):
        return "not-run", "", ""
    found: list[tuple[Source, str]] = []
    for expr, position in holes(node):
        source = ("unknown", "**kwargs") if expr is _UNKNOWN else summary(origins(f, expr))
        fragment = position == "identifier" and bool(_FRAGMENT.search(_name(expr)))
        if source[0] == "unknown" and (position == "number" or fragment):
            continue
        found.append((source, position))
    if not found:
        return "constant", "", ""
    (kind, what), position = min(found, key=_rank)
    return kind, what, position


def _rank(item: tuple[Source, str]) -> tuple[int, int]:
    (kind, _), position = item
    return (RANK.index(kind) if kind in RANK else len(RANK), 0 if position == "value" else 1)


def _name(expr: ast.expr) -> str:
    """The last name in ``expr`` (``self.sql`` -> ``sql``), or ""."""
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return expr.id if isinstance(expr, ast.Name) else ""


def _only_compared(f: PythonFile, node: ast.AST) -> bool:
    for parent in f.ancestors(node):
        if isinstance(parent, ast.Compare):
            return True
        if isinstance(parent, ast.stmt):
            return False
    return False


def holes(node: ast.AST) -> list[Hole]:
    """The expressions put into the SQL text built at ``node``, each with its place; [] for other shapes."""
    parts = list(_parts(node))
    out: list[Hole] = []
    text = ""
    for part in parts:
        if isinstance(part, str):
            text += part
        else:
            out.append((part, _position(text)))
            text += "?"
    return out


def _position(before: str) -> str:
    """``value`` in a literal's place, ``number`` after LIMIT or OFFSET, else ``identifier``."""
    if before.count("'") % 2 == 1 or _VALUE_BEFORE.search(before):
        return "value"
    return "number" if _NUMBER_BEFORE.search(before) else "identifier"


def _parts(node: ast.AST) -> Iterator[str | ast.expr]:
    """The SQL text in order: literal pieces as strings, the values put between them as expressions."""
    if isinstance(node, ast.JoinedStr):
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                yield value.value
            elif isinstance(value, ast.Constant):
                yield str(value.value)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        yield from _parts(node.left)
        yield from _parts(node.right)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _literal(node.left) is not None:
        yield from _percent(_literal(node.left) or "", node.right)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        template = _literal(node.func.value)
        yield from _formatted(template, node) if template is not None else [node]
    elif _literal(node) is not None:
        yield _literal(node) or ""
    elif isinstance(node, ast.expr):
        yield node


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _percent(template: str, right: ast.expr) -> Iterator[str | ast.expr]:
    values = right.elts if isinstance(right, ast.Tuple) else [right]
    named: dict[str | None, ast.expr] = {}
    if isinstance(right, ast.Dict):
        named = {_literal(k): v for k, v in zip(right.keys, right.values, strict=True) if k is not None}
    position = 0
    for i, m in enumerate(_PERCENT.finditer(template)):
        yield template[position : m.start()]
        position = m.end()
        if m.group(1):
            yield named.get(m.group(1), _UNKNOWN)
        else:
            yield values[i] if i < len(values) else _UNKNOWN
    yield template[position:]


def _formatted(template: str, call: ast.Call) -> Iterator[str | ast.expr]:
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    splat = any(k.arg is None for k in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args)
    auto = 0
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        yield template
        yield from [*call.args, *keywords.values()]
        return
    for literal, name, _, _ in fields:
        yield literal
        if name is None:
            continue
        base = re.split(r"[.\[]", name, maxsplit=1)[0]
        if base == "":
            base, auto = str(auto), auto + 1
        if base.isdigit():
            index = int(base)
            yield call.args[index] if index < len(call.args) and not splat else _UNKNOWN
        else:
            yield keywords.get(base, _UNKNOWN)
