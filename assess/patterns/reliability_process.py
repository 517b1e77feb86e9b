"""Reliability sites about processes in Python: supervision, time limits, back-pressure, exits on SIGTERM.

- supervision: a check that a child process is alive (``is_alive()``, ``poll()``, ``os.waitpid``) that starts a
  new one (``Process(...)``, ``subprocess.Popen``, ``os.fork``) when it is not. Recorded: whether the restart
  waits or counts (a sleep, a restart/crash/backoff counter tested in an ``if``), and how often the check runs
  when the file shows it (a ``while not stop.wait(0.5)`` or ``sleep(1)`` loop around the check or its call);
- time limits on work: ``signal.alarm``/``setitimer`` (a SIGALRM deadline), a SQLite progress handler that
  aborts a query, a ``statement_timeout`` sent to the database, a watchdog that kills or cancels work once it
  has run longer than a timeout (``if elapsed > timeout: proc.kill()``);
- back-pressure: a transport's ``pause_reading()`` when a buffer passes a limit;
- exits on SIGTERM: a handler that calls ``os._exit`` with nothing but logging before it (``sys.exit`` raises
  ``SystemExit``, which unwinds ``finally`` blocks: that is a way to stop, not an exit at once).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Literal

from assess.model.patterns import Site, register_site
from assess.patterns import register_extractor
from assess.patterns.pyast import PythonFile
from assess.patterns.reliability import CLOCK, is_none, names_read, shallow, site_kw

# --- site types (the JavaScript extractors in reliability_js_process record the same) ----------------


@register_site
class SupervisorSite(Site):
    """A dead child process is replaced here."""

    kind: Literal["reliability.supervisor"] = "reliability.supervisor"
    how: str
    """What starts the replacement (``Process``, ``subprocess.Popen``, ``cluster.fork``)."""
    limited: bool
    """The restart waits or is counted (a backoff, a limit on restarts)."""
    tick: float | None = None
    """Seconds between checks when the code shows them (0: on the child's exit event); None when unknown."""


@register_site
class TimeLimitSite(Site):
    """Work is given a deadline: it is interrupted, aborted or killed once it runs too long."""

    kind: Literal["reliability.time-limit"] = "reliability.time-limit"
    mechanism: str


@register_site
class BackPressureSite(Site):
    """Reading stops while a buffer is over its limit (or writing waits for the peer to drain)."""

    kind: Literal["reliability.back-pressure"] = "reliability.back-pressure"
    mechanism: str


@register_site
class HeartbeatSite(Site):
    """A liveness record refreshed with a time to live: when its owner dies, the record expires."""

    kind: Literal["reliability.heartbeat"] = "reliability.heartbeat"
    name: str
    how: str


@register_site
class DrainWaitSite(Site):
    """Shutdown waits for work in flight, bounded by a setting (``wait_for(..., timeout=self.config.grace)``)."""

    kind: Literal["reliability.drain-wait"] = "reliability.drain-wait"
    setting: str
    """The setting's own name (the last part of the timeout expression)."""
    expression: str
    unbounded: bool | None = None
    """When the timeout is a parameter of the waiting function: whether its default is None; None otherwise (then
    the setting's default is looked up across the service's code)."""


@register_site
class NoLimitDefaultSite(Site):
    """A shutdown timeout setting whose default is None: no limit unless the operator sets one."""

    kind: Literal["reliability.no-limit-default"] = "reliability.no-limit-default"
    name: str


@register_site
class SignalExitSite(Site):
    """A SIGTERM/SIGINT handler that ends the process at once, with nothing but logging before."""

    kind: Literal["reliability.signal-exit"] = "reliability.signal-exit"
    signals: tuple[str, ...]
    exit_call: str


# --- supervision -----------------------------------------------------------------------------------

LIVENESS = re.compile(r"\.(is_alive|poll)$|^os\.(waitpid|wait[34]?)$")
SPAWN = re.compile(r"(^|\.)(Process|Popen)$|^os\.(fork|spawn\w*)$")
RESTART_LIMIT = re.compile(r"restart|respawn|crash|backoff|attempt|retr|delay|fail|strike", re.I)


def _alive_check(f: PythonFile, test: ast.AST) -> bool:
    if any(isinstance(n, ast.Attribute) and n.attr in {"exitcode", "returncode"} for n in ast.walk(test)):
        return True
    return any(LIVENESS.search(name) for _, name in f.calls(test))


def _spawns(f: PythonFile, nodes: list[ast.AST]) -> ast.Call | None:
    calls = [n for n in nodes if isinstance(n, ast.Call) and SPAWN.search(f.call_name(n))]
    return min(calls, key=lambda c: c.lineno, default=None)


def _restart_branch(f: PythonFile, check: ast.If) -> list[ast.AST]:
    """The code that runs when ``check`` finds the child dead: its body, or what follows it in the loop when the body
    skips the live ones (``if p.is_alive(): continue``)."""
    branch = list(shallow(check.body))
    loop = f.in_loop(check)
    if loop is not None and isinstance(check.body[-1], ast.Continue):
        branch += [n for n in shallow(loop.body) if getattr(n, "lineno", 0) > (check.end_lineno or 0)]
    return branch


def _limited(f: PythonFile, branch: list[ast.AST], scope: ast.AST) -> bool:
    """The restart waits (a sleep on the restart branch) or is counted (an ``if`` on a restart/crash/backoff name)."""
    if any(isinstance(n, ast.Call) and "sleep" in f.call_name(n).rsplit(".", 1)[-1] for n in branch):
        return True
    return any(isinstance(n, ast.If) and any(RESTART_LIMIT.search(x) for x in names_read(n.test))
               for n in ast.walk(scope))  # fmt: skip


def _period(f: PythonFile, loop: ast.AST) -> float | None:
    """Seconds a loop waits each round (``while not stop.wait(0.5)``, ``time.sleep(1)``), when a constant."""
    where = [getattr(loop, "test", None), *shallow(getattr(loop, "body", []))]
    for node in (n for w in where if w is not None for n in ast.walk(w)):
        if isinstance(node, ast.Call) and re.search(r"(^|\.)(sleep|wait)$", f.call_name(node)) and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, int | float):
                return float(arg.value)
    return None


