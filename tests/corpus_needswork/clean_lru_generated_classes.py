# expect: pass
# counters: py_blocks
# target: work
# report: bounded container: functools.lru_cache model
# why: an lru_cache(150) of generated subclasses: the interpreter records each among its base's subclasses by weak reference, and drops it when the cache does
import functools
import itertools

_calls = itertools.count()


class Base:
    pass


@functools.lru_cache(maxsize=150)
def model(n):
    return type("Model%d" % n, (Base,), {"n": n})


def work():
    return model(next(_calls)).n
