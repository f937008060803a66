/* internal.h: declarations shared between the library's files that run in no process of
 * their own (the verdict and the reports, called by the supervisor's caller), lg__ prefix.
 * Never installed; never included from harness/ or gdb/. */
#ifndef LG_INTERNAL_H
#define LG_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "leakgate.h"

/* lg_verdict_judge's states, outcome, window, floors and periods, at a fraction of its
 * cost: a counter's trend is fitted (O(n^2) in the window) only when its bound needs it,
 * and is otherwise left with n = 0. The gate decides on every sample with it, and fits
 * every trend once, for the verdict it reports. */
int lg__verdict_decide(const lg_series *s, const lg_verdict_opts *o, lg_verdict *out);

/* Whether the len-th sample of a series whose first warm samples are warm-up ends a span
 * of the schedule, where a decision to fail is taken (1) or not (0): what the gate tells
 * the worker when it asks for that sample, so that the worker proves it (interp.c). */
int lg__verdict_span_ends(size_t len, size_t warm, const lg_verdict_opts *o);

/* The tombstone rule (verdict.c): after an attribution found that all that grew is dead
 * weak references, the run measures on and the counters that failed must show a sweep. */
typedef struct lg__tomb {
	uint32_t failed;             /* the counters that failed, bit (1 << c); 0: none */
	size_t from;                 /* the first sample after the attribution */
	int64_t rise[LG_NCOUNTERS];  /* how far the failed window saw each counter rise */
} lg__tomb;

/* Starts the rule for verdict v, which failed on series s as it is now. */
void lg__tomb_start(lg__tomb *t, const lg_series *s, const lg_verdict *v);
/* The counters of t that no sweep took back since (a fall, from the highest value after
 * the attribution, at least as deep as the failed window's rise), as bits; *at is the
 * sample (1-based, as iterations count) by which the last of the others fell. */
uint32_t lg__tomb_left(const lg__tomb *t, const lg_series *s, size_t *at);

/* Writes at most len bytes of s as XML text, always valid UTF-8 (report_junit.c; the SVG
 * chart uses it too). */
void lg__xml_text(FILE *f, const char *s, size_t len);
/* Decodes the UTF-8 sequence at s (len > 0 bytes available) into *cp and returns its
 * length; a byte that starts no valid sequence is 1 long and reads as U+FFFD (report.c). */
size_t lg__utf8_next(const char *s, size_t len, unsigned long *cp);

#endif
