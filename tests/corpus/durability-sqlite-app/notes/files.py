"""Writing state and exports to disk."""

import json
import os
import tempfile
from pathlib import Path

from filelock import FileLock


def save_state(path, state):
    with open(path, "w", encoding="utf-8") as fh:  # expect: durability.non-atomic-write
        json.dump(state, fh)


def save_config(cfg_path: Path, text: str):
    cfg_path.write_text(text, encoding="utf-8")  # expect: durability.non-atomic-write


def save_atomic(path, state):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:  # expect: durability.atomic-write
        json.dump(state, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def save_with_tempfile(path, data: bytes):
    fd, name = tempfile.mkstemp(dir=os.path.dirname(path))
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(name, path)


def append_event(path, line):
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def write_log(log_path, text):
    with open(log_path, "w", encoding="utf-8") as fh:
        fh.write(text)


def read_state(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def bump_counter(path):
    with open(path, encoding="utf-8") as fh:  # expect: durability.read-modify-write-without-lock
        data = json.load(fh)
    data["count"] = data.get("count", 0) + 1
    with open(path, "w", encoding="utf-8") as fh:  # expect: durability.non-atomic-write
        json.dump(data, fh)


def bump_locked(path: Path):
    with FileLock(str(path) + ".lock"):
        data = json.loads(path.read_text(encoding="utf-8"))
        data["count"] += 1
        path.write_bytes(json.dumps(data).encode())  # expect: durability.non-atomic-write


def bump_atomic(path: Path):
    data = json.loads(path.read_text(encoding="utf-8"))  # expect: durability.read-modify-write-without-lock
    data["count"] += 1
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")  # expect: durability.atomic-write
    tmp.replace(path)


def copy_file(src: Path, dst: Path):
    # reads one file and writes another: not a read-modify-write; and not a data file either
    dst.write_bytes(src.read_bytes())


def save_settings(settings_file: Path, raw: bytes):
    settings_file.write_bytes(raw)  # expect: durability.non-atomic-write


def title_case(text):
    return text.replace("-", " ").title()
