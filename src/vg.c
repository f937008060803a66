/* vg.c: the worker's side of --valgrind: memcheck's client requests (a baseline leak
 * search, then one added search per snapshot with its byte and block totals) and the
 * markers in Valgrind's log that tell the supervisor which snapshot a record belongs to.
 * Outside Valgrind every request costs a few instructions and does nothing. */
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>

#include "internal.h"
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
}