def _tick(f: PythonFile, check: ast.AST, fn: ast.AST | None) -> float | None:
    """How often the check runs: its own loop's period, or the period of a loop in this file that calls its function."""
    loop = f.in_loop(check)
    if loop is not None and (own := _period(f, loop)) is not None:
        return own
    name = getattr(fn, "name", None)
    for call, called in f.calls() if name else ():
        if called.rsplit(".", 1)[-1] == name and (outer := f.in_loop(call)) is not None:
            return _period(f, outer)
    return None


def supervisors(f: PythonFile) -> Iterator[SupervisorSite]:
    for check in f.of_type(ast.If):
        if not _alive_check(f, check.test):
            continue
        branch = _restart_branch(f, check)
        if (spawn := _spawns(f, branch)) is None:
            continue
        fn = f.enclosing_function(check)
        yield SupervisorSite(how=f.call_name(spawn).rsplit(".", 1)[-1], limited=_limited(f, branch, fn or f.tree),
                             tick=_tick(f, check, fn), **site_kw(f, spawn))  # fmt: skip


# --- time limits -----------------------------------------------------------------------------------

TIMEOUT_NAME = re.compile(r"timeout|deadline|time_?limit|max_time|max_runtime", re.I)
STOPS = re.compile(r"(^|\.|_)(kill|killpg|terminate|cancel|interrupt|abort)(_\w+)?$")


def _nonzero(node: ast.AST | None) -> bool:
    return node is not None and not (isinstance(node, ast.Constant) and not node.value)


def _progress_handler(f: PythonFile, call: ast.Call) -> bool:
    """``conn.set_progress_handler(handler, n)`` with a handler that reads the clock (or one defined elsewhere)."""
    if not call.args or (isinstance(call.args[0], ast.Constant) and call.args[0].value is None):
        return False
    name = call.args[0].id if isinstance(call.args[0], ast.Name) else None
    defs = [d for d in f.of_type(ast.FunctionDef) if d.name == name]
    return not defs or any(CLOCK.search(n) for d in defs for _, n in f.calls(d))


