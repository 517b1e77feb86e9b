"""Data durability in Python files: file writes with or without write-temp-then-rename, and
read-modify-write of a file with or without a lock. Site types live in :mod:`assess.patterns.durability`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.durability_sites import FileWriteSite, ReadModifyWriteSite
from assess.patterns.pyast import PythonFile, keyword, per_node

SERIALIZER = re.compile(
    r"^(json|simplejson|orjson|ujson|yaml|ruamel\.yaml|pickle|marshal|toml|tomli_w|tomlkit|msgpack|csv)\.|"
    r"\.(to_json|to_csv|to_parquet|model_dump_json|dumps?|SerializeToString)$"
)
DATA_NAME = re.compile(
    r"json|yaml|yml|toml|\.ini|cfg|conf|setting|state|\.db|sqlite|csv|pickle|pkl|export|snapshot|checkpoint|manifest|"
    r"store|(?-i:(?<![A-Za-z])(database|[dD]ata)(?![a-z]))",
    re.I,
)
"""A target named like a data file. ``data``/``database`` only as a word (``data_dir``, ``dataDir``), not inside
another (``Database.uploadDir``, ``metadata``, ``update``)."""


def _mode(call: ast.Call, position: int) -> str | None:
    node = call.args[position] if len(call.args) > position else keyword(call, "mode")
    if node is None:
        return ""
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _write_target(f: PythonFile, call: ast.Call) -> tuple[str, str] | None:
    """(how, target) when ``call`` truncates and rewrites a file."""
    name = f.call_name(call)
    if name in {"open", "io.open", "codecs.open", "aiofiles.open"} and call.args:
        mode = _mode(call, 1)
        return ("open", ast.unparse(call.args[0])) if mode and mode.startswith("w") else None
    if isinstance(call.func, ast.Attribute):
        method, receiver = call.func.attr, call.func.value
        if method in {"write_text", "write_bytes"}:
            return method, ast.unparse(receiver)
        if method == "open" and not f.dotted(receiver).startswith(("os", "io", "codecs", "gzip", "shelve")):
            mode = _mode(call, 0)
            return ("Path.open", ast.unparse(receiver)) if mode and mode.startswith("w") else None
    return None


def _read_target(f: PythonFile, call: ast.Call) -> str | None:
    name = f.call_name(call)
    if name in {"open", "io.open", "codecs.open", "aiofiles.open"} and call.args:
        mode = _mode(call, 1)
        return ast.unparse(call.args[0]) if mode is not None and mode in {"", "r", "rb", "rt"} else None
    if isinstance(call.func, ast.Attribute) and call.func.attr in {"read_text", "read_bytes"}:
        return ast.unparse(call.func.value)
    return None


def _rename_target(f: PythonFile, call: ast.Call) -> str | None:
    """The destination of ``os.replace(src, dst)`` / ``tmp.replace(dst)`` / ``shutil.move``, or None."""
    name = f.call_name(call)
    if name in {"os.replace", "os.rename", "shutil.move"} and len(call.args) == 2:
        return ast.unparse(call.args[1])
    func = call.func
    renames = isinstance(func, ast.Attribute) and func.attr in {"replace", "rename"} and not call.keywords
    if renames and len(call.args) == 1 and not isinstance(getattr(func, "value", None), ast.Constant):
        return ast.unparse(call.args[0])  # Path.replace(target); str.replace takes two arguments
    return None


@per_node
def _locked(f: PythonFile, scope: ast.AST) -> bool:
    for node in f.own_nodes(scope):
        if isinstance(node, ast.With | ast.AsyncWith):
            if any(re.search(r"lock|mutex", ast.unparse(i.context_expr), re.I) for i in node.items):
                return True
        elif isinstance(node, ast.Call):
            name = f.call_name(node) or ""
            if name in {"fcntl.flock", "fcntl.lockf", "portalocker.lock", "msvcrt.locking"} or name.endswith("acquire"):
                return True
    decorators = getattr(scope, "decorator_list", [])
    return any(re.search(r"lock|synchronized", ast.unparse(d), re.I) for d in decorators)


def _file_scopes(f: PythonFile) -> Iterator[ast.AST]:
    yield f.tree
    yield from f.of_type(ast.FunctionDef, ast.AsyncFunctionDef)


def _write_content(f: PythonFile, call: ast.Call, scope: ast.AST) -> Iterator[ast.Call]:
    """Calls that produce what ``call`` writes: its arguments, and the body of ``with open(...)``."""
    yield from (n for n in f.within(call, ast.Call) if n is not call)
    item = f.parents.get(call)
    if isinstance(item, ast.withitem) and isinstance(block := f.parents.get(item), ast.With | ast.AsyncWith):
        yield from (n for stmt in block.body for n in f.within(stmt, ast.Call))
    elif not isinstance(item, ast.withitem):  # ``fh = open(...)``: whatever the function writes
        yield from f.own_calls(scope)


def _file_writes(f: PythonFile) -> Iterator[Site]:
    uses_atomic_lib = any(m.split(".")[0] in {"atomicwrites", "atomic_write"} for m in f.imports)
    for scope in _file_scopes(f):
        own = f.own_calls(scope)
        if not any(_write_target(f, c) is not None or _rename_target(f, c) is not None for c in own):
            continue  # nothing is written: no file write and no read-modify-write
        calls = sorted(own, key=lambda c: (c.lineno, c.col_offset))
        renamed = [t for c in calls if (t := _rename_target(f, c)) is not None]
        uses_temp = any((f.call_name(c) or "").startswith("tempfile.") for c in calls)
        reads: dict[str, ast.Call] = {}
        for call in calls:
            if (target := _read_target(f, call)) is not None:
                reads.setdefault(target, call)
            found = _write_target(f, call)
            if found is None:
                continue
            how, target = found
            lower = target.lower()
            line, end = f.span(call)
            serialised = any(SERIALIZER.search(f.call_name(c) or "") for c in _write_content(f, call, scope))
            yield FileWriteSite(
                path=f.path, line=line, end_line=end, language="Python", snippet=f.snippet(call),
                function=f.qualname(call), how=how, target=target, atomic=bool(renamed) or uses_atomic_lib,
                temporary=uses_temp or "tmp" in lower or "temp" in lower,
                log_like=bool(re.search(r"log|trace|devnull|/dev/|stdout|stderr", lower)),
                data_like=serialised or bool(DATA_NAME.search(target)),
            )  # fmt: skip
        yield from _read_modify_write(f, scope, calls, reads)


def _read_modify_write(
    f: PythonFile, scope: ast.AST, calls: list[ast.Call], reads: dict[str, ast.Call]
) -> Iterator[ReadModifyWriteSite]:
    written = [(w[1], c) for c in calls if (w := _write_target(f, c)) is not None]
    written += [(r, c) for c in calls if (r := _rename_target(f, c)) is not None]
    for target, read in reads.items():
        write = next((c for t, c in written if t == target and c.lineno >= read.lineno), None)
        if write is None:
            continue
        line, end = f.span(read)
        yield ReadModifyWriteSite(
            path=f.path, line=line, end_line=end, language="Python", snippet=f.snippet(read),
            function=f.qualname(read), target=target, write_line=write.lineno, locked=_locked(f, scope),
        )  # fmt: skip


@register_extractor("python")
def file_writes(f: PythonFile) -> Iterator[Site]:
    yield from _file_writes(f)
