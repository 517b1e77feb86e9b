"""Hand-written retries in Python: retry loops and backoff functions (site types in :mod:`assess.patterns.reliability`).

A retry loop's body tries a call, leaves the loop on success (``return``/``break``) and lets a handler fall
through to the next iteration. ``for`` loops count over ``range``/``count`` or attempt-like names (a loop
over hosts is failover). A loop over ``range`` is bounded; ``while True`` is bounded only by an ``if`` that
tests a counter, an attempt/deadline name or the clock and then leaves, on every path that retries.

Loops that go round again for another reason are not retries:

- an optimistic transaction (Redis ``WATCH``/``MULTI``/``EXEC``, a stale ORM version) that runs again when
  another writer got there first: nothing failed, and running again at once is the point;
- a loop that waits for a child process or thread (``waitpid``, ``join``, ``wait_for_child``) and wakes on a
  timer to send heartbeats: it supervises, it does not retry;
- a loop that tries candidates one after another, taking one off the list each time (failover, or finding
  the longest importable prefix of a dotted name).

A backoff function is a function of the attempt number that computes an exponential delay
(``base * 2 ** attempt``).
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterator, Sequence

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.pyast import PythonFile
from assess.patterns.reliability import (
    ATTEMPT_NAME,
    BOUND_NAME,
    CLOCK,
    LOOPS,
    RANDOM,
    Backoff,
    BackoffSite,
    RetrySite,
    names_read,
    shallow,
    site_kw,
)

Loop = ast.For | ast.AsyncFor | ast.While
NOT_FAILURES = {"KeyboardInterrupt", "SystemExit", "GeneratorExit", "StopIteration", "StopAsyncIteration"}
CONFLICT = re.compile(r"^(WatchError|StaleDataError|SerializationFailure|\w*(Conflict|OptimisticLock|"
                      r"ConcurrentModification)\w*)$")  # fmt: skip
"""Exceptions that say another writer got there first: an optimistic transaction runs again, it is not retried."""
CHILD_WAIT = re.compile(r"^(wait|waitpid|wait3|wait4|join)$|^wait_for_")
SHRINK = {"pop", "popleft", "popitem", "remove"}


def _falls_through(handler: ast.ExceptHandler) -> bool:
    return not isinstance(handler.body[-1], ast.Raise | ast.Return | ast.Break)


def _caught(handler: ast.ExceptHandler) -> set[str]:
    caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type] if handler.type else []
    return {n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else "" for n in caught}


def _not_a_failure(handler: ast.ExceptHandler) -> bool:
    """A handler for Ctrl-C and the like, or for an optimistic transaction's conflict: going round again
    after it is not retrying a failure."""
    names = _caught(handler)
    return bool(names) and all(n in NOT_FAILURES or CONFLICT.match(n) for n in names)


def retrying_handlers(node: ast.Try) -> list[ast.ExceptHandler]:
    """The handlers of ``node`` after which the loop around it goes round again to retry."""
    return [h for h in node.handlers if _falls_through(h) and not _not_a_failure(h)]


def _retry_try(f: PythonFile, loop: Loop) -> ast.Try | None:
    """The ``try`` that makes ``loop`` a retry: a call, leave on success, a handler that goes round again."""
    for node in shallow(loop.body):
        if not isinstance(node, ast.Try) or not node.handlers:
            continue
        success = [n for n in shallow([*node.body, *node.orelse]) if isinstance(n, ast.Return | ast.Break)]
        calls = [n for n in shallow(node.body) if isinstance(n, ast.Call)]
        if success and calls and retrying_handlers(node) and not _waits_for_child(f, calls):
            return node
    return None


def _waits_for_child(f: PythonFile, calls: list[ast.Call]) -> bool:
    """The ``try`` waits for a child process or thread (``os.waitpid``, ``proc.join``): a supervision loop."""
    return any(CHILD_WAIT.search(f.call_name(c).rsplit(".", 1)[-1]) for c in calls)


def _takes_candidates(loop: Loop, node: ast.Try) -> bool:
    """``while names: try: use(names) ... except: names.pop()``: each round tries the next candidate."""
    if not isinstance(loop, ast.While):
        return False
    tested = names_read(loop.test)
    shrunk = {ast.unparse(c.func.value) for h in retrying_handlers(node) for c in shallow(h.body)
              if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr in SHRINK}  # fmt: skip
    shrunk |= {ast.unparse(t.value) for h in retrying_handlers(node) for d in shallow(h.body)
               if isinstance(d, ast.Delete) for t in d.targets if isinstance(t, ast.Subscript)}  # fmt: skip
    return bool(tested & shrunk)


def _assigned(loop: ast.AST) -> dict[str, list[ast.Assign | ast.AugAssign | ast.AnnAssign]]:
    out: dict[str, list[ast.Assign | ast.AugAssign | ast.AnnAssign]] = {}
    for node in shallow([loop], into_loops=True):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                out.setdefault(ast.unparse(t), []).append(node)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign) and node.value is not None:
            out.setdefault(ast.unparse(node.target), []).append(node)
    return out


def _loop_bounded(f: PythonFile, loop: Loop, node: ast.Try) -> bool | None:
    """Whether every way round the loop after a failure meets a limit (``None``: a condition that may be one)."""
    if isinstance(loop, ast.For | ast.AsyncFor):
        name = f.dotted(loop.iter.func) if isinstance(loop.iter, ast.Call) else ""
        return name not in {"itertools.count", "itertools.cycle", "itertools.repeat"}
    varying = {k for k, v in _assigned(loop).items() if any(isinstance(a, ast.AugAssign) for a in v)}

    def bounds(test: ast.AST) -> bool:
        names = names_read(test)
        clock = any(CLOCK.search(f.call_name(c)) for c, _ in f.calls(test))
        return bool(names & varying) or clock or any(BOUND_NAME.search(n) for n in names)

    if not (isinstance(loop.test, ast.Constant) and loop.test.value):
        return True if bounds(loop.test) else None
    limits = [n for n in shallow(loop.body) if isinstance(n, ast.If) and bounds(n.test)
              and any(isinstance(x, ast.Raise | ast.Return | ast.Break) for x in shallow(n.body))]  # fmt: skip
    handlers = {h: set(shallow(h.body)) for h in node.handlers}
    outside = [n for n in limits if not any(n in inside for inside in handlers.values())]
    return bool(outside) or all(any(n in handlers[h] for n in limits) for h in retrying_handlers(node))


def _sleep(f: PythonFile, loop: ast.AST) -> ast.Call | None:
    calls = [n for n in shallow(getattr(loop, "body", [])) if isinstance(n, ast.Call)]
    sleeps = [c for c in calls if "sleep" in f.call_name(c).rsplit(".", 1)[-1].lower()]
    return min(sleeps, key=lambda c: (c.lineno, c.col_offset), default=None)


def exponential(f: PythonFile, node: ast.AST) -> bool:
    """``node`` holds ``a ** b``, ``a << b`` or a call of ``pow``/``math.exp``."""
    return any((isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow | ast.LShift))
               or (isinstance(n, ast.Call) and f.call_name(n) in {"pow", "math.pow", "math.exp"})
               for n in ast.walk(node))  # fmt: skip


def _grows(f: PythonFile, exprs: list[ast.AST], assigns: Sequence[ast.AST], varying: set[str]) -> Backoff:
    if any(exponential(f, e) for e in exprs):
        return "exponential"
    for a in assigns:
        target = ast.unparse(a.targets[0] if isinstance(a, ast.Assign) else getattr(a, "target", a))
        if isinstance(a, ast.AugAssign) and isinstance(a.op, ast.Mult):
            return "exponential"
        value = getattr(a, "value", None)
        if value is not None and any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult) and target in names_read(n)
                                     for n in ast.walk(value)):  # fmt: skip
            return "exponential"
        if isinstance(a, ast.AugAssign) and isinstance(a.op, ast.Add):
            return "linear"
    used = set().union(*(names_read(e) for e in exprs))
    if any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult) and names_read(n) & varying
           for e in exprs for n in ast.walk(e)):  # fmt: skip
        return "linear"
    return "unknown" if used & varying else "fixed"


def _constant_list_backoff(loop: ast.AST, arg: ast.AST) -> Backoff | None:
    if not (isinstance(loop, ast.For) and isinstance(loop.target, ast.Name) and isinstance(arg, ast.Name)):
        return None
    if arg.id != loop.target.id or not isinstance(loop.iter, ast.List | ast.Tuple):
        return None
    values = [e.value for e in loop.iter.elts if isinstance(e, ast.Constant) and isinstance(e.value, int | float)]
    if len(values) != len(loop.iter.elts) or len(values) < 2:
        return None
    if all(b >= 1.5 * a > 0 for a, b in itertools.pairwise(values)):
        return "exponential"
    return "fixed" if len(set(values)) == 1 else "linear"


def _seconds(arg: ast.AST) -> float | None:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, int | float) and not isinstance(arg.value, bool):
        return float(arg.value)
    return None


class Delay:
    """How a retry loop waits: the backoff, jitter, the node where the wait is computed, the fixed seconds."""

    def __init__(self, backoff: Backoff, jitter: bool | None, where: ast.AST | None = None,
                 seconds: float | None = None, capped: bool = False) -> None:  # fmt: skip
        self.backoff, self.jitter, self.where, self.seconds, self.capped = backoff, jitter, where, seconds, capped


def _loop_delay(f: PythonFile, loop: Loop) -> Delay:
    sleep = _sleep(f, loop)
    if sleep is None:
        return Delay("none", False)
    arg = sleep.args[0] if sleep.args else (sleep.keywords[0].value if sleep.keywords else None)
    if arg is None or (isinstance(arg, ast.Constant) and not arg.value):
        return Delay("none", False, sleep, 0.0)
    if isinstance(arg, ast.Constant):
        return Delay("fixed", False, sleep, _seconds(arg))
    if listed := _constant_list_backoff(loop, arg):
        return Delay(listed, False, sleep)
    assigned = _assigned(loop)
    varying = set(assigned) | (names_read(loop.target) if isinstance(loop, ast.For | ast.AsyncFor) else set())
    exprs: list[ast.AST] = [arg]
    assigns = [a for name in names_read(arg) for a in assigned.get(name, [])]
    for a in list(assigns):  # one level further: delay = base * factor, factor = 2 ** attempt
        if a.value is not None:
            exprs.append(a.value)
            assigns.extend(b for name in names_read(a.value) for b in assigned.get(name, []) if b not in assigns)
    exprs.extend(a.value for a in assigns if a.value is not None)
    backoff = _grows(f, exprs, assigns, varying)
    jitter = any(RANDOM.search(f.call_name(c)) for e in exprs for c, _ in f.calls(e))
    capped = any(f.call_name(c) == "min" for e in exprs for c, _ in f.calls(e))
    before = [a for a in assigns if isinstance(a, ast.Assign | ast.AnnAssign) and a.lineno <= sleep.lineno]
    where = max(before, key=lambda a: a.lineno, default=sleep)
    return Delay(backoff, jitter if backoff != "unknown" or jitter else None, where, capped=capped)


def _attempt_loop(f: PythonFile, loop: Loop) -> bool:
    """``for`` loops count only over ``range``/``count`` or named like attempts (not failover over hosts)."""
    if isinstance(loop, ast.While):
        return True
    inner = loop.iter.args[0] if isinstance(loop.iter, ast.Call) and f.call_name(loop.iter) == "enumerate" \
        and loop.iter.args else loop.iter  # fmt: skip
    if isinstance(inner, ast.Call) and f.call_name(inner) in {"range", "itertools.count", "itertools.repeat"}:
        return True
    return bool(ATTEMPT_NAME.search(ast.unparse(loop.target)) or ATTEMPT_NAME.search(ast.unparse(inner)))


def loop_retries(f: PythonFile) -> Iterator[RetrySite]:
    for loop in f.of_type(*LOOPS):
        if not isinstance(loop, LOOPS) or not _attempt_loop(f, loop):
            continue
        node = _retry_try(f, loop)
        if node is None or _takes_candidates(loop, node):
            continue
        delay = _loop_delay(f, loop)
        line = loop.lineno
        yield RetrySite(
            mechanism="loop", bounded=_loop_bounded(f, loop, node), backoff=delay.backoff, jitter=delay.jitter,
            path=f.path, line=line, end_line=line, language="Python",
            snippet=f.lines[line - 1].strip() if f.lines else "", function=f.qualname(loop),
            delay_line=getattr(delay.where, "lineno", None), delay_s=delay.seconds, capped=delay.capped,
            delay_snippet=f.snippet(delay.where) if delay.where is not None else "",
        )  # fmt: skip


# --- backoff functions -----------------------------------------------------------------------------

ATTEMPT_ARG = re.compile(r"attempt|retr|tries|failures", re.I)


def _attempt_arg(fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> str | None:
    args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
    return next((a.arg for a in args if ATTEMPT_ARG.search(a.arg)), None)


def backoff_functions(f: PythonFile) -> Iterator[BackoffSite]:
    """Functions of the attempt number whose result grows exponentially with it."""
    for fn in f.of_type(ast.FunctionDef, ast.AsyncFunctionDef):
        arg = _attempt_arg(fn)
        if arg is None:
            continue
        body = list(shallow(fn.body, into_loops=True))
        growing = [n for n in body if isinstance(n, ast.BinOp | ast.Call) and exponential(f, n)]
        if any(arg in names_read(n) for n in growing):
            jitter = any(isinstance(c, ast.Call) and RANDOM.search(f.call_name(c)) for c in body)
            yield BackoffSite(name=fn.name, backoff="exponential", jitter=jitter, **site_kw(f, fn) | {
                "end_line": fn.lineno, "snippet": f.lines[fn.lineno - 1].strip()})  # fmt: skip


@register_extractor("python")
def extract(f: PythonFile) -> Iterator[Site]:
    """Every hand-written retry loop and backoff function in one Python file."""
    yield from loop_retries(f)
    yield from backoff_functions(f)
