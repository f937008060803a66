# expect: leak
# counters: py_bytes
# target: work
# why: every 25th call flushes a batch of 10 jobs to a "done" list that is never trimmed: 10 objects every 25 calls
import itertools

_calls = itertools.count(1)
_pending = []
_done = []


class Job:
    def __init__(self, n):
        self.n = n
        self.result = None


def work():
    n = next(_calls)
    _pending.append(n)
    if n % 25 == 0:
        for k in _pending[-10:]:
            _done.append(Job(k))
        _pending.clear()
    return len(_done)
