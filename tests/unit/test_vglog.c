/* test_vglog.c: reading memcheck's log of a --valgrind worker (lg_vglog_read, and the
 * gate's lg__vg_finish over it) from
 * logs shaped like valgrind 3.19's: markers, grown loss records, errors, the exit. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakgate.h"
#include "../../src/protocol.h"
#include "../../src/supervisor/supervisor.h"

static lg_vglog read_text(const char *text, uint32_t first)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	lg_vglog v;

	cr_assert(f);
	cr_assert_eq(lg_vglog_read(f, first, &v), 0);
	fclose(f);
	return v;
}

#define RECORD(total, delta, n, dn)                                                      \
	"==7== " total " (+" delta ") bytes in " n " (+" dn ") blocks are definitely lost "   \
	"in loss record 3 of 9\n"                                                            \
	"==7==    at 0x48417B4: malloc (in /usr/libexec/valgrind/vgpreload_memcheck.so)\n"   \
	"==7==    by 0x69FB328: lose (ext.c:25)\n"                                           \
	"==7==    by 0x1101F2: lg_worker_call (worker.c:284)\n"                              \
	"==7==    by 0x10B6BA: main (main.c:277)\n"                                          \
	"==7== \n"

static const char log_text[] =
	"==7== Memcheck, a memory error detector\n"
	"==7== Command: leakgate --lg-worker 3 4 file w.py:work\n"
	"==7== \n"
	"**7** leakgate: snapshot 0\n"
	"==7== Invalid read of size 1\n"
	"==7==    at 0x69FB3A0: peek (ext.c:40)\n"
	"==7==  Address 0x5a0 is 0 bytes after a block of size 8 alloc'd\n"
	"==7==    at 0x48417B4: malloc (in /usr/libexec/valgrind/vgpreload_memcheck.so)\n"
	"==7== \n"
	"**7** leakgate: snapshot 1\n"
	RECORD("64", "64", "1", "1")
	"==7== LEAK SUMMARY:\n"
	"==7==    definitely lost: 64 (+64) bytes in 1 (+1) blocks\n"
	"==7== \n"
	"**7** leakgate: snapshot 2\n"
	RECORD("1,064", "1,000", "2", "1")
	"**7** leakgate: snapshot 3\n"
	RECORD("1,128", "64", "3", "1")
	"==7== 48 (+48) (16 (+16) direct, 32 (+32) indirect) bytes in 1 (+1) blocks are "
	"definitely lost in loss record 2 of 9\n"
	"==7==    at 0x48417B4: malloc (in /usr/libexec/valgrind/vgpreload_memcheck.so)\n"
	"==7==    by 0x1093EB: make_pair (pair.c:8)\n"
	"==7== \n"
	"==7== HEAP SUMMARY:\n"
	"==7==     in use at exit: 100 bytes in 3 blocks\n"
	"==7== \n"
	RECORD("9,999", "9,999", "9", "9");

/* Records after the first measured marker are summed per stack; earlier ones, the
 * at-exit search and leakgate's own frames are left out. */
Test(vglog, grown_records_per_stack)
{
	lg_vglog v = read_text(log_text, 2);

	cr_assert(v.stacks);
	cr_assert(strstr(v.stacks, "532 bytes in 1 block definitely lost per iteration (1064 "
				   "bytes in 2 over 2 measured iterations; grew in 2)\n"
				   "  at malloc (vgpreload_memcheck.so)\n"
				   "  by lose (ext.c:25)\n\n"),
		  "%s", v.stacks);
	cr_assert(strstr(v.stacks, "24 bytes in 0.5 blocks definitely lost per iteration (48 "
				   "bytes in 1 over 2 measured iterations; grew in 1)\n"
				   "  at malloc (vgpreload_memcheck.so)\n"
				   "  by make_pair (pair.c:8)\n"),
		  "%s", v.stacks);
	cr_assert(strstr(v.stacks, "lose") < strstr(v.stacks, "make_pair"), "largest first");
	cr_assert(!strstr(v.stacks, "lg_worker_call") && !strstr(v.stacks, "9999"));
	lg_vglog_release(&v);
}

