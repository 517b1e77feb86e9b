"""Entry point: serve until SIGTERM, then drain."""

import logging
import signal
import threading
from http.server import ThreadingHTTPServer

from notes.logs import JsonLines
from notes.server import Handler

log = logging.getLogger("notes")


def main() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines())
    logging.basicConfig(level="INFO", handlers=[handler])
    server = ThreadingHTTPServer(("127.0.0.1", 8080), Handler)

    def stop(signum: int, frame: object) -> None:
        log.info("SIGTERM received, draining")
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)  # expect: shutdown.signal-handler
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    print("notes serving on 127.0.0.1:8080", flush=True)  # expect: observability.print-logging
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
