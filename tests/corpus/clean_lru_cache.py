# expect: pass
# counters: py_blocks
# target: work
# why: functools.lru_cache(maxsize=100) over 40 recurring keys: fills during the first 40 calls, then only hits

import functools
import itertools

_calls = itertools.count()


@functools.lru_cache(maxsize=100)
def parse_version(text):
    return tuple(int(part) for part in text.split("."))


def work():
    n = next(_calls) % 40
    return parse_version("3.%d.%d" % (n // 10, n % 10))
