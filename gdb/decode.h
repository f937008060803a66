/* decode.h: reads CPython objects, threads and GC lists out of another process's memory
 * (or a core file) through a read callback, given the layout a leakgate blob carries.
 * Trusts nothing it reads: every length, count and depth is bounded, every read
 * checked, cycles printed once. Used by the GDB plugin, the unit tests and the fuzzer. */
#ifndef LG_DECODE_H
#define LG_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "leakgate_jit.h"

/* Copies len bytes at addr in the target into buf. Returns 0, or nonzero when any of
 * them cannot be read. */
typedef int (*lg_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

/* Text the decoder writes, one line per '\n'. Grows to at most LG_TEXT_MAX bytes, then
 * ends with a "[output truncated]" line. Embedded struct: zero it, lg_text_release. */
#define LG_TEXT_MAX (8u << 20)
typedef struct lg_text {
	char *s;
	size_t len, cap;
	int full;
} lg_text;

void lg_text_printf(lg_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lg_text_release(lg_text *t);

typedef struct lg_dec lg_dec;

/* Validates the layout (offsets in range, sizes sane) and makes a decoder; LG_EINVAL-like
 * -1 for a layout that cannot be right, -2 out of memory. Free with lg_dec_free. */
int lg_dec_new(const lg_jit_layout *l, lg_read_fn read, void *ctx, lg_dec **out);
void lg_dec_free(lg_dec *d);

/* Checks a blob copied from the target (magic, version, sizes, offsets). 0 when usable. */
int lg_dec_blob_check(const void *mem, size_t len);

/* One line, as Python's repr() would print it for the types the decoder knows (str, int,
 * float, bytes, bool, None, tuple, list, dict, set, frozenset, function, code), and
 * "<TYPE object at 0xADDR>" otherwise. No trailing newline. */
void lg_dec_repr(lg_dec *d, uint64_t addr, lg_text *out);
/* The object graph from addr, `depth` levels of references deep. */
void lg_dec_graph(lg_dec *d, uint64_t addr, int depth, lg_text *out);
/* The Python backtrace of every thread of the interpreter at interp. */
void lg_dec_bt(lg_dec *d, uint64_t interp, lg_text *out);
/* Frame `no` (0 innermost, counting Python frames as lg-bt numbers them) of the thread
 * state tstate: its function, file and line. 0, or -1 when there is no such frame. */
int lg_dec_frame(lg_dec *d, uint64_t tstate, int no, char *fname, size_t fcap, char *path,
		 size_t pcap, int *line);
/* The locals of Python frame `no` (as lg_dec_frame numbers it): each slot's name and a
 * one-line repr() cut at 200 characters, "<unbound>" for an empty slot (a cell or free
 * variable shows its cell). With name set, that one local's object graph, `depth`
 * levels deep, as lg_dec_graph prints it. */
void lg_dec_locals(lg_dec *d, uint64_t tstate, int no, const char *name, int depth,
		   lg_text *out);
/* The first thread state of the interpreter at interp, or 0. */
uint64_t lg_dec_first_thread(lg_dec *d, uint64_t interp);
/* Census of GC-tracked objects by type: count and bytes (basic size plus items). */
void lg_dec_types(lg_dec *d, lg_text *out);
/* The chain of containers holding addr, up to a module, from the GC lists. blob (checked,
 * or NULL) names the suspects whose (label, object) records, and the list of them, are
 * leakgate's own: they never show as holders. */
void lg_dec_referrers(lg_dec *d, const lg_jit_blob *blob, uint64_t addr, lg_text *out);
/* The blob's report: the summary and each suspect. blob was checked. */
void lg_dec_report(lg_dec *d, const lg_jit_blob *blob, lg_text *out);

#endif
