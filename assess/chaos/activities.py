"""``assess``'s Chaos Toolkit extension: the control that starts the service, and the actions and probes.

The bundled experiments (``assess/chaos/experiments/*.json``) name these functions with
``{"type": "python", "module": "assess.chaos.activities", "func": ...}``. Everything here acts on
the one service this process started (see :mod:`assess.chaos.session`) and sends traffic to
loopback only. Actions return their measurements as ``{"assess": {...}}`` (recovery time, records
written and lost, requests completed ...), which the ingest reads back from the journal.

Steady-state probes return plain values for Chaos Toolkit's tolerances:

- ``service_healthy`` -> bool: the health path answers 2xx;
- ``client_failures`` -> int: client requests that failed when they should not have;
- ``records_lost`` -> int: acknowledged records that can no longer be read;
- ``clean_exits`` -> bool: every SIGTERM so far let in-flight requests finish and the process exit
  on its own (0, 143, or the re-raised signal), within the grace period;
- ``dependency_calls_missing`` -> int: calls to the dependency that did not arrive once it was back.
"""

from __future__ import annotations

import atexit
import os
import resource
import signal
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from assess.chaos.dependency import Dependency
from assess.chaos.proxy import FaultProxy, Mode
from assess.chaos.service import HOST, Reply, fill_body, request
from assess.chaos.session import SESSION_ENV, Session, SessionConfig, measured

CLEAN_EXIT_CODES = (0, 128 + signal.SIGTERM, -signal.SIGTERM)
"""Exit statuses that count as leaving cleanly after SIGTERM, once every in-flight request was
answered: 0; 143 (the shell's 128 + 15); or ended by SIGTERM itself, as servers that drain and then
re-raise the signal do (uvicorn since 0.29). A process the default action kills at once has the same
status, but its in-flight requests are cut, and that is what fails it."""
SETTLE_S = 0.3
"""Time given to requests to reach the service before a fault hits them."""

_SESSION: Session | None = None
_LOCK = threading.Lock()


def session() -> Session:
    """This process's session, read from the file the runner named in ``ASSESS_CHAOS_SESSION``."""
    global _SESSION
    with _LOCK:
        if _SESSION is None:
            path = os.environ.get(SESSION_ENV)
            if not path:
                raise RuntimeError(f"{SESSION_ENV} is not set: run the experiment through 'assess chaos run'")
            _SESSION = Session(SessionConfig.read(Path(path)))
            atexit.register(_SESSION.stop)
        return _SESSION


# --- the control: one fresh service per experiment --------------------------------------------


def before_experiment_control(context: Any, **kwargs: Any) -> None:
    s = session()
    if s.config.dependency_port:
        dependency = Dependency(s.config.dependency_port)
        dependency.start()
        s.extras["dependency"] = dependency
    s.start()
    s.wait_healthy()


def after_experiment_control(context: Any, state: Any = None, **kwargs: Any) -> None:
    s = session()
    proxy_stop()
    s.stop()
    dependency = s.extras.pop("dependency", None)
    if isinstance(dependency, Dependency):
        dependency.stop()


# --- steady-state probes ----------------------------------------------------------------------


def service_healthy() -> bool:
    return session().healthy()


def client_failures() -> int:
    return len(session().failures)


def records_lost() -> int:
    s = session()
    return sum(1 for ident in s.acknowledged if not _read(s, ident).ok)


def clean_exits() -> bool:
    return all(t["clean"] for t in session().terminations)


def dependency_calls_missing() -> int:
    """Calls to the dependency that should have arrived after it came back, and did not."""
    return int(session().extras.get("dependency_missing", 0))


# --- helpers ----------------------------------------------------------------------------------


def _read(s: Session, ident: str, port: int | None = None) -> Reply:
    if s.spec.read is None:
        raise RuntimeError(f"{s.spec.source}: this experiment needs 'read' (a path with {{id}})")
    return request(port or s.port, "GET", s.spec.read.format(id=ident), timeout=2.0)


def _write(s: Session, n: int, port: int | None = None) -> Reply:
    if s.spec.write is None:
        raise RuntimeError(f"{s.spec.source}: this experiment needs 'write'")
    w = s.spec.write
    return request(port or s.port, w.method, w.path, fill_body(w.body, n), timeout=5.0)


