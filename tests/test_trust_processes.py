"""The target's processes at the trust boundary: what they see (a reduced environment), what they may use
(memory, file size, a private TMPDIR) and that none outlives its command (the reaper), for the test run,
the chaos service and ``chaos run``. Slow tests run whole collectors, chaos runs and ``assess run``."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assess import _proc
from assess._proc import kill_active_groups, kill_recorded_groups, run_bounded
from assess._sandbox import GiB, Limits, MiB, PrivateTemp, SettingError, allowed_env, byte_size, env_name, limits_met
from assess.chaos.service import load_service_spec, request
from assess.chaos.session import Session, SessionConfig
from assess.cli import _params, _parser, main
from assess.collectors.coverage import collect_coverage
from assess.collectors.testrun import suite_env
from assess.model import Status
from tests.conftest import CALC_PROJECT, process_alive

GONE_WITHIN_S = 5.0

# --- the environment --------------------------------------------------------------------------

SOURCE_ENV = {
    "PATH": "/usr/bin", "HOME": "/home/u", "USER": "u", "LOGNAME": "u", "SHELL": "/bin/sh", "LANG": "C.UTF-8",
    "LANGUAGE": "en", "LC_ALL": "C.UTF-8", "LC_TIME": "C", "TZ": "UTC", "TERM": "xterm", "CI": "true",
    "NO_COLOR": "1", "TMPDIR": "/var/tmp", "AWS_SECRET_ACCESS_KEY": "x", "GITHUB_TOKEN": "x", "PYTHONPATH": "/x",
    "COVERAGE_FILE": "/x", "LD_PRELOAD": "/x.so", "MY_SETTING": "x", "ASSESS_GROUPS_DIR": "/x",
}  # fmt: skip
ALLOWED = {"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "LC_ALL", "LC_TIME", "TZ", "TERM", "CI",
           "NO_COLOR", "TMPDIR"}  # fmt: skip


@pytest.mark.parametrize(
    ("pass_env", "expected"),
    [
        ((), ALLOWED),
        (("MY_SETTING",), ALLOWED | {"MY_SETTING"}),
        (("MY_SETTING", "NOT_SET_ANYWHERE"), ALLOWED | {"MY_SETTING"}),
        (("COVERAGE_FILE", "ASSESS_GROUPS_DIR"), ALLOWED),  # steering variables: never, even when named
    ],
)
def test_the_target_sees_only_the_allowed_variables(pass_env: tuple[str, ...], expected: set[str]) -> None:
    env = allowed_env(pass_env, SOURCE_ENV)
    assert set(env) == expected
    assert all(env[name] == SOURCE_ENV[name] for name in env)


def test_the_test_environment_passes_exactly_the_named_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in SOURCE_ENV.items():
        monkeypatch.setenv(name, value)
    printed = tmp_path / "env.json"
    script = f"import json, os; open({str(printed)!r}, 'w').write(json.dumps(dict(os.environ)))"
    with PrivateTemp() as tmp:
        env = suite_env(Path(sys.executable), ("MY_SETTING",), tmp)
        result = run_bounded([sys.executable, "-c", script], cwd=tmp_path, env=env, timeout_s=30,
                             log_path=tmp_path / "log")  # fmt: skip
    seen = json.loads(printed.read_text())
    assert result.exit_code == 0
    assert set(seen) == ALLOWED | {"MY_SETTING", "PYTHONDONTWRITEBYTECODE", "TEMP", "TMP"}
    assert seen["MY_SETTING"] == "x" and seen["TMPDIR"] == seen["TEMP"] == str(tmp.path)
    assert seen["PATH"] == f"{Path(sys.executable).parent}{os.pathsep}/usr/bin"


def test_pass_env_and_limits_reach_the_run_parameters(tmp_path: Path) -> None:
    argv = ["run", str(tmp_path), "--pass-env", "MY_SETTING", "--pass-env", "OTHER", "--pass-env", "MY_SETTING",
            "--memory-limit", "512M", "--file-size-limit", "none"]  # fmt: skip
    params = _params(_parser().parse_args(argv))
    assert (params.pass_env, params.memory_limit, params.file_size_limit) == (("MY_SETTING", "OTHER"), 512 * MiB, None)
    defaults = _params(_parser().parse_args(["run", str(tmp_path)]))
    assert (defaults.pass_env, defaults.memory_limit, defaults.file_size_limit) == ((), 4 * GiB, GiB)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--pass-env", "A B"], "'A B' is not the name of an environment variable"),
        (["--pass-env", "COVERAGE_FILE"], "COVERAGE_FILE is set or removed by assess itself"),
        (["--pass-env", "TMPDIR"], "TMPDIR is set or removed by assess itself"),
        (["--memory-limit", "12Q"], "'12Q' is not a size"),
    ],
)
def test_bad_sandbox_options_are_usage_errors(tmp_path: Path, argv: list[str], message: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    with pytest.raises(SystemExit) as stop:
        main(["run", str(tmp_path), *argv])
    assert stop.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "size"),
    [("4G", 4 * GiB), ("4GiB", 4 * GiB), ("512m", 512 * MiB), ("1048576", MiB), ("64K", 64 << 10),
     ("0", None), ("none", None), ("unlimited", None)],
)  # fmt: skip
def test_sizes(text: str, size: int | None) -> None:
    assert byte_size(text) == size


def test_what_is_not_a_size_or_a_name_is_refused() -> None:
    for text in ("", "4X", "-1", "1.5G", "G"):
        with pytest.raises(SettingError):
            byte_size(text)
    with pytest.raises(SettingError):
        env_name("PYTHONDONTWRITEBYTECODE")


# --- processes that escape --------------------------------------------------------------------

DAEMON = """
import os, signal, socket, sys, time
info = sys.argv[1]
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:  # double fork into a session of its own: no group, no parent of ours
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        with open(info + ".tmp", "w") as fh:
            fh.write(f"{os.getpid()} {sock.getsockname()[1]}")
        os.rename(info + ".tmp", info)
        while True:
            with open(info + ".beat", "a") as fh:
                fh.write(".")
            time.sleep(0.05)
    os._exit(0)
