/* worker/interp.c: the embedded interpreter that runs one target: CPython set-up with the
 * counting hooks, target resolution, one call per iteration, and the snapshot. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <marshal.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "worker.h"
#include "leakgate.h"

#ifndef LG_PYTHON_EXECUTABLE
#define LG_PYTHON_EXECUTABLE "python3"
#endif

/*
 * When an exact reading is costly (a collection of the whole heap, a walk of the
 * permanent generation), growing snapshots take one only now and then, and the readings
 * skipped in between are unproven until the next (collect_whole and gc_reading say why
 * that is sound): the walk on a spacing that doubles each time one finds nothing to
 * correct (proof_due), the whole-heap collection where the verdict can fail (whole_due).
 * The first exact reading that corrects something ends that: every growing snapshot takes
 * one from then on, and the unproven ones before it are marked possibly inflated.
 */
struct proof {
	uint32_t spacing;    /* an exact reading every `spacing` growing snapshots */
	uint32_t growing;    /* growing snapshots since the last exact reading */
	uint32_t skipped;    /* the last growing snapshot read without one since, 0 none */
	uint32_t inflated;   /* the last snapshot that may have read too much */
	int exact;           /* a correction was found: every growing snapshot has one */
	int taken;           /* an exact reading was taken */
};

/* A growing snapshot, number `snapshot` (from 1): 1 when it must take the exact reading,
 * else it stays unproven. */
static int proof_due(struct proof *p, uint32_t snapshot)
{
	if (p->exact || ++p->growing >= p->spacing)
		return 1;
	p->skipped = snapshot;
	return 0;
}

/* An exact reading was taken: `corrected` when it found the skipped readings too high;
 * `doubling` when it was taken on the spacing (one asked for otherwise does not stretch
 * it). */
static void proof_taken(struct proof *p, int corrected, int doubling)
{
	if (corrected) {
		if (p->skipped > p->inflated)
			p->inflated = p->skipped;
		p->exact = 1;
	} else if (doubling && p->spacing < UINT32_MAX / 2) {
		p->spacing *= 2;
	}
	p->growing = 0;
	p->skipped = 0;
	p->taken = 1;
}

/* Whether snapshot number `snapshot` (from 1) takes the whole-heap collection: a growing
 * one when it is the first to grow (frozen garbage made at every call, the common kind, is
 * found there, before any window is judged on it) or once a correction was found; and the
 * last of a span (`span_end`), growing or not, when a growing one since the last
 * collection went unproven, since a decision to fail is taken there and compares that
 * sample with the span's first (README, "How the verdict decides"). Other growing
 * snapshots stay unproven; the check before a leak verdict stands proves them
 * (lg_worker_confirm), and none is left to prove when the verdict falls at a span's end. */
static int whole_due(struct proof *p, uint32_t snapshot, int growing, int span_end)
{
	if (growing && (p->exact || !p->taken))
		return 1;
	if (span_end && (growing || p->skipped))
		return 1;
	if (growing)
		p->skipped = snapshot;
	return 0;
}

struct lg_worker {
	PyObject *boot;      /* the bootstrap module's namespace */
	PyObject *func;      /* the workload, or NULL for -c code */
	PyObject *code;      /* compiled -c code */
	PyObject *clear;     /* clears the standard library's bounded caches */
	PyObject *totalrefs; /* sys.gettotalrefcount on debug builds */
	PyObject *main_name; /* "__main__", for -c code */
	PyObject *attr;      /* attribute.py's namespace, once attribution ran */
	PyObject *pytest;    /* pytest_driver.py's namespace, for --pytest */
	PyObject *gc_freeze;   /* gc.freeze and gc.unfreeze */
	PyObject *gc_unfreeze;
	int frozen;          /* 0 not frozen (before the first call, or after attribution:
			      * the next call freezes), 1 frozen, 2 in attribution */
	int64_t last_blocks; /* the last snapshot's py_blocks and py_bytes; -1 before one */
	int64_t last_bytes;
	/* Whole-heap collections of growing snapshots (collect_whole); a correction is
	 * frozen garbage found, which the allocator counters had counted: */
	struct proof whole;
	/* Walks of the permanent generation for gc_objects (gc_reading); a correction is
	 * frozen objects gone, which gc_objects had counted: */
	struct proof walk;
	int64_t gc_frozen;   /* its size at the last walk; -1: walk at the next reading */
	int64_t gc_young;    /* the other generations' size at the last reading */
	uint32_t available;
	int collected_once;
	int valgrind;        /* under memcheck: its leak counters are read */
	uint32_t snapshots;  /* taken so far; numbers the markers in Valgrind's log */
	uint32_t attr_remaining;   /* lg__worker_attribute_limits: calls left, 0 unknown */
	uint32_t attr_deadline_ms; /* and attribution's deadline, 0 none */
	uint32_t attr_traced;      /* and the calls it traces, 0 its own choice */
	int baselined;       /* memcheck's baseline search is done */
	char python[64];
};

/* The bootstrap (bootstrap.py), as a C string and as its code object marshalled by the
 * build's CPython (generated by the Makefile): compiling it took 1.7 ms of every run. */
static const char bootstrap_py[] =
#include "bootstrap_py.h"
	;
static const unsigned char bootstrap_pyc[] = {
#include "bootstrap_pyc.h"
};

static int worker_made;  /* lg_worker_new ran in this process */

