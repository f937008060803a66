/* test_hooks.c: the allocator counters' blocks and bytes, exact through malloc, calloc,
 * realloc across pymalloc's small-request limit and free, in both the OBJ and MEM domains;
 * counted from pymalloc's pools exactly when they are underneath, and the probe that
 * decides it safe on any allocator. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <criterion/criterion.h>
#include <stdlib.h>

#include "../../src/worker/worker.h"
#include "leakgate.h"

static lg_worker *start(void)
{
	lg_worker *w = NULL;

	cr_assert_eq(lg_worker_new(NULL, &w), 0);
	return w;
}

static struct lg__pymem_counts counts(void)
{
	struct lg__pymem_counts c;

	lg__hooks_read(&c);
	return c;
}

/* What a live block of `size` bytes counts for: its size class when pymalloc keeps it in
 * a pool (counted from the pool), else the size asked. */
static int64_t weight(size_t size)
{
	if (lg__hooks_pool_mode() && size >= 1 && size <= 512)
		return (int64_t)((size + 15) & ~(size_t)15);
	return (int64_t)size;
}

static void expect(struct lg__pymem_counts base, int64_t blocks, int64_t bytes, const char *what)
{
	struct lg__pymem_counts now = counts();

	cr_assert_eq(now.blocks - base.blocks, blocks, "%s: %lld blocks, expected %lld", what,
		     (long long)(now.blocks - base.blocks), (long long)blocks);
	cr_assert_eq(now.bytes - base.bytes, bytes, "%s: %lld bytes, expected %lld", what,
		     (long long)(now.bytes - base.bytes), (long long)bytes);
}

Test(hooks, pool_mode_on_a_release_build)
{
	lg_worker *w = start();

#if defined(Py_DEBUG) || defined(Py_GIL_DISABLED)
	cr_assert_eq(lg__hooks_pool_mode(), 0, "debug hooks wrap pymalloc: pool mode taken");
#else
	cr_assert_eq(lg__hooks_pool_mode(), 1, "pymalloc's pools were not recognised");
#endif
	lg_worker_free(w);
}

/* The probe reads around blocks of allocators that are not pymalloc; it must say no, and
 * the hooks must still count exactly. */
static void other_allocator(const char *name)
{
	struct lg__pymem_counts base;
	lg_worker *w;
	void *p;

	cr_assert_eq(setenv("PYTHONMALLOC", name, 1), 0);
	w = start();
	cr_assert_eq(lg__hooks_pool_mode(), 0, "PYTHONMALLOC=%s taken for pymalloc's pools", name);
	base = counts();
	p = PyObject_Malloc(17);
	cr_assert_not_null(p);
	expect(base, 1, 17, "PyObject_Malloc(17)");
	p = PyObject_Realloc(p, 700);
	cr_assert_not_null(p);
	expect(base, 1, 700, "PyObject_Realloc(700)");
	PyObject_Free(p);
	expect(base, 0, 0, "PyObject_Free");
	lg_worker_free(w);
}

Test(hooks, malloc_allocator_keeps_headers)
{
	other_allocator("malloc");
}

Test(hooks, debug_hooks_keep_headers)
{
	other_allocator("pymalloc_debug");
}

Test(hooks, exact_through_the_small_limit)
{
	static const struct {
		void *(*malloc)(size_t);
		void *(*calloc)(size_t, size_t);
		void *(*realloc)(void *, size_t);
		void (*free)(void *);
		const char *name;
	} dom[] = {
		{ PyObject_Malloc, PyObject_Calloc, PyObject_Realloc, PyObject_Free, "OBJ" },
		{ PyMem_Malloc, PyMem_Calloc, PyMem_Realloc, PyMem_Free, "MEM" },
	};
	lg_worker *w = start();
	size_t d;

	for (d = 0; d < sizeof(dom) / sizeof(dom[0]); d++) {
		struct lg__pymem_counts base = counts();
		char *a = dom[d].malloc(17), *b = dom[d].calloc(3, 10), *c = dom[d].malloc(0);
		size_t i;

		cr_assert(a && b && c, "%s: allocation failed", dom[d].name);
		for (i = 0; i < 30; i++)
			cr_assert_eq(b[i], 0, "%s: calloc'd byte %zu is %d", dom[d].name, i, b[i]);
		expect(base, 3, weight(17) + weight(30) + weight(0), dom[d].name);

		memset(a, 'x', 17);
		a = dom[d].realloc(a, 40);      /* small to small */
		cr_assert_not_null(a);
		expect(base, 3, weight(40) + weight(30) + weight(0), "realloc(40)");
		a = dom[d].realloc(a, 2000);    /* out of the pools */
		cr_assert_not_null(a);
		expect(base, 3, weight(2000) + weight(30) + weight(0), "realloc(2000)");
		a = dom[d].realloc(a, 100);     /* a block in malloc stays there */
		cr_assert_not_null(a);
		expect(base, 3, 100 + weight(30) + weight(0), "realloc(100)");
		for (i = 0; i < 17; i++)
			cr_assert_eq(a[i], 'x', "%s: byte %zu lost in the moves", dom[d].name, i);
		b = dom[d].realloc(b, 0);       /* a pool block to size 0: to malloc */
		cr_assert_not_null(b);
		expect(base, 3, 100 + 0 + weight(0), "realloc(0)");
		dom[d].free(a);
		dom[d].free(b);
		dom[d].free(c);
		dom[d].free(NULL);
		expect(base, 0, 0, dom[d].name);
	}
	lg_worker_free(w);
}

