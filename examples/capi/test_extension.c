/* test_extension.c: gating a C extension from a Criterion test with leakgate's C API.
 *
 * Each test gates one call of the extension, the way `leakgate run -c CODE` would: a
 * forked worker runs it many times, and the verdict comes back in an lg_result. Here the
 * extension is leakgate's own test extension, _lgtest (PYTHONPATH must find it): one
 * function that frees what it takes, one that forgets a Py_DECREF.
 *
 * Build:  cc test_extension.c $(pkg-config --cflags --libs leakgate) -lcriterion
 * Run:    PYTHONPATH=DIR_OF_LGTEST ./a.out
 */
#include <criterion/criterion.h>
#include <leakgate.h>

/* Gates CODE with the defaults, fewer iterations: a unit test should be quick. */
static void gate(const char *code, lg_result *r)
{
	lg_target t = { LG_TARGET_CODE, code, NULL, 0 };
	lg_gate_opts o;
	lg_gate *g;

	lg_gate_opts_init(&o);
	o.warmup = 20;
	o.iterations = 60;
	cr_assert_eq(lg_gate_new(&o, &g), 0);
	cr_assert_eq(lg_gate_run(g, &t, code, r), 0);
	lg_gate_free(g);
}

Test(extension, frees_what_it_takes)
{
	lg_result r;

	gate("import _lgtest; _lgtest.no_leak_malloc(64)", &r);
	cr_expect_eq(r.status, LG_STATUS_PASS, "%s: exit code %d%s%s", r.target,
		     lg_result_exit_code(&r), r.error ? ": " : "", r.error ? r.error : "");
	lg_result_release(&r);
}

Test(extension, refcount_leak_is_caught)
{
	lg_result r;

	gate("import _lgtest; _lgtest.leak_float()", &r);
	cr_expect_eq(r.status, LG_STATUS_LEAK, "%s: exit code %d", r.target,
		     lg_result_exit_code(&r));
	cr_expect(r.verdict.failed & (1u << LG_PY_BLOCKS), "py_blocks did not fail");
	/* What grew, where and why, as the text report prints it. */
	cr_expect(r.attribution.text && strstr(r.attribution.text, "float"), "%s",
		  r.attribution.text ? r.attribution.text : "(no attribution)");
	lg_result_release(&r);
}
