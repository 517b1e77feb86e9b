"""The shared static analysis: one parse per file, the same records in parallel, a cache never trusted blindly."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

import assess.static.pool as pool
import assess.static.run as static_run
from assess.collectors import CollectContext
from assess.collectors.complexity import collect_complexity
from assess.collectors.inventory import collect_inventory
from assess.collectors.listing import list_files
from assess.collectors.patterns import collect_patterns
from assess.model import RunParameters, Status
from assess.patterns.pyast import PythonFile
from assess.patterns.security_bandit import bandit_sites
from assess.static.cache import Cache, entry_key
from assess.static.cachekey import cache_secret, verify
from assess.static.record import GROUPS, FileAnalysis, join_groups, record_lines
from assess.static.run import analyse_in_memory, shared_analysis
from assess.static.worker import OPTIONS, Analyser

from .conftest import write_files

SAMPLE = Path(__file__).resolve().parent.parent / "data"


def _repo(root: Path, n: int) -> Path:
    for i in range(n):
        body = "    if x:\n        x -= 1\n" * (i % 4)
        code = f"import requests\n\ndef f{i}(x):\n{body}    return requests.get('h/{i}')\n"
        write_files(root, {f"pkg/m{i:03}.py": code})
    write_files(root, {"pkg/zbad.py": "def (:\n", "tests/test_m.py": "def test_a():\n    assert 1\n",
                       "web/app.js": "export function f(a) { return a && 1 }\n", "conf.yml": "a: 1\n"})  # fmt: skip
    return root


def _records(root: Path, jobs: int, cache: Cache | None = None) -> list[FileAnalysis]:
    records, summary = analyse_in_memory(root, jobs=jobs, cache=cache)
    assert summary.crashed == () and summary.unreadable == ()
    return sorted(records, key=lambda r: r.path)


def test_parallel_records_equal_one_process(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", pool.MIN_FILES_FOR_POOL + 10)
    one = _records(root, jobs=1)
    two = _records(root, jobs=2)
    assert two == one
    by_path = {r.path: r for r in one}
    assert by_path["pkg/zbad.py"].metrics is not None and by_path["pkg/zbad.py"].metrics.error
    assert by_path["tests/test_m.py"].tests[0].name == "test_a"
    assert {s.kind for r in one if r.scan for s in r.scan.sites} >= {
        "reliability.http-call",
        "security.bandit",
        "test-function",
    }


def test_records_of_the_sample_are_what_radon_gives_alone() -> None:
    """One parse shared by everything gives the numbers radon's own functions give from their own parses."""
    from radon.complexity import add_inner_blocks, cc_visit
    from radon.metrics import mi_visit
    from radon.raw import analyze

    records = {r.path: r for r in _records(SAMPLE, jobs=1)}
    measured = [r for r in records.values() if r.metrics is not None and r.metrics.tool == "radon"]
    assert len(measured) >= 5
    for record in measured:
        assert record.metrics is not None
        code = (SAMPLE / record.path).read_text(encoding="utf-8")
        raw = analyze(code)
        assert (record.metrics.loc, record.metrics.lloc, record.metrics.sloc, record.metrics.comments) == (
            raw.loc, raw.lloc, raw.sloc, raw.comments)  # fmt: skip
        assert record.metrics.mi == mi_visit(code, True)
        assert sorted((b.line, b.name, b.complexity) for b in record.blocks) == sorted(
            (b.lineno, b.fullname, b.complexity) for b in add_inner_blocks(cc_visit(code))
        )


