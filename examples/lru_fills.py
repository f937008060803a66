# expect: pass
# counters: py_blocks
# target: lookup
# why: an lru_cache(maxsize=256) over 40 recurring users: it fills during the first calls, then stops
#
# Run it:  leakgate run examples/lru_fills.py:lookup            (exit 0: bounded growth)
# Memory grows while the cache fills, then stays flat. leakgate does not judge the
# warm-up calls (50 by default), so a cache that fills within them is not a leak; for
# a cache that takes longer to fill, raise --warmup.

import functools
import hashlib
import itertools

_calls = itertools.count()


@functools.lru_cache(maxsize=256)
def _profile(user_id):
    return hashlib.sha256(b"profile:%d" % user_id).hexdigest()


def lookup():
    user_id = next(_calls) % 40  # the same 40 users keep coming back
    return _profile(user_id)
