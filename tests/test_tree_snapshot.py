"""The before/after snapshot of the target's tree: the listing's excluded folders are not walked, the walk
is bounded, and a bounded walk says what it left out instead of reporting false changes."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from assess.collectors import coverage as coverage_collector
from assess.collectors.coverage import collect_coverage
from assess.collectors.listing import EXCLUDED_DIRS, WALK_ONLY_EXCLUDED_DIRS
from assess.collectors.testrun import TreeSnapshot, changes, snapshot, snapshot_note, walk_key

from .conftest import CALC_PROJECT, write_files

NOT_WALKED = sorted(EXCLUDED_DIRS | WALK_ONLY_EXCLUDED_DIRS)


def test_folders_the_listing_leaves_out_are_not_walked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app.py": "x = 1\n", "pkg/mod.py": "y = 2\n"}
    files |= {f"{name}/inner/file.txt": "z\n" for name in NOT_WALKED}
    files |= {f"pkg/{name}/file.txt": "z\n" for name in NOT_WALKED}  # at any depth
    write_files(tmp_path, files)
    read: list[str] = []
    real_scandir = os.scandir

    def scandir(path: Path) -> object:
        read.append(Path(path).relative_to(tmp_path).as_posix())
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    snap = snapshot(tmp_path)
    assert dict(snap.files).keys() == {"app.py", "pkg/mod.py"}
    assert sorted(read) == [".", "pkg"], "an excluded folder is never read"
    assert snap.stopped_at is None and snapshot_note(snap, snap) is None


def test_symlinks_are_recorded_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write_files(outside, {f"f{i}.txt": "x" for i in range(5)})
    target = tmp_path / "target"
    write_files(target, {"a.py": "x = 1\n"})
    (target / "link").symlink_to(outside, target_is_directory=True)
    assert dict(snapshot(target).files).keys() == {"a.py", "link"}


def test_the_walk_order_is_files_first_then_folders_by_name() -> None:
    order = ["a.txt", "z.txt", "a/z.txt", "a/b/a.txt", "a/c.d/x", "b/a.txt", "b-c/a.txt"]
    assert sorted(order, key=walk_key) == order


# A tree of 12 entries: 3 files and 3 folders at the top, 2 files in a/, 3 in b/, 1 in c/.
TREE = {"1.txt": "", "2.txt": "", "3.txt": "", "a/1": "", "a/2": "", "b/1": "", "b/2": "", "b/3": "", "c/1": ""}


@pytest.mark.parametrize(
    ("limit", "stopped_at", "walked"),
    [
        (12, None, set(TREE)),
        (11, "c", set(TREE) - {"c/1"}),  # c/ holds one more entry than is left
        (9, "b", {"1.txt", "2.txt", "3.txt", "a/1", "a/2"}),
        (5, ".", set()),  # the top folder alone has more
    ],
)
def test_the_walk_stops_at_its_bound_and_says_where(
    tmp_path: Path, limit: int, stopped_at: str | None, walked: set[str]
) -> None:
    write_files(tmp_path, TREE)
    snap = snapshot(tmp_path, limit=limit)
    assert (snap.stopped_at, set(snap.files)) == (stopped_at, walked)


def test_a_bounded_walk_compares_only_what_both_walks_reached(tmp_path: Path) -> None:
    write_files(tmp_path, TREE)
    before = snapshot(tmp_path, limit=11)
    assert before.stopped_at == "c"
    (tmp_path / "0.txt").write_text("new")  # one more entry at the top: the second walk stops sooner
    (tmp_path / "a" / "1").write_text("changed")
    (tmp_path / "b" / "2").write_text("changed, past where the second walk stops")
    (tmp_path / "c" / "1").unlink()
    after = snapshot(tmp_path, limit=11)
    assert after.stopped_at == "b"
    # Nothing in b/ or c/ is reported as deleted or changed: the second walk never saw them.
    assert changes(before, after) == ["created 0.txt", "changed a/1"]
    assert snapshot_note(before, after) == (
        "the target has more than 11 files and folders (besides those the listing leaves out): writes into its "
        "tree were looked for only before b/ (walking by name, a folder's files before its subfolders)"
    )
    top = snapshot(tmp_path, limit=5)
    assert changes(top, after) == [] and snapshot_note(top, after) == (
        "the target's top folder has more than 5 entries: writes into its tree were not looked for"
    )


def test_writes_into_the_targets_own_files_are_reported(tmp_path: Path) -> None:
    write_files(tmp_path, {"keep.py": "", "edit.py": "", "gone.py": "", "pkg/data.json": "{}"})
    before = snapshot(tmp_path)
    (tmp_path / "edit.py").write_text("x = 1\n")
    (tmp_path / "gone.py").unlink()
    (tmp_path / "pkg" / "new.txt").write_text("x")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "ignored.txt").write_text("not the target's own")
    assert changes(before, snapshot(tmp_path)) == ["created pkg/new.txt", "deleted gone.py", "changed edit.py"]


def test_empty_snapshots_have_no_changes() -> None:
    assert changes(TreeSnapshot({}), TreeSnapshot({})) == []


@pytest.mark.slow
def test_a_tree_past_the_bound_is_said_in_the_evidence(make_repo, make_ctx, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = "from pathlib import Path\ndef test_w():\n    Path('droppings.txt').write_text('x')\n"
    repo = make_repo({**CALC_PROJECT, "tests/test_writer.py": writer})
    monkeypatch.setattr(coverage_collector, "snapshot", functools.partial(snapshot, limit=6))
    ev = collect_coverage(make_ctx(repo, timeout_s=120))
    assert ev.data is not None and ev.data.test_run is not None
    assert ev.data.test_run.tree_changes == ("created droppings.txt",)  # in the top folder: still walked
    assert any(w.startswith("the target has more than 6 files and folders") for w in ev.warnings), ev.warnings
