"""Atomic writes: whole file or old file, never a partial one; shared-file permissions."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from assess import _files
from assess._files import atomic_write_bytes, atomic_write_text


def test_written_with_the_mode_open_would_give(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_files, "_UMASK", 0o022)
    atomic_write_text(tmp_path / "report.html", "x")
    assert stat.S_IMODE((tmp_path / "report.html").stat().st_mode) == 0o644
    monkeypatch.setattr(_files, "_UMASK", 0o077)
    atomic_write_text(tmp_path / "private.html", "x")
    assert stat.S_IMODE((tmp_path / "private.html").stat().st_mode) == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "assessment.json"
    atomic_write_text(path, "old")

    def boom(self: Path, target: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Path, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(path, b"new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["assessment.json"]
