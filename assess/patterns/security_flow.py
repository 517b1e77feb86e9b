"""Where a value in Python code comes from, as far as the file shows: the request, a file, the command line,
the database's own schema, a constant, or somewhere the code does not show.

A value is followed back through the expressions that build it and the assignments, loops, ``with`` blocks and
``append`` calls that give its names their values in the functions around it (a few steps, not across files:
:mod:`assess.patterns.security_bindings`). A parameter of a route handler is request input, one of a click or typer
command is command-line input. A value passed through a quoting or escaping call (``escape``, ``quote_identifier``,
``shlex.quote``) is marked quoted; ``int()`` and ``len()`` make it safe, and so does checking it against allowed
values first.

The result is a set of :data:`Source` pairs (kind, the expression that reached it), summed up by :func:`summary`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from assess.patterns.pyast import PythonFile
from assess.patterns.security_bindings import REQUEST_NAMES, SAFE_CALLS, callee_text, checked, lookup

Source = tuple[str, str]
"""(kind, what reached it): kinds are ``request``, ``quoted-request``, ``quoted``, ``network``, ``unknown``, ``file``,
``cli``, ``operator``, ``schema`` and ``constant``."""
RANK = ("request", "quoted-request", "network", "unknown", "quoted", "file", "cli", "operator", "schema", "constant")
"""Kinds from the most to the least telling: a summary names the first one found."""

REQUEST_PARTS = frozenset({
    "args", "GET", "POST", "form", "json", "get_json", "query_params", "query", "params", "path_params",
    "url_vars", "match_info", "data", "body", "files", "values", "cookies", "headers", "query_string", "path",
    "url", "rel_url", "post_vars", "post_body", "content", "stream", "text",
})  # fmt: skip
"""Parts of a request object that hold what the client sent."""
_QUOTING = re.compile(r"(^|_)(escape|quote|quoted|identifier|sanitize|sanitise|clean|escape_\w+|\w+_escape)"
                      r"($|_)|^(Identifier|Literal|escape\w*|quote\w*)$", re.IGNORECASE)  # fmt: skip
PASS_THROUGH = frozenset({
    "get", "getlist", "getall", "getone", "pop", "split", "rsplit", "strip", "lstrip", "rstrip", "lower", "upper",
    "title", "replace", "format", "join", "decode", "encode", "items", "keys", "values", "copy", "removeprefix",
    "removesuffix", "partition", "splitlines", "loads", "load", "unquote", "unquote_plus", "b64decode",
    "urlsafe_b64decode",
    "str", "repr", "list", "tuple", "dict", "set", "sorted", "reversed", "json", "form", "text", "read", "readline",
    "readlines", "getvalue", "setdefault", "casefold", "zfill", "ljust", "rjust", "center", "expandtabs",
    "enumerate", "zip", "map", "filter", "iter", "next", "chain", "first", "fetchall", "fetchone", "fetchmany",
    "all", "scalars", "scalar", "one", "mappings", "compile",
})  # fmt: skip
"""Calls whose result carries their receiver's or arguments' text."""
FIRST_ARGUMENT = frozenset({"compile", "loads", "load", "b64decode", "urlsafe_b64decode", "unquote", "unquote_plus"})
"""Of those, the ones whose result carries only their first argument (``compile(text, filename, "exec")``)."""
_SCHEMA = re.compile(r"sqlite_master|sqlite_schema|pragma|information_schema|table_names|table_columns|column_names|"
                     r"columns_for|foreign_key|get_columns|get_table|primary_keys|(cursor|cur|result|res)\.description|table_info|"
                     r"pg_catalog|index_list|get_indexes|view_names", re.IGNORECASE)  # fmt: skip
"""What reads the database's own schema: table and column names the operator created, not user input."""
NETWORK_READS = frozenset({
    "recv", "recvfrom", "recv_into", "recv_bytes", "brpop", "blpop", "lpop", "rpop", "hget", "hgetall", "hmget", "mget",
    "lrange", "zrange", "xread", "xreadgroup", "brpoplpush", "blmove", "lmove", "getdel", "get_message", "basic_get",
    "receive_messages", "receive", "poll", "consume", "get_nowait",
})  # fmt: skip
"""Calls that read what another process wrote: a socket, Redis, a broker's queue."""
_NETWORK_OBJECT = re.compile(r"redis|socket|sock\b|conn\b|connection|pipeline|pipe\b|channel|consumer|queue|broker|"
                             r"client", re.IGNORECASE)  # fmt: skip
