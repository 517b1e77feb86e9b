"""Run one untrusted command and, when it ends, end every process it left behind.

Run as ``python -I -S .../assess/_reaper.py --status-fd N [--limit NAME=BYTES]... [--no-lc-ctype] -- CMD...``
(by its path, standard library only, so that starting it costs one bare interpreter: about 20 ms).
``assess._sandbox`` starts it; nothing else should.

The reaper marks itself a child subreaper (``PR_SET_CHILD_SUBREAPER``): a process of the command that
double-forks and calls ``setsid()`` is re-parented to the reaper, not to init, so it stays among the
reaper's descendants, which are found by walking ``/proc``. The command runs in a session of its own
(its pid is its process group's id), with the limits given (soft and hard, so it cannot raise them),
no core files, SIGXFSZ ignored (a write past the file-size limit fails with EFBIG, as on a full disk)
and the other signals at their defaults.

Protocol on the status file descriptor, one line each: ``pid N`` once the command runs, or ``error
ERRNO MESSAGE`` when it could not be started (the reaper then exits 127); ``swept N`` at the end:
how many processes were still running when the command ended, all killed. SIGTERM, SIGINT or SIGHUP
to the reaper kills the command's group at once (graceful endings are signalled to the command's own
group by the caller). The reaper exits as the command did: same code, or the same signal.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # the typing and collections modules would add milliseconds to every start
    from collections.abc import Callable, Iterator, Sequence

PR_SET_CHILD_SUBREAPER = 36
LIMITS = {"DATA": resource.RLIMIT_DATA, "FSIZE": resource.RLIMIT_FSIZE, "CORE": resource.RLIMIT_CORE}
ENDING = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
WATCHED = {signal.SIGCHLD, *ENDING}
SWEEP_LIMIT_S = 10.0
"""How long the sweep may keep finding processes (a fork bomb, one stuck in the kernel) before it gives up."""


def _parse(argv: Sequence[str]) -> tuple[int, list[tuple[int, int]], bool, list[str]]:
    """(status fd, [(resource, bytes)], drop LC_CTYPE, command). Raises ValueError on a malformed line."""
    split = list(argv).index("--")
    options, command = list(argv[:split]), list(argv[split + 1 :])
    status_fd, limits, drop_lc_ctype = -1, [], False
    while options:
        option = options.pop(0)
        if option == "--status-fd":
            status_fd = int(options.pop(0))
        elif option == "--limit":
            name, value = options.pop(0).split("=")
            limits.append((LIMITS[name], int(value)))
        elif option == "--no-lc-ctype":
            drop_lc_ctype = True
        else:
            raise ValueError(f"unknown option {option}")
    if status_fd < 0 or not command:
        raise ValueError("--status-fd and a command are required")
    return status_fd, limits, drop_lc_ctype, command


def _become_subreaper() -> bool:
    """Mark this process a child subreaper; False where the kernel has no such thing (not Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _exec_child(command: list[str], limits: list[tuple[int, int]], report: int) -> None:
    """In the forked child: a session of its own, the limits, default signals, then the command. Never returns."""
    try:
        os.setsid()
        for which, value in [*limits, (resource.RLIMIT_CORE, 0)]:
            hard = resource.getrlimit(which)[1]
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (value, value))
        for sig in (*WATCHED, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_SETMASK, ())
        os.execvp(command[0], command)  # noqa: S606 (the target's own command, by design)
    except BaseException as err:  # whatever it is, the parent must hear of it
        number = getattr(err, "errno", None) or 0
        os.write(report, f"{number} {getattr(err, 'strerror', None) or err}".encode(errors="replace"))
    finally:
        os._exit(127)


def _spawn(command: list[str], limits: list[tuple[int, int]]) -> int:
    """Start ``command``; its pid. Raises OSError (the child's errno) when it could not be executed."""
    read_end, write_end = os.pipe()  # close-on-exec: EOF once the command runs
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _exec_child(command, limits, write_end)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as failure:
        message = failure.read().decode(errors="replace")
    if not message:
        return pid
    os.waitpid(pid, 0)
    number, _, text = message.partition(" ")
    raise OSError(int(number) if number.isdigit() else 0, text)


