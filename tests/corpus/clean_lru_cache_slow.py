# expect: pass
# counters: py_blocks
# target: work
# options: -w 150
# why: an lru_cache that fills over 90 calls: past the default warm-up, so the case declares a longer one (-w 150); attribution is what will recognise it without
import functools
import itertools

_calls = itertools.count()


@functools.lru_cache(maxsize=100)
def parse_version(text):
    return tuple(int(part) for part in text.split("."))


def work():
    n = next(_calls) % 90
    return parse_version("3.%d.%d" % (n // 10, n % 10))
