/* test_record.c: attribution's record of object allocations in the counting hooks: exactly
 * the blocks allocated while recording and still alive, each with its iteration, through
 * the table's growth and deletions; and the worker's attribution of a real leak. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/worker/worker.h"
#include "leakgate.h"

#define N 3000  /* more than the table's first size, so it grows */

static int by_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct lg__survivor *)a)->ptr;
	uintptr_t y = (uintptr_t)((const struct lg__survivor *)b)->ptr;

	return x < y ? -1 : x > y;
}

static const struct lg__survivor *find(const struct lg__survivor *v, size_t n, void *p)
{
	struct lg__survivor key = { p, 0, 0 };

	return bsearch(&key, v, n, sizeof(*v), by_ptr);
}

Test(record, survivors_are_exact)
{
	static PyObject *kept[N], *dropped[N];
	struct lg__survivor *v;
	lg_worker *w = NULL;
	size_t n, i;

	cr_assert_eq(lg_worker_new(NULL, &w), 0);
	PyGC_Collect();  /* empties the free lists: new objects are new blocks */
	lg__record_start(1);
	for (i = 0; i < N; i++)
		kept[i] = PyBytes_FromStringAndSize(NULL, 40);
	lg__record_start(2);
	for (i = 0; i < N; i++)
		dropped[i] = PyBytes_FromStringAndSize(NULL, 40);
	for (i = 0; i < N; i += 2)  /* frees interleaved with survivors: backward shifts */
		Py_CLEAR(dropped[i]);
	lg__record_stop();
	for (i = 0; i < 10; i++)  /* not recorded */
		Py_DECREF(PyBytes_FromStringAndSize(NULL, 40));

	cr_assert_eq(lg__record_take(&v, &n), 0);
	qsort(v, n, sizeof(*v), by_ptr);
	for (i = 0; i < N; i++) {
		const struct lg__survivor *s = find(v, n, kept[i]);

		cr_assert(s && s->iteration == 1 && s->size >= 40 + offsetof(PyBytesObject, ob_sval),
			  "kept object %zu: %p", i, (void *)s);
		s = dropped[i] ? find(v, n, dropped[i]) : NULL;
		cr_assert(!dropped[i] || (s && s->iteration == 2), "object %zu of call 2", i);
	}
	/* Nothing else of that size: the freed ones are gone from the record. */
	{
		size_t bytes40 = 0;

		for (i = 0; i < n; i++)
			bytes40 += v[i].size == v[0].size && Py_TYPE((PyObject *)v[i].ptr) == &PyBytes_Type;
		cr_assert_eq(bytes40, N + N / 2, "%zu recorded bytes objects", bytes40);
	}
	free(v);
	lg__record_clear();
	cr_assert_eq(lg__record_take(&v, &n), 0);
	cr_assert_eq(n, 0);
	lg_worker_free(w);
}

/* The worker's own attribution, on a leak of one object per call held by a global. */
Test(record, worker_attributes_a_leak)
{
	lg_target t = { LG_TARGET_CODE,
			"import sys\n"
			"sys.modules.setdefault('held', []).append(bytearray(8))\n" };
	lg_attribution a;
	lg_worker *w = NULL;
	char *msg = NULL;

	cr_assert_eq(lg_worker_new(NULL, &w), 0);
	cr_assert_eq(lg_worker_load(w, &t, &msg), 0);
	cr_assert_eq(lg_worker_attribute(w, 0, 0, &a, NULL), LG_EINVAL);
	cr_assert_eq(lg_worker_attribute(w, 4, 1u << LG_PY_BLOCKS, &a, &msg), 0, "%s", msg);
	cr_assert_eq(a.state, LG_ATTR_LEAK);
	cr_assert(strstr(a.text, "\n    bytearray  "), "%s", a.text);
	cr_assert(strstr(a.text, "bytearray at 0x") &&
		  strstr(a.text, ": module 'sys' \xe2\x86\x92 global modules (dict) \xe2\x86\x92 "
			 "['held'] (list) \xe2\x86\x92 ["), "%s", a.text);
	cr_assert(strstr(a.json, "\"grew\": [{\"type\": \"bytearray\""), "%s", a.json);
	cr_assert(strstr(a.dot, "->"), "%s", a.dot);
	lg_attribution_release(&a);
	cr_assert_null(a.text);
	lg_worker_free(w);
}

/* Growth a bounded deque holds: the gate measures on, so attribution keeps none of its
 * sampled objects (the failing point's suspects) alive into that window. */
