"""Hostile repositories: broken sources, hostile file systems, odd repository shapes, and outputs that
cannot be written. Each case asserts a clear outcome, no traceback and no half-written file.

Static collectors (inventory, complexity, patterns with bandit and tree-sitter) are called directly with a
:class:`CollectContext`; a few cases go through ``assess.cli.main`` or a subprocess ``python -m assess.cli``.

Tests run as root here, and root ignores file modes, so ``chmod 000`` proves nothing. Unreadable files
and folders are simulated by making ``io.open`` (what ``Path.open``/``read_bytes`` call) raise
PermissionError for them, and ``os.scandir`` (what ``os.walk`` calls) for the folder; a FIFO stands for a
file whose read would block. A full disk is simulated by a file object whose ``write`` writes half of
what it is given, then raises OSError(ENOSPC).
"""

from __future__ import annotations

import builtins
import errno
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assess import _files
from assess._files import atomic_write_bytes
from assess.cli import EXIT_INTERRUPTED, EXIT_OUTPUT, EXIT_USAGE, main
from assess.collectors import CollectContext
from assess.collectors.complexity import collect_complexity
from assess.collectors.inventory import collect_inventory
from assess.collectors.listing import git_commit, list_files
from assess.collectors.patterns import collect_patterns
from assess.model import RunParameters, Status
from assess.model.io import dumps
from tests.conftest import CALC_PROJECT, git, process_alive, write_files

GOOD = "calc/__init__.py"
"""A file every case must still measure: the rest of the repository is not lost to one bad file."""


def collect_static(target: Path, run_dir: Path) -> dict[str, Any]:
    """Inventory, complexity and patterns evidence for ``target``, each also serialised (as the run writes it)."""
    ctx = CollectContext(params=RunParameters(target=str(target)), run_dir=run_dir)
    out: dict[str, Any] = {}
    for kind, collect in (("inventory", collect_inventory), ("complexity", collect_complexity),
                          ("patterns", collect_patterns)):  # fmt: skip
        evidence = collect(ctx)
        out[kind] = evidence
        out[f"{kind}.json"] = dumps(evidence)
    return out


def measured_normally(ev: dict[str, Any], rel: str = GOOD) -> None:
    assert ev["inventory"].status is Status.OK
    assert rel in {f.path for f in ev["inventory"].data.files}
    assert ev["complexity"].status is Status.OK
    assert {f.path: f.error for f in ev["complexity"].data.files}[rel] is None
    assert ev["patterns"].status is Status.OK
    assert {f.path: f.parsed for f in ev["patterns"].data.files}[rel] is True


# --- source files ------------------------------------------------------------------------------------

