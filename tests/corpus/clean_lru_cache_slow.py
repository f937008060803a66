# expect: pass
# counters: py_blocks
# target: work
# report: bounded container: functools.lru_cache parse_version
# why: an lru_cache(maxsize=100) that takes 90 calls to fill, past the warm-up: attribution finds it not full and measures on
import functools
import itertools

_calls = itertools.count()


@functools.lru_cache(maxsize=100)
def parse_version(text):
    return tuple(int(part) for part in text.split("."))


def work():
    n = next(_calls) % 90
    return parse_version("3.%d.%d" % (n // 10, n % 10))
