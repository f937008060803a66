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
 * stdout, where the verdict lines and reports go. */
static char *run_suite(int *code)
{
	char *err;

	*code = lgt_sh(IN_PROJECT "$L run -w 10 --window 10 "
		       "--junit $T/j.xml --report $T/r.json --python \"$LEAKGATE_PYTEST_PYTHON\" "
		       "--pytest -p no:cacheprovider", &err, NULL);
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

Test(pytest, every_verdict, .timeout = 300)
{
	int code;
	char *err = run_suite(&code), *out, *cmd;

	cr_assert_eq(code, 2, "exit %d, want 2 (a failing test is the worst)\n%s", code, err);
	lgt_write("check.py", check_verdicts);
	cr_assert(asprintf(&cmd, "python3 $T/check.py tests/pytest_project/test_suite.py $T/r.json") > 0);
	cr_assert_eq(lgt_sh(cmd, &out, NULL), 0);
	cr_assert_str_eq(out, "ok 28 of 28\n", "%s\n%s", out, err);
	free(out);
	free(cmd);

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
		      "--python \"$LEAKGATE_PYTEST_PYTHON\" --pytest -k 'session_cache or skipped'",
		      &err, NULL);
	cr_assert_eq(code, 0, "exit %d\n%s", code, err);
	cr_assert_eq(lgt_lines(err), 2, "%s", err);
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
