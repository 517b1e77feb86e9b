"""Entry point: python -m taskstore --host 127.0.0.1 --port 8080 --db tasks.db"""

from __future__ import annotations

import logging
import sqlite3
import sys

from .config import load_config
from .logging_setup import configure_logging
from .server import make_server
from .store import TaskStore

log = logging.getLogger("taskstore")


def main(argv: list[str] | None = None) -> int:
    config = load_config(argv)
    configure_logging(config.log_level)
    store = TaskStore(config.db_path)
    try:
        store.init_schema()
    except sqlite3.Error:
        log.exception("database initialisation failed", extra={"path": config.db_path})

    server = make_server(config, store)
    host, port = server.server_address[:2]
    print(f"taskstore listening on http://{host}:{port}", flush=True)
    log.info("ready to serve on %s:%d (db=%s)", host, port, config.db_path)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("interrupted, shutting down")
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
