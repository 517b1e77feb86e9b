"""Running the bundled experiments: the target's service config, the session, the runner, the CLI.

The fast tests check the config and the process rules; the slow ones run real ``chaos run``
executions against the sample service and against a toy service built in tmp_path.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assess import _proc
from assess.chaos.ingest import parse_journal
from assess.chaos.runner import bundled_experiments, requirements, run_chaos, run_one
from assess.chaos.service import ChaosConfigError, WriteSpec, fill_body, load_service_spec, request
from assess.chaos.session import Session, SessionConfig, kill_recorded
from assess.cli import EXIT_STAGE_ERRORS, EXIT_USAGE, main
from assess.cli_chaos import EXIT_CHAOS_FAILED
from assess.collectors import CollectContext
from assess.collectors.chaos import collect_chaos, run_own_experiments
from assess.model import RunParameters, Status
from assess.model.chaos import ChaosResult
from assess.paths import sample_target

TOY = Path(__file__).parent / "fixtures" / "chaos_service" / "toy.py"
TOY_CONFIG = """
[tool.assess.chaos]
command = ["{{python}}", "toy.py", "--port", "{{port}}", "--data", "{{data_dir}}"{flags}]
health = "/health"
startup_timeout_s = {startup}
write = {{ path = "/items", body = {{ n = "{{n}}" }} }}
read = "/items/{{id}}"
slow = "/slow?ms={{ms}}"
"""


def toy_target(root: Path, *flags: str, startup: float = 10) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(TOY, root / "toy.py")
    extra = "".join(f', "{f}"' for f in flags)
    (root / "pyproject.toml").write_text(TOY_CONFIG.format(flags=extra, startup=startup), encoding="utf-8")
    return root


def write_config(root: Path, text: str, name: str = "pyproject.toml") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(text, encoding="utf-8")
    return root


# --- the target's config ----------------------------------------------------------------------


def test_the_sample_declares_its_service() -> None:
    spec = load_service_spec(sample_target())
    assert spec is not None
    assert spec.source == "pyproject.toml [tool.assess.chaos]"
    assert "{port}" in spec.command and spec.health == "/health"
    assert spec.write == WriteSpec(path="/tasks", body={"title": "chaos record {n}"})
    assert spec.read == "/tasks/{id}" and spec.slow == "/tasks?slow_ms={ms}"


def test_no_config_means_no_service(tmp_path: Path) -> None:
    write_config(tmp_path, "[project]\nname = 'x'\n")
    assert load_service_spec(tmp_path) is None


def test_assess_toml_comes_first(tmp_path: Path) -> None:
    write_config(tmp_path, '[tool.assess.chaos]\ncommand = ["a", "{port}"]\n')
    write_config(tmp_path, '[chaos]\ncommand = ["b", "{port}"]\nhealth = "/healthz"\n', "assess.toml")
    spec = load_service_spec(tmp_path)
    assert spec is not None and spec.command == ("b", "{port}") and spec.source == "assess.toml [chaos]"


BAD_CONFIGS = [
    ('command = "python -m app"', "command must be a non-empty list of strings"),
    ('command = ["python", "-m", "app"]', "command must pass {port}"),
    ('command = ["app", "{port}", "{secret}"]', "unknown placeholder"),
    ('command = ["app", "{port"]', "bad braces"),
    ('command = ["app", "{port}"]\nhealth = "health"', "health must be a path starting with '/'"),
    ('command = ["app", "{port}"]\nread = "/items/{ident}"', "read: unknown placeholder"),
    ('command = ["app", "{port}"]\nwrite = { path = "/x", method = "GET" }', "write.method must be POST or PUT"),
    ('command = ["app", "{port}"]\nwrite = { path = "/x", verb = "POST" }', "write: unknown key(s) verb"),
    ('command = ["app", "{port}"]\nstartup_timeout_s = 0', "startup_timeout_s must be a number"),
    ('command = ["app", "{port}"]\nenv = { A = 1 }', "env must be a table of strings"),
    ('command = ["app", "{port}"]\nhealthcheck = "/h"', "unknown key(s) healthcheck"),
]


@pytest.mark.parametrize(("body", "message"), BAD_CONFIGS)
def test_bad_config_is_one_clear_line(tmp_path: Path, body: str, message: str) -> None:
    write_config(tmp_path, f"[tool.assess.chaos]\n{body}\n")
    with pytest.raises(ChaosConfigError) as err:
        load_service_spec(tmp_path)
    assert str(err.value).startswith("pyproject.toml [tool.assess.chaos]: ")
    assert message in str(err.value)


def test_unreadable_toml_names_the_file(tmp_path: Path) -> None:
    write_config(tmp_path, "[tool.assess.chaos\n")
    with pytest.raises(ChaosConfigError, match=r"^pyproject.toml: cannot be read"):
        load_service_spec(tmp_path)


def test_spec_survives_the_session_file(tmp_path: Path) -> None:
    spec = load_service_spec(sample_target())
    assert spec is not None
    config = SessionConfig(spec, "/t", "/py", 1234, "/d", "/l", "/p", dependency_port=4321)
    config.write(tmp_path / "s.json")
    again = SessionConfig.read(tmp_path / "s.json")
    assert again == config
    assert again.command() == [
        "/py", "-m", "taskstore", "--host", "127.0.0.1", "--port", "1234", "--db", "/d/tasks.db",
        "--webhook-url", "http://127.0.0.1:4321/assess-dependency", "--rate-limit", "0",
    ]  # fmt: skip


def test_fill_body_replaces_n_everywhere() -> None:
    assert fill_body({"a": "x{n}", "b": ["{n}", 3], "c": None}, 7) == {"a": "x7", "b": ["7", 3], "c": None}


@pytest.mark.parametrize("host", ["10.0.0.1", "example.com", "0.0.0.0", "localhost.example"])
def test_requests_stay_on_loopback(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        request(80, "GET", "/", host=host)


def test_every_bundled_experiment_is_valid_chaos_toolkit() -> None:
    from chaoslib.experiment import ensure_experiment_is_valid  # type: ignore[import-untyped]
    from chaoslib.loader import load_experiment  # type: ignore[import-untyped]

    names = bundled_experiments()
    assert set(names) == {
        "process-crash", "graceful-termination", "network-latency", "connection-failure", "disk-exhaustion",
        "memory-pressure", "dependency-outage",
    }  # fmt: skip
    for name, path in names.items():
        experiment = load_experiment(str(path))
        ensure_experiment_is_valid(experiment)
        assert experiment["tags"][0] in {
            "process-crash", "graceful-termination", "network-latency", "network-partition", "disk-exhaustion",
            "memory-pressure", "dependency-outage",
        }, name  # fmt: skip
        assert set(requirements(path)) <= {"write", "read", "slow", "dependency"}


# --- the session: only our own processes ------------------------------------------------------


def _session(tmp_path: Path, *flags: str) -> Session:
    target = toy_target(tmp_path / "toy", *flags)
    spec = load_service_spec(target)
    assert spec is not None
    (tmp_path / "data").mkdir()
    (tmp_path / "logs").mkdir()
    config = SessionConfig(spec, str(target), sys.executable, _free_port(), str(tmp_path / "data"),
                           str(tmp_path / "logs"), str(tmp_path / "pids"))  # fmt: skip
    return Session(config)


def _free_port() -> int:
    from assess.chaos.service import free_port

    return free_port()


def _gone(pid: int, wait_s: float = 3.0) -> bool:
    """Whether ``pid`` is dead (or a zombie nobody reaped yet) within ``wait_s``: a kill is not instant."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state == "Z":
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def test_session_starts_checks_and_stops_its_service(tmp_path: Path) -> None:
    session = _session(tmp_path, "--drain")
    pid = session.start()
    try:
        assert session.wait_healthy()
        assert os.getsid(pid) == pid, "the service leads its own session"
        assert (tmp_path / "pids").read_text().split() == [str(pid)]
        assert session.healthy()
    finally:
        session.stop()
    assert not session.alive() and session.proc is not None and session.proc.returncode == 0


