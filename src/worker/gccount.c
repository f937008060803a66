/* worker/gccount.c: the number of objects the cyclic GC tracks, counted without allocating
 * (gc.get_objects() builds a list and touches every object's refcount to get a length).
 * 3.12+ has a public visitor; before that the collector's own tally is read, which needs
 * CPython's internal headers, so this file alone is built with Py_BUILD_CORE. */
#define Py_BUILD_CORE 1
#include <Python.h>

#if PY_VERSION_HEX < 0x030C0000
#if PY_VERSION_HEX < 0x03090000
#include "internal/pycore_pymem.h"    /* 3.8: the GC state lives in _PyRuntime */
#include "internal/pycore_pystate.h"
#else
#include "internal/pycore_interp.h"
#include "internal/pycore_pystate.h"
#endif
#endif

#include "worker.h"

/* Objects in the generations the collector walks (the young ones, for short: all but the
 * permanent one), and in the permanent one (gc.freeze(), which the worker calls before
 * measuring so that a collection walks only what the workload made). Counting the young
 * ones is cheap right after a full collection; counting the permanent one walks it, as
 * much as a tenth of a full collection of the heap it froze: the worker decides when
 * (interp.c, gc_reading). */
#if PY_VERSION_HEX >= 0x030C0000
static PyObject *freeze_count;  /* gc.get_freeze_count */

static int count_one(PyObject *op, void *arg)
{
	(void)op;
	++*(int64_t *)arg;
	return 1;
}

/* PyUnstable_GC_VisitObjects walks the three generations; since gh-131740 (fixed in
 * 2025 and backported: Debian 13's 3.13.5 has it, 3.13.0 not) the permanent one too.
 * Which of the two this CPython does is found once, right after the heap was frozen
 * (lg__gc_objects_moved): the younger generations are then empty, so a visitor that
 * counts at least the frozen objects walks them. The release is not asked: a
 * distribution may carry the change in an older one. -1: not known yet. */
static int visits_permanent = -1;

static int64_t visited_count(void)
{
	int64_t n = 0;

	PyUnstable_GC_VisitObjects(count_one, &n);
	return n;
}

/* 3.12 keeps the permanent generation's state internal: ask gc (this allocates one int,
 * freed before it returns; the allocator counters are read before this one). */
static int64_t permanent_count(void)
{
	PyObject *r;
	int64_t n = 0;

	if (!freeze_count) {
		PyObject *gc = PyImport_ImportModule("gc");

		freeze_count = gc ? PyObject_GetAttrString(gc, "get_freeze_count") : NULL;
		Py_XDECREF(gc);
	}
	r = freeze_count ? PyObject_CallNoArgs(freeze_count) : NULL;
	if (r)
		n = PyLong_AsLongLong(r);
	Py_XDECREF(r);
	PyErr_Clear();
	return n < 0 ? 0 : n;
}
#else
static int64_t list_length(PyGC_Head *head)
{
	int64_t n = 0;
	PyGC_Head *p;

	for (p = (PyGC_Head *)head->_gc_next; p != head; p = (PyGC_Head *)p->_gc_next)
		n++;
	return n;
}

static struct _gc_runtime_state *gc_state(void)
{
#if PY_VERSION_HEX < 0x03090000
	return &_PyRuntime.gc;
#else
	return &_PyInterpreterState_GET()->gc;
#endif
}

/* Right after a full collection every survivor sits in the oldest generation, whose size
 * the collector itself has just stored in long_lived_total: no need to walk it. The
 * younger generations (objects finalizers made) are walked; they are empty or small. */
static int64_t young_count(void)
{
	struct _gc_runtime_state *gc = gc_state();
	int64_t n = (int64_t)gc->long_lived_total;
	int i;

	for (i = 0; i < NUM_GENERATIONS - 1; i++)
		n += list_length(&gc->generations[i].head);
	return n;
}

static int64_t permanent_count(void)
{
	return list_length(&gc_state()->permanent_generation.head);
}
#endif

int64_t lg__gc_young(void)
{
#if PY_VERSION_HEX >= 0x030C0000
	if (visits_permanent == 1)
		return -1;
	return visited_count();
#else
	return young_count();
#endif
}

int64_t lg__gc_frozen(void)
{
	return permanent_count();
}

int64_t lg__gc_objects(void)
{
#if PY_VERSION_HEX >= 0x030C0000
	if (visits_permanent == 1)
		return visited_count();
	return visited_count() + permanent_count();
#else
	return young_count() + permanent_count();
#endif
}

void lg__gc_objects_moved(void)
{
#if PY_VERSION_HEX >= 0x030C0000
	if (visits_permanent < 0) {
		int64_t frozen = permanent_count();

		if (frozen > 0)
			visits_permanent = visited_count() >= frozen;
	}
#endif
}
