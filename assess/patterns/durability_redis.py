"""Redis transactions in Python, and writes that bypass the transaction a function is given.

- A pipeline (``with r.pipeline() as pipe:`` or ``pipe = r.pipeline()``, redis-py's default ``transaction=True``)
  that is executed and holds two or more writes (its own commands, or helpers it is handed to) is a MULTI/EXEC
  transaction: a site at the statement that opens it.
- A function that takes a transaction handle (``pipeline``, ``pipe``, ``trx``, ``tx``, ``transaction``), never uses
  it, and writes through another connection (``self.connection.zadd(...)``, ``conn.execute("UPDATE ...")``)
  commits that write at once, outside the caller's transaction: a multi-step write site.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.durability_sites import MultiWriteSite, TransactionSite
from assess.patterns.durability_tx import EXECUTE, dml_text
from assess.patterns.pyast import PythonFile, keyword

REDIS_WRITES = frozenset({
    "set", "setex", "setnx", "psetex", "mset", "msetnx", "getset", "getdel", "incr", "incrby", "incrbyfloat", "decr",
    "decrby", "delete", "unlink", "expire", "expireat", "pexpire", "pexpireat", "persist", "rename", "renamenx",
    "hset", "hsetnx", "hmset", "hdel", "hincrby", "hincrbyfloat", "lpush", "rpush", "lpushx", "rpushx", "lrem",
    "lset", "ltrim", "linsert", "lmove", "rpoplpush", "sadd", "srem", "smove", "zadd", "zrem", "zincrby",
    "zremrangebyscore", "zremrangebyrank", "zremrangebylex", "xadd", "xdel", "xtrim", "xack", "pfadd", "setbit",
    "setrange", "geoadd",
})  # fmt: skip
REDIS_RECEIVER = re.compile(r"^_*(redis|connection|conn|client|pipe|pipeline|r|redis_conn|redis_client|db)$")
HANDLE_PARAM = re.compile(r"^(pipeline|pipe|trx|tx|txn|transaction)$")


def _receiver(call: ast.Call) -> str:
    func = call.func
    return ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""


def write_of(f: PythonFile, call: ast.Call, redis: bool) -> str | None:
    """A description of the write ``call`` makes (a Redis command or a SQL statement), or None."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    receiver = _receiver(call)
    if redis and func.attr in REDIS_WRITES and REDIS_RECEIVER.match(receiver.rsplit(".", 1)[-1]):
        return f"{receiver}.{func.attr}()"
    if func.attr in EXECUTE and call.args and isinstance(call.args[0], ast.Constant):
        text = dml_text(str(call.args[0].value))
        return f"{text} ({receiver}.{func.attr})" if text else None
    return None


def _pipelines(f: PythonFile, func: ast.AST) -> Iterator[tuple[ast.stmt, str]]:
    """(statement, name) of each transactional pipeline the function opens."""
    for node in f.own_nodes(func):
        if isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if _is_pipeline(item.context_expr) and isinstance(item.optional_vars, ast.Name):
                    yield node, item.optional_vars.id
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and _is_pipeline(node.value):  # fmt: skip
            yield node, node.targets[0].id


def _is_pipeline(node: ast.expr) -> bool:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "pipeline"):
        return False
    transaction = keyword(node, "transaction")
    return not (isinstance(transaction, ast.Constant) and transaction.value is False)


def _uses(call: ast.Call, name: str) -> bool:
    """Whether ``call`` is on ``name`` or is handed it."""
    args = [*call.args, *(k.value for k in call.keywords)]
    return _receiver(call) == name or any(isinstance(a, ast.Name) and a.id == name for a in args)


def _pipeline_sites(f: PythonFile, func: ast.AST) -> Iterator[Site]:
    calls = f.own_calls(func)
    for stmt, name in _pipelines(f, func):
        if not any(isinstance(c.func, ast.Attribute) and c.func.attr == "execute" and _receiver(c) == name
                   for c in calls):  # fmt: skip
            continue
        steps = [c for c in calls if _uses(c, name) and getattr(c.func, "attr", "") not in {"execute", "watch",
                                                                                            "multi", "reset"}]
        writes = [c for c in steps if write_of(f, c, True) or _receiver(c) != name]
        if len(writes) >= 2:
            line = f.span(stmt)[0]
            yield TransactionSite(
                path=f.path, line=line, end_line=line, language="Python", snippet=f.snippet(stmt).split("\n")[0],
                function=f.qualname(stmt), role="open", how="Redis pipeline, MULTI/EXEC", writes=len(writes),
                open_line=line,
            )  # fmt: skip


def _bypassed(f: PythonFile, func: ast.FunctionDef | ast.AsyncFunctionDef, redis: bool) -> Iterator[Site]:
    """The first write of a function that is given a transaction handle, never uses it, and writes elsewhere."""
    params = [a.arg for a in (*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs)]
    handle = next((p for p in params if HANDLE_PARAM.match(p)), None)
    if handle is None or any(n.id == handle for n in f.within(func, ast.Name)):
        return
    calls = sorted(f.own_calls(func), key=lambda c: (c.lineno, c.col_offset))
    write = next(((c, w) for c in calls if (w := write_of(f, c, redis))), None)
    if write is None:
        return
    call, what = write
    line, end = f.span(call)
    yield MultiWriteSite(
        path=f.path, line=line, end_line=end, language="Python", snippet=f.snippet(call), function=f.qualname(call),
        first_line=func.lineno, write=what, reason=f"goes straight to {_receiver(call)}", writes=1,
        bypassed=handle,
    )  # fmt: skip


@register_extractor("python")
def redis_transactions(f: PythonFile) -> Iterator[Site]:
    redis = any(m.split(".")[0] in {"redis", "aioredis", "valkey", "fakeredis"} for m in f.imports) or any(
        "pipeline" in a.arg for a in f.of_type(ast.arg)
    )
    if not redis and not any(HANDLE_PARAM.match(a.arg) for a in f.of_type(ast.arg)):
        return
    for func in f.of_type(ast.FunctionDef, ast.AsyncFunctionDef):
        if redis:
            yield from _pipeline_sites(f, func)
        yield from _bypassed(f, func, redis)
