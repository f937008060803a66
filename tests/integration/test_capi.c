/* test_capi.c: the C API as a user meets it: the example under examples/capi (a Criterion
 * test of a C extension that gates it through lg_gate_run) builds and its verdicts hold;
 * and the command line's progress line on a terminal, which the API's callbacks feed. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

Test(capi, example_gates_an_extension, .timeout = 120)
{
	char *out, *err;
	/* A Criterion program started from inside a Criterion test must not see the
	 * sandbox variables of the one that runs it. */
	int rc = lgt_sh("env -u BXFI_MAP -u IS_SANDBOX -u GMON_OUT_PREFIX "
			"\"$LEAKGATE_CAPI_EXAMPLE\" --jobs 1", &out, &err);

	cr_assert_eq(rc, 0, "exit %d\n%s%s", rc, out, err);
	cr_assert(strstr(err, "Synthesis: Tested: 2 | Passing: 2 | Failing: 0"), "%s", err);
	free(out);
	free(err);
}

/* On a terminal, a run shows which iteration it is at and the current trend, and erases
 * that line before the report; with CI set, or -q, it stays quiet. script(1) gives the
 * run a terminal, of a TERM that has colour whatever the caller's is (TERM=dumb, as a
 * CI job or cron may set, turns colour off by design). */
Test(capi, progress_on_a_terminal)
{
	const char *f = lgt_write("slow.py", "import time\nx = []\n"
				  "def work():\n    time.sleep(0.01)\n    x.append(object())\n");
	char *cmd, *out;

	cr_assert(asprintf(&cmd, "env -u CI TERM=xterm script -qec '$LEAKGATE run %s:work' /dev/null", f) > 0);
	lgt_sh(cmd, &out, NULL);
	cr_assert(strstr(out, "slow.py:work: iteration ") && strstr(out, "(warm-up)") &&
		  strstr(out, "\r\033[K"), "%s", out);
	/* The trend as the progress line shows it (the summary line has no comma). */
	cr_assert(strstr(out, ", py_blocks +"), "%s", out);
	free(out);
	free(cmd);
	cr_assert(asprintf(&cmd, "CI=true TERM=xterm script -qec '$LEAKGATE run %s:work' /dev/null", f) > 0);
	lgt_sh(cmd, &out, NULL);
	/* A terminal: the verdict word in colour. */
	cr_assert(!strstr(out, ": iteration ") && strstr(out, "LEAK\033[0m  "), "%s", out);
	free(out);
	free(cmd);
}
