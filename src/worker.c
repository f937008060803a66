/* worker.c: the embedded interpreter that runs one target: CPython set-up with the
 * counting hooks, target resolution, one call per iteration, and the snapshot. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "leakgate.h"

#ifndef LG_PYTHON_EXECUTABLE
#define LG_PYTHON_EXECUTABLE "python3"
#endif

struct lg_worker {
	PyObject *boot;      /* the bootstrap module's namespace */
	PyObject *func;      /* the workload, or NULL for -c code */
	PyObject *code;      /* compiled -c code */
	PyObject *clear;     /* clears the standard library's bounded caches */
	PyObject *totalrefs; /* sys.gettotalrefcount on debug builds */
	PyObject *main_name; /* "__main__", for -c code */
	uint32_t available;
	int collected_once;
	char python[64];
};

/* Helpers that are simpler in Python than through the C API. They run at load time or
 * between snapshots, never inside the measured call. */
static const char bootstrap[] =
	"import sys, os, gc, importlib, importlib.util, traceback\n"
	"\n"
	"def load(kind, spec):\n"
	"    mod_part, _, func = spec.rpartition(':')\n"
	"    if kind == 'file':\n"
	"        path = os.path.abspath(mod_part)\n"
	"        if not os.path.isfile(path):\n"
	"            raise FileNotFoundError('no such file: %s' % mod_part)\n"
	"        sys.path.insert(0, os.path.dirname(path))\n"
	"        name = os.path.splitext(os.path.basename(path))[0]\n"
	"        if name in sys.modules or not name.isidentifier():\n"
	"            name = '__leakgate_target__'\n"
	"        spec_ = importlib.util.spec_from_file_location(name, path)\n"
	"        mod = importlib.util.module_from_spec(spec_)\n"
	"        sys.modules[name] = mod\n"
	"        spec_.loader.exec_module(mod)\n"
	"    else:\n"
	"        sys.path.insert(0, os.getcwd())\n"
	"        mod = importlib.import_module(mod_part)\n"
	"    try:\n"
	"        fn = getattr(mod, func)\n"
	"    except AttributeError:\n"
	"        raise AttributeError('%s has no function %r' % (mod_part, func)) from None\n"
	"    if not callable(fn):\n"
	"        raise TypeError('%s:%s is not callable' % (mod_part, func))\n"
	"    setup = getattr(mod, 'setup', None)\n"
	"    return fn, setup if callable(setup) else None\n"
	"\n"
	"def describe(exc):\n"
	"    if isinstance(exc, SystemExit):\n"
	"        return 'the workload called sys.exit(%r)\\n' % (exc.code,)\n"
	"    frames = [f for f in traceback.extract_tb(exc.__traceback__)\n"
	"              if not f.filename.startswith(('<leakgate', '<frozen importlib'))]\n"
	"    lines = traceback.format_exception_only(type(exc), exc)\n"
	"    if frames:\n"
	"        lines = ['Traceback (most recent call last):\\n'] + \\\n"
	"            traceback.format_list(frames) + lines\n"
	"    return ''.join(lines)\n"
	"\n"
	"def clear_caches():\n"
	"    # Only the standard library's bounded caches, as CPython's own leak hunting\n"
	"    # does (Lib/test/libregrtest/utils.py); never a user's.\n"
	"    # The type method cache holds strong references to the attribute names it\n"
	"    # caches (4096 slots): names built at run time fill it over hundreds of calls.\n"
	"    f = getattr(sys, '_clear_internal_caches', None) or \\\n"
	"        getattr(sys, '_clear_type_cache', None)\n"
	"    if f is not None:\n"
	"        f()\n"
	"    m = sys.modules\n"
	"    for name, attr in (('re', 'purge'), ('struct', '_clearcache'),\n"
	"                       ('urllib.parse', 'clear_cache'), ('linecache', 'clearcache'),\n"
	"                       ('copyreg', 'clear_extension_cache'), ('ctypes', '_reset_cache')):\n"
	"        mod = m.get(name)\n"
	"        f = getattr(mod, attr, None) if mod is not None else None\n"
	"        if f is not None:\n"
	"            f()\n"
	"    mod = m.get('fnmatch')\n"
	"    f = getattr(getattr(mod, '_compile_pattern', None), 'cache_clear', None)\n"
	"    if f is not None:\n"
	"        f()\n"
	"    mod = m.get('typing')\n"
	"    for f in getattr(mod, '_cleanups', ()):\n"
	"        f()\n";

