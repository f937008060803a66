#!/usr/bin/env python3
"""bench.py: measures the real leakgate binary; Python here only drives it.

1. Pass-path cost per iteration: bench/workload.py (fifty JSON round-trips, about 1 ms,
   per call) on a small heap and on a heap of 200,000 more GC-tracked objects.
   `leakgate run` with default options against two bare loops in this same interpreter,
   for the same number of calls (bench/bare.py), interleaved A B C A B C: work() alone,
   with no collection (issue 15's goal: <= 1.5x), and work(); gc.collect() (the former
   target, <= 1.15x). Per-iteration time is (elapsed[-1] - elapsed[0]) /
   (len(elapsed) - 1) on every side.
2. Calls to a verdict: every tests/corpus/leak_*.py and clean_*.py with default options
   plus its "# options:" header, against issue 15's targets: a leak fails within 150
   calls; a clean case flat after its first 10 calls (its series say so) is decided
   within 30; one that grows until call 100 at the latest (a cache filling) passes.
3. Attribution: bench/attr_heap.py (one leaked record per call) on heaps of about 0,
   200k and 1M more GC-tracked objects: the referrer search (reverse graph + chains, from
   the JSON report's attribution.seconds) against a 2 s target at 1M, and the whole
   attribution re-run next to the detection run before it.
4. The cost of --valgrind (skipped without valgrind on PATH): `leakgate run --valgrind`
   on bench/workload.py against `valgrind --leak-check=full python3 bare.py` (the plain
   way, PYTHONMALLOC=malloc, same number of calls) and against `leakgate run`, as ratios
   of wall time and of time per call; then the wall time to a verdict on a Python-level
   leak (tests/corpus/leak_list.py) with and without --valgrind. No target: measured.
5. --pytest (with --pytest-python and --pytest-ext-dir): the wall time to gate
   tests/pytest_project and generated suites of 100 and 300 small clean tests with
   `leakgate run --python PY --pytest` (defaults: -j one per CPU) next to a plain
   `PY -m pytest` run of the same suite, as a ratio (target: <= 15x on 2 cores), and the
   peak memory of each run's process tree (PSS, sampled every 20 ms): it should not grow
   with the number of tests. make bench passes a venv with the pinned pytest
   (ci/pytest-venv.sh), so plain and gated runs use the same pytest.
6. Wall time to a correct verdict against make bench-compare's tracemalloc snapshot loop
   (bench/compare_loop.py), every corpus case on the small, 200k and 1M heaps: goal
   <= 0.5x (the geometric mean per heap, with every case right).
7. The GDB helper on a core (bench/gdb.sh; skipped without gdb on PATH): lg-graph of a
   10,000-element list against CPython's py-print of it (python-gdb.py in the full GDB),
   and lg-bt against py-bt, each as one command in one GDB and as its cost past GDB's
   start-up (the command repeated in one GDB, the start-up taken off). No target.

Every section prints the load average it ran under; `uptime` is printed at the start and
the end. --out FILE puts the whole output into FILE's make bench section (make bench:
docs/benchmarks.md, whose other sections make bench-compare writes).

Usage: bench.py LEAKGATE CORPUS_DIR [--ext-dir DIR] [--reps N] [--only N,...] [--out FILE]
Exit status: 0 when everything was measured, missed targets included (they print
MISSED); 1 when something could not be measured at all.
"""

import argparse
import importlib.util
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD = os.path.join(HERE, "workload.py")
OVERHEAD_TARGET = 1.15  # against work(); gc.collect()
ALONE_GOAL = 1.5  # issue 15: against work() alone, no collection
HEAP_OBJECTS = 200_000
# Issue 15's targets for the calls to a verdict (warm-up included), with default options.
LEAK_CALLS = 150   # a leak of one object per call fails within this many calls
FIRST_CALLS = 10   # "flat after its first calls": nothing grows past leakgate's warm-up
FLAT_CALLS = 30    # ... and such a target is decided within this many
FILL_CALLS = 100   # a cache that fills over its first 100 calls and stops passes
ATTR_HEAPS = (0, 200_000, 1_000_000)
SEARCH_TARGET = 2.0  # seconds for the referrer search at 1M objects
RUN_TIMEOUT = 300
NOISY_SPREAD = 1.25  # slowest/fastest repetition of one side above which a result is flagged


class BenchError(Exception):
    pass


def per_iteration(elapsed):
    if len(elapsed) < 2:
        raise BenchError("fewer than 2 timed calls (%d)" % len(elapsed))
    return (elapsed[-1] - elapsed[0]) / (len(elapsed) - 1)


