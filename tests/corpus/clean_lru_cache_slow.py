# expect: pass
# counters: py_blocks
# target: work
# why: an lru_cache(maxsize=100) that takes 90 calls to fill: growth that stops within the second confirming span passes by the verdict alone (before the doubling spans it needed attribution to find the cache not full)
import functools
import itertools

_calls = itertools.count()


@functools.lru_cache(maxsize=100)
def parse_version(text):
    return tuple(int(part) for part in text.split("."))


def work():
    n = next(_calls) % 90
    return parse_version("3.%d.%d" % (n // 10, n % 10))