/* The error after the baseline marker happened in call 1; its whole report is kept. */
Test(vglog, errors_with_their_iteration)
{
	lg_vglog v = read_text(log_text, 2);

	cr_assert_eq(v.nerrors, 1);
	cr_assert_eq(v.first_error_iteration, 1);
	cr_assert_str_eq(v.errors,
			 "Invalid read of size 1\n"
			 "   at 0x69FB3A0: peek (ext.c:40)\n"
			 " Address 0x5a0 is 0 bytes after a block of size 8 alloc'd\n"
			 "   at 0x48417B4: malloc (in /usr/libexec/valgrind/vgpreload_memcheck.so)\n");
	lg_vglog_release(&v);
}

/* A clean log: nothing to report; lines that are not Valgrind's are ignored. */
Test(vglog, clean_log)
{
	lg_vglog v = read_text("==7== Memcheck, a memory error detector\n"
			       "workload output 64 (+64) bytes in 1 (+1) blocks are definitely\n"
			       "**7** leakgate: snapshot 0\n"
			       "**7** leakgate: snapshot 1\n"
			       "==7== HEAP SUMMARY:\n", 1);

	cr_assert_null(v.stacks);
	cr_assert_null(v.errors);
	cr_assert_eq(v.nerrors, 0);
	lg_vglog_release(&v);
	lg_vglog_release(NULL);
}

/* Per-iteration figures are whole numbers with units, not %g's 1.454e+04. */
Test(vglog, figures_are_whole_with_units)
{
	static const char text[] =
		"**7** leakgate: snapshot 1\n"
		RECORD("14,540", "14,540", "1", "1")
		"**7** leakgate: snapshot 2\n"
		RECORD("29,080", "14,540", "2", "1");
	lg_vglog v = read_text(text, 1);

	cr_assert(v.stacks);
	cr_assert(strstr(v.stacks, "14540 bytes (14.2 KiB) in 1 block definitely lost per "
				   "iteration (29080 bytes in 2 over 2 measured iterations; "
				   "grew in 2)\n"), "%s", v.stacks);
	lg_vglog_release(&v);
}

/* The stacks count measured iterations as the text report's header does: from the first
 * judged sample, which a restarted window puts past --warmup (the header said 20 and the
 * stacks 21). */
Test(vglog, stacks_count_the_judged_samples)
{
	static const char text[] =
		"**7** leakgate: snapshot 1\n" RECORD("64", "64", "1", "1")
		"**7** leakgate: snapshot 2\n" RECORD("128", "64", "2", "1")
		"**7** leakgate: snapshot 3\n" RECORD("192", "64", "3", "1")
		"**7** leakgate: snapshot 4\n" RECORD("256", "64", "4", "1");
	char path[] = "/tmp/lgvglog.XXXXXX";
	int fd = mkstemp(path);
	lg_gate_opts o;
	lg_result r;
	lg_sample s = { 0 };
	uint32_t i;

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	lg_gate_opts_init(&o);
	o.warmup = 1;
	memset(&r, 0, sizeof(r));
	r.status = LG_STATUS_LEAK;
	lg_series_init(&r.series, 1u << LG_VG_DEFINITE);
	for (i = 1; i <= 4; i++) {
		s.iteration = i;
		s.warmup = i <= 2;  /* the window restarted after call 2 */
		cr_assert_eq(lg_series_append(&r.series, &s), 0);
	}
	cr_assert_eq(lg__vg_finish(path, &o, &r, LG__EXIT_LEAK), LG__EXIT_LEAK);
	cr_assert(r.native_stacks);
	cr_assert(strstr(r.native_stacks, "(128 bytes in 2 over 2 measured iterations; grew in "
				   "2)"), "2 warm-up and 2 measured, as the header says:\n%s",
		  r.native_stacks);
	free(r.native_stacks);
	lg_series_release(&r.series);
}
