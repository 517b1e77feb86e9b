"""File helpers: atomic writes and bounded reads."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import tempfile
from collections.abc import Callable
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


class NotRegularFile(OSError):
    """A path that is not a regular file (a folder, a FIFO, a device, a socket), or for readers that do not
    follow links, a symlink; an OSError so callers' "cannot be read" paths apply."""


class OutsideTarget(OSError):
    """A path that leads out of the folder it must stay in: through a symlinked folder, ``..``, an absolute path,
    or to a file whose other hard links are not known to be inside."""


_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
"""O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, for ever."""


def _regular(fd: int, name: str) -> os.stat_result:
    """``fd``'s stat when it is a regular file; else closes ``fd`` and raises :class:`NotRegularFile`."""
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise NotRegularFile(errno.EINVAL, "not a regular file", name)
    return st


def _read_fd(fd: int, limit: int, name: str) -> bytes:
    """At most ``limit`` bytes from ``fd`` (closed after); :class:`FileTooLarge` past ``limit``, unread when its
    size says so already."""
    with os.fdopen(fd, "rb") as fh:
        size = os.fstat(fd).st_size
        if size > limit:
            raise FileTooLarge(errno.EFBIG, f"larger than {_size(limit)}, not read", name)
        want = min(limit, size) + 1 if size else limit + 1  # a read allocates all it may return
        data = fh.read(want)
        if len(data) == want <= limit:  # grown since its size was read
            data += fh.read(limit + 1 - want)
    if len(data) > limit:
        raise FileTooLarge(errno.EFBIG, f"larger than {_size(limit)}, not read", name)
    return data


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"


def read_bounded(path: Path, limit: int, *, follow: bool = True) -> bytes:
    """The bytes of the regular file ``path``; raises :class:`FileTooLarge` past ``limit`` bytes without reading
    on, :class:`NotRegularFile` for a FIFO, device, socket or folder (and with ``follow=False``, a symlink),
    OSError when it cannot be read. A FIFO is never waited on.
    """
    flags = _READ_FLAGS | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        if err.errno == errno.ELOOP and not follow:
            raise NotRegularFile(errno.ELOOP, "a symlink, not followed", str(path)) from None
        raise
    _regular(fd, str(path))
    return _read_fd(fd, limit, str(path))


def _parts(rel: str) -> list[str]:
    """The components of a relative path that stays where it starts; :class:`OutsideTarget` otherwise."""
    parts = rel.split("/")
    if not rel or rel.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\0" in rel:
        raise OutsideTarget(errno.EINVAL, "not a plain relative path", rel)
    return parts


def open_beneath(root: str | Path, rel: str, *, links: Callable[[os.stat_result], bool] | None = None) -> int:
    """A read-only descriptor of the regular file ``rel`` under ``root``, each folder of the way opened
    without following a symlink, so the file is inside ``root`` whatever the path's components are.

    A file with more than one hard link is opened only if ``links`` (given its stat) says its other names are
    inside ``root`` too. Raises :class:`OutsideTarget` (a symlinked folder on the way, ``..``, an absolute path,
    a hard link not vouched for), :class:`NotRegularFile` (the file is a symlink, FIFO, device, socket or
    folder), or OSError (missing, unreadable).
    """
    parts = _parts(rel)
    folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts[:-1]:
            inner = _step(folder, part, rel)
            os.close(folder)
            folder = inner
        fd = _open_last(folder, parts[-1], rel)
    finally:
        os.close(folder)
    st = _regular(fd, rel)
    if st.st_nlink > 1 and (links is None or not links(st)):
        os.close(fd)
        raise OutsideTarget(errno.EMLINK, f"a hard link with {st.st_nlink} names, not all known inside", rel)
    return fd


def _step(folder: int, name: str, rel: str) -> int:
    """The descriptor of the folder ``name`` in ``folder``; never through a symlink."""
    try:
        return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR):
            raise OutsideTarget(err.errno, f"{name} on the way is not a folder (a symlink?)", rel) from None
        raise


def _open_last(folder: int, name: str, rel: str) -> int:
    try:
        return os.open(name, _READ_FLAGS | os.O_NOFOLLOW, dir_fd=folder)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise NotRegularFile(errno.ELOOP, "a symlink, not followed", rel) from None
        raise


def read_beneath(root: str | Path, rel: str, limit: int,
                 *, links: Callable[[os.stat_result], bool] | None = None) -> bytes:  # fmt: skip
    """The bytes of the regular file ``rel`` inside ``root`` (see :func:`open_beneath`), at most ``limit``:
    :class:`FileTooLarge` past it."""
    return _read_fd(open_beneath(root, rel, links=links), limit, rel)


def _folder(root: str | Path, parts: list[str], *, create: bool) -> int:
    """A descriptor of the folder ``parts`` under ``root``, each step taken without following a symlink; with
    ``create``, missing folders are made (mode 0700 less nothing: a cache is its user's). Raises OutsideTarget
    when a step is a symlink or not a folder, OSError otherwise."""
    folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts:
            try:
                inner = _step(folder, part, "/".join(parts))
            except FileNotFoundError:
                if not create:
                    raise
                with contextlib.suppress(FileExistsError):  # made by another process meanwhile
                    os.mkdir(part, 0o700, dir_fd=folder)
                inner = _step(folder, part, "/".join(parts))
            os.close(folder)
            folder = inner
    except BaseException:
        os.close(folder)
        raise
    return folder


def atomic_write_beneath(root: str | Path, rel: str, data: bytes) -> None:
    """Write ``data`` to ``rel`` under ``root`` through a temporary file and a rename, every folder on the way
    made or entered without following a symlink, so the write cannot land outside ``root`` (a cache whose
    folders someone replaced with symlinks). Raises OSError (:class:`OutsideTarget` for a symlinked folder)."""
    *parts, name = _parts(rel)
    with contextlib.suppress(FileExistsError):  # a file in its place: opening it as a folder says so below
        Path(root).mkdir(parents=True, exist_ok=True)  # the caller's to choose; nothing below it is followed
    folder = _folder(root, parts, create=True)
    tmp = f".{name}.{secrets.token_hex(8)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666 & ~_UMASK,
                     dir_fd=folder)  # fmt: skip
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=folder)
            raise
    finally:
        os.close(folder)


def list_beneath(root: str | Path, rel: str = "") -> list[tuple[str, os.stat_result]]:
    """(name, lstat) of each entry of the folder ``rel`` under ``root`` (reached without following a symlink);
    empty when it does not exist or cannot be read."""
    try:
        folder = _folder(root, _parts(rel) if rel else [], create=False)
    except OSError:
        return []
    found = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    found.append((entry.name, entry.stat(follow_symlinks=False)))
    except OSError:
        return found
    finally:
        os.close(folder)
    return found


def unlink_beneath(root: str | Path, rel: str, *, folders: bool = False) -> bool:
    """Delete the regular file ``rel`` under ``root`` (with ``folders``, an empty folder instead), never through
    a symlink and never anything else (a symlink, a FIFO); whether it was deleted."""
    *parts, name = _parts(rel)
    try:
        folder = _folder(root, parts, create=False)
    except OSError:
        return False
    try:
        mode = os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode
        if folders and stat.S_ISDIR(mode):
            os.rmdir(name, dir_fd=folder)
            return True
        if not folders and stat.S_ISREG(mode):
            os.unlink(name, dir_fd=folder)
            return True
    except OSError:
        return False
    finally:
        os.close(folder)
    return False
