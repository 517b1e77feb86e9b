"""The evidence cache (assess.static.memo): a warm re-run reuses each static collector's evidence, and
only when nothing it was made from has changed."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

import assess.static.memo as memo
import assess.static.run as static_run
from assess.collectors import CollectContext, run_collector
from assess.collectors.complexity import collect_complexity
from assess.collectors.inventory import collect_inventory
from assess.collectors.patterns import collect_patterns
from assess.model import Evidence, RunParameters, Status
from assess.model.io import dumps
from assess.patterns import RepoFiles
from assess.patterns.security import SecretFileSite
from assess.static.cache import cache_usage, clear_cache
from assess.static.cachekey import cache_secret, sign
from assess.static.worker import Analyser

from .conftest import write_files

COLLECTORS: dict[str, Callable[[CollectContext], Evidence]] = {
    "inventory": collect_inventory,
    "complexity": collect_complexity,
    "patterns": collect_patterns,
}


def _repo(root: Path) -> Path:
    write_files(root, {
        "pkg/app.py": "import requests\n\ndef f(x):\n    if x:\n        return 1\n    return requests.get('h')\n",
        "pkg/bad.py": "def (:\n",
        "tests/test_app.py": "def test_f():\n    assert 1\n",
        "web/app.js": "export function f(a) { return a && 1 }\n",
        ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - run: pytest --cov\n",
        "requirements.txt": "requests==2.32.3\n",
        "deploy/prod.env": "TOKEN=x\n",
        "setup.cfg": "[tool:pytest]\nmarkers =\n    integration: slow\n",
    })  # fmt: skip
    (root / "deploy/prod.env").chmod(0o644)
    return root


def _ctx(root: Path, run_dir: Path, cache: Path | None) -> CollectContext:
    return CollectContext(RunParameters(target=str(root), jobs=1, cache_dir=str(cache) if cache else None), run_dir)


def _collect(root: Path, run_dir: Path, cache: Path | None) -> dict[str, dict[str, object]]:
    """Each static collector's evidence (as JSON-ready data) in a new run."""
    ctx = _ctx(root, run_dir, cache)
    return {kind: collect(ctx).model_dump(mode="json") for kind, collect in COLLECTORS.items()}


def _no_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("records were analysed or read")

    monkeypatch.setattr(static_run, "_analyse", refuse)


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / memo.LAYOUT).glob("??/*.json"))


def test_a_warm_run_takes_every_collectors_evidence_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, cache = _repo(tmp_path / "repo"), tmp_path / "cache"
    computed = _collect(root, tmp_path / "no-cache", None)
    first = _collect(root, tmp_path / "run1", cache)
    assert first == computed
    assert len(_entries(cache)) == 3
    ctx = _ctx(root, tmp_path / "storing", tmp_path / "another-cache")
    for kind in COLLECTORS:  # a run that stores the evidence writes the bytes it stores, with its duration
        written = run_collector(kind, ctx)
        assert ctx.evidence_path(kind).read_text() == dumps(written)
    assert len(_entries(tmp_path / "another-cache")) == 3
    _no_analysis(monkeypatch)
    second = _collect(root, tmp_path / "run2", cache)
    assert second == computed
    assert not (tmp_path / "run2/raw/static/files.jsonl").exists()  # not a record was needed
    ctx = _ctx(root, tmp_path / "run3", cache)
    for kind in COLLECTORS:  # as a run writes it: the stored text, with this run's duration
        written = run_collector(kind, ctx)
        assert written.duration_s is not None
        assert ctx.evidence_path(kind).read_text() == dumps(written)
        assert written.model_copy(update={"duration_s": None}).model_dump(mode="json") == computed[kind]


def test_an_edited_file_is_a_new_tree(tmp_path: Path) -> None:
    root, cache = _repo(tmp_path / "repo"), tmp_path / "cache"
    first = _collect(root, tmp_path / "run1", cache)
    write_files(root, {"pkg/app.py": "def f(x):\n    while x:\n        x -= 1\n    return x\n"})
    second = _collect(root, tmp_path / "run2", cache)
    assert second == _collect(root, tmp_path / "no-cache", None)
    assert second["complexity"] != first["complexity"] and second["patterns"] != first["patterns"]
    assert len(_entries(cache)) == 6


def test_evidence_is_reused_only_while_the_files_extractors_read_answer_the_same(tmp_path: Path) -> None:
    root, cache = _repo(tmp_path / "repo"), tmp_path / "cache"

    def secret_modes(evidence: dict[str, dict[str, object]]) -> list[object]:
        sites = evidence["patterns"]["data"]["sites"]  # type: ignore[index]
        return [s["mode"] for s in sites if s["kind"] == SecretFileSite.model_fields["kind"].default]

    assert secret_modes(_collect(root, tmp_path / "run1", cache)) == [0o644]
    (root / "deploy/prod.env").chmod(0o600)  # the file's content, and so the tree's key, is unchanged
    assert secret_modes(_collect(root, tmp_path / "run2", cache)) == [0o600]
    assert secret_modes(_collect(root, tmp_path / "run3", cache)) == [0o600]