os.wait()
while not os.path.exists(info):
    time.sleep(0.01)
"""
"""A command whose daemon double-forks, calls setsid(), ignores SIGTERM, listens on a loopback port and
writes a heartbeat; ``argv[1]`` gets "pid port" once it runs. The command itself returns at once."""


def _daemon(info: Path) -> tuple[int, int]:
    deadline = time.monotonic() + 10
    while not info.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    pid, port = info.read_text().split()
    return int(pid), int(port)


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _gone(pid: int, port: int) -> bool:
    """Whether the daemon has ended (its process and its listening socket) within the bound."""
    deadline = time.monotonic() + GONE_WITHIN_S
    while (process_alive(pid) or _answers(port)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not process_alive(pid) and not _answers(port)


def _kill_daemon(info: Path) -> None:
    """SIGKILL the daemon that wrote ``info`` if it still runs: only a process whose command line names
    ``info``, never another that was given its id since."""
    with contextlib.suppress(OSError, ValueError):
        pid = _daemon(info)[0]
        if str(info).encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def daemons() -> Iterator[list[Path]]:
    """Info files of daemons a test starts; any still running at the end is killed (the code before the
    reaper left them running)."""
    infos: list[Path] = []
    yield infos
    for info in infos:
        _kill_daemon(info)


def test_a_daemon_that_left_the_session_ends_with_its_command(tmp_path: Path, daemons: list[Path]) -> None:
    daemons.append(info := tmp_path / "daemon")
    script = DAEMON + "sys.exit(3)\n"
    result = run_bounded([sys.executable, "-c", script, str(info)], cwd=tmp_path, env=dict(os.environ), timeout_s=30,
                         log_path=tmp_path / "log")  # fmt: skip
    assert result.exit_code == 3, "the exit code is the command's, not the reaper's"
    assert result.strays == 1
    pid, port = _daemon(info)
    assert _gone(pid, port)
    beats = (info.with_name("daemon.beat")).stat().st_size
    time.sleep(0.2)
    assert info.with_name("daemon.beat").stat().st_size == beats, "the heartbeat stopped"


def test_a_daemon_of_a_command_over_its_time_limit_is_killed(tmp_path: Path, daemons: list[Path]) -> None:
    daemons.append(info := tmp_path / "daemon")
    script = DAEMON + "time.sleep(600)\n"
    started = time.monotonic()
    result = run_bounded([sys.executable, "-c", script, str(info)], cwd=tmp_path, env=dict(os.environ), timeout_s=1,
                         log_path=tmp_path / "log")  # fmt: skip
    assert result.timed_out and time.monotonic() - started < _proc.KILL_GRACE_S + 5
    assert _gone(*_daemon(info))


def _run_in_thread(tmp_path: Path, info: Path) -> tuple[threading.Thread, list[_proc.ProcResult]]:
    results: list[_proc.ProcResult] = []
    script = DAEMON + "time.sleep(600)\n"
    worker = threading.Thread(target=lambda: results.append(run_bounded(
        [sys.executable, "-c", script, str(info)], cwd=tmp_path, env=dict(os.environ), timeout_s=600,
        log_path=tmp_path / "log")))  # fmt: skip
    worker.start()
    _daemon(info)
    return worker, results


def test_an_interrupt_ends_the_daemons_too(tmp_path: Path, daemons: list[Path]) -> None:
    """What Ctrl-C does in the process that started the command (``kill_active_groups``)."""
    daemons.append(info := tmp_path / "daemon")
    worker, results = _run_in_thread(tmp_path, info)
    assert kill_active_groups() == 1
    worker.join(timeout=15)
    assert not worker.is_alive() and results[0].exit_code == -signal.SIGKILL
    assert _gone(*_daemon(info))


def test_killing_a_recorded_group_ends_the_daemons_too(tmp_path: Path, daemons: list[Path],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """What an interrupted pipeline does, from another process, to the commands its kernels started."""
    groups = tmp_path / "groups"
    monkeypatch.setenv(_proc.GROUPS_DIR_ENV, str(groups))
    daemons.append(info := tmp_path / "daemon")
    worker, _ = _run_in_thread(tmp_path, info)
    assert kill_recorded_groups(groups) == 1
    worker.join(timeout=15)
    assert not worker.is_alive()
    assert _gone(*_daemon(info))


# --- resource limits --------------------------------------------------------------------------

LIMITS_SEEN = (
    "import resource as r\nprint([r.getrlimit(getattr(r, 'RLIMIT_' + n)) for n in ('DATA', 'FSIZE', 'CORE')])\n"
)


def test_the_command_has_its_limits_soft_and_hard(tmp_path: Path) -> None:
    limits = Limits(memory=512 * MiB, file_size=8 * MiB)
    run_bounded([sys.executable, "-c", LIMITS_SEEN], cwd=tmp_path, env=dict(os.environ), timeout_s=30,
                log_path=tmp_path / "log", limits=limits)  # fmt: skip
    assert (tmp_path / "log").read_text().strip() == str([(512 * MiB,) * 2, (8 * MiB,) * 2, (0, 0)])


@pytest.mark.parametrize(
    ("script", "limits", "sign"),
    [
        ("open('big', 'wb').write(b'x' * (2 << 20))", Limits(file_size=MiB), "File too large"),
        ("x = bytearray(512 << 20)", Limits(memory=128 * MiB), "MemoryError"),
    ],
)
def test_a_command_that_meets_a_limit_fails_and_says_so(tmp_path: Path, script: str, limits: Limits,
                                                        sign: str) -> None:  # fmt: skip
    started = time.monotonic()
    result = run_bounded([sys.executable, "-c", script], cwd=tmp_path, env=dict(os.environ), timeout_s=30,
                         log_path=tmp_path / "log", limits=limits)  # fmt: skip
    assert result.exit_code == 1 and time.monotonic() - started < 10
    output = (tmp_path / "log").read_text()
    assert sign in output
    (met,) = limits_met(output, limits)
    assert f"the output says {sign!r}" in met
    assert not (tmp_path / "big").exists() or (tmp_path / "big").stat().st_size == MiB


def test_the_private_temporary_folder_is_measured_and_removed_whatever_its_permissions(tmp_path: Path) -> None:
    with PrivateTemp() as tmp:
        (tmp.path / "locked").mkdir()
        (tmp.path / "locked" / "data").write_bytes(b"x" * 100_000)
        (tmp.path / "locked").chmod(0o500)
        (tmp.path / "link").symlink_to(tmp_path)  # never followed: tmp_path is not measured nor removed
        tmp.path.chmod(0o000)
    assert tmp.size is not None and 100_000 <= tmp.size < 200_000
    assert not tmp.path.exists() and tmp_path.exists()


def test_a_private_temporary_folder_replaced_by_a_link_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "keep").write_text("x")
    with PrivateTemp() as tmp:
        tmp.path.rmdir()
        tmp.path.symlink_to(tmp_path)
    assert tmp.size is None and not tmp.path.is_symlink()
    assert (tmp_path / "keep").read_text() == "x"


# --- the test run, through the coverage collector (slow) --------------------------------------


def _suite(body: str) -> dict[str, str | bytes]:
    return {**CALC_PROJECT, "tests/test_sandbox.py": "import json, os, sys, tempfile, time\n\n" + body}


@pytest.mark.slow
def test_a_test_that_daemonizes_leaves_nothing_running(make_repo, make_ctx, tmp_path: Path,
                                                       daemons: list[Path]) -> None:  # fmt: skip
    daemons.append(info := tmp_path / "daemon")
    body = "def test_daemon():\n    import subprocess\n" + (
        f"    subprocess.run([sys.executable, '-c', {DAEMON!r}, {str(info)!r}], check=True)\n"
    )
    ev = collect_coverage(make_ctx(make_repo(_suite(body)), timeout_s=60))
    assert _gone(*_daemon(info))
    run = ev.data.test_run  # type: ignore[union-attr]
    assert ev.status is Status.OK and run is not None and run.exit_code == 0, ev.reason
    assert run.sandbox is not None and run.sandbox.strays_killed == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    ("body", "params", "sign"),
    [
        ("def test_big(tmp_path):\n    (tmp_path / 'big').write_bytes(b'x' * (4 << 20))\n",
         {"file_size_limit": 2 * MiB}, "File too large"),
        ("def test_hungry():\n    x = bytearray(1 << 30)\n", {"memory_limit": 384 * MiB}, "MemoryError"),
    ],
    ids=["file-size", "memory"],
)  # fmt: skip
def test_a_suite_that_meets_a_limit_is_bounded_and_the_evidence_says_so(
    make_repo, make_ctx, body: str, params: dict[str, int], sign: str
) -> None:
    started = time.monotonic()
    ev = collect_coverage(make_ctx(make_repo(_suite(body)), timeout_s=60, **params))
    assert time.monotonic() - started < 60
    run = ev.data.test_run  # type: ignore[union-attr]
    assert ev.status is Status.OK and run is not None and run.exit_code == 1, ev.reason
    assert sign in run.output_tail
    assert any(f"the output says {sign!r}" in w for w in ev.warnings), ev.warnings
    assert run.sandbox is not None
    limit = params.get("memory_limit") or params["file_size_limit"]
    assert limit in (run.sandbox.memory_limit, run.sandbox.file_size_limit)


@pytest.mark.slow
def test_the_suite_gets_a_private_temporary_folder_removed_afterwards(make_repo, make_ctx, tmp_path: Path) -> None:
    seen = tmp_path / "seen.json"
    body = (
        "def test_tmp():\n"
        "    with open(os.path.join(tempfile.gettempdir(), 'left'), 'wb') as fh:\n"
        "        fh.write(b'x' * 300_000)\n"
        f"    open({str(seen)!r}, 'w').write(json.dumps([tempfile.gettempdir(), os.environ.get('TMPDIR')]))\n"
    )
    ev = collect_coverage(make_ctx(make_repo(_suite(body)), timeout_s=60))
    assert ev.status is Status.OK, ev.reason
    gettempdir, tmpdir = json.loads(seen.read_text())
    assert gettempdir == tmpdir and Path(tmpdir).name.startswith("assess-tmp-")
    assert not Path(tmpdir).exists(), "removed after the run"
    sandbox = ev.data.test_run.sandbox  # type: ignore[union-attr]
    assert sandbox is not None and sandbox.temp_bytes is not None and sandbox.temp_bytes >= 300_000
    assert "TMPDIR" in sandbox.environment and "AWS_SECRET_ACCESS_KEY" not in sandbox.environment


# --- the chaos service ------------------------------------------------------------------------

SERVICE = """
import json, os, signal, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

