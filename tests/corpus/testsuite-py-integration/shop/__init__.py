"""A tiny shop service."""


def price(item):
    return {"apple": 1.0}.get(item, 0.0)
