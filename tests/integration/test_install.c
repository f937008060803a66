/* test_install.c: make install into a temporary DESTDIR, then only the installed files:
 * the layout and make uninstall, leakgate.pc, the sample package with a C extension
 * (tests/sample_pkg) gated through the installed leakgate.mk, leakgate gdb's plugin,
 * --python's installed builds, --valgrind's suppressions and the man page. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* Shell: installs the build under test into $R=$T/root with PREFIX=/usr (make's own
 * variables cleared: this runs under make test). One install at a time: the build's
 * leakgate.1 and leakgate.pc are regenerated for the prefix. $B is the build directory,
 * relative to the source tree (the current directory), as make test names it. */
#define INSTALL                                                                          \
	"S=$PWD; B=$(dirname \"${LEAKGATE#$PWD/}\"); R=$T/root; rm -rf \"$R\"; "              \
	"lgmake() { flock \"$B/.install.lock\" env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS "  \
	"make --no-print-directory \"$@\" DESTDIR=\"$R\" PREFIX=/usr >>\"$T/make.log\" 2>&1" \
	" || { cat \"$T/make.log\"; echo \"make $* failed\"; exit 99; }; }; "             \
	"lgmake install BUILD=\"$B\" PYTHON=\"$LEAKGATE_PYTHON\" INSTALL_DEFAULT=1; "      \
	"export PATH=\"$R/usr/bin:/usr/bin:/bin\"; unset PYTHONPATH; "

/* The CPython tag of an interpreter, as the Makefile names its builds. */
#define TAG_OF(py) "$(" py " -c 'import sys; print(sys.version.split()[0] + sys.abiflags)')"

static int sh(const char *script, char **out)
{
	char *err = NULL;
	int code = lgt_sh(script, out, &err);

	if (err[0])
		cr_log_info("stderr: %s", err);
	free(err);
	return code;
}

Test(install, layout_pkgconfig_and_uninstall, .timeout = 120)
{
	static const char *const want[] = {
		"./usr/bin/leakgate\n",
		"./usr/include/leakgate.h\n",
		"./usr/lib/leakgate/leakgate-gdb.so\n",
		"./usr/lib/libleakgate.a\n",
		"./usr/lib/pkgconfig/leakgate.pc\n",
		"./usr/share/leakgate/leakgate-report.schema.json\n",
		"./usr/share/leakgate/leakgate.gdb\n",
		"./usr/share/leakgate/leakgate.mk\n",
		"./usr/share/leakgate/leakgate.supp\n",
		"./usr/share/leakgate/pytest_leakgate-0.1.0-py3-none-any.whl\n",
		"./usr/share/man/man1/leakgate.1\n",
		"libexec link: ../../../bin/leakgate\n",
		"prefix: /usr\n",
		"program: gc_objects\n",  /* built from the installed .pc, header, library */
		"after uninstall: 0\n",
	};
	char *out;
	size_t i;
	int code = sh(INSTALL
		      "cd \"$R\" && find . -type f -o -type l | sort; "
		      "echo \"libexec link: $(readlink usr/libexec/leakgate/py" TAG_OF(
			      "$LEAKGATE_PYTHON") "/leakgate)\"; "
		      "echo \"prefix: $(sed -n 's/^prefix=//p' usr/lib/pkgconfig/leakgate.pc)\"; "
		      /* A C program built from the installed header, library and .pc. */
		      "printf '#include <leakgate.h>\\n#include <stdio.h>\\nint main(void) "
		      "{ puts(lg_counter_name(LG_GC_OBJECTS)); return 0; }\\n' > \"$T/p.c\"; "
		      "cc \"$T/p.c\" $(PKG_CONFIG_PATH=\"$R/usr/lib/pkgconfig\" pkg-config "
		      "--define-prefix --cflags --libs leakgate) -o \"$T/p\" && "
		      "echo \"program: $(\"$T/p\")\"; "
		      "cd \"$S\"; lgmake uninstall BUILD=\"$B\" PYTHON=\"$LEAKGATE_PYTHON\" "
		      "INSTALL_DEFAULT=1; echo \"after uninstall: $(find \"$R\" -type f -o -type l "
		      "| wc -l)\"",
		      &out);

	cr_assert_eq(code, 0, "%s", out);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_expect(strstr(out, want[i]), "no '%s' in:\n%s", want[i], out);
	free(out);
}

