# expect: leak
# counters: native_bytes
# target: work
# report: run with --valgrind
# why: a C extension that mallocs 64 bytes per call and never frees them (no Python object involved)

import _lgtest


def work():
    words = "the quick brown fox jumps over the lazy dog".split()
    _lgtest.leak_malloc(64)
    return sorted(words)
