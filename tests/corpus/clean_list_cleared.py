# expect: pass
# counters: py_blocks
# target: work
# why: a module-level buffer grown to 1000 items and cleared on every call

_buffer = []


def work():
    for i in range(1000):
        _buffer.append(i * 7919)
    total = sum(_buffer)
    _buffer.clear()
    return total
