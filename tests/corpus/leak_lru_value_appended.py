# expect: leak
# counters: py_blocks
# target: work
# grows: object
# root: module 'leak_lru_value_appended' → global bucket (functools._lru_cache_wrapper)
# why: an lru_cache(maxsize=4) whose cached value is a list that callers append to: the cache has 4 entries, the list has no bound
import functools


@functools.lru_cache(maxsize=4)
def bucket(key):
    return []


def work():
    bucket(1).append(object())
