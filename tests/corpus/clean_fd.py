# expect: pass
# counters: fds
# target: work
# why: a file opened and closed (with a with-block) on every call

import os

_PATH = os.path.abspath(__file__)


def work():
    with open(_PATH, "rb") as f:
        data = f.read()
    return data.count(b"\n")