#if PY_VERSION_HEX < 0x030A0000
/*
 * CPython 3.8 and 3.9 give a code object a LOAD_GLOBAL cache (two PyMem blocks) on its
 * 1024th run, as 3.10 does (see the bootstrap), but have no switch to turn it off. A code
 * object's run count is co_opcache_flag, and the eval loop only counts while it is below
 * that threshold: one set to it with no cache is what CPython itself leaves for a code
 * that has no LOAD_GLOBAL, so it never gets one. The worker sets it on every code object
 * alive when it starts and on every one that builtin exec() runs afterwards (imports,
 * pytest's rewritten test modules, code generators), nested ones included, through an
 * audit hook on "exec". Code made and called without exec() keeps its cache (rare).
 */
#define OPCACHE_MIN_RUNS 1024  /* ceval.c's, in 3.8 and 3.9 */

static void opcache_off(PyObject *code, int depth)
{
	PyCodeObject *co = (PyCodeObject *)code;
	Py_ssize_t i;

	if (!PyCode_Check(code) || depth > 64)
		return;
	if (!co->co_opcache && co->co_opcache_flag < OPCACHE_MIN_RUNS)
		co->co_opcache_flag = OPCACHE_MIN_RUNS;
	if (!co->co_consts || !PyTuple_Check(co->co_consts))
		return;
	for (i = 0; i < PyTuple_GET_SIZE(co->co_consts); i++)
		opcache_off(PyTuple_GET_ITEM(co->co_consts, i), depth + 1);
}

static int opcache_off_on_exec(const char *event, PyObject *args, void *unused)
{
	(void)unused;
	if (strcmp(event, "exec") == 0 && PyTuple_Check(args) && PyTuple_GET_SIZE(args) > 0)
		opcache_off(PyTuple_GET_ITEM(args, 0), 0);
	return 0;
}

/* 0, or -1 with a Python exception set. */
static int opcache_off_everywhere(void)
{
	PyObject *gc, *all;
	Py_ssize_t i;

	if (PySys_AddAuditHook(opcache_off_on_exec, NULL) < 0)
		return -1;
	gc = PyImport_ImportModule("gc");
	all = gc ? PyObject_CallMethod(gc, "get_objects", NULL) : NULL;
	Py_XDECREF(gc);
	if (!all)
		return -1;
	for (i = 0; i < PyList_GET_SIZE(all); i++) {
		PyObject *o = PyList_GET_ITEM(all, i);

		if (PyFunction_Check(o))
			opcache_off(PyFunction_GET_CODE(o), 0);
	}
	Py_DECREF(all);
	return 0;
}
#else
static int opcache_off_everywhere(void)
{
	return 0;  /* 3.10: sys._deactivate_opcache() in the bootstrap; 3.11 on: none */
}
#endif

static PyObject *exec_embedded(const char *source, const unsigned char *pyc, size_t len,
			       const char *filename, const char *name, PyObject *runner);

