# expect: leak
# counters: py_blocks
# target: work
# report: held outside any bounded container
# report: global kept (list)
# why: a leak on every other call (a list never trimmed) behind an lru_cache(1024) that is still filling: the cache explains its own entries, not the list's
import functools
import itertools

_calls = itertools.count()
kept = []


@functools.lru_cache(maxsize=1024)
def parse(n):
    return tuple(range(n % 7 + 2)), str(n)


def work():
    n = next(_calls)
    parse(n)
    if n % 2:
        kept.append([n])