def run_leakgate(leakgate, args, env, report):
    """Runs `leakgate run -q ARGS --report REPORT` and returns (exit code, target dict)."""
    cmd = [leakgate, "run", "-q", "--report", report] + args
    try:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise BenchError("%s: no result after %d s" % (shlex.join(cmd), RUN_TIMEOUT))
    try:
        with open(report) as f:
            targets = json.load(f)["targets"]
        os.unlink(report)
    except (OSError, ValueError, KeyError) as e:
        raise BenchError("%s exited %d without a readable report (%s):\n%s"
                         % (shlex.join(cmd), p.returncode, e, p.stdout.rstrip()))
    if len(targets) != 1:
        raise BenchError("%s: %d targets in the report" % (shlex.join(cmd), len(targets)))
    return p.returncode, targets[0], p.stdout


def harness_side(leakgate, env, tmp):
    rc, t, out = run_leakgate(leakgate, [WORKLOAD + ":work"], env,
                              os.path.join(tmp, "overhead.json"))
    if t.get("verdict") != "pass":
        raise BenchError("leakgate gave the workload '%s' (exit %d):\n%s"
                         % (t.get("verdict"), rc, out.rstrip()))
    gc_series = t["counters"]["gc_objects"]["series"]
    return {"per_iter": per_iteration(t["elapsed"]), "iterations": t["iterations"],
            "gc_objects": gc_series[-1], "python": t.get("python", "?")}


def bare_side(env, calls, collect=True):
    cmd = [sys.executable, os.path.join(HERE, "bare.py"), WORKLOAD, str(calls)]
    if not collect:
        cmd.append("--no-collect")
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=RUN_TIMEOUT)
    if p.returncode != 0:
        raise BenchError("bare loop exited %d:\n%s" % (p.returncode, p.stderr.rstrip()))
    r = json.loads(p.stdout)
    r["per_iter"] = per_iteration(r["elapsed"])
    return r


def ms(seconds):
    return "%.3f ms" % (seconds * 1e3)


