/* worker/vg.c: the worker's side of --valgrind: memcheck's client requests (a baseline leak
 * search, then one added search per snapshot with its byte and block totals) and the
 * markers in Valgrind's log that tell the supervisor which snapshot a record belongs to.
 * Outside Valgrind every request costs a few instructions and does nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>

#include "worker.h"
#include "leakgate.h"

int lg__vg_running(void)
{
	return RUNNING_ON_VALGRIND != 0;
}

/* A summary search before the first call: the first full search would otherwise report
 * everything CPython's start-up left (tens of thousands of log lines), and the totals of
 * the later searches are read against it. */
void lg__vg_baseline(void)
{
	VALGRIND_PRINTF(LG_VG_MARK "0\n");
	VALGRIND_DO_QUICK_LEAK_CHECK;
}

/*
 * No client request reads the indirect losses alone: COUNT_LEAKS's "leaked" is definite
 * and indirect together. Each search's summary in the log has the figure, so the worker
 * reads the "indirectly lost:" line its search has just written (the gate names the log
 * in LG_VG_LOG_ENV before the exec; memcheck writes its log unbuffered). The summary looks
 * like "==12== indirectly lost: 1,024 (+64) bytes in 16 (+1) blocks".
 */
static FILE *vg_log;

int lg__vg_log_open(void)
{
	const char *path = getenv(LG_VG_LOG_ENV);

	if (!vg_log && path && *path)
		vg_log = fopen(path, "r");
	return vg_log ? 0 : -1;
}

/* A number as memcheck prints it, with thousands separators; -1 if none. */
static int64_t grouped_number(const char **p)
{
	int64_t v = 0;
	int digits = 0;

	while (**p == ',' || (**p >= '0' && **p <= '9')) {
		if (**p != ',') {
			v = v * 10 + (**p - '0');
			digits++;
		}
		(*p)++;
	}
	return digits ? v : -1;
}

/* The last "indirectly lost" bytes and blocks in what the log gained since the previous
 * read; 0 when found. */
static int read_indirect(int64_t *bytes, int64_t *blocks)
{
	char line[512];
	int found = -1;

	if (!vg_log)
		return -1;
	clearerr(vg_log);
	while (fgets(line, sizeof(line), vg_log)) {
		const char *p = strstr(line, "indirectly lost: ");
		int64_t b, n;

		if (!p)
			continue;
		p += strlen("indirectly lost: ");
		b = grouped_number(&p);
		p = strstr(p, " bytes in ");
		if (b < 0 || !p)
			continue;
		p += strlen(" bytes in ");
		n = grouped_number(&p);
		if (n < 0)
			continue;
		*bytes = b;
		*blocks = n;
		found = 0;
	}
	return found;
}

/*
 * Memcheck's search is conservative: any word of scanned memory that holds a block's
 * address keeps the block reachable, and the stack it scans is every live frame, padding
 * and unwritten slots included. The target's calls leave their pointers in the stack
 * below the caller once they return; the snapshot's own frames later cover that stack
 * without writing every slot, so a lost block's address could be read there and the
 * block counted as reachable at every search after (a per-iteration leak then read as
 * 19 blocks in 20 iterations, in CI and here, with some process environments and not
 * with others: it hangs on how the stack is laid out). The worker clears that stack after each call, from the caller's depth.
 * LG_VG_SCRUB bytes cover the C frames of a call into CPython many levels deep; deeper
 * ones are cleared in part.
 */
#define LG_VG_SCRUB (256 * 1024)

__attribute__((noinline)) void lg__vg_scrub_stack(void)
{
	char dead[LG_VG_SCRUB];

	memset(dead, 0, sizeof(dead));
	/* The compiler must assume the clearing is read: it may not drop it as dead. */
	__asm__ __volatile__("" : : "r"(dead) : "memory");
}

/* A full search that logs, with allocation stacks, only the loss records that grew since
 * the previous search, then the totals of this search. The marker before it names the
 * snapshot the records belong to (see lg_vglog_read). */
void lg__vg_snapshot(uint32_t snapshot, int64_t *value)
{
	unsigned long definite = 0, possible = 0, reachable = 0, suppressed = 0;
	unsigned long definite_blocks = 0, possible_blocks = 0;

	VALGRIND_PRINTF(LG_VG_MARK "%u\n", snapshot);
	VALGRIND_DO_ADDED_LEAK_CHECK;
	VALGRIND_COUNT_LEAKS(definite, possible, reachable, suppressed);
	value[LG_VG_DEFINITE] = (int64_t)definite;
	value[LG_VG_POSSIBLE] = (int64_t)possible;
	VALGRIND_COUNT_LEAK_BLOCKS(definite_blocks, possible_blocks, reachable, suppressed);
	(void)reachable;
	(void)suppressed;
	value[LG_VG_DEFINITE_BLOCKS] = (int64_t)definite_blocks;
	value[LG_VG_POSSIBLE_BLOCKS] = (int64_t)possible_blocks;
	{
		int64_t bytes = 0, blocks = 0;

		/* Split the indirect losses off the definite ones, when the log says them. */
		if (read_indirect(&bytes, &blocks) == 0 && bytes <= (int64_t)definite &&
		    blocks <= (int64_t)definite_blocks) {
			value[LG_VG_INDIRECT] = bytes;
			value[LG_VG_DEFINITE] -= bytes;
			value[LG_VG_DEFINITE_BLOCKS] -= blocks;
		}
	}
}