@pytest.mark.filterwarnings("ignore:The verify_requirements argument")  # stevedore, loading bandit's plugins
def test_bandit_on_the_shared_tree_equals_bandit_on_the_file(tmp_path: Path) -> None:
    """Running bandit's checks on our tree gives exactly the issues its manager finds reading the file."""
    code = (
        "import pickle, random, subprocess, hashlib\n"
        "password = 'hunter2hunter2'\n"
        "def f(x):\n"
        "    subprocess.call(x, shell=True)\n"
        "    eval(x)  # nosec B307\n"
        "    hashlib.md5(x)\n"
        "    assert x\n"
        "    return pickle.loads(x), random.random()\n"
    )
    path = tmp_path / "app.py"
    path.write_text(code)
    from bandit.core import config as b_config  # here: importing bandit loads its plugins (stevedore warns)
    from bandit.core import manager as b_manager

    mgr = b_manager.BanditManager(b_config.BanditConfig(), "file", quiet=True)
    mgr.discover_files([str(path)])
    mgr.run_tests()
    expected = sorted((i.test_id, i.lineno, i.col_offset) for i in mgr.get_issue_list())
    sites = bandit_sites(PythonFile.parse("app.py", code), path, code.encode())
    assert sorted((s.test_id, s.line) for s in sites) == [(t, line) for t, line, _ in expected]
    assert "B307" not in {s.test_id for s in sites}  # the nosec comment is honoured
    assert {"B602", "B324", "B301", "B311", "B105"} <= {s.test_id for s in sites}


def _crash_on_boom(paths: Sequence[str]) -> list[FileAnalysis | None]:
    """A worker task that dies like a segfaulting parser on files named boom*."""
    if any("boom" in p for p in paths):
        os._exit(70)
    return pool._chunk(paths)


def test_a_file_that_kills_its_worker_is_named_and_the_rest_are_analysed(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", pool.MIN_FILES_FOR_POOL)
    write_files(root, {"pkg/boom1.py": "x = 1\n", "pkg/boom2.py": "y = 2\n"})
    paths = list_files(root).paths
    warnings: list[str] = []
    outcomes = dict(pool.analyse_paths(root, paths, 2, warnings, task=_crash_on_boom))
    assert set(outcomes) == set(paths)
    assert {rel for rel, out in outcomes.items() if isinstance(out, str)} == {"pkg/boom1.py", "pkg/boom2.py"}
    assert all(isinstance(out, FileAnalysis) for rel, out in outcomes.items() if "boom" not in rel)
    assert warnings == []


def test_no_worker_processes_means_in_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    class NoProcesses:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise OSError("no semaphores here")

    root = _repo(tmp_path / "repo", pool.MIN_FILES_FOR_POOL)
    monkeypatch.setattr(pool, "ProcessPoolExecutor", NoProcesses)
    records, summary = analyse_in_memory(root, jobs=2)
    assert len(records) == summary.files
    assert summary.warnings[-1].startswith("worker processes could not start (no semaphores here);")


def test_crashed_files_still_appear_with_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", 3)

    def crash_some(root_: Path, paths: Sequence[str], jobs: int, warnings: list[str], linked=frozenset()):  # type: ignore[no-untyped-def]
        for rel in paths:
            yield rel, (rel if rel == "pkg/m001.py" else Analyser(root_).analyse(rel))

    monkeypatch.setattr("assess.static.run.analyse_paths", crash_some)
    records, summary = analyse_in_memory(root)
    assert summary.crashed == ("pkg/m001.py",)
    crashed = next(r for r in records if r.path == "pkg/m001.py")
    assert crashed.metrics is not None and crashed.metrics.error == "analysing it killed the worker process"
    assert crashed.scan is not None and not crashed.scan.files[0].parsed
    assert "1 file(s) killed the analysing process and are not analysed: pkg/m001.py" in summary.warnings


# The cache


def test_warm_run_reads_everything_from_the_cache_and_equals_the_cold_one(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", 5)
    cold_cache = Cache(tmp_path / "cache")
    cold = _records(root, 1, cold_cache)
    assert (cold_cache.hits, cold_cache.misses) == (0, len(cold))
    warm_cache = Cache(tmp_path / "cache")
    warm = _records(root, 1, warm_cache)
    assert (warm_cache.hits, warm_cache.misses, warm_cache.ignored) == (len(cold), 0, 0)
    assert warm == cold


def test_a_changed_file_is_analysed_again_and_only_it(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", 5)
    _records(root, 1, Cache(tmp_path / "cache"))
    (root / "pkg/m002.py").write_text("def g(a, b):\n    return a or b or 1\n")
    cache = Cache(tmp_path / "cache")
    records = {r.path: r for r in _records(root, 1, cache)}
    assert cache.misses == 1
    assert [(b.name, b.complexity) for b in records["pkg/m002.py"].blocks] == [("g", 3)]


def _edit_record(text: str, **fields: object) -> str:
    """The entry with ``fields`` changed in its first group (its checksum left as it was)."""
    key, checksum, first, *rest = text.split("\n")
    return "\n".join([key, checksum, json.dumps({**json.loads(first), **fields}), *rest])


def _entry_record(text: str) -> FileAnalysis:
    key, signature, lines = text.split("\n", 2)
    assert verify(cache_secret(), key, lines.encode(), signature.encode())
    return FileAnalysis.model_validate_json(join_groups(lines.split("\n")))


def _resigned(text: str, mac: Callable[[bytes], Any]) -> str:
    """The entry with its first group edited and ``mac`` of the key and the rest where the signature goes."""
    key, _signature, rest = _edit_record(text, digest="0" * 64).split("\n", 2)
    return "\n".join([key, mac(f"{key}\n{rest}".encode()).hexdigest(), rest])


def _entries(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "files").rglob("*.json"))


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # truncated
        lambda text: "",  # empty
        lambda text: "\0\0\0",  # garbage
        lambda text: _edit_record(text, surprise=1),  # not a record any more
        lambda text: "0" * 64 + text[64:],  # another key's entry copied here
        lambda text: _resigned(text, hashlib.sha256),  # a plain checksum, as anyone can compute
        lambda text: _resigned(text, lambda b: hmac.new(b"k" * 32, b, hashlib.sha256)),  # another user's key
        lambda text: text.replace(",", ",\n", 1),  # a group on two lines
        lambda text: _edit_record(text, digest=["not", "a", "digest"]),  # invalid value
        lambda text: _edit_record(text, digest="0" * 64),  # a valid record, but not what was stored
        lambda text: text.rsplit("\n", 1)[0],  # a group missing
    ],
    ids=[
        "truncated",
        "empty",
        "garbage",
        "unknown-field",
        "wrong-key",
        "two-lines",
        "invalid",
        "edited",
        "group-missing",
        "sha256",
        "foreign-key",
    ],
)
def test_a_damaged_entry_is_ignored_and_rewritten(tmp_path: Path, damage) -> None:  # type: ignore[no-untyped-def]
    root = _repo(tmp_path / "repo", 1)
    cold = _records(root, 1, Cache(tmp_path / "cache"))
    entries = _entries(tmp_path / "cache")
    for entry in entries:
        entry.write_text(damage(entry.read_text()))
    cache = Cache(tmp_path / "cache")
    assert _records(root, 1, cache) == cold
    assert (cache.hits, cache.ignored) == (0, len(entries))
    cache = Cache(tmp_path / "cache")
    _records(root, 1, cache)
    assert cache.hits == len(entries)  # rewritten whole


