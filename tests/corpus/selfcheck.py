#!/usr/bin/env python3
"""Sanity check of the corpus without leakgate.

Runs each case's target CALLS times (default 200) in a fresh interpreter (one child
process per case, as leakgate's workers are), with a full collection after each call,
and prints the growth of each counter over the last half of the calls. A case whose
expected counter does not grow (leak), or which grows at all (pass), is a MISMATCH and
makes the exit status 1.

    PYTHONPATH=build/tests python3 tests/corpus/selfcheck.py [--calls N] [--no-purge] [CASE.py...]

Before each snapshot it clears the standard library's bounded caches (re.purge() and a
few others), as leakgate and CPython's -R do; --no-purge leaves them alone.
"""

import argparse
import array
import ctypes
import gc
import importlib.util
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
COUNTERS = ("py_blocks", "gc_objects", "native_bytes", "fds", "threads", "tasks")

# Per call: a leak must grow its first named counter by at least LEAK_MIN; a clean case
# may grow a counter by at most PASS_MAX (one-time steps such as 3.8's opcache, which
# every function gets after 1024 calls, or a dict resize; a 64-byte malloc leak reads
# about 80 native bytes per call).
LEAK_MIN = {"py_blocks": 0.5, "gc_objects": 0.5, "native_bytes": 32.0,
            "fds": 0.9, "threads": 0.9, "tasks": 0.9}
PASS_MAX = {"py_blocks": 0.05, "gc_objects": 0.05, "native_bytes": 8.0,
            "fds": 0.0, "threads": 0.0, "tasks": 0.0}


def parse_header(path):
    """The '# key: value' lines at the top of a case."""
    header = {}
    with open(path) as f:
        for line in f:
            if not line.startswith("#"):
                break
            key, sep, value = line[1:].partition(":")
            if sep:
                header[key.strip()] = value.strip()
    return header


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                 "fsmblks", "uordblks", "fordblks", "keepcost")]


def _native_reader():
    libc = ctypes.CDLL(None)
    try:
        fn = libc.mallinfo2
    except AttributeError:
        return lambda: 0
    fn.restype = _Mallinfo2
    fn.argtypes = []

    def read():
        mi = fn()
        return mi.uordblks + mi.hblkhd  # as src/worker/sysstat.c reads it
    return read


def _purge_stdlib_caches():
    """Clear the standard library's bounded caches (a subset of libregrtest's
    clear_caches), only for modules the workload already imported."""
    mods = sys.modules
    if "re" in mods:
        mods["re"].purge()
    if "struct" in mods:
        mods["struct"]._clearcache()
    if "fnmatch" in mods and hasattr(mods["fnmatch"], "_compile"):
        mods["fnmatch"]._compile.cache_clear()
    if "urllib.parse" in mods:
        mods["urllib.parse"].clear_cache()
    if "linecache" in mods:
        mods["linecache"].clearcache()
    sys._clear_type_cache()


def _count_tasks():
    """Threads in /proc/self/task: the lower of two reads ~1 ms apart, since a joined
    thread lingers there for a moment."""
    first = len(os.listdir("/proc/self/task"))
    time.sleep(0.001)
    return min(first, len(os.listdir("/proc/self/task")))


def run_child(path, calls, purge):
    """Import the case, call its target `calls` times, print one JSON line."""
    header = parse_header(path)
    name = os.path.splitext(os.path.basename(path))[0]
    sys.path.insert(0, os.path.dirname(path))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    if hasattr(module, "setup"):
        module.setup()
    func = getattr(module, header.get("target", "work"))
    native = _native_reader()

    # Samples go into preallocated arrays: storing int objects would itself grow the
    # block count by one per snapshot.
    series = {c: array.array("q", [0]) * (calls + 1) for c in COUNTERS}
    blocks, gcobj, nat = series["py_blocks"], series["gc_objects"], series["native_bytes"]
    fds, thr, tasks = series["fds"], series["threads"], series["tasks"]
    elapsed = 0.0

    for i in range(calls + 1):
        if i:
            t0 = time.perf_counter()
            func()
            elapsed += time.perf_counter() - t0
        if purge:
            _purge_stdlib_caches()
        for _ in range(4):
            if gc.collect() == 0:
                break
        # The allocator counters first, before this snapshot allocates anything.
        blocks[i] = sys.getallocatedblocks()
        nat[i] = native()
        gcobj[i] = len(gc.get_objects())
        fds[i] = len(os.listdir("/proc/self/fd")) - 1  # less listdir's own descriptor
        thr[i] = threading.active_count()
        tasks[i] = _count_tasks()

    half = calls // 2
    out = {"growth": {}, "rising_steps": {}, "us_per_call": elapsed / calls * 1e6}
    for c in COUNTERS:
        s = series[c]
        out["growth"][c] = s[calls] - s[half]
        out["rising_steps"][c] = sum(1 for j in range(half, calls) if s[j + 1] > s[j])
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    os._exit(0)  # leaked non-daemon resources must not keep the child alive


def judge(header, growth, window):
    """'ok' or the reason for a mismatch."""
    expect = header.get("expect")
    named = header.get("counters", "").split()
    if expect == "leak":
        c = named[0]
        if growth[c] < LEAK_MIN[c] * window:
            return "MISMATCH: %s grew %d, want >= %g" % (c, growth[c], LEAK_MIN[c] * window)
        return "ok"
    if expect == "pass":
        for c in COUNTERS:
            # glibc's heap creeps on its own (per-thread caches, fragmentation): judge
            # native_bytes only for the cases about it, and report it for the rest.
            if c == "native_bytes" and c not in named:
                continue
            if growth[c] > PASS_MAX[c] * window:
                return "MISMATCH: %s grew %d, want <= %g" % (c, growth[c], PASS_MAX[c] * window)
        return "ok"
    return "MISMATCH: bad expect header %r" % expect


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--no-purge", action="store_true", help="do not clear stdlib caches")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args()
    if args.calls < 2:
        ap.error("--calls must be at least 2")
    if args.child:
        run_child(os.path.abspath(args.child), args.calls, not args.no_purge)
        return 0

    cases = args.cases or sorted(
        os.path.join(HERE, f) for f in os.listdir(HERE)
        if f.endswith(".py") and f != os.path.basename(__file__))
    window = args.calls - args.calls // 2
    print("growth over the last %d of %d calls (%s stdlib caches)"
          % (window, args.calls, "keeping" if args.no_purge else "purging"))
    print("%-22s %-5s %9s %10s %12s %4s %7s %5s %8s  %s" % (
        "case", "exp", "py_blocks", "gc_objects", "native_bytes", "fds", "threads",
        "tasks", "us/call", "check"))
    failed = 0
    for path in cases:
        header = parse_header(path)
        name = os.path.splitext(os.path.basename(path))[0]
        cmd = [sys.executable, os.path.abspath(__file__), "--calls", str(args.calls),
               "--child", path] + (["--no-purge"] if args.no_purge else [])
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True)
        if proc.returncode != 0 or not proc.stdout.strip():
            print("%-22s %-5s ERROR (exit %d)\n%s" % (
                name, header.get("expect", "?"), proc.returncode, proc.stderr.rstrip()))
            failed += 1
            continue
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        g = res["growth"]
        verdict = judge(header, g, window)
        failed += verdict != "ok"
        print("%-22s %-5s %9d %10d %12d %4d %7d %5d %8.1f  %s" % (
            name, header.get("expect", "?"), g["py_blocks"], g["gc_objects"],
            g["native_bytes"], g["fds"], g["threads"], g["tasks"], res["us_per_call"],
            verdict))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