/* The sample package: its extension built for the installed leakgate's CPython, then
 * make leakcheck through the installed leakgate.mk, with the leakgate on PATH, over a
 * clean target (the build passes) and a leaking one (it fails with leakgate's 1). */
Test(install, leakcheck_gates_sample_package, .timeout = 120)
{
	char *out;
	int code = sh(INSTALL
		      "cp -r tests/sample_pkg \"$T/sample\" && cd \"$T/sample\" || exit 98; "
		      "echo \"leakgate: $(command -v leakgate)\"; "
		      "check() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make --no-print-directory "
		      "leakcheck LEAKGATE_MK=\"$R/usr/share/leakgate/leakgate.mk\" "
		      "PYTHON=\"$LEAKGATE_PYTHON\" LEAKGATE_TARGETS=samplepkg.checks:$1 "
		      "LEAKGATE_RESULTS=results-$1 >\"$T/$1.log\" 2>&1; echo \"$1: make $?\"; "
		      "grep -o 'Error [0-9]*' \"$T/$1.log\"; "
		      "grep -o '<testcase classname=\"[^\"]*\" name=\"[^\"]*\"' results-$1/junit.xml;"
		      "grep -o 'failures=\"[0-9]*\"' results-$1/junit.xml | head -n 1; "
		      "test -s results-$1/chart.svg && echo \"$1: chart\"; }; "
		      "check clean; check leaky; cat \"$T/leaky.log\"",
		      &out);

	cr_assert_eq(code, 0, "%s", out);
	cr_assert(strstr(out, "/root/usr/bin/leakgate\n"), "not the installed leakgate: %s", out);
	cr_expect(strstr(out, "clean: make 0\n"
			      "<testcase classname=\"samplepkg.checks\" name=\"clean\"\n"
			      "failures=\"0\"\n"
			      "clean: chart\n"),
		  "%s", out);
	cr_expect(strstr(out, "leaky: make 2\n"
			      "Error 1\n"
			      "<testcase classname=\"samplepkg.checks\" name=\"leaky\"\n"
			      "failures=\"1\"\n"
			      "leaky: chart\n"),
		  "%s", out);
	/* The leak is the extension's lost bytes objects, seen by the allocator counters. */
	cr_expect(strstr(out, "LEAK  samplepkg.checks:leaky  py_blocks"), "%s", out);
	free(out);
}

/* leakgate gdb loads the installed plugin and commands, also once the installed tree has
 * moved elsewhere (the paths come from the executable's location). */
Test(install, gdb_finds_installed_plugin, .timeout = 120)
{
	char *out;
	int code = sh(INSTALL
		      "cd \"$T\"; gdbcheck() { \"$1/bin/leakgate\" gdb -q -batch -nx "
		      "-ex 'print $lg_plugin' -ex 'help lg-types' 2>&1; }; "
		      "gdbcheck \"$R/usr\"; mv \"$R/usr\" \"$T/moved\" && gdbcheck \"$T/moved\"",
		      &out);
	char *moved = out ? strstr(out, "/moved/lib/leakgate/leakgate-gdb.so\"") : NULL;

	cr_assert_eq(code, 0, "%s", out);
	cr_expect(strstr(out, "/root/usr/lib/leakgate/leakgate-gdb.so\""), "%s", out);
	cr_expect(moved, "the moved tree's plugin was not used: %s", out);
	cr_expect(moved && strstr(moved, "census"), "lg-types not loaded: %s", out);
	free(out);
}

