"""The service's settings: every shutdown knob but one waits without a limit unless the operator sets it."""

from dataclasses import dataclass


@dataclass
class Settings:
    port: int = 8000
    graceful_timeout: float | None = None
    stop_grace_period: float | None = None
    drain_timeout: float = 25.0
