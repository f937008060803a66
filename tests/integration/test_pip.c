/* test_pip.c: pip install of the source tree (pyproject.toml, pep517/leakgate_build.py)
 * into a fresh venv of the interpreter under test, with no network (--no-index: the
 * backend needs nothing from PyPI, and pytest comes from the pinned wheels that
 * ci/pytest-venv.sh keeps in build/wheels), then only what the venv has: leakgate on
 * its PATH gates a leaking and a clean target and a pytest suite with no --python. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* Shell: $V a fresh venv of $LEAKGATE_PYTHON with the pinned pytest and leakgate
 * pip-installed from the source tree ($S), its bin/ first on a PATH with no build tree,
 * and a project in $T/p: a leaking and a clean target, and a test file that imports a
 * module only the venv has. Exit 97: no wheels to install pytest from. */
#define VENV                                                                             \
	"S=$PWD; V=$T/venv; ls \"$S\"/build/wheels/pytest-*.whl >/dev/null 2>&1 || exit 97; " \
	"pipv() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \"$V/bin/python\" -m pip "          \
	"--disable-pip-version-check --no-input -q \"$@\" >>\"$T/pip.log\" 2>&1 || "          \
	"{ cat \"$T/pip.log\"; echo \"pip $* failed\"; exit 99; }; }; "                      \
	"\"$LEAKGATE_PYTHON\" -m venv \"$V\" || exit 98; "                                    \
	"pipv install --no-index --find-links \"$S/build/wheels\" -r \"$S/ci/pytest-requirements.txt\"; " \
	"pipv install --no-index \"$S\"; "                                                    \
	"site=$(\"$V/bin/python\" -c 'import sysconfig; print(sysconfig.get_paths()[\"purelib\"])'); " \
	"echo 'ANSWER = 42' > \"$site/lgpiponly.py\"; "                                       \
	"mkdir \"$T/p\" && cd \"$T/p\" || exit 98; "                                          \
	"printf '_kept = []\\ndef work():\\n    _kept.append([object()])\\n' > leaky.py; "      \
	"printf 'def work():\\n    return [object() for _ in range(8)]\\n' > clean.py; "         \
	"printf 'import lgpiponly\\n_kept = []\\ndef test_clean():\\n    assert lgpiponly.ANSWER == 42\\n"  \
	"def test_leaky():\\n    _kept.append({})\\n' > test_p.py; "                          \
	"export PATH=\"$V/bin:/usr/bin:/bin\"; unset PYTHONPATH; "

static int sh(const char *script, char **out)
{
	char *err = NULL;
	int code = lgt_sh(script, out, &err);

	if (err[0])
		cr_log_info("stderr: %s", err);
	free(err);
	if (code == 97)
		cr_skip_test("no pytest wheels in build/wheels (make test fetches them with "
			     "ci/pytest-venv.sh, from PyPI)");
	return code;
}

Test(pip, install_into_fresh_venv_and_gate, .timeout = 300)
{
	char *out;
	int code = sh(VENV
		      "echo \"leakgate: $(command -v leakgate)\"; "
		      "leakgate run -q leaky.py:work 2>&1; echo \"leaky: exit $?\"; "
		      "leakgate run -q clean.py:work 2>&1; echo \"clean: exit $?\"; "
		      "leakgate run -q -w 10 --window 10 --report r.json --pytest test_p.py "
		      "-p no:cacheprovider 2>&1; echo \"pytest: exit $?\"; "
		      "python -c 'import json, sys; t = json.load(open(\"r.json\"))[\"targets\"][0]; "
		      "print(\"report:\", t[\"python\"] == \"CPython \" + sys.version.split()[0])'; "
		      /* The venv's own pytest --strict-markers knows leakgate's markers. */
		      "printf 'import pytest\\n@pytest.mark.leakgate(warmup=3)\\n"
		      "@pytest.mark.no_leak_check\\ndef test_m():\\n    pass\\n' > test_m.py; "
		      "python -m pytest -q --strict-markers -p no:cacheprovider test_m.py >sm.txt "
		      "2>&1; echo \"strict: exit $?\"; tail -n 1 sm.txt; "
		      /* leakgate gdb finds the plugin pip put under the venv's lib/. */
		      "leakgate gdb -q -batch -nx -ex 'print $lg_plugin' 2>&1 | grep -o '/lib/leakgate/[^\"]*'",
		      &out);

	cr_assert_eq(code, 0, "%s", out);
	cr_expect(strstr(out, "/venv/bin/leakgate\n"), "not the venv's leakgate: %s", out);
	cr_expect(strstr(out, "LEAK  leaky.py:work  "), "%s", out);
	cr_expect(strstr(out, "leaky: exit 1\n"), "%s", out);
	cr_expect(strstr(out, "PASS  clean.py:work  "), "%s", out);
	cr_expect(strstr(out, "clean: exit 0\n"), "%s", out);
	/* The venv's pytest collects a file that imports a module only the venv has. */
	cr_expect(strstr(out, "PASS  test_p.py::test_clean  "), "%s", out);
	cr_expect(strstr(out, "LEAK  test_p.py::test_leaky  "), "%s", out);
	cr_expect(strstr(out, "pytest: exit 1\n"), "%s", out);
	cr_expect(strstr(out, "report: True\n"), "the run was not the venv's CPython: %s", out);
	cr_expect(strstr(out, "/lib/leakgate/leakgate-gdb.so\n"), "%s", out);
	cr_expect(strstr(out, "1 passed") && strstr(out, "strict: exit 0\n"), "%s", out);
	free(out);
}

/* pip uninstall takes away every file the wheel put in the venv (its RECORD is whole). */
Test(pip, uninstall_leaves_nothing, .timeout = 300)
{
	char *out;
	int code = sh(VENV
		      "echo \"installed: $(ls \"$V/share/leakgate\" | tr '\\n' ' ')\"; "
		      "man -l \"$V/share/man/man1/leakgate.1\" 2>/dev/null | grep -c leakgate >/dev/null "
		      "&& echo 'man: ok'; "
		      "pipv uninstall -y leakgate; "
		      "echo \"left: $(ls -d \"$V/bin/leakgate\" \"$V/lib/leakgate\" \"$V/share/leakgate\" "
		      "\"$V/share/man/man1/leakgate.1\" \"$site/pytest_leakgate.py\" 2>/dev/null | "
		      "wc -l)\"",
		      &out);

	cr_assert_eq(code, 0, "%s", out);
	cr_expect(strstr(out, "installed: leakgate-report.schema.json leakgate.gdb leakgate.mk leakgate.supp \n"), "%s", out);
	cr_expect(strstr(out, "man: ok\n"), "%s", out);
	cr_expect(strstr(out, "left: 0\n"), "%s", out);
	free(out);
}
