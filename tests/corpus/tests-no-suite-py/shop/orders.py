"""The orders part of the shop."""


def list_orders(db):
    return db.all("orders")
