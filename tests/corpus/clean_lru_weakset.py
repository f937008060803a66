# expect: pass
# counters: py_blocks
# target: work
# report: bounded container: functools.lru_cache session
# why: an lru_cache(150) of objects that each register in a WeakSet: the weak references go when the cache drops the objects, so the growth stops once the cache is full
import functools
import itertools
import weakref

_calls = itertools.count()
live = weakref.WeakSet()


class Session:
    def __init__(self, n):
        self.n = n
        live.add(self)


@functools.lru_cache(maxsize=150)
def session(n):
    return Session(n)


def work():
    return session(next(_calls)).n
