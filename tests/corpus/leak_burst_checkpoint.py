# expect: leak
# counters: py_blocks
# target: work
# why: every 30th call checkpoints the state with a deep copy into a list nobody trims: a leak in bursts, flat for 29 calls out of 30
import copy
import itertools

_calls = itertools.count(1)
_state = {"user-%d" % i: {"seen": i, "tags": ["a", "b"]} for i in range(20)}
_checkpoints = []


def work():
    n = next(_calls)
    _state["user-%d" % (n % 20)]["seen"] = n
    if n % 30 == 0:
        _checkpoints.append(copy.deepcopy(_state))
    return len(_checkpoints)
