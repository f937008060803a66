# expect: leak
# counters: py_blocks
# target: work
# report: not bounded: collections.deque holds
# report: bounds nothing the run can see
# why: a deque(maxlen=1_000_000) filling by one entry per call: a bound thousands of times beyond the run's calls bounds nothing the gate can see
import collections

log = collections.deque(maxlen=1_000_000)


def work():
    log.append({"seq": len(log)})
