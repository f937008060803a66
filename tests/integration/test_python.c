/* test_python.c: `leakgate run --python`: a virtual environment's packages import, an
 * interpreter with no build or no Python at all is a one-line usage error, and on a debug
 * build the refs counter judges refcount leaks. $LEAKGATE_PYTHON is the interpreter the
 * build under test was made with (set by make test). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* Runs CMD; checks its exit code and that its output holds NEEDLE: stderr for leakgate's
 * own errors, stdout for verdict lines and reports. Returns stderr then stdout. */
static char *expect(const char *cmd, int code, const char *needle)
{
	char *out, *err, *both;
	int got = lgt_sh(cmd, &out, &err);

	cr_assert(asprintf(&both, "%s%s", err, out) > 0);
	free(out);
	free(err);
	cr_assert_eq(got, code, "%s: exit %d, want %d\noutput:\n%s", cmd, got, code, both);
	cr_assert(!needle || strstr(both, needle), "%s: output lacks '%s':\n%s", cmd, needle,
		  both);
	return both;
}

/* Writes an executable shell script into the scratch directory; returns its path. */
static const char *script(const char *name, const char *text)
{
	const char *path = lgt_write(name, text);
	char *cmd;

	cr_assert(asprintf(&cmd, "chmod +x '%s'", path) > 0);
	cr_assert_eq(lgt_sh(cmd, NULL, NULL), 0);
	free(cmd);
	return path;
}

/* The whole user story: a venv, a package pip installs into it only (from a local wheel,
 * no network), and the gate over workloads that import it. Without --python the package
 * is not there: the venv is what makes it import. */
Test(python, venv_packages_import, .timeout = 180)
{
	const char *work = lgt_write("venv_work.py",
				     "import sys, lgvenvpkg\n"
				     "assert sys.prefix.endswith('/venv'), sys.prefix\n"
				     "def work():\n    lgvenvpkg.leak()\n");
	char *cmd;

	/* ${LEAKGATE_PYTHON:-python3}: the build's own interpreter, under make test. */
	cr_assert_eq(lgt_sh("set -e; py=${LEAKGATE_PYTHON:-python3}; rm -rf $T/venv; "
			    "$py -m venv $T/venv; "
			    "whl=$($py tests/venvpkg/wheel.py $T); "
			    "$T/venv/bin/python -m pip install -q --no-index --no-deps "
			    "--disable-pip-version-check \"$whl\"", NULL, NULL), 0,
		     "could not create the venv and install the local package");
	free(expect("$LEAKGATE run -q --python $T/venv/bin/python lgvenvpkg:leak", 1,
		    "LEAK  lgvenvpkg:leak  py_blocks"));
	free(expect("$LEAKGATE run -q --python $T/venv/bin/python lgvenvpkg:clean", 0,
		    "PASS  lgvenvpkg:clean"));
	cr_assert(asprintf(&cmd, "$LEAKGATE run -q --python $T/venv/bin/python %s:work", work) > 0);
	free(expect(cmd, 1, "LEAK  "));
	free(cmd);
	free(expect("$LEAKGATE run -q lgvenvpkg:clean", 2, "No module named 'lgvenvpkg'"));
	cr_assert_eq(lgt_sh("rm -rf $T/venv", NULL, NULL), 0);
}

/* The build's own interpreter is served by this very build: its version is reported. */
Test(python, own_interpreter)
{
	char *out;

	cr_assert_eq(lgt_sh("py=${LEAKGATE_PYTHON:-python3}; "
			    "want=$($py -c 'import sys; print(sys.version.split()[0])'); "
			    "$LEAKGATE run -q --report $T/own.json --python $py -c pass >/dev/null "
			    "2>&1 || exit 9; "
			    "$py -c 'import json, sys; print(json.load(open(sys.argv[1]))"
			    "[\"targets\"][0][\"python\"] == \"CPython \" + sys.argv[2])' "
			    "$T/own.json \"$want\"", &out, NULL), 0);
	cr_assert_str_eq(out, "True\n");
	free(out);
}

/* An interpreter of a version with no build names the command that makes one. The fake
 * interpreter answers leakgate's query the way a CPython 3.99 would. */