/* --python hands a run to the installed build for that CPython
 * (make install PYTHON=... puts it in libexec/leakgate/py<TAG>/). */
Test(install, python_runs_installed_build, .timeout = 120)
{
	const char *py = getenv("LEAKGATE_PYTEST_PYTHON");
	const char *ext = getenv("LEAKGATE_PYTEST_EXT_DIR");
	char *out, want[64], report[96];
	int code;

	if (!py || !ext)
		cr_skip_test("LEAKGATE_PYTEST_PYTHON and LEAKGATE_PYTEST_EXT_DIR unset (make test "
			     "sets them)");
	code = sh(INSTALL
		  "lgmake install BUILD=\"$(dirname \"$LEAKGATE_PYTEST_EXT_DIR\")\" "
		  "PYTHON=\"$LEAKGATE_PYTEST_PYTHON\"; "
		  "echo \"installed: $(ls \"$R/usr/libexec/leakgate\" | tr '\\n' ' ')\"; "
		  "echo \"want: CPython $(\"$LEAKGATE_PYTEST_PYTHON\" -c "
		  "'import sys; print(sys.version.split()[0])')\"; cd \"$T\"; "
		  "leakgate run -q -n 20 -w 5 --report r.json --python \"$LEAKGATE_PYTEST_PYTHON\" "
		  "-c 'x = [0] * 8'; echo \"exit $?\"; grep -o '\"python\": \"[^\"]*\"' r.json",
		  &out);
	cr_assert_eq(code, 0, "%s", out);
	cr_expect(strstr(out, "exit 0\n"), "%s", out);
	cr_assert(sscanf(strstr(out, "want: ") ? strstr(out, "want: ") : "", "want: %63[^\n]",
			 want) == 1, "%s", out);
	snprintf(report, sizeof(report), "\"python\": \"%s\"", want);
	cr_expect(strstr(out, report), "the run was not made with %s: %s", want, out);
	free(out);
}

/* --valgrind finds the installed suppression file: the run gets to the workload (whose
 * error is exit 2), not the missing-file error (3). */
Test(install, valgrind_finds_installed_suppressions, .timeout = 120)
{
	char *out;
	int code = sh(INSTALL
		      "cd \"$T\"; leakgate run -q -n 20 -w 2 --valgrind -c '1 / 0' 2>&1; "
		      "echo \"exit $?\"",
		      &out);

	cr_assert_eq(code, 0, "%s", out);
	cr_expect(strstr(out, "ZeroDivisionError"), "%s", out);
	cr_expect(strstr(out, "exit 2\n"), "%s", out);
	cr_expect(!strstr(out, "leakgate.supp"), "%s", out);
	free(out);
}

/* The installed man page renders with no warning from man and groff. */
Test(man, renders_without_warnings, .timeout = 120)
{
	char *out;
	int code = sh(INSTALL
		      "page=\"$R/usr/share/man/man1/leakgate.1\"; "
		      "MANWIDTH=80 man --warnings -l \"$page\" 2>&1 >/dev/null; "
		      "echo \"lines: $(MANWIDTH=80 man -l \"$page\" 2>/dev/null | wc -l)\"",
		      &out);
	int lines = 0;
	const char *at = strstr(out, "lines: ");

	cr_assert_eq(code, 0, "%s", out);
	cr_expect(at == out, "man printed warnings: %s", out);
	cr_expect(at && sscanf(at, "lines: %d", &lines) == 1 && lines > 100,
		  "the page rendered to %d lines", lines);
	free(out);
}

