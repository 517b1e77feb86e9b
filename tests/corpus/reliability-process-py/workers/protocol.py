"""An asyncio protocol that stops reading while the application is behind."""

import asyncio

HIGH_WATER = 64 * 1024


class Upload(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buffer = bytearray()

    def data_received(self, data):
        self.buffer += data
        if len(self.buffer) > HIGH_WATER:
            self.transport.pause_reading()  # expect: reliability.back-pressure

    def consumed(self):
        self.buffer.clear()
        self.transport.resume_reading()
