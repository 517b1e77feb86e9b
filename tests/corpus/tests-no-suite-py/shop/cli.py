from shop import cart, catalog, inventory, orders, payments, pricing, shipping, users

PARTS = [cart, catalog, orders, payments, users, inventory, pricing, shipping]


def main():
    return [part.__name__ for part in PARTS]
