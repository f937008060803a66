# expect: pass
# counters: threads
# target: work
# why: a worker thread started and joined on every call

import threading


def _square_all(numbers, out):
    out.extend(n * n for n in numbers)


def work():
    out = []
    t = threading.Thread(target=_square_all, args=(range(100), out))
    t.start()
    t.join()
    return len(out)
