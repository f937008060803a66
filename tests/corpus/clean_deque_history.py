# expect: pass
# counters: py_blocks
# target: work
# report: bounded container: collections.deque
# why: a request history in a deque(maxlen=150): it grows for 150 calls, well past the warm-up, then stays full
import collections

history = collections.deque(maxlen=150)


def work():
    entry = {"path": "/items/%d" % len(history), "status": 200}
    history.append(entry)
    return len(history)