BIG = b"x = 1\n" * (20 * 1024 * 1024 // 6)
"""A 20 MB Python source file."""

# name, content, expected complexity error prefix (None: measured; "-": not a source file, not measured),
# expected patterns parser error prefix (None: parsed; "-": not scanned), expected inventory role.
SOURCES: list[tuple[str, bytes, str | None, str | None, str]] = [
    ("syntax.py", b"def f(:\n    pass\n", "SyntaxError", "SyntaxError", "source"),
    ("latin1_cookie.py", "# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n".encode("latin-1"), None, None, "source"),
    ("latin1_plain.py", "s = 'caf\xe9'\ndef g(x):\n    return x or 1\n".encode("latin-1"), None, None, "source"),
    ("nul.py", b"x = 1\x00\ny = 2\n", "-", "-", "binary"),
    ("binary.py", bytes(range(256)) * 64, "-", "-", "binary"),
    ("binary.js", bytes(range(256)) * 64, "-", "-", "binary"),
    ("huge.py", BIG, "-", "-", "source"),
    ("parens.py", b"(" * 200_000, "SyntaxError: too many nested parentheses", "SyntaxError", "source"),
    ("plus.py", b"x = " + b"1+" * 10**6 + b"1\n", "RecursionError", "-", "source"),
    ("plus_small.py", b"x = " + b"1+" * 200_000 + b"1\n", "RecursionError", "RecursionError", "source"),
    ("unary.py", b"x = " + b"-" * 100_000 + b"1\n", "MemoryError", "MemoryError", "source"),
    # one bracket a line: on one line, the file would be taken for minified code (generated) and not parsed
    (
        "deep.js",
        b"x = " + b"(\n" * 200_000 + b"1" + b")\n" * 200_000 + b";\n",
        "RecursionError",
        "ValueError",
        "source",
    ),
    ("deep.ts", b"let x = " + b"[\n" * 100_000 + b"]\n" * 100_000 + b";\n", "RecursionError", "ValueError", "source"),
    ("bundle.js", b"var a=1;" * 100_000 + b"\n", "-", "-", "generated"),  # minified: listed, not parsed
    ("syntax.ts", b"function (((( {\n", None, "ValueError", "source"),
]
"""What each collector says about each hostile source file (all in one repository under ``calc/``)."""


@pytest.fixture(scope="module")
def hostile_sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("sources")
    repo = root / "repo"
    files: dict[str, str | bytes] = {**CALC_PROJECT}
    files["calc/secrets.py"] = "import subprocess\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
    files.update({f"calc/{name}": content for name, content, *_ in SOURCES})
    repo.mkdir()
    write_files(repo, files)
    start = time.monotonic()
    ev = collect_static(repo, root / "run")
    ev["seconds"] = time.monotonic() - start
    return ev


def test_hostile_sources_leave_the_rest_measured(hostile_sources: dict[str, Any]) -> None:
    measured_normally(hostile_sources)
    # bandit still reports on the good files beside the broken ones
    bandit = [s for s in hostile_sources["patterns"].data.sites if s.kind == "security.bandit"]
    assert ("calc/secrets.py", "B602") in {(s.path, s.test_id) for s in bandit}  # type: ignore[attr-defined]
    # every file within the parsers' size limits is done quickly (deep nesting once took hours in tree-sitter)
    assert hostile_sources["seconds"] < 120


@pytest.mark.parametrize(("name", "complexity", "patterns", "role"), [c[:1] + c[2:] for c in SOURCES],
                         ids=[c[0] for c in SOURCES])  # fmt: skip
def test_hostile_source_gets_a_reason(
    hostile_sources: dict[str, Any], name: str, complexity: str | None, patterns: str | None, role: str
) -> None:
    rel = f"calc/{name}"
    entry = {f.path: f for f in hostile_sources["inventory"].data.files}[rel]
    assert entry.role.value == role and entry.role_reason
    measured = {f.path: f for f in hostile_sources["complexity"].data.files}
    if complexity == "-":  # not measured; a source file too large to measure, or generated code, says why
        reasons = {f.path: f.reason for f in hostile_sources["complexity"].data.skipped}
        assert rel not in measured and (role == "binary" or reasons[rel]), reasons
    elif complexity is None:
        assert measured[rel].error is None
    else:
        assert measured[rel].error is not None and measured[rel].error.startswith(complexity), measured[rel].error
    scanned = {f.path: f for f in hostile_sources["patterns"].data.files}
    if patterns == "-":
        reasons = {f.path: f.reason for f in hostile_sources["patterns"].data.skipped}
        assert rel not in scanned and (role == "binary" or reasons[rel]), reasons
    elif patterns is None:
        assert scanned[rel].parsed
    else:
        assert not scanned[rel].parsed and scanned[rel].error.startswith(patterns), scanned[rel].error


def test_a_huge_file_is_listed_not_read(hostile_sources: dict[str, Any]) -> None:
    entry = {f.path: f for f in hostile_sources["inventory"].data.files}["calc/huge.py"]
    assert entry.size_bytes == len(BIG) and entry.lines is None


# --- file names and the file system -------------------------------------------------------------------

ODD_NAMES = ["calc/with space.py", "calc/new\nline.py", "calc/ünïcødé_模块.py",
             "calc/<script>alert(1)<\\script>&'\".py"]  # fmt: skip


@pytest.mark.parametrize("git_repo", [False, True], ids=["walk", "git"])
def test_odd_file_names_are_measured_and_serialised(make_repo, tmp_path: Path, git_repo: bool) -> None:
    files: dict[str, str | bytes] = {**CALC_PROJECT, **{n: "def f(a):\n    return a or 1\n" for n in ODD_NAMES}}
    repo = make_repo(files, git_repo=git_repo)
    with open(os.fsencode(repo) + b"/calc/latin\xe9.py", "wb") as fh:
        fh.write(b"x = 1\n")
    ev = collect_static(repo, tmp_path / "run")
    for name in ODD_NAMES:
        measured_normally(ev, name)
        assert json.loads(ev["complexity.json"])  # valid JSON whatever the name holds
    assert "calc/latin\\xe9.py" in ev["inventory"].data.skipped_paths


def test_symlinks_never_lead_out_of_the_target(make_repo, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write_files(outside, {"leak.py": "def TOPSECRET_leak(a):\n    if a:\n        return 1\n    return 2\n",
                          "pkg/__init__.py": "TOPSECRET = 1\n"})  # fmt: skip
    for git_repo in (False, True):
        repo = make_repo(CALC_PROJECT, git_repo=git_repo, name=f"repo-{git_repo}")
        os.symlink(outside / "leak.py", repo / "calc" / "leak.py")
        os.symlink(outside / "pkg", repo / "calc" / "pkg")
        os.symlink(outside, repo / "outside")
        os.symlink("loop_b", repo / "loop_a")  # a loop of two files
        os.symlink("loop_a", repo / "loop_b")
        os.symlink(".", repo / "calc" / "self")  # a folder loop
        os.symlink("/etc/passwd", repo / "calc" / "passwd.py")
        ev = collect_static(repo, tmp_path / f"run-{git_repo}")
        measured_normally(ev)
        for kind in ("inventory.json", "complexity.json", "patterns.json"):
            assert "TOPSECRET" not in ev[kind] and "root:" not in ev[kind]
        assert {"calc/leak.py", "loop_a", "loop_b", "calc/passwd.py"} <= set(ev["inventory"].data.skipped_paths)


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], None]:
    """Make paths whose name contains ``locked`` unreadable, as chmod 000 would for anyone but root (``os.open``,
    ``io.open`` and ``os.scandir`` refuse them)."""
    real_open, real_scandir, real_os_open = io.open, os.scandir, os.open

    def locked(path: object) -> bool:
        return "locked" in os.fsdecode(path) if isinstance(path, str | bytes | os.PathLike) else False

    def fake_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if locked(file):
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(file))
        return real_open(file, *args, **kwargs)

    def fake_scandir(path: Any = ".") -> Any:
        if locked(path):
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        return real_scandir(path)

    def fake_os_open(path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        if locked(path):  # the target's files are opened a folder at a time (assess._files.open_beneath)
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        return real_os_open(path, flags, mode, dir_fd=dir_fd)

    def install(root: Path) -> None:
        monkeypatch.setattr(os, "open", fake_os_open)
        monkeypatch.setattr(io, "open", fake_open)
        monkeypatch.setattr(builtins, "open", fake_open)
        monkeypatch.setattr(os, "scandir", fake_scandir)

    return install


@pytest.mark.parametrize("git_repo", [False, True], ids=["walk", "git"])
def test_unreadable_files_and_folders_are_skipped(make_repo, tmp_path: Path, unreadable, git_repo: bool) -> None:
    files = {**CALC_PROJECT, "calc/locked.py": "x = 1\n", "calc/lockeddir/mod.py": "y = 2\n",
             "app/locked.js": "let x = 1;\n"}  # fmt: skip
    repo = make_repo(files, git_repo=git_repo)
    os.mkfifo(repo / "calc" / "pipe.py")  # reading it would block for ever
    unreadable(repo)
    ev = collect_static(repo, tmp_path / "run")
    measured_normally(ev)
    listed = {f.path for f in ev["inventory"].data.files}
    assert not {"calc/locked.py", "calc/lockeddir/mod.py", "app/locked.js", "calc/pipe.py"} & listed
    skipped = set(ev["inventory"].data.skipped_paths)
    assert {"calc/locked.py", "app/locked.js"} <= skipped
    assert ("calc/pipe.py" in skipped) is not git_repo  # git does not list a FIFO at all
    for kind in ("inventory", "complexity", "patterns"):
        assert any(re.match(r"[23] listed file\(s\) could not be read: app/locked.js, calc/locked.py", w)
                   for w in ev[kind].warnings), ev[kind].warnings  # fmt: skip


# --- repository shapes ---------------------------------------------------------------------------------


def _shallow_clone(make_repo: Callable[..., Path], tmp_path: Path) -> Path:
    origin = make_repo(CALC_PROJECT, git_repo=True, name="origin")
    (origin / "calc" / "more.py").write_text("z = 3\n")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "second")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{origin}", str(clone)], check=True)
    assert (clone / ".git" / "shallow").exists()
    return clone


