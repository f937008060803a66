# expect: leak
# counters: py_blocks
# target: work
# why: each call defines a ctypes Structure and takes a pointer to it: ctypes keeps every pointer type it made in an unbounded registry, so every class stays alive
import ctypes


def work():
    class Point(ctypes.Structure):
        _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int)]

    p = ctypes.pointer(Point(1, 2))  # leak-site
    return p.contents.x
