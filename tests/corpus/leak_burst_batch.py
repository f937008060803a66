# expect: leak
# counters: refs py_bytes
# target: work
# grows: leak_burst_batch.Job
# root: module 'leak_burst_batch' → global _done (list)
# why: every 25th call flushes a batch of 10 jobs to a "done" list that is never trimmed: 10 objects every 25 calls. Attribution re-runs a whole period (26 calls) and names Job, its list and this allocation site
# debug: each Job kept holds 4 references (the list's, its type, n, None): refs rises 40 a batch against the 25 of the pending list's sawtooth, py_blocks 24 against 25, so on a debug build refs confirms the leak first (150 calls; py_blocks at 310, as on a release build)
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
            _done.append(Job(k))  # leak-site
        _pending.clear()
    return len(_done)
