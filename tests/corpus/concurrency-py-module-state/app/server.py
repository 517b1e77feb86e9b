"""A threaded HTTP server counting requests in module-level state."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REQUEST_COUNT = 0
STATUS_COUNTS = {}  # expect: durability.unbounded-collection
PATH_HITS = {}  # expect: durability.unbounded-collection
RECENT = []
_stats_lock = threading.Lock()
TOTAL_BYTES = 0


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        global REQUEST_COUNT, TOTAL_BYTES
        REQUEST_COUNT += 1  # expect: concurrency.shared-module-state
        STATUS_COUNTS[200] = STATUS_COUNTS.get(200, 0) + 1  # expect: concurrency.shared-module-state
        PATH_HITS[self.path] += 1  # expect: concurrency.shared-module-state
        if len(RECENT) < 100:
            RECENT.append(self.path)
        with _stats_lock:
            TOTAL_BYTES += 10
        self.send_response(200)
        self.end_headers()


def serve(port=0):
    return ThreadingHTTPServer(("127.0.0.1", port), Handler)
