"""A hand-written circuit breaker whose lock does not cover every change of its state."""

import threading
import time


class CircuitBreaker:  # expect: reliability.circuit-breaker
    def __init__(self, threshold=5, reset_after=30.0):
        self._lock = threading.Lock()
        self.threshold = threshold
        self.reset_after = reset_after
        self.failures = 0
        self.state = "closed"
        self.opened_at = 0.0

    def record_failure(self):
        with self._lock:
            self.failures += 1
            if self.failures >= self.threshold:
                self._trip()

    def _trip(self):
        self.state = "open"
        self.opened_at = time.monotonic()

    def record_success(self):
        self.failures = 0  # expect: concurrency.state-outside-lock
        self.state = "closed"  # expect: concurrency.state-outside-lock

    def allow(self):
        if self.state == "open" and time.monotonic() - self.opened_at > self.reset_after:
            self.state = "half-open"  # expect: concurrency.state-outside-lock
        return self.state != "open"
