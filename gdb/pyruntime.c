/* pyruntime.c: the layout of a CPython 3.13 process from _PyRuntime.debug_offsets
 * (_Py_DebugOffsets, Include/internal/pycore_runtime.h), for cores and processes that
 * leakgate did not start. The struct itself changes between minor versions, so each
 * version it knows is a table of word positions here; the offsets CPython does not
 * publish are the ones offsetof() gives on 3.13.0 (x86-64, default build), checked by
 * the unit tests against the blob's layout when built with PYTHON=python3.13. */
#include <string.h>

#include "pyruntime.h"

/* Word positions in 3.13's _Py_DebugOffsets (each field a uint64_t). */
enum {
	W_VERSION = 1, W_FREE_THREADED = 2, W_INTERPRETERS_HEAD = 5, W_THREADS_HEAD = 9,
	W_GC = 10, W_TS_NEXT = 21, W_TS_CURRENT_FRAME = 23, W_TS_THREAD_ID = 24,
	W_TS_NATIVE_ID = 25, W_FR_PREVIOUS = 29, W_FR_EXECUTABLE = 30, W_FR_INSTR = 31,
	W_FR_LOCALSPLUS = 32, W_FR_OWNER = 33, W_CO_FILENAME = 35, W_CO_NAME = 36,
	W_CO_QUALNAME = 37, W_CO_LINETABLE = 38, W_CO_FIRSTLINENO = 39,
	W_CO_LOCALSPLUSNAMES = 41, W_CO_CODE = 43, W_OB_TYPE = 45,
	W_TP_NAME = 47, W_TP_FLAGS = 49, W_TUPLE_ITEM = 51, W_LIST_ITEM = 54,
	W_LIST_SIZE = 55, W_DICT_KEYS = 57, W_DICT_VALUES = 58, W_FLOAT_FVAL = 60,
	W_LONG_TAG = 62, W_LONG_DIGIT = 63, W_BYTES_SIZE = 65, W_BYTES_SVAL = 66,
	W_STR_STATE = 68, W_STR_LENGTH = 69, W_STR_ASCII_SIZE = 70,
	W_COUNT = 73,
};

/* What 3.13.0 does not publish. */
static const lg_jit_layout unpublished_313 = {
	.ob_refcnt = 0, .ob_size = 16, .tp_basicsize = 32, .tp_itemsize = 40,
	.tp_dictoffset = 288, .ht_cached_keys = 880, .managed_dict = -24,
	.managed_values = -32, .flag_managed_dict = 1u << 4, .flag_inline_values = 1u << 2,
	.str_compact_size = 56, .str_data = 56, .str_kind_mask = 0x1c,
	.str_compact_mask = 0x20, .str_ascii_mask = 0x40, .digit_size = 4, .digit_shift = 30,
	.list_allocated = 32, .dict_used = 16, .keys_log2_size = 8,
	.keys_log2_index_bytes = 9, .keys_kind = 10, .keys_nentries = 24, .keys_indices = 32,
	.keys_entry_size = 24, .keys_uentry_size = 16, .values_items = 8, .set_used = 24,
	.set_mask = 32, .set_table = 40, .set_entry_size = 16, .module_dict = 16,
	.func_code = 48, .func_name = 32, .func_qualname = 40, .func_globals = 16,
	.tstate_cframe = -1, .cframe_frame = -1, .frame_instr_is_prev = 0,
	.frame_owner_cstack = 3, .gc_head_size = 16, .gc_next = 0, .keys_size = -1,
	.frame_lasti = -1, .lasti_units = 0, .line_format = 0, .co_cellvars = -1,
	.co_freevars = -1,
};
/* The collector's list heads, from the start of _gc_runtime_state (the interpreter's
 * `gc`): three generations of 24 bytes, then the pointer `generation0`, then the
 * permanent generation. Where the generations start depends on PyGC_Head's alignment:
 * 8 bytes in 3.13.0, so they start at 24; 4 in later 3.13 releases (gh-127545 gave
 * PyGC_Head an explicit alignment of 4; Debian 13's 3.13.5 has it), so they start at 20.
 * `generation0`, at 96 either way, points at the first generation, so it is read rather
 * than the alignment guessed from the version. */
