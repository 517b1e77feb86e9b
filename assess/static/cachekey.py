"""The cache's key: a per-user secret that authenticates every cache entry (an HMAC), kept outside the cache.

A plain checksum proves only that an entry is whole: anyone who can write the cache folder can write a
matching one (a target's test suite runs as the same user; a CI cache restored from another branch; a cache
folder shared between users). Entries are therefore signed with HMAC-SHA256 under a 32-byte secret made on
first use in ``$ASSESS_CACHE_KEY`` (a file path), else ``$XDG_STATE_HOME/assess/cache.key``, else
``~/.local/state/assess/cache.key``: outside the cache folder, so that copying or restoring a cache folder
never brings a key with it. The file is created with mode 0600 in a folder created with mode 0700, and is
used only while it is a regular file owned by this user that nobody else may read or write; otherwise the
cache is not used, and the run says why. An entry signed under another key (another user's, another
machine's, a forged one) does not verify and is recomputed, and counted.

What this does not stop: code running as this same user (the target's own test suite, when ``assess`` runs
it) can read the key file as it can read any of the user's files. ``docs/security.md`` says what follows.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from functools import cache
from pathlib import Path

from assess._files import read_bounded

KEY_ENV = "ASSESS_CACHE_KEY"
KEY_BYTES = 32


class CacheKeyError(Exception):
    """The key file cannot be made or trusted; the message says why and what to do."""


def key_file() -> Path:
    """``$ASSESS_CACHE_KEY``, else ``$XDG_STATE_HOME/assess/cache.key``, else ``~/.local/state/assess/cache.key``."""
    if env := os.environ.get(KEY_ENV):
        return Path(env).expanduser()
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "assess" / "cache.key"


def cache_secret() -> bytes:
    """The secret in :func:`key_file`, made there if there is none. Raises :class:`CacheKeyError`."""
    return _secret(str(key_file()))


@cache
def _secret(path_text: str) -> bytes:
    path = Path(path_text)
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    _make(path)
    return _read(path)


def _read(path: Path) -> bytes:
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            raise CacheKeyError(f"the cache key {path} is not a regular file; delete it to make a new one")
        if st.st_uid != os.getuid() or st.st_mode & 0o077:
            raise CacheKeyError(
                f"the cache key {path} is not this user's alone (mode {stat.S_IMODE(st.st_mode):04o}); "
                "delete it (a new one is made) or make it mode 0600"
            )
        text = read_bounded(path, 1024, follow=False).strip()
        secret = bytes.fromhex(text.decode("ascii"))
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as err:  # UnicodeDecodeError is a ValueError
        raise CacheKeyError(f"the cache key {path} cannot be read ({err}); delete it to make a new one") from None
    if len(secret) != KEY_BYTES:
        raise CacheKeyError(f"the cache key {path} is not {KEY_BYTES} bytes; delete it to make a new one")
    return secret


def _make(path: Path) -> None:
    """Write a new secret to ``path``, mode 0600, unless another process has just made one."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return  # another run made it first: use theirs
    except OSError as err:
        raise CacheKeyError(f"the cache key {path} cannot be made ({err.strerror or err})") from None
    try:
        os.write(fd, secrets.token_hex(KEY_BYTES).encode() + b"\n")
        os.fsync(fd)
    except OSError as err:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise CacheKeyError(f"the cache key {path} cannot be written ({err.strerror or err})") from None
    os.close(fd)


def sign(secret: bytes, key: str, body: bytes | memoryview) -> str:
    """The HMAC-SHA256 (hex) of an entry: its key and its body, so an entry moved to another key's name fails."""
    mac = hmac.new(secret, key.encode("ascii") + b"\n", hashlib.sha256)
    mac.update(body)
    return mac.hexdigest()


def verify(secret: bytes, key: str, body: bytes | memoryview, signature: bytes) -> bool:
    try:
        given = signature.decode("ascii")
    except UnicodeDecodeError:
        return False
    return hmac.compare_digest(sign(secret, key, body), given)