def test_keys_change_with_content_path_options_and_tool_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    base = entry_key("a.py", "d1", OPTIONS)
    assert entry_key("a.py", "d2", OPTIONS) != base
    assert entry_key("b.py", "d1", OPTIONS) != base
    assert entry_key("a.py", "d1", {**OPTIONS, "patterns_max": 1}) != base
    monkeypatch.setattr("assess.static.cache._tool_versions", lambda: (("radon", "0.0"),))
    assert entry_key("a.py", "d1", OPTIONS) != base


def test_an_unwritable_cache_is_one_warning(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", 2)
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    records, summary = analyse_in_memory(root, cache=Cache(blocker))
    assert len(records) == summary.files
    assert [w for w in summary.warnings if "cache" in w] == [
        f"the cache in {blocker} could not be written (Not a directory); going on without it"
    ]


def test_a_file_changing_during_the_run_is_not_cached_under_its_old_content(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = _repo(tmp_path / "repo", 1)
    original = Analyser.analyse

    def edit_then_analyse(self: Analyser, rel: str) -> FileAnalysis | None:
        if rel == "pkg/m000.py":
            (root / rel).write_text("z = 3\n")
        return original(self, rel)

    monkeypatch.setattr(Analyser, "analyse", edit_then_analyse)
    cache = Cache(tmp_path / "cache")
    analyse_in_memory(root, cache=cache)
    monkeypatch.setattr(Analyser, "analyse", original)
    (root / "pkg/m000.py").write_text("z = 3\n")
    again = Cache(tmp_path / "cache")
    records = {r.path: r for r in _records(root, 1, again)}
    assert again.misses == 1 and records["pkg/m000.py"].blocks == ()


# The run: one analysis shared by three collectors


def _ctx(root: Path, run_dir: Path, cache: Path | None = None) -> CollectContext:
    params = RunParameters(target=str(root), jobs=1, cache_dir=str(cache) if cache else None)
    return CollectContext(params=params, run_dir=run_dir)


@pytest.mark.parametrize("cached", [False, True])
def test_collectors_running_together_share_one_analysis(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cached: bool
) -> None:
    root = _repo(tmp_path / "repo", 3)
    ctx = _ctx(root, tmp_path / "run", tmp_path / "cache" if cached else None)
    calls: list[str] = []

    def counted(name: str) -> None:
        real = getattr(static_run, name)

        def call(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(name)
            return real(*args, **kwargs)

        monkeypatch.setattr(static_run, name, call)

    counted("plan")
    counted("_analyse")
    results: dict[str, object] = {}
    collectors = {"inventory": collect_inventory, "complexity": collect_complexity, "patterns": collect_patterns}
    threads = [threading.Thread(target=lambda k=k, f=f: results.update({k: f(ctx)})) for k, f in collectors.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(calls) == ["_analyse", "plan"]
    assert all(getattr(ev, "status", None) is Status.OK for ev in results.values()), results
    assert not (tmp_path / "run/raw/static/files.jsonl.partial").exists()


def test_skips_are_recorded_with_their_reasons(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write_files(root, {
        "app/main.py": "def f():\n    return 1\n",
        "app/huge.py": "X = 1\n" * 400_000,  # 2.4 MB
        "vendor/lib.py": "def v():\n    return 2\n",
        "app/api_pb2.py": "# generated\n",
        "app/gen.py": "# Code generated by tool. DO NOT EDIT.\nx = 1\n",
        "static/app.min.js": "function a(){return 1}",
        "static/bundle.js": "var a=1;" * 200 + "\n",
    })  # fmt: skip
    ctx = _ctx(root, tmp_path / "run")
    complexity = collect_complexity(ctx)
    patterns = collect_patterns(ctx)
    assert complexity.data is not None and patterns.data is not None
    assert {(f.path, f.reason) for f in complexity.data.skipped} == {
        ("app/huge.py", "larger than 2 MiB"),
        ("vendor/lib.py", "vendored: inside vendor/"),
        ("app/api_pb2.py", "generated: name matches *_pb2.py"),
        ("app/gen.py", "generated: header says 'Code generated by'"),
        ("static/app.min.js", "generated: name matches *.min.js"),
        ("static/bundle.js", "generated: minified: a line of 1,600+ characters in the first 8 KiB"),
    }
    assert ("app/huge.py", "larger than 1 MiB") in {(f.path, f.reason) for f in patterns.data.skipped}
    assert [f.path for f in complexity.data.files] == ["app/main.py"]


def test_the_cache_dir_parameter_fills_and_uses_the_cache(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", 2)
    first = shared_analysis(_ctx(root, tmp_path / "run1", tmp_path / "cache"))
    first_records = sorted(first.records(), key=lambda r: r.path)
    second = shared_analysis(_ctx(root, tmp_path / "run2", tmp_path / "cache"))
    assert sorted(second.records(), key=lambda r: r.path) == first_records
    assert (first.summary.cache_hits, first.summary.cache_misses) == (0, first.summary.files)
    assert (second.summary.cache_hits, second.summary.cache_misses) == (second.summary.files, 0)
    assert first.summary.reusable and first.summary.tree_key == second.summary.tree_key


INTERRUPTED = """
import sys
from pathlib import Path
from assess.static.cache import Cache
from assess.static.run import analyse_in_memory
print("start", flush=True)
analyse_in_memory(Path(sys.argv[1]), jobs=1, cache=Cache(Path(sys.argv[2])))
"""


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_an_interrupted_analysis_leaves_only_valid_entries(tmp_path: Path, signal_number: int) -> None:
    root = _repo(tmp_path / "repo", 400)
    cache_dir = tmp_path / "cache"
    # A killed analysis cannot remove its temporary folder: keep it in tmp_path, not the machine's /tmp.
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-c", INTERRUPTED, str(root), str(cache_dir)], stdout=subprocess.PIPE,
                            env=env)  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"start"
    deadline = time.monotonic() + 60
    while len(_entries(cache_dir)) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal_number)
    proc.wait(timeout=60)
    entries = _entries(cache_dir)
    assert 20 <= len(entries) < 400 + 5
    for entry in entries:
        assert entry.read_text().split("\n", 1)[0] == entry.stem
        _entry_record(entry.read_text())
    cache = Cache(cache_dir)
    _records(root, 1, cache)
    assert cache.ignored == 0 and cache.hits == len(entries)


def test_cache_info_and_clear_touch_only_the_entries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from assess.cli import main

    root = _repo(tmp_path / "repo", 2)
    cache_dir = tmp_path / "cache"
    records = _records(root, 1, Cache(cache_dir))
    (cache_dir / "mine.txt").write_text("not the cache's")
    assert main(["cache", "info", "--cache-dir", str(cache_dir)]) == 0
    assert capsys.readouterr().out.startswith(f"{cache_dir}: {len(records)} entries, ")
    assert main(["cache", "clear", "--cache-dir", str(cache_dir)]) == 0
    assert capsys.readouterr().out == f"{cache_dir}: {len(records)} entries removed\n"
    assert sorted(p.name for p in cache_dir.rglob("*")) == ["mine.txt"]
    assert main(["cache", "info", "--cache-dir", str(tmp_path / "none")]) == 0
    assert capsys.readouterr().out == f"{tmp_path / 'none'}: 0 entries, 0.0 MB\n"


def test_every_record_field_is_stored_in_exactly_one_group() -> None:
    fields = [name for group in GROUPS for name in group]
    assert sorted(fields) == sorted(FileAnalysis.model_fields)


def test_a_record_read_back_from_its_groups_is_the_record(tmp_path: Path) -> None:
    for record in _records(_repo(tmp_path / "repo", 2), 1):
        lines = record_lines(record).split("\n")
        assert len(lines) == len(GROUPS)
        assert FileAnalysis.model_validate_json(join_groups(lines)) == record


def test_each_collector_part_reads_its_fields_as_a_full_read_does(tmp_path: Path) -> None:
    from assess.static.run import PARTS, StaticAnalysis

    root = _repo(tmp_path / "repo", 3)
    static = shared_analysis(_ctx(root, tmp_path / "run"))
    full = list(static.records())
    assert any(r.scan and r.scan.sites for r in full)
    for part, groups in PARTS.items():
        fields = {name for g in groups for name in GROUPS[g]}
        read = list(StaticAnalysis(static.folder, static.summary).records(part))
        assert [r.model_dump(include=fields) for r in read] == [r.model_dump(include=fields) for r in full], part
        assert read == [r.model_copy(update={k: FileAnalysis.model_fields[k].default for k in
                                             set(FileAnalysis.model_fields) - fields}) for r in full], part  # fmt: skip


def _niceness(paths: Sequence[str]) -> list[FileAnalysis | None]:
    """A worker's task that reports its priority in place of each record's digest."""
    records = pool._chunk(paths)
    return [r.model_copy(update={"digest": str(os.nice(0))}) if r else r for r in records]


def test_workers_give_way_to_the_test_suite(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", pool.MIN_FILES_FOR_POOL)
    paths = list_files(root).paths
    outcomes = dict(pool.analyse_paths(root, paths, 2, [], task=_niceness))
    niceness = {out.digest for out in outcomes.values() if isinstance(out, FileAnalysis)}
    assert niceness == {str(min(os.nice(0) + pool.WORKER_NICENESS, 19))}
