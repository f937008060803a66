/* worker/gdbjit.c: the failing point. Describes this CPython's object layout (offsetof over
 * the headers the library is built against), packs it with the suspects and the report
 * summary into a blob (include/leakgate_jit.h), registers it through GDB's JIT interface,
 * and can run the workload once more with a hook called from inside its Python frame.
 * Built with Py_BUILD_CORE: dict keys, frames and the GC state are internal. */
#define Py_BUILD_CORE 1
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>

/* CPython's internal headers are not written for -Wextra. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#if PY_VERSION_HEX >= 0x030B0000
#include "internal/pycore_dict.h"
#include "internal/pycore_frame.h"
#include "internal/pycore_interp.h"
#include "internal/pycore_runtime.h"
#endif
#if PY_VERSION_HEX >= 0x030D0000
#include "internal/pycore_setobject.h"
#endif
#if PY_VERSION_HEX < 0x030B0000
#if PY_VERSION_HEX < 0x03090000
#include "internal/pycore_pymem.h"    /* 3.8: the GC state lives in _PyRuntime */
#include "internal/pycore_pystate.h"
#else
#include "internal/pycore_interp.h"
#include "internal/pycore_pystate.h"
#endif
#endif
#pragma GCC diagnostic pop

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker.h"
#include "leakgate.h"
#include "leakgate_jit.h"

/* GDB sets a breakpoint in this function and reads the descriptor: exact names, default
 * visibility, never inlined (GDB manual, "JIT Interface"). */
LG_EXTERN struct jit_descriptor __jit_debug_descriptor = { 1, 0, NULL, NULL };
LG_EXTERN void __attribute__((noinline)) __jit_debug_register_code(void);
void __attribute__((noinline)) __jit_debug_register_code(void)
{
	__asm__ volatile("" ::: "memory");
}

#define OFF(type, field) ((int32_t)offsetof(type, field))

/* The str state bitfield's masks, found by setting each field in a zeroed struct. */
static uint32_t state_word(const PyASCIIObject *a)
{
	uint32_t w = 0;

	memcpy(&w, (const char *)a + offsetof(PyASCIIObject, state), sizeof(w));
	return w;
}

static void str_layout(lg_jit_layout *l)
{
	PyASCIIObject a;

	l->str_length = OFF(PyASCIIObject, length);
	l->str_state = OFF(PyASCIIObject, state);
	l->str_ascii_size = (int32_t)sizeof(PyASCIIObject);
	l->str_compact_size = (int32_t)sizeof(PyCompactUnicodeObject);
	l->str_data = OFF(PyUnicodeObject, data);
	memset(&a, 0, sizeof(a));
	a.state.kind = 7;
	l->str_kind_mask = state_word(&a);
	memset(&a, 0, sizeof(a));
	a.state.compact = 1;
	l->str_compact_mask = state_word(&a);
	memset(&a, 0, sizeof(a));
	a.state.ascii = 1;
	l->str_ascii_mask = state_word(&a);
}

/* The heads of the collector's lists: three generations and the permanent one. */
static void gc_layout(lg_jit_layout *l)
{
#if PY_VERSION_HEX < 0x030E0000
#if PY_VERSION_HEX < 0x03090000
	struct _gc_runtime_state *gc = &_PyRuntime.gc;
#else
	struct _gc_runtime_state *gc = &PyInterpreterState_Get()->gc;
#endif
	int i;

	l->gc_head_size = sizeof(PyGC_Head);
	l->gc_next = OFF(PyGC_Head, _gc_next);
	for (i = 0; i < NUM_GENERATIONS && i < 3; i++)
		l->gc_lists[i] = (uint64_t)(uintptr_t)&gc->generations[i].head;
	l->gc_lists[3] = (uint64_t)(uintptr_t)&gc->permanent_generation.head;
#else
	/* NEEDSWORK: 3.14's incremental collector (issue 6). */
	memset(l->gc_lists, 0, sizeof(l->gc_lists));
	l->gc_head_size = 0;
#endif
}

