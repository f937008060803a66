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

#if PY_VERSION_HEX >= 0x030C0000
/* The visitor walks the generations the collector runs over, not the permanent one. */
void lg__gc_keep_frozen(int on)
{
	(void)on;
}

static int count_one(PyObject *op, void *arg)
{
	(void)op;
	++*(int64_t *)arg;
	return 1;
}

int64_t lg__gc_objects(void)
{
	int64_t n = 0;

	PyUnstable_GC_VisitObjects(count_one, &n);
	return n;
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

/* Right after a full collection every survivor sits in the oldest generation, whose size
 * the collector itself has just stored in long_lived_total: no need to walk 200k nodes.
 * The younger generations (objects finalizers made) and the permanent one (gc.freeze())
 * are walked; they are empty or small. */
static int keep_frozen;
static int64_t frozen = -1;

/* A worker forked from --pytest's server holds the collected suite in the permanent
 * generation (gc.freeze()), where nothing but gc.freeze() adds objects: walking those
 * 100k+ nodes at every snapshot cost more than the test itself. With keep_frozen they
 * are counted once and the count reused; it then misses collected objects that die,
 * which can only lower the true figure, by at most the frozen count. */
void lg__gc_keep_frozen(int on)
{
	keep_frozen = on;
	frozen = -1;
}

int64_t lg__gc_objects(void)
{
#if PY_VERSION_HEX < 0x03090000
	struct _gc_runtime_state *gc = &_PyRuntime.gc;
#else
	struct _gc_runtime_state *gc = &_PyInterpreterState_GET()->gc;
#endif
	int64_t n;

	if (!keep_frozen || frozen < 0)
		frozen = list_length(&gc->permanent_generation.head);
	n = (int64_t)gc->long_lived_total + frozen;
	int i;

	for (i = 0; i < NUM_GENERATIONS - 1; i++)
		n += list_length(&gc->generations[i].head);
	return n;
}
#endif
