"""Bandit's findings as sites: bandit's checks run through its Python API on each Python source file.

Bandit's plugins are loaded once per process (``BanditManager``, not its command line) and run on the
syntax tree the rest of the analysis shares, so a file is not parsed again for bandit. Source files
only (tests are left out: fixtures and asserts there are not the product's security), each under
1 MiB. Its logging and progress bar are silenced. Every issue becomes a :class:`BanditSite`
with bandit's test id, severity, confidence and text; which of them become findings is the
probe's decision (``assess/probes/security.py``, documented in ``assess/rules/security.toml``).

Facts are added for the probes, because bandit flags too much for them to be claims as is: the
literal of a hard-coded password (B105-B107); for ``random`` calls (B311) and those literals the names
the value flows into (assignment target, keyword, dict key, parameter, or the function that returns it);
and for a literal in a comparison (B105), the names it is compared with.
"""

from __future__ import annotations

import ast
import contextlib
import io
import logging
import re
import tokenize
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from assess.model.patterns import Site, register_site
from assess.patterns import snippet
from assess.patterns.pyast import PythonFile, per_file
from assess.patterns.security_flow import origins, summary
from assess.patterns.security_sql import sql_origin

MAX_BANDIT_BYTES = 1024 * 1024
PASSWORD_TESTS = frozenset({"B105", "B106", "B107"})
RANDOM_TEST = "B311"
SQL_TEST = "B608"
HASH_TESTS = frozenset({"B303", "B324"})
NAMED_TESTS = HASH_TESTS | {RANDOM_TEST}
"""Issues whose value's purpose is read from the names it is given to (random numbers, hashes)."""
TRACED_TESTS = frozenset({"B602", "B604", "B605", "B102", "B307", "B301", "B302", "B506", "B704"})
"""Issues about data given to a call (a shell, eval, a deserialiser, ``Markup``), whose origin is traced."""
DATA_KEYWORDS = frozenset({"args", "cmd", "command", "source", "data", "s", "stream", "file", "base"})
_PASSWORD_TEXT = re.compile(r"^Possible hardcoded password: '(.*)'$", re.DOTALL)
_QUIET_LOGGERS = ("bandit", "stevedore")


