# expect: leak
# counters: py_blocks
# target: work
# report: held outside any bounded container
# report: global history (list)
# why: an lru_cache(256) whose results are also appended to a history list: the cache bounds its own entries, not the history
import functools
import itertools

_calls = itertools.count()
history = []


@functools.lru_cache(maxsize=256)
def render(n):
    return {"id": n, "html": "<p>%d</p>" % n}


def work():
    history.append(render(next(_calls)))
