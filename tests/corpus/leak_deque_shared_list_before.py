# expect: leak
# counters: py_blocks
# target: work
# report: held outside any bounded container
# report: global everything (list)
# why: each record goes both into a list never trimmed and into a deque(maxlen=20), full after 20 calls (the list defined first)
import collections

everything = []
recent = collections.deque(maxlen=20)


class Record:
    def __init__(self, n):
        self.n = n


def work():
    r = Record(len(everything))
    everything.append(r)
    recent.append(r)
