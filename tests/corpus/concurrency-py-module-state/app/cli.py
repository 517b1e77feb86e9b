"""A single-threaded command-line tool: module counters are fine here."""

COUNT = 0
TOTALS = {}  # expect: durability.unbounded-collection


def add(name, value):
    global COUNT
    COUNT += 1
    TOTALS[name] = TOTALS.get(name, 0) + value