def _record_failure(s: Session, what: str, reply: Reply) -> None:
    s.failures.append(f"{what}: {reply.error or f'HTTP {reply.status}'}")


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def _port(through_proxy: bool) -> int:
    s = session()
    if not through_proxy:
        return s.port
    proxy = s.extras.get("proxy")
    if not isinstance(proxy, FaultProxy):
        raise RuntimeError("no fault proxy is running: proxy_start must come first")
    return proxy.address[1]


# --- actions: data ----------------------------------------------------------------------------


def write_records(count: int = 20, under_fault: bool = False) -> dict[str, Any]:
    """Write ``count`` records; the acknowledged ones are remembered for :func:`records_lost`.

    A 5xx answer is a clean refusal (the service said it could not); a transport error is a failure.
    With ``under_fault``, the output says whether the fault showed at all (``fault_injected``): if
    every write succeeded, nothing was tested.
    """
    s = session()
    acknowledged = refused = failed = 0
    for _ in range(count):
        n = len(s.acknowledged) + refused + failed + 1
        reply = _write(s, n)
        ident = (reply.json() or {}).get(s.spec.write.id_field) if reply.ok and s.spec.write else None
        if reply.ok and isinstance(ident, str | int):
            s.acknowledged.append(str(ident))
            acknowledged += 1
        elif reply.status is not None and reply.status >= 500:
            refused += 1
        else:
            failed += 1
            _record_failure(s, f"write {n}", reply)
    counts = {"acknowledged": acknowledged, "refused": refused, "failed": failed}
    if under_fault:
        return measured(**counts, fault_injected=int(acknowledged < count))
    return measured(**counts)


def verify_records() -> dict[str, Any]:
    """Read back every acknowledged record: how many were written, and how many are gone."""
    s = session()
    replies = [_read(s, ident) for ident in s.acknowledged]
    lost = sum(1 for r in replies if r.status == 404)
    unreadable = sum(1 for r in replies if not r.ok and r.status != 404)
    return measured(data_written=len(replies), data_lost=lost + unreadable, unreadable=unreadable)


# --- actions: process faults ------------------------------------------------------------------


def kill_service(signal_name: str = "SIGKILL") -> dict[str, Any]:
    """Signal the service's whole process group (a crash: SIGKILL) and wait for it to be gone."""
    s = session()
    sig = signal.Signals[signal_name]
    s.fault_at = time.monotonic()
    s.send(sig, group=True)
    code = s.wait_exit(5.0)
    return measured(signal=int(sig), exit_code=code)


def restart_service() -> dict[str, Any]:
    """Start the service again (as a supervisor would); recovery time runs from the last fault."""
    s = session()
    if s.alive():
        s.stop()
    started = time.monotonic()
    s.start()
    healthy = s.wait_healthy()
    since = s.fault_at if s.fault_at is not None else started
    return measured(recovery_s=round(time.monotonic() - since, 3) if healthy else None, healthy=int(healthy))


