/* leakgate_jit.h: the blob a leaking worker registers through GDB's JIT interface, and
 * the CPython layout it carries. Shared by the worker (src/worker/gdbjit.c) and the GDB plugin
 * (gdb/): fixed-width fields only, no pointers, no <Python.h>.
 *
 * A blob is one contiguous block: lg_jit_blob, then `nsuspects` lg_jit_suspect records at
 * `suspects_off`, then `summary_len` bytes of report text at `summary_off` (offsets from
 * the blob's start; everything lies within `size`). A reader must check the magic, the
 * version, the size and every offset before using any of it. */
#ifndef LEAKGATE_JIT_H
#define LEAKGATE_JIT_H

#include <stdint.h>

#define LG_JIT_MAGIC 0x31424f4c42474c00ULL  /* "\0LGBLOB1" little-endian */
#define LG_JIT_VERSION 2u  /* 2: the local-variable fields */

/* Where the fields of CPython's objects lie, in bytes from the start of the structure
 * named in each comment, for the interpreter the worker runs. -1 (or 0 for addresses)
 * means "this version has no such field". Flags and masks are as the headers define
 * them. */
typedef struct lg_jit_layout {
	uint32_t py_version_hex;    /* PY_VERSION_HEX */
	uint32_t ptr_size;          /* sizeof(void *) */

	/* PyObject, PyVarObject */
	int32_t ob_refcnt, ob_type, ob_size;
	/* PyTypeObject, PyHeapTypeObject */
	int32_t tp_name, tp_basicsize, tp_itemsize, tp_flags, tp_dictoffset;
	int32_t ht_cached_keys;
	/* Managed dicts (3.11+): offsets from the object (negative), the type flags (inline
	 * values follow the object's basic size on 3.13+). */
	int32_t managed_dict, managed_values;
	uint32_t flag_managed_dict, flag_inline_values;

	/* str: PyASCIIObject, PyCompactUnicodeObject, PyUnicodeObject; the masks apply to
	 * the 32-bit word at str_state (the bitfield is probed at build time). */
	int32_t str_length, str_state, str_ascii_size, str_compact_size, str_data;
	uint32_t str_kind_mask, str_compact_mask, str_ascii_mask;
	/* int: PyLongObject. long_tag is lv_tag (3.12+) or -1 (sign in ob_size). */
	int32_t long_digits, long_tag;
	uint32_t digit_size, digit_shift;
	/* float, bytes, tuple, list */
	int32_t float_value, bytes_sval, tuple_items, list_items, list_allocated;
	/* dict: PyDictObject, PyDictKeysObject, PyDictValues. keys_log2_index_bytes is -1
	 * before 3.11 (index width then follows the table size). */
	int32_t dict_used, dict_keys, dict_values;
	int32_t keys_log2_size, keys_log2_index_bytes, keys_kind, keys_nentries, keys_indices;
	int32_t keys_size;          /* dk_size before 3.11, else -1 */
	uint32_t keys_entry_size, keys_uentry_size;  /* PyDictKeyEntry, PyDictUnicodeEntry */
	int32_t values_items;
	/* set: PySetObject, setentry */
	int32_t set_used, set_mask, set_table;
	uint32_t set_entry_size;
	/* module, function, code */
	int32_t module_dict, func_code, func_name, func_qualname, func_globals;
	int32_t co_name, co_qualname, co_filename, co_firstlineno, co_linetable, co_code;
	/* Threads and frames: PyInterpreterState, PyThreadState, _PyCFrame,
	 * _PyInterpreterFrame. tstate_cframe is -1 when the thread state holds the current
	 * frame itself (tstate_frame). frame_instr points at the previous code unit when
	 * frame_instr_is_prev, else at the current one. */
	int32_t interp_threads_head, tstate_next, tstate_thread_id, tstate_native_id;
	int32_t tstate_cframe, cframe_frame, tstate_frame;
	int32_t frame_code, frame_previous, frame_instr, frame_owner;
	uint32_t frame_instr_is_prev, frame_owner_cstack;  /* 0xff: no C-stack frames */
	/* Before 3.11 frames are PyFrameObjects with an int f_lasti (bytes before 3.10, code
	 * units in 3.10) instead of frame_instr; co_linetable then holds co_lnotab (3.8,
	 * 3.9) or 3.10's table, as line_format says: 0 locations (3.11+), 1 linetable
	 * (3.10), 2 lnotab. */
	int32_t frame_lasti;
	uint32_t lasti_units, line_format;
	/* The cyclic GC: PyGC_Head and the heads of its lists. */
	uint32_t gc_head_size;
	int32_t gc_next;
	uint32_t pad0;              /* 0: keeps the addresses 8-aligned with no hidden hole */
	uint64_t gc_lists[4];

	/* Addresses of the built-in types and singletons in this process. */
	uint64_t type_type, type_str, type_int, type_bool, type_float, type_bytes, type_tuple;
	uint64_t type_list, type_dict, type_set, type_frozenset, type_module, type_function;
	uint64_t type_code, type_none;
	uint64_t none, true_, false_, set_dummy;

	/* Local variables (version 2). frame_localsplus: where a frame's slots start
	 * (_PyInterpreterFrame localsplus, 3.11+; PyFrameObject f_localsplus before). The
	 * code object's tuples name the slots in order: co_localsplusnames alone on 3.11+
	 * (co_localnames; co_cellvars and co_freevars -1), else co_varnames (co_localnames),
	 * then co_cellvars, then co_freevars. */
	int32_t frame_localsplus, co_localnames, co_cellvars, co_freevars;
} lg_jit_layout;

#define LG_JIT_LABEL 64

/* One object the harness points the user at, with what it is (e.g. "workload function",
 * "growing type: dict"). */
typedef struct lg_jit_suspect {
	uint64_t addr;
	char label[LG_JIT_LABEL];  /* NUL-terminated */
} lg_jit_suspect;

typedef struct lg_jit_blob {
	uint64_t magic;            /* LG_JIT_MAGIC */
	uint32_t version;          /* LG_JIT_VERSION */
	uint32_t size;             /* bytes of the whole blob */
	uint32_t layout_size;      /* sizeof(lg_jit_layout) when written */
	uint32_t pid;              /* the worker */
	uint64_t runtime;          /* &_PyRuntime */
	uint64_t interp;           /* the main interpreter */
	uint64_t tstate;           /* the thread that registered the blob */
	uint32_t nsuspects, suspects_off;
	uint32_t summary_off, summary_len;
	lg_jit_layout layout;
} lg_jit_blob;

/* GDB's JIT interface (GDB manual, "JIT Interface"): the worker links these under
 * exactly these names. */
typedef enum { LG_JIT_NOACTION = 0, LG_JIT_REGISTER, LG_JIT_UNREGISTER } lg_jit_action;

struct jit_code_entry {
	struct jit_code_entry *next_entry;
	struct jit_code_entry *prev_entry;
	const char *symfile_addr;
	uint64_t symfile_size;
};

struct jit_descriptor {
	uint32_t version;
	uint32_t action_flag;
	struct jit_code_entry *relevant_entry;
	struct jit_code_entry *first_entry;
};

#endif
