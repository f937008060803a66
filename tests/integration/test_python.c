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

/* CPython 3.8 to 3.10 give a code object a LOAD_GLOBAL cache, two PyMem blocks, on its
 * 1024th run. A workload of many functions reaches that at a different call for each, as
 * pytest's hooks do over a session: here function i at call 10 + i, so the blocks grow by
 * 2 a call for 300 calls and then stop, which read as a leak on 3.8 to 3.10 (the test
 * matrix's false LEAK of --pytest on 3.10). The worker turns the cache off: on 3.10 as
 * CPython's own -R does (sys._deactivate_opcache), on 3.8 and 3.9 code object by code
 * object (exec() here, as imports do). From 3.11 on there is no such cache. */
Test(python, interpreter_code_caches_are_not_a_leak, .timeout = 120)
{
	const char *work = lgt_write("hot_functions.py",
				     "G = 1\n"
				     "fs = []\n"
				     "def setup():\n"
				     "    for i in range(300):\n"
				     "        ns = {'G': G}\n"
				     "        exec('def f():\\n    return G + 1\\n', ns)\n"
				     "        fs.append(ns['f'])\n"
				     "        for _ in range(1014 - i):\n"
				     "            ns['f']()\n"
				     "def work():\n"
				     "    for f in fs:\n"
				     "        f()\n");
	char *cmd;

	cr_assert(asprintf(&cmd, "$LEAKGATE run --python ${LEAKGATE_PYTHON:-python3} %s:work",
			   work) > 0);
	free(expect(cmd, 0, "PASS  "));
	free(cmd);
}

/* glibc's per-thread cache keeps up to seven freed chunks of each small size, and
 * mallinfo2() counts them as in use: a workload that frees chunks of ever more sizes (as
 * an in-process pytest run does) crept up in native_bytes for hundreds of calls, a LEAK
 * here before the worker ran with the cache off. The workload still sees the
 * GLIBC_TUNABLES it was given, or none. */
Test(python, glibc_thread_cache_is_not_a_leak, .timeout = 120)
{
	const char *work = lgt_write("sizes.py",
				     "calls = [0]\n"
				     "def work():\n"
				     "    k = calls[0]\n"
				     "    calls[0] += 1\n"
				     "    size = 520 + 16 * ((k // 2) % 32)\n"
				     "    chunks = [bytes(size) for _ in range(k // 64 + 1)]\n"
				     "    del chunks\n");
	char *cmd;

	cr_assert(asprintf(&cmd, "unset GLIBC_TUNABLES; $LEAKGATE run --python "
			   "${LEAKGATE_PYTHON:-python3} %s:work", work) > 0);
	free(expect(cmd, 0, "PASS  "));
	free(cmd);
	free(expect("unset GLIBC_TUNABLES; $LEAKGATE run -q -c 'import os; "
		    "assert \"GLIBC_TUNABLES\" not in os.environ, os.environ[\"GLIBC_TUNABLES\"]; "
		    "assert \"LEAKGATE_USER_GLIBC_TUNABLES\" not in os.environ'", 0, NULL));
	free(expect("GLIBC_TUNABLES=glibc.malloc.perturb=0 $LEAKGATE run -q -c 'import os; "
		    "assert os.environ[\"GLIBC_TUNABLES\"] == \"glibc.malloc.perturb=0\", "
		    "os.environ[\"GLIBC_TUNABLES\"]'", 0, NULL));
}

/* The build's own interpreter file, unchanged since the build, is not run to ask which it
 * is: there is nothing to learn (strace sees no exec of it but the worker's own start).
 * Through a symbolic link to it the same, and the worker's sys.executable is the link, as
 * the interpreter run through that link would name itself. */
Test(python, own_interpreter_is_not_asked)
{
	char *out;

	if (lgt_sh("command -v strace >/dev/null", NULL, NULL) != 0)
		cr_skip_test("strace is not installed");
	cr_assert_eq(lgt_sh("py=${LEAKGATE_PYTHON:-python3}; py=$(command -v $py); "
			    "mkdir -p $T/ownbin && ln -sf \"$py\" $T/ownbin/python && "
			    "strace -f -qq -e trace=execve -o $T/own.trace $LEAKGATE run -q "
			    "--python $T/ownbin/python -w 0 --window 3 -n 3 "
			    "-c 'import sys; print(sys.executable)' | grep -v '^PASS' | sort -u; "
			    "grep -c -F -e \"execve(\\\"$py\\\"\" "
			    "-e \"execve(\\\"$T/ownbin/python\\\"\" $T/own.trace", &out, NULL), 1);
	cr_assert(strstr(out, "/ownbin/python\n0\n"), "asked, or not the link:\n%s", out);
	free(out);
}