/* Every option --help (and leakgate gdb --help) names is in the rendered man page. */
Test(man, has_every_help_option, .timeout = 120)
{
	char *out;
	int code = sh(INSTALL
		      "MANWIDTH=80 man -l \"$R/usr/share/man/man1/leakgate.1\" > \"$T/page\"; "
		      "opts=$( (leakgate --help; leakgate gdb --help) | grep -oE "
		      "'(^|[^[:alnum:]_-])--?[[:alpha:]][[:alnum:]-]*' | sed 's/^[^-]//' | sort -u); "
		      "echo \"options: $(echo \"$opts\" | wc -l)\"; for o in $opts; do "
		      "grep -qE -- \"(^|[^[:alnum:]_-])$o([^[:alnum:]_-]|\\$)\" \"$T/page\" || "
		      "echo \"missing: $o\"; done",
		      &out);
	int n = 0;

	cr_assert_eq(code, 0, "%s", out);
	cr_expect(sscanf(out, "options: %d", &n) == 1 && n > 30, "%s", out);
	cr_expect(!strstr(out, "missing:"), "%s", out);
	free(out);
}

/* The C API example (examples/capi: a Criterion test that gates a C extension through
 * lg_gate_run) builds against the installed header, library and leakgate.pc alone, and
 * its two verdicts hold. The .pc says prefix=/usr while the files lie under $R/usr, hence
 * --define-prefix; the extension it gates is leakgate's own _lgtest. */
Test(install, capi_example_builds_and_runs, .timeout = 180)
{
	char *out;
	int code = sh(INSTALL
		      "cc \"$S/examples/capi/test_extension.c\" $(PKG_CONFIG_PATH=\"$R/usr/lib/pkgconfig\" "
		      "pkg-config --define-prefix --cflags --libs leakgate) -lcriterion "
		      "-o \"$T/capi\" && "
		      "PYTHONPATH=\"$S/$LEAKGATE_TEST_EXT_DIR\" env -u BXFI_MAP -u IS_SANDBOX "
		      "-u GMON_OUT_PREFIX \"$T/capi\" --jobs 1 2>&1",
		      &out);

	cr_assert_eq(code, 0, "%s", out);
	cr_assert(strstr(out, "Synthesis: Tested: 2 | Passing: 2 | Failing: 0"), "%s", out);
	free(out);
}

/* One make install for several CPythons (PYTHONS=...), and the hint for a missing build:
 * followed literally, it installs where the running leakgate looks (its own prefix, here
 * a DESTDIR one), after which --python runs. */
Test(install, pythons_in_one_command_and_the_hint_installs_where_leakgate_looks,
     .timeout = 300)
{
	const char *py = getenv("LEAKGATE_PYTEST_PYTHON");
	char *out;
	int code;

	if (!py || !getenv("LEAKGATE_PYTHON"))
		cr_skip_test("LEAKGATE_PYTEST_PYTHON and LEAKGATE_PYTHON unset (make test sets "
			     "them)");
	/* Two builds need two CPythons: the test matrix runs each build with its own. */
	if (sh("test \"" TAG_OF("\"$LEAKGATE_PYTHON\"") "\" != \"" TAG_OF("\"$LEAKGATE_PYTEST_PYTHON\"")
	       "\"", NULL) != 0)
		cr_skip_test("LEAKGATE_PYTHON and LEAKGATE_PYTEST_PYTHON are one CPython here");
	code = sh("S=$PWD; B=$(dirname \"${LEAKGATE#$PWD/}\"); R=$T/root; rm -rf \"$R\"; "
		  "lock() { flock \"$B/.install.lock\" env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS "
		  "\"$@\" >>\"$T/make.log\" 2>&1 || { cat \"$T/make.log\"; echo \"$* failed\"; "
		  "exit 99; }; }; "
		  "lock make --no-print-directory install BUILD=\"$B\" PYTHON=\"$LEAKGATE_PYTHON\" "
		  "INSTALL_DEFAULT=1 PYTHONS=\"$LEAKGATE_PYTEST_PYTHON\" DESTDIR=\"$R\" PREFIX=/usr; "
		  "want=py" TAG_OF("\"$LEAKGATE_PYTEST_PYTHON\"") "; "
		  "echo \"builds: $(ls \"$R/usr/libexec/leakgate\" | wc -l)\"; "
		  "test -d \"$R/usr/libexec/leakgate/$want\" && echo \"has $want\"; "
		  "ls \"$R\"/usr/share/leakgate/pytest_leakgate-*-py3-none-any.whl >/dev/null && "
		  "echo 'has the plugin wheel'; "
		  "export PATH=\"$R/usr/bin:/usr/bin:/bin\"; unset PYTHONPATH; cd \"$T\"; "
		  "run() { leakgate run -q -n 20 -w 5 --python \"$LEAKGATE_PYTEST_PYTHON\" "
		  "-c 'x = [0] * 8' >&2; }; "
		  "run; echo \"exit $?\"; "
		  "rm -rf \"$R/usr/libexec/leakgate/$want\"; run 2>hint.txt; echo \"exit $?\"; "
		  "cmd=$(sed -n 's/.*install one from leakgate.s source tree with: //p' hint.txt); "
		  "echo \"hint: $cmd\"; cd \"$S\" && lock $cmd && cd \"$T\" && run; "
		  "echo \"exit $?\"", &out);
	cr_assert_eq(code, 0, "%s", out);
	cr_assert(strstr(out, "builds: 2\n"), "the default build's link and one more: %s", out);
	cr_assert(strstr(out, "has py"), "%s", out);
	cr_assert(strstr(out, "has the plugin wheel\n"), "%s", out);
	cr_assert(strstr(out, "exit 0\nexit 4\nhint: make PYTHON="), "%s", out);
	cr_assert(strstr(out, " install PREFIX=/tmp/"), "the hint names no prefix: %s", out);
	cr_assert(strstr(out, "/root/usr\nexit 0\n"), "the hint was not enough: %s", out);
	free(out);
}

