"""The users part of the shop."""


def list_users(db):
    return db.all("users")
