# expect: pass
# counters: py_blocks
# target: work
# why: a logging.handlers.MemoryHandler(capacity=100) that buffers one record per call and flushes every 100: a sawtooth of period 100
import logging
import logging.handlers

_log = logging.getLogger("clean_memory_handler")
_log.propagate = False
_log.setLevel(logging.INFO)
_log.addHandler(logging.handlers.MemoryHandler(capacity=100, target=logging.NullHandler()))


def work():
    _log.info("request %d handled", 200)
    return True