/* Fills *l for the running interpreter; the GIL must be held. */
static void fill_layout(lg_jit_layout *l)
{
	memset(l, 0xff, sizeof(*l));  /* every offset -1 until known */
	l->pad0 = 0;
	l->keys_entry_size = l->keys_uentry_size = 0;
	l->lasti_units = l->line_format = 0;
	l->py_version_hex = PY_VERSION_HEX;
	l->ptr_size = sizeof(void *);
	l->ob_refcnt = OFF(PyObject, ob_refcnt);
	l->ob_type = OFF(PyObject, ob_type);
	l->ob_size = OFF(PyVarObject, ob_size);
	l->tp_name = OFF(PyTypeObject, tp_name);
	l->tp_basicsize = OFF(PyTypeObject, tp_basicsize);
	l->tp_itemsize = OFF(PyTypeObject, tp_itemsize);
	l->tp_flags = OFF(PyTypeObject, tp_flags);
	l->tp_dictoffset = OFF(PyTypeObject, tp_dictoffset);
	l->ht_cached_keys = OFF(PyHeapTypeObject, ht_cached_keys);
#if PY_VERSION_HEX >= 0x030B0000
	l->managed_dict = -3 * (int32_t)sizeof(PyObject *);
	l->managed_values = -4 * (int32_t)sizeof(PyObject *);
	l->flag_managed_dict = Py_TPFLAGS_MANAGED_DICT;
#else
	l->flag_managed_dict = 0;
#endif
#ifdef Py_TPFLAGS_INLINE_VALUES
	l->flag_inline_values = Py_TPFLAGS_INLINE_VALUES;
#else
	l->flag_inline_values = 0;
#endif
	str_layout(l);
#if PY_VERSION_HEX < 0x030C0000
	l->long_digits = OFF(PyLongObject, ob_digit);
#endif
	l->digit_size = sizeof(digit);
	l->digit_shift = PyLong_SHIFT;
	l->float_value = OFF(PyFloatObject, ob_fval);
	l->bytes_sval = OFF(PyBytesObject, ob_sval);
	l->tuple_items = OFF(PyTupleObject, ob_item);
	l->list_items = OFF(PyListObject, ob_item);
	l->list_allocated = OFF(PyListObject, allocated);
	l->dict_used = OFF(PyDictObject, ma_used);
	l->dict_keys = OFF(PyDictObject, ma_keys);
	l->dict_values = OFF(PyDictObject, ma_values);
	l->set_used = OFF(PySetObject, used);
	l->set_mask = OFF(PySetObject, mask);
	l->set_table = OFF(PySetObject, table);
	l->set_entry_size = sizeof(setentry);
	l->module_dict = (int32_t)sizeof(PyObject);  /* md_dict follows the header */
	l->func_code = OFF(PyFunctionObject, func_code);
	l->func_name = OFF(PyFunctionObject, func_name);
	l->func_qualname = OFF(PyFunctionObject, func_qualname);
	l->func_globals = OFF(PyFunctionObject, func_globals);
	l->co_name = OFF(PyCodeObject, co_name);
	l->co_filename = OFF(PyCodeObject, co_filename);
	l->co_firstlineno = OFF(PyCodeObject, co_firstlineno);
	l->tstate_next = OFF(PyThreadState, next);
	l->tstate_thread_id = OFF(PyThreadState, thread_id);
#if PY_VERSION_HEX >= 0x030B0000
	l->tstate_native_id = OFF(PyThreadState, native_thread_id);
#endif
	l->frame_owner_cstack = 0xff;
	l->frame_instr_is_prev = 0;
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030E0000
	l->keys_log2_size = OFF(PyDictKeysObject, dk_log2_size);
	l->keys_log2_index_bytes = OFF(PyDictKeysObject, dk_log2_index_bytes);
	l->keys_kind = OFF(PyDictKeysObject, dk_kind);
	l->keys_nentries = OFF(PyDictKeysObject, dk_nentries);
	l->keys_indices = OFF(PyDictKeysObject, dk_indices);
	l->keys_entry_size = sizeof(PyDictKeyEntry);
	l->keys_uentry_size = sizeof(PyDictUnicodeEntry);
	l->values_items = OFF(PyDictValues, values);
	l->co_qualname = OFF(PyCodeObject, co_qualname);
	l->co_linetable = OFF(PyCodeObject, co_linetable);
	l->co_code = OFF(PyCodeObject, co_code_adaptive);
	l->interp_threads_head = OFF(PyInterpreterState, threads.head);
	l->frame_previous = OFF(_PyInterpreterFrame, previous);
	l->frame_owner = OFF(_PyInterpreterFrame, owner);
	l->frame_localsplus = OFF(_PyInterpreterFrame, localsplus);
	l->co_localnames = OFF(PyCodeObject, co_localsplusnames);
#if PY_VERSION_HEX >= 0x030D0000
	l->tstate_frame = OFF(PyThreadState, current_frame);
	l->frame_code = OFF(_PyInterpreterFrame, f_executable);
	l->frame_instr = OFF(_PyInterpreterFrame, instr_ptr);
#else
	l->tstate_cframe = OFF(PyThreadState, cframe);
	l->cframe_frame = OFF(_PyCFrame, current_frame);
	l->frame_code = OFF(_PyInterpreterFrame, f_code);
	l->frame_instr = OFF(_PyInterpreterFrame, prev_instr);
	l->frame_instr_is_prev = 1;
#endif
#if PY_VERSION_HEX >= 0x030C0000
	l->frame_owner_cstack = FRAME_OWNED_BY_CSTACK;
#endif
#elif PY_VERSION_HEX < 0x030B0000
	/* 3.8-3.10: the dict keys struct lives in Objects/dict-common.h, not in the
	 * headers; its layout (refcnt, size, lookup, usable, nentries, indices) is the same
	 * in all three. */
	l->keys_size = (int32_t)sizeof(Py_ssize_t);
	l->keys_nentries = 4 * (int32_t)sizeof(Py_ssize_t);
	l->keys_indices = 5 * (int32_t)sizeof(Py_ssize_t);
	l->keys_entry_size = 3 * sizeof(void *);
	l->values_items = 0;
#if PY_VERSION_HEX >= 0x030A0000
	l->co_linetable = OFF(PyCodeObject, co_linetable);
	l->line_format = 1;
	l->lasti_units = 1;
#else
	l->co_linetable = OFF(PyCodeObject, co_lnotab);
	l->line_format = 2;
#endif
	l->interp_threads_head = OFF(PyInterpreterState, tstate_head);
	l->tstate_frame = OFF(PyThreadState, frame);
	l->frame_code = OFF(PyFrameObject, f_code);
	l->frame_previous = OFF(PyFrameObject, f_back);
	l->frame_lasti = OFF(PyFrameObject, f_lasti);
	l->frame_localsplus = OFF(PyFrameObject, f_localsplus);
	l->co_localnames = OFF(PyCodeObject, co_varnames);
	l->co_cellvars = OFF(PyCodeObject, co_cellvars);
	l->co_freevars = OFF(PyCodeObject, co_freevars);
#else
	/* NEEDSWORK: dict keys and frames for 3.14+ (issue 6). */
#endif
	gc_layout(l);
#if PY_VERSION_HEX >= 0x030C0000
	l->long_tag = OFF(PyLongObject, long_value.lv_tag);
	l->long_digits = OFF(PyLongObject, long_value.ob_digit);
#endif
	l->type_type = (uintptr_t)&PyType_Type;
	l->type_str = (uintptr_t)&PyUnicode_Type;
	l->type_int = (uintptr_t)&PyLong_Type;
	l->type_bool = (uintptr_t)&PyBool_Type;
	l->type_float = (uintptr_t)&PyFloat_Type;
	l->type_bytes = (uintptr_t)&PyBytes_Type;
	l->type_tuple = (uintptr_t)&PyTuple_Type;
	l->type_list = (uintptr_t)&PyList_Type;
	l->type_dict = (uintptr_t)&PyDict_Type;
	l->type_set = (uintptr_t)&PySet_Type;
	l->type_frozenset = (uintptr_t)&PyFrozenSet_Type;
	l->type_module = (uintptr_t)&PyModule_Type;
	l->type_function = (uintptr_t)&PyFunction_Type;
	l->type_code = (uintptr_t)&PyCode_Type;
	l->type_none = (uintptr_t)Py_TYPE(Py_None);
	l->none = (uintptr_t)Py_None;
	l->true_ = (uintptr_t)Py_True;
	l->false_ = (uintptr_t)Py_False;
	l->set_dummy = (uintptr_t)_PySet_Dummy;
}

