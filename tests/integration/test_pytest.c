/* test_pytest.c: leakgate run --pytest over tests/pytest_project, a suite with leaking
 * tests (a fixture that registers a callback, a module list, a C refcount leak) and clean
 * ones (a session-scoped fixture, 20 parametrised cases), a failing, a skipped, an xfailed
 * and a no_leak_check test. Run with Debian's python3 and python3-pytest, through the
 * build for that interpreter (the Makefile makes it). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* The project's directory, with the extension built for that interpreter importable and
 * $L the leakgate binary. */
#define IN_PROJECT \
	"L=$(realpath \"$LEAKGATE\") && export PYTHONPATH=\"$(realpath \"$LEAKGATE_PYTEST_EXT_DIR\")\" " \
	"&& cd tests/pytest_project && "

/* One run of the suite for all the tests below: each checks one aspect of it. Returns
 * its output: the verdict lines and reports (stdout), then the closing line (stderr). */
static char *run_suite(int *code)
{
	char *err;

	*code = lgt_sh(IN_PROJECT "$L run -w 10 --window 10 "
		       "--junit $T/j.xml --report $T/r.json --python \"$LEAKGATE_PYTEST_PYTHON\" "
		       "--pytest -p no:cacheprovider 2>&1", &err, NULL);
	return err;
}

/* Every verdict the suite's "# verdict: TEST VERDICT" lines declare, against the JSON
 * report; "# verdict-3.8: ..." replaces it when the report's CPython is 3.8, and
 * "# verdict-pytest8: ..." when the pytest is 8 (argv[3]), the later line winning. The
 * verdict "unjudged" checks only that the target ran (NEEDSWORK lines in the suite say
 * why). Prints "ok N" with the number of targets checked, or what differs. */
static const char check_verdicts[] =
	"import json, re, sys\n"
	"report = json.load(open(sys.argv[2]))['targets']\n"
	"py = ' '.join(t['python'] or '' for t in report)\n"
	"want = {}\n"
	"pt = 'pytest' + sys.argv[3] if len(sys.argv) > 3 else ''\n"
	"for v, test, verdict in re.findall(r'^# verdict(?:-(\\S+))?: (\\S+) (\\S+)$',\n"
	"                                   open(sys.argv[1]).read(), re.M):\n"
	"    if not v or v == pt or re.search(r'CPython %s\\.' % re.escape(v), py):\n"
	"        want[test] = verdict if v or test not in want else want[test]\n"
	"got = {t['target']: t['verdict'] for t in report}\n"
	"bad, n = [], 0\n"
	"for test, verdict in want.items():\n"
	"    ids = [i for i in got if i.split('::')[-1].startswith(test)]\n"
	"    bad += ['%s: no such target' % test] if not ids else []\n"
	"    bad += ['%s: %s, want %s' % (i, got[i], verdict) for i in ids\n"
	"            if got[i] != verdict and verdict != 'unjudged']\n"
	"    n += len(ids)\n"
	"print('\\n'.join(bad) if bad else 'ok %d of %d' % (n, len(got)))\n";

/* Runs check_verdicts over a suite's file and a JSON report; returns what it printed. */
static char *verdicts(const char *suite_file, const char *report)
{
	char *cmd, *out = NULL;

	lgt_write("check.py", check_verdicts);
	cr_assert(asprintf(&cmd, "python3 $T/check.py %s %s \"$(\"$LEAKGATE_PYTEST_PYTHON\" -c "
			   "'import pytest; print(pytest.__version__.split(\".\")[0])')\"",
			   suite_file, report) > 0);
	cr_assert_eq(lgt_sh(cmd, &out, NULL), 0);
	free(cmd);
	return out;
}

