# expect: leak
# counters: py_blocks
# target: work
# grows: float
# root: a reference from outside any Python object
# why: a C extension that forgets a Py_DECREF on a float: invisible to gc.get_objects()

import _lgtest


def work():
    total = sum(x * 0.5 for x in range(50))
    _lgtest.leak_float()  # leak-site
    return total
