"""The cart part of the shop."""


def list_cart(db):
    return db.all("cart")
