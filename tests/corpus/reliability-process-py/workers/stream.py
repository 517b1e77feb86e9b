"""A relay that pauses its source while the sink is full."""


class Relay:
    def __init__(self, source, sink, limit):
        self.source, self.sink, self.limit = source, sink, limit

    def forward(self, chunk):
        self.sink.write(chunk)
        if self.sink.pending() >= self.limit:
            self.source.pause_reading()  # expect: reliability.back-pressure

    def on_pause(self):
        # Pausing on request, with no limit tested, is not back-pressure the code decides.
        self.source.pause_reading()
