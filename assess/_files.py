"""File helpers: atomic writes and bounded reads."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes, *, fsync: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename.

    Readers see either the old file or the whole new one. On failure the temporary file is
    removed and the exception propagates. The file gets the mode a plain ``open()`` would give it
    (0666 less the umask), not the 0600 of a temporary file: reports are meant to be shared.
    ``fsync=False`` skips flushing to disk, for files whose loss in a power cut is harmless
    (cache entries, which are checked on every read).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


_UMASK = _umask()
"""Read once, at import (single-threaded), since reading it briefly changes it for the process."""


def remove_temporaries(folder: Path) -> int:
    """Delete the temporary files :func:`atomic_write_bytes` left under ``folder`` (a writer killed before it
    could clean up); how many. Only for a folder nobody writes to any more."""
    removed = 0
    for path in folder.rglob(".*.tmp"):
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    return removed


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


class FileTooLarge(OSError):
    """A file over the size a reader accepts; an OSError so callers' "cannot be read" paths apply."""


def read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of ``path``; raises :class:`FileTooLarge` past ``limit`` bytes without reading on.

    Reads at most ``limit + 1`` bytes, so a huge file, a device or a pipe costs no more than that.
    """
    with path.open("rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(f"larger than {limit // (1024 * 1024)} MiB, not read")
    return data
