# expect: pass
# counters: py_blocks gc_objects
# target: work
# why: setup() builds cycles that the heap frozen before the first call holds; each call
#      gives one new objects and unlinks it: garbage, in warm-up and judged calls alike,
#      that only a collection of the whole heap frees, so a judged snapshot that grew must
#      make one before it reads

ring = []


class Node:
    def __init__(self):
        self.me = self  # a cycle of its own
        self.payload = None


def setup():
    ring.extend(Node() for _ in range(2000))


def work():
    node = ring.pop()
    node.payload = [object() for _ in range(8)]
