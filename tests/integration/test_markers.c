/* test_markers.c: leakgate's pytest markers over tests/pytest_markers. Under leakgate run
 * --pytest, @pytest.mark.leakgate sets a test's budgets, warm-up and iterations and
 * no_leak_check skips it; a bad marker is a usage error naming the test. Outside
 * leakgate, the project's own `pytest --strict-markers` passes once the markers are
 * registered: by the plugin wheel leakgate builds (installed with pip), or
 * by the ini lines the README gives. Run with Debian's python3 and python3-pytest. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

#define NEED_PYTEST_PYTHON                                                              \
	do {                                                                              \
		if (!getenv("LEAKGATE_PYTEST_PYTHON"))                                    \
			cr_skip_test("LEAKGATE_PYTEST_PYTHON unset (make test sets it)"); \
	} while (0)

/* Prints "TARGET VERDICT warmup=N py_blocks=BUDGET py_bytes=BUDGET" per target. */
static const char summarize[] =
	"import json, sys\n"
	"for t in json.load(open(sys.argv[1]))['targets']:\n"
	"    c = t.get('counters', {})\n"
	"    print(t['target'], t['verdict'], 'warmup=%d' % t['warmup'],\n"
	"          ' '.join('%s=%g' % (k, c[k]['budget']) for k in ('py_blocks', 'py_bytes') if k in c))\n";

Test(markers, per_test_budget_warmup_and_iterations, .timeout = 300)
{
	char *out, *err;
	int code;

	NEED_PYTEST_PYTHON;
	lgt_write("sum.py", summarize);
	code = lgt_sh("L=$(realpath \"$LEAKGATE\"); cd tests/pytest_markers && "
		      "$L run -q -w 10 --window 10 --report $T/r.json "
		      "--python \"$LEAKGATE_PYTEST_PYTHON\" --pytest -p no:cacheprovider "
		      "--rootdir . --strict-markers >&2; echo \"exit $?\"; python3 $T/sum.py $T/r.json",
		      &out, &err);
	cr_assert_eq(code, 0);
	cr_assert_str_eq(out,
			 "exit 1\n"
			 "test_markers.py::test_leak_unmarked leak warmup=10 py_blocks=0 py_bytes=0\n"
			 "test_markers.py::test_leak_within_its_budget pass warmup=10 "
			 "py_blocks=2 py_bytes=64\n"
			 "test_markers.py::test_clean_short_warmup pass warmup=3 "
			 "py_blocks=0 py_bytes=0\n"
			 "test_markers.py::test_not_gated skip warmup=0 \n"
			 "test_markers.py::TestMarkedClass::test_inherits_the_class_marker pass "
			 "warmup=10 py_blocks=2 py_bytes=64\n", "%s", err);
	free(out);
	free(err);
}

/* Each bad marker: exit 4, one line naming the test and what is wrong. */
Test(markers, bad_marker_is_a_usage_error_naming_the_test, .timeout = 120)
{
	static const char *const cases[][2] = {
		{ "@pytest.mark.leakgate(budget='1 MB')",
		  "::test_x: @pytest.mark.leakgate: budget expects a dict of counter names" },
		{ "@pytest.mark.leakgate(warmups=3)",
		  "::test_x: @pytest.mark.leakgate: unknown argument 'warmups'" },
		{ "@pytest.mark.leakgate(3)",
		  "::test_x: @pytest.mark.leakgate takes keyword arguments only" },
		{ "@pytest.mark.leakgate(budget={'rss': 1})",
		  "::test_x: @pytest.mark.leakgate: budget rss: rss is reported, never judged" },
		{ "@pytest.mark.leakgate(warmup=True)",
		  "::test_x: @pytest.mark.leakgate: warmup expects a whole number" },
		{ "@pytest.mark.leakgate(iterations=5)",
		  "::test_x: @pytest.mark.leakgate: 5 iterations are below the window of 20" },
	};
	size_t i;

	NEED_PYTEST_PYTHON;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text, *err;
		int code;

		cr_assert(asprintf(&text, "import pytest\n%s\ndef test_x():\n    pass\n",
				   cases[i][0]) > 0);
		lgt_write("test_bad.py", text);
		code = lgt_sh("cd $T && $LEAKGATE run -q --python \"$LEAKGATE_PYTEST_PYTHON\" "
			      "--pytest -p no:cacheprovider test_bad.py", NULL, &err);
		cr_expect_eq(code, 4, "case %zu: exit %d:\n%s", i, code, err);
		cr_expect_eq(lgt_lines(err), 1, "case %zu:\n%s", i, err);
		cr_expect(strstr(err, cases[i][1]), "case %zu: want '%s' in:\n%s", i, cases[i][1],
			  err);
		free(text);
		free(err);
	}
}

