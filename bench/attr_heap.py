"""attr_heap.py: a leak of one record per call on a heap of LEAKGATE_BENCH_HEAP more
GC-tracked objects (bench.py, section 3: what attribution costs on a large heap)."""
import os

_heap = []
_leaked = []


def setup():
    n = int(os.environ.get("LEAKGATE_BENCH_HEAP", "0"))
    # Small lists, each GC-tracked, in blocks of 1000 so the heap is a tree, not one list.
    _heap.extend([[i, str(i)] for i in range(j, min(j + 1000, n))]
                 for j in range(0, n, 1000))


def work():
    _leaked.append({"id": len(_leaked), "payload": "x" * 32})
