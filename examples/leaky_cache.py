# expect: leak
# counters: py_blocks
# target: lookup
# why: a memo dict keyed by request id: every call brings a new id, so it only ever grows
#
# Run it:  leakgate run examples/leaky_cache.py:lookup          (exit 1: py_blocks grows)
# Fix it:  memoise on something that repeats (the user, not the request), or bound the
#          cache with functools.lru_cache(maxsize=...).

import hashlib
import itertools

_next_request_id = itertools.count(1)
_cache = {}  # request id -> result; request ids never repeat


def _profile(request_id):
    if request_id not in _cache:
        _cache[request_id] = hashlib.sha256(b"profile:%d" % request_id).hexdigest()
    return _cache[request_id]


def lookup():
    return _profile(next(_next_request_id))