int lg_worker_new(const lg_worker_opts *o, lg_worker **out)
{
	static const char *const argv[] = { "leakgate" };
	lg_worker *w;
	PyPreConfig pre;
	PyConfig config;
	PyStatus st;
	PyObject *code = NULL;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return LG_ENOMEM;

	PyPreConfig_InitPythonConfig(&pre);
	if (o && o->malloc_allocator)
		pre.allocator = PYMEM_ALLOCATOR_MALLOC;
	st = Py_PreInitialize(&pre);
	if (PyStatus_Exception(st))
		goto fail_pre;
	lg__hooks_install();

	PyConfig_InitPythonConfig(&config);
	config.parse_argv = 0;
	st = PyConfig_SetBytesString(&config, &config.program_name, LG_PYTHON_EXECUTABLE);
	if (PyStatus_Exception(st))
		goto fail_config;
	st = PyConfig_SetBytesArgv(&config, 1, (char *const *)argv);
	if (PyStatus_Exception(st))
		goto fail_config;
	st = Py_InitializeFromConfig(&config);
	if (PyStatus_Exception(st))
		goto fail_config;
	PyConfig_Clear(&config);

	w->boot = PyDict_New();
	if (!w->boot || PyDict_SetItemString(w->boot, "__builtins__", PyEval_GetBuiltins()))
		goto fail_boot;
	code = Py_CompileString(bootstrap, "<leakgate>", Py_file_input);
	if (!code)
		goto fail_boot;
	Py_XDECREF(PyEval_EvalCode(code, w->boot, w->boot));
	Py_DECREF(code);
	if (PyErr_Occurred())
		goto fail_boot;
	w->clear = PyDict_GetItemString(w->boot, "clear_caches");
	if (!w->clear)
		goto fail_boot;
	Py_INCREF(w->clear);
	w->totalrefs = PySys_GetObject("gettotalrefcount");
	Py_XINCREF(w->totalrefs);

	w->available = (1u << LG_PY_BLOCKS) | (1u << LG_PY_BYTES) | (1u << LG_GC_OBJECTS) |
		       (1u << LG_NATIVE_BYTES) | (1u << LG_RSS) | (1u << LG_FDS) |
		       (1u << LG_THREADS);
	if (w->totalrefs)
		w->available |= 1u << LG_REFS;
	{
		const char *v = Py_GetVersion();  /* "3.11.7 (main, ...) [GCC ...]" */

		snprintf(w->python, sizeof(w->python), "CPython %.*s", (int)strcspn(v, " "), v);
	}
	*out = w;
	return 0;

fail_boot:
	PyErr_Clear();
	Py_XDECREF(w->clear);
	Py_XDECREF(w->boot);
	free(w);
	return LG_EPYTHON;
fail_config:
	PyConfig_Clear(&config);
fail_pre:
	free(w);
	return LG_EPYTHON;
}

uint32_t lg_worker_available(const lg_worker *w)
{
	return w->available;
}

const void *lg_worker_target(const lg_worker *w)
{
	return w->func ? (const void *)w->func : (const void *)w->code;
}

const char *lg_worker_python(const lg_worker *w)
{
	return w->python;
}

/* Turns the pending Python exception into an error code and a message for the caller:
 * the traceback, or what sys.exit() was called with. */
static int take_exception(lg_worker *w, int fallback, char **msg)
{
	PyObject *type, *value, *tb, *describe, *text;
	int err = fallback;

	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	if (value && tb)
		PyException_SetTraceback(value, tb);
	if (type && PyErr_GivenExceptionMatches(type, PyExc_SystemExit))
		err = LG_EEXIT;
	else if (type && PyErr_GivenExceptionMatches(type, PyExc_KeyboardInterrupt))
		err = LG_EINTR;
	if (msg) {
		*msg = NULL;
		describe = PyDict_GetItemString(w->boot, "describe");
		text = describe && value ?
			PyObject_CallFunctionObjArgs(describe, value, NULL) : NULL;
		if (text && PyUnicode_Check(text)) {
			const char *s = PyUnicode_AsUTF8(text);

			*msg = s ? strdup(s) : NULL;
		}
		Py_XDECREF(text);
		PyErr_Clear();
	}
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
	return err;
}

