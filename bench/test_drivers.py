#!/usr/bin/env python3
"""test_drivers.py: the bench's drivers of the other tools (bench/compare_loop.py,
bench/peers.py, bench/peers_loop.py, bench/suite.py with bench/peers_suite_plugin.py)
tested on three tiny cases whose verdict no tool can get wrong: a list that gains an
object per call (leak), a call that keeps nothing (pass), a call that raises (error).
Each driver runs its tool for real, then the test checks the verdict the driver parsed
from the tool's own output. Nothing is timed. `make test-bench` runs it (a minute or two);
it is not in `make test`, which does not build the bench's PyPI venvs.

Usage: test_drivers.py PYTHON VENVPY [VENVPYD]
  PYTHON   the interpreter of compare_loop.py's tools (Debian's python3, with objgraph)
  VENVPY   ci/bench-venv.sh's venv: pytest-memray, memray, psleak
  VENVPYD  the debug build's venv with pytest-leaks (its test is skipped without it)
Exit status 0 when every check passed, 1 otherwise; one line per check.
"""

import os
import sys
import tempfile

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


def main(argv):
    if len(argv) not in (3, 4):
        print("usage: test_drivers.py PYTHON VENVPY [VENVPYD]", file=sys.stderr)
        return 4
    py, venv_py = argv[1], os.path.abspath(argv[2])
    venv_pyd = os.path.abspath(argv[3]) if len(argv) == 4 else None
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="leakgate-drivers.") as tmp:
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