int lg_worker_new(const lg_worker_opts *o, lg_worker **out)
{
	static const char *const argv[] = { "leakgate" };
	lg_worker *w;
	PyPreConfig pre;
	PyConfig config;
	PyStatus st;

	*out = NULL;
	/* One per process: CPython and the hooks go in once (a second Py_PreInitialize after
	 * the hooks, or over a live interpreter, crashes). */
	if (worker_made || Py_IsInitialized())
		return LG_EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return LG_ENOMEM;
	worker_made = 1;

	/* Under Valgrind, pymalloc's arenas would hide every object from memcheck: the
	 * malloc allocator, whatever was asked. */
	w->valgrind = lg__vg_running();
	PyPreConfig_InitPythonConfig(&pre);
	if ((o && o->malloc_allocator) || w->valgrind)
		pre.allocator = PYMEM_ALLOCATOR_MALLOC;
	st = Py_PreInitialize(&pre);
	if (PyStatus_Exception(st))
		goto fail_pre;
	lg__hooks_install(!w->valgrind && !(o && o->malloc_allocator));

	PyConfig_InitPythonConfig(&config);
	config.parse_argv = 0;
	/* The prefix, sys.executable and, through site, a venv's packages follow from it. */
	st = PyConfig_SetBytesString(&config, &config.program_name,
				     o && o->executable ? o->executable : LG_PYTHON_EXECUTABLE);
	if (PyStatus_Exception(st))
		goto fail_config;
	st = PyConfig_SetBytesArgv(&config, 1, (char *const *)argv);
	if (PyStatus_Exception(st))
		goto fail_config;
	st = Py_InitializeFromConfig(&config);
	if (PyStatus_Exception(st))
		goto fail_config;
	PyConfig_Clear(&config);

	if (opcache_off_everywhere() < 0)
		goto fail_boot;
	w->boot = exec_embedded(bootstrap_py, bootstrap_pyc, sizeof(bootstrap_pyc), "<leakgate>",
				"leakgate_bootstrap", NULL);
	if (!w->boot)
		goto fail_boot;
	w->clear = PyDict_GetItemString(w->boot, "clear_caches");
	if (!w->clear)
		goto fail_boot;
	Py_INCREF(w->clear);
	w->totalrefs = PySys_GetObject("gettotalrefcount");
	Py_XINCREF(w->totalrefs);
	{
		PyObject *gc = PyImport_ImportModule("gc");

		w->gc_freeze = gc ? PyObject_GetAttrString(gc, "freeze") : NULL;
		w->gc_unfreeze = gc ? PyObject_GetAttrString(gc, "unfreeze") : NULL;
		Py_XDECREF(gc);
		w->last_blocks = w->last_bytes = -1;
		w->gc_frozen = -1;
		w->walk.spacing = 1;
		if (!w->gc_freeze || !w->gc_unfreeze)
			goto fail_boot;
	}

	w->available = (1u << LG_PY_BLOCKS) | (1u << LG_PY_BYTES) | (1u << LG_GC_OBJECTS) |
		       (1u << LG_NATIVE_BYTES) | (1u << LG_RSS) | (1u << LG_FDS) |
		       (1u << LG_THREADS) | (1u << LG_CHILDREN);
	if (w->totalrefs)
		w->available |= 1u << LG_REFS;
#if defined(__SANITIZE_ADDRESS__)
	/* ASan's allocator replaces glibc's: mallinfo2() sees none of the heap. */
	w->available &= ~(1u << LG_NATIVE_BYTES);
#endif
	if (w->valgrind) {
		/* memcheck replaces malloc: glibc's mallinfo2 sees none of the heap. */
		w->available &= ~(1u << LG_NATIVE_BYTES);
		w->available |= (1u << LG_VG_DEFINITE) | (1u << LG_VG_DEFINITE_BLOCKS) |
				(1u << LG_VG_POSSIBLE) | (1u << LG_VG_POSSIBLE_BLOCKS);
		/* The indirect losses come from memcheck's log, when the gate named it. */
		if (lg__vg_log_open() == 0)
			w->available |= 1u << LG_VG_INDIRECT;
	}
	{
		const char *v = Py_GetVersion();  /* "3.11.7 (main, ...) [GCC ...]" */

		snprintf(w->python, sizeof(w->python), "CPython %.*s", (int)strcspn(v, " "), v);
	}
	*out = w;
	return 0;

fail_boot:
	PyErr_Clear();
	Py_XDECREF(w->gc_freeze);
	Py_XDECREF(w->gc_unfreeze);
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

/* Whether an exception is pytest_driver's Outcome(kind, ...). */
static int is_outcome(PyObject *value, const char *kind)
{
	PyObject *k = PyObject_GetAttrString(value, "kind");
	int r = k && PyUnicode_Check(k) && PyUnicode_CompareWithASCIIString(k, kind) == 0;

	Py_XDECREF(k);
	PyErr_Clear();
	return r;
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
	else if (value && is_outcome(value, "skip"))
		err = LG_ESKIP;
	else if (value && is_outcome(value, "internal"))
		err = LG_EPYTHON;  /* the driver cannot work with this pytest: exit 3 */
	else if (type && PyErr_GivenExceptionMatches(type, PyExc_KeyboardInterrupt))
		err = LG_EINTR;
	if (msg) {
		*msg = NULL;
		describe = PyDict_GetItemString(w->boot, "describe");
		text = describe && value ?
			PyObject_CallFunctionObjArgs(describe, value, NULL) : NULL;
		if (text && PyUnicode_Check(text)) {
			/* A file name that is not UTF-8 holds lone surrogates: escaped. */
			PyObject *b = PyUnicode_AsEncodedString(text, "utf-8", "backslashreplace");

			*msg = b ? strdup(PyBytes_AS_STRING(b)) : NULL;
			Py_XDECREF(b);
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
	PyObject *load, *pair, *setup, *r, *spec;

	if (msg)
		*msg = NULL;
	if (t->kind == LG_TARGET_CODE) {
		w->code = Py_CompileString(t->spec, "<string>", Py_file_input);
		w->main_name = PyUnicode_InternFromString("__main__");
		return w->code ? 0 : take_exception(w, LG_ELOAD, msg);
	}
	load = PyDict_GetItemString(w->boot, "load");
	/* The spec names a file as the file system does: decoded as os.fsdecode() would
	 * (surrogateescape), so that a name that is not UTF-8 opens all the same. */
	spec = PyUnicode_DecodeFSDefault(t->spec);
	pair = spec ? PyObject_CallFunction(load, "sO",
					    t->kind == LG_TARGET_FILE ? "file" : "module", spec) :
		      NULL;
	Py_XDECREF(spec);
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

/* Collects only what is new: everything alive before the first call (the interpreter, the
 * imports, the target and its setup()) moves into the collector's permanent generation
 * (gc.freeze()), so each full collection walks what the workload made since, not the
 * heap. A full collection first, so that no garbage is frozen. What this costs: a garbage
 * cycle that includes a frozen object is not collected while frozen, so a snapshot may
 * read more than is alive; whole-heap collections of growing snapshots
 * (lg_worker_snapshot) and the check before a leak verdict stands (lg_worker_confirm)
 * keep such garbage from ever reading as growth. Attribution thaws the heap for its
 * census and referrer graph, which must see every object (attribute.py); it is frozen
 * again before the next call. */
static void freeze_heap(lg_worker *w, int settle)
{
	int i;

	/* Before the first call, until nothing more is found; later, once (what a snapshot
	 * costs without freezing). */
	for (i = 0; PyGC_Collect() > 0 && settle && i < 4; i++)
		;
	Py_XDECREF(PyObject_CallObject(w->gc_freeze, NULL));
	PyErr_Clear();
	/* A collection of the now empty generations refreshes the collector's tally of the
	 * oldest one, which lg__gc_objects reads (before 3.12). */
	PyGC_Collect();
	lg__gc_objects_moved();
	w->gc_frozen = -1;
	w->frozen = 1;
}

int lg_worker_call(lg_worker *w, char **msg)
{
	PyObject *r;

	if (msg)
		*msg = NULL;
	if (!w->frozen)
		freeze_heap(w, 1);
	if (w->valgrind && !w->baselined) {
		lg__vg_baseline();  /* before the first call: load and setup() are not judged */
		w->baselined = 1;
	}
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
	if (w->valgrind)
		lg__vg_scrub_stack();  /* no stale address of the call's below this frame */
	if (!r)
		return take_exception(w, LG_ERAISE, msg);
	Py_DECREF(r);
	return 0;
}

/*
 * Thaws the heap, collects all of it, freezes it again and reads the allocator counters
 * afresh into *pm: what it frees beyond the last read is garbage the frozen heap kept.
 *
 * Why growing snapshots may skip it. Frozen garbage only accumulates between two such
 * collections: no other collection looks inside the permanent generation, so nothing else
 * frees it (a weak reference can revive it, which makes it alive, not garbage). So when a
 * whole-heap collection frees nothing, no snapshot since the one before it counted any,
 * and every one of them read the truth. So growing snapshots collect the whole heap
 * where the verdict needs the truth (whole_due): the first, and the last of each span of
 * the schedule, where a decision to fail compares it with the span's first: a leak that
 * grows from its first judged call and fails at call 150 pays four collections of the
 * whole heap (calls 11, 30, 70 and 150, with the defaults), where a spacing that doubled
 * paid eight. The first collection that frees something ends that for good: every growing
 * snapshot after it collects the whole heap, and the skipped snapshots before it are
 * marked as possibly inflated (struct proof). The snapshots skipped since the last
 * collection are unproven until the next one; the supervisor asks for that one before a
 * leak verdict stands (lg_worker_confirm), and judges afresh when it finds any snapshot it
 * judged unproven.
 */
/* Why the permanent generation is walked (gc_walk): to refresh a reading that is not
 * judged, to prove the readings skipped since the last walk, or on the spacing. */
enum { GC_REFRESH, GC_CHECK, GC_SCHEDULED };
static void gc_walk(lg_worker *w, int why);

static void collect_whole(lg_worker *w, struct lg__pymem_counts *pm)
{
	struct lg__pymem_counts before = *pm;

	/* The gc_objects readings unproven since the last walk are proven (or not) first:
	 * the freeze after makes a new permanent generation. */
	if (w->walk.skipped)
		gc_walk(w, GC_CHECK);
	Py_XDECREF(PyObject_CallObject(w->gc_unfreeze, NULL));
	PyErr_Clear();
	freeze_heap(w, 0);
	lg__hooks_read(pm);
	proof_taken(&w->whole, pm->blocks < before.blocks || pm->bytes < before.bytes, 0);
}

int lg_worker_confirm(lg_worker *w, uint32_t *inflated, uint32_t *gc_inflated)
{
	struct lg__pymem_counts pm;

	if (w->frozen == 1 && w->whole.skipped) {
		/* What the young generations hold is no frozen garbage. */
		PyGC_Collect();
		lg__hooks_read(&pm);
		collect_whole(w, &pm);
		/* The next snapshot compares with what is alive now. */
		w->last_blocks = pm.blocks;
		w->last_bytes = pm.bytes;
	}
	if (w->frozen == 1 && w->walk.skipped)
		gc_walk(w, GC_CHECK);
	*inflated = w->whole.inflated;
	*gc_inflated = w->walk.inflated;
	return 0;
}

/*
 * gc_objects without a walk of the permanent generation at every snapshot. Objects enter it
 * only through gc.freeze() (the worker's own, after which the next reading walks it;
 * gcmodule.c, 3.8 to 3.13: nothing else adds to it, but 3.12's collections, which leave a
 * few hundred of the interpreter's own objects there, made before the first call) and leave
 * it by dying, being untracked, or gc.unfreeze(); so between walks the reading (the other
 * generations, counted exactly, plus the permanent one as last walked) is the truth or
 * more, by the frozen objects gone since. A reading that did not grow is no growth, then.
 * One that grew may be growth read through such deaths (a call that replaces an old object
 * by a new one reads +1), unproven until a walk; it gets one on a doubling spacing, as the
 * whole-heap collections do (collect_whole) and for the same reason: deaths only add up
 * between walks, so a walk that finds none proves every reading since the one before. The
 * first walk that finds frozen objects gone ends the doubling for good (every growing
 * reading walks after it) and marks the readings it did not prove as possibly inflated
 * (gc_objects alone, since a frozen object gone is no block miscounted),
 * which the supervisor asks about before a leak verdict on gc_objects stands
 * (lg_worker_confirm walks, too, when any reading is unproven). A leak of n calls pays
 * about log2(n) walks, not n. Warm-up readings are not judged: they walk when they grow, as
 * does every reading while the heap is not frozen.
 */
static void gc_walk(lg_worker *w, int why)
{
	int64_t frozen = lg__gc_frozen();

	/* A refresh is not judged: what died in the warm-up says nothing of the judged
	 * calls. */
	proof_taken(&w->walk, why != GC_REFRESH && frozen < w->gc_frozen, why == GC_SCHEDULED);
	w->gc_frozen = frozen;
}

static int64_t gc_reading(lg_worker *w, int judged)
{
	int64_t young = lg__gc_young();

	/* NEEDSWORK: where CPython's visitor walks the permanent generation too (3.12+ with
	 * gh-131740), the other generations cannot be counted apart from it through the API,
	 * and every reading walks all of it. */
	if (young < 0)
		return lg__gc_objects();
	if (w->gc_frozen < 0) {
		w->gc_frozen = lg__gc_frozen();
		proof_taken(&w->walk, 0, 0);  /* a walk, the first since the freeze */
	} else if (young > w->gc_young) {
		if (!judged || w->frozen != 1)
			gc_walk(w, GC_REFRESH);
		else if (proof_due(&w->walk, w->snapshots + 1))
			gc_walk(w, GC_SCHEDULED);
	}
	w->gc_young = young;
	return young + w->gc_frozen;
}

int lg__worker_sample(lg_worker *w, lg_sample *out, int kind)
{
	int judged = kind != LG__SAMPLE_WARMUP;
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
	/* What looks like growth may be garbage the frozen heap keeps: a cycle through an
	 * object frozen earlier is not collected while frozen. A flat workload never pays
	 * for that question; a growing one would pay a collection of the whole heap at every
	 * snapshot if each asked it, so only those the verdict needs ask it (whole_due).
	 * A warm-up sample is never judged: it goes unchecked, which matters where the heap
	 * was frozen in --pytest's fork server, as a collection of the whole of it copies
	 * every page of that heap into the worker (tens of milliseconds a test, for the
	 * caches a test's first calls fill). Garbage it may hold is no growth to the first
	 * judged sample, which is compared with it: only garbage that keeps adding up reads
	 * as growth, and that sample is then checked. */
	if (judged && w->frozen == 1 && w->last_blocks >= 0 &&
	    whole_due(&w->whole, w->snapshots + 1,
		      pm.blocks > w->last_blocks || pm.bytes > w->last_bytes,
		      kind == LG__SAMPLE_SPAN_END))
		collect_whole(w, &pm);
	w->last_blocks = pm.blocks;
	w->last_bytes = pm.bytes;
	out->value[LG_PY_BLOCKS] = pm.blocks;
	out->value[LG_PY_BYTES] = pm.bytes;
	out->value[LG_NATIVE_BYTES] = lg__native_bytes();
	lg__rss_threads(&out->value[LG_RSS], &out->value[LG_THREADS]);
	out->value[LG_FDS] = lg__count_fds();
	out->value[LG_CHILDREN] = lg__count_children();

	out->value[LG_GC_OBJECTS] = gc_reading(w, judged);
	if (w->totalrefs) {
		r = PyObject_CallObject(w->totalrefs, NULL);
		if (r) {
			out->value[LG_REFS] = PyLong_AsLongLong(r);
			Py_DECREF(r);
		}
		PyErr_Clear();
	}
	w->snapshots++;
	if (w->valgrind)
		lg__vg_snapshot(w->snapshots, out->value);
	return 0;
}

int lg_worker_snapshot(lg_worker *w, lg_sample *out)
{
	return lg__worker_sample(w, out, LG__SAMPLE_JUDGED);
}

/* attribute.py and pytest_driver.py, as C strings and as their code objects marshalled by
 * the build's CPython (generated by the Makefile). */
static const char attribute_py[] =
#include "attribute_py.h"
	;
static const unsigned char attribute_pyc[] = {
#include "attribute_pyc.h"
};
static const char pytest_driver_py[] =
#include "pytest_driver_py.h"
	;
static const unsigned char pytest_driver_pyc[] = {
#include "pytest_driver_pyc.h"
};

/* A Python callable for attribute.py: one call of the workload, raising RuntimeError
 * with the workload's own traceback text when it fails. */
static PyObject *call_once(PyObject *capsule, PyObject *unused)
{
	lg_worker *w = PyCapsule_GetPointer(capsule, "leakgate.worker");
	char *msg = NULL;

	(void)unused;
	if (!w)
		return NULL;
	if (lg_worker_call(w, &msg)) {
		PyErr_SetString(PyExc_RuntimeError, msg ? msg : "the workload failed");
		free(msg);
		return NULL;
	}
	Py_RETURN_NONE;
}

static PyMethodDef call_once_def = { "call", call_once, METH_NOARGS, NULL };

/* Runs embedded Python in a namespace of its own: its code as the build compiled it
 * (pyc, len), or else its source compiled here; through runner(exec, code, ns) when
 * runner is not NULL. A new reference, or NULL with the exception set. */
static PyObject *exec_embedded(const char *source, const unsigned char *pyc, size_t len,
			       const char *filename, const char *name, PyObject *runner)
{
	PyObject *ns = PyDict_New(), *code, *r, *n = PyUnicode_FromString(name);

	if (!ns || !n || PyDict_SetItemString(ns, "__builtins__", PyEval_GetBuiltins()) < 0 ||
	    PyDict_SetItemString(ns, "__name__", n) < 0)
		goto fail;
	Py_CLEAR(n);
	/* The build's CPython is this one's version (marshal's format is a minor version's). */
	code = PyMarshal_ReadObjectFromString((const char *)pyc, (Py_ssize_t)len);
	if (!code || !PyCode_Check(code)) {
		PyErr_Clear();
		Py_XDECREF(code);
		code = Py_CompileString(source, filename, Py_file_input);
	}
	if (!code)
		goto fail;
	if (runner)
		r = PyObject_CallFunctionObjArgs(runner, PyDict_GetItemString(PyEval_GetBuiltins(),
									    "exec"), code, ns, NULL);
	else
		r = PyEval_EvalCode(code, ns, ns);
	Py_DECREF(code);
	if (!r)
		goto fail;
	Py_DECREF(r);
	return ns;
fail:
	Py_XDECREF(n);
	Py_XDECREF(ns);
	return NULL;
}

int lg_worker_precompiled(void)
{
	const unsigned char *pyc[] = { attribute_pyc, pytest_driver_pyc };
	size_t len[] = { sizeof(attribute_pyc), sizeof(pytest_driver_pyc) };
	int i, n = 0;

	for (i = 0; i < 2; i++) {
		PyObject *code = PyMarshal_ReadObjectFromString((const char *)pyc[i],
								  (Py_ssize_t)len[i]);

		n += code && PyCode_Check(code);
		Py_XDECREF(code);
		PyErr_Clear();
	}
	return n;
}

/* Loads attribute.py, with the C half as `_lg`: its imports are the standard library's,
 * whatever the target's directory holds (the bootstrap's on_stdlib_path). */
static int load_attribution(lg_worker *w)
{
	PyObject *ns = exec_embedded(attribute_py, attribute_pyc, sizeof(attribute_pyc),
				    "<leakgate-attribute>", "_leakgate_attribute",
				    PyDict_GetItemString(w->boot, "on_stdlib_path"));
	PyObject *mod = ns ? lg__attribute_module() : NULL;

	if (!mod || PyDict_SetItemString(ns, "_lg", mod) < 0) {
		Py_XDECREF(mod);
		Py_XDECREF(ns);
		return -1;
	}
	Py_DECREF(mod);
	w->attr = ns;
	return 0;
}

/* Copies a str item of a tuple into *out (NULL if it is not a str). */
static int take_str(PyObject *tuple, Py_ssize_t i, char **out)
{
	const char *s = PyUnicode_AsUTF8(PyTuple_GET_ITEM(tuple, i));

	*out = s ? strdup(s) : NULL;
	return *out ? 0 : -1;
}

void lg__worker_attribute_limits(lg_worker *w, uint32_t remaining, uint32_t deadline_ms,
				 uint32_t traced)
{
	w->attr_remaining = remaining;
	w->attr_deadline_ms = deadline_ms;
	w->attr_traced = traced;
}

int lg_worker_attribute(lg_worker *w, unsigned iterations, uint32_t failed,
			lg_attribution *out, char **msg)
{
	PyObject *fn, *capsule = NULL, *call = NULL, *names = NULL, *r = NULL, *left = NULL;
	PyObject *seconds = NULL;
	int err = LG_EPYTHON, c;

	memset(out, 0, sizeof(*out));
	if (msg)
		*msg = NULL;
	if (!iterations)
		return LG_EINVAL;
	if (!w->attr && load_attribution(w) < 0)
		return take_exception(w, LG_EPYTHON, msg);
	fn = PyDict_GetItemString(w->attr, "attribute");
	capsule = PyCapsule_New(w, "leakgate.worker", NULL);
	call = capsule ? PyCFunction_New(&call_once_def, capsule) : NULL;
	names = PyList_New(0);
	for (c = 0; names && c < LG_NCOUNTERS; c++) {
		PyObject *name;

		if (!(failed & (1u << c)))
			continue;
		name = PyUnicode_FromString(lg_counter_name((lg_counter)c));
		if (!name || PyList_Append(names, name) < 0)
			Py_CLEAR(names);
		Py_XDECREF(name);
	}
	/* attribute.py thaws the heap for its census; the calls must not freeze it. */
	w->frozen = 2;
	/* Under tracemalloc, which attribute() starts: the hooks come off in reverse order. */
	lg__record_open();
	if (w->attr_remaining) {
		left = PyLong_FromUnsignedLong(w->attr_remaining);
	} else {
		left = Py_None;
		Py_INCREF(left);
	}
	if (w->attr_deadline_ms) {
		seconds = PyFloat_FromDouble(w->attr_deadline_ms / 1000.0);
	} else {
		seconds = Py_None;
		Py_INCREF(seconds);
	}
	if (fn && call && names && left && seconds)
		r = PyObject_CallFunction(fn, "OOOIOOOI", PyDict_GetItemString(w->attr, "_lg"),
					  call, w->clear, iterations, names, left, seconds,
					  (unsigned)w->attr_traced);
	if (!r || !PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 4) {
		if (!PyErr_Occurred())
			PyErr_SetString(PyExc_TypeError, "attribute() returned a bad result");
		err = take_exception(w, LG_EPYTHON, msg);
		goto done;
	}
	{
		const char *state = PyUnicode_AsUTF8(PyTuple_GET_ITEM(r, 0));

		out->state = !state ? LG_ATTR_LEAK : !strcmp(state, "bounded") ? LG_ATTR_BOUNDED :
			     !strcmp(state, "stopped") ? LG_ATTR_STOPPED :
			     !strcmp(state, "tombstones") ? LG_ATTR_TOMBSTONES : LG_ATTR_LEAK;
		PyErr_Clear();
	}
	if (take_str(r, 1, &out->text) || take_str(r, 2, &out->json) ||
	    take_str(r, 3, &out->dot)) {
		lg_attribution_release(out);
		err = take_exception(w, LG_ENOMEM, msg);
		goto done;
	}
	err = 0;
done:
	lg__record_clear();
	/* attribute.py leaves the heap thawed: the next call freezes it again, as the first
	 * did (lg_worker_call), so that a run that ends with its leak verdict, which is most
	 * that attribute, does not pay for a freeze it never uses. */
	if (w->frozen == 2)
		w->frozen = 0;
	Py_XDECREF(r);
	Py_XDECREF(left);
	Py_XDECREF(seconds);
	Py_XDECREF(names);
	Py_XDECREF(call);
	Py_XDECREF(capsule);
	return err;
}

size_t lg__attribution_suspects(const lg_worker *w, lg_suspect *out, size_t cap)
{
	PyObject *list = w->attr ? PyDict_GetItemString(w->attr, "SUSPECTS") : NULL;
	Py_ssize_t i;
	size_t n = 0;

	for (i = 0; list && PyList_Check(list) && i < PyList_GET_SIZE(list) && n < cap; i++) {
		PyObject *pair = PyList_GET_ITEM(list, i);
		const char *label;

		if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2)
			continue;
		label = PyUnicode_AsUTF8(PyTuple_GET_ITEM(pair, 0));
		if (!label) {
			PyErr_Clear();
			continue;
		}
		out[n++] = (lg_suspect){ PyTuple_GET_ITEM(pair, 1), label };
	}
	return n;
}

void lg_attribution_release(lg_attribution *a)
{
	if (!a)
		return;
	free(a->text);
	free(a->json);
	free(a->dot);
	memset(a, 0, sizeof(*a));
}

/* --pytest: the driver is loaded on first use; pytest must be importable. */
static int load_pytest(lg_worker *w, char **msg)
{
	if (w->pytest)
		return 0;
	w->pytest = exec_embedded(pytest_driver_py, pytest_driver_pyc, sizeof(pytest_driver_pyc),
				 "<leakgate-pytest>", "_leakgate_pytest", NULL);
	if (w->pytest)
		return 0;
	if (PyErr_ExceptionMatches(PyExc_ImportError)) {
		PyErr_Clear();
		if (msg && asprintf(msg, "pytest cannot be imported by %s: install it for this "
				    "interpreter (or run a build for one that has it, --python)",
				    w->python) < 0)
			*msg = NULL;
		return LG_ELOAD;
	}
	return take_exception(w, LG_ELOAD, msg);
}

/* A list of str from C strings, new reference. */
static PyObject *str_list(const char *const *v, size_t n)
{
	PyObject *l = PyList_New((Py_ssize_t)n);
	size_t i;

	for (i = 0; l && i < n; i++) {
		PyObject *s = PyUnicode_DecodeFSDefault(v[i]);

		if (!s) {
			Py_CLEAR(l);
			break;
		}
		PyList_SET_ITEM(l, (Py_ssize_t)i, s);
	}
	return l;
}

/* The driver's [(nodeid, marked, settings)] as "NODEID\tMARKED\tSETTINGS\n" lines in
 * *list (free()). */
static int items_text(PyObject *items, char **list)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	Py_ssize_t i;

	*list = NULL;
	for (i = 0; f && i < PyList_GET_SIZE(items); i++) {
		const char *id, *settings;
		PyObject *skip;
		int marked;

		if (!PyArg_ParseTuple(PyList_GET_ITEM(items, i), "sOs", &id, &skip, &settings)) {
			PyErr_Clear();
			continue;
		}
		marked = PyObject_IsTrue(skip) == 1;
		fprintf(f, "%s\t%d\t%s\n", id, marked, settings);
	}
	if (!f || fclose(f) != 0) {
		free(buf);
		return LG_ENOMEM;
	}
	*list = buf;
	return 0;
}

int lg_pytest_collect(lg_worker *w, const char *const *args, size_t nargs, char **list,
		      char **msg)
{
	PyObject *argl, *items = NULL;
	int err;

	*list = NULL;
	if (msg)
		*msg = NULL;
	err = load_pytest(w, msg);
	if (err)
		return err;
	argl = str_list(args, nargs);
	if (argl)
		items = PyObject_CallFunctionObjArgs(PyDict_GetItemString(w->pytest, "collect"),
						     argl, NULL);
	Py_XDECREF(argl);
	if (!items || !PyList_Check(items)) {
		Py_XDECREF(items);
		return take_exception(w, LG_ELOAD, msg);
	}
	err = items_text(items, list);
	Py_DECREF(items);
	return err;
}

struct serve_ctx {
	lg_worker *w;
	lg_serve_fn serve;
	void *arg;
	int called, result;
};

/* The driver's serve(step): the caller's loop runs with step as the workload. */
static PyObject *serve_step(PyObject *capsule, PyObject *step)
{
	struct serve_ctx *c = PyCapsule_GetPointer(capsule, "leakgate.serve");

	if (!c)
		return NULL;
	if (c->called) {
		PyErr_SetString(PyExc_RuntimeError, "serve() called twice");
		return NULL;
	}
	c->called = 1;
	Py_INCREF(step);
	c->w->func = step;
	c->result = c->serve(c->w, c->arg);
	c->w->func = NULL;
	Py_DECREF(step);
	Py_RETURN_NONE;
}

static PyMethodDef serve_def = { "serve", serve_step, METH_O, NULL };

int lg_worker_run(lg_worker *w, const lg_target *t, lg_serve_fn serve, void *arg, char **msg)
{
	struct serve_ctx c = { w, serve, arg, 0, 0 };
	PyObject *capsule = NULL, *fn = NULL, *argl = NULL, *r = NULL;
	int err;

	if (msg)
		*msg = NULL;
	if (t->kind != LG_TARGET_PYTEST) {
		err = lg_worker_load(w, t, msg);
		return err ? err : serve(w, arg);
	}
	err = load_pytest(w, msg);
	if (err)
		return err;
	capsule = PyCapsule_New(&c, "leakgate.serve", NULL);
	fn = capsule ? PyCFunction_New(&serve_def, capsule) : NULL;
	argl = fn ? str_list(t->args, t->nargs) : NULL;
	if (argl)
		r = PyObject_CallFunction(PyDict_GetItemString(w->pytest, "run"), "OsO", argl,
					  t->spec, fn);
	Py_XDECREF(argl);
	Py_XDECREF(fn);
	Py_XDECREF(capsule);
	if (!r)
		return take_exception(w, LG_ELOAD, msg);
	Py_DECREF(r);
	return c.called ? c.result : LG_ELOAD;
}

/*
 * --pytest's fork server. The driver collects once and calls fork(items) from inside
 * pytest's test loop; this sends the list (srv->next), then forks one worker per test the
 * supervisor asks for. fork() returns the test's node id in the new worker, which goes on
 * to run that one test from the collected state as lg_worker_run would, and None in the
 * server once no test is left.
 *
 * The fork is clone(CLONE_PARENT): the new worker is the supervisor's child, so the
 * supervisor waits for it, reads its wait status and kills it as any worker it forked
 * itself. The server forks only while it is the process's one thread (a lock another
 * thread holds would stay locked in the child forever); it is single-threaded by design,
 * but a conftest may start threads. Without glibc's fork() wrapper the child's cached
 * thread id is the server's: nothing leakgate or CPython calls reads it (getpid, gettid,
 * raise and abort ask the kernel). Collected state is frozen first (gc.freeze()), so that
 * a worker's collections, one per snapshot, walk only what its own test made, and do not
 * copy the server's pages; attribution (attribute.py) and the failing point
 * (lg__worker_thaw) thaw it before they walk the heap.
 */
struct fork_ctx {
	lg_worker *w;
	const struct lg__fork_server *srv;
	int listed;
};

void lg__worker_thaw(lg_worker *w)
{
	if (!w->frozen)
		return;
	Py_XDECREF(PyObject_CallObject(w->gc_unfreeze, NULL));
	PyErr_Clear();
	lg__gc_objects_moved();
	w->gc_frozen = -1;
	w->frozen = 0;
}

static PyObject *fork_test(PyObject *capsule, PyObject *items)
{
	struct fork_ctx *c = PyCapsule_GetPointer(capsule, "leakgate.fork");
	char *list = NULL, *nodeid = NULL, why[128];
	PyObject *id;
	int64_t threads;
	pid_t pid;
	int r;

	if (!c)
		return NULL;
	if (!PyList_Check(items)) {
		PyErr_SetString(PyExc_TypeError, "fork() expects the list of items");
		return NULL;
	}
	if (!c->listed && items_text(items, &list) < 0)
		return PyErr_NoMemory();
	for (;;) {
		r = c->srv->next(c->srv->arg, c->listed ? NULL : list, &nodeid);
		c->listed = 1;
		free(list);
		list = NULL;
		if (r <= 0)
			Py_RETURN_NONE;
		if (!c->w->frozen)
			freeze_heap(c->w, 1);  /* every worker forked from here inherits it */
		threads = lg__count_threads();
		if (threads != 1) {
			snprintf(why, sizeof(why), "the collecting process runs %lld threads: "
				 "forking it is unsafe", (long long)threads);
			c->srv->forked(c->srv->arg, -1, why);
			free(nodeid);
			continue;
		}
		PyOS_BeforeFork();
		pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
		if (pid != 0) {
			int e = errno;

			PyOS_AfterFork_Parent();
			snprintf(why, sizeof(why), "cannot fork a worker: %s", strerror(e));
			c->srv->forked(c->srv->arg, pid, pid < 0 ? why : NULL);
			free(nodeid);
			continue;
		}
		PyOS_AfterFork_Child();
		c->srv->start(c->srv->arg);
		id = PyUnicode_FromString(nodeid);
		free(nodeid);
		return id;
	}
}

static PyMethodDef fork_def = { "fork", fork_test, METH_O, NULL };

int lg__pytest_serve(lg_worker *w, const char *const *args, size_t nargs,
		     const struct lg__fork_server *srv, lg_serve_fn serve, void *arg, char **msg)
{
	struct serve_ctx c = { w, serve, arg, 0, 0 };
	struct fork_ctx fc = { w, srv, 0 };
	PyObject *capsule = NULL, *fn = NULL, *fcap = NULL, *ffn = NULL, *argl = NULL, *r = NULL;
	int err;

	if (msg)
		*msg = NULL;
	err = load_pytest(w, msg);
	if (err)
		return err;
	capsule = PyCapsule_New(&c, "leakgate.serve", NULL);
	fn = capsule ? PyCFunction_New(&serve_def, capsule) : NULL;
	fcap = fn ? PyCapsule_New(&fc, "leakgate.fork", NULL) : NULL;
	ffn = fcap ? PyCFunction_New(&fork_def, fcap) : NULL;
	argl = ffn ? str_list(args, nargs) : NULL;
	if (argl)
		r = PyObject_CallFunction(PyDict_GetItemString(w->pytest, "serve_tests"), "OOO",
					  argl, ffn, fn);
	Py_XDECREF(argl);
	Py_XDECREF(ffn);
	Py_XDECREF(fcap);
	Py_XDECREF(fn);
	Py_XDECREF(capsule);
	if (!r)
		return take_exception(w, LG_ELOAD, msg);
	Py_DECREF(r);
	/* In the server, the loop ended with no test left; in a worker, serve ran. */
	return c.called ? c.result : fc.listed ? 0 : LG_ELOAD;
}

void lg_worker_free(lg_worker *w)
{
	PyObject *f;

	if (!w)
		return;
	/* The workload's objects may print as they go: drop them before the flush. */
	Py_CLEAR(w->func);
	Py_CLEAR(w->code);
	Py_CLEAR(w->main_name);
	Py_CLEAR(w->attr);
	Py_CLEAR(w->pytest);
	Py_CLEAR(w->clear);
	Py_CLEAR(w->totalrefs);
	Py_CLEAR(w->boot);
	PyErr_Clear();
	f = PySys_GetObject("stdout");
	if (f)
		Py_XDECREF(PyObject_CallMethod(f, "flush", NULL));
	f = PySys_GetObject("stderr");
	if (f)
		Py_XDECREF(PyObject_CallMethod(f, "flush", NULL));
	PyErr_Clear();
	free(w);
}