SQL_RUNS = frozenset({"execute", "executemany", "fetch", "fetchrow", "fetchval", "fetchall", "fetchone", "query",
                      "raw"})  # fmt: skip
FILE_CALLS = frozenset({"open", "read_text", "read_bytes", "readFile", "io.open", "codecs.open", "pathlib.Path.open"})
OPERATOR_CALLS = frozenset({"os.getenv", "os.environ.get", "subprocess.check_output", "subprocess.getoutput",
                            "getpass.getuser", "socket.gethostname", "platform.node"})  # fmt: skip
CLI_CALLS = frozenset({"input", "click.prompt", "typer.prompt", "click.edit", "getpass.getpass", "sys.stdin.readline",
                       "sys.stdin.read"})  # fmt: skip
"""What the person at the terminal types."""
MAX_DEPTH = 8


def summary(sources: Iterable[Source]) -> Source:
    """The most telling source (:data:`RANK`): ``("constant", "")`` when there is none."""
    ranked = sorted(set(sources), key=lambda s: (RANK.index(s[0]) if s[0] in RANK else len(RANK), s[1]))
    return ranked[0] if ranked else ("constant", "")


def origins(f: PythonFile, node: ast.AST) -> frozenset[Source]:
    """Where the value of expression ``node`` comes from (every source found, see :data:`Source`)."""
    return frozenset(_Tracer(f).trace(node, 0))