port, info = int(sys.argv[1]), sys.argv[2]
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:  # a daemon in a session of its own, serving on a port of its own
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        with open(info + ".tmp", "w") as fh:
            fh.write(f"{os.getpid()} {server.server_address[1]}")
        os.rename(info + ".tmp", info)
        server.serve_forever()
    os._exit(0)
os.wait()
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""
SERVICE_CONFIG = '[tool.assess.chaos]\ncommand = ["{python}", "service.py", "{port}", "{data_dir}/daemon"]\n'


def _service_target(root: Path) -> Path:
    root.mkdir()
    (root / "service.py").write_text(SERVICE)
    (root / "pyproject.toml").write_text(SERVICE_CONFIG)
    return root


def test_the_service_daemon_ends_with_the_service(tmp_path: Path, daemons: list[Path]) -> None:
    target = _service_target(tmp_path / "t")
    spec = load_service_spec(target)
    assert spec is not None
    for name in ("data", "logs"):
        (tmp_path / name).mkdir()
    from assess.chaos.service import free_port

    config = SessionConfig(spec, str(target), sys.executable, free_port(), str(tmp_path / "data"),
                           str(tmp_path / "logs"), str(tmp_path / "pids"))  # fmt: skip
    session = Session(config)
    daemons.append(info := tmp_path / "data" / "daemon")
    try:
        pid = session.start()
        assert session.wait_healthy() and os.getsid(pid) == pid
        daemon_pid, daemon_port = _daemon(info)
        assert request(daemon_port, "GET", "/").ok, "the daemon serves"
        session.send(signal.SIGKILL, group=True)  # the process-crash experiment's fault
        assert session.wait_exit(5.0) == -signal.SIGKILL, "the exit status is the service's"
        assert _gone(daemon_pid, daemon_port)
        info.unlink()
        session.start()  # a restart, then the end of the experiment
        assert session.wait_healthy()
        daemon_pid, daemon_port = _daemon(info)
    finally:
        session.stop()
    assert _gone(daemon_pid, daemon_port)