def _reap() -> Iterator[tuple[int, int]]:
    """(pid, wait status) of every child that has ended, without waiting."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        yield pid, status


def _kill(kill: Callable[[int, int], None], target: int) -> None:
    """SIGKILL with ``kill`` (``os.kill`` or ``os.killpg``), whether or not ``target`` is still there."""
    try:  # noqa: SIM105 (contextlib would add milliseconds to every start)
        kill(target, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_for(pid: int) -> int:
    """Wait until the command ends, reaping orphans meanwhile; its wait status. A SIGTERM, SIGINT or
    SIGHUP kills the command's group at once."""
    while True:
        info = signal.sigtimedwait(WATCHED, 1.0)  # the timeout only guards against a lost SIGCHLD
        if info is not None and info.si_signo in ENDING:
            _kill(os.killpg, pid)
            _kill(os.kill, pid)  # not reaped yet, so still the command, even if it left its group
        for child, status in _reap():
            if child == pid:
                return status


def _descendants(root: int) -> set[int]:
    """Processes below ``root`` that have not ended (zombies left out), from ``/proc``."""
    children: dict[int, list[int]] = {}
    try:
        names = os.listdir("/proc")  # noqa: PTH208 (the reaper imports as little as it can)
    except OSError:
        return set()  # no /proc: only the command's group is killed (see main)
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:  # noqa: PTH123 (the reaper imports as little as it can)
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if fields[0] != b"Z":
            children.setdefault(int(fields[1]), []).append(int(name))
    found, pending = set(), [root]
    while pending:
        for child in children.get(pending.pop(), ()):
            found.add(child)
            pending.append(child)
    return found


def _sweep() -> int:
    """SIGKILL every descendant until none is left, reaping them; how many there were. One that may not
    be signalled (a set-user-id program run by a user who is not root) is left, as it must be."""
    killed: set[int] = set()
    refused: set[int] = set()
    deadline = time.monotonic() + SWEEP_LIMIT_S
    while time.monotonic() < deadline:
        alive = _descendants(os.getpid()) - refused
        for _ in _reap():
            pass
        if not alive:
            break
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            except PermissionError:
                refused.add(pid)
        killed |= alive - refused
        time.sleep(0.005)
    for _ in _reap():
        pass
    return len(killed)


def _exit_like(status: int) -> None:
    """End this process as the command ended: its exit code, or killed by its signal."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a SIGSEGV re-raised here must not dump a core
        if sig not in (signal.SIGKILL, signal.SIGSTOP):  # whose handling cannot be changed
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {sig})
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)  # a signal whose default is not to end the process
    os._exit(os.waitstatus_to_exitcode(status))


def _say(fd: int, line: str) -> None:
    try:  # noqa: SIM105 (contextlib would add milliseconds to every start)
        os.write(fd, line.encode() + b"\n")
    except OSError:
        pass  # the caller is gone; the command must still be ended


def main(argv: Sequence[str]) -> None:
    status_fd, limits, drop_lc_ctype, command = _parse(argv)
    os.set_inheritable(status_fd, False)
    if drop_lc_ctype:
        os.environ.pop("LC_CTYPE", None)  # set by Python's locale coercion, not by the caller
    _become_subreaper()
    signal.pthread_sigmask(signal.SIG_BLOCK, WATCHED)
    try:
        pid = _spawn(command, limits)
    except OSError as err:
        _say(status_fd, f"error {err.errno or 0} {err.strerror or err}")
        os._exit(127)
    _say(status_fd, f"pid {pid}")
    status = _wait_for(pid)
    swept = _sweep()
    _kill(os.killpg, pid)  # without /proc the sweep finds nothing; a group's id is not reused while it has members
    _say(status_fd, f"swept {swept}")
    os.close(status_fd)
    _exit_like(status)


if __name__ == "__main__":
    main(sys.argv[1:])