Test(pytest, every_verdict, .timeout = 300)
{
	int code;
	char *err = run_suite(&code), *out;

	cr_assert_eq(code, 1, "exit %d, want 1 (a leak wins over the failing test)\n%s", code, err);
	cr_assert(strstr(err, "\nleakgate: 28 tests: 21 passed, 3 leaked, 1 error, 3 skipped ("),
		  "%s", err);
	out = verdicts("tests/pytest_project/test_suite.py", "$T/r.json");
	cr_assert_str_eq(out, "ok 28 of 28\n", "%s\n%s", out, err);
	free(out);

	/* Attribution names each leak's cause. */
	cr_assert(strstr(err, ": module 'conftest' \xe2\x86\x92 global _handlers (list) \xe2\x86\x92 ["),
		  "%s", err);
	cr_assert(strstr(err, ": module 'test_suite' \xe2\x86\x92 global _seen (list) \xe2\x86\x92 ["),
		  "%s", err);
	cr_assert(strstr(err, "float at 0x") &&
		  strstr(err, "a reference from outside any Python object"), "%s", err);
	cr_assert(strstr(err, "test_suite.py\", line 23\n"), "leak site of the module list:\n%s", err);
	/* A failing test says why, as pytest would; skips say why they were skipped. */
	cr_assert(strstr(err, "the test failed (call):") && strstr(err, "assert (1 + 1) == 3"),
		  "%s", err);
	cr_assert(strstr(err, "SKIP  test_suite.py::test_skipped  Skipped: not on this platform"),
		  "%s", err);
	cr_assert(strstr(err, "SKIP  test_suite.py::test_marked_no_leak_check  marked no_leak_check"),
		  "%s", err);

	/* JUnit: one testcase per test. */
	cr_assert_eq(lgt_sh("python3 -c 'import xml.etree.ElementTree as E; "
			    "s = E.parse(\"'$T/j.xml'\").getroot().find(\"testsuite\"); "
			    "print(s.get(\"tests\"), s.get(\"failures\"), s.get(\"errors\"), s.get(\"skipped\"), "
			    "len(s.findall(\"testcase/skipped\")))'", &out, NULL), 0);
	cr_assert_str_eq(out, "28 3 1 3 3\n");
	free(out);
	free(err);
}

Test(pytest, bad_arguments_and_selection)
{
	char *err;
	int code;

	/* pytest's own usage error is a workload error, with pytest's complaint. */
	code = lgt_sh(IN_PROJECT "$L run "
		      "--python \"$LEAKGATE_PYTEST_PYTHON\" --pytest --no-such-pytest-option",
		      &err, NULL);
	cr_assert_eq(code, 2, "exit %d\n%s", code, err);
	cr_assert(strstr(err, "ERROR pytest collection"), "%s", err);
	free(err);
	/* -k selects as pytest does; a target after --pytest is pytest's, not ours. */
	code = lgt_sh(IN_PROJECT "$L run -q -w 10 --window 10 "
		      "--python \"$LEAKGATE_PYTEST_PYTHON\" --pytest -k 'session_cache or skipped' 2>&1",
		      &err, NULL);
	cr_assert_eq(code, 0, "exit %d\n%s", code, err);
	cr_assert_eq(lgt_lines(err), 3, "two tests and the closing line:\n%s", err);
	free(err);
	/* An interpreter without pytest: a clear error (the default build's may have it). */
	if (lgt_sh("\"$LEAKGATE_PYTHON\" -c 'import pytest'", NULL, NULL) != 0) {
		code = lgt_sh("$LEAKGATE run --pytest tests/pytest_project", &err, NULL);
		cr_assert_eq(code, 2, "exit %d\n%s", code, err);
		cr_assert(strstr(err, "pytest cannot be imported by CPython"), "%s", err);
		free(err);
	}
	/* --pytest with a TARGET of ours is a usage error. */
	code = lgt_sh("$LEAKGATE run x.py:f --pytest", NULL, &err);
	cr_assert_eq(code, 4, "exit %d\n%s", code, err);
	free(err);
}

