# expect: pass
# counters: py_blocks
# target: work
# report: bounded container: functools.lru_cache model
# why: an lru_cache(150) of generated subclasses: the interpreter records each among its base's subclasses by weak reference, and drops it when the cache does
# keys: from 1000, so that every key is a heap int and every name as long as the next. From 0, the workload is not clean within a run: once full, the cache evicts preallocated small ints (keys below 257) for heap ints, +1 block a call from call 257 to 407 (and names one byte longer each, calls 150 to 260), growth that a run of 300 calls sees go on to its end
import functools
import itertools

_calls = itertools.count(1000)


class Base:
    pass


@functools.lru_cache(maxsize=150)
def model(n):
    return type("Model%d" % n, (Base,), {"n": n})


def work():
    return model(next(_calls)).n
