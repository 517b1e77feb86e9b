"""Report helpers: printing tables is this module's output, and it has no logger."""

import json


def show(rows: list[dict]) -> None:
    for row in rows:
        print(json.dumps(row))
    print("done")
