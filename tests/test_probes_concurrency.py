"""Concurrency probes: a snippet in, exact (rule, line) findings out (Python only: JavaScript runs on one thread)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from assess.collectors.patterns import scan
from assess.model import Status
from assess.model.patterns import PatternsEvidence
from assess.model.project import ProjectModel
from assess.probes import run_probes

from .test_probes_performance import findings

LOCK = "concurrency.state-outside-lock"
CHECK = "concurrency.check-then-act"
SHARED = "concurrency.shared-module-state"

CASES = [
    (
        "breaker resets its counters outside the lock",
        """
        import threading
        class Breaker:
            def __init__(self):
                self._lock = threading.Lock()
                self.failures = 0
                self.state = "closed"
            def record_failure(self):
                with self._lock:
                    self.failures += 1
                    if self.failures >= 3:
                        self.state = "open"
            def record_success(self):
                self.failures = 0
                self.state = "closed"
        """,
        {(LOCK, 13), (LOCK, 14)},
    ),
    (
        "helpers called only under the lock, *_locked helpers, acquire/release, constructors",
        """
        import threading
        class Pool:
            def __init__(self):
                self._lock = threading.RLock()
                self.items = []
                self.count = 0
            def put(self, item):
                with self._lock:
                    self._add(item)
                    self.count += 1
            def _add(self, item):
                self.items.append(item)
            def _reset_locked(self):
                self.count = 0
                self.items.clear()
            def take(self):
                self._lock.acquire()
                try:
                    self.count -= 1
                    return self.items.pop()
                finally:
                    self._lock.release()
        """,
        set(),
    ),
    (
        "attributes the lock never guards, and a class without a lock",
        """
        import threading
        class Stats:
            def __init__(self):
                self._lock = threading.Lock()
                self.hits = 0
            def hit(self):
                self.hits += 1
        class Plain:
            def bump(self):
                with self.guard:
                    self.n += 1
            def reset(self):
                self.n = 0
        """,
        set(),
    ),
    (
        "asyncio lock whose locked update never awaits: an unlocked change cannot interleave with it",
        """
        import asyncio
        class Limiter:
            def __init__(self):
                self._lock = asyncio.Lock()
                self.tokens = {}
            async def take(self, key):
                async with self._lock:
                    self.tokens[key] = self.tokens.get(key, 0) - 1
            def refill(self, key):
                self.tokens[key] = 10
        """,
        set(),
    ),
    (
        "asyncio lock held across an await: a change outside it lands in the middle of the locked update",
        """
        import asyncio
        class Balance:
            def __init__(self):
                self._lock = asyncio.Lock()
                self.amount = 0
            async def deposit(self, n):
                async with self._lock:
                    current = self.amount
                    await self.audit(n)
                    self.amount = current + n
            def reset(self):
                self.amount = 0
            async def bump(self):
                seen = self.amount
                await asyncio.sleep(0)
                self.amount = seen + 1
        """,
        {(LOCK, 12), (LOCK, 16)},
    ),
    (
        "file check-then-act: exists then makedirs/open/remove",
        """
        import os, threading
        from pathlib import Path
        def prepare(d, p, q):
            if not os.path.exists(d):
                os.makedirs(d)
            if os.path.isfile(p):
                with open(p) as fh:
                    return fh.read()
            target = Path(q)
            if target.exists():
                target.unlink()
        """,
        {(CHECK, 4), (CHECK, 6), (CHECK, 10)},
    ),
    (
        "file look-alikes: exist_ok, checks of another path, EAFP, checks under a lock",
        """
        import os
        def prepare(d, p, lock):
            if not os.path.exists(d):
                os.makedirs(d, exist_ok=True)
            if os.path.exists(p):
                print("exists", d)
                open(d)
            try:
                os.remove(p)
            except FileNotFoundError:
                pass
            with lock:
                if not os.path.exists(p):
                    open(p, "w").close()
        """,
        set(),
    ),
    (
        "tolerant acts (ignore_errors, missing_ok), copies of a checked source, elif chains",
        """
        import os, shutil, threading
        from pathlib import Path
        def tidy(base, src, dst):
            if os.path.isdir(base):
                shutil.rmtree(base, ignore_errors=True)
            if Path(base).exists():
                Path(base).unlink(missing_ok=True)
            if os.path.isdir(src):
                shutil.copytree(src, dst)
            elif os.path.isfile(src):
                shutil.copy(src, dst)
            if os.path.isfile(dst):
                print(dst)
            elif os.path.exists(dst):
                os.remove(dst)
        """,
        {(CHECK, 14)},
    ),
    (
        "file races count where code runs concurrently: async functions yes, a one-shot script no",
        """
        import os
        async def upload(path, data):
            if not os.path.isdir(path):
                os.mkdir(path)
        def main(out):
            if not os.path.exists(out):
                os.makedirs(out)
        """,
        {(CHECK, 3)},
    ),
    (
        "shared dict in a class that starts threads or owns a lock",
        """
        import threading
        class Registry:
            def __init__(self):
                self.workers = {}
            def start(self, name):
                if name not in self.workers:
                    self.workers[name] = threading.Thread(target=print)
                self.workers[name].start()
        """,
        {(CHECK, 6)},
    ),
    (
        "check-then-insert without threads, and with the lock held",
        """
        import threading
        class Memo:
            def get(self, k):
                if k not in self.d:
                    self.d[k] = k
        class Safe:
            def __init__(self):
                self._lock = threading.Lock()
                self.d = {}
            def get(self, k):
                with self._lock:
                    if k not in self.d:
                        self.d[k] = k
        """,
        set(),
    ),
    (
        "module counters updated from a thread pool",
        """
        from concurrent.futures import ThreadPoolExecutor
        HITS = 0
        COUNTS = {}
        SEEN = {}
        def count(word):
            global HITS
            HITS += 1
            COUNTS[word] = COUNTS.get(word, 0) + 1
            if word not in SEEN:
                SEEN[word] = True
        def run(words):
            with ThreadPoolExecutor() as pool:
                list(pool.map(count, words))
        """,
        {(SHARED, 7), (SHARED, 8), (CHECK, 9)},
    ),
    (
        "module state: atomic appends, locked updates, local shadows, no threads",
        """
        import threading
        EVENTS = []
        TOTAL = 0
        _lock = threading.Lock()
        def record(e):
            global TOTAL
            EVENTS.append(e)
            with _lock:
                TOTAL += 1
        def local():
            TOTAL = 0
            TOTAL += 1
            return TOTAL
        def start():
            threading.Thread(target=record, args=(1,)).start()
        """,
        set(),
    ),
    (
        "read-modify-write in a module without threads",
        """
        COUNT = 0
        def bump():
            global COUNT
            COUNT += 1
        """,
        set(),
    ),
]


GRADED = [
    (
        "a reset at close and a race in the constructor are left to review; a handled race is not reported",
        """
        import os, threading
        class Spool:
            def __init__(self, root):
                self._lock = threading.Lock()
                self.pending = []
                if not os.path.isdir(root):
                    os.mkdir(root)
            def add(self, item):
                with self._lock:
                    self.pending.append(item)
            def close(self):
                self.pending = []
            def drop(self, path):
                try:
                    if os.path.exists(path):
                        os.remove(path)
                except FileNotFoundError:
                    pass
            def clean(self, path):
                if os.path.exists(path):
                    os.remove(path)
        """,
        None,
        {(CHECK, 6, "possible"), (LOCK, 12, "possible"), (CHECK, 20, "confirmed")},
    ),
    (
        "run()'s finally runs at exit; a coroutine's check and act with no await between are left to review",
        """
        import os, asyncio
        def run(server, sock):
            try:
                server.serve()
            finally:
                if os.path.exists(sock):
                    os.remove(sock)
        async def upload(path):
            if not os.path.isdir(path):
                os.mkdir(path)
        async def upload_later(path):
            if not os.path.isdir(path):
                await asyncio.sleep(0)
                os.mkdir(path)
        """,
        None,
        {(CHECK, 6, "possible"), (CHECK, 9, "possible"), (CHECK, 12, "confirmed")},
    ),
    (
        "with the project model: on one loop a threading lock needs an await, and a file race is left to review",
        """
        import os, threading
        class Cache:
            def __init__(self):
                self._lock = threading.Lock()
                self.items = {}
            def put(self, k, v):
                with self._lock:
                    self.items[k] = v
            def clear(self):
                self.items = {}
        def prepare(path):
            if not os.path.exists(path):
                os.makedirs(path)
        """,
        {"app/mod.py": "event-loop"},
        {(CHECK, 12, "possible")},
    ),
    (
        "with the project model: the same file race in a sequential module of a command",
        """
        import os, threading
        def prepare(path):
            if not os.path.exists(path):
                os.makedirs(path)
        """,
        {},
        set(),
    ),
    (
        "with the project model: a sequential module of a service (its server may run it on threads) keeps it",
        """
        import os, threading
        def prepare(path):
            if not os.path.exists(path):
                os.makedirs(path)
        """,
        {"app/other.py": "threads"},
        {(CHECK, 3, "confirmed")},
    ),
]


@pytest.mark.parametrize(("source", "concurrency", "expected"), [c[1:] for c in GRADED], ids=[c[0] for c in GRADED])
def test_graded(
    tmp_path: Path, source: str, concurrency: dict[str, str] | None, expected: set[tuple[str, int, str]]
) -> None:
    """Findings with their confidence, with and without the project model's concurrency map."""
    path = tmp_path / "app" / "mod.py"
    path.parent.mkdir(parents=True)
    path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    data, _ = scan(tmp_path)
    kinds = ("cli",) if concurrency == {} else ("http-service",)
    project = None if concurrency is None else ProjectModel(kinds=kinds, concurrency=concurrency)
    found = run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)}, project=project)
    assert {(f.rule, f.line, f.confidence) for f in found if f.rule.startswith("concurrency.")} == expected


@pytest.mark.parametrize(("source", "expected"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_python(tmp_path: Path, source: str, expected: set[tuple[str, int]]) -> None:
    got = findings(tmp_path, {"app/mod.py": source}, family="concurrency.")
    assert {(rule, line) for rule, _, line in got} == expected


def test_tests_are_not_source(tmp_path: Path) -> None:
    code = "import os, threading\ndef f(p):\n    if os.path.exists(p):\n        os.remove(p)\n"
    assert findings(tmp_path, {"tests/test_x.py": code, "x.py": code}, family="concurrency.") == {(CHECK, "x.py", 3)}
