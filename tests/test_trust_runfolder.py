"""A run folder from an untrusted CI job, handed to ``assess score`` or ``assess render`` (issue: the trust
boundary): a symlinked evidence file or folder is not followed, a FIFO does not hang, and each still gives a
report. (Links rendered from ``run.json`` are tested in tests/test_trust_report.py.)"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from assess.assessment import write_outputs
from assess.cli import main
from assess.collectors import run_collector
from assess.model.io import ModelFileError, read_evidence
from assess.pipeline import Pipeline
from tests.conftest import CALC_PROJECT

SECRET = "s3cr3t-outside-the-run-folder"


@pytest.fixture
def run_folder(make_repo, make_ctx, tmp_path: Path) -> Path:
    repo = make_repo(CALC_PROJECT)
    ctx = make_ctx(repo, no_tests=True)
    Pipeline(ctx.params, ctx.run_dir).write_info()
    for kind in ("inventory", "complexity", "patterns", "coverage"):
        run_collector(kind, ctx)
    write_outputs(ctx.run_dir)
    return ctx.run_dir


def _outside_evidence(run_dir: Path, tmp_path: Path) -> Path:
    """A copy of the run's patterns evidence outside the run folder, with the secret in a field that is shown."""
    text = (run_dir / "evidence" / "patterns.json").read_text()
    outside = tmp_path / "elsewhere" / "patterns.json"
    outside.parent.mkdir()
    outside.write_text(text.replace('"status": "ok"', f'"status": "ok", "reason": "{SECRET}"', 1))
    return outside


def _call(args: list[str], within_s: float = 60) -> int:
    """``main(args)`` in a thread, failing the test (instead of hanging it) if it does not return in time."""
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(main(args)), daemon=True)
    worker.start()
    worker.join(within_s)
    assert result, f"assess {args[0]} hung"
    return result[0]


@pytest.mark.parametrize("command", ["score", "render"])
def test_a_symlinked_evidence_file_is_not_followed(run_folder: Path, tmp_path: Path, command: str) -> None:
    outside = _outside_evidence(run_folder, tmp_path)
    (run_folder / "evidence" / "patterns.json").unlink()
    (run_folder / "evidence" / "patterns.json").symlink_to(outside)
    assert _call([command, str(run_folder)]) == 0
    for name in ("assessment.html", "assessment.json", "summary.md", "findings.sarif"):
        assert SECRET not in (run_folder / name).read_text(), name
    with pytest.raises(ModelFileError, match="a symlink, not followed"):
        read_evidence(run_folder / "evidence" / "patterns.json", root=run_folder)


def test_a_symlinked_evidence_folder_is_not_followed(run_folder: Path, tmp_path: Path) -> None:
    outside = _outside_evidence(run_folder, tmp_path)
    shutil.rmtree(run_folder / "evidence")
    (run_folder / "evidence").symlink_to(outside.parent, target_is_directory=True)
    assert _call(["score", str(run_folder)]) == 0
    assert SECRET not in (run_folder / "assessment.html").read_text()


@pytest.mark.parametrize(
    ("command", "name"),
    [
        ("score", "evidence/patterns.json"),
        ("score", "run.json"),
        ("render", "assessment.json"),
        ("render", "evidence/inventory.json"),
    ],
)
def test_a_fifo_in_the_run_folder_does_not_hang(run_folder: Path, command: str, name: str) -> None:
    (run_folder / name).unlink()
    os.mkfifo(run_folder / name)
    code = _call([command, str(run_folder)])
    assert code in (0, 2)  # a report without that file, or (run.json, assessment.json) a one-line error
