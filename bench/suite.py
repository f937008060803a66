"""suite.py: the two peer comparisons of bench-compare (issue 20) that are not per corpus
case; bench/compare.py appends their tables when it runs the peers (--peers).

  a real suite  tests/pytest_project (each test's expected verdict in a "# verdict:"
                line of test_suite.py): `leakgate run --pytest` with default options
                against `pytest --memray` with @pytest.mark.limit_leaks(peers.location_limit(1),
                filter_fn=ours) applied to every collected test by a plugin of ours
                (bench/peers_suite_plugin.py: the marker, as a maintainer would add it to
                each test, without editing the suite). Each test runs once under
                pytest-memray, as the suite runs it (1.11.0 has no warm-up argument),
                so the limit is one call's smallest leak, 16 B.
                Both beside a plain `PYTHON -m pytest` run of the suite, as ratios
                (issue 16's goal for leakgate: at most 15x). PYTHON is a venv with
                the pinned pytest (ci/pytest-venv.sh), as pytest-memray's venv has.
  a core        the core `leakgate run --on-leak=core` writes for bench/gdb_workload.py
                (as bench/gdb.sh makes it): `pystack core CORE EXE` against
                `leakgate gdb -batch -ex lg-bt --core CORE EXE`; wall time past
                start-up (pystack's: `pystack --help`; GDB's: opening the core with
                nothing to print) and whether each printed the Python frame (work() in
                gdb_workload.py); pystack with --exhaustive too, as its own message
                advises when the default methods fail.

Usage: suite.py LEAKGATE PYTHON EXT_DIR VENVPY   (prints the Markdown)
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PROJECT = os.path.join(ROOT, "tests", "pytest_project")
TIMEOUT = 900
PYTEST_GOAL = 15.0  # issue 16: leakgate --pytest's wall time over plain pytest's


def _run(cmd, env=None, cwd=None):
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "", "no result after %d s" % TIMEOUT, time.monotonic() - t0
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t0


def declared():
    with open(os.path.join(PROJECT, "test_suite.py")) as f:
        return re.findall(r"^# verdict: (\S+) (\S+)$", f.read(), re.M)


def leakgate_suite(leakgate, py, env, tmp):
    report = os.path.join(tmp, "suite.json")
    rc, out, err, wall = _run([leakgate, "run", "-q", "--report", report, "--python", py,
                               "--pytest", "-p", "no:cacheprovider"], env, PROJECT)
    try:
        with open(report) as f:
            got = {t["target"]: t["verdict"] for t in json.load(f)["targets"]}
    except (OSError, ValueError, KeyError) as e:
        return {}, wall, "exit %s, no report (%s): %s" % (rc, e, err[-300:])
    return got, wall, "exit %s" % rc


def memray_suite(venv_py, env, tmp):
    junit = os.path.join(tmp, "suite-memray.xml")
    env = dict(env, PYTHONPATH=os.pathsep.join([HERE, env.get("PYTHONPATH", "")]))
    rc, out, err, wall = _run([venv_py, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               "-p", "peers_suite_plugin", "--memray",
                               "--junitxml", junit], env, PROJECT)
    got = {}
    try:
        for case in ET.parse(junit).getroot().iter("testcase"):
            name = "%s::%s" % (case.get("classname", "").replace(".", "/") + ".py",
                               case.get("name"))
            failure = case.find("failure")
            error = case.find("error")
            if case.find("skipped") is not None:
                got[name] = "skip"
            elif failure is not None:
                msg = (failure.get("message") or "") + (failure.text or "")
                got[name] = "leak" if re.search(r"leaked|limited to", msg) else "error"
            elif error is not None:
                got[name] = "error"
            else:
                got[name] = "pass"
    except (OSError, ET.ParseError) as e:
        return {}, wall, "exit %s, no junit (%s): %s" % (rc, e, (out + err)[-300:])
    return got, wall, "exit %s" % rc


def plain_suite(py, env):
    """The suite as its maintainer runs it: `PY -m pytest` (one failing test: exit 1)."""
    rc, out, err, wall = _run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider"], env,
                              PROJECT)
    return wall, "exit %s" % rc


def _match(got, test):
    return {i: v for i, v in got.items() if i.split("::")[-1].startswith(test)}


def suite_table(leakgate, py, venv_py, env, tmp):
    plain_wall, plain_how = plain_suite(py, env)
    lg, lg_wall, lg_how = leakgate_suite(leakgate, py, env, tmp)
    mr, mr_wall, mr_how = memray_suite(venv_py, env, tmp)
    lines = ["## A real suite: tests/pytest_project", "",
             "`leakgate run --pytest` (default options; %s) against `pytest --memray` with "
             "`limit_leaks(\"16 B\", filter_fn=ours)` on every test (bench/peers_suite_plugin.py: "
             "each test runs once, so the limit is one call's smallest block; %s). A declared "
             "`error` is a failing test, `skip` a skipped, xfailed or `no_leak_check` one; "
             "each cell: tests with the declared verdict / tests." % (lg_how, mr_how), "",
             "| test | declared | leakgate | pytest-memray |", "|---|---|---|---|"]
    totals = {"leakgate": [0, 0], "pytest-memray": [0, 0]}
    for test, verdict in declared():
        cells = []
        for tool, got in (("leakgate", lg), ("pytest-memray", mr)):
            ids = _match(got, test)
            right = sum(1 for v in ids.values() if v == verdict)
            totals[tool][0] += right
            totals[tool][1] += len(ids)
            wrong = sorted({v for v in ids.values() if v != verdict})
            cells.append("%d/%d%s" % (right, len(ids),
                                      " (**%s**)" % ", ".join(wrong) if wrong else ""))
        lines.append("| %s | %s | %s |" % (test, verdict, " | ".join(cells)))
    lines.append("| **all**, wall time | | %d/%d, %.2f s | %d/%d, %.2f s |" % (
        totals["leakgate"][0], totals["leakgate"][1], lg_wall,
        totals["pytest-memray"][0], totals["pytest-memray"][1], mr_wall))
    lines.append("| wall time / plain `pytest` (%.2f s, %s; issue 16's goal for leakgate: "
                 "at most %.0f×) | | %.1f× (%s) | %.1f× |" % (
                     plain_wall, plain_how, PYTEST_GOAL, lg_wall / plain_wall,
                     "met" if lg_wall / plain_wall <= PYTEST_GOAL else "**MISSED**",
                     mr_wall / plain_wall))
    return lines


def best(cmd, env=None, n=3):
    """The fastest of N runs: (seconds, stdout + stderr of that run)."""
    b = None
    for _ in range(n):
        rc, out, err, wall = _run(cmd, env)
        if b is None or wall < b[0]:
            b = (wall, out + err)
    return b


def core_table(leakgate, venv_py, env, tmp):
    lines = ["", "## A core: pystack against lg-bt", ""]
    cores = os.path.join(tmp, "cores")
    os.makedirs(cores, exist_ok=True)
    rc, out, err, _ = _run([leakgate, "run", "-q", "--on-leak=core", "--core-dir", cores,
                            os.path.join(HERE, "gdb_workload.py") + ":work"], env)
    m = re.search(r"core written to (\S+)", err)
    if not m:
        return lines + ["No core: leakgate exited %s: %s" % (rc, " ".join(err.split())[-300:])]
    core = m.group(1)
    pystack = os.path.join(os.path.dirname(venv_py), "pystack")
    gdb_floor, _ = best([leakgate, "gdb", "-q", "-batch", "--core", core, leakgate])
    gdb_t, gdb_out = best([leakgate, "gdb", "-q", "-batch", "-ex", "lg-bt", "--core", core,
                           leakgate])
    ps_floor, _ = best([pystack, "--help"])
    ps_t, ps_out = best([pystack, "core", "--no-color", core, leakgate])
    # When it cannot find the interpreter's state, pystack says to retry with
    # --exhaustive: a user would, so that is timed too.
    px_t, px_out = best([pystack, "core", "--no-color", "--exhaustive", core, leakgate])
    os.unlink(core)

    def shows(out):
        return "yes" if re.search(r"work.*gdb_workload\.py|gdb_workload\.py.*work", out) \
            else "**no**: " + " ".join(out.split())[-200:].replace("|", "/")
    lines += ["The core of `leakgate run --on-leak=core bench/gdb_workload.py:work` (its "
              "worker stopped in work()); best of three runs each.", "",
              "| tool | wall | past start-up | start-up measured as | Python stack shown |",
              "|---|---|---|---|---|",
              "| `leakgate gdb -batch -ex lg-bt` | %.2f s | %.2f s | GDB opening the core | "
              "%s |" % (gdb_t, gdb_t - gdb_floor, shows(gdb_out)),
              "| `pystack core` | %.2f s | %.2f s | `pystack --help` | %s |" % (
                  ps_t, ps_t - ps_floor, shows(ps_out)),
              "| `pystack core --exhaustive` | %.2f s | %.2f s | `pystack --help` | %s |" % (
                  px_t, px_t - ps_floor, shows(px_out))]
    return lines


def tables(leakgate, py, ext_dir, venv_py):
    leakgate, venv_py = os.path.abspath(leakgate), os.path.abspath(venv_py)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (os.path.abspath(ext_dir),
                                                    env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory(prefix="leakgate-suite.") as tmp:
        return suite_table(leakgate, py, venv_py, env, tmp) + \
            core_table(leakgate, venv_py, env, tmp)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print("usage: suite.py LEAKGATE PYTHON EXT_DIR VENVPY", file=sys.stderr)
        sys.exit(4)
    print("\n".join(tables(os.path.abspath(sys.argv[1]), *sys.argv[2:])))