Test(record, bounded_attribution_keeps_no_suspects)
{
	lg_target t = { LG_TARGET_CODE,
			"import sys, collections\n"
			"sys.modules.setdefault('held', collections.deque(maxlen=1000))"
			".append(bytearray(8))\n" };
	lg_suspect s[4];
	lg_attribution a;
	lg_worker *w = NULL;
	char *msg = NULL;

	cr_assert_eq(lg_worker_new(NULL, &w), 0);
	cr_assert_eq(lg_worker_load(w, &t, &msg), 0);
	cr_assert_eq(lg_worker_attribute(w, 4, 1u << LG_PY_BLOCKS, &a, &msg), 0, "%s", msg);
	cr_assert_eq(a.state, LG_ATTR_BOUNDED, "%s", a.text);
	cr_assert_eq(lg__attribution_suspects(w, s, 4), 0);
	lg_attribution_release(&a);
	lg_worker_free(w);
}

/* Attribution stops at its deadline: the state is a leak (the verdict stands), and the
 * report says why it is short. Each call takes longer than the whole deadline. */
Test(record, attribution_deadline_keeps_the_leak)
{
	lg_target t = { LG_TARGET_CODE,
			"import sys, time\n"
			"sys.modules.setdefault('held', []).append(bytearray(8))\n"
			"time.sleep(0.005)\n" };
	lg_attribution a;
	lg_worker *w = NULL;
	char *msg = NULL;

	cr_assert_eq(lg_worker_new(NULL, &w), 0);
	cr_assert_eq(lg_worker_load(w, &t, &msg), 0);
	lg__worker_attribute_limits(w, 0, 1, 0);
	cr_assert_eq(lg_worker_attribute(w, 5, 1u << LG_PY_BLOCKS, &a, &msg), 0, "%s", msg);
	cr_assert_eq(a.state, LG_ATTR_LEAK);
	cr_assert(strstr(a.text, "attribution stopped at its deadline (0.001 s, --timeout): "
			 "the leak verdict stands"), "%s", a.text);
	cr_assert(strstr(a.json, "\"deadline\": true"), "%s", a.json);
	lg_attribution_release(&a);
	/* Without a deadline the same attribution finishes. */
	lg__worker_attribute_limits(w, 0, 0, 0);
	cr_assert_eq(lg_worker_attribute(w, 3, 1u << LG_PY_BLOCKS, &a, &msg), 0, "%s", msg);
	cr_assert(!strstr(a.text, "deadline"), "%s", a.text);
	cr_assert(strstr(a.json, "\"deadline\": false"), "%s", a.json);
	lg_attribution_release(&a);
	lg_worker_free(w);
}

/* tracemalloc goes on over the record's hook and comes off in any order: the record still
 * sees what was allocated under it, and nothing is left wrapping itself (a second
 * tracemalloc session would recurse for ever). */
Test(record, under_tracemalloc_in_any_order)
{
	static const char *const sessions[] = {
		"import tracemalloc\n"
		"tracemalloc.start()\n",
		"kept = [bytes(40) for _ in range(100)]\n"
		"assert tracemalloc.get_traced_memory()[0] > 0\n",
		"tracemalloc.stop()\n"
		"tracemalloc.start()\n"
		"more = [bytes(40) for _ in range(100)]\n"
		"assert tracemalloc.get_traced_memory()[0] > 0\n"
		"tracemalloc.stop()\n",
	};
	struct lg__survivor *v;
	lg_worker *w = NULL;
	size_t n;

	cr_assert_eq(lg_worker_new(NULL, &w), 0);
	lg__record_open();
	cr_assert_eq(PyRun_SimpleString(sessions[0]), 0);
	lg__record_start(1);
	cr_assert_eq(PyRun_SimpleString(sessions[1]), 0);
	lg__record_stop();
	cr_assert_eq(lg__record_take(&v, &n), 0);
	cr_assert_geq(n, 100, "%zu blocks recorded under tracemalloc", n);
	free(v);
	lg__record_clear();  /* tracemalloc is still on over the record's hook */
	cr_assert_eq(PyRun_SimpleString(sessions[2]), 0);
	lg__record_start(2);  /* and a record again afterwards */
	cr_assert_eq(PyRun_SimpleString("again = [bytes(40) for _ in range(50)]\n"), 0);
	lg__record_stop();
	cr_assert_eq(lg__record_take(&v, &n), 0);
	cr_assert_geq(n, 50, "%zu blocks recorded after tracemalloc", n);
	free(v);
	lg__record_clear();
	lg_worker_free(w);
}
