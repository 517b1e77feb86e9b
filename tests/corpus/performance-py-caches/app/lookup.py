"""Caches: unbounded memoisation next to bounded ones."""

import functools
from collections import OrderedDict
from functools import cache, lru_cache

_geo_cache = {}  # expect: performance.unbounded-cache
_token_memo: dict[str, str] = {}  # expect: performance.unbounded-cache, durability.unbounded-collection
_bounded_cache = OrderedDict()
cache_dir = {}
MAX_ENTRIES = 256


@lru_cache(maxsize=None)  # expect: performance.unbounded-cache
def parse_path(raw_path):
    return tuple(p for p in raw_path.split("/") if p)


@functools.lru_cache(None)  # expect: performance.unbounded-cache
def normalise(name):
    return name.strip().lower()


@cache  # expect: performance.unbounded-cache
def user_agent_family(header):
    return header.split("/")[0]


@functools.cache
def settings():
    return {"debug": False}


@lru_cache
def small(x):
    return x * 2


@lru_cache(maxsize=1024)
def bounded(x):
    return x * 3


def geocode(address):
    if address not in _geo_cache:
        _geo_cache[address] = address.upper()
    return _geo_cache[address]


def token_for(user):
    return _token_memo.setdefault(user, user[::-1])


def bounded_lookup(key):
    if key in _bounded_cache:
        _bounded_cache.move_to_end(key)
        return _bounded_cache[key]
    _bounded_cache[key] = key.upper()
    if len(_bounded_cache) > MAX_ENTRIES:
        _bounded_cache.popitem(last=False)
    return _bounded_cache[key]


def remember_dir(name, path):
    cache_dir[name] = path
