"""Per-instance caches."""


class DnsResolver:
    def __init__(self, backend):
        self.backend = backend
        self._cache = {}  # expect: performance.unbounded-cache
        self.hits = 0

    def resolve(self, host):
        if host in self._cache:
            self.hits += 1
            return self._cache[host]
        address = self.backend(host)
        self._cache[host] = address
        return address


class TemplateCache:
    def __init__(self):
        self.memo = {}

    def render(self, name, loader):
        self.memo[name] = loader(name)
        return self.memo[name]

    def invalidate(self, name):
        self.memo.pop(name, None)


class SchemaRegistry:
    def __init__(self):
        self._schema_cache = {}

    def get(self, key, build):
        return self._schema_cache.setdefault(key, build(key))

    def reset(self):
        self._schema_cache = {}