def test_a_service_that_ignores_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    session = _session(tmp_path, "--ignore-term")
    session.start()
    assert session.wait_healthy()
    started = time.monotonic()
    session.stop(grace_s=0.5)
    assert time.monotonic() - started < 5
    assert session.proc is not None and session.proc.returncode == -signal.SIGKILL


def test_kill_recorded_touches_only_session_leaders(tmp_path: Path) -> None:
    ours = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    not_a_leader = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "pids").write_text(f"{ours.pid}\n{not_a_leader.pid}\nnot-a-pid\n999999999\n")
        assert kill_recorded(tmp_path / "pids") == 1
        assert ours.wait(5) == -signal.SIGKILL
        assert not_a_leader.poll() is None, "a pid that does not lead its own session is left alone"
    finally:
        not_a_leader.kill()
        not_a_leader.wait()
    assert kill_recorded(tmp_path / "missing") == 0


# --- a service that prints without end -------------------------------------------------------

FLOOD = """
import runpy, sys, threading, time

def flood():  # about 6 MB/s, without end
    line = b"flood " * 1000 + b"\\n"
    while True:
        for _ in range(10):
            sys.stdout.buffer.write(line)
        sys.stdout.flush()
        time.sleep(0.01)

threading.Thread(target=flood, daemon=True).start()
sys.argv[0] = "toy.py"
runpy.run_path("toy.py", run_name="__main__")
"""
FLOOD_CONFIG = TOY_CONFIG.replace('"toy.py"', '"flood.py"')
SMALL_HEAD, SMALL_TAIL = 64 * 1024, 16 * 1024
"""Log caps patched in for the flood tests, so that a few seconds of output overflow them."""


