# expect: leak
# counters: py_blocks
# target: work
# grows: tuple
# root: module 'leak_lru_unbounded' → global parse_version (functools._lru_cache_wrapper)
# why: functools.lru_cache(maxsize=None) keyed by a value that never repeats: a cache without a bound is a leak
import functools
import itertools

_calls = itertools.count()


@functools.lru_cache(maxsize=None)
def parse_version(text):
    return tuple(int(part) for part in text.split("."))  # leak-site


def work():
    n = next(_calls)
    return parse_version("3.%d.%d" % (n // 100, n % 100))