int lg_jit_layout_fill(lg_jit_layout *l)
{
	if (!Py_IsInitialized())
		return LG_EINVAL;
	fill_layout(l);
	return 0;
}

int lg_jit_blob_new(const char *summary, const lg_suspect *s, size_t n, void **out,
		    size_t *out_size)
{
	size_t slen = summary ? strlen(summary) : 0, size, i;
	lg_jit_suspect *rec;
	lg_jit_blob *b;

	*out = NULL;
	if (n > 4096 || slen > (1u << 20))
		return LG_EINVAL;
	size = sizeof(*b) + n * sizeof(*rec) + slen + 1;
	b = calloc(1, size);
	if (!b)
		return LG_ENOMEM;
	b->magic = LG_JIT_MAGIC;
	b->version = LG_JIT_VERSION;
	b->size = (uint32_t)size;
	b->layout_size = sizeof(b->layout);
	b->pid = (uint32_t)getpid();
#if PY_VERSION_HEX >= 0x030B0000
	b->runtime = (uintptr_t)&_PyRuntime;
#endif
#if PY_VERSION_HEX >= 0x03090000
	b->interp = (uintptr_t)PyInterpreterState_Get();
#else
	b->interp = (uintptr_t)PyThreadState_Get()->interp;
#endif
	b->tstate = (uintptr_t)PyThreadState_Get();
	b->nsuspects = (uint32_t)n;
	b->suspects_off = sizeof(*b);
	b->summary_off = (uint32_t)(sizeof(*b) + n * sizeof(*rec));
	b->summary_len = (uint32_t)slen;
	fill_layout(&b->layout);
	rec = (lg_jit_suspect *)(b + 1);
	for (i = 0; i < n; i++) {
		rec[i].addr = (uintptr_t)s[i].object;
		snprintf(rec[i].label, sizeof(rec[i].label), "%s", s[i].label ? s[i].label : "");
	}
	if (slen)
		memcpy((char *)b + b->summary_off, summary, slen);
	*out = b;
	*out_size = size;
	return 0;
}