def flood_target(root: Path) -> Path:
    """The toy service, with a thread printing to its stdout without end."""
    toy_target(root)
    (root / "flood.py").write_text(FLOOD, encoding="utf-8")
    (root / "pyproject.toml").write_text(FLOOD_CONFIG.format(flags="", startup=10), encoding="utf-8")
    return root


def _small_log_caps(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Patch the log caps here and, through a ``sitecustomize`` on PYTHONPATH, in the ``chaos run`` subprocesses."""
    monkeypatch.setattr(_proc, "MAX_LOG_HEAD_BYTES", SMALL_HEAD)
    monkeypatch.setattr(_proc, "MAX_LOG_TAIL_BYTES", SMALL_TAIL)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        f"import assess._proc as p\np.MAX_LOG_HEAD_BYTES, p.MAX_LOG_TAIL_BYTES = {SMALL_HEAD}, {SMALL_TAIL}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])))


def _bounded_log(log: Path) -> bool:
    """Whether ``log`` holds at most the kept head and tail (and the line saying what was left out)."""
    return log.stat().st_size <= SMALL_HEAD + SMALL_TAIL + 200


def _cut(log: Path) -> bool:
    """Whether ``log`` says it left output out."""
    return b"bytes of output left out here]" in log.read_bytes()


def test_a_flooding_service_has_a_bounded_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _small_log_caps(monkeypatch, tmp_path)
    target = flood_target(tmp_path / "toy")
    spec = load_service_spec(target)
    assert spec is not None
    (tmp_path / "data").mkdir()
    (tmp_path / "logs").mkdir()
    session = Session(SessionConfig(spec, str(target), sys.executable, _free_port(), str(tmp_path / "data"),
                                    str(tmp_path / "logs"), str(tmp_path / "pids")))  # fmt: skip
    log = tmp_path / "logs" / "service-1.log"
    session.start()
    try:
        assert session.wait_healthy()
        deadline = time.monotonic() + 20
        while log.stat().st_size < SMALL_HEAD and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # about 3 MB more: past the head and the tail
        assert log.stat().st_size <= SMALL_HEAD, "while it runs, the log holds the head only"
        assert session.healthy(), "a service whose output is cut is still drained, so it keeps serving"
    finally:
        session.stop()
    assert _bounded_log(log) and _cut(log)
    assert "flood flood" in session.log_tail()  # once it stopped, the log ends with its last output


@pytest.mark.slow
def test_an_experiment_on_a_flooding_service_completes_with_bounded_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_log_caps(monkeypatch, tmp_path)
    target = flood_target(tmp_path / "toy")
    spec = load_service_spec(target)
    assert spec is not None
    run = run_chaos(target, spec, tmp_path / "out", only=["process-crash"], timeout_s=60)
    assert run.error is None and [(one.name, one.message) for one in run.runs] == [("process-crash", None)]
    (result,) = _results(run)
    assert (result.successes, result.inconclusive, result.data_loss) == (1, False, 0), result.outcome_reason
    logs = sorted((tmp_path / "out").glob("*/logs/service-*.log"))
    # The smoke test's start, the experiment's and the restart after the kill.
    assert [log.relative_to(tmp_path / "out").as_posix() for log in logs] == [
        "process-crash-1/logs/service-1.log", "process-crash-1/logs/service-2.log", "smoke-test/logs/service-1.log",
    ]  # fmt: skip
    assert all(_bounded_log(log) for log in logs), [log.stat().st_size for log in logs]
    assert all(_cut(log) for log in logs[:2])  # the experiment's services printed well past the caps
    for pids in (tmp_path / "out").glob("*/pids"):
        assert all(_gone(int(pid)) for pid in pids.read_text().split())


# --- real chaos runs --------------------------------------------------------------------------


def _outcomes(run_dir: Path, results: list[ChaosResult]) -> dict[str, str]:
    return {
        r.source.split("/")[-2]: "inconclusive" if r.inconclusive else ("held" if r.successes == r.trials else "failed")
        for r in results
    }


def _results(run) -> list[ChaosResult]:  # type: ignore[no-untyped-def]
    return [parse_journal(str(one.journal), one.journal.read_text()) for one in run.runs if one.journal]


@pytest.mark.slow
def test_sample_gives_the_same_outcomes_on_repeated_runs(tmp_path: Path) -> None:
    spec = load_service_spec(sample_target())
    assert spec is not None
    outcomes = []
    for attempt in (1, 2):
        run = run_chaos(sample_target(), spec, tmp_path / f"run{attempt}")
        assert run.error is None and not run.skipped
        assert all(one.journal is not None and one.message is None for one in run.runs)
        results = _results(run)
        outcomes.append(_outcomes(tmp_path, results))
        by_name = {r.source.split("/")[-2]: r for r in results}
        crash = by_name["process-crash-1"]
        assert crash.data_loss == 0 and len(crash.recovery_times_s) == 1
        assert crash.measurements["write-records.acknowledged"] == 20
        term = by_name["graceful-termination-1"]
        # No SIGTERM handler: the default action kills it mid-request.
        assert term.measurements["sigterm-during-requests.exit_code"] == -signal.SIGTERM
        assert term.measurements["sigterm-during-requests.completed"] == 0
        disk = by_name["disk-exhaustion-1"]
        assert disk.measurements["write-while-full.refused"] > 0, "the file-size limit made writes fail"
        assert disk.data_loss == 0
        assert by_name["network-latency-1"].measurements["requests-through-latency.p95_s"] >= 0.5
        outage = by_name["dependency-outage-1"]
        # The webhook call has no timeout: calls hung in the outage hold every slot, later events drop.
        assert outage.measurements["baseline-calls.received"] == 3
        assert outage.measurements["calls-after-outage.received"] == 0
    assert (
        outcomes[0]
        == outcomes[1]
        == {
            "connection-failure-1": "held",
            "dependency-outage-1": "failed",
            "disk-exhaustion-1": "held",
            "graceful-termination-1": "failed",
            "memory-pressure-1": "held",
            "network-latency-1": "held",
            "process-crash-1": "held",
        }
    )
    # Every service the runs started is gone.
    for pids in tmp_path.glob("run*/*/pids"):
        assert all(_gone(int(pid)) for pid in pids.read_text().split())


@pytest.mark.slow
@pytest.mark.parametrize(("flags", "exit_code"), [(("--drain",), 0), (("--drain", "--reraise"), -signal.SIGTERM)])
def test_a_draining_service_passes_graceful_termination(tmp_path: Path, flags: tuple[str, ...], exit_code: int) -> None:
    target = toy_target(tmp_path / "toy", *flags)
    spec = load_service_spec(target)
    assert spec is not None
    run = run_chaos(target, spec, tmp_path / "out", only=["graceful-termination", "process-crash"])
    results = {r.source.split("/")[-2]: r for r in _results(run)}
    term = results["graceful-termination-1"]
    assert (term.successes, term.inconclusive) == (1, False), term.outcome_reason
    assert term.measurements["sigterm-during-requests.completed"] == 3
    assert term.measurements["sigterm-during-requests.exit_code"] == exit_code
    assert results["process-crash-1"].data_loss == 0


@pytest.mark.slow
def test_a_dependency_call_with_a_timeout_recovers_after_the_outage(tmp_path: Path) -> None:
    target = toy_target(tmp_path / "toy", "--hook", "{dependency_url}")
    spec = load_service_spec(target)
    assert spec is not None and spec.uses_dependency
    run = run_chaos(target, spec, tmp_path / "out", only=["dependency-outage"])
    (result,) = _results(run)
    assert (result.successes, result.inconclusive) == (1, False), result.outcome_reason
    assert result.measurements["calls-after-outage.received"] == 5
    assert len(result.recovery_times_s) == 1


@pytest.mark.slow
def test_a_service_that_never_calls_its_dependency_tested_nothing(tmp_path: Path) -> None:
    target = toy_target(tmp_path / "toy", "--hook-unused", "{dependency_url}")
    spec = load_service_spec(target)
    assert spec is not None
    (result,) = _results(run_chaos(target, spec, tmp_path / "out", only=["dependency-outage"]))
    assert result.inconclusive and result.successes == 0
    assert result.outcome_reason == "activity 'baseline-calls' found nothing to test, so nothing was tested"


@pytest.mark.slow
def test_a_service_that_never_gets_healthy_stops_the_run_with_its_output(tmp_path: Path) -> None:
    target = toy_target(tmp_path / "toy", "--sick", startup=1)
    spec = load_service_spec(target)
    assert spec is not None
    run = run_chaos(target, spec, tmp_path / "out")
    assert run.runs == ()
    assert run.error is not None and "was not healthy within 1 s at GET /health" in run.error
    assert "listening" in run.error
    pids = (tmp_path / "out" / "smoke-test" / "pids").read_text().split()
    assert all(_gone(int(p)) for p in pids)


@pytest.mark.slow
def test_a_service_that_exits_at_once_is_reported(tmp_path: Path) -> None:
    target = write_config(
        tmp_path / "t",
        '[tool.assess.chaos]\ncommand = ["{python}", "-c", "import sys; print(\'no db\'); sys.exit(3)", "{port}"]\n',
    )
    spec = load_service_spec(target)
    assert spec is not None
    run = run_chaos(target, spec, tmp_path / "out")
    assert run.error is not None and "exited" in run.error and "no db" in run.error


@pytest.mark.slow
def test_an_experiment_over_its_time_limit_is_killed_with_its_service(tmp_path: Path) -> None:
    target = toy_target(tmp_path / "toy", "--ignore-term")
    spec = load_service_spec(target)
    assert spec is not None
    work = tmp_path / "work"
    work.mkdir()
    started = time.monotonic()
    # SIGTERM is ignored, so the experiment would wait its 10 s grace: the 4 s limit comes first.
    journal, message = run_one(bundled_experiments()["graceful-termination"], spec, target, sys.executable, work, 4.0)
    assert time.monotonic() - started < 15
    assert journal is None and message == "chaos run exceeded 4 s and was killed"
    pids = (work / "pids").read_text().split()
    assert pids and all(_gone(int(p)) for p in pids)


# --- the collector and the command line -------------------------------------------------------


def _ctx(target: Path, run_dir: Path, **params: object) -> CollectContext:
    return CollectContext(params=RunParameters(target=str(target), **params), run_dir=run_dir)


def test_collector_runs_nothing_when_told_not_to(tmp_path: Path) -> None:
    target = toy_target(tmp_path / "toy")
    assert run_own_experiments(_ctx(target, tmp_path / "r", chaos=False)).note == (
        "the bundled experiments were not run (--no-chaos)"
    )
    assert run_own_experiments(_ctx(target, tmp_path / "r", no_tests=True)).note == (
        "the bundled experiments were not run (--no-tests)"
    )
    assert not (tmp_path / "r" / "raw" / "chaos").exists()


def test_collector_reports_a_broken_config_as_an_error(tmp_path: Path) -> None:
    target = write_config(tmp_path / "t", '[tool.assess.chaos]\ncommand = ["app"]\n')
    evidence = collect_chaos(_ctx(target, tmp_path / "r"))
    assert evidence.status is Status.ERROR
    assert evidence.reason == (
        "chaos config: pyproject.toml [tool.assess.chaos]: command must pass {port} to the service"
        " (it listens where assess says)"
    )


@pytest.mark.slow
def test_collector_reads_its_own_journals_from_the_run_folder(tmp_path: Path) -> None:
    target = toy_target(tmp_path / "toy", "--drain")
    evidence = collect_chaos(_ctx(target, tmp_path / "run", chaos_experiments=("network-latency",), chaos_trials=2))
    assert evidence.status is Status.OK and evidence.data is not None
    results = evidence.data.results
    assert [(r.origin, r.source) for r in results] == [
        ("run", "raw/chaos/network-latency-1/journal.json"),
        ("run", "raw/chaos/network-latency-2/journal.json"),
    ]
    assert all((tmp_path / "run" / r.source).is_file() for r in results)
    assert evidence.tool_versions.keys() == {"chaostoolkit", "chaostoolkit-lib"}


def test_cli_chaos_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chaos", "list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in bundled_experiments())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--experiment", "nope"], "unknown chaos experiment(s) nope"),
        (["--trials", "0"], "between 1 and 20"),
        (["--command", "python app.py"], "--command must pass {port}"),
        (["--health", "health"], "--health must be a path"),
    ],
)
def test_cli_chaos_run_refuses_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    target = toy_target(tmp_path / "toy")
    assert main(["chaos", "run", str(target), "--out", str(tmp_path / "o"), *argv]) == EXIT_USAGE
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_chaos_run_without_a_service(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chaos", "run", str(tmp_path), "--out", str(tmp_path / "o")]) == EXIT_USAGE
    assert "declares no service" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_chaos_run_with_a_command_and_its_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "bare"
    target.mkdir()
    shutil.copy(TOY, target / "toy.py")
    command = f"{sys.executable} toy.py --port {{port}} --data {{data_dir}}"
    argv = ["chaos", "run", str(target), "--out", str(tmp_path / "o"), "--command", command]
    # Without write/read in a config, experiments that need them are skipped and said so.
    assert main([*argv, "--experiment", "network-latency", "--experiment", "process-crash"]) == 0
    captured = capsys.readouterr()
    out_dir = Path(captured.out.strip().splitlines()[-1])
    assert (out_dir / "chaos" / "network-latency-1" / "journal.json").is_file()
    assert "process-crash: needs write, read in --command" in captured.err
    # Without a slow path nothing is in flight, so a death by SIGTERM tells nothing: inconclusive, exit 1.
    assert main([*argv, "--experiment", "graceful-termination"]) == EXIT_CHAOS_FAILED
    assert "found nothing to test" in capsys.readouterr().err
    # A service that never gets healthy: exit 3 and why.
    sick = f"{command} --sick"
    assert main([*argv[:-1], sick, "--experiment", "network-latency"]) == EXIT_STAGE_ERRORS
    assert "was not healthy" in capsys.readouterr().err
    journal = json.loads((out_dir / "chaos" / "network-latency-1" / "journal.json").read_text())
    assert journal["status"] == "completed"


def test_collector_records_the_criteria_in_force(tmp_path: Path) -> None:
    target = write_config(tmp_path / "t", "[tool.assess.chaos.criteria.graceful-termination]\nmin_success_rate = 0.5\n")
    evidence = collect_chaos(_ctx(target, tmp_path / "r"))
    assert evidence.status is Status.SKIPPED and evidence.data is not None  # criteria alone: no service to run
    criteria = {c.family.value: c for c in evidence.data.criteria}
    assert criteria["graceful-termination"].min_success_rate == 0.5
    assert criteria["graceful-termination"].overridden == ("min_success_rate",)
    assert criteria["process-crash"].overridden == ()


def test_collector_reports_bad_criteria_and_keeps_the_defaults(tmp_path: Path) -> None:
    target = write_config(tmp_path / "t", "[tool.assess.chaos.criteria.crash]\nmin_success_rate = 0.5\n")
    evidence = collect_chaos(_ctx(target, tmp_path / "r"))
    assert evidence.status is Status.ERROR and evidence.data is not None
    assert evidence.reason is not None and evidence.reason.startswith(
        "chaos criteria: pyproject.toml [tool.assess.chaos.criteria]: [crash] is not a scenario family"
    )
    assert evidence.reason.endswith("the package's defaults apply")
    assert {c.family.value: c.min_success_rate for c in evidence.data.criteria}["process-crash"] == 0.95