/* The project's own pytest --strict-markers: fails with leakgate's markers unregistered,
 * passes with the plugin wheel pip-installed (its pytest11 entry point), and
 * with the README's ini lines instead. */
Test(markers, strict_markers_pass_outside_leakgate, .timeout = 180)
{
	char *out, *err;
	int code;

	NEED_PYTEST_PYTHON;
	code = lgt_sh("\"$LEAKGATE_PYTEST_PYTHON\" -m pytest -q --strict-markers "
		      "-p no:cacheprovider tests/pytest_markers", &out, &err);
	cr_assert_neq(code, 0, "%s", out);
	cr_assert(strstr(out, "'leakgate' not found in `markers` configuration option") ||
		  strstr(out, "'no_leak_check' not found in `markers` configuration option"),
		  "%s", out);
	free(out);
	free(err);

	/* pip installs the wheel (here into a directory of its own on PYTHONPATH, which
	 * works in a venv or not: pytest finds the entry point there as in site-packages). */
	code = lgt_sh("W=$(ls \"$(dirname \"$LEAKGATE\")\"/share/pytest_leakgate-*-py3-none-any.whl) "
		      "&& \"$LEAKGATE_PYTEST_PYTHON\" -m pip install -q --disable-pip-version-check "
		      "--no-index --target $T/site \"$W\" && PYTHONPATH=$T/site "
		      "\"$LEAKGATE_PYTEST_PYTHON\" -m pytest -q --strict-markers -p no:cacheprovider "
		      "tests/pytest_markers", &out, &err);
	cr_assert_eq(code, 0, "%s\n%s", out, err);
	cr_assert(strstr(out, "5 passed"), "%s", out);
	free(out);
	free(err);

	/* The README's lines, in a project's pytest.ini. */
	lgt_write("pytest.ini", "[pytest]\n"
		  "markers =\n"
		  "    no_leak_check: leakgate does not gate this test\n"
		  "    leakgate: this test's leakgate settings (budget, warmup, iterations, window)\n");
	code = lgt_sh("cp -r tests/pytest_markers $T/project && cp $T/pytest.ini $T/project/ && "
		      "cd $T/project && \"$LEAKGATE_PYTEST_PYTHON\" -m pytest -q --strict-markers "
		      "-p no:cacheprovider", &out, &err);
	cr_assert_eq(code, 0, "%s\n%s", out, err);
	cr_assert(strstr(out, "5 passed"), "%s", out);
	free(out);
	free(err);
}

/* [tool.leakgate]'s pytest = [...] and python: the suite gated from a subdirectory, as if
 * run from the file's directory, with the file's pytest arguments and baseline. */
Test(markers, pytest_arguments_and_baseline_from_the_file, .timeout = 180)
{
	char *out, *err, *text;
	int code;

	NEED_PYTEST_PYTHON;
	cr_assert(asprintf(&text, "[tool.leakgate]\n"
			   "python = \"%s\"\n"
			   "warmup = 10\n"
			   "window = 10\n"
			   "baseline = \"known-leaks.txt\"\n"
			   "pytest = [\"-p\", \"no:cacheprovider\", \"-k\", \"unmarked or short\"]\n",
			   getenv("LEAKGATE_PYTEST_PYTHON")) > 0);
	lgt_write("pyproject.toml", text);
	free(text);
	lgt_write("known-leaks.txt", "test_markers.py::test_leak_unmarked  py_blocks  1\n"
		  "test_markers.py::test_leak_unmarked  py_bytes  64\n");
	code = lgt_sh("rm -rf $T/p && cp -r tests/pytest_markers $T/p && mkdir $T/p/sub && "
		      "cp $T/pyproject.toml $T/known-leaks.txt $T/p/ && cd $T/p/sub && "
		      "$LEAKGATE run -q >&2; echo \"exit $?\"", &out, &err);
	cr_assert_eq(code, 0);
	cr_assert_str_eq(out, "exit 0\n", "%s", err);
	cr_assert(strstr(err, "KNOWN test_markers.py::test_leak_unmarked  py_blocks +1.00/iter"),
		  "%s", err);
	cr_assert(strstr(err, "PASS  test_markers.py::test_clean_short_warmup"), "%s", err);
	cr_assert_eq(lgt_lines(err), 3, "only the two tests -k selects, and the closing line:\n%s",
		     err);
	cr_assert(strstr(err, "leakgate: 2 tests: 1 passed, 0 leaked, 0 errors, 0 skipped, "
			 "1 known leak ("), "%s", err);
	free(out);
	free(err);
}
