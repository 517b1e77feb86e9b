"""Worker registries shared between threads."""

import threading


class WorkerRegistry:
    def __init__(self):
        self.workers = {}

    def start(self, name, target):
        if name not in self.workers:  # expect: concurrency.check-then-act
            self.workers[name] = threading.Thread(target=target, name=name, daemon=True)
            self.workers[name].start()

    def stop(self, name):
        if name in self.workers:  # expect: concurrency.check-then-act
            del self.workers[name]


class SessionStore:
    def __init__(self):
        self._lock = threading.Lock()
        self._sessions = {}  # expect: durability.unbounded-collection

    def get_or_create(self, key):
        with self._lock:
            if key not in self._sessions:
                self._sessions[key] = {"key": key}
            return self._sessions[key]

    def setdefault(self, key):
        return self._sessions.setdefault(key, {"key": key})


class Memo:
    """Single-threaded: no lock, no threads, so check-then-insert is fine."""

    def __init__(self):
        self.values = {}

    def get(self, key):
        if key not in self.values:
            self.values[key] = key * 2
        return self.values[key]