def _in_flight(port: int, path: str, count: int, timeout: float) -> tuple[list[Reply], list[threading.Thread]]:
    replies: list[Reply] = []
    lock = threading.Lock()

    def one() -> None:
        reply = request(port, "GET", path, timeout=timeout)
        with lock:
            replies.append(reply)

    threads = [threading.Thread(target=one, name=f"assess-inflight-{i}", daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    return replies, threads


def _slow_path(s: Session, request_ms: int) -> str:
    return s.spec.slow.format(ms=request_ms) if s.spec.slow else s.spec.health


def terminate_during_requests(in_flight: int = 3, request_ms: int = 1500, grace_s: float = 10.0) -> dict[str, Any]:
    """SIGTERM the service while ``in_flight`` slow requests run; do they finish, does it exit in time?

    Only the main process gets SIGTERM, as an orchestrator sends it. A process still running after
    ``grace_s`` is killed, as an orchestrator would, and counts as not clean.
    """
    s = session()
    replies, threads = _in_flight(s.port, _slow_path(s, request_ms), in_flight, request_ms / 1000 + grace_s)
    time.sleep(SETTLE_S)
    at_signal = in_flight - len(replies)  # requests already answered were not in flight
    s.fault_at = sent = time.monotonic()
    s.send(signal.SIGTERM, group=False)
    code = s.wait_exit(grace_s)
    exit_s = round(time.monotonic() - sent, 3)
    if code is None:
        s.send(signal.SIGKILL, group=True)
        s.wait_exit(5.0)
    for t in threads:
        t.join(request_ms / 1000 + grace_s + 1)
    completed = sum(1 for r in replies if r.ok)
    for i, reply in enumerate(r for r in replies if not r.ok):
        _record_failure(s, f"in-flight request {i + 1} during SIGTERM", reply)
    # Ended by SIGTERM is clean only when it drained something first: with nothing in flight, a
    # server that re-raises after draining and one the default action kills look the same.
    ambiguous = code == -signal.SIGTERM and at_signal == 0
    clean = code in CLEAN_EXIT_CODES and completed == in_flight and not ambiguous
    s.terminations.append({"exit_code": code, "exit_s": exit_s, "completed": completed, "clean": clean})
    exited_s = exit_s if code is not None else None
    extra = {"testable": 0} if ambiguous else {}
    return measured(in_flight=at_signal, completed=completed, exit_code=code, exit_s=exited_s, **extra)


# --- actions: network faults through the proxy ------------------------------------------------


def proxy_start(mode: Mode = "pass", latency_s: float = 0.0) -> dict[str, Any]:
    """Put a loopback fault proxy in front of the service; later requests may go through it."""
    s = session()
    proxy_stop()
    proxy = FaultProxy(HOST, s.port)
    proxy.set_mode(mode)
    proxy.set_latency(latency_s)
    proxy.start()
    s.extras["proxy"] = proxy
    if mode != "pass" or latency_s > 0:
        s.fault_at = time.monotonic()
    return measured(latency_s=latency_s)


def proxy_set(mode: Mode | None = None, latency_s: float | None = None, cut_open: bool = False) -> dict[str, Any]:
    """Change the proxy's fault; ``cut_open`` also resets the connections open right now."""
    proxy = session().extras.get("proxy")
    if not isinstance(proxy, FaultProxy):
        raise RuntimeError("proxy_set before proxy_start")
    if mode is not None:
        proxy.set_mode(mode)
    if latency_s is not None:
        proxy.set_latency(latency_s)
    cut = proxy.reset_active() if cut_open else 0
    if (mode not in (None, "pass")) or cut:
        session().fault_at = time.monotonic()
    return measured(cut=cut)


def proxy_stop() -> dict[str, Any]:
    proxy = session().extras.pop("proxy", None)
    if isinstance(proxy, FaultProxy):
        stats = proxy.stats()
        proxy.stop()
        return measured(connections=stats.accepted)
    return measured()


def cut_during_requests(in_flight: int = 3, request_ms: int = 1000) -> dict[str, Any]:
    """Reset the proxy's connections while slow requests are in flight (the clients see the reset)."""
    s = session()
    replies, threads = _in_flight(_port(True), _slow_path(s, request_ms), in_flight, request_ms / 1000 + 5)
    time.sleep(SETTLE_S)
    cut = proxy_set(cut_open=True)["assess"]["cut"]
    for t in threads:
        t.join(request_ms / 1000 + 6)
    return measured(in_flight=in_flight, cut=cut, completed=sum(1 for r in replies if r.ok))


def exercise(
    requests: int = 10,
    through_proxy: bool = False,
    budget_s: float = 2.0,
    concurrency: int = 1,
    count_failures: bool = True,
) -> dict[str, Any]:
    """Client traffic: writes and reads when the config says how, else the health path.

    A request fails when it gets no answer, a 5xx, or takes longer than ``budget_s``. With
    ``count_failures`` false (the fault is on and failures are expected), they are only counted here.
    """
    s = session()
    port = _port(through_proxy)

    def one(i: int) -> Reply:
        if s.spec.write is not None and s.spec.read is not None and i % 2 == 0:
            return _write(s, 100_000 + i, port)
        if s.spec.read is not None and s.acknowledged:
            return _read(s, s.acknowledged[i % len(s.acknowledged)], port)
        return request(port, "GET", s.spec.health, timeout=budget_s + 1)

    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="assess-client") as pool:
        replies = list(pool.map(one, range(requests)))
    bad = [r for r in replies if r.status is None or r.status >= 500 or r.seconds > budget_s]
    if count_failures:
        for i, reply in enumerate(bad):
            what = f"request {i + 1} over the {budget_s}s budget" if reply.ok else f"request {i + 1}"
            s.failures.append(f"{what}: {reply.error or f'HTTP {reply.status}'} after {reply.seconds:.2f}s")
    seconds = [r.seconds for r in replies]
    return measured(requests=requests, failed=len(bad), p95_s=round(_p95(seconds), 3), max_s=round(max(seconds), 3))


def wait_until_serving(through_proxy: bool = True, timeout_s: float = 30.0) -> dict[str, Any]:
    """Poll until a request gets a 2xx again; recovery time runs from the last fault."""
    s = session()
    port = _port(through_proxy)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if request(port, "GET", s.spec.health, timeout=1.0).ok:
            since = s.fault_at if s.fault_at is not None else deadline - timeout_s
            return measured(recovery_s=round(time.monotonic() - since, 3))
        time.sleep(0.05)
    s.failures.append(f"not serving again within {timeout_s}s")
    return measured(recovery_s=None)


# --- actions: the dependency -----------------------------------------------------------------


def _dependency() -> Dependency:
    dependency = session().extras.get("dependency")
    if not isinstance(dependency, Dependency):
        raise RuntimeError("no dependency: the service's command must use {dependency_url}")
    return dependency


def mark_dependency_calls() -> dict[str, Any]:
    """Remember how many calls reached the dependency so far; :func:`await_dependency_calls` counts from here."""
    calls = _dependency().calls()
    session().extras["dependency_mark"] = calls
    return measured(calls=calls)


def await_dependency_calls(count: int, timeout_s: float = 5.0, baseline: bool = False) -> dict[str, Any]:
    """Wait until ``count`` calls arrived since the mark. Short calls count as missing (after a
    fault) or, for the ``baseline`` before any fault, mean nothing can be tested (``testable: 0``)."""
    s = session()
    dependency = _dependency()
    mark = int(s.extras.get("dependency_mark", 0))
    deadline = time.monotonic() + timeout_s
    while dependency.calls() - mark < count and time.monotonic() < deadline:
        time.sleep(0.02)
    received = min(dependency.calls() - mark, count)
    if baseline:
        s.extras["dependency_untestable"] = received == 0
        return measured(received=received, expected=count, testable=int(received > 0))
    if not s.extras.get("dependency_untestable"):  # a service that never calls it misses nothing
        s.extras["dependency_missing"] = int(s.extras.get("dependency_missing", 0)) + count - received
    restored = s.extras.get("dependency_restored_at")
    recovery = round(time.monotonic() - restored, 3) if received == count and isinstance(restored, float) else None
    return measured(received=received, expected=count, recovery_s=recovery)


def dependency_outage(mode: Mode = "blackhole") -> dict[str, Any]:
    """Cut the dependency off: ``blackhole`` (connections accepted, never answered), ``reset`` or ``drop``."""
    _dependency().proxy.set_mode(mode)
    session().fault_at = time.monotonic()
    return measured()


def dependency_restore() -> dict[str, Any]:
    """The dependency answers again (connections already hung stay hung, as on a real network)."""
    _dependency().proxy.set_mode("pass")
    session().extras["dependency_restored_at"] = time.monotonic()
    return measured()


# --- actions: resource faults -----------------------------------------------------------------


def _largest_file(folder: Path) -> int:
    sizes = [p.stat().st_size for p in folder.rglob("*") if p.is_file()]
    return max(sizes, default=0)


def limit_file_size(headroom_kb: int = 64) -> dict[str, Any]:
    """The service's files may grow only ``headroom_kb`` past the largest file in its data folder.

    Writes beyond fail with EFBIG, as writes to a full disk fail with ENOSPC.
    """
    s = session()
    limit = _largest_file(Path(s.config.data_dir)) + headroom_kb * 1024
    s.limit(resource.RLIMIT_FSIZE, limit)
    s.fault_at = time.monotonic()
    return measured(file_size_limit=limit)


def limit_memory(headroom_mb: int = 64) -> dict[str, Any]:
    """The service's address space may grow only ``headroom_mb`` past what it uses now."""
    s = session()
    current = s.virtual_memory()
    if current is None:
        raise RuntimeError("the service's memory use cannot be read from /proc")
    s.limit(resource.RLIMIT_AS, current + headroom_mb * 1024 * 1024)
    s.fault_at = time.monotonic()
    return measured(address_space_limit=current + headroom_mb * 1024 * 1024, address_space_before=current)


def lift_limits() -> dict[str, Any]:
    s = session()
    for which in (resource.RLIMIT_FSIZE, resource.RLIMIT_AS):
        s.unlimit(which)
    return measured(alive=int(s.alive()))
