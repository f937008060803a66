# expect: leak
# counters: py_blocks
# target: work
# report: ], floor +
# why: an audit trail that snapshots the session table after the 20th request and then every 40th, into a list nobody trims: a leak in bursts, flat for 39 calls out of 40, rarer than the first span (20 calls) but seen in it, then confirmed by the floor of the later spans
import itertools

_calls = itertools.count(1)
_sessions = {"session-%d" % i: {"hits": 0, "roles": ("reader",)} for i in range(16)}
_audit = []


def work():
    n = next(_calls)
    _sessions["session-%d" % (n % 16)]["hits"] += 1
    if n % 40 == 20:
        _audit.append({k: dict(v) for k, v in _sessions.items()})
    return len(_audit)
