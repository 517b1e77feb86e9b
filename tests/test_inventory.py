"""Inventory on fixture repositories: counts pinned by the documented rules (docs/metrics.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assess.collectors.inventory import collect_inventory, inventory
from assess.collectors.listing import list_files
from assess.model import Role, Status, TestKind

from .conftest import CALC_PROJECT


def test_calc_project_counts(make_repo):
    data = inventory(make_repo(CALC_PROJECT))
    roles = {f.path: f.role for f in data.files}
    assert roles == {
        "README.md": Role.DOCS,
        "calc/__init__.py": Role.SOURCE,
        "calc/unused.py": Role.SOURCE,
        "pyproject.toml": Role.CONFIG,
        "tests/__init__.py": Role.TEST_SUPPORT,
        "tests/conftest.py": Role.TEST_SUPPORT,
        "tests/test_calc.py": Role.TEST,
    }
    r = data.ratios
    # calc/__init__.py has 15 non-blank lines, unused.py 5; the test file 12.
    assert (r.source_files, r.test_files, r.source_sloc, r.test_sloc) == (2, 1, 20, 12)
    assert r.files_ratio == pytest.approx(0.5)
    assert r.lines_ratio == pytest.approx(12 / 20)
    assert (data.test_definitions, data.test_cases_expanded, data.unknown_expansions) == (3, 5, 0)
    assert {t.name for t in data.tests} == {"test_add", "test_divide", "TestStack::test_push_pop"}


def test_git_listing_leaves_ignored_files_out(make_repo):
    files = {**CALC_PROJECT, ".gitignore": "build_output/\n*.log\n"}
    repo = make_repo(files, git_repo=True)
    (repo / "build_output").mkdir()
    (repo / "build_output" / "gen.py").write_text("x = 1\n")
    (repo / "debug.log").write_text("noise\n")
    (repo / "calc" / "new_module.py").write_text("y = 2\n")  # untracked, not ignored: listed
    listing = list_files(repo)
    assert listing.method == "git"
    assert "calc/new_module.py" in listing.paths
    assert not any(p.startswith("build_output/") or p.endswith(".log") for p in listing.paths)


def test_walk_applies_default_excludes(make_repo):
    repo = make_repo(
        {
            **CALC_PROJECT,
            ".venv/lib/site.py": "x=1\n",
            ".hypothesis/examples/abc": "x\n",
            "node_modules/a/i.js": "x\n",
            "pkg.egg-info/PKG-INFO": "x\n",
            "calc/__pycache__/x.pyc": b"\0",
        }
    )
    listing = list_files(repo)
    assert listing.method == "walk"
    assert sorted(listing.paths) == sorted(CALC_PROJECT)


def test_symlinks_are_skipped_not_followed(make_repo, tmp_path: Path):
    outside = tmp_path / "outside.py"
    outside.write_text("secret = 1\n")
    repo = make_repo(CALC_PROJECT)
    os.symlink(outside, repo / "calc" / "link.py")
    data = inventory(repo)
    assert "calc/link.py" in data.skipped_paths
    assert "calc/link.py" not in {f.path for f in data.files}


@pytest.mark.parametrize("git_repo", [False, True], ids=["walk", "git"])
def test_undecodable_file_names_are_skipped_not_fatal(make_repo, make_ctx, git_repo: bool):
    repo = make_repo(CALC_PROJECT, git_repo=git_repo)
    with open(os.fsencode(repo) + b"/calc/bad\xff.py", "wb") as fh:
        fh.write(b"x = 1\n")
    ev = collect_inventory(make_ctx(repo))
    assert ev.status is Status.OK
    assert "calc/bad\\xff.py" in ev.data.skipped_paths
    assert len(ev.data.files) == len(CALC_PROJECT)


def test_unparsable_test_file_is_reported_not_fatal(make_repo, make_ctx):
    repo = make_repo({**CALC_PROJECT, "tests/test_broken.py": "def test_x(:\n"})
    ev = collect_inventory(make_ctx(repo))
    assert ev.status is Status.OK
    assert ev.data.unparsed_test_files == ("tests/test_broken.py",)
    assert "do not parse" in ev.warnings[0]
    assert ev.data.test_definitions == 3


def test_empty_folder(make_repo, make_ctx):
    ev = collect_inventory(make_ctx(make_repo({})))
    assert ev.status is Status.OK
    assert ev.reason == "the target has no files"
    assert ev.data.ratios.files_ratio is None
    assert ev.data.ratios.lines_ratio is None


def test_binary_and_huge_files_are_not_line_counted(make_repo, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("assess.static.worker.READ_MAX_BYTES", 100)
    repo = make_repo({"img.png": b"\x89PNG\0\0", "big.py": "x = 1\n" * 50, "small.py": "x = 1\n"})
    by_path = {f.path: f for f in inventory(repo).files}
    assert by_path["img.png"].role is Role.BINARY and by_path["img.png"].sloc is None
    assert by_path["big.py"].sloc is None and by_path["big.py"].size_bytes == 300
    assert by_path["small.py"].sloc == 1


def test_kinds_from_folders(make_repo):
    repo = make_repo(
        {
            "app.py": "x = 1\n",
            "tests/unit/test_a.py": "def test_a(): pass\n",
            "tests/integration/test_b.py": "def test_b(): pass\n",
            "tests/e2e/test_c.py": "def test_c(): pass\n",
            "benchmarks/test_d.py": "def test_d(): pass\n",
        }
    )
    kinds = {t.name: t.kind for t in inventory(repo).tests}
    assert kinds == {
        "test_a": TestKind.UNIT,
        "test_b": TestKind.INTEGRATION,
        "test_c": TestKind.E2E,
        "test_d": TestKind.PERFORMANCE,
    }


def test_a_truncated_listing_says_so(make_repo, make_ctx, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("assess.collectors.listing.MAX_FILES", 3)
    ev = collect_inventory(make_ctx(make_repo(CALC_PROJECT)))
    assert len(ev.data.files) == 3
    assert "only the first 3 are inventoried" in ev.warnings[0]
