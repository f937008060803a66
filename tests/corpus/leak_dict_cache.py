# expect: leak
# counters: py_blocks
# target: work
# grows: str
# root: module 'leak_dict_cache' → global _digest_cache (dict)
# why: a memo dict keyed by a fresh request id each call, so it never hits and never evicts

import hashlib
import itertools

_request_ids = itertools.count(10000)
_digest_cache = {}


def _digest(request_id):
    try:
        return _digest_cache[request_id]
    except KeyError:
        value = hashlib.sha1(b"req-%d" % request_id).hexdigest()  # leak-site
        _digest_cache[request_id] = value  # unbounded: one new key per request
        return value


def work():
    return _digest(next(_request_ids))
