"""The cache is not trusted more than its folder deserves (issue: the trust boundary).

Anyone who can write ``~/.cache/assess`` (the target's own tests, run as the same user; a CI cache restored
from another branch) can plant entries, symlinks and FIFOs there. Entries must be signed with a key that is
not in the cache; deleting and pruning must never follow a link out of it; a FIFO must not hang a read.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from pathlib import Path

import pytest

import assess.static.memo as memo
from assess.cli import main
from assess.collectors import CollectContext
from assess.collectors.patterns import collect_patterns
from assess.model import RunParameters
from assess.model.io import dumps
from assess.model.patterns import read_patterns_evidence
from assess.static import cachekey
from assess.static.cache import Cache, clear_cache
from assess.static.run import shared_analysis
from tests.conftest import write_files

KEY = "AKIAIOSFODNN7EXAMPLQ"


def _repo(root: Path) -> Path:
    write_files(root, {"app/__init__.py": "", "app/run.py": f'AWS = "{KEY}"\n\ndef run(s):\n    return eval(s)\n'})
    return root


def _ctx(root: Path, run_dir: Path, cache: Path) -> CollectContext:
    return CollectContext(RunParameters(target=str(root), jobs=1, cache_dir=str(cache)), run_dir)


def _kinds(evidence: object) -> set[str]:
    return {type(site).__name__ for site in evidence.data.sites}  # type: ignore[attr-defined]


def _decoys(folder: Path, count: int = 40) -> list[Path]:
    """A user's files, named as the cache names its entries, in a folder outside the cache."""
    made = []
    for n in range(count):
        path = folder / "v4" / "ab" / f"{n:064x}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('{"mine": true}')
        made.append(path)
    return made


@pytest.mark.parametrize("linked", ["files", "files/v4", "files/v4/ab"])
def test_cache_clear_never_follows_a_link_out_of_the_cache(tmp_path: Path, linked: str) -> None:
    cache, outside = tmp_path / "cache", tmp_path / "documents"
    decoys = _decoys(outside)
    link = cache / linked
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside / Path(*Path(linked).parts[1:]) if linked != "files" else outside)
    assert main(["cache", "clear", "--cache-dir", str(cache)]) == 0
    assert all(p.exists() for p in decoys)


def test_pruning_never_follows_a_link_out_of_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memo, "MAX_ENTRIES", 1)
    cache, outside = tmp_path / "cache", tmp_path / "documents"
    decoys = [outside / f"{n:064x}.json" for n in range(40)]
    outside.mkdir()
    for n, path in enumerate(decoys):
        path.write_text("{}")
        os.utime(path, (n, n))  # older than anything the run writes: first to be pruned if followed
    (cache / memo.LAYOUT).mkdir(parents=True)
    (cache / memo.LAYOUT / "00").symlink_to(outside)
    collect_patterns(_ctx(_repo(tmp_path / "repo"), tmp_path / "run", cache))
    assert all(p.exists() for p in decoys)


def test_entries_are_never_written_through_a_symlinked_folder(tmp_path: Path) -> None:
    cache, outside = tmp_path / "cache", tmp_path / "elsewhere"
    outside.mkdir()
    (cache / "files").mkdir(parents=True)
    (cache / "files" / "v4").symlink_to(outside)
    ctx = _ctx(_repo(tmp_path / "repo"), tmp_path / "run", cache)
    collect_patterns(ctx)
    assert list(outside.rglob("*")) == []
    summary = shared_analysis(ctx).summary
    assert any("could not be written" in w for w in summary.warnings), summary.warnings


def _patterns_entry(root: Path, cache: Path, run_dir: Path) -> Path:
    tree = shared_analysis(_ctx(root, run_dir, cache)).summary.tree_key
    key = memo.memo_key("patterns", tree)
    return cache / memo.LAYOUT / key[:2] / f"{key}.json"