def _no_commits(make_repo: Callable[..., Path], tmp_path: Path) -> Path:
    repo = make_repo(CALC_PROJECT)
    git(repo, "init", "-q", "-b", "main")
    return repo


SHAPES: dict[str, Callable[[Callable[..., Path], Path], Path]] = {
    "empty": lambda make_repo, tmp: make_repo({}),
    "no-tests": lambda make_repo, tmp: make_repo({k: v for k, v in CALC_PROJECT.items() if "test" not in k}),
    "only-tests": lambda make_repo, tmp: make_repo({k: v for k, v in CALC_PROJECT.items() if k.startswith("tests/")}),
    "git-no-commits": _no_commits,
    "shallow-clone": _shallow_clone,
}
# shape -> (listing method, whether HEAD is known, inventory reason, complexity status)
SHAPE_OUTCOMES: dict[str, tuple[str, bool, str | None, Status]] = {
    "empty": ("walk", False, "the target has no files", Status.SKIPPED),
    "no-tests": ("walk", False, None, Status.OK),
    "only-tests": ("walk", False, None, Status.SKIPPED),
    "git-no-commits": ("git", False, None, Status.OK),
    "shallow-clone": ("git", True, None, Status.OK),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_repository_shapes(make_repo, tmp_path: Path, shape: str) -> None:
    repo = SHAPES[shape](make_repo, tmp_path)
    method, has_head, reason, complexity = SHAPE_OUTCOMES[shape]
    assert list_files(repo).method == method
    commit, _ = git_commit(repo)
    assert (commit is not None) is has_head
    ev = collect_static(repo, tmp_path / "run")
    assert (ev["inventory"].status, ev["inventory"].reason) == (Status.OK, reason)
    assert ev["complexity"].status is complexity
    assert ev["patterns"].status is Status.OK
    if shape == "shallow-clone":
        assert "calc/more.py" in {f.path for f in ev["inventory"].data.files}


# --- outputs -------------------------------------------------------------------------------------------


class _FullDisk:
    """A file object that writes half of what it is given, then fails as a full disk does."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def write(self, data: bytes) -> int:
        self.real.write(data[: len(data) // 2])
        self.real.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.real.close()


@pytest.fixture
def disk_fills_on(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """disk_fills_on("assessment.html"): the atomic write of that file runs out of space half-way."""
    real_fdopen = os.fdopen

    def install(name: str) -> None:
        def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
            f = real_fdopen(fd, *args, **kwargs)
            return _FullDisk(f) if f".{name}." in os.readlink(f"/proc/self/fd/{fd}") else f

        monkeypatch.setattr(_files.os, "fdopen", fdopen)

    return install


def no_temporaries(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*.tmp")]


def test_a_full_disk_leaves_the_old_file_and_no_temporary(tmp_path: Path, disk_fills_on) -> None:
    path = tmp_path / "assessment.json"
    atomic_write_bytes(path, b"old")
    disk_fills_on("assessment.json")
    with pytest.raises(OSError, match="No space left"):
        atomic_write_bytes(path, b"new and longer")
    assert path.read_bytes() == b"old"
    assert no_temporaries(tmp_path) == []


@pytest.mark.parametrize("out", ["file", "under-file", "read-only"])
def test_an_output_folder_that_cannot_be_made_is_a_usage_error(
    make_repo, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch, out: str
) -> None:
    repo = make_repo({"app.py": "x = 1\n"})
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    where = {"file": blocker, "under-file": blocker / "runs", "read-only": tmp_path / "ro"}[out]
    if out == "read-only":  # root may write anywhere: make mkdir fail as it would on a read-only mount
        real_mkdir = Path.mkdir

        def mkdir(self: Path, *args: Any, **kwargs: Any) -> None:
            if str(self).startswith(str(where)):
                raise OSError(errno.EROFS, "Read-only file system", str(self))
            real_mkdir(self, *args, **kwargs)

        monkeypatch.setattr(Path, "mkdir", mkdir)
    code = main(["run", str(repo), "--no-tests", "--no-chaos", "--out", str(where)])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert err.startswith("assess: error: cannot create a run folder in --out") and err.count("\n") == 1
    assert "Traceback" not in err
    assert blocker.read_text() == "not a folder"


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def earlier_run(tmp_path: Path) -> Iterator[Path]:
    """An earlier run folder in the output folder; the test checks it is byte-for-byte untouched."""
    out = tmp_path / "runs"
    earlier = out / "repo-20250101T000000Z"
    write_files(earlier, {"run.json": '{"old": true}\n', "assessment.html": "<p>old</p>\n", "evidence/x.json": "{}"})
    before = _tree(earlier)
    yield out
    assert _tree(earlier) == before


@pytest.mark.slow
def test_a_disk_that_fills_during_the_run_exits_4_with_whole_files(
    make_repo, earlier_run: Path, capsys, disk_fills_on
) -> None:
    repo = make_repo(CALC_PROJECT)
    disk_fills_on("assessment.html")
    code = main(["run", str(repo), "--no-tests", "--no-chaos", "--out", str(earlier_run)])
    err = capsys.readouterr().err
    assert code == EXIT_OUTPUT
    (line,) = [x for x in err.splitlines() if x.startswith("assess: error:")]
    assert "No space left on device" in line and "Traceback" not in err
    (run_dir,) = [p for p in earlier_run.iterdir() if p.name != "repo-20250101T000000Z"]
    # The assessment notebook wrote the report first; the final rewrite failed half-way and left that one whole.
    assert (run_dir / "assessment.html").read_text().rstrip().endswith("</html>")
    assert json.loads((run_dir / "assessment.json").read_text())  # written before the disk filled, and whole
    assert no_temporaries(earlier_run) == []


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_exits_130_and_leaves_nothing_behind(
    make_repo, tmp_path: Path, earlier_run: Path, sig: signal.Signals
) -> None:
    pid_file = tmp_path / "suite.pid"
    hang = (f"import os, time\ndef test_hang():\n    open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
            "    time.sleep(600)\n")  # fmt: skip
    repo = make_repo({**CALC_PROJECT, "tests/test_hang.py": hang})
    proc = subprocess.Popen(
        [sys.executable, "-m", "assess.cli", "run", str(repo), "--no-chaos", "--out", str(earlier_run)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},  # SIGABRT dumps every thread's stack, should it hang
        # A shell that starts a job in the background (as `.ci/run &` does) hands it SIGINT ignored, and Python
        # keeps an ignored SIGINT ignored: give the run the default, as a terminal's Ctrl-C finds it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not pid_file.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert pid_file.exists(), "the test suite never started"
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        _, err = proc.communicate(timeout=30)
        pytest.fail(f"assess had not stopped 60 s after {sig.name}; its threads then:\n{err[-8000:]}")
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert err.rstrip().splitlines()[-1] == "assess: interrupted" and "Traceback" not in err
    assert no_temporaries(earlier_run) == []
    suite = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while process_alive(suite) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not process_alive(suite), "the target's test process outlived the interrupted run"
