# expect: pass
# counters: py_blocks
# target: work
# why: re.compile of a new pattern per call from a bounded set of 100, within re's own cache limit

import itertools
import re

_calls = itertools.count()


def work():
    n = next(_calls) % 100
    pattern = re.compile(r"^item-%d-(\w+)$" % n)
    m = pattern.match("item-%d-blue" % n)
    return m.group(1)
