"""Helper script without a logger: print is all it has."""


def hello(name: str) -> None:
    print(f"hello {name}")