/* pytest from a virtual environment: --python names the venv's interpreter, and the
 * suite's tests import what only that environment has. The venv sees the pytest of
 * $LEAKGATE_PYTEST_PYTHON through a .pth naming the directory pytest lies in (Debian's
 * dist-packages, or a venv's site-packages in the test matrix): no network here to
 * install it, and --system-site-packages would not reach a venv's packages. */
Test(pytest, from_a_virtual_environment, .timeout = 120)
{
	char *err;
	int code = lgt_sh("pydir=$(\"$LEAKGATE_PYTEST_PYTHON\" -c 'import os, pytest; "
			  "print(os.path.dirname(os.path.dirname(pytest.__file__)))') && "
			  "\"$LEAKGATE_PYTEST_PYTHON\" -m venv --without-pip $T/venv && "
			  "site=$($T/venv/bin/python -c 'import sysconfig; "
			  "print(sysconfig.get_paths()[\"purelib\"])') && "
			  "mkdir -p $T/venvonly && echo 'VALUE = 42' > $T/venvonly/venvonly.py && "
			  "printf '%s\\n' $T/venvonly \"$pydir\" > \"$site/venvonly.pth\" && "
			  "printf 'import venvonly\\ndef test_value():\\n    assert venvonly.VALUE == 42\\n' "
			  "> $T/test_venv.py && cd $T && "
			  "$LEAKGATE run -w 10 --window 10 --python $T/venv/bin/python "
			  "--pytest test_venv.py -p no:cacheprovider", &err, NULL);

	cr_assert_eq(code, 0, "exit %d\n%s", code, err);
	cr_assert(strstr(err, "PASS  test_venv.py::test_value"), "%s", err);
	free(err);
}

/* A suite of its own: collection counts itself in a file; one test crashes the worker,
 * one leaks, one hangs, one spoils a module global that the next test reads, and two are
 * clean. Run with -j 1 and -j 2 (the same verdicts, in the same order). */
static const char isolation_conftest[] =
	"import os\n"
	"def pytest_collection_finish(session):\n"
	"    with open(os.environ['COLLECTIONS'], 'a') as f:\n"
	"        f.write('%d\\n' % os.getpid())\n";

static const char isolation_tests[] =
	"import os, signal, time\n"
	"STATE = {'spoiled': False}\n"
	"_kept = []\n"
	"def test_crash():\n"
	"    os.kill(os.getpid(), signal.SIGSEGV)\n"
	"def test_leak():\n"
	"    _kept.append([1, 2, 3])\n"
	"def test_spoil():\n"
	"    STATE['spoiled'] = True\n"
	"    _kept.clear()\n"
	"def test_hang():\n"
	"    time.sleep(3600)\n"
	"def test_clean_reads_state():\n"
	"    assert not STATE['spoiled'] and not _kept\n"
	"def test_clean():\n"
	"    assert sorted([3, 1, 2]) == [1, 2, 3]\n";

static char *run_isolated(int jobs, int *code)
{
	char *cmd, *err;

	cr_assert(asprintf(&cmd, "mkdir -p $T/iso && cd $T/iso && rm -f collections && "
			   "COLLECTIONS=$T/iso/collections $LEAKGATE run -q -j %d -w 10 --window 10 "
			   "--timeout 3 --report $T/iso/r%d.json --junit $T/iso/j%d.xml "
			   "--python \"$LEAKGATE_PYTEST_PYTHON\" --pytest -p no:cacheprovider "
			   "test_iso.py 1>&2; echo \"exit $?\" >&2; wc -l < collections >&2", jobs, jobs, jobs) > 0);
	*code = lgt_sh(cmd, NULL, &err);
	free(cmd);
	return err;
}