Test(python, no_build_names_the_build_command)
{
	const char *fake = script("python3.99",
				  "#!/bin/sh\necho \"leakgate-python: cpython 3.99.0 $0\"\n");
	char *cmd, *err;

	cr_assert(asprintf(&cmd, "$LEAKGATE run --python %s -c pass", fake) > 0);
	err = expect(cmd, 4, "no leakgate build for CPython 3.99.0");
	cr_assert(strstr(err, "make PYTHON="), "%s", err);
	cr_assert_eq(lgt_lines(err), 1, "not one line:\n%s", err);
	free(err);
	free(cmd);
}

/* What is not a CPython 3.8+: one line each, exit 4. */
Test(python, not_a_usable_python)
{
	const char *old = script("python3.7", "#!/bin/sh\necho \"leakgate-python: cpython 3.7.16m $0\"\n");
	const char *pypy = script("pypy3", "#!/bin/sh\necho \"leakgate-python: pypy 3.10.14 $0\"\n");
	const char *broken = script("broken", "#!/bin/sh\necho 'broken: no such thing' >&2\nexit 1\n");
	struct { const char *python, *needle; } cases[] = {
		{ "$T/does-not-exist", "cannot run it" },
		{ "/bin/true", "not a Python 3 interpreter" },
		{ broken, "not a Python 3 interpreter: broken: no such thing" },
		{ old, "needs CPython 3.8 or later" },
		{ pypy, "CPython only" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *cmd, *err;

		cr_assert(asprintf(&cmd, "$LEAKGATE run --python %s -c pass", cases[i].python) > 0);
		err = expect(cmd, 4, cases[i].needle);
		cr_assert_eq(lgt_lines(err), 1, "%s: not one line:\n%s", cmd, err);
		free(err);
		free(cmd);
	}
}

/* On a debug build (sys.gettotalrefcount) refs is read and judged: a float whose last
 * reference the _lgtest extension never releases is caught by refs alone, once the other
 * counters are given room for the float itself. Elsewhere refs is not in the report. */
Test(python, refs_judged_on_debug_builds, .timeout = 120)
{
	const char *leak = lgt_write("refleak.py", "import _lgtest\ndef work():\n"
				     "    _lgtest.leak_float()\n");
	const char *clean = lgt_write("refclean.py", "def work():\n"
				      "    return sum([float(i) for i in range(20)])\n");
	const char *budget = "--budget py_blocks=2,py_bytes=4096,native_bytes=1000000";
	char *cmd, *out, *debug;
	int is_debug;

	cr_assert_eq(lgt_sh("${LEAKGATE_PYTHON:-python3} -c "
			    "'import sys; print(hasattr(sys, \"gettotalrefcount\"))'", &debug, NULL), 0);
	is_debug = !strcmp(debug, "True\n");
	cr_assert(asprintf(&cmd, "$LEAKGATE run -q %s --report $T/refs.json %s:work; "
			   "echo rc=$?; cat $T/refs.json", budget, leak) > 0);
	cr_assert_eq(lgt_sh(cmd, &out, NULL), 0);
	if (is_debug) {
		cr_assert(strstr(out, "rc=1\n"), "a refcount leak passed:\n%s", out);
		cr_assert(strstr(out, "\"failed\": [\"refs\"]"), "not caught by refs:\n%s", out);
	} else {
		cr_assert(strstr(out, "rc=0\n"), "%s", out);
		cr_assert(!strstr(out, "\"refs\""), "refs on a release build:\n%s", out);
	}
	free(out);
	free(cmd);
	cr_assert(asprintf(&cmd, "$LEAKGATE run -q --report $T/refs2.json %s:work; echo rc=$?; "
			   "cat $T/refs2.json", clean) > 0);
	cr_assert_eq(lgt_sh(cmd, &out, NULL), 0);
	cr_assert(strstr(out, "rc=0\n"), "the clean control failed:\n%s", out);
	cr_assert(!is_debug || strstr(out, "\"refs\": {"), "refs not reported:\n%s", out);
	free(out);
	free(cmd);
	free(debug);
}
