"""peers_loop.py: one PyPI peer of leakgate, driven through its own Python API on a corpus
case, in the bench's venv (ci/bench-venv.sh; bench/compare.py starts it once per case,
heap and peer, and reads its JSON). The pytest plugins are driven by bench/peers.py.

Usage: peers_loop.py MODE WRAPPER.py

WRAPPER.py is bench/compare.py's generated module (setup() builds the heap, work() is the
case's target). MODE is one of:

  memray   WARMUP calls untracked, then MEASURED calls of work(); gc.collect() inside
           memray.Tracker(trace_python_allocators=True) (memray's documentation: without
           it pymalloc's arenas hide the objects), then FileReader's
           get_leaked_allocation_records(): a leak when one allocation stack still holds
           at least one allocation per measured call (n_allocations >= MEASURED). The
           rule of bench/compare_loop.py's tracemalloc, for the same reason: a per-call
           leak of anything leaves a block per call at its allocation site.
  psleak   psleak.MemoryLeakTestCase().execute(work) with its own defaults (10 warm-ups,
           200 calls escalating by 1.5x for up to 10 runs, tolerance 0, every checker:
           memory, fds, threads, uncollectable garbage); PYTHONMALLOC=malloc is set by
           the caller, as its execute() requires. A leak when it raises one of its
           errors (psleak.Error); a pass when it returns.

Prints {"verdict", "iterations", "elapsed", "detail"} as compare_loop.py does.
"""

import gc
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_loop import MEASURED, WARMUP, Clock, calls, load  # noqa: E402


def run_memray(work):
    import memray

    clock = Clock(WARMUP + MEASURED)
    calls(work, clock, WARMUP)
    with tempfile.TemporaryDirectory() as tmp:
        capture = os.path.join(tmp, "capture.bin")
        with memray.Tracker(capture, trace_python_allocators=True):
            calls(work, clock, MEASURED)
        records = list(memray.FileReader(capture).get_leaked_allocation_records(
            merge_threads=True))
    clock.retick()
    top = max(records, key=lambda r: r.n_allocations, default=None)
    leak = top is not None and top.n_allocations >= MEASURED
    where = "-"
    if top is not None:
        stack = top.stack_trace()
        where = "%s:%s" % stack[0][1:] if stack else "(no Python frame)"
    return {"verdict": "leak" if leak else "pass", "iterations": WARMUP + MEASURED,
            "elapsed": clock.elapsed,
            "detail": "%d leaked stacks; largest %d allocations (%d B) at %s" % (
                len(records), 0 if top is None else top.n_allocations,
                0 if top is None else top.size, where)}


def run_psleak(work):
    import psleak

    state = {"n": 0}

    def counted():
        state["n"] += 1
        work()

    case = psleak.MemoryLeakTestCase()
    t0 = __import__("time").perf_counter()
    try:
        case.execute(counted)
        verdict, detail = "pass", ""
    except psleak.Error as e:
        verdict, detail = "leak", "%s: %s" % (type(e).__name__, " ".join(str(e).split()))
    took = __import__("time").perf_counter() - t0
    # psleak times nothing per call: the overhead is its whole run over its call count.
    return {"verdict": verdict, "iterations": state["n"], "elapsed": [0.0, took],
            "per_call_total": took / max(state["n"], 1), "detail": detail[:300]}


def main(argv):
    if len(argv) != 3:
        print("usage: peers_loop.py MODE WRAPPER.py", file=sys.stderr)
        return 4
    mode, path = argv[1], argv[2]
    work = load(path)
    gc.collect()
    if mode == "memray":
        result = run_memray(work)
    elif mode == "psleak":
        result = run_psleak(work)
    else:
        print("peers_loop.py: unknown mode %r" % mode, file=sys.stderr)
        return 4
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