@pytest.mark.parametrize("signature", ["sha256", "foreign-key"])
def test_a_forged_entry_cannot_hide_findings(tmp_path: Path, signature: str) -> None:
    """The attack as it was shown: the patterns evidence rewritten without the eval and the key, and the entry's
    checksum recomputed. With entries signed, the forgery is recomputed and counted."""
    root, cache = _repo(tmp_path / "repo"), tmp_path / "cache"
    honest = collect_patterns(_ctx(root, tmp_path / "run1", cache))
    assert {"BanditSite"} <= _kinds(honest), _kinds(honest)
    entry = _patterns_entry(root, cache, tmp_path / "run1")
    key, _signature, rest = entry.read_bytes().split(b"\n", 2)
    reads, document = rest.split(b"\n", 1)
    evidence = read_patterns_evidence(document)
    assert evidence.data is not None
    without = evidence.model_copy(update={"data": evidence.data.model_copy(update={"sites": ()})})
    body = reads + b"\n" + dumps(without).encode()
    mac = (hashlib.sha256(body).hexdigest() if signature == "sha256"
           else cachekey.sign(b"x" * cachekey.KEY_BYTES, key.decode(), body))  # fmt: skip
    entry.write_bytes(key + b"\n" + mac.encode() + b"\n" + body)
    again = collect_patterns(_ctx(root, tmp_path / "run2", cache))
    assert _kinds(again) == _kinds(honest)
    assert any("could not be trusted" in w for w in again.warnings), again.warnings


def test_a_fifo_in_the_cache_does_not_hang_a_run(tmp_path: Path) -> None:
    root, cache = _repo(tmp_path / "repo"), tmp_path / "cache"
    collect_patterns(_ctx(root, tmp_path / "run1", cache))
    entry = _patterns_entry(root, cache, tmp_path / "run1")
    entry.unlink()
    os.mkfifo(entry)
    done: list[object] = []
    worker = threading.Thread(target=lambda: done.append(collect_patterns(_ctx(root, tmp_path / "run2", cache))))
    worker.start()
    worker.join(timeout=60)
    assert done, "reading a FIFO in the cache hung the collector"
    file_cache = Cache(cache)
    for path in (cache / "files").rglob("*.json"):
        path.unlink()
        os.mkfifo(path)
        assert file_cache.get(path.stem) is None
    assert file_cache.ignored > 0


def test_the_key_is_made_private_outside_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_path = tmp_path / "state" / "assess" / "cache.key"
    monkeypatch.setenv(cachekey.KEY_ENV, str(key_path))
    secret = cachekey.cache_secret()
    assert len(secret) == cachekey.KEY_BYTES
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_path.parent.stat().st_mode) == 0o700
    assert cachekey.cache_secret() == secret  # the same key from the file next time


@pytest.mark.parametrize("trouble", ["readable-by-others", "symlink", "garbage"])
def test_a_key_that_cannot_be_trusted_turns_the_cache_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trouble: str
) -> None:
    key_path = tmp_path / f"key-{trouble}"
    if trouble == "symlink":
        (tmp_path / "real").write_text("00" * cachekey.KEY_BYTES)
        (tmp_path / "real").chmod(0o600)
        key_path.symlink_to(tmp_path / "real")
    else:
        key_path.write_text("00" * cachekey.KEY_BYTES if trouble != "garbage" else "not hex")
        key_path.chmod(0o644 if trouble == "readable-by-others" else 0o600)
    monkeypatch.setenv(cachekey.KEY_ENV, str(key_path))
    cache = Cache(tmp_path / "cache")
    assert cache.secret is None and cache.write_error is not None and str(key_path) in cache.write_error
    ctx = _ctx(_repo(tmp_path / "repo"), tmp_path / "run", tmp_path / "cache")
    collect_patterns(ctx)
    assert not (tmp_path / "cache" / "files").exists()
    assert any(str(key_path) in w for w in shared_analysis(ctx).summary.warnings)


def test_clear_removes_every_entry_it_made(tmp_path: Path) -> None:
    root, cache = _repo(tmp_path / "repo"), tmp_path / "cache"
    collect_patterns(_ctx(root, tmp_path / "run", cache))
    (cache / "notes.txt").write_text("the user's")
    assert clear_cache(cache) > 0
    assert sorted(p.name for p in cache.rglob("*")) == ["notes.txt"]
