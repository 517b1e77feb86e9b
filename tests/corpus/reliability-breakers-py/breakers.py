"""Circuit breakers: libraries and a hand-written state machine."""

import threading
import time

import aiobreaker
import pybreaker
import requests
from circuitbreaker import CircuitBreaker, circuit
from purgatory import AsyncCircuitBreakerFactory

payments_breaker = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30)  # expect: reliability.circuit-breaker
search_breaker = aiobreaker.CircuitBreaker(fail_max=3)  # expect: reliability.circuit-breaker
breakers = AsyncCircuitBreakerFactory(default_threshold=5)  # expect: reliability.circuit-breaker


class PartnerBreaker(CircuitBreaker):  # expect: reliability.circuit-breaker
    FAILURE_THRESHOLD = 5


@circuit  # expect: reliability.circuit-breaker
def lookup_stock(sku):
    return requests.get(f"https://stock.example.com/{sku}", timeout=2).json()


@circuit(failure_threshold=3)  # expect: reliability.circuit-breaker
def lookup_price(sku):
    return requests.get(f"https://price.example.com/{sku}", timeout=2).json()


class Breaker:  # expect: reliability.circuit-breaker
    """Closed -> open after `threshold` failures; half-open after `cooldown` seconds."""

    def __init__(self, threshold=5, cooldown=30.0):
        self.state = "closed"
        self.failures = 0
        self.threshold = threshold
        self.cooldown = cooldown
        self.opened_at = 0.0
        self._lock = threading.Lock()

    def call(self, fn, *args):
        with self._lock:
            if self.state == "open":
                if time.monotonic() - self.opened_at < self.cooldown:
                    raise RuntimeError("circuit open")
                self.state = "half_open"
        try:
            result = fn(*args)
        except Exception:
            with self._lock:
                self.failures += 1
                if self.failures >= self.threshold or self.state == "half_open":
                    self.state = "open"
                    self.opened_at = time.monotonic()
            raise
        with self._lock:
            self.failures = 0
            self.state = "closed"
        return result