def overhead(leakgate, env, tmp, reps):
    """Section 1. Returns a list of (label, ratio to work() alone or None, ratio to
    work(); gc.collect() or None, text for the summary)."""
    print("== 1. pass-path cost per iteration: leakgate run (defaults) against work() alone "
          "and against work(); gc.collect()   [load average %s]" % load())
    print("   workload: bench/workload.py, %d JSON round-trips per call; %d repetitions "
          "each, interleaved A B C A B C" % (read_round_trips(), reps))
    print("   goal (issue 15): at most %.2fx a bare loop of work() alone, with no collection, "
          "on both heaps; the former target, at most %.2fx work(); gc.collect(), is kept"
          % (ALONE_GOAL, OVERHEAD_TARGET))
    results = []
    interp = "CPython %s" % platform.python_version()
    for label, heap in (("small heap", 0), ("%dk heap" % (HEAP_OBJECTS // 1000), HEAP_OBJECTS)):
        case_env = dict(env, LEAKGATE_BENCH_HEAP=str(heap))
        harness, bare, alone = [], [], []
        try:
            for _ in range(reps):
                harness.append(harness_side(leakgate, case_env, tmp))
                bare.append(bare_side(case_env, harness[-1]["iterations"]))
                alone.append(bare_side(case_env, harness[-1]["iterations"], collect=False))
        except (BenchError, subprocess.TimeoutExpired, ValueError) as e:
            print("   %s: ERROR: %s" % (label, e))
            results.append((label, None, None, "%s ERROR" % label))
            continue
        if harness[0]["python"] != interp:
            print("   WARNING: leakgate embeds %s but the bare loops run %s"
                  % (harness[0]["python"], interp))
        h = statistics.median(r["per_iter"] for r in harness)
        b = statistics.median(r["per_iter"] for r in bare)
        w = statistics.median(r["per_iter"] for r in alone)
        print("   %s: len(gc.get_objects()) = %d in the bare loop, gc_objects = %d in "
              "leakgate's worker; %d calls per run   [load average %s]"
              % (label, bare[0]["gc_objects"], harness[0]["gc_objects"],
                 harness[0]["iterations"], load()))
        print("     work() alone           median %s/iter (range %s .. %s)"
              % (ms(w), ms(min(r["per_iter"] for r in alone)),
                 ms(max(r["per_iter"] for r in alone))))
        print("     work(); gc.collect()   median %s/iter (range %s .. %s); of which work() %s, "
              "gc.collect() %s" % (ms(b), ms(min(r["per_iter"] for r in bare)),
                                   ms(max(r["per_iter"] for r in bare)),
                                   ms(statistics.median(r["call"] for r in bare)),
                                   ms(statistics.median(r["collect"] for r in bare))))
        print("     leakgate               median %s/iter (range %s .. %s)"
              % (ms(h), ms(min(r["per_iter"] for r in harness)),
                 ms(max(r["per_iter"] for r in harness))))
        r_alone, r_bare = h / w, h / b
        print("     ratio leakgate/work() alone        %.3fx   goal   <= %.2fx   %s"
              % (r_alone, ALONE_GOAL, "ok" if r_alone <= ALONE_GOAL else "MISSED"))
        print("     ratio leakgate/work(); gc.collect() %.3fx   target <= %.2fx   %s"
              % (r_bare, OVERHEAD_TARGET, "ok" if r_bare <= OVERHEAD_TARGET else "MISSED"))
        noisy = []
        for side, rs in (("work() alone", alone), ("work(); gc.collect()", bare),
                         ("leakgate", harness)):
            times = [r["per_iter"] for r in rs]
            if max(times) > NOISY_SPREAD * min(times):
                noisy.append(side)
        if noisy:
            print("     NOISY: the %s repetitions spread more than %.2fx: the machine was busy; "
                  "rerun on an idle one" % (" and ".join(noisy), NOISY_SPREAD))
        results.append((label, r_alone, r_bare, "%s %.2fx work() alone, %.2fx work(); "
                        "gc.collect()" % (label, r_alone, r_bare)))
    return results


def read_round_trips():
    spec = importlib.util.spec_from_file_location("workload_info", WORKLOAD)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.ROUND_TRIPS


def load():
    try:
        return "%.2f" % os.getloadavg()[0]
    except (AttributeError, OSError):
        return "?"


def header(path, key):
    prefix = "# %s:" % key
    with open(path) as f:
        for line in f:
            if line.startswith(prefix):
                return line[len(prefix):].strip()
    return None


def last_growth(t):
    """(the last call at which a judged counter rose above every earlier value by more
    than its budget, that counter): the case's own shape, read from its series, whatever
    the verdict made of it. (0, None) when nothing rose after the first call."""
    last, who = 0, None
    for name, c in t["counters"].items():
        if not c.get("judged"):
            continue
        series, top = c["series"], None
        for i, v in enumerate(series):
            if top is not None and v - top > max(c.get("budget") or 0, 0):
                if i + 1 > last:
                    last, who = i + 1, name
            top = v if top is None else max(top, v)
    return last, who


def corpus(leakgate, corpus_dir, env, tmp):
    """Section 2. Returns (cases within target, cases, names missed, errors)."""
    print()
    print("== 2. calls to a verdict: tests/corpus, default options plus each case's "
          "'# options:'   [load average %s]" % load())
    print("   targets (issue 15): a leak fails within %d calls (one object per call fails at "
          "call %d by construction); a clean case whose counters are flat after its first "
          "%d calls (the warm-up) is decided within %d; one that grows until call %d or "
          "earlier (a cache filling) passes; later growth must pass, with no call target"
          % (LEAK_CALLS, LEAK_CALLS, FIRST_CALLS, FLAT_CALLS, FILL_CALLS))
    print("   shape: the last call at which a judged counter rose past every earlier value "
          "by more than its budget, read from the case's own series")
    names = sorted(n for n in os.listdir(corpus_dir)
                   if n.endswith(".py") and n.startswith(("leak_", "clean_")))
    names.sort(key=lambda n: not n.startswith("leak_"))
    row = "   %-30s %-8s %-8s %6s  %-30s %-14s %s"
    print(row % ("case", "expected", "verdict", "calls", "shape", "target", "result"))
    met, missed, errors = 0, [], 0
    for name in names:
        path = os.path.join(corpus_dir, name)
        expect = header(path, "expect")
        target = header(path, "target") or "work"
        options = shlex.split(header(path, "options") or "")
        try:
            _, t, _ = run_leakgate(leakgate, options + ["%s:%s" % (path, target)], env,
                                   os.path.join(tmp, "corpus.json"))
        except BenchError as e:
            print(row % (name, expect, "ERROR", "-", "-", "-", "ERROR"))
            print("     " + str(e).replace("\n", "\n     "))
            missed.append(name)
            errors += 1
            continue
        verdict, calls = t.get("verdict"), t["iterations"]
        grew, who = last_growth(t)
        if expect == "leak":
            shape, limit, goal = "leaks", LEAK_CALLS, "leak, <= %d" % LEAK_CALLS
        elif grew <= FIRST_CALLS:
            shape, limit, goal = "flat after call %d" % FIRST_CALLS, FLAT_CALLS, \
                "pass, <= %d" % FLAT_CALLS
        elif grew <= FILL_CALLS:
            shape, limit, goal = "grows to call %d (%s)" % (grew, who), None, "pass"
        else:
            shape, limit, goal = "grows to call %d (%s)" % (grew, who), None, \
                "pass (no calls)"
        if expect not in ("leak", "pass"):
            result = "MISSED (no '# expect: leak|pass' header)"
        elif verdict != expect:
            result = "MISSED (wrong verdict)"
        elif limit is not None and calls > limit:
            result = "MISSED (more than %d calls)" % limit
        else:
            result = "ok"
        if result == "ok":
            met += 1
        else:
            missed.append(name)
        print(row % (name[:-3], expect, verdict, calls, shape, goal, result))
        if t.get("error"):
            print("     error: %s" % t["error"])
    print("   %d/%d cases within their targets   [load average %s]"
          % (met, len(names), load()))
    return met, len(names), missed, errors


def attribution(leakgate, env, tmp):
    """Section 3. Returns (search seconds at the largest heap or None, errors)."""
    print()
    print("== 3. attribution cost: bench/attr_heap.py, one leaked record per call   "
          "[load average %s]" % load())
    row = "   %10s %12s %10s %10s %10s %11s %11s  %s"
    print(row % ("heap", "graph objs", "search", "calls", "census", "attribution",
                 "detection", "attribution/detection"))
    search, errors = None, 0
    for heap in ATTR_HEAPS:
        case_env = dict(env, LEAKGATE_BENCH_HEAP=str(heap))
        try:
            _, t, _ = run_leakgate(leakgate, [os.path.join(HERE, "attr_heap.py") + ":work"],
                                   case_env, os.path.join(tmp, "attr.json"))
            a = t["attribution"]
            sec = a["seconds"]
        except (BenchError, KeyError, TypeError) as e:
            print("   %10d ERROR: %s" % (heap, e))
            errors += 1
            continue
        total = sum(sec.values())
        search = sec["graph"] + sec["chains"]
        # The run's own time less the attribution is the detection (start-up included).
        detection = t["seconds"] - total
        print(row % (heap, a.get("graph_objects", "?"), "%.3f s" % search,
                     "%.3f s" % sec["calls"], "%.3f s" % sec["census"], "%.3f s" % total,
                     "%.3f s" % detection, "%.2fx" % (total / detection)))
    if search is not None:
        print("   referrer search at the largest heap: %.3f s, target <= %.1f s: %s"
              % (search, SEARCH_TARGET, "ok" if search <= SEARCH_TARGET else "MISSED"))
    return search, errors
def timed_leakgate(leakgate, args, env, report):
    """run_leakgate, and the wall time of the whole run (start-up included)."""
    t0 = time.monotonic()
    rc, t, out = run_leakgate(leakgate, args, env, report)
    return time.monotonic() - t0, rc, t, out


def plain_valgrind(valgrind, env, calls, tmp):
    """valgrind --leak-check=full python3 bare.py WORKLOAD CALLS, as a user would run it:
    returns (wall seconds, seconds per call, memcheck's error count)."""
    log = os.path.join(tmp, "plain-vg.log")
    cmd = [valgrind, "--tool=memcheck", "--leak-check=full", "--log-file=" + log,
           sys.executable, os.path.join(HERE, "bare.py"), WORKLOAD, str(calls), "--no-split"]
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=dict(env, PYTHONMALLOC="malloc"), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=RUN_TIMEOUT)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        raise BenchError("plain valgrind exited %d:\n%s" % (p.returncode, p.stderr.rstrip()))
    with open(log) as f:
        m = re.search(r"ERROR SUMMARY: ([\d,]+) errors", f.read())
    return wall, per_iteration(json.loads(p.stdout)["elapsed"]), m.group(1) if m else "?"


def valgrind_cost(leakgate, corpus_dir, env, tmp, reps):
    """Section 4. Returns the summary text, or None when it could not be measured."""
    print()
    print("== 4. the cost of --valgrind: bench/workload.py, default options; %d repetitions "
          "each, interleaved, medians   [load average %s]" % (reps, load()))
    valgrind = shutil.which("valgrind")
    if not valgrind:
        print("   skipped: valgrind is not on PATH")
        return "valgrind skipped"
    report = os.path.join(tmp, "vg.json")
    rows = {"vg": [], "plain": [], "lg": []}
    try:
        for _ in range(reps):
            wall, _, t, out = timed_leakgate(leakgate, ["--valgrind", WORKLOAD + ":work"], env,
                                             report)
            if t.get("verdict") != "pass":
                raise BenchError("--valgrind gave the workload '%s':\n%s"
                                 % (t.get("verdict"), out.rstrip()))
            calls = t["iterations"]
            rows["vg"].append((wall, per_iteration(t["elapsed"]), calls))
            wall, per, errors = plain_valgrind(valgrind, env, calls, tmp)
            rows["plain"].append((wall, per, calls))
            wall, _, t, _ = timed_leakgate(leakgate, [WORKLOAD + ":work"], env, report)
            rows["lg"].append((wall, per_iteration(t["elapsed"]), t["iterations"]))
        leak = os.path.join(corpus_dir, "leak_list.py") + ":work"
        leak_lg, _, t_lg, _ = timed_leakgate(leakgate, [leak], env, report)
        leak_vg, _, t_vg, _ = timed_leakgate(leakgate, ["--valgrind", leak], env, report)
    except (BenchError, subprocess.TimeoutExpired, ValueError, OSError) as e:
        print("   ERROR: %s" % e)
        return None
    med = {k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v),
               v[0][2]) for k, v in rows.items()}
    row = "   %-52s %5s calls %8.2f s wall %10s/call"
    print(row % ("leakgate run", med["lg"][2], med["lg"][0], ms(med["lg"][1])))
    print(row % ("valgrind --leak-check=full python3 loop (plain)", med["plain"][2],
                 med["plain"][0], ms(med["plain"][1])))
    print("     (PYTHONMALLOC=malloc; memcheck reported %s errors, CPython's own)" % errors)
    print(row % ("leakgate run --valgrind", med["vg"][2], med["vg"][0], ms(med["vg"][1])))
    r_plain = (med["vg"][0] / med["plain"][0], med["vg"][1] / med["plain"][1])
    r_lg = (med["vg"][0] / med["lg"][0], med["vg"][1] / med["lg"][1])
    print("   --valgrind / plain valgrind: %.2fx wall, %.2fx per call (a leak search per call)"
          % r_plain)
    print("   --valgrind / leakgate run:   %.1fx wall, %.1fx per call" % r_lg)
    print("   Python-level leak (leak_list.py) to a verdict: leakgate run %.2f s (%s), "
          "--valgrind %.2f s (%s): %.1fx"
          % (leak_lg, t_lg.get("verdict"), leak_vg, t_vg.get("verdict"), leak_vg / leak_lg))
    return ("--valgrind %.2fx plain valgrind and %.0fx leakgate (wall), %.0fx on a Python "
            "leak" % (r_plain[0], r_lg[0], leak_vg / leak_lg))