Test(pytest, a_forked_worker_per_test, .timeout = 300)
{
	static const char *const want[] = {
		"ERROR test_iso.py::test_crash ", "LEAK  test_iso.py::test_leak ",
		"PASS  test_iso.py::test_spoil ", "ERROR test_iso.py::test_hang ",
		"PASS  test_iso.py::test_clean_reads_state ", "PASS  test_iso.py::test_clean ",
	};
	char *err[2], *p;
	int code, j;
	size_t i;

	cr_assert_eq(lgt_sh("mkdir -p $T/iso", NULL, NULL), 0);
	lgt_write("iso/conftest.py", isolation_conftest);
	lgt_write("iso/test_iso.py", isolation_tests);
	for (j = 0; j < 2; j++) {
		err[j] = run_isolated(j + 1, &code);
		cr_assert_eq(code, 0, "-j %d: the shell's last step failed\n%s", j + 1, err[j]);
		/* A leak decides the exit code, over the crash and the hang. */
		cr_assert(strstr(err[j], ")\nexit 1\n"), "-j %d:\n%s", j + 1, err[j]);
		/* The tests, in collection order, each with its own verdict. */
		for (p = err[j], i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			char *at = strstr(p, want[i]);

			cr_assert(at, "-j %d: no '%s' after the previous test's line:\n%s", j + 1,
				  want[i], err[j]);
			p = at + 1;
		}
		cr_assert(strstr(err[j], "signal 11"), "%s", err[j]);
		cr_assert(strstr(err[j], "timed out"), "%s", err[j]);
		cr_assert(strstr(err[j], "leakgate: 6 tests: 3 passed, 1 leaked, 2 errors, "
				 "0 skipped ("), "%s", err[j]);
		/* One collection for the whole run: the file has one line. */
		cr_assert(strstr(err[j], "\nexit 1\n1\n"), "-j %d: collected more than once:\n%s",
			  j + 1, err[j]);
	}
	/* JSON and JUnit carry every outcome. */
	cr_assert_eq(lgt_sh("cd $T/iso && python3 -c 'import json, xml.etree.ElementTree as E; "
			    "d = json.load(open(\"r2.json\")); t = d[\"targets\"]; "
			    "print(sorted(d[\"summary\"].items())); "
			    "s = E.parse(\"j2.xml\").getroot().find(\"testsuite\"); "
			    "print(\" \".join(x[\"verdict\"] for x in t), s.get(\"tests\"), "
			    "s.get(\"failures\"), s.get(\"errors\"))'", &p, NULL), 0);
	cr_assert_str_eq(p, "[('error', 2), ('internal', 0), ('interrupted', 0), ('known', 0), "
			 "('leak', 1), ('pass', 3), ('skip', 0)]\n"
			 "error leak pass error pass pass 6 1 2\n");
	free(p);
	free(err[0]);
	free(err[1]);
}

/* A module that cannot be collected: the error is reported once, no test runs. */
Test(pytest, collection_error_reported_once)
{
	char *err;
	int code;

	cr_assert_eq(lgt_sh("mkdir -p $T/broken", NULL, NULL), 0);
	lgt_write("broken/test_broken.py", "def test_x(:\n    pass\n");
	lgt_write("broken/test_fine.py", "def test_y():\n    pass\n");
	code = lgt_sh("cd $T/broken && $LEAKGATE run -q --python \"$LEAKGATE_PYTEST_PYTHON\" "
		      "--pytest -p no:cacheprovider 1>&2", NULL, &err);
	cr_assert_eq(code, 2, "exit %d\n%s", code, err);
	cr_assert(strstr(err, "ERROR pytest collection") &&
		  !strstr(strstr(err, "ERROR pytest collection") + 1, "ERROR pytest collection"),
		  "%s", err);
	cr_assert(strstr(err, "test_broken.py") && !strstr(err, "PASS "), "%s", err);
	free(err);
}

/* The fork server forks only while it is a single thread: a conftest that leaves a thread
 * running after collection gets a worker per test that collects afresh, and says so once. */
