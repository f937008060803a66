# expect: leak
# counters: py_bytes
# target: work
# report: (turnover)
# why: leak_lru_turnover with a bound of 50: a full functools.lru_cache(maxsize=50) of rendered pages keyed by a request counter, each call evicting the oldest page for one a byte longer, so its entries stay at 50 while the memory they hold grows by 50 bytes a call without bound. The verdict comes only at the limit, where attribution first sees the cache at its bound: a bound explains growth only once the run saw the growth stop there, so the run goes one --window past the limit to look, and the growth goes on: turnover, and the report says so (not "elsewhere")
import functools
import itertools

_calls = itertools.count()


@functools.lru_cache(maxsize=50)
def render(n):
    return b"<p>" + b"x" * n + b"</p>"


def work():
    return len(render(next(_calls)))