@dataclass
class _Tracer:
    """Follows values back through one file; ``seen`` holds the uses of names already followed (a loop gives a name
    a value made from itself)."""

    f: PythonFile
    seen: set[tuple[int, str, int]] = field(default_factory=set)

    def trace(self, node: ast.AST, depth: int) -> set[Source]:
        """The sources of ``node``'s value, ``depth`` steps from where the tracing began."""
        if depth > MAX_DEPTH:
            return {("unknown", _text(self.f, node))}
        if isinstance(node, ast.Constant):
            return {("constant", "")}
        if isinstance(node, ast.Name):
            return self._name(node, depth)
        if isinstance(node, ast.Attribute | ast.Subscript):
            return self._member(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        if isinstance(node, ast.IfExp):
            return self._all([node.body, node.orelse], depth)
        if isinstance(node, ast.Lambda | ast.Compare):
            return {("constant", "")}  # a function or a truth value carries no text
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            return self._all([*_comprehension_values(node), *(g.iter for g in node.generators)], depth)
        return self._all(list(ast.iter_child_nodes(node)), depth)

    def _all(self, nodes: Sequence[ast.AST], depth: int) -> set[Source]:
        out: set[Source] = set()
        for n in nodes:
            if isinstance(n, ast.expr):
                out |= self.trace(n, depth)
        return out or {("constant", "")}

    def _member(self, node: ast.Attribute | ast.Subscript, depth: int) -> set[Source]:
        dotted = self.f.dotted(node) if isinstance(node, ast.Attribute) else ""
        if _request_part(self.f, node):
            return {("request", _text(self.f, node))}
        if dotted in {"sys.argv"}:
            return {("cli", dotted)}
        if dotted.startswith("os.environ"):
            return {("operator", dotted)}
        if isinstance(node, ast.Attribute) and (_SCHEMA.search(node.attr) or _SCHEMA.search(dotted)):
            return {("schema", _text(self.f, node))}
        base = node.value
        if isinstance(base, ast.Name) and base.id in {"self", "cls"}:
            return {("unknown", _text(self.f, node))}
        return self.trace(base, depth)

    def _call(self, call: ast.Call, depth: int) -> set[Source]:
        name = self.f.call_name(call)
        last = name.rsplit(".", 1)[-1] if name else callee_text(call)
        if _request_part(self.f, call.func):
            return {("request", _text(self.f, call))}
        if last in SAFE_CALLS:
            return {("constant", "")}
        if _QUOTING.search(last) or _doubles_quotes(call):
            inner = [call.func.value] if last == "replace" and isinstance(call.func, ast.Attribute) else call.args
            return {_quoted(s) for s in self._all(list(inner), depth + 1)}
        if name in OPERATOR_CALLS or name.startswith("os.environ"):
            return {("operator", name)}
        if name in CLI_CALLS:
            return {("cli", name)}
        if name in FILE_CALLS or last in {"read_text", "read_bytes"}:
            return {("file", _text(self.f, call))}
        if _SCHEMA.search(last) or (last in SQL_RUNS and any(_SCHEMA.search(_text(self.f, a)) for a in call.args[:1])):
            return {("schema", _text(self.f, call))}
        if last in NETWORK_READS or (last in {"get", "read", "readline"} and _network_receiver(self.f, call)):
            return {("network", _text(self.f, call))}
        if last in PASS_THROUGH:
            receiver = [call.func.value] if isinstance(call.func, ast.Attribute) else []
            if last in FIRST_ARGUMENT:
                return self._all([*receiver, *call.args[:1]], depth + 1)
            return self._all([*receiver, *call.args, *(k.value for k in call.keywords)], depth + 1)
        return {("unknown", _text(self.f, call))}

    def _name(self, node: ast.Name, depth: int) -> set[Source]:
        key = (id(self.f.scope_of(node)), node.id, node.lineno)
        if key in self.seen:
            return set()
        self.seen.add(key)
        if node.id in self.f.aliases or checked(self.f, node):
            return {("constant", "")}  # an imported module, class or function; a value checked against a set
        found = lookup(self.f, node)
        if isinstance(found, str):
            return {(found, node.id)}
        return self._all(found, depth + 1) if found else {("unknown", node.id)}


def _quoted(source: Source) -> Source:
    kind, what = source
    if kind == "request":
        return ("quoted-request", what)
    return ("quoted", what) if kind in {"unknown", "network"} else source


def _doubles_quotes(call: ast.Call) -> bool:
    """``text.replace("'", "''")``: the SQL way of quoting a string literal (or an identifier, with ``"`` or ``]``)."""
    args = call.args
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "replace" and len(args) == 2):
        return False
    old, new = (a.value if isinstance(a, ast.Constant) else None for a in args)
    return isinstance(old, str) and old in {"'", '"', "]", "`"} and new == old * 2


def _text(f: PythonFile, node: ast.AST) -> str:
    text = f.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def _request_part(f: PythonFile, node: ast.AST) -> bool:
    """``request.args``, ``req.query[...]``, ``self.request.json``, ``request.get_json()`` and what lies under them."""
    while isinstance(node, ast.Subscript | ast.Call | ast.Attribute):
        if isinstance(node, ast.Attribute) and node.attr in REQUEST_PARTS and _is_request(f, node.value):
            return True
        node = node.value if isinstance(node, ast.Attribute | ast.Subscript) else node.func
    return False


def _is_request(f: PythonFile, node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute) and node.attr == "request":
        return True
    return isinstance(node, ast.Name) and (node.id in REQUEST_NAMES or f.aliases.get(node.id, "") in REQUEST_NAMES)


def _network_receiver(f: PythonFile, call: ast.Call) -> bool:
    func = call.func
    return isinstance(func, ast.Attribute) and bool(_NETWORK_OBJECT.search(_text(f, func.value)))


def _comprehension_values(node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> list[ast.expr]:
    return [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