/* The registered entry lives until the process ends: GDB may read it at any time. */
static struct jit_code_entry entry;

static int jit_register(const char *summary, const lg_suspect *s, size_t n)
{
	void *blob;
	size_t size;
	int err = lg_jit_blob_new(summary, s, n, &blob, &size);

	if (err)
		return err;
	if (entry.symfile_addr) {
		/* A second failing point replaces the first. */
		__jit_debug_descriptor.relevant_entry = &entry;
		__jit_debug_descriptor.action_flag = LG_JIT_UNREGISTER;
		__jit_debug_descriptor.first_entry = NULL;
		__jit_debug_register_code();
		free((void *)entry.symfile_addr);
	}
	entry.next_entry = entry.prev_entry = NULL;
	entry.symfile_addr = blob;
	entry.symfile_size = size;
	__jit_debug_descriptor.first_entry = &entry;
	__jit_debug_descriptor.relevant_entry = &entry;
	__jit_debug_descriptor.action_flag = LG_JIT_REGISTER;
	__jit_debug_register_code();
	return 0;
}

struct stop_hook {
	PyObject *code;       /* the code object to stop in, or NULL for the first line */
	void (*fn)(void *);
	void *arg;
	int done;
};

static struct stop_hook hook;

static int trace_stop(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg)
{
	PyCodeObject *code;

	(void)obj;
	(void)arg;
	if (what != PyTrace_LINE || hook.done)
		return 0;
#if PY_VERSION_HEX >= 0x03090000
	code = PyFrame_GetCode(frame);
#else
	code = frame->f_code;
	Py_INCREF(code);
#endif
	if (!hook.code || (PyObject *)code == hook.code) {
		hook.done = 1;
		PyEval_SetTrace(NULL, NULL);
		hook.fn(hook.arg);
	}
	Py_DECREF(code);
	return 0;
}

int lg_worker_failpoint(lg_worker *w, const char *summary, const lg_suspect *s, size_t n,
			void (*stop)(void *), void *arg, char **msg)
{
	const void *target = lg_worker_target(w);
	int err;

	if (msg)
		*msg = NULL;
	err = jit_register(summary, s, n);
	if (err || !stop)
		return err;
	hook.code = NULL;
	if (target && PyFunction_Check((PyObject *)target))
		hook.code = PyFunction_GET_CODE((PyObject *)target);
	else if (target && PyCode_Check((PyObject *)target))
		hook.code = (PyObject *)target;
	hook.fn = stop;
	hook.arg = arg;
	hook.done = 0;
	PyEval_SetTrace(trace_stop, NULL);
	err = lg_worker_call(w, msg);
	PyEval_SetTrace(NULL, NULL);
	if (!err && !hook.done) {
		hook.done = 1;
		stop(arg);  /* the workload ran no line of its own code: stop here */
	}
	return err;
}

size_t lg_worker_suspects(const lg_worker *w, lg_suspect *out, size_t cap)
{
	PyObject *f = (PyObject *)lg_worker_target(w);
	size_t n = 0;

	if (!f)
		return 0;
	if (n < cap)
		out[n++] = (lg_suspect){ f, PyCode_Check(f) ? "workload code" : "workload" };
	if (PyFunction_Check(f) && n < cap)
		out[n++] = (lg_suspect){ PyFunction_GET_GLOBALS(f), "workload globals" };
	/* Then the leaked objects attribution sampled, when it ran. */
	return n + lg__attribution_suspects(w, out + n, cap - n);
}
