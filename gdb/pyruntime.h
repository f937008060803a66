/* pyruntime.h: a layout for CPython processes that registered no leakgate blob, from
 * the debug offsets CPython 3.13+ publishes in _PyRuntime (pyruntime.c). */
#ifndef LG_PYRUNTIME_H
#define LG_PYRUNTIME_H

#include <stdint.h>

#include "decode.h"

/* Reads _PyRuntime.debug_offsets at `runtime` and fills *l with them and with the
 * constants of that minor version they leave out (dict keys, str state bits, digits, GC
 * list positions); the built-in types are then recognised by name. set_dummy is the
 * value of _PySet_Dummy (0 if unknown). *interp receives the main interpreter. Returns 0,
 * or -1 with a static reason in *why. */
int lg_layout_from_runtime(lg_read_fn read, void *ctx, uint64_t runtime, uint64_t set_dummy,
			   lg_jit_layout *l, uint64_t *interp, const char **why);

#endif