@pytest.mark.slow
def test_after_assess_chaos_run_no_daemon_answers(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  daemons: list[Path]) -> None:  # fmt: skip
    target = _service_target(tmp_path / "t")
    code = main(["chaos", "run", str(target), "--out", str(tmp_path / "o"), "--experiment", "network-latency"])
    out_dir = Path(capsys.readouterr().out.strip().splitlines()[-1])
    daemons.extend(sorted(out_dir.glob("chaos/*/data/daemon")))
    assert code in (0, 1)
    # The smoke test's service and the experiment's each started one.
    assert [p.parent.parent.name for p in daemons] == ["network-latency-1", "smoke-test"]
    assert all(_gone(*_daemon(info)) for info in daemons)


# --- no environment value reaches an output (slow: a whole run) -------------------------------

LEAKY_TESTS = """
import os, sys


def test_prints_its_environment():
    text = "\\n".join(f"{k}={v}" for k, v in sorted(os.environ.items()))
    print(text)
    print(text, file=sys.stderr)


def test_fails_with_its_environment():
    assert not os.environ, dict(os.environ)
"""


@pytest.mark.slow
def test_no_environment_value_reaches_any_output(make_repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capfd: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    canary, aws = f"s3cr3t-{secrets.token_hex(8)}", f"aws-{secrets.token_hex(8)}"
    monkeypatch.setenv("ASSESS_TEST_CANARY_TOKEN", canary + "((")  # an invalid regex: coverage.py quotes it
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", aws)
    monkeypatch.setenv("LC_ASSESS_TEST", "visible-locale")  # allowed: shows that the tests' output is kept
    pyproject = (
        '[project]\nname = "calc"\nversion = "0"\n\n[tool.coverage.report]\n'
        'exclude_lines = ["pragma: no cover", "never-${ASSESS_TEST_CANARY_TOKEN}"]\n'
    )
    repo = make_repo({**CALC_PROJECT, "pyproject.toml": pyproject, "tests/test_leaky.py": LEAKY_TESTS})
    code = main(["run", str(repo), "--no-chaos", "--test-command", "python -m pytest -s", "--out", str(tmp_path / "o")])
    captured = capfd.readouterr()
    run_dir = Path(captured.out.strip().splitlines()[-1])
    files = [p for p in run_dir.rglob("*") if p.is_file() and not p.is_symlink()]
    assert len(files) > 20 and any(p.suffix == ".ipynb" for p in files)
    for secret in (canary, aws):
        assert secret not in captured.out + captured.err, f"{secret[:6]}... is in the command's output"
        leaks = [str(p.relative_to(run_dir)) for p in files if secret.encode() in p.read_bytes()]
        assert leaks == [], f"{secret[:6]}... is in {leaks}"
    assert code == 0, captured.err
    assert b"LC_ASSESS_TEST=visible-locale" in (run_dir / "raw" / "coverage" / "test-output.log").read_bytes()