def _watchdog(f: PythonFile, node: ast.If) -> bool:
    """``if <elapsed> > <timeout>: ... kill()``: work that overruns its timeout is stopped."""
    compares = [c for c in ast.walk(node.test) if isinstance(c, ast.Compare)
                and any(isinstance(op, ast.Gt | ast.GtE | ast.Lt | ast.LtE) for op in c.ops)]  # fmt: skip
    if not any(TIMEOUT_NAME.search(n) for c in compares for n in names_read(c)):
        return False
    return any(STOPS.search(name) for stmt in node.body for _, name in f.calls(stmt))


def time_limits(f: PythonFile) -> Iterator[TimeLimitSite]:
    for call, name in f.calls():
        if name == "signal.alarm" and call.args and _nonzero(call.args[0]):
            yield TimeLimitSite(mechanism="a SIGALRM deadline (signal.alarm)", **site_kw(f, call))
        elif name == "signal.setitimer" and len(call.args) > 1 and _nonzero(call.args[1]):
            yield TimeLimitSite(mechanism="a SIGALRM deadline (signal.setitimer)", **site_kw(f, call))
        elif name.endswith(".set_progress_handler") and _progress_handler(f, call):
            yield TimeLimitSite(mechanism="a SQLite progress handler that aborts long queries", **site_kw(f, call))
        elif any(isinstance(a, ast.Constant) and isinstance(a.value, str) and "statement_timeout" in a.value
                 and name.rsplit(".", 1)[-1] in {"execute", "exec_driver_sql"} for a in call.args):  # fmt: skip
            yield TimeLimitSite(mechanism="a database statement_timeout", **site_kw(f, call))
    for node in f.of_type(ast.If):
        if _watchdog(f, node):
            yield TimeLimitSite(mechanism="a watchdog that stops work past its timeout", **site_kw(f, node.test))


# --- heartbeats with a TTL ------------------------------------------------------------------------

HEARTBEAT = re.compile(r"heartbeat|keep_?alive|renew|lease|extend_?lock|touch", re.I)
EXPIRES = {"expire", "pexpire", "expireat", "pexpireat", "setex", "psetex"}


