/* gccount.c: the number of objects the cyclic GC tracks, counted without allocating
 * (gc.get_objects() builds a list and touches every object's refcount to get a length).
 * 3.12+ has a public visitor; before that, the generation lists are walked read-only,
 * which needs CPython's internal headers, so this file alone is built with Py_BUILD_CORE. */
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

#include "internal.h"

#if PY_VERSION_HEX >= 0x030C0000
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

int64_t lg__gc_objects(void)
{
#if PY_VERSION_HEX < 0x03090000
	struct _gc_runtime_state *gc = &_PyRuntime.gc;
#else
	struct _gc_runtime_state *gc = &_PyInterpreterState_GET()->gc;
#endif
	int64_t n = list_length(&gc->permanent_generation.head);
	int i;

	for (i = 0; i < NUM_GENERATIONS; i++)
		n += list_length(&gc->generations[i].head);
	return n;
}
#endif
