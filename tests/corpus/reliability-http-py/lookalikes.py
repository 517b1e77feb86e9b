"""Things named get/post that are not HTTP calls."""

class Store:
    def __init__(self, backend):
        self.backend = backend

    def get(self, key):
        return self.backend.read(key)

    def post(self, key, value):
        self.backend.write(key, value)


def lookup(store: Store, key: str):
    return store.get(key)
