"""compare_loop.py: one alternative to leakgate, run in the interpreter under test
(bench/compare.py starts it once per case, heap and tool, and reads its JSON).

Usage: compare_loop.py MODE WRAPPER.py [CALLS]

WRAPPER.py is the generated module of bench/compare.py: its setup() builds the heap and
runs the case's own setup(); its work() is the case's target. MODE is one of:

  bare        work(); gc.collect() CALLS times: the baseline of every overhead, and the
              plain loop that Valgrind runs (PYTHONMALLOC=malloc, judged by compare.py)
  tracemalloc tracemalloc.start() after setup, WARMUP calls, a snapshot, MEASURED calls,
              a snapshot, Snapshot.compare_to(..., "lineno"): a leak when one source line
              gained at least one block per measured call (count_diff >= MEASURED)
  objgraph    WARMUP calls, objgraph.show_growth() as the baseline, then MEASURED calls each
              followed by show_growth(): a leak when it reports growth after every one
  dash_r      CPython's own rule, Lib/test/libregrtest/refleak.py's dash_R() called as is
              with -R 5:4: a leak when every one of the 4 deltas of the references (debug
              builds) or of the allocated blocks is >= 1, or any fd delta is non-zero

Prints {"verdict": "leak"|"pass", "iterations": calls made, "elapsed": seconds since the
first call after each call, "detail": what the rule saw}.
"""

import array
import gc
import importlib.util
import io
import json
import os
import sys
import tempfile
import time

# The alternatives' loops share leakgate's default warm-up and window: their documentation
# names no count, and these are the counts leakgate itself needs (README, "the verdict").
WARMUP = 50
MEASURED = 20
HERE = os.path.abspath(__file__)


def load(path):
    spec = importlib.util.spec_from_file_location("compare_wrapper", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # the module holds the heap: keep it alive, as an import does
    spec.loader.exec_module(mod)
    if hasattr(mod, "setup"):
        mod.setup()
    return mod.work


class Clock:
    """Seconds since the first call, stored after each call and its tool's work into a
    preallocated array of doubles: the clock itself keeps no new object, block or
    reference per call (CPython's dash_R would count a list of floats as a leak)."""

    def __init__(self, calls):
        self.start = 0.0
        self.times = array.array("d", [0.0]) * calls
        self.n = 0

    def begin(self):
        if self.n == 0:
            self.start = time.perf_counter()

    def tick(self):
        self.times[self.n] = time.perf_counter() - self.start
        self.n += 1

    def retick(self):
        """The last call's time again, to include what followed it (a snapshot)."""
        self.times[self.n - 1] = time.perf_counter() - self.start

    @property
    def elapsed(self):
        return list(self.times[:self.n])


def calls(work, clock, n):
    """work(); gc.collect() N times, timed."""
    for _ in range(n):
        clock.begin()
        work()
        gc.collect()
        clock.tick()


def bare(work, n):
    clock = Clock(n)
    calls(work, clock, n)
    return {"verdict": "pass", "iterations": n, "elapsed": clock.elapsed, "detail": ""}


def run_tracemalloc(work):
    import tracemalloc

    # Traces of the tools themselves and of the import machinery are not the workload's
    # (the filters of the tracemalloc documentation's examples, plus this file).
    filters = [tracemalloc.Filter(False, tracemalloc.__file__),
               tracemalloc.Filter(False, HERE),
               tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
               tracemalloc.Filter(False, "<unknown>")]
    tracemalloc.start()
    clock = Clock(WARMUP + MEASURED)
    calls(work, clock, WARMUP)
    before = tracemalloc.take_snapshot().filter_traces(filters)
    clock.retick()
    calls(work, clock, MEASURED)
    after = tracemalloc.take_snapshot().filter_traces(filters)
    stats = after.compare_to(before, "lineno")
    clock.retick()
    tracemalloc.stop()
    top = max(stats, key=lambda s: s.count_diff, default=None)
    grew = top is not None and top.count_diff >= MEASURED
    detail = "" if top is None else "%+d blocks, %+d B at %s" % (
        top.count_diff, top.size_diff, top.traceback[0])
    return {"verdict": "leak" if grew else "pass", "iterations": WARMUP + MEASURED,
            "elapsed": clock.elapsed, "detail": detail}


def run_objgraph(work):
    import objgraph

    clock = Clock(WARMUP + MEASURED)
    calls(work, clock, WARMUP)
    objgraph.show_growth(file=io.StringIO())  # the baseline: peak counts so far
    clock.retick()
    reported = []
    for _ in range(MEASURED):
        work()
        out = io.StringIO()
        objgraph.show_growth(file=out)  # collects garbage itself
        clock.tick()
        lines = out.getvalue().split("\n")
        reported.append(lines[0].split()[0] if lines[0] else "")
    leak = all(reported)
    return {"verdict": "leak" if leak else "pass", "iterations": WARMUP + MEASURED,
            "elapsed": clock.elapsed,
            "detail": "growth reported after %d of %d calls (first: %s)"
                      % (sum(1 for r in reported if r), MEASURED,
                         next((r for r in reported if r), "-"))}


def run_dash_r(work):
    import types
    from test.libregrtest import refleak

    release = not hasattr(sys, "gettotalrefcount")
    if release:
        # dash_R refuses release builds only because it reads the reference total:
        # give it a constant one, so that blocks and descriptors are judged as on a
        # debug build and references never fail.
        sys.gettotalrefcount = lambda: 0
    clock = Clock(11)

    def test_func():
        clock.begin()
        clock.tick()  # the start of each run: the previous run's cleanup included
        work()

    with tempfile.TemporaryDirectory() as tmp:
        fname = os.path.join(tmp, "reflog.txt")
        ns = types.SimpleNamespace(huntrleaks=(5, 4, fname), quiet=True)
        stderr, sys.stderr = sys.stderr, io.StringIO()
        try:
            leaked = refleak.dash_R(ns, "case", test_func)
        finally:
            said, sys.stderr = sys.stderr.getvalue(), stderr
        clock.tick()
    # From the start of the first run to the end of the verdict: 9 runs, cleanups included.
    return {"verdict": "leak" if leaked else "pass", "iterations": 9, "elapsed": clock.elapsed,
            "detail": ("release build: blocks and fds only; " if release else "")
                      + " ".join(said.split())}


def main(argv):
    if len(argv) < 3:
        print("usage: compare_loop.py MODE WRAPPER.py [CALLS]", file=sys.stderr)
        return 4
    mode, path = argv[1], argv[2]
    work = load(path)
    if mode == "bare":
        result = bare(work, int(argv[3]))
    elif mode == "tracemalloc":
        result = run_tracemalloc(work)
    elif mode == "objgraph":
        result = run_objgraph(work)
    elif mode == "dash_r":
        result = run_dash_r(work)
    else:
        print("compare_loop.py: unknown mode %r" % mode, file=sys.stderr)
        return 4
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