/* make install PYTHONS=all takes every CPython ci/find-pythons.sh finds: 3.8 or later with
 * no newest version named (a 3.14 or a 3.20 joins by itself; once, the list stopped at
 * 3.13), by minor version numerically, debug builds too, older ones and the TAGs given
 * left out. The interpreters are scripts that answer the version query as CPython would. */
Test(install, find_pythons_takes_every_minor_version_from_3_8_up, .timeout = 60)
{
	char *out;
	int code = sh("mkdir -p \"$T/bin\" \"$T/pyenv\"; "
		      "fake() { printf '#!/bin/sh\\necho %s\\n' \"$2\" >\"$T/bin/$1\"; "
		      "chmod +x \"$T/bin/$1\"; }; "
		      "fake python3.20 3.20.99; fake python3.14 3.14.99; fake python3.14d 3.14.99d; "
		      "fake python3.9 3.9.99; fake python3.7 3.7.99; "
		      "PATH=\"$T/bin:$PATH\" PYENV_ROOT=\"$T/pyenv\" ci/find-pythons.sh 3.20.99 "
		      ">\"$T/found\" || exit 1; "
		      "grep -n '\\.99' \"$T/found\" | sed \"s|$T|T|\"; "
		      "PATH=\"$T/bin:$PATH\" PYENV_ROOT=\"$T/pyenv\" ci/find-pythons.sh | "
		      "grep -c '^3\\.20\\.99 '",
		      &out);
	char *p9, *p14, *p14d;

	cr_assert_eq(code, 0, "%s", out);
	p9 = strstr(out, ":3.9.99 T/bin/python3.9\n");
	p14 = strstr(out, ":3.14.99 T/bin/python3.14\n");
	p14d = strstr(out, ":3.14.99d T/bin/python3.14d\n");
	cr_assert(p9 && p14 && p14d, "a version from 3.8 up is missing: %s", out);
	cr_assert(p9 < p14 && p14 < p14d, "not by minor version, numerically: %s", out);
	cr_assert(!strstr(out, "3.7.99"), "3.7 is older than 3.8: %s", out);
	cr_assert(!strstr(out, "3.20.99 T"), "the TAG given was not left out: %s", out);
	cr_assert(strstr(out, "\n1\n"), "3.20 was not found without the TAG: %s", out);
	free(out);
}