def test_repo_files_replay_tells_whether_each_answer_is_the_same(tmp_path: Path) -> None:
    write_files(tmp_path, {"a.txt": "alpha", "b.pem": "-----BEGIN PRIVATE KEY-----"})
    repo = RepoFiles(tmp_path, {})
    assert repo.read("a.txt", 100) == "alpha"
    assert repo.read("a.txt", 3) is None  # larger than the limit
    assert repo.head("b.pem", 5) == b"-----"
    assert repo.mode("a.txt") == (tmp_path / "a.txt").stat().st_mode & 0o7777
    assert repo.read("missing.txt", 100) is None
    assert RepoFiles.replay(tmp_path, repo.reads)
    for change in (
        lambda: (tmp_path / "a.txt").write_text("alphA"),
        lambda: (tmp_path / "a.txt").chmod(0o600),
        lambda: (tmp_path / "b.pem").write_text("=====BEGIN PRIVATE KEY-----"),
        lambda: (tmp_path / "missing.txt").write_text("here now"),
        lambda: (tmp_path / "a.txt").unlink(),
    ):
        write_files(tmp_path, {"a.txt": "alpha", "b.pem": "-----BEGIN PRIVATE KEY-----"})
        (tmp_path / "a.txt").chmod(0o644)
        (tmp_path / "missing.txt").unlink(missing_ok=True)
        assert RepoFiles.replay(tmp_path, repo.reads)
        change()
        assert not RepoFiles.replay(tmp_path, repo.reads)
    assert not RepoFiles.replay(tmp_path, [("exec", "a.txt", 0, None)])  # a question it does not know
    (tmp_path / "a.txt").unlink(missing_ok=True)  # the last change deleted it
    os.mkfifo(tmp_path / "a.txt")  # opening it to read would wait for a writer for ever
    assert not RepoFiles.replay(tmp_path, repo.reads)
    (tmp_path / "a.txt").unlink()
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.pem")
    assert repo.read("a.txt", 100) is None and repo.mode("a.txt") is None  # as the listing, no symlink is read
    outside = tmp_path.parent / "outside.txt"
    outside.write_text("x")
    for rel in (str(outside), "../outside.txt", "sub/../../outside.txt"):
        assert repo.read(rel, 100) is None and repo.mode(rel) is None  # never a file outside the target


