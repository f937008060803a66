# expect: leak
# counters: py_blocks
# target: work
# grows: object
# root: module 'leak_deque_inner_list' → global _H (collections.deque) → [0] (list)
# why: a deque(maxlen=10) holds one list that grows without end: the deque's bound says nothing about what its entries hold
import collections

_H = collections.deque([[]], maxlen=10)


def work():
    _H[0].append(object())
