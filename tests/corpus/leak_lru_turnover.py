# expect: leak
# counters: py_bytes
# target: work
# report: (turnover)
# why: a full functools.lru_cache(maxsize=8) of rendered pages keyed by a request counter: each call evicts the oldest page for a page one byte longer, so the cache's entries stay at 8 while the memory they hold grows by 8 bytes a call without bound. Everything the calls leave alive sits in the cache, so the growth is its turnover, and the report says so (not "elsewhere")
import functools
import itertools

_calls = itertools.count()


@functools.lru_cache(maxsize=8)
def render(n):
    return b"<p>" + b"x" * n + b"</p>"


def work():
    return len(render(next(_calls)))