def _changed_while_analysed(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    real = Analyser.analyse

    def edit_then_analyse(self: Analyser, rel: str) -> object:
        if rel == "pkg/app.py":
            (root / rel).write_text("x = 2\n")
        return real(self, rel)

    monkeypatch.setattr(Analyser, "analyse", edit_then_analyse)


def _unreadable(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    real = static_run.read_file

    def refuse(root: str | Path, rel: str, links: object = None) -> object:
        if Path(rel).name == "app.js":
            raise PermissionError(13, "Permission denied")
        return real(root, rel, links)  # type: ignore[arg-type]

    monkeypatch.setattr(static_run, "read_file", refuse)


def _cache_distrusted(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    monkeypatch.setattr(static_run.Cache, "get", lambda self, key: setattr(self, "ignored", self.ignored + 1))


@pytest.mark.parametrize("trouble", [_changed_while_analysed, _unreadable, _cache_distrusted])
def test_an_analysis_that_went_wrong_is_not_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trouble: Callable[[pytest.MonkeyPatch, Path], None]
) -> None:
    root, cache = _repo(tmp_path / "repo"), tmp_path / "cache"
    trouble(monkeypatch, root)
    assert collect_inventory(_ctx(root, tmp_path / "run", cache)).status is Status.OK
    summary = static_run.StaticSummary.model_validate_json((tmp_path / "run/raw/static/summary.json").read_text())
    assert summary.streamed and not summary.reusable
    assert _entries(cache) == []


def _forged(text: bytes, document: bytes, secret: bytes | None = None) -> bytes:
    """The entry with ``document`` for its evidence, signed with ``secret`` (default: the user's own cache key, so
    that only the checks after the signature can refuse it)."""
    key, _signature, rest = text.split(b"\n", 2)
    reads = rest.split(b"\n", 1)[0]
    rest = reads + b"\n" + document
    return b"%s\n%s\n%s" % (key, sign(secret or cache_secret(), key.decode(), rest).encode(), rest)


def _sha256_signed(text: bytes) -> bytes:
    """The entry with its status edited and a plain sha256 where the signature goes: what anyone can compute."""
    key, _signature, rest = text.split(b"\n", 2)
    rest = rest.replace(b'"status": "ok"', b'"status": "skipped"', 1)
    return b"%s\n%s\n%s" % (key, hashlib.sha256(rest).hexdigest().encode(), rest)


DAMAGE: list[Callable[[bytes, dict[str, bytes]], bytes]] = [
    lambda text, _: text[: len(text) // 2],  # truncated
    lambda text, _: b"",  # empty
    lambda text, _: text.replace(b'"status": "ok"', b'"status": "OK"', 1),  # edited: the signature no longer fits
    lambda text, _: _forged(text, b'{"kind": "patterns", "status": "nonsense"}'),  # signed, invalid evidence
    lambda text, others: _forged(text, others["complexity"].split(b"\n", 3)[3]),  # signed, another kind's evidence
    lambda text, _: b"0" * 64 + text[64:],  # another key's entry copied here
    lambda text, _: _sha256_signed(text),  # the old checksum, recomputed by a forger
    lambda text, _: _forged(text, text.split(b"\n", 3)[3], secret=b"k" * 32),  # another user's key
]


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_entry_is_ignored_and_rewritten(
    tmp_path: Path, damage: Callable[[bytes, dict[str, bytes]], bytes]
) -> None:
    root, cache = _repo(tmp_path / "repo"), tmp_path / "cache"
    first = _collect(root, tmp_path / "run1", cache)
    tree = static_run.shared_analysis(_ctx(root, tmp_path / "run1", cache)).summary.tree_key
    paths = {kind: cache / memo.LAYOUT / key[:2] / f"{key}.json" for kind in COLLECTORS
             if (key := memo.memo_key(kind, tree))}  # fmt: skip
    texts = {kind: path.read_bytes() for kind, path in paths.items()}
    damaged = damage(texts["patterns"], texts)
    assert damaged != texts["patterns"]
    paths["patterns"].write_bytes(damaged)
    again = _collect(root, tmp_path / "run2", cache)
    note = ("the evidence cache's entry for this tree could not be trusted (damaged, forged or signed with another "
            "key) and the patterns evidence was recomputed")  # fmt: skip
    assert again["patterns"].pop("warnings") == [*first["patterns"].pop("warnings"), note]  # type: ignore[misc]
    assert again == first
    assert paths["patterns"].read_bytes().split(b"\n", 2)[:2] == texts["patterns"].split(b"\n", 2)[:2]


def test_the_newest_entries_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memo, "MAX_ENTRIES", 4)
    root, cache = _repo(tmp_path / "repo"), tmp_path / "cache"
    for n in range(3):
        write_files(root, {"pkg/n.py": f"N = {n}\n"})
        _collect(root, tmp_path / f"run{n}", cache)
        for age, entry in enumerate(reversed(_entries(cache))):  # distinct times, whatever the clock's grain
            os.utime(entry, (1_000_000 + n * 100 - age, 1_000_000 + n * 100 - age))
    assert len(_entries(cache)) == 4
    _no_analysis(monkeypatch)
    _collect(root, tmp_path / "again", cache)  # the last tree's three are among the four kept


def test_cache_clear_removes_the_evidence_too(tmp_path: Path) -> None:
    root, cache = _repo(tmp_path / "repo"), tmp_path / "cache"
    _collect(root, tmp_path / "run", cache)
    entries, _size = cache_usage(cache)
    files = len(list((cache / "files").rglob("*.json")))
    assert entries == files + 3
    assert clear_cache(cache) == entries
    assert list(cache.iterdir()) == []


def test_the_fast_patterns_reader_reads_as_the_model_does(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from assess.model.patterns import PatternsEvidence, read_patterns_evidence

    evidence = collect_patterns(_ctx(_repo(tmp_path / "repo"), tmp_path / "run", None))
    assert evidence.data is not None and len({type(s) for s in evidence.data.sites}) > 3
    text = evidence.model_dump_json()
    fast = read_patterns_evidence(text)
    assert fast == PatternsEvidence.model_validate_json(text) == evidence
    assert [type(s) for s in fast.data.sites] == [type(s) for s in evidence.data.sites]  # type: ignore[union-attr]
    assert fast.model_dump_json() == text
    for bad in (
        text.replace('"kind":"patterns"', '"kind":"coverage"', 1),
        text.replace('"line":', '"line":"one","x":', 1),
        text.replace('"sites":[{"kind":"', '"sites":[{"kind":"unknown-', 1),
        '{"kind": "patterns"}',
    ):
        with pytest.raises(ValidationError):
            PatternsEvidence.model_validate_json(bad)
        with pytest.raises(ValidationError):
            read_patterns_evidence(bad)