def _expiry(f: PythonFile, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.Call | None:
    """A call in ``fn`` that gives a key a time to live (``expire``, ``setex``, ``set(..., ex=...)``)."""
    for call in f.own_calls(fn):
        verb = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        if verb in EXPIRES or (verb == "set" and any(k.arg in {"ex", "px"} for k in call.keywords)):
            return call
    return None


def heartbeats(f: PythonFile) -> Iterator[HeartbeatSite]:
    for fn in f.of_type(ast.FunctionDef, ast.AsyncFunctionDef):
        if HEARTBEAT.search(fn.name) and (call := _expiry(f, fn)):
            how = call.func.attr if isinstance(call.func, ast.Attribute) else "expire"
            yield HeartbeatSite(name=fn.name, how=how, **site_kw(f, call))


# --- shutdown deadlines ---------------------------------------------------------------------------

SHUTDOWN = re.compile(r"shutdown|drain|graceful|stop|close|terminate", re.I)
SHUTDOWN_SETTING = re.compile(r"(shutdown|graceful|grace|drain|stop).*timeout|timeout.*(shutdown|graceful|grace|drain)"
                              r"|grace_?period", re.I)  # fmt: skip
WAITS = {"asyncio.wait_for": 1, "asyncio.wait": None, "wait": 0, "join": 0}


def _wait_timeout(f: PythonFile, call: ast.Call) -> ast.expr | None:
    """The timeout a wait is given (``wait_for(aw, timeout)``, ``wait(..., timeout=t)``, ``join(t)``)."""
    name = f.call_name(call)
    key = name if name in WAITS else name.rsplit(".", 1)[-1] if isinstance(call.func, ast.Attribute) else ""
    if key not in WAITS:
        return None
    at = WAITS[key]
    found = next((k.value for k in call.keywords if k.arg == "timeout"), None)
    return found if found is not None or at is None or len(call.args) <= at else call.args[at]


def drain_waits(f: PythonFile) -> Iterator[DrainWaitSite]:
    for fn in f.of_type(ast.FunctionDef, ast.AsyncFunctionDef):
        if not SHUTDOWN.search(fn.name):
            continue
        own = dict(_parameter_defaults(fn))
        for call in f.own_calls(fn):
            timeout = _wait_timeout(f, call)
            if isinstance(timeout, ast.Name | ast.Attribute):
                setting = timeout.id if isinstance(timeout, ast.Name) else timeout.attr
                unbounded = is_none(own[setting]) if isinstance(timeout, ast.Name) and setting in own else None
                yield DrainWaitSite(setting=setting, expression=ast.unparse(timeout), unbounded=unbounded,
                                    **site_kw(f, call))  # fmt: skip


def _parameter_defaults(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[tuple[str, ast.expr | None]]:
    """Each parameter's name and default (None: it has none)."""
    positional = [*fn.args.posonlyargs, *fn.args.args]
    padded = [*([None] * (len(positional) - len(fn.args.defaults))), *fn.args.defaults]
    yield from ((a.arg, d) for a, d in zip(positional, padded, strict=True))
    yield from ((a.arg, d) for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True))


def no_limit_defaults(f: PythonFile) -> Iterator[NoLimitDefaultSite]:
    """Parameters and class fields named like a shutdown timeout whose default is None."""
    for fn in f.of_type(ast.FunctionDef, ast.AsyncFunctionDef):
        for name, default in _parameter_defaults(fn):
            if default is not None and is_none(default) and SHUTDOWN_SETTING.search(name):
                yield NoLimitDefaultSite(name=name, **site_kw(f, default))
    for node in f.of_type(ast.AnnAssign):
        if isinstance(node.target, ast.Name) and is_none(node.value) and SHUTDOWN_SETTING.search(node.target.id):
            yield NoLimitDefaultSite(name=node.target.id, **site_kw(f, node))


# --- back-pressure, exits on SIGTERM ---------------------------------------------------------------

LIMIT = re.compile(r"limit|high_?water|max|capacity|threshold|size", re.I)


def back_pressure(f: PythonFile) -> Iterator[BackPressureSite]:
    for node in f.of_type(ast.If):
        pauses = [c for c in shallow(node.body) if isinstance(c, ast.Call) and f.call_name(c).endswith("pause_reading")]
        compares = [c for c in ast.walk(node.test) if isinstance(c, ast.Compare)]
        if pauses and any(LIMIT.search(n) or "len" in names_read(c) for c in compares for n in names_read(c)):
            yield BackPressureSite(mechanism="pause_reading", **site_kw(f, pauses[0]))
            return  # one per file: every protocol of a server pauses the same way


QUIET = re.compile(r"(^|\.)(log|debug|info|warning|warn|error|exception|critical|print|write|flush)$|^print$")
STOP_SIGNALS = ("SIGTERM", "SIGINT")


def _exits_at_once(f: PythonFile, body: list[ast.stmt]) -> str | None:
    """``os._exit`` reached with nothing but logging, assignments and ``pass`` before it."""
    for stmt in body:
        call = stmt.value if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) else None
        if call is not None and f.call_name(call) == "os._exit":
            return "os._exit()"
        if not (isinstance(stmt, ast.Assign | ast.AugAssign | ast.Pass | ast.Global | ast.Nonlocal)
                or (call is not None and QUIET.search(f.call_name(call)))):  # fmt: skip
            return None
    return None


def _handler_body(f: PythonFile, handler: ast.AST) -> list[ast.stmt]:
    if isinstance(handler, ast.Lambda):
        return [ast.Expr(value=handler.body)]
    name = handler.attr if isinstance(handler, ast.Attribute) else handler.id if isinstance(handler, ast.Name) else ""
    found = [d for d in f.of_type(ast.FunctionDef) if d.name == name]
    return found[0].body if len(found) == 1 else []


def signal_exits(f: PythonFile) -> Iterator[SignalExitSite]:
    for call, name in f.calls():
        if name != "signal.signal" or len(call.args) < 2:
            continue
        signals = tuple(s for s in STOP_SIGNALS if s in ast.unparse(call.args[0]))
        if signals and (exit_call := _exits_at_once(f, _handler_body(f, call.args[1]))):
            yield SignalExitSite(signals=signals, exit_call=exit_call, **site_kw(f, call))


@register_extractor("python")
def extract(f: PythonFile) -> Iterator[Site]:
    """Every supervisor, time limit, back-pressure point and exit on SIGTERM in one Python file."""
    yield from supervisors(f)
    yield from heartbeats(f)
    yield from drain_waits(f)
    yield from no_limit_defaults(f)
    yield from time_limits(f)
    yield from back_pressure(f)
    if "signal" in f.imports:
        yield from signal_exits(f)
