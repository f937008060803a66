# expect: leak
# counters: py_blocks
# target: work
# grows: object
# root: module 'leak_named_deque' → global _H (leak_named_deque.deque)
# why: a list subclass that calls itself deque and has a maxlen attribute: a name and an attribute bound nothing
class deque(list):
    maxlen = 10


_H = deque()


def work():
    _H.append(object())
