"""The shipping part of the shop."""


def list_shipping(db):
    return db.all("shipping")