def tracemalloc_cost(leakgate, corpus_dir, env, tmp, patterns="*"):
    """Section 6: leakgate's wall time to a correct verdict against make bench-compare's
    tracemalloc snapshot loop (bench/compare_loop.py tracemalloc), every corpus case on
    bench-compare's heaps, the two run one after the other on each case and heap. Returns
    (per-heap summary texts, every heap met) or (None, False) when nothing was measured."""
    import compare  # bench/compare.py: its wrapper module and its two tools' drivers

    print()
    print("== 6. wall time to a correct verdict against the tracemalloc snapshot loop of "
          "make bench-compare (goal <= %.1fx, geometric mean per heap, every case right)   "
          "[load average %s]" % (compare.TRACEMALLOC_GOAL, load()))
    import fnmatch
    names = sorted(n for n in os.listdir(corpus_dir)
                   if n.endswith(".py") and n.startswith(("leak_", "clean_"))
                   and any(fnmatch.fnmatch(n[:-3], p) for p in patterns.split(",")))
    names.sort(key=lambda n: not n.startswith("leak_"))
    print("   cases: %s" % ("every corpus case" if patterns == "*" else
                            "%d of the corpus (--cases %s)" % (len(names), patterns)))
    results = {}
    for heap, label in compare.HEAPS:
        for name in names:
            path = os.path.abspath(os.path.join(corpus_dir, name))
            wrapper = os.path.join(tmp, "wrap_%s_%s" % (label, name))
            with open(wrapper, "w") as f:
                f.write(compare.WRAPPER.format(case=name, heap=heap, name=name[:-3], path=path,
                                               target=header(path, "target") or "work"))
            options = shlex.split(header(path, "options") or "")
            results[(name, heap)] = {
                "expect": header(path, "expect"),
                "leakgate": compare.leakgate_tool(leakgate, sys.executable, options, wrapper,
                                                  env, tmp),
                "tracemalloc": compare.loop_tool(sys.executable, "tracemalloc", wrapper, env)}
            os.unlink(wrapper)
        rows = [r for (c, h), r in results.items() if h == heap]
        wrong = [c[:-3] for (c, h), r in results.items()
                 if h == heap and r["leakgate"]["verdict"] != r["expect"]]
        print("   %-5s heap: leakgate %.1f s, tracemalloc %.1f s in all; leakgate wrong on "
              "%s   [load average %s]"
              % (label, sum(r["leakgate"]["wall"] for r in rows),
                 sum(r["tracemalloc"]["wall"] for r in rows), ", ".join(wrong) or "none",
                 load()))
    table, verdicts = compare.tracemalloc_goal(results, compare.HEAPS)
    for line in table:
        print("   " + line)
    return verdicts, all(v.endswith("(met)") for v in verdicts)