Test(pytest, no_fork_from_a_threaded_collector, .timeout = 120)
{
	char *err;
	int code;

	cr_assert_eq(lgt_sh("mkdir -p $T/threaded", NULL, NULL), 0);
	lgt_write("threaded/conftest.py",
		  "import os, threading, time\n"
		  "threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()\n"
		  "def pytest_collection_finish(session):\n"
		  "    with open(os.environ['COLLECTIONS'], 'a') as f:\n"
		  "        f.write('%d\\n' % os.getpid())\n");
	lgt_write("threaded/test_t.py", "def test_a():\n    pass\n\ndef test_b():\n    pass\n");
	code = lgt_sh("cd $T/threaded && rm -f collections && COLLECTIONS=$T/threaded/collections "
		      "$LEAKGATE run -q -j 1 -w 10 --window 10 --python \"$LEAKGATE_PYTEST_PYTHON\" "
		      "--pytest -p no:cacheprovider 1>&2; echo \"exit $?\" >&2; wc -l < collections >&2",
		      NULL, &err);
	cr_assert_eq(code, 0, "%s", err);
	cr_assert(strstr(err, "the collecting process runs 2 threads: forking it is unsafe: "
			 "each test from here on collects the suite in a worker of its own"), "%s", err);
	cr_assert(strstr(err, "PASS  test_t.py::test_a ") && strstr(err, "PASS  test_t.py::test_b "),
		  "%s", err);
	/* Once by the server, then once by each test's own worker. */
	cr_assert(strstr(err, "\nexit 0\n3\n"), "%s", err);
	free(err);
}

/* tests/pytest_semantics, with the options a project gives pytest: each test as plain
 * pytest would run it (issue 23). The project's conftest keeps a record per report, as a
 * timing plugin does: no clean test may be blamed for it. */
Test(pytest, runs_as_pytest_does, .timeout = 300)
{
	char *err, *out;
	int code = lgt_sh("L=$(realpath \"$LEAKGATE\") && mkdir -p $T/tmp && export TMPDIR=$T/tmp "
			  "&& cd tests/pytest_semantics && $L run -w 10 --window 10 --report $T/s.json "
			  "--python \"$LEAKGATE_PYTEST_PYTHON\" --pytest --doctest-modules "
			  "-W error::RuntimeWarning --continue-on-collection-errors >&2", NULL, &err);

	cr_assert_eq(code, 1, "exit %d, want 1 (a leak wins over the failing tests)\n%s", code, err);
	out = verdicts("tests/pytest_semantics/test_semantics.py", "$T/s.json");
	cr_assert_str_eq(out, "ok 19 of 19\n", "%s\n%s", out, err);
	free(out);
	/* Warnings turned into errors by the mark, the ini file and -W fail as in pytest. */
	cr_assert(strstr(err, "E       DeprecationWarning: this mark makes it an error"), "%s", err);
	cr_assert(strstr(err, "E       UserWarning: pytest.ini makes it an error"), "%s", err);
	cr_assert(strstr(err, "E       RuntimeWarning: -W makes it an error"), "%s", err);
	/* A module-scoped fixture whose teardown fails is an error, with pytest's report. */
	cr_assert(strstr(err, "the test failed (teardown):") &&
		  strstr(err, "RuntimeError: the module's connection did not close"), "%s", err);
	/* The module that cannot be imported is one error; the others ran. */
	cr_assert(strstr(err, "ERROR test_broken_collection.py  failed before the first iteration") &&
		  strstr(err, "pytest could not collect test_broken_collection.py:") &&
		  strstr(err, "No module named 'module_that_does_not_exist'"), "%s", err);
	/* The conftest's records are its own, and said once. */
	cr_assert(strstr(err, "leakgate: conftest.py: its pytest_runtest_makereport hook keeps a "
			 "record of every test report (+") &&
		  strstr(err, "blocks a report); the measured runs leave it out, so no test is "
			 "blamed for it\n"), "%s", err);
	cr_assert_null(strstr(strstr(err, "its pytest_runtest_makereport hook") + 1,
			      "its pytest_runtest_makereport hook"), "%s", err);
	/* The factory's clients are held by the finalizers it registers, which stay. */
	cr_assert(strstr(err, "conftest.Client") && strstr(err, "._finalizers (list)"), "%s", err);
	/* The runs' cache directories are gone. */
	cr_assert_eq(lgt_sh("ls $T/tmp | grep leakgate-pytest-cache", &out, NULL), 1, "%s", out);
	free(out);
	free(err);
}

