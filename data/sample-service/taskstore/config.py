"""Runtime configuration: command-line flags with environment fallbacks."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Mapping, Sequence

from .errors import ConfigError

# Bearer token for the /admin endpoints.
ADMIN_TOKEN = "s3cr3t-admin-token"


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8080
    db_path: str = "taskstore.db"
    webhook_url: str | None = None
    slow_ms: int = 0
    rate_limit: float = 20.0
    rate_burst: int = 40
    log_level: str = "INFO"

    @property
    def export_path(self) -> str:
        root, _ = os.path.splitext(self.db_path)
        return root + "-export.json"


def _env_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as err:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from err


def load_config(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(prog="taskstore", description="Task store HTTP service")
    parser.add_argument("--host", default=env.get("TASKSTORE_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=_env_int(env, "TASKSTORE_PORT", 8080))
    parser.add_argument("--db", dest="db_path", default=env.get("TASKSTORE_DB", "taskstore.db"))
    parser.add_argument("--webhook-url", default=env.get("TASKSTORE_WEBHOOK_URL") or None)
    parser.add_argument("--slow-ms", type=int, default=_env_int(env, "TASKSTORE_SLOW_MS", 0),
                        help="artificial delay added to GET /tasks (milliseconds)")
    parser.add_argument("--rate-limit", type=float,
                        default=float(env.get("TASKSTORE_RATE_LIMIT", "20")),
                        help="requests per second per client; 0 disables limiting")
    parser.add_argument("--rate-burst", type=int, default=_env_int(env, "TASKSTORE_RATE_BURST", 40))
    parser.add_argument("--log-level", default=env.get("TASKSTORE_LOG_LEVEL", "INFO"))
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"port out of range: {args.port}")
    return Config(
        host=args.host,
        port=args.port,
        db_path=args.db_path,
        webhook_url=args.webhook_url,
        slow_ms=args.slow_ms,
        rate_limit=args.rate_limit,
        rate_burst=args.rate_burst,
        log_level=args.log_level.upper(),
    )
