"""Standalone servers for local use."""

import logging
import signal
import subprocess
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from wsgiref.simple_server import make_server

log = logging.getLogger("serve")


def on_interrupt(signum, frame):
    log.info("interrupted")
    sys.exit(0)


def static_files() -> None:
    signal.signal(signal.SIGINT, on_interrupt)
    httpd = ThreadingHTTPServer(("127.0.0.1", 8000), SimpleHTTPRequestHandler)
    httpd.serve_forever()  # expect: shutdown.no-signal-handler


def wsgi(app) -> None:
    make_server("127.0.0.1", 8001, app).serve_forever()  # expect: shutdown.no-signal-handler


class Job:
    def run(self) -> None:
        subprocess.run(["true"], check=True)


def batch() -> None:
    job = Job()
    job.run()
