"""``assess run``: execute the collector notebooks with papermill, then the assessment notebook.

Notebooks run in notebook runner subprocesses (``assess._execute --serve``), each keeping its kernel
from one notebook to the next, with a time limit per notebook. Collectors
whose inputs are ready run side by side (two at a time: the machines we target have two cores).
A notebook that fails leaves an ``error`` evidence file saying why, and the run goes on.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import platform
import sys
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assess import __version__
from assess._execute import keep_notebook
from assess._files import read_bounded, remove_temporaries
from assess._proc import GROUPS_DIR_ENV, Supervised, kill_active_groups, kill_recorded_groups
from assess.collectors import error_evidence, load_builtin_collectors
from assess.collectors.listing import git_commit
from assess.model import RunInfo, RunParameters, StageResult, Status
from assess.model.io import ModelFileError, read_evidence, write_model
from assess.paths import notebooks_dir

ASSESSMENT = "assessment"
MAX_PARALLEL = 2
NOTEBOOK_OVERHEAD_S = 600.0
"""Time a notebook may take beyond the work it waits on (kernel start, imports, display)."""
STATIC_STAGE_TIMEOUT_S = 3600.0
RESULT_POLL_S = 0.05
"""How often a stage looks for its notebook's result file."""
SIGNAL_POLL_S = 0.25
"""The main thread waits for stages in steps this long: Python runs a signal's handler (Ctrl-C, SIGTERM) in
the main thread only, and a main thread blocked on a lock with no timeout never runs it when the kernel
delivers the signal to another thread (a runner's log drain, a stage's thread): the run would not stop."""
KILL_PASSES = 6
"""On an interrupt, how many times to look for process groups left by the kernels (half a second apart)."""

TOOLS = ("papermill", "nbclient", "ipykernel", "coverage", "radon", "lizard", "pandas", "plotly", "pydantic", "jinja2")


@dataclass(frozen=True)
class Stage:
    name: str
    depends_on: tuple[str, ...]
    timeout_s: float
    collects: bool
    """Whether the stage writes ``evidence/<name>.json``."""

    @property
    def notebook(self) -> str:
        return f"{self.name}.ipynb"


START_ORDER = ("coverage", "tests", "inventory", "complexity", "patterns", "chaos")
"""Which ready collector takes a free slot first. The target's test suite, usually the longest, and the
stage that reads its results are the run's critical path, so they go first; the static analysis (done
once, by whichever static stage starts first) runs beside them; the chaos experiments come after it, so
that less else competes for the cores while they measure latencies and recovery times."""


def plan(params: RunParameters) -> list[Stage]:
    """The stages of a run, collectors first (in ``START_ORDER``, then any others), the assessment last."""
    collectors = load_builtin_collectors()
    order = {kind: i for i, kind in enumerate(START_ORDER)}
    stages = [
        Stage(
            c.kind,
            c.depends_on,
            params.timeout_s + NOTEBOOK_OVERHEAD_S if c.kind == "coverage" else STATIC_STAGE_TIMEOUT_S,
            collects=True,
        )
        for c in sorted(collectors.values(), key=lambda c: order.get(c.kind, len(order)))
    ]
    stages.append(Stage(ASSESSMENT, tuple(collectors), STATIC_STAGE_TIMEOUT_S, collects=False))
    return stages


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def tool_versions() -> dict[str, str]:
    versions = {"assess": __version__, "python": platform.python_version()}
    for name in TOOLS:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[name] = importlib.metadata.version(name)
    return versions


