# expect: leak
# counters: py_blocks
# target: work
# report: held outside any bounded container
# report: global everything (list)
# why: each record goes both into a deque(maxlen=20), full after 20 calls, and into a list never trimmed (defined after the deque)
import collections

recent = collections.deque(maxlen=20)
everything = []


class Record:
    def __init__(self, n):
        self.n = n


def work():
    r = Record(len(everything))
    recent.append(r)
    everything.append(r)
