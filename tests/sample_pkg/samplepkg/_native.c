/* _native.c: samplepkg's C extension: digits() releases what it allocates, while
 * digits_leaky() has the classic bug, a missing Py_DECREF. Bytes objects are not
 * tracked by the GC: only the allocator counters see this leak. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* The number of decimal digits of n, through a temporary bytes object; `release` says
 * whether the temporary is released. */
static PyObject *digits(PyObject *arg, int release)
{
	long n = PyLong_AsLong(arg);
	PyObject *text;
	Py_ssize_t len;

	if (n == -1 && PyErr_Occurred())
		return NULL;
	text = PyBytes_FromFormat("%ld", n);
	if (!text)
		return NULL;
	len = PyBytes_GET_SIZE(text);
	if (release)
		Py_DECREF(text);
	return PyLong_FromSsize_t(len);
}

static PyObject *digits_clean(PyObject *self, PyObject *arg)
{
	(void)self;
	return digits(arg, 1);
}

static PyObject *digits_leaky(PyObject *self, PyObject *arg)
{
	(void)self;
	return digits(arg, 0);
}

static PyMethodDef methods[] = {
	{ "digits", digits_clean, METH_O, "Number of decimal digits of an int." },
	{ "digits_leaky", digits_leaky, METH_O, "The same, leaking a bytes object." },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_native", "samplepkg's C extension.", -1, methods,
	NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__native(void)
{
	return PyModule_Create(&module);
}
