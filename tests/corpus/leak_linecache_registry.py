# expect: leak
# counters: py_blocks
# target: work
# grows: tuple
# root: module 'linecache' → global cache (dict)
# why: a code generator registers each generated function's source in linecache.cache, an unbounded registry that nothing trims: leakgate must not empty it before measuring
import itertools
import linecache

_calls = itertools.count()


def work():
    n = next(_calls)
    name = "<generated-%d>" % n
    source = "def handler_%d(x):\n    return x + %d\n" % (n, n)
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    namespace = {}
    exec(compile(source, name, "exec"), namespace)
    return namespace["handler_%d" % n](1)
