"""A plain http.server handler: POST /items creates an item; no idempotency key."""

import json
from http.server import BaseHTTPRequestHandler

ITEMS = []


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self._reply(200, ITEMS)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        item = self.server.store.insert_item(body)  # expect: reliability.post-without-idempotency
        self._reply(201, item)

    def _reply(self, status, body):
        self.send_response(status)
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())


class EchoHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)
