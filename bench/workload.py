"""The pass-path workload of bench.py: fifty JSON round-trips of a small nested document
per call (about 1 ms), nothing kept between calls.

LEAKGATE_BENCH_HEAP=N (default 0) first builds a module-level list of N one-item lists,
each tracked by the cyclic GC, so every full collection has that many more objects to
traverse. leakgate's worker and bench.py's bare loop both inherit the variable.
"""

import json
import os

ROUND_TRIPS = 50

_doc = {
    "id": 1234,
    "name": "widget",
    "tags": ["a", "b", "c"],
    "price": 9.95,
    "parts": [{"sku": "p-%d" % i, "qty": i, "ok": i % 2 == 0} for i in range(10)],
    "meta": {"owner": None, "nested": {"depth": [1, [2, [3, [4]]]]}},
}

# A list is GC-tracked whatever it holds (unlike a dict of atomic values).
_heap = [[i] for i in range(int(os.environ.get("LEAKGATE_BENCH_HEAP", "0")))]


def work():
    n = 0
    for _ in range(ROUND_TRIPS):
        text = json.dumps(_doc, sort_keys=True)
        back = json.loads(text)
        assert back["parts"][3]["sku"] == "p-3"
        n += len(text)
    return n
