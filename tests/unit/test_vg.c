/* test_vg.c: the worker's Valgrind side outside Valgrind: the malloc allocator option is
 * really applied, and the memcheck counters stay off. (Under memcheck: the integration
 * tests in tests/integration/test_valgrind.c.) */
#include <criterion/criterion.h>

#include "leakgate.h"
#include "worker_api.h"  /* src/: the private worker interface */

/* Runs CODE once in a fresh worker built with opts; returns lg_worker_call's result. */
static int run_once(const lg_worker_opts *o, const char *code, uint32_t *available)
{
	lg_worker *w = NULL;
	lg_target t = { LG_TARGET_CODE, code };
	char *msg = NULL;
	int err;

	cr_assert_eq(lg_worker_new(o, &w), 0);
	*available = lg_worker_available(w);
	cr_assert_eq(lg_worker_load(w, &t, &msg), 0, "%s", msg ? msg : "");
	err = lg_worker_call(w, &msg);
	lg_free(msg);
	lg_worker_free(w);
	return err;
}

/* pymalloc counts its blocks in sys.getallocatedblocks(); on malloc it reads 0. */
static const char only_on_malloc[] =
	"import sys\n"
	"if sys.getallocatedblocks() != 0:\n"
	"    raise SystemExit('pymalloc is in use')\n";

Test(vg, malloc_allocator_is_applied)
{
	lg_worker_opts o = { .malloc_allocator = 1 };
	uint32_t av;

	cr_assert_eq(run_once(&o, only_on_malloc, &av), 0);
	cr_assert_eq(av & (1u << LG_VG_DEFINITE), 0, "memcheck counters outside Valgrind");
#if defined(__SANITIZE_ADDRESS__)
	/* ASan's allocator replaces glibc's: the worker says native_bytes is blind. */
	cr_assert_eq(av & (1u << LG_NATIVE_BYTES), 0);
#else
	cr_assert(av & (1u << LG_NATIVE_BYTES));
#endif
}

Test(vg, pymalloc_by_default)
{
	uint32_t av;

	cr_assert_eq(run_once(NULL, only_on_malloc, &av), LG_EEXIT);
	cr_assert_eq(av & ((1u << LG_VG_DEFINITE) | (1u << LG_VG_DEFINITE_BLOCKS)), 0);
}