int lg_worker_load(lg_worker *w, const lg_target *t, char **msg)
{
	PyObject *load, *pair, *setup, *r;

	if (msg)
		*msg = NULL;
	if (t->kind == LG_TARGET_CODE) {
		w->code = Py_CompileString(t->spec, "<string>", Py_file_input);
		w->main_name = PyUnicode_InternFromString("__main__");
		return w->code ? 0 : take_exception(w, LG_ELOAD, msg);
	}
	load = PyDict_GetItemString(w->boot, "load");
	pair = PyObject_CallFunction(load, "ss",
				     t->kind == LG_TARGET_FILE ? "file" : "module", t->spec);
	if (!pair)
		return take_exception(w, LG_ELOAD, msg);
	w->func = PyTuple_GET_ITEM(pair, 0);
	setup = PyTuple_GET_ITEM(pair, 1);
	Py_INCREF(w->func);
	Py_INCREF(setup);
	Py_DECREF(pair);
	if (setup == Py_None) {
		Py_DECREF(setup);
		return 0;
	}
	r = PyObject_CallObject(setup, NULL);
	Py_DECREF(setup);
	if (!r)
		return take_exception(w, LG_ERAISE, msg);
	Py_DECREF(r);
	return 0;
}

int lg_worker_call(lg_worker *w, char **msg)
{
	PyObject *r;

	if (msg)
		*msg = NULL;
	if (w->code) {
		/* -c code runs in a fresh namespace each time. */
		PyObject *ns = PyDict_New();

		if (!ns)
			return take_exception(w, LG_ERAISE, msg);
		if (PyDict_SetItemString(ns, "__name__", w->main_name) < 0 ||
		    PyDict_SetItemString(ns, "__builtins__", PyEval_GetBuiltins()) < 0) {
			Py_DECREF(ns);
			return take_exception(w, LG_ERAISE, msg);
		}
		r = PyEval_EvalCode(w->code, ns, ns);
		PyDict_Clear(ns);
		Py_DECREF(ns);
	} else {
		r = PyObject_CallObject(w->func, NULL);
	}
	if (!r)
		return take_exception(w, LG_ERAISE, msg);
	Py_DECREF(r);
	return 0;
}

int lg_worker_snapshot(lg_worker *w, lg_sample *out)
{
	struct lg__pymem_counts pm;
	PyObject *r;
	int i;

	memset(out->value, 0, sizeof(out->value));
	r = PyObject_CallObject(w->clear, NULL);
	if (!r)
		PyErr_Clear();
	Py_XDECREF(r);

	/* One full collection per snapshot: garbage a collection leaves for the next one is
	 * the same every iteration, so it shifts the series without tilting it. The first
	 * snapshot repeats until nothing more is found, to start from a clean heap. */
	for (i = 0; PyGC_Collect() > 0 && !w->collected_once && i < 4; i++)
		;
	w->collected_once = 1;

	/* Allocator counters first: nothing before them may allocate. */
	lg__hooks_read(&pm);
	out->value[LG_PY_BLOCKS] = pm.blocks;
	out->value[LG_PY_BYTES] = pm.bytes;
	out->value[LG_NATIVE_BYTES] = lg__native_bytes();
	out->value[LG_RSS] = lg__rss_bytes();
	out->value[LG_FDS] = lg__count_fds();
	out->value[LG_THREADS] = lg__count_threads();

	out->value[LG_GC_OBJECTS] = lg__gc_objects();
	if (w->totalrefs) {
		r = PyObject_CallObject(w->totalrefs, NULL);
		if (r) {
			out->value[LG_REFS] = PyLong_AsLongLong(r);
			Py_DECREF(r);
		}
		PyErr_Clear();
	}
	return 0;
}

void lg_worker_free(lg_worker *w)
{
	PyObject *f;

	if (!w)
		return;
	f = PySys_GetObject("stdout");
	if (f)
		Py_XDECREF(PyObject_CallMethod(f, "flush", NULL));
	f = PySys_GetObject("stderr");
	if (f)
		Py_XDECREF(PyObject_CallMethod(f, "flush", NULL));
	PyErr_Clear();
	free(w);
}
