# expect: leak
# counters: py_blocks
# target: work
# grows: int
# root: global _request_ids
# why: each call buffers a log record in a logging.handlers.MemoryHandler(capacity=20), a sawtooth of some 200 blocks flushed every 20 calls, and keeps one request id (one int, one block) in a list nobody trims: a leak of one block a call under a swing two hundred times its size, which the troughs show rising
import itertools
import logging
import logging.handlers

_calls = itertools.count(1)
_log = logging.getLogger("leak_under_sawtooth")
_log.propagate = False
_log.setLevel(logging.INFO)
_log.addHandler(logging.handlers.MemoryHandler(capacity=20, target=logging.NullHandler()))
_request_ids = []


def work():
    n = next(_calls)
    _log.info("request %d handled in %s", n, "12 ms")
    _request_ids.append(n * 1000003)
    return len(_request_ids)