/* A run's numbered temporary directories are removed after it (pytester makes two per
 * run): what stays is the first run's and the first measured run's, not one per run. */
Test(pytest, temporary_directories_per_run, .timeout = 60)
{
	char *err, *out;
	int code = lgt_sh("L=$(realpath \"$LEAKGATE\") && mkdir -p $T/tmp && export TMPDIR=$T/tmp "
			  "&& cd tests/pytest_semantics && $L run -w 10 --window 10 "
			  "--python \"$LEAKGATE_PYTEST_PYTHON\" --pytest -p no:cacheprovider "
			  "--continue-on-collection-errors test_semantics.py::test_pytester >&2", NULL, &err);

	cr_assert_eq(code, 0, "exit %d\n%s", code, err);
	/* However many runs the verdict took (20 when flat; more when it had to confirm), the
	 * directories are the same two pairs. */
	cr_assert(strstr(err, "PASS  test_semantics.py::test_pytester  ("), "%s", err);
	cr_assert_eq(lgt_sh("cd $T/tmp/pytest-of-*/pytest-0 && ls -d test_pytester[0-9]* "
			    "tmp-test_pytester[0-9]*", &out, NULL), 0);
	cr_assert_str_eq(out, "test_pytester0\ntest_pytester1\ntmp-test_pytester0\n"
			 "tmp-test_pytester1\n");
	free(out);
	free(err);
}

/* An argument pytest does not know (here one of leakgate's, after --pytest) is pytest's
 * usage error, said as pytest says it, and the run's error: not a crash of the driver. */
Test(pytest, unknown_argument_is_pytest_usage_error, .timeout = 60)
{
	char *err;
	int code = lgt_sh("L=$(realpath \"$LEAKGATE\") && cd tests/pytest_semantics && $L run "
			  "--python \"$LEAKGATE_PYTEST_PYTHON\" --pytest test_semantics.py "
			  "--report r.json >&2", NULL, &err);

	cr_assert_eq(code, 2, "exit %d\n%s", code, err);
	cr_assert(strstr(err, "unrecognized arguments: --report r.json") &&
		  strstr(err, "pytest exited with status 4 while collecting"), "%s", err);
	cr_assert_null(strstr(err, "Traceback"), "%s", err);
	cr_assert_null(strstr(err, "AttributeError"), "%s", err);
	free(err);
}

/* A collection error stops the run, as in pytest, without --continue-on-collection-errors. */
Test(pytest, collection_error_stops_the_run, .timeout = 60)
{
	char *err;
	int code = lgt_sh("L=$(realpath \"$LEAKGATE\") && cd tests/pytest_semantics && $L run "
			  "--python \"$LEAKGATE_PYTEST_PYTHON\" --pytest -p no:cacheprovider >&2",
			  NULL, &err);

	cr_assert_eq(code, 2, "exit %d\n%s", code, err);
	cr_assert(strstr(err, "ERROR pytest collection") &&
		  strstr(err, "pytest could not collect the tests:") &&
		  strstr(err, "No module named 'module_that_does_not_exist'"), "%s", err);
	cr_assert_null(strstr(err, "PASS  "), "%s", err);
	free(err);
}

/* The cache plugin stays as the user has it: --lf, --ff, --nf, --sw and --cache-clear
 * select and order from the project's cache as pytest does, and the runs write nothing
 * into it. */
