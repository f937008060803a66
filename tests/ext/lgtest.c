/* lgtest.c: the _lgtest extension, deliberate leaks and crashes for leakgate's tests.
 * Uses only the stable public C API, so it builds against CPython 3.8 to 3.13 headers
 * (compile-checked with -DPy_LIMITED_API=0x03080000, but not built that way by default). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define LGTEST_DEFAULT_SIZE 64

/* Exported even under -fvisibility=hidden: 3.8's PyMODINIT_FUNC does not say so itself. */
#define LGTEST_EXPORT __attribute__((visibility("default")))

/* Counts the calls of the leaking functions, so each leaked object differs. */
static Py_ssize_t lgtest_calls;

/* Loses a block of n bytes from the C heap. Kept out of line (and exported) so that
 * Valgrind's allocation stacks name it. */
LGTEST_EXPORT __attribute__((noinline)) void lgtest_lose_block(size_t n);

LGTEST_EXPORT __attribute__((noinline)) void lgtest_lose_block(size_t n)
{
	char *p = malloc(n);

	if (p == NULL)
		return;
	memset(p, 0x5a, n);
	/* The compiler may not drop the malloc and the writes as dead code: it must
	 * assume that this empty statement reads the block. The pointer then dies. */
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

/* A lost 32-byte node that points to a 48-byte one: memcheck calls the first definitely
 * and the second indirectly lost. */
LGTEST_EXPORT __attribute__((noinline)) void lgtest_lose_chain(void);

LGTEST_EXPORT __attribute__((noinline)) void lgtest_lose_chain(void)
{
	void **node = malloc(32);

	if (node == NULL)
		return;
	memset(node, 0, 32);
	node[0] = malloc(48);
	__asm__ __volatile__("" : : "r"(node) : "memory");
}

static PyObject *lgtest_leak_chain(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	lgtest_lose_chain();
	Py_RETURN_NONE;
}

/* Parses the optional size argument of leak_malloc and no_leak_malloc. */
static int lgtest_parse_size(PyObject *args, size_t *out)
{
	Py_ssize_t n = LGTEST_DEFAULT_SIZE;

	if (!PyArg_ParseTuple(args, "|n", &n))
		return -1;
	if (n < 1) {
		PyErr_SetString(PyExc_ValueError, "size must be at least 1");
		return -1;
	}
	*out = (size_t)n;
	return 0;
}

/* Creates a float and drops the only reference without releasing it: a refcount
 * leak of an object the GC does not track. */
static PyObject *lgtest_leak_float(PyObject *self, PyObject *unused)
{
	PyObject *f;

	(void)self;
	(void)unused;
	f = PyFloat_FromDouble(0.5 + (double)lgtest_calls++);
	if (f == NULL)
		return NULL;
	/* The reference is deliberately never released. */
	Py_RETURN_NONE;
}

/* Same with a str that is unique per call (never interned, never shared). */
static PyObject *lgtest_leak_str(PyObject *self, PyObject *unused)
{
	PyObject *s;

	(void)self;
	(void)unused;
	s = PyUnicode_FromFormat("lgtest leaked str #%zd", lgtest_calls++);
	if (s == NULL)
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *lgtest_leak_malloc(PyObject *self, PyObject *args)
{
	size_t n;

	(void)self;
	if (lgtest_parse_size(args, &n) < 0)
		return NULL;
	lgtest_lose_block(n);
	Py_RETURN_NONE;
}

/* The clean control for leak_malloc: the same allocation, released. */
static PyObject *lgtest_no_leak_malloc(PyObject *self, PyObject *args)
{
	size_t n;
	char *p;

	(void)self;
	if (lgtest_parse_size(args, &n) < 0)
		return NULL;
	p = malloc(n);
	if (p == NULL)
		return PyErr_NoMemory();
	memset(p, 0x5a, n);
	__asm__ __volatile__("" : : "r"(p) : "memory");
	free(p);
	Py_RETURN_NONE;
}

/* Reads one byte past the end of a malloc'd block and frees it: no leak, no crash, but
 * an invalid read that memcheck reports (for leakgate --valgrind's error reporting). */
static PyObject *lgtest_read_past_end(PyObject *self, PyObject *unused)
{
	char *p = malloc(8);
	volatile size_t past = 8;  /* volatile: the compiler may not see the bad index */
	int v;

	(void)self;
	(void)unused;
	if (p == NULL)
		return PyErr_NoMemory();
	memset(p, 1, 8);
	v = ((volatile char *)p)[past];
	free(p);
	return PyLong_FromLong(v != 0);
}

/* Dies of SIGSEGV, for the harness's crash isolation. */
static PyObject *lgtest_crash(PyObject *self, PyObject *unused)
{
	int *volatile p = NULL;

	(void)self;
	(void)unused;
	*p = 1;
	raise(SIGSEGV); /* not reached */
	Py_RETURN_NONE;
}

/* Dies of SIGABRT. */
static PyObject *lgtest_abort(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	abort();
}

static PyMethodDef lgtest_methods[] = {
	{"leak_float", lgtest_leak_float, METH_NOARGS,
	 "leak_float()\n\nCreate a float and never release it (refcount leak)."},
	{"leak_str", lgtest_leak_str, METH_NOARGS,
	 "leak_str()\n\nCreate a unique str and never release it (refcount leak)."},
	{"leak_chain", lgtest_leak_chain, METH_NOARGS,
	 "leak_chain()\n\nLose a 32-byte block that points to a 48-byte one."},
	{"leak_malloc", lgtest_leak_malloc, METH_VARARGS,
	 "leak_malloc(n=64)\n\nmalloc(n) bytes and never free them."},
	{"no_leak_malloc", lgtest_no_leak_malloc, METH_VARARGS,
	 "no_leak_malloc(n=64)\n\nmalloc(n) bytes and free them (clean control)."},
	{"read_past_end", lgtest_read_past_end, METH_NOARGS,
	 "read_past_end()\n\nRead one byte past a malloc'd block (an invalid read)."},
	{"crash", lgtest_crash, METH_NOARGS,
	 "crash()\n\nDereference NULL: the process dies of SIGSEGV."},
	{"abort", lgtest_abort, METH_NOARGS,
	 "abort()\n\nCall abort(): the process dies of SIGABRT."},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef lgtest_module = {
	PyModuleDef_HEAD_INIT,
	"_lgtest",
	"Deliberate leaks and crashes for leakgate's tests.",
	-1,
	lgtest_methods,
	NULL,
	NULL,
	NULL,
	NULL,
};

LGTEST_EXPORT PyMODINIT_FUNC PyInit__lgtest(void)
{
	return PyModule_Create(&lgtest_module);
}
