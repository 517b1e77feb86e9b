"""The inventory part of the shop."""


def list_inventory(db):
    return db.all("inventory")