#define CACHE_PROJECT \
	"L=$(realpath \"$LEAKGATE\") && P=\"$LEAKGATE_PYTEST_PYTHON\" && mkdir -p $T/c $T/tmp && " \
	"export TMPDIR=$T/tmp && cd $T/c && " \
	"printf 'def test_passes():\\n    pass\\n\\ndef test_fails():\\n    assert 0\\n' > test_c.py && " \
	"{ $P -m pytest -q >/dev/null; test $? = 1; } && cp .pytest_cache/v/cache/lastfailed $T/lf && "

Test(pytest, cache_options, .timeout = 180)
{
	static const struct {
		const char *opts, *want;
	} cases[] = {
		{ "--lf", "ERROR test_c.py::test_fails\n" },
		{ "--ff", "ERROR test_c.py::test_fails\nPASS  test_c.py::test_passes\n" },
		{ "--nf", "PASS  test_c.py::test_passes\nERROR test_c.py::test_fails\n" },
		{ "--sw", "PASS  test_c.py::test_passes\nERROR test_c.py::test_fails\n" },
		{ "--cache-clear --lf", "PASS  test_c.py::test_passes\nERROR test_c.py::test_fails\n" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *cmd, *out, *err;
		int code;

		cr_assert(asprintf(&cmd, CACHE_PROJECT "$L run -q -w 10 --window 10 --python $P "
				   "--pytest %s 2>&1 | cut -c1-6,7- | sed -n 's/^\\(PASS  \\|ERROR \\)"
				   "\\([^ ]*\\) .*/\\1\\2/p'; %s",
				   cases[i].opts, strstr(cases[i].opts, "--cache-clear") ? "" :
				   "cmp .pytest_cache/v/cache/lastfailed $T/lf && "
				   "! ls $T/tmp | grep leakgate-pytest-cache") > 0);
		code = lgt_sh(cmd, &out, &err);
		cr_assert_eq(code, 0, "%s: exit %d\n%s%s", cases[i].opts, code, out, err);
		cr_assert_str_eq(out, cases[i].want, "%s", cases[i].opts);
		free(cmd);
		free(out);
		free(err);
		cr_assert_eq(lgt_sh("rm -rf $T/c", NULL, NULL), 0);
	}
}

/* pytest's internals that the driver reads are checked, not guessed: one of another shape
 * (here a conftest swaps the fixture manager's table for a mapping pytest itself still
 * accepts) is an internal error naming pytest's version (issue 21). */
Test(pytest, unknown_pytest_internals, .timeout = 60)
{
	char *err;
	int code = lgt_sh("mkdir -p $T/u && cd $T/u && printf 'import collections\\n"
			  "def pytest_collection_finish(session):\\n"
			  "    fm = session._fixturemanager\\n"
			  "    fm._arg2fixturedefs = collections.UserDict(fm._arg2fixturedefs)\\n' "
			  "> conftest.py && printf 'def test_fine(tmp_path):\\n    pass\\n' > test_u.py && "
			  "\"$LEAKGATE_PYTEST_PYTHON\" -m pytest -q -p no:cacheprovider >/dev/null && "
			  "GITHUB_ACTIONS=true $LEAKGATE run -w 10 --window 10 "
			  "--python \"$LEAKGATE_PYTEST_PYTHON\" --pytest -p no:cacheprovider >&2",
			  NULL, &err);

	cr_assert_eq(code, 3, "exit %d\n%s", code, err);
	cr_assert(strstr(err, "leakgate cannot drive pytest ") &&
		  strstr(err, "session._fixturemanager._arg2fixturedefs is UserDict, not a dict"),
		  "%s", err);
	/* Annotated as what it is: leakgate's failure, not the workload's. */
	cr_assert(strstr(err, "title=leakgate internal error::INTERNAL "), "%s", err);
	free(err);
}
