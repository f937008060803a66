"""bare.py: the bare side of bench.py's overhead comparison, in its own process.

Imports the workload file, then calls work(); gc.collect() CALLS times, and prints JSON:
the seconds since the first call after each one ("elapsed", as in leakgate's report),
len(gc.get_objects()) before the loop, and how an iteration splits between work() and
gc.collect(). It imports as little as it can, so its heap is close to leakgate's worker's.
Usage: bare.py WORKLOAD.py CALLS [--no-split] [--no-collect]
  --no-split    skip the split, for runs timed as a whole, such as bench.py's plain
                Valgrind side
  --no-collect  call work() alone, with no collection in the loop (issue 15's baseline:
                what the workload costs with no gate at all); the split then times
                work() alone
"""

import gc
import importlib.util
import json
import sys
import time


def main(path, calls, split=True, collect=True):
    spec = importlib.util.spec_from_file_location("workload", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    work = mod.work
    while gc.collect():
        pass
    objects = len(gc.get_objects())

    clock = time.perf_counter
    elapsed = []
    start = clock()
    if collect:
        for _ in range(calls):
            work()
            gc.collect()
            elapsed.append(clock() - start)
    else:
        for _ in range(calls):
            work()
            elapsed.append(clock() - start)

    # Outside the timed loop: how an iteration splits between the call and the collection.
    split_calls = min(calls, 20) if split else 0
    in_call = in_gc = 0.0
    for _ in range(split_calls):
        t0 = clock()
        work()
        t1 = clock()
        if collect:
            gc.collect()
        t2 = clock()
        in_call += t1 - t0
        in_gc += t2 - t1
    json.dump({"elapsed": elapsed, "gc_objects": objects,
               "call": in_call / max(split_calls, 1), "collect": in_gc / max(split_calls, 1)},
              sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), "--no-split" not in sys.argv[3:],
                  "--no-collect" not in sys.argv[3:]))