/* A random walk of allocations, resizes and frees over both domains: every live block is
 * counted, with at least its requested bytes, and nothing is left over at the end. */
Test(hooks, random_walk_balances)
{
	enum { SLOTS = 512, STEPS = 20000 };
	static void *p[SLOTS];
	static size_t asked[SLOTS];
	static int obj[SLOTS];
	struct lg__pymem_counts base, now;
	lg_worker *w = start();
	int64_t live = 0, bytes = 0;
	unsigned seed = 12345;
	int step, i;

	base = counts();
	for (step = 0; step < STEPS; step++) {
		size_t size;

		i = rand_r(&seed) % SLOTS;
		size = rand_r(&seed) % 4 ? (size_t)(rand_r(&seed) % 600) : (size_t)(rand_r(&seed) % 5000);
		if (!p[i]) {
			obj[i] = rand_r(&seed) & 1;
			p[i] = obj[i] ? PyObject_Malloc(size) : PyMem_Malloc(size);
			live++;
		} else if (rand_r(&seed) % 3) {
			p[i] = obj[i] ? PyObject_Realloc(p[i], size) : PyMem_Realloc(p[i], size);
			bytes -= (int64_t)asked[i];
		} else {
			(obj[i] ? PyObject_Free : PyMem_Free)(p[i]);
			p[i] = NULL;
			live--;
			bytes -= (int64_t)asked[i];
			continue;
		}
		cr_assert_not_null(p[i]);
		memset(p[i], 0xab, size);
		asked[i] = size;
		bytes += (int64_t)size;
	}
	now = counts();
	cr_assert_eq(now.blocks - base.blocks, live);
	cr_assert_geq(now.bytes - base.bytes, bytes);
	for (i = 0; i < SLOTS; i++)
		if (p[i])
			(obj[i] ? PyObject_Free : PyMem_Free)(p[i]);
	expect(base, 0, 0, "after freeing all");
	lg_worker_free(w);
}

static void *no_arena(void *ctx, size_t size)
{
	(void)ctx;
	(void)size;
	return NULL;
}

/* With no arena to be had, pymalloc sends small requests to malloc through the RAW
 * domain, whose hook counts them at their requested size, through resizes and frees. */
Test(hooks, fallback_to_malloc_balances)
{
	enum { N = 250000 };  /* 8 MB of 32-byte blocks: more than a fresh heap's free pools */
	static void *p[N];
	PyObjectArenaAllocator old, none;
	struct lg__pymem_counts base, now;
	lg_worker *w = start();
	size_t i;

	PyObject_GetArenaAllocator(&old);
	none = old;
	none.alloc = no_arena;
	PyObject_SetArenaAllocator(&none);
	base = counts();
	for (i = 0; i < N; i++) {
		p[i] = PyObject_Malloc(32);
		cr_assert_not_null(p[i]);
		memset(p[i], 0x5a, 32);
	}
	expect(base, N, (int64_t)N * 32, "32-byte blocks");
	for (i = 0; i < N; i++) {
		p[i] = PyObject_Realloc(p[i], 40);
		cr_assert_not_null(p[i]);
		cr_assert_eq(((unsigned char *)p[i])[31], 0x5a, "block %zu lost its bytes", i);
	}
	now = counts();
	cr_assert_eq(now.blocks - base.blocks, N);
	cr_assert_geq(now.bytes - base.bytes, (int64_t)N * 40);
	if (lg__hooks_pool_mode())
		cr_assert_lt(now.bytes - base.bytes, (int64_t)N * 48,
			     "no block fell back to malloc (%lld bytes)",
			     (long long)(now.bytes - base.bytes));
	for (i = 0; i < N; i++)
		PyObject_Free(p[i]);
	expect(base, 0, 0, "after freeing all");
	PyObject_SetArenaAllocator(&old);
	lg_worker_free(w);
}
