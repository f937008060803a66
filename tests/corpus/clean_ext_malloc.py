# expect: pass
# counters: native_bytes
# target: work
# why: the clean control for leak_ext_malloc: the extension mallocs and frees

import _lgtest


def work():
    words = "the quick brown fox jumps over the lazy dog".split()
    _lgtest.no_leak_malloc(64)
    return sorted(words)
