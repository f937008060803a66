#!/usr/bin/env python3
"""test_drivers.py: the bench's drivers of the other tools (bench/compare_loop.py,
bench/peers.py, bench/peers_loop.py, bench/suite.py with bench/peers_suite_plugin.py)
tested on three tiny cases whose verdict no tool can get wrong: a list that gains an
object per call (leak), a call that keeps nothing (pass), a call that raises (error).
Each driver runs its tool for real, then the test checks the verdict the driver parsed
from the tool's own output. And compare.py's store of cells (test_store): a tiny real
run merged into a store that holds cells already, --forget, a run stopped by SIGTERM. Nothing is timed. `make test-bench` runs it (a minute or two);
it is not in `make test`, which does not build the bench's PyPI venvs.

Usage: test_drivers.py PYTHON VENVPY [VENVPYD]
  PYTHON   the interpreter of compare_loop.py's tools (Debian's python3, with objgraph)
  VENVPY   ci/bench-venv.sh's venv: pytest-memray, memray, psleak
  VENVPYD  the debug build's venv with pytest-leaks (its test is skipped without it)
Exit status 0 when every check passed, 1 otherwise; one line per check.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import compare  # noqa: E402
import peers  # noqa: E402
import suite  # noqa: E402
from compare_loop import MEASURED, WARMUP  # noqa: E402

CASES = {
    # Ten records per call, each GC-tracked (objgraph counts only those): so many new
    # blocks that no per-run offset hides them (on 3.11, -R subtracts the count of
    # quickened code objects from the blocks, which takes one or two off a run).
    "leak": ("_kept = []\n\n\ndef work():\n    for i in range(10):\n"
             "        _kept.append({'id': i, 'tags': ['a', 'b'], 'name': 'x' * 40})\n"),
    "pass": "def work():\n    return [object() for _ in range(10)]\n",
    "error": "def work():\n    raise RuntimeError('the case fails')\n",
}
TIMEOUT = 300
failures = []


def check(what, got, want, detail=""):
    ok = got == want
    print("%s  %s: %r%s" % ("ok  " if ok else "FAIL", what, got,
                            "" if ok else " (wanted %r; %s)" % (want, detail)))
    if not ok:
        failures.append(what)


def wrappers(tmp):
    """The three cases, each wrapped as bench/compare.py wraps a corpus case (small heap)."""
    out = {}
    for kind, text in CASES.items():
        path = os.path.join(tmp, "case_%s.py" % kind)
        with open(path, "w") as f:
            f.write(text)
        wrapper = os.path.join(tmp, "wrap_%s.py" % kind)
        with open(wrapper, "w") as f:
            f.write(compare.WRAPPER.format(case=os.path.basename(path), heap=0,
                                           name="case_%s" % kind, path=path, target="work"))
        out[kind] = (path, wrapper)
    return out


def run_compare(args, wait=True):
    cmd = [sys.executable, os.path.join(HERE, "compare.py")] + args
    if not wait:
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                universal_newlines=True)
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=TIMEOUT)
    return p.returncode, p.stderr


def stored(path):
    store = compare.load_store(path)
    return store, {(c["case"], c["heap"], c["tool"]): c for c in store["cells"]}


def test_store(py, tmp):
    """bench/compare.py's store: a tiny real run (tracemalloc alone, one case, the small
    heap) merged into a store that holds cells already replaces the stored cell of the
    same case, heap and tool, and keeps every other; the doc is written from all of them
    with make bench's section kept; --forget drops a tool's cells; a run stopped by
    SIGTERM keeps the cases it finished."""
    corpus = os.path.join(tmp, "corpus")
    os.mkdir(corpus)
    for name, expect, text in (("leak_one", "leak", CASES["leak"]),
                               ("clean_one", "pass", CASES["pass"]),
                               ("clean_slow", "pass", "import time\n\n\ndef work():\n"
                                "    time.sleep(1)\n")):
        with open(os.path.join(corpus, name + ".py"), "w") as f:
            f.write("# expect: %s\n%s" % (expect, text))
    path, doc = os.path.join(tmp, "store.json"), os.path.join(tmp, "doc.md")
    bench_section = "%s\nmake bench's own figures\n%s" % (compare.BENCH_BEGIN, compare.BENCH_END)
    with open(doc, "w") as f:
        f.write("old text\n\n" + bench_section + "\n")
    old = {"date": "2026-01-01 00:00 UTC", "command": "an older run", "load_start": "1.00",
           "load_end": "2.00", "leakgate_commit": "0" * 40, "status": "complete"}

    def cell(case, heap, tool, verdict, wall):
        return {"case": case, "heap": heap, "tool": tool, "expect": "leak" if case.startswith(
            "leak_") else "pass", "verdict": verdict, "calls": 150, "wall": wall,
            "per_call": None, "over": None, "detail": "stored", "version": "v0",
            "interpreter": "python3", "run": "old", "commit": "0" * 40}
    store = compare.empty_store()
    store["runs"]["old"] = old
    store["cells"] = [cell("leak_one", "small", "tracemalloc", "pass", 99.0),
                      cell("leak_one", "small", "leakgate", "leak", 5.0),
                      cell("clean_elsewhere", "1M", "objgraph", "pass", 7.0)]
    compare.save_store(path, store)
    base = ["no-leakgate", corpus, "--python", py, "--ext-dir", tmp, "--store", path,
            "--out", doc, "--heaps", "small", "--tools", "tracemalloc"]
    rc, err = run_compare(base + ["--cases", "leak_one"])
    check("compare run merged into a store: exit status", rc, 0, err)
    store, cells = stored(path)
    new = cells.get(("leak_one", "small", "tracemalloc"), {})
    check("the same case, heap and tool: replaced by the run's cell",
          (new.get("verdict"), new.get("run") != "old"), ("leak", True), new)
    check("another tool's cell of the case: kept",
          cells.get(("leak_one", "small", "leakgate"), {}).get("wall"), 5.0)
    check("another case and heap's cell: kept",
          cells.get(("clean_elsewhere", "1M", "objgraph"), {}).get("run"), "old")
    check("the store's cells after the merge", len(cells), 3, sorted(cells))
    check("the store's runs after the merge", len(store["runs"]), 2, store["runs"])
    with open(doc) as f:
        text = f.read()
    row = [l for l in text.splitlines() if l.startswith("| leak_one |")]
    check("the doc's row holds the kept cell and the run's",
          bool(row) and "leak ✓ · 150 · 5.00 s" in row[0] and "leak ✓ · 70 ·" in row[0],
          True, row)
    check("the doc's row names both runs", bool(row) and "leakgate: run 1" in row[0]
          and "tracemalloc: run 2" in row[0], True, row)
    check("make bench's section kept", text.endswith(bench_section + "\n"), True,
          text[-200:])
    check("the doc's heaps", ("## small heap (1 of 3 cases)" in text,
                              "## 1M heap (1 of 3 cases)" in text), (True, True))

    rc, err = run_compare(["no-leakgate", corpus, "--store", path, "--out", doc,
                           "--regenerate", "--forget", "leakgate"])
    store, cells = stored(path)
    check("--forget leakgate: exit status", rc, 0, err)
    check("--forget leakgate: its cells gone, the rest kept", sorted(cells),
          [("clean_elsewhere", "1M", "objgraph"), ("leak_one", "small", "tracemalloc")])

    # SIGTERM once the first case is stored, in the second (a second per call): the
    # first case's cell stays, the run says it was interrupted, the exit status is 1.
    p = run_compare(base + ["--cases", "clean_one,clean_slow"], wait=False)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and p.poll() is None:
        if ("clean_one", "small", "tracemalloc") in stored(path)[1]:
            break
        time.sleep(0.2)
    p.send_signal(signal.SIGTERM)
    try:
        _, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    store, cells = stored(path)
    check("SIGTERM: exit status", p.returncode, 1, err)
    check("SIGTERM: the finished case kept, the unfinished one not",
          (("clean_one", "small", "tracemalloc") in cells,
           ("clean_slow", "small", "tracemalloc") in cells), (True, False), err)
    status = [r["status"] for r in store["runs"].values() if r["command"] != "an older run"]
    check("SIGTERM: the run's status", any(s.startswith("interrupted (SIGTERM) after 1 of 2")
                                           for s in status), True, status)


def test_lock(tmp):
    """Two processes merging into one store at once lose none of each other's cells, and
    the lock leaves no file behind, beside the store or in the temporary directory."""
    path = os.path.join(tmp, "locked", "store.json")
    os.mkdir(os.path.dirname(path))
    compare.save_store(path, compare.empty_store())
    before = set(os.listdir(tempfile.gettempdir()))
    code = ("import sys\nsys.path.insert(0, %r)\nimport compare\n"
            "def add(i):\n"
            "    return lambda s: s['cells'].append({'case': 'c%%s_%%d' %% (sys.argv[1], i),\n"
            "                                        'heap': 'small', 'tool': 't', 'run': 'r'})\n"
            "for i in range(40):\n"
            "    compare.update_store(%r, add(i))\n") % (HERE, path)
    writers = [subprocess.Popen([sys.executable, "-c", code, w]) for w in ("a", "b")]
    codes = [p.wait(timeout=TIMEOUT) for p in writers]
    _, cells = stored(path)
    check("two writers at once: exit statuses", codes, [0, 0])
    check("two writers at once: every cell of both kept", len(cells), 80)
    check("the lock: nothing left beside the store", os.listdir(os.path.dirname(path)),
          ["store.json"])
    check("the lock: nothing left in the temporary directory",
          sorted(n for n in set(os.listdir(tempfile.gettempdir())) - before
                 if n.startswith("leakgate-compare-")), [])


def main(argv):
    if len(argv) not in (3, 4):
        print("usage: test_drivers.py PYTHON VENVPY [VENVPYD]", file=sys.stderr)
        return 4
    py, venv_py = argv[1], os.path.abspath(argv[2])
    venv_pyd = os.path.abspath(argv[3]) if len(argv) == 4 else None
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="leakgate-drivers.") as tmp:
        test_store(py, tmp)
        test_lock(tmp)
        cases = wrappers(tmp)
        for kind, (path, wrapper) in cases.items():
            # An error is no verdict: each driver must say "error", never pass or leak.
            for mode in ("tracemalloc", "objgraph", "dash_r"):
                r = compare.loop_tool(py, mode, wrapper, env)
                check("compare_loop %s on a %s case" % (mode, kind), r["verdict"], kind,
                      r["detail"])
            for mode in ("memray", "psleak"):
                r = peers.loop_peer(venv_py, mode, wrapper, env, TIMEOUT)
                check("peers_loop %s on a %s case" % (mode, kind), r["verdict"], kind,
                      r["detail"])
            r = peers.pytest_memray(venv_py, os.path.basename(path), path, wrapper, env, tmp,
                                    WARMUP, MEASURED, TIMEOUT)
            check("peers pytest-memray on a %s case" % kind, r["verdict"], kind, r["detail"])
            if venv_pyd:
                r = peers.pytest_leaks(venv_pyd, os.path.basename(path), path, wrapper, env,
                                       tmp, TIMEOUT)
                check("peers pytest-leaks on a %s case" % kind, r["verdict"], kind,
                      r["detail"])
        if not venv_pyd:
            print("skip  peers pytest-leaks: no debug-build venv given")
        # The suite driver: every test tests/pytest_project declares gets a verdict parsed
        # from pytest-memray's JUnit XML, and the failing test reads as an error.
        got, _, how = suite.memray_suite(venv_py, env, tmp)
        for test, verdict in suite.declared():
            ids = suite._match(got, test)
            check("suite pytest-memray parses %s" % test, bool(ids), True, how)
            # pytest's own outcomes (a failure, a skip, an xfail); no_leak_check is
            # leakgate's marker, which pytest-memray does not know (it runs that test).
            if verdict == "error" or test in ("test_skipped", "test_expected_failure"):
                check("suite pytest-memray reads %s as %s" % (test, verdict),
                      sorted(set(ids.values())), [verdict], how)
    print("%d failed" % len(failures) if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
