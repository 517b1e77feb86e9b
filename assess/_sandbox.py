"""What the target's own processes see and may use; :mod:`assess._spawn` starts them under the reaper.

Every command that runs the target's code or reads its configuration (its tests, its service, its
interpreter asked for its versions, the coverage.py that exports the report) gets:

- an environment reduced to :data:`ALLOWED_ENV` (and ``LC_*``) plus the variables the user names with
  ``--pass-env``: assess's own environment (CI secrets, tokens) never reaches it, so the target cannot quote
  it into an output, not even through coverage.py's ``${VAR}`` expansion of its configuration;
- no core files, and for the tests, the service and the interpreter probe, resource limits (:class:`Limits`):
  private writable memory (``RLIMIT_DATA``) and largest file (``RLIMIT_FSIZE``), soft and hard, so that the
  target cannot raise them;
- for the same three, a private temporary folder (:class:`PrivateTemp`), measured and removed after it;
- the reaper (:mod:`assess._reaper`) as its parent, which kills whatever the command left running when it
  ends, double-forked daemons in sessions of their own included.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ALLOWED_ENV = ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TERM", "CI", "NO_COLOR", "TMPDIR")
"""Variables the target's processes get from assess's environment, besides ``LC_*``: what locates the user,
the locale and the terminal, no credentials. ``TMPDIR`` is replaced by a private folder where there is one."""
ALLOWED_ENV_PREFIX = "LC_"
TEMP_ENV = ("TMPDIR", "TEMP", "TMP")
"""The names under which programs look for their temporary folder (Python's ``tempfile`` reads all three)."""
STEERING_ENV = (
    "COVERAGE_FILE",
    "COVERAGE_RCFILE",
    "COVERAGE_PROCESS_START",
    "COV_CORE_SOURCE",
    "COV_CORE_CONFIG",
    "COV_CORE_DATAFILE",
    "PYTEST_CURRENT_TEST",
    "PYTEST_XDIST_WORKER",
    "PYTEST_ADDOPTS",
    "ASSESS_GROUPS_DIR",  # assess's own bookkeeping (assess._proc.GROUPS_DIR_ENV), not the target's
)
"""Variables that would change how the target's tests or coverage run behave under assess: never passed,
even when named with ``--pass-env``."""
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

MiB = 1 << 20
GiB = 1 << 30
DEFAULT_MEMORY_LIMIT = 4 * GiB
"""``--memory-limit``: each process of the target may map this much private writable memory (``RLIMIT_DATA``:
heap, anonymous mappings; not the address space, so the large reservations of V8, the JVM or Go's runtime,
never written, do not count)."""
DEFAULT_FILE_SIZE_LIMIT = 1 * GiB
"""``--file-size-limit``: no process of the target may write a file past this size (``RLIMIT_FSIZE``); the
write fails with EFBIG (``OSError: [Errno 27] File too large`` in Python)."""
_SIZE = re.compile(r"(\d+)\s*([KMGT]?)(?:i?B)?", re.IGNORECASE)


class SettingError(argparse.ArgumentTypeError, ValueError):
    """A value given for ``--pass-env`` or a size is wrong; the message says why (argparse prints it as is)."""


def allowed_env(pass_env: Iterable[str] = (), source: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables of ``source`` (default: this process's environment) that the target may see:
    :data:`ALLOWED_ENV`, ``LC_*``, and those named in ``pass_env`` (less :data:`STEERING_ENV`)."""
    named = set(pass_env) - set(STEERING_ENV)
    environ = os.environ if source is None else source
    return {k: v for k, v in environ.items() if k in ALLOWED_ENV or k.startswith(ALLOWED_ENV_PREFIX) or k in named}


def env_name(text: str) -> str:
    """``text`` as a ``--pass-env`` name. Raises SettingError for what is not a variable's name, and for the
    variables assess sets or removes itself (:data:`TEMP_ENV`, :data:`STEERING_ENV`)."""
    if not _ENV_NAME.fullmatch(text):
        raise SettingError(f"{text!r} is not the name of an environment variable")
    if text in TEMP_ENV or text in STEERING_ENV or text == "PYTHONDONTWRITEBYTECODE":
        raise SettingError(f"{text} is set or removed by assess itself, so it cannot be passed")
    return text


def byte_size(text: str) -> int | None:
    """A size such as ``512M``, ``4G``, ``4GiB`` or ``1048576`` in bytes (K, M, G, T are powers of 1024);
    None for ``0``, ``none`` or ``unlimited`` (no limit). Raises SettingError otherwise."""
    if text.strip().lower() in ("none", "unlimited"):
        return None
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise SettingError(f"{text!r} is not a size (such as 512M, 4G, or 0 for no limit)")
    number = int(match.group(1)) << (10 * " KMGT".index(match.group(2).upper() or " "))
    return number or None


def format_size(size: int) -> str:
    """``size`` bytes in the largest binary unit that divides it, e.g. ``4 GiB``, ``1536 KiB``."""
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} bytes"


@dataclass(frozen=True)
class Limits:
    """Resource limits for one command and every process it starts (each process has its own)."""

    memory: int | None = DEFAULT_MEMORY_LIMIT
    """Bytes of private writable memory (``RLIMIT_DATA``); None: no limit."""
    file_size: int | None = DEFAULT_FILE_SIZE_LIMIT
    """Bytes in the largest file it may write (``RLIMIT_FSIZE``); None: no limit."""

    def reaper_args(self) -> list[str]:
        """The reaper's options for these limits (core files are always off)."""
        pairs = (("DATA", self.memory), ("FSIZE", self.file_size))
        return [arg for name, value in pairs if value is not None for arg in ("--limit", f"{name}={value}")]


_SIGNS = {
    "memory": ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory"),
    "file_size": ("File too large", "SIGXFSZ"),
}
"""What a process says when it meets each limit (Python, C, C++, Node/JVM)."""


def limits_met(output: str, limits: Limits) -> list[str]:
    """Sentences for the limits in force that ``output`` says a process met (e.g. a MemoryError under the
    memory limit); empty when it says nothing of the kind. The words may have other causes: a sign, not proof."""
    found = []
    for which, option in (("memory", "--memory-limit"), ("file_size", "--file-size-limit")):
        value: int | None = getattr(limits, which)
        sign = next((s for s in _SIGNS[which] if s in output), None)
        if value is not None and sign is not None:
            what = "memory per process" if which == "memory" else "largest file"
            found.append(f"the output says {sign!r}: the run was limited to {format_size(value)} of {what} ({option})")
    return found


class PrivateTemp:
    """A fresh folder under the system's temporary folder, for one command's ``TMPDIR``; :meth:`close`
    measures it and removes it. Raises OSError when it cannot be made."""

    def __init__(self, prefix: str = "assess-tmp-") -> None:
        self.path = Path(tempfile.mkdtemp(prefix=prefix))
        self.size: int | None = None
        """Bytes of disk it held when closed (None until then)."""

    def env(self) -> dict[str, str]:
        return dict.fromkeys(TEMP_ENV, str(self.path))

    def close(self) -> int | None:
        """Measure the folder, then remove it, whatever its content's permissions; its size in bytes (what
        it took on disk), None when it was already gone (or replaced by a symlink, which is removed, never
        followed). Call it once the command's processes are gone. Removal problems are passed over."""
        if self.path.is_symlink():
            self.path.unlink()
        elif self.path.is_dir():
            with contextlib.suppress(OSError):
                self.path.chmod(0o700)  # ours, not a link (checked): the command may have locked it
            self.size = disk_usage(self.path) if self.size is None else self.size
            shutil.rmtree(self.path, onerror=self._make_writable_and_retry)
        return self.size

    def _make_writable_and_retry(self, function: Any, path: str, _: object) -> None:
        """rmtree's error handler: a folder in ours that the command made read-only (or unreadable) is opened
        up, then the removal is tried again; what still fails is left. Nothing outside ours is touched."""
        inside = str(self.path)
        if not (path == inside or path.startswith(inside + os.sep)) or os.path.islink(path):  # noqa: PTH114
            return
        with contextlib.suppress(OSError):
            if path != inside:
                os.chmod(os.path.dirname(path), 0o700)  # noqa: PTH101, PTH120 (rmtree hands over str paths)
            if function is not os.unlink and os.path.isdir(path):  # noqa: PTH112
                os.chmod(path, 0o700)  # noqa: PTH101
                shutil.rmtree(path, onerror=lambda *_: None)
            else:
                function(path)

    def __enter__(self) -> PrivateTemp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def disk_usage(folder: Path, max_entries: int = 1_000_000) -> int:
    """Bytes of disk the files and folders under ``folder`` take (symlinks not followed), counting at most
    ``max_entries`` of them. Unreadable entries count for nothing."""
    total, seen = 0, 0
    for root, dirs, files in os.walk(folder):
        for name in (*dirs, *files):
            seen += 1
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_blocks * 512  # noqa: PTH118 (hot loop)
        if seen >= max_entries:
            break
    return total
