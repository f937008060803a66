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

/* One run of the suite for all the tests below: each checks one aspect of it. */
static char *run_suite(int *code)
{
	char *err;

	*code = lgt_sh(IN_PROJECT "$L run -w 10 --window 10 "
		       "--junit $T/j.xml --report $T/r.json --python \"$LEAKGATE_PYTEST_PYTHON\" "
		       "--pytest -p no:cacheprovider", NULL, &err);
	return err;
}

/* Every verdict the suite's "# verdict: TEST VERDICT" lines declare, against the JSON
 * report; prints "ok N" with the number of targets checked, or what differs. */
static const char check_verdicts[] =
	"import json, re, sys\n"
	"want = re.findall(r'^# verdict: (\\S+) (\\S+)$', open(sys.argv[1]).read(), re.M)\n"
	"got = {t['target']: t['verdict'] for t in json.load(open(sys.argv[2]))['targets']}\n"
	"bad, n = [], 0\n"
	"for test, verdict in want:\n"
	"    ids = [i for i in got if i.split('::')[-1].startswith(test)]\n"
	"    bad += ['%s: no such target' % test] if not ids else []\n"
	"    bad += ['%s: %s, want %s' % (i, got[i], verdict) for i in ids if got[i] != verdict]\n"
	"    n += len(ids)\n"
	"print('\\n'.join(bad) if bad else 'ok %d of %d' % (n, len(got)))\n";

/* Runs check_verdicts over a suite's file and a JSON report; returns what it printed. */
static char *verdicts(const char *suite_file, const char *report)
{
	char *cmd, *out = NULL;

	lgt_write("check.py", check_verdicts);
	cr_assert(asprintf(&cmd, "python3 $T/check.py %s %s", suite_file, report) > 0);
	cr_assert_eq(lgt_sh(cmd, &out, NULL), 0);
	free(cmd);
	return out;
}

Test(pytest, every_verdict, .timeout = 300)
{
	int code;
	char *err = run_suite(&code), *out;

	cr_assert_eq(code, 2, "exit %d, want 2 (a failing test is the worst)\n%s", code, err);
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
		      NULL, &err);
	cr_assert_eq(code, 2, "exit %d\n%s", code, err);
	cr_assert(strstr(err, "ERROR pytest collection"), "%s", err);
	free(err);
	/* -k selects as pytest does; a target after --pytest is pytest's, not ours. */
	code = lgt_sh(IN_PROJECT "$L run -q -w 10 --window 10 "
		      "--python \"$LEAKGATE_PYTEST_PYTHON\" --pytest -k 'session_cache or skipped'",
		      NULL, &err);
	cr_assert_eq(code, 0, "exit %d\n%s", code, err);
	cr_assert_eq(lgt_lines(err), 2, "%s", err);
	free(err);
	/* An interpreter without pytest: a clear error (the default build's may have it). */
	if (lgt_sh("\"$LEAKGATE_PYTHON\" -c 'import pytest'", NULL, NULL) != 0) {
		code = lgt_sh("$LEAKGATE run --pytest tests/pytest_project", NULL, &err);
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
 * suite's tests import what only that environment has. The venv sees Debian's
 * python3-pytest through --system-site-packages (no network here to install it). */
Test(pytest, from_a_virtual_environment, .timeout = 120)
{
	char *err;
	int code = lgt_sh("\"$LEAKGATE_PYTEST_PYTHON\" -m venv --system-site-packages $T/venv && "
			  "mkdir -p $T/venvonly && echo 'VALUE = 42' > $T/venvonly/venvonly.py && "
			  "echo $T/venvonly > $($T/venv/bin/python -c "
			  "'import site; print(site.getsitepackages()[0])')/venvonly.pth && "
			  "printf 'import venvonly\\ndef test_value():\\n    assert venvonly.VALUE == 42\\n' "
			  "> $T/test_venv.py && cd $T && "
			  "$LEAKGATE run -w 10 --window 10 --python $T/venv/bin/python "
			  "--pytest test_venv.py -p no:cacheprovider", NULL, &err);

	cr_assert_eq(code, 0, "exit %d\n%s", code, err);
	cr_assert(strstr(err, "PASS  test_venv.py::test_value"), "%s", err);
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
			  "-W error::RuntimeWarning --continue-on-collection-errors", NULL, &err);

	cr_assert_eq(code, 2, "exit %d, want 2\n%s", code, err);
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
			  "--continue-on-collection-errors test_semantics.py::test_pytester", NULL, &err);

	cr_assert_eq(code, 0, "exit %d\n%s", code, err);
	cr_assert(strstr(err, "PASS  test_semantics.py::test_pytester  (20 iterations"), "%s", err);
	cr_assert_eq(lgt_sh("cd $T/tmp/pytest-of-*/pytest-0 && ls -d test_pytester[0-9]* "
			    "tmp-test_pytester[0-9]*", &out, NULL), 0);
	cr_assert_str_eq(out, "test_pytester0\ntest_pytester1\ntmp-test_pytester0\n"
			 "tmp-test_pytester1\n");
	free(out);
	free(err);
}

/* A collection error stops the run, as in pytest, without --continue-on-collection-errors. */
Test(pytest, collection_error_stops_the_run, .timeout = 60)
{
	char *err;
	int code = lgt_sh("L=$(realpath \"$LEAKGATE\") && cd tests/pytest_semantics && $L run "
			  "--python \"$LEAKGATE_PYTEST_PYTHON\" --pytest -p no:cacheprovider",
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
			  "$LEAKGATE run -w 10 --window 10 --python \"$LEAKGATE_PYTEST_PYTHON\" "
			  "--pytest -p no:cacheprovider", NULL, &err);

	cr_assert_eq(code, 3, "exit %d\n%s", code, err);
	cr_assert(strstr(err, "leakgate cannot drive pytest ") &&
		  strstr(err, "session._fixturemanager._arg2fixturedefs is UserDict, not a dict"),
		  "%s", err);
	free(err);
}