def new_run_dir(out: Path, target: Path) -> Path:
    """A fresh folder under ``out`` named after the target and the time."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = out / f"{target.name or 'target'}-{stamp}"
    for n in range(1000):
        candidate = base if n == 0 else base.with_name(f"{base.name}-{n}")
        try:
            candidate.mkdir(parents=True)
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"cannot create a run folder under {out}")


Listener = Callable[[str, Stage, StageResult | None], None]


class Pipeline:
    """One run of assess on one target, in one run folder."""

    def __init__(self, params: RunParameters, run_dir: Path, listener: Listener | None = None) -> None:
        self.params = params
        self.run_dir = run_dir
        self._executors = _Executors(run_dir, _executor_env(self.groups_dir))
        weakref.finalize(self, self._executors.close)  # stages run one by one (run_stage) end their runners too
        self.listener = listener or (lambda event, stage, result: None)
        commit, dirty = git_commit(Path(params.target))
        self.info = RunInfo(
            assess_version=__version__,
            run_id=run_dir.name,
            target=params.target,
            target_name=Path(params.target).name,
            target_commit=commit,
            target_dirty=dirty,
            started_at=_now(),
            parameters=params,
            python=sys.executable,
            platform=platform.platform(),
            tool_versions=tool_versions(),
        )

    def close(self) -> None:
        """End the notebook runners kept between stages (``run`` does it when it ends)."""
        self._executors.close()

    @property
    def run_json(self) -> Path:
        return self.run_dir / "run.json"

    def _execute(self, stage: Stage) -> str | None:
        """Run the stage's notebook; None when it finished, else what went wrong.

        The runner writes the notebook to ``raw/notebooks/<stage>.partial.ipynb`` and moves it to
        ``notebooks/`` when it ends. A runner killed here (time limit, death, interrupt) leaves its last
        save, which is moved there only if it reads as a notebook: never a cut-off file.
        """
        request_path, result_path = self._write_request(stage)
        try:
            executor = self._executors.take()
        except OSError as err:
            return f"the notebook runner could not start ({err.strerror or err})"
        try:
            problem = executor.run(request_path, result_path, stage.timeout_s)
        except BaseException:  # an interrupt: stop the notebook now, keep its last whole save
            executor.kill()
            keep_notebook(self._partial_notebook(stage), self._notebook(stage))
            raise
        if problem is None:
            self._executors.give_back(executor)
            return self._read_result(result_path, executor)
        executor.kill()
        keep_notebook(self._partial_notebook(stage), self._notebook(stage))
        left = "" if self._notebook(stage).exists() else "; it left no readable notebook"
        return f"{problem}; see raw/notebooks/{executor.log_name}{left}"

    def _notebook(self, stage: Stage) -> Path:
        return self.run_dir / "notebooks" / stage.notebook

    @property
    def _work(self) -> Path:
        """Where the runners' requests, results, partial notebooks and logs go."""
        return self.run_dir / "raw" / "notebooks"

    def _partial_notebook(self, stage: Stage) -> Path:
        return self._work / f"{stage.name}.partial.ipynb"

    def _write_request(self, stage: Stage) -> tuple[Path, Path]:
        """Write the runner's request for ``stage``; returns (request file, result file to wait for).

        Files a previous execution of the stage left (its result, its notebook) are removed first.
        """
        work = self._work
        work.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "notebooks").mkdir(exist_ok=True)
        result_path = work / f"{stage.name}.result.json"
        request: dict[str, object] = {
            "input": str(notebooks_dir() / stage.notebook),
            "output": str(self._notebook(stage)),
            "partial": str(self._partial_notebook(stage)),
            "parameters": {
                "target": self.params.target,
                "run_dir": str(self.run_dir),
                "options": self.params.model_dump(mode="json", exclude={"target"}),
            },
            "cwd": str(self.run_dir),
            "result": str(result_path),
        }
        for stale in (result_path, self._notebook(stage), self._partial_notebook(stage)):
            stale.unlink(missing_ok=True)
        req_path = work / f"{stage.name}.request.json"
        req_path.write_text(json.dumps(request), encoding="utf-8")
        return req_path, result_path

    @staticmethod
    def _read_result(result_path: Path, executor: _Executor) -> str | None:
        """None when the runner's result says the notebook ran, else what went wrong."""
        try:
            result = json.loads(read_bounded(result_path, 1 << 20, follow=False))
        except (OSError, ValueError):
            return f"the notebook runner wrote no readable result; see raw/notebooks/{executor.log_name}"
        return None if result.get("ok") else f"notebook failed at {result.get('error')}"

    def run_stage(self, stage: Stage) -> StageResult:
        started, clock = _now(), time.monotonic()
        self.listener("start", stage, None)
        problem = self._execute(stage)
        status = Status.ERROR if problem else Status.OK
        reason, evidence_rel = problem, None
        if stage.collects:
            evidence_rel, status, reason = self._settle_evidence(stage, problem)
        result = StageResult(
            name=stage.name,
            status=status,
            reason=reason,
            started_at=started,
            duration_s=round(time.monotonic() - clock, 3),
            notebook=f"notebooks/{stage.notebook}" if self._notebook(stage).exists() else None,
            evidence=evidence_rel,
        )
        self.listener("end", stage, result)
        return result

    def _settle_evidence(self, stage: Stage, problem: str | None) -> tuple[str, Status, str | None]:
        """Make sure the stage's evidence file exists; the stage's status follows it."""
        path = self.run_dir / "evidence" / f"{stage.name}.json"
        rel = path.relative_to(self.run_dir).as_posix()
        try:
            evidence = read_evidence(path, root=self.run_dir)
        except ModelFileError as err:
            reason = problem or f"the notebook left no readable evidence ({err})"
            write_model(error_evidence(stage.name, reason), path)
            return rel, Status.ERROR, reason
        if problem:  # evidence was written, but a later cell (display) failed
            return rel, Status.ERROR, f"evidence collected ({evidence.status.value}), then {problem}"
        return rel, evidence.status, evidence.reason

    def write_info(self) -> RunInfo:
        """Write ``run.json`` as it stands (before any stage, it records target, parameters and tools)."""
        write_model(self.info, self.run_json)
        return self.info

    def run(self) -> RunInfo:
        """Run every stage; returns the final run info (also written to ``run.json``)."""
        self.write_info()
        stages = plan(self.params)
        try:
            results = self._run_collectors([s for s in stages if s.collects])
            self._save(results)
            results.append(self.run_stage(next(s for s in stages if not s.collects)))
        except BaseException:  # Ctrl-C: stop the runners now rather than let them finish their notebooks
            self._executors.close(grace_s=0)
            self._kill_kernel_groups()  # the kernels too, so that nothing writes in the run folder any more
            remove_temporaries(self.run_dir)  # what a writer killed mid-write left
            raise
        finally:
            self.close()
        failed = any(r.status is Status.ERROR for r in results)
        return self._save(results, final=True, status=Status.ERROR if failed else Status.OK)

    def _run_collectors(self, stages: list[Stage]) -> list[StageResult]:
        """Run the collector stages, at most ``MAX_PARALLEL`` at once; a free slot goes to the first ready
        stage in ``stages`` order (see ``START_ORDER``)."""
        pending, done = list(stages), {}
        with ThreadPoolExecutor(max_workers=MAX_PARALLEL) as pool:
            running: dict[Future[StageResult], Stage] = {}
            try:
                while pending or running:
                    ready = [s for s in pending if all(d in done for d in s.depends_on)]
                    for stage in ready[: MAX_PARALLEL - len(running)]:
                        pending.remove(stage)
                        running[pool.submit(self.run_stage, stage)] = stage
                    if not running:  # a dependency that no stage provides
                        raise RuntimeError(f"stages with unmet dependencies: {[s.name for s in pending]}")
                    finished, _ = wait(running, timeout=SIGNAL_POLL_S, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        done[running.pop(fut).name] = fut.result()
            except BaseException:  # Ctrl-C: the notebooks run in their own sessions and would carry on
                for fut in running:
                    fut.cancel()
                kill_active_groups()
                self._kill_kernel_groups()
                raise
        return [done[s.name] for s in stages]

    @property
    def groups_dir(self) -> Path:
        """Where the notebooks' kernels record the process groups they start (see ``assess._proc``)."""
        return self.run_dir / "raw" / "groups"

    def _kill_kernel_groups(self) -> None:
        """Kill the groups the kernels started (test suites, coverage export). A kernel outlives its killed
        notebook runner for a moment and may start one more, so look again until nothing is left."""
        for _ in range(KILL_PASSES):
            if not kill_recorded_groups(self.groups_dir):
                return
            time.sleep(0.5)

    def _save(self, results: list[StageResult], *, final: bool = False, status: Status | None = None) -> RunInfo:
        update: dict[str, object] = {"stages": tuple(results)}
        if final:
            update |= {"finished_at": _now(), "status": status}
        self.info = self.info.model_copy(update=update)
        write_model(self.info, self.run_json)
        return self.info


class _Executor:
    """One notebook runner (``python -m assess._execute --serve``): notebooks one after another, one kernel."""

    def __init__(self, run_dir: Path, env: dict[str, str], number: int) -> None:
        self.log_name = f"runner-{number}.log"
        self.proc = Supervised([sys.executable, "-m", "assess._execute", "--serve"], cwd=run_dir, env=env,
                               log_path=run_dir / "raw" / "notebooks" / self.log_name)  # fmt: skip

    def run(self, request: Path, result: Path, timeout_s: float) -> str | None:
        """Have the runner execute ``request``; None once its result file exists, else what went wrong."""
        if not self.proc.send(str(request)):
            return "the notebook runner had stopped"
        deadline = time.monotonic() + timeout_s
        while not result.exists():
            if not self.proc.alive():
                return f"the notebook runner stopped (exit code {self.proc.proc.returncode})"
            if time.monotonic() > deadline:
                return f"the notebook did not finish within {timeout_s:g} s and was stopped"
            time.sleep(RESULT_POLL_S)
        return None

    def kill(self) -> None:
        self.proc.kill()


class _Executors:
    """Idle notebook runners, kept between stages so that each pays its start and its kernel's once.

    A stage takes an idle runner or starts one; a runner whose notebook overran or that died is
    killed rather than given back. :meth:`close` ends them all.
    """

    def __init__(self, run_dir: Path, env: dict[str, str]) -> None:
        self.run_dir, self.env = run_dir, env
        self._idle: list[_Executor] = []
        self._all: list[_Executor] = []
        self._started = 0
        self._lock = threading.Lock()

    def take(self) -> _Executor:
        with self._lock:
            if self._idle:
                return self._idle.pop()
            self._started += 1
            number = self._started  # taken under the lock: two stages starting at once get two log files
        executor = _Executor(self.run_dir, self.env, number)
        with self._lock:
            self._all.append(executor)
        return executor

    def give_back(self, executor: _Executor) -> None:
        with self._lock:
            self._idle.append(executor)

    def close(self, grace_s: float = 10.0) -> None:
        """End every runner: each gets ``grace_s`` to finish what it runs, then its group is killed."""
        with self._lock:
            executors, self._idle, self._all = list(self._all), [], []
        for executor in executors:
            executor.proc.close(grace_s)


def _executor_env(groups_dir: Path) -> dict[str, str]:
    import os

    env = dict(os.environ)
    env[GROUPS_DIR_ENV] = str(groups_dir)
    # Bytecode stays as the user's environment has it: the kernels run in the run folder and import only assess
    # and its dependencies, whose compiled modules are theirs to keep (forbidding it made every kernel compile
    # assess's modules afresh). The target's tests and services get PYTHONDONTWRITEBYTECODE from their own
    # launchers (collectors/testrun.py, chaos/runner.py), so nothing is written into the target.
    env.setdefault("MPLBACKEND", "agg")
    return env
