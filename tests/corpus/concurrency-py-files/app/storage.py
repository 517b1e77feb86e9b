"""File storage helpers: check-then-act races and the safe alternatives."""

import os
import shutil
import threading
from pathlib import Path

_write_lock = threading.Lock()


def ensure_dir(path):
    if not os.path.exists(path):  # expect: concurrency.check-then-act
        os.makedirs(path)


def read_if_present(path):
    if os.path.isfile(path):  # expect: concurrency.check-then-act
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    return None


def remove_stale(lock_file):
    stale = Path(lock_file)
    if stale.exists():  # expect: concurrency.check-then-act
        stale.unlink()


def reset_cache_dir(cache_dir):
    if os.path.isdir(cache_dir):  # expect: concurrency.check-then-act
        shutil.rmtree(cache_dir)
    else:
        print("no cache")


def ensure_dir_safely(path):
    os.makedirs(path, exist_ok=True)


def ensure_dir_redundant_check(path):
    if not os.path.exists(path):
        os.makedirs(path, exist_ok=True)


def read_or_none(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def log_presence(path, other):
    if os.path.exists(path):
        print("present:", path)
        os.makedirs(other, exist_ok=True)


def create_once(path):
    with _write_lock:
        if not os.path.exists(path):
            Path(path).touch()


def touch_new(path):
    try:
        with open(path, "x", encoding="utf-8"):
            pass
    except FileExistsError:
        pass