PYTEST_TARGET = 15.0  # gated wall time / plain pytest wall time, on 2 cores
GENERATED_TESTS = (100, 300)


def generate_suite(root, n):
    """A suite of n small clean tests in 10-test modules: a few microseconds to a
    millisecond of work each, some through a function-scoped fixture, some parametrised,
    the shapes a real unit-test suite is made of."""
    os.makedirs(root)
    with open(os.path.join(root, "conftest.py"), "w") as f:
        f.write("import pytest\n\n@pytest.fixture\ndef record():\n"
                "    return {'id': 7, 'tags': ['a', 'b'], 'name': 'x' * 20}\n")
    for m in range((n + 9) // 10):
        lines = ["import json", "import re", "import pytest", ""]
        for k in range(min(10, n - m * 10)):
            kind = k % 5
            name = "test_m%d_%d" % (m, k)
            if kind == 0:
                lines += ["def %s(record):" % name,
                          "    assert json.loads(json.dumps(record)) == record", ""]
            elif kind == 1:
                lines += ["def %s():" % name,
                          "    assert sorted(range(%d, 0, -1))[0] == 1" % (k + 50), ""]
            elif kind == 2:
                lines += ["def %s():" % name,
                          "    assert re.match(r'(\\w+)-(\\d+)', 'abc-%d').group(2) == '%d'"
                          % (k, k), ""]
            elif kind == 3:
                lines += ["@pytest.mark.parametrize('x', [%d])" % k,
                          "def %s(x):" % name,
                          "    assert {i: str(i) for i in range(x + 20)}[x] == str(x)", ""]
            else:
                lines += ["class TestM%d_%d:" % (m, k),
                          "    def test_it(self, record):",
                          "        assert '%(name)s' % record == 'x' * 20", ""]
        with open(os.path.join(root, "test_gen%03d.py" % m), "w") as f:
            f.write("\n".join(lines))


def tree_memory(pid):
    """(PSS of pid and all its descendants, the largest RSS among them), in bytes."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    todo, pss, rss = [pid], 0, 0
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    if line.startswith(("Pss:", "Rss:")):
                        kb = int(line.split()[1]) * 1024
                        if line.startswith("Pss:"):
                            pss += kb
                        else:
                            rss = max(rss, kb)
        except OSError:
            pass
    return pss, rss


def measured_run(cmd, cwd, env):
    """Runs cmd; (exit code, wall seconds, CPU seconds of its process tree, peak PSS of
    the tree, peak RSS of one process of it, output), the memory sampled every 20 ms."""
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True)
    out = []
    import threading
    reader = threading.Thread(target=lambda: out.append(p.stdout.read()))
    reader.start()
    peak_pss = peak_rss = 0
    while p.poll() is None:
        pss, rss = tree_memory(p.pid)
        peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
        if time.monotonic() - t0 > RUN_TIMEOUT * 4:
            p.kill()
        time.sleep(0.02)
    wall = time.monotonic() - t0
    reader.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return p.returncode, wall, cpu, peak_pss, peak_rss, "".join(out)


def gate_suite(leakgate, py, name, project, env, tmp, codes):
    """One suite, plain pytest against leakgate run --pytest (default options, -j one per
    CPU): prints a line each, returns (ratio, peak PSS of the gated run) or None."""
    report = os.path.join(tmp, "pytest-%s.json" % re.sub(r"\W", "_", name))
    cmds = (("pytest", [py, "-m", "pytest", "-q", "-p", "no:cacheprovider"]),
            ("leakgate", [leakgate, "run", "-q", "--report", report, "--python", py,
                          "--pytest", "-p", "no:cacheprovider"]))
    got = {}
    for side, cmd in cmds:
        rc, wall, cpu, pss, rss, out = measured_run(cmd, project, env)
        if rc not in codes[side]:
            print("   %s: %s exited %d:\n%s" % (name, side, rc, out[-2000:]))
            return None
        got[side] = (wall, cpu, pss, rss)
    with open(report) as f:
        summary = json.load(f)["summary"]
    ratio = got["leakgate"][0] / got["pytest"][0]
    print("   %s: %s   [load average %s]" % (
        name, " ".join("%d %s" % (n, v) for v, n in sorted(summary.items()) if n), load()))
    for side in ("pytest", "leakgate"):
        wall, cpu, pss, rss = got[side]
        print("     %-8s %7.2f s wall, %7.2f s CPU, peak %4.0f MB PSS (largest process "
              "%3.0f MB)" % (side, wall, cpu, pss / 2**20, rss / 2**20))
    # The CPU ratio does not depend on the machine's load: over two cores that leakgate
    # keeps busy (-j 2) and one that pytest does, half of it is the wall ratio of an
    # idle machine.
    print("     ratio %.1fx wall, %.1fx CPU" % (ratio, got["leakgate"][1] / got["pytest"][1]))
    return ratio, got["leakgate"][2]


def pytest_cost(leakgate, py, ext_dir, env, tmp):
    """Section 5. Returns the summary text, or None when it could not be measured."""
    print()
    print("== 5. --pytest with %s, default options, -j %d: wall time against a plain pytest "
          "run (target <= %.0fx on 2 cores), peak memory (PSS of the process tree)   "
          "[load average %s]" % (py, len(os.sched_getaffinity(0)), PYTEST_TARGET, load()))
    project = os.path.join(os.path.dirname(HERE), "tests", "pytest_project")
    env = dict(env, PYTHONPATH=os.path.abspath(ext_dir))
    # tests/pytest_project has a failing test (both exit non-zero) and leaks (leakgate 1).
    r = gate_suite(leakgate, py, "tests/pytest_project", project, env, tmp,
                   {"pytest": (1,), "leakgate": (1,)})
    if r is None:
        return None
    results = [("pytest_project", r[0])]
    peaks = []
    for n in GENERATED_TESTS:
        root = os.path.join(tmp, "generated%d" % n)
        generate_suite(root, n)
        g = gate_suite(leakgate, py, "generated, %d tests" % n, root, env, tmp,
                       {"pytest": (0,), "leakgate": (0,)})
        if g is None:
            return None
        results.append(("%d tests" % n, g[0]))
        peaks.append(g[1])
    ok = all(ratio <= PYTEST_TARGET for _, ratio in results)
    growth = peaks[-1] / peaks[0]
    print("   peak memory %d -> %d tests: %.2fx" % (GENERATED_TESTS[0], GENERATED_TESTS[-1],
                                                   growth))
    return "--pytest %s (target <= %.0fx): %s; peak memory x%.2f from %d to %d tests" % (
        ", ".join("%.1fx %s" % (r, n) for n, r in results), PYTEST_TARGET,
        "met" if ok else "MISSED", growth, GENERATED_TESTS[0], GENERATED_TESTS[-1])


def gdb_cost(leakgate):
    """Section 7: bench/gdb.sh's rows, indented; the python-gdb.py side needs the
    interpreter leakgate was built with (this one: run.sh runs bench.py with it)."""
    print("== 7. the GDB helper on a core: lg-graph and lg-bt against python-gdb.py's "
          "py-print and py-bt (bench/gdb.sh; best of three)   [load average %s]" % load())
    if not shutil.which("gdb"):
        print("   skipped: no gdb on PATH")
        return "gdb: skipped (no gdb)"
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gdb.sh")
    try:
        r = subprocess.run(["sh", script, leakgate, sys.executable], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True, timeout=1800)
    except subprocess.TimeoutExpired:
        print("   ERROR: bench/gdb.sh did not finish in 30 min")
        return None
    for line in r.stdout.splitlines():
        print("   " + line)
    if r.returncode != 0:
        print("   ERROR: bench/gdb.sh exited %d" % r.returncode)
        return None
    past = dict(re.findall(r"^(\S+).*past start-up +(<?-?[0-9.]+) s", r.stdout, re.M))
    return "gdb past start-up: %s" % ", ".join("%s %s s" % kv for kv in past.items())


def uptime():
    try:
        return subprocess.run(["uptime"], stdout=subprocess.PIPE, universal_newlines=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


class Tee:
    """stdout, kept as well for --out."""

    def __init__(self, out):
        self.out, self.kept = out, []

    def write(self, text):
        self.kept.append(text)
        return self.out.write(text)

    def flush(self):
        self.out.flush()


BENCH_BEGIN = "<!-- begin: make bench (bench/bench.py --out) -->"
BENCH_END = "<!-- end: make bench -->"


def write_out(path, command, text):
    """Puts this run's output into PATH (docs/benchmarks.md) between the markers
    bench/compare.py keeps when it rewrites the file: replaced if there, else appended."""
    block = "\n".join([BENCH_BEGIN, "", "## `make bench`: the harness's own costs", "",
                        "Generated by `%s` (bench/bench.py --out); do not edit by hand. Its "
                        "console output, as printed; every section names the load average "
                        "it ran under." % command, "", "```", text.rstrip("\n"), "```", "",
                        BENCH_END])
    try:
        with open(path) as f:
            old = f.read()
    except OSError:
        old = ""
    begin, end = old.find(BENCH_BEGIN), old.find(BENCH_END)
    if 0 <= begin < end:
        new = old[:begin] + block + old[end + len(BENCH_END):]
    else:
        new = old.rstrip("\n") + ("\n\n" if old else "") + block + "\n"
    with open(path, "w") as f:
        f.write(new)


SECTIONS = (1, 2, 3, 4, 5, 6, 7)


def main():
    ap = argparse.ArgumentParser(description="leakgate benchmark")
    ap.add_argument("leakgate")
    ap.add_argument("corpus_dir")
    ap.add_argument("--ext-dir", help="directory of the _lgtest extension (PYTHONPATH)")
    ap.add_argument("--reps", type=int, default=9, help="repetitions per side (default 9)")
    ap.add_argument("--pytest-python", help="an interpreter with pytest, for section 5 "
                    "(make bench: a venv with the pinned pytest, ci/pytest-venv.sh)")
    ap.add_argument("--pytest-ext-dir", help="the _lgtest extension built for it")
    ap.add_argument("--only", help="run only these sections, comma-separated (1-7)")
    ap.add_argument("--out", help="write the output into this Markdown file's make bench "
                    "section too (docs/benchmarks.md); only on a run of every section")
    ap.add_argument("--command", default="make bench", help="the command --out names")
    ap.add_argument("--cases", default="*", help="section 6: only the corpus cases "
                    "matching these comma-separated patterns (default: all)")
    a = ap.parse_args()
    try:
        only = set(SECTIONS) if not a.only else {int(x) for x in a.only.split(",")}
    except ValueError:
        only = {0}
    if not only <= set(SECTIONS):
        ap.error("--only: sections are 1 to 7, comma-separated")
    leakgate = os.path.abspath(a.leakgate)
    if not os.access(leakgate, os.X_OK):
        print("bench: %s is not an executable" % leakgate, file=sys.stderr)
        return 1
    if 5 in only and not (a.pytest_python and a.pytest_ext_dir):
        if a.only:
            print("bench: section 5 needs --pytest-python and --pytest-ext-dir",
                  file=sys.stderr)
            return 1
        only.discard(5)
    env = dict(os.environ)
    if a.ext_dir:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (os.path.abspath(a.ext_dir), env.get("PYTHONPATH")) if p)

    # SIGTERM (a deadline, a CI job's timeout) ends the run as ^C does: what was measured
    # is still summed up, and written to --out, marked as interrupted.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    tee = Tee(sys.stdout)
    sys.stdout = tee
    started = time.monotonic()
    print("bench: %s with %s (%s), %s CPUs, sections %s"
          % (leakgate, sys.executable, platform.python_version(), os.cpu_count(),
             ",".join(str(n) for n in sorted(only))))
    print("uptime at the start: %s" % uptime())
    parts, errors = [], 0
    try:
        errors = run_sections(a, only, leakgate, env, parts)
        interrupted = False
    except KeyboardInterrupt:
        interrupted = True
        errors = 1
        print()
        print("bench: INTERRUPTED: the sections not printed above were not measured")
    print()
    print("summary: %s; %.0f s%s" % ("; ".join(parts), time.monotonic() - started,
                                     "; INTERRUPTED" if interrupted else ""))
    print("uptime at the end: %s" % uptime())
    sys.stdout = tee.out
    if a.out and only == set(SECTIONS):
        write_out(a.out, a.command + (" (interrupted)" if interrupted else ""),
                  "".join(tee.kept))
    return 1 if errors else 0


def run_sections(a, only, leakgate, env, parts):
    """The sections in ONLY, in order; each appends its summary to PARTS. Returns the
    count of sections (or cases) that could not be measured."""
    errors = 0
    with tempfile.TemporaryDirectory(prefix="leakgate-bench.") as tmp:
        if 1 in only:
            ratios = overhead(leakgate, env, tmp, max(a.reps, 5))
            errors += sum(1 for r in ratios if r[1] is None)
            ok = all(r[1] is not None and r[1] <= ALONE_GOAL for r in ratios)
            parts.append("per iteration %s (goal <= %.1fx work() alone: %s)"
                         % (", ".join(r[3] for r in ratios), ALONE_GOAL,
                            "met" if ok else "MISSED"))
        if 2 in only:
            met, total, missed, errs = corpus(leakgate, a.corpus_dir, env, tmp)
            errors += errs
            parts.append("calls to a verdict within target %d/%d: %s" % (
                met, total, "met" if not missed else "MISSED (%s)" % " ".join(missed)))
        if 3 in only:
            search, attr_errors = attribution(leakgate, env, tmp)
            errors += attr_errors
            parts.append("referrer search at %dk objects %s (target <= %.1f s)" % (
                ATTR_HEAPS[-1] // 1000, "?" if search is None else "%.2f s" % search,
                SEARCH_TARGET))
        if 4 in only:
            vg = valgrind_cost(leakgate, a.corpus_dir, env, tmp, 3)
            errors += vg is None
            parts.append(vg or "valgrind ERROR")
        if 5 in only:
            pt = pytest_cost(leakgate, a.pytest_python, a.pytest_ext_dir, env, tmp)
            errors += pt is None
            parts.append(pt or "--pytest ERROR")
        if 6 in only:
            verdicts, _ = tracemalloc_cost(leakgate, a.corpus_dir, env, tmp, a.cases)
            parts.append("wall time / tracemalloc loop's (goal <= 0.5x): %s"
                         % "; ".join(verdicts))
        if 7 in only:
            g = gdb_cost(leakgate)
            errors += g is None
            parts.append(g or "gdb ERROR")
    return errors


if __name__ == "__main__":
    sys.exit(main())