@register_site
class BanditSite(Site):
    """One issue bandit reported (any severity; the probes choose which become findings)."""

    kind: Literal["security.bandit"] = "security.bandit"
    test_id: str
    """Bandit's test id, ``B105``."""
    test_name: str
    """Bandit's test name, ``hardcoded_password_string``."""
    severity: str
    """Bandit's severity: LOW, MEDIUM or HIGH."""
    confidence: str
    """Bandit's confidence: LOW, MEDIUM or HIGH."""
    text: str
    """Bandit's message."""
    cwe: int | None = None
    literal: str | None = None
    """For hard-coded passwords (B105-B107): the string literal bandit saw."""
    flows_into: tuple[str, ...] = ()
    """For ``random`` calls (B311), weak hashes (B303, B324) and password literals (B105-B107): names the value is
    given to (variable, keyword, dict key, parameter whose default it is, returning function); for a hash, the names
    in the data hashed too."""
    compared_with: tuple[str, ...] = ()
    """For a password literal in a comparison (B105): the names of the other operands, the last attribute
    for an attribute (``token`` in ``token == "keyword"``, ``password`` in ``self.password != "x"``)."""
    origin: str | None = None
    """For issues about data (SQL, a shell command, eval, deserialisation, ``Markup``): where that data comes from
    (:mod:`assess.patterns.security_flow`: ``request``, ``quoted-request``, ``network``, ``unknown``, ``quoted``,
    ``file``, ``cli``, ``operator``, ``schema``, ``constant``), or ``not-run`` for SQL text only compared."""
    origin_of: str | None = None
    """The expression that reached that origin (``request.args.get('sort')``, ``self.sql``)."""
    place: str | None = None
    """For SQL (B608): where the value that decided :attr:`origin` sits: ``value``, ``number`` or ``identifier``."""


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence bandit's logging (and with it its progress bar, shown only at INFO) for the run."""
    loggers = [logging.getLogger(name) for name in _QUIET_LOGGERS]
    saved = [(lg.level, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
        lg.disabled = True
    try:
        yield
    finally:
        for lg, (level, disabled) in zip(loggers, saved, strict=True):
            lg.setLevel(level)
            lg.disabled = disabled


class Bandit:
    """Bandit's checks, loaded once per process and run on a syntax tree parsed elsewhere.

    This is what ``BanditManager._parse_file`` does for one file (``# nosec`` comments, the AST
    visitor, then the whole-file tests), minus its own ``ast.parse``: the tree is the one every
    other analysis of the file shares. The comments are only tokenized when the file mentions
    ``nosec``, which is the only comment bandit acts on (its pattern is case-sensitive).
    """

    def __init__(self) -> None:
        with _quiet(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # stevedore's deprecation notices while bandit loads its plugins
            from bandit.core import config, constants, manager, node_visitor

            self._manager = manager.BanditManager(config.BanditConfig(), "file", quiet=True)
            self._parse_nosec = manager._parse_nosec_comment
            self._visitor = node_visitor.BanditNodeVisitor
            self._low = constants.LOW

    def issues(self, path: str, data: bytes, tree: ast.Module) -> list[Any]:
        """Bandit's issues (all severities and confidences) for the file at absolute ``path``."""
        mgr = self._manager
        nosec_lines: dict[int, set[str] | None] = {}
        with _quiet(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # stevedore, when a nosec comment names tests
            if b"nosec" in data:
                with contextlib.suppress(tokenize.TokenError, SyntaxError):
                    for tok in tokenize.tokenize(io.BytesIO(data).readline):
                        if tok.type == tokenize.COMMENT:
                            nosec_lines[tok.start[0]] = self._parse_nosec(tok.string)
            mgr.metrics.begin(path)
            visitor = self._visitor(path, io.BytesIO(data), mgr.b_ma, mgr.b_ts, False, nosec_lines, mgr.metrics)
            visitor.generic_visit(tree)
            visitor.context = {"file_data": io.BytesIO(data), "filename": path, "lineno": 0, "linerange": [0, 1],
                               "col_offset": 0}  # fmt: skip
            visitor.update_scores(visitor.tester.run_tests(visitor.context, "File"))
        return [issue for issue in visitor.tester.results if issue.filter(self._low, self._low)]


_BANDIT: Bandit | None = None


def bandit_sites(parsed: PythonFile, path: Path, data: bytes) -> list[BanditSite]:
    """Bandit's issues in one source file (``data`` at ``path``, parsed as ``parsed``) as sites.

    Run last on a tree: bandit's visitor marks every node with its parent and sibling. Raises
    what bandit raises; the caller records it as a warning for the file.
    """
    global _BANDIT
    if _BANDIT is None:
        _BANDIT = Bandit()
    if len(data) >= MAX_BANDIT_BYTES:
        return []
    return [_site(parsed.path, parsed, issue) for issue in _BANDIT.issues(str(path), data, parsed.tree)]


def _site(rel: str, parsed: PythonFile | None, issue: Any) -> BanditSite:
    line = int(issue.lineno)
    lines = [int(n) for n in (issue.linerange or [line])]
    end = max([line, *lines])
    test_id = str(issue.test_id)
    literal = None
    if test_id in PASSWORD_TESTS and (m := _PASSWORD_TEXT.match(str(issue.text))):
        literal = m.group(1)
    node = _node_at(parsed, line, int(issue.col_offset or 0)) if parsed else None
    flows = _flows_into(parsed, node) if parsed and node is not None and test_id in NAMED_TESTS else ()
    if parsed and isinstance(node, ast.Call) and test_id in HASH_TESTS:
        flows = (*flows, *_argument_names(node))
    compared: tuple[str, ...] = ()
    if parsed and test_id in PASSWORD_TESTS:
        flows, compared = _password_names(parsed, node, test_id, line, literal)
    cwe = getattr(getattr(issue, "cwe", None), "id", None)
    if parsed and node is None and test_id in TRACED_TESTS:
        node = _call_around(parsed, line, int(issue.col_offset or 0))
    origin, origin_of, place = _origin(parsed, node, test_id) if parsed and node is not None else (None, None, None)
    return BanditSite(
        path=rel, line=line, end_line=end, language="Python",
        snippet=parsed.snippet(node) if parsed and node is not None else _lines(parsed, line, end),
        function=parsed.qualname(node) if parsed and node is not None else None,
        test_id=test_id, test_name=str(issue.test), severity=str(issue.severity), confidence=str(issue.confidence),
        text=str(issue.text), cwe=cwe if isinstance(cwe, int) and cwe > 0 else None, literal=literal,
        flows_into=flows, compared_with=compared, origin=origin, origin_of=origin_of, place=place,
    )  # fmt: skip


def _origin(parsed: PythonFile, node: ast.AST, test_id: str) -> tuple[str | None, str | None, str | None]:
    """Where the data of a data issue comes from: (origin, what reached it, place in SQL); Nones for other issues."""
    if test_id == SQL_TEST:
        return sql_origin(parsed, node)
    if test_id not in TRACED_TESTS:
        return None, None, None
    call = node if isinstance(node, ast.Call) else next((a for a in parsed.ancestors(node) if isinstance(a, ast.Call)),
                                                        None)  # fmt: skip
    data = _data_argument(call) if call is not None else None
    if data is None:
        return None, None, None
    kind, what = summary(origins(parsed, data))
    return kind, what, None


def _call_around(parsed: PythonFile, line: int, col: int) -> ast.Call | None:
    """The call that starts at column ``col`` and spans ``line``: bandit gives a shell call's issue the line of its
    ``shell=True`` and the call's column."""
    around = [c for c in parsed.of_type(ast.Call) if c.col_offset == col and c.lineno <= line <= (c.end_lineno or 0)]
    return max(around, key=lambda c: c.lineno, default=None)


def _data_argument(call: ast.Call) -> ast.expr | None:
    """The argument a data issue is about: the first positional one, or the keyword that names the data."""
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg in DATA_KEYWORDS), None)


def _argument_names(call: ast.Call) -> tuple[str, ...]:
    """The names in the arguments of a call and of the calls it is chained on (``password`` in
    ``md5(password.encode()).hexdigest()``)."""
    found: list[str] = []
    node: ast.expr = call
    while isinstance(node, ast.Call):
        found += [n.id if isinstance(n, ast.Name) else n.attr for a in node.args for n in ast.walk(a)
                  if isinstance(n, ast.Name | ast.Attribute)]  # fmt: skip
        node = node.func.value if isinstance(node.func, ast.Attribute) else node.func
    return tuple(dict.fromkeys(found))


def _lines(parsed: PythonFile | None, line: int, end: int) -> str:
    return snippet(parsed.lines, line, end) if parsed is not None else ""


def _node_at(parsed: PythonFile, line: int, col: int) -> ast.AST | None:
    """The outermost expression (a call, preferably) that starts at ``line``:``col``: the first call there
    in ``ast.walk`` order, else the first node there."""
    return _starts(parsed).get((line, col))


@per_file
def _starts(parsed: PythonFile) -> dict[tuple[int, int], ast.AST]:
    """(line, column) -> what :func:`_node_at` answers there, for every position a node starts at.

    One walk per file, at its first issue: a walk per issue made a file of 4,000 ``assert`` lines
    (4,000 B101 issues) take 32 s.
    """
    first: dict[tuple[int, int], ast.AST] = {}
    calls: dict[tuple[int, int], ast.AST] = {}
    for node in parsed.nodes or ast.walk(parsed.tree):  # ast.walk order: the first found is the outermost
        line, col = getattr(node, "lineno", None), getattr(node, "col_offset", None)
        if line is None or col is None:
            continue
        first.setdefault((line, col), node)
        if isinstance(node, ast.Call):
            calls.setdefault((line, col), node)
    return first | calls


def _flows_into(parsed: PythonFile, node: ast.AST) -> tuple[str, ...]:
    """Names a value computed at ``node`` is given to, nearest first.

    Walks up through expressions to the first naming context: a keyword argument (but not
    ``key=``, which is a sort key function), a dict key, an assignment target, or a ``return``
    (then the function's name). A lambda passes its value on to where the lambda goes. A local
    variable that the function returns adds the function's name.
    """
    child: ast.AST = node
    for parent in parsed.ancestors(node):
        if isinstance(parent, ast.keyword):
            return (parent.arg,) if parent.arg and parent.arg != "key" else ()
        if isinstance(parent, ast.Dict):  # bandit points B105 in a dict at the key, B311 at the value
            key = (
                child
                if child in parent.keys
                else next((k for k, v in zip(parent.keys, parent.values, strict=True) if v is child), None)
            )
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                return (key.value,)
        if isinstance(parent, ast.Return | ast.Yield | ast.YieldFrom):
            fn = parsed.enclosing_function(parent)
            return (fn.name,) if fn is not None else ()
        if isinstance(parent, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
            names = _target_names(parent)
            fn = parsed.enclosing_function(parent)
            if fn is not None and _returned(parsed, fn, names):
                names = (*names, fn.name)
            return names
        if isinstance(parent, ast.stmt):
            return ()
        child = parent
    return ()


def _password_names(
    parsed: PythonFile, node: ast.AST | None, test_id: str, line: int, literal: str | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Where a hard-coded password literal goes: (the names it flows into, the names it is compared with).

    Bandit points B106 at the call (the line of the literal but the column of the call, so on a call
    over several lines the node there is not the call) and B107 at the function: their names are the
    keywords and parameters given the literal. B105 points at the literal (at the key, in a dict).
    """
    if literal is None:
        return (), ()
    if test_id == "B106":
        return _keywords_given(parsed, line, literal), ()
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        return _defaults_given(node.args, literal), ()
    if node is None:
        return (), ()
    return _flows_into(parsed, node), _compared_with(parsed, node)


def _keywords_given(parsed: PythonFile, line: int, literal: str) -> tuple[str, ...]:
    """The keyword arguments given the string ``literal`` written on ``line``."""
    return _string_keywords(parsed).get((line, literal), ())


@per_file
def _string_keywords(parsed: PythonFile) -> dict[tuple[int, str], tuple[str, ...]]:
    """(line, string) -> the keyword arguments given that string literal on that line, in ``ast.walk``
    order without repeats; made once per file rather than a look at every keyword per issue."""
    found: dict[tuple[int, str], dict[str, None]] = {}
    for kw in parsed.of_type(ast.keyword):
        if kw.arg and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
            found.setdefault((kw.value.lineno, kw.value.value), {})[kw.arg] = None
    return {key: tuple(args) for key, args in found.items()}


def _defaults_given(args: ast.arguments, literal: str) -> tuple[str, ...]:
    """The parameters whose default is the string ``literal``."""
    positional = [*args.posonlyargs, *args.args]
    pairs = [*zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True),
             *zip(args.kwonlyargs, args.kw_defaults, strict=True)]  # fmt: skip
    return tuple(arg.arg for arg, default in pairs if isinstance(default, ast.Constant) and default.value == literal)


def _compared_with(parsed: PythonFile, node: ast.AST) -> tuple[str, ...]:
    """When ``node`` is an operand of a comparison: the names of the others (an attribute's last part)."""
    compare = parsed.parents.get(node)
    if not isinstance(compare, ast.Compare):
        return ()
    names: list[str] = []
    for operand in (compare.left, *compare.comparators):
        if operand is not node and isinstance(operand, ast.Name | ast.Attribute):
            names.append(operand.id if isinstance(operand, ast.Name) else operand.attr)
    return tuple(dict.fromkeys(names))


def _target_names(stmt: ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr) -> tuple[str, ...]:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    names: list[str] = []
    for target in targets:
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                names.append(node.id)
            elif isinstance(node, ast.Attribute):
                names.append(node.attr)
            elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                names.extend([node.slice.value] if isinstance(node.slice.value, str) else [])
    return tuple(dict.fromkeys(names))


def _returned(parsed: PythonFile, fn: ast.FunctionDef | ast.AsyncFunctionDef, names: tuple[str, ...]) -> bool:
    """Whether a ``return`` of ``fn`` uses one of the local ``names`` (from the file's indexes: no walk of
    ``fn`` per issue)."""
    returns = [n.value for n in parsed.within(fn, ast.Return) if n.value is not None]
    return any(isinstance(n, ast.Name) and n.id in names for value in returns for n in parsed.walk(value))
