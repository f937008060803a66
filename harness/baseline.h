/* baseline.h: the baseline of known leaks (harness/baseline.c): a file of one line per
 * target and counter, "TARGET  COUNTER  SLOPE", that `leakgate run --baseline` gates
 * against and --update-baseline writes. */
#ifndef LG_BASELINE_H
#define LG_BASELINE_H

#include <stddef.h>
#include <stdio.h>

#include "leakgate.h"

struct baseline_entry {
	char *target;       /* as leakgate names it: the TARGET argument or pytest node id */
	lg_counter counter;
	double slope;       /* the growth per iteration it is allowed */
	unsigned line;
};

struct baseline {
	struct baseline_entry *v;
	size_t n;
};

/* Reads a baseline file (path names it in errors). Blank lines and lines starting with
 * '#' are comments. Returns 0, or -1 with "PATH:LINE: what is wrong" in *err (free it).
 * Release *b with baseline_release. */
int baseline_read(FILE *f, const char *path, struct baseline *b, char **err);
void baseline_release(struct baseline *b);

/* Adds an entry (target copied); 0 or -1 when out of memory. */
int baseline_add(struct baseline *b, const char *target, lg_counter c, double slope);

/* The value --update-baseline records for a measured slope bound: rounded up to two
 * significant digits, so that the same leak measured again writes the same number. */
double baseline_round(double v);

/* Writes the entries sorted by target, then counter (a reviewer reads its diff), with a
 * header comment. Returns 0, or -1 on a write error. */
int baseline_write(FILE *f, struct baseline *b);

#endif