/* A fake build tree: a copy of the binary under test in $T/tree, and beside it a "build"
 * for CPython 3.99.0 whose python.id names FILE with STAMP, its leakgate a script that
 * says how it was started. */
static void fake_tree(const char *file, const char *stamp)
{
	char *cmd;

	cr_assert(asprintf(&cmd, "set -e; rm -rf $T/tree; mkdir -p $T/tree/py3.99.0; "
			   "cp $LEAKGATE $T/tree/leakgate; "
			   "printf '3.99.0 %%s\\n%%s\\n' \"$(readlink -f %s)\" \"%s\" "
			   ">$T/tree/py3.99.0/python.id; "
			   "printf '#!/bin/sh\\necho \"sibling: $LEAKGATE_REEXEC\"\\n' "
			   ">$T/tree/py3.99.0/leakgate; chmod +x $T/tree/py3.99.0/leakgate",
			   file, stamp) > 0);
	cr_assert_eq(lgt_sh(cmd, NULL, NULL), 0);
	free(cmd);
}

/* A build beside this one whose python.id names the file given as --python, unchanged
 * since (its size and modification time), is re-executed without running that file; one
 * whose file changed since is not, and the file is asked (here /bin/sh, which is no
 * Python: exit 4, with the probe's one-line error). */
Test(python, sibling_build_found_by_its_interpreter_file)
{
	char *out;

	fake_tree("/bin/sh", "$(stat -L -c %s:%Y /bin/sh)");
	cr_assert_eq(lgt_sh("$T/tree/leakgate run --python /bin/sh -c pass", &out, NULL), 0);
	cr_assert_str_eq(out, "sibling: 3.99.0\n");
	free(out);
	fake_tree("/bin/sh", "1:1");
	free(expect("$T/tree/leakgate run --python /bin/sh -c pass", 4,
		    "--python /bin/sh: not a Python 3 interpreter"));
}

/* What the query learnt goes along to the build re-executed for it (LEAKGATE_REEXEC:
 * tag, the --python given, its sys.executable), and a build handed that for its own tag
 * and the same --python does not ask again: the interpreter runs once in all. */
Test(python, query_answer_handed_to_the_build_reexecuted)
{
	const char *fake = script("python9", "#!/bin/sh\necho x >>$T/asked\n"
				  "echo \"leakgate-python: cpython 3.99.0 /opt/py9/bin/python9\"\n");
	char *cmd, *out;

	fake_tree("/bin/sh", "1:1");
	cr_assert(asprintf(&cmd, "rm -f $T/asked; $T/tree/leakgate run --python %s -c pass; "
			   "wc -l <$T/asked", fake) > 0);
	cr_assert_eq(lgt_sh(cmd, &out, NULL), 0);
	free(cmd);
	cr_assert(asprintf(&cmd, "sibling: 3.99.0\t%s\t/opt/py9/bin/python9\n1\n", fake) > 0);
	cr_assert_str_eq(out, cmd);
	free(out);
	free(cmd);

	/* The receiving side: the real build, handed an answer for its own tag. The
	 * counting script would answer as 3.99.0: it must not be asked. Only the line the
	 * code prints is read: three calls with no warm-up are no verdict to test. */
	cr_assert(asprintf(&cmd, "rm -f $T/asked; py=$(command -v ${LEAKGATE_PYTHON:-python3}); "
			   "tag=$($py -c 'import sys; print(sys.version.split()[0] + "
			   "sys.abiflags)'); "
			   "PY=$py LEAKGATE_REEXEC=$(printf '%%s\\t%%s\\t%%s' \"$tag\" %s \"$py\") "
			   "$LEAKGATE run -q --python %s -w 0 --window 3 -n 3 "
			   "-c 'import sys, os; print(sys.executable == os.environ[\"PY\"], "
			   "\"LEAKGATE_REEXEC\" in os.environ)' | grep -E '^(True|False) ' | sort -u; "
			   "test -e $T/asked && echo asked", fake, fake) > 0);
	cr_assert_eq(lgt_sh(cmd, &out, NULL), 1);  /* test -e fails: not asked */
	free(cmd);
	cr_assert_str_eq(out, "True False\n");
	free(out);
}
