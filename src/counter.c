/* counter.c: the table of counters (names, units, whether judged, default budgets),
 * the error strings, and lg_free. */
#include <stdlib.h>
#include <string.h>

#include "leakgate.h"

static const struct {
	const char *name;
	const char *unit;
	int judged;
	double budget;  /* default, in units per iteration */
} counters[LG_NCOUNTERS] = {
	[LG_PY_BLOCKS]    = { "py_blocks",    "blocks",  1,  0.0 },
	[LG_PY_BYTES]     = { "py_bytes",     "bytes",   1,  0.0 },
	[LG_GC_OBJECTS]   = { "gc_objects",   "objects", 1,  0.0 },
	[LG_NATIVE_BYTES] = { "native_bytes", "bytes",   1, 32.0 },
	[LG_RSS]          = { "rss",          "bytes",   0,  0.0 },
	[LG_FDS]          = { "fds",          "fds",     1,  0.0 },
	[LG_THREADS]      = { "threads",      "threads", 1,  0.0 },
	[LG_CHILDREN]     = { "children",     "processes", 1, 0.0 },
	[LG_REFS]         = { "refs",         "refs",    1,  0.0 },
	[LG_VG_DEFINITE]  = { "vg_definite",  "bytes",   1,  0.0 },
	[LG_VG_INDIRECT]  = { "vg_indirect",  "bytes",   1,  0.0 },
	[LG_VG_POSSIBLE]  = { "vg_possible",  "bytes",   0,  0.0 },
	[LG_VG_DEFINITE_BLOCKS] = { "vg_definite_blocks", "blocks", 1, 0.0 },
	[LG_VG_POSSIBLE_BLOCKS] = { "vg_possible_blocks", "blocks", 0, 0.0 },
};

/* Whether c indexes the table; the cast also rejects negative values. */
static int counter_valid(lg_counter c)
{
	return (unsigned)c < (unsigned)LG_NCOUNTERS;
}

const char *lg_counter_name(lg_counter c)
{
	return counter_valid(c) ? counters[c].name : "?";
}

const char *lg_counter_unit(lg_counter c)
{
	return counter_valid(c) ? counters[c].unit : "?";
}

int lg_counter_parse(const char *name, lg_counter *out)
{
	int i;

	if (name == NULL || out == NULL)
		return LG_EINVAL;
	for (i = 0; i < LG_NCOUNTERS; i++) {
		if (strcmp(name, counters[i].name) == 0) {
			*out = (lg_counter)i;
			return LG_OK;
		}
	}
	return LG_EINVAL;
}

int lg_counter_judged(lg_counter c)
{
	return counter_valid(c) ? counters[c].judged : 0;
}

double lg_counter_default_budget(lg_counter c)
{
	return counter_valid(c) ? counters[c].budget : 0.0;
}

const char *lg_strerror(int err)
{
	switch (err) {
	case LG_OK:
		return "success";
	case LG_EINVAL:
		return "invalid argument";
	case LG_ENOMEM:
		return "out of memory";
	case LG_EIO:
		return "system call failed";
	case LG_EPYTHON:
		return "the Python interpreter could not be initialised";
	case LG_ELOAD:
		return "the target could not be loaded";
	case LG_ERAISE:
		return "the workload raised an exception";
	case LG_EEXIT:
		return "the workload called sys.exit()";
	case LG_ESKIP:
		return "the test is skipped";
	case LG_EINTR:
		return "the workload was interrupted (KeyboardInterrupt)";
	default:
		return "unknown error";
	}
}

void lg_free(void *p)
{
	free(p);
}