#define GC_GENERATION_SIZE 24
#define GC_GENERATION0_PTR 96
#define GC_PERMANENT 104

static int32_t off(const uint64_t *w, int i)
{
	return w[i] < 65536 ? (int32_t)w[i] : -1;
}

int lg_layout_from_runtime(lg_read_fn read, void *ctx, uint64_t runtime, uint64_t set_dummy,
			   lg_jit_layout *l, uint64_t *interp, const char **why)
{
	uint64_t w[W_COUNT];
	int i;

	*why = "cannot read _PyRuntime.debug_offsets";
	if (!runtime || read(ctx, runtime, w, sizeof(w)))
		return -1;
	*why = "no _Py_DebugOffsets cookie in _PyRuntime (CPython before 3.13?)";
	if (memcmp(w, "xdebugpy", 8))
		return -1;
	*why = "only the debug offsets of CPython 3.13 (default build) are known";
	if ((w[W_VERSION] >> 16) != 0x030D || w[W_FREE_THREADED])
		return -1;
	*l = unpublished_313;
	l->py_version_hex = (uint32_t)w[W_VERSION];
	l->ptr_size = 8;
	l->ob_type = off(w, W_OB_TYPE);
	l->tp_name = off(w, W_TP_NAME);
	l->tp_flags = off(w, W_TP_FLAGS);
	l->str_state = off(w, W_STR_STATE);
	l->str_length = off(w, W_STR_LENGTH);
	l->str_ascii_size = off(w, W_STR_ASCII_SIZE);
	l->long_tag = off(w, W_LONG_TAG);
	l->long_digits = off(w, W_LONG_DIGIT);
	l->float_value = off(w, W_FLOAT_FVAL);
	l->bytes_sval = off(w, W_BYTES_SVAL);
	l->tuple_items = off(w, W_TUPLE_ITEM);
	l->list_items = off(w, W_LIST_ITEM);
	l->dict_keys = off(w, W_DICT_KEYS);
	l->dict_values = off(w, W_DICT_VALUES);
	l->co_name = off(w, W_CO_NAME);
	l->co_qualname = off(w, W_CO_QUALNAME);
	l->co_filename = off(w, W_CO_FILENAME);
	l->co_firstlineno = off(w, W_CO_FIRSTLINENO);
	l->co_linetable = off(w, W_CO_LINETABLE);
	l->co_code = off(w, W_CO_CODE);
	l->interp_threads_head = off(w, W_THREADS_HEAD);
	l->tstate_next = off(w, W_TS_NEXT);
	l->tstate_thread_id = off(w, W_TS_THREAD_ID);
	l->tstate_native_id = off(w, W_TS_NATIVE_ID);
	l->tstate_frame = off(w, W_TS_CURRENT_FRAME);
	l->frame_code = off(w, W_FR_EXECUTABLE);
	l->frame_previous = off(w, W_FR_PREVIOUS);
	l->frame_instr = off(w, W_FR_INSTR);
	l->frame_owner = off(w, W_FR_OWNER);
	l->frame_localsplus = off(w, W_FR_LOCALSPLUS);
	l->co_localnames = off(w, W_CO_LOCALSPLUSNAMES);
	(void)W_LIST_SIZE;
	(void)W_BYTES_SIZE;
	l->set_dummy = set_dummy;
	*why = "cannot read the interpreter list";
	if (w[W_INTERPRETERS_HEAD] > 65536 ||
	    read(ctx, runtime + w[W_INTERPRETERS_HEAD], interp, 8) || !*interp)
		return -1;
	if (w[W_GC] < 65536) {
		uint64_t gc = *interp + w[W_GC], gen0;

		*why = "cannot read the collector's generation0 pointer";
		if (read(ctx, gc + GC_GENERATION0_PTR, &gen0, 8))
			return -1;
		*why = "the collector's generation0 pointer is not where its generations start";
		if (gen0 < gc + 16 || gen0 > gc + 24 || (gen0 - gc) % 4)
			return -1;
		for (i = 0; i < 3; i++)
			l->gc_lists[i] = gen0 + (uint64_t)i * GC_GENERATION_SIZE;
		l->gc_lists[3] = gc + GC_PERMANENT;
	}
	*why = NULL;
	return 0;
}
