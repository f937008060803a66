/* test_valgrind.c: `leakgate run --valgrind` over the real binary and real memcheck: a
 * native leak with its stack, the Python counters still on, clean cases with no false
 * alarm, memcheck's errors reported, and the command-line errors. Few and short runs:
 * each worker pays ~3 s of Valgrind start-up. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

#define VG_TIMEOUT 240

/* The line of `needle` in tests/ext/lgtest.c, 0 if absent: the stack must name it. */
static int ext_line(const char *needle)
{
	FILE *f = fopen("tests/ext/lgtest.c", "r");
	char buf[512];
	int n = 0, found = 0;

	cr_assert(f, "cannot open tests/ext/lgtest.c");
	while (!found && fgets(buf, sizeof(buf), f)) {
		n++;
		found = strstr(buf, needle) != NULL;
	}
	fclose(f);
	return found ? n : 0;
}

/* The object of counter `name` in a JSON report of target number `index` (from 0). */
static const char *counter_json(const char *json, int index, const char *name)
{
	char key[64];
	const char *p = json;

	for (; index >= 0 && p; index--)
		p = strstr(p + 1, "{\"target\": ");
	cr_assert(p, "no target in the report:\n%s", json);
	snprintf(key, sizeof(key), "\"%s\": {", name);
	p = strstr(p, key);
	cr_assert(p, "no counter %s in the report:\n%s", name, json);
	return p;
}

/* The slope the report gives for a counter; fails when there is none. */
static double slope(const char *json, int index, const char *name)
{
	const char *p = strstr(counter_json(json, index, name), "\"slope\": ");

	cr_assert(p, "no slope for %s", name);
	return strtod(p + 9, NULL);
}

/* The totals of the first native loss record in `text` (the verdict's text or the JSON
 * report's native_stacks): its bytes and blocks lost while measured, over how many
 * measured iterations, and in how many it grew. Fails when there is none. */
static void lost_totals(const char *text, int64_t *bytes, int64_t *blocks,
			unsigned *measured, unsigned *grew)
{
	const char *p = strstr(text, "definitely lost per iteration (");

	cr_assert(p, "no native loss record in:\n%s", text);
	cr_assert_eq(sscanf(p, "definitely lost per iteration (%" SCNd64 " bytes in %" SCNd64
			    " over %u measured iterations; grew in %u)", bytes, blocks, measured,
			    grew), 4, "%s", p);
}

/*
 * Memcheck's leak search is conservative: a lost block whose address a register or a live
 * stack slot still holds is reachable to it. The worker clears the stack the target's call
 * left before each search (worker/vg.c), but a frame above the call or a register may still
 * hold one address: then that block is never counted, and a loss of one block per call
 * reads one short in the whole run (seen in CI on pyenv's 3.11.7, and here with some
 * process environments and not with others). So these tests allow one of a run's blocks
 * to go uncounted, and no more; each loss record counted must be the workload's, of
 * `record` bytes (memcheck adds to a block's own the bytes lost only through it), and
 * the definite bytes' trend must be exactly `size` times the blocks'. With one step
 * missing from a series of 20, Theil-Sen's median of the pairwise slopes stays at or
 * above 0.94.
 */

/* The per-call trend of the definite losses (assert_lost_per_call): one block a call, or
 * a little under, and exactly `size` bytes to each block. */
static void assert_blocks_per_call(const char *json, int index, double size)
{
	double blocks = slope(json, index, "vg_definite_blocks");

	cr_assert(blocks >= 0.9 && blocks <= 1.0, "vg_definite_blocks %g:\n%s", blocks, json);
	cr_assert_float_eq(slope(json, index, "vg_definite"), size * blocks, 1e-9);
}

static void assert_lost_per_call(const char *json, int index, const char *text, double size,
				 int64_t record)
{
	int64_t bytes = 0, n = 0;
	unsigned measured = 0, grew = 0;

	lost_totals(text, &bytes, &n, &measured, &grew);
	cr_assert(measured >= 2 && n <= measured && n + 1 >= measured, "%s", text);
	cr_assert(grew <= measured && grew + 1 >= measured, "%s", text);
	cr_assert_eq(bytes, record * n, "blocks of another size: %s", text);
	assert_blocks_per_call(json, index, size);
}

/* Runs `leakgate run --valgrind ARGS` with a JSON report on stdout: returns the exit code,
 * the report in *json and stderr (there the verdict lines) in *err (both freed by the
 * caller). */
static int run_valgrind(const char *args, char **json, char **err)
{
	char *cmd;
	int code;

	/* One memcheck worker at a time (-j 1): these tests are about memcheck's verdicts, and
	 * `make test` already runs two tests at once; each worker is CPU-bound for tens of
	 * seconds at start-up, so more would oversubscribe the machine by design. */
	cr_assert(asprintf(&cmd, "$LEAKGATE run -j 1 --valgrind --report - %s", args) > 0);
	code = lgt_sh(cmd, json, err);
	free(cmd);
	return code;
}

/* The C extension's malloc(64) per call: 64 bytes and 1 block per iteration, judged
 * growing, with the allocation stack naming the function and the line of its malloc. */
Test(valgrind, malloc_leak_with_its_stack, .timeout = VG_TIMEOUT)
{
	int line = ext_line("char *p = malloc(n);");
	char *json, *err, frame[64];
	int code;

	cr_assert(line > 0);
	code = run_valgrind("-w 5 -n 20 tests/corpus/leak_ext_malloc.py:work", &json, &err);
	cr_assert_eq(code, 1, "exit %d, want 1\n%s", code, err);
	cr_assert(strstr(err, "LEAK  tests/corpus/leak_ext_malloc.py:work  vg_definite +"),
		  "%s", err);
	assert_lost_per_call(json, 0, err, 64, 64);
	snprintf(frame, sizeof(frame), "by lgtest_lose_block (lgtest.c:%d)", line);
	cr_assert(strstr(err, frame), "no '%s' in:\n%s", frame, err);
	cr_assert(!strstr(err, "Valgrind reported"), "%s", err);
	cr_assert(strstr(json, "\"failed\": [\"vg_definite\", \"vg_definite_blocks\"]"), "%s", json);
	cr_assert(strstr(json, "\"native_stacks\": \"") &&
		  strstr(json, " definitely lost per iteration ("), "%s", json);
	cr_assert(strstr(json, frame), "no '%s' in the JSON native_stacks", frame);
	free(json);
	free(err);
}

/* A lost node that points to another: the first is definitely lost, the second only
 * through it, indirectly; the two counters tell them apart (the indirect figure comes from
 * memcheck's own summary in its log). */
Test(valgrind, indirect_losses_apart, .timeout = VG_TIMEOUT)
{
	char *json, *err;
	int code = run_valgrind("-q -w 5 -n 20 -c 'import _lgtest; _lgtest.leak_chain()'",
				&json, &err);

	cr_assert_eq(code, 1, "exit %d, want 1\n%s", code, err);
	/* The chain's two blocks are lost, or held, together: 48 indirect bytes to each
	 * 32-byte head. */
	assert_lost_per_call(json, 0, json, 32, 32 + 48);
	cr_assert_float_eq(slope(json, 0, "vg_indirect"),
			   48.0 * slope(json, 0, "vg_definite_blocks"), 1e-9);
	cr_assert(strstr(json, "\"vg_definite\", \"vg_indirect\""), "%s", json);
	free(json);
	free(err);
}

/* Under Valgrind CPython runs on malloc, and the counting hooks still see Python-level
 * leaks: the C extension's lost float and a growing list. */
Test(valgrind, python_counters_still_judge, .timeout = VG_TIMEOUT)
{
	char *json, *err;
	int code = run_valgrind("-q -w 5 -n 20 tests/corpus/leak_ext_refcount.py:work "
				"tests/corpus/leak_list.py:work", &json, &err);
	const char *second;

	cr_assert_eq(code, 1, "exit %d, want 1\n%s", code, err);
	cr_assert_geq(slope(json, 0, "py_blocks"), 1.0, "%s", json);
	cr_assert_geq(slope(json, 1, "py_blocks"), 1.0, "%s", json);
	second = strstr(json, "leak_list.py");
	cr_assert(second && strstr(json, "\"failed\": [\"py_blocks\"") &&
		  strstr(second, "\"failed\": [\"py_blocks\""), "%s", json);
	/* The lost float is a malloc'd block that memcheck sees lost (on pymalloc it would
	 * sit in an arena): the worker did switch to the malloc allocator. */
	cr_assert_geq(slope(json, 0, "vg_definite_blocks"), 1.0, "%s", json);
	/* The list's dicts are reachable: memcheck must not call them lost. */
	cr_assert_float_eq(slope(json, 1, "vg_definite"), 0.0, 1e-9);
	cr_assert(!strstr(err, "Valgrind reported"), "%s", err);
	free(json);
	free(err);
}

/* Clean workloads (threads, files, JSON, an extension's freed malloc): no false alarm
 * and no memcheck error. The whole corpus is checked by tests/valgrind-corpus.sh. */
Test(valgrind, clean_cases_pass, .timeout = VG_TIMEOUT)
{
	char *json, *err;
	int code = run_valgrind("-w 10 -n 30 tests/corpus/clean_ext_malloc.py:work "
				"tests/corpus/clean_thread.py:work tests/corpus/clean_fd.py:work",
				&json, &err);
	const char *p = json;
	int passes = 0;

	cr_assert_eq(code, 0, "exit %d, want 0\n%s", code, err);
	while ((p = strstr(p, "\"verdict\": \"pass\"")))
		passes++, p++;
	cr_assert_eq(passes, 3, "%s", json);
	cr_assert(!strstr(err, "Valgrind reported"), "%s", err);
	cr_assert(strstr(json, "\"vg_definite\": {"), "vg counters missing:\n%s", json);
	free(json);
	free(err);
}

/* An invalid read that neither leaks nor crashes still fails the target, with
 * memcheck's report and the iteration it happened in. */
Test(valgrind, memcheck_errors_fail_the_target, .timeout = VG_TIMEOUT)
{
	int line = ext_line("v = ((volatile char *)p)[past];");
	char *err, want[96];
	int code;

	cr_assert(line > 0);
	code = lgt_sh("$LEAKGATE run --valgrind -w 3 -n 20 "
		      "-c 'import _lgtest; _lgtest.read_past_end()'", &err, NULL);
	cr_assert_eq(code, 2, "exit %d, want 2\n%s", code, err);
	cr_assert(strstr(err, "ERROR -c  failed in iteration 1"), "%s", err);
	/* One error context; or two on 3.13, whose specialising interpreter reaches the
	 * function through another C path once the call site is specialised (memcheck keeps
	 * one context per distinct stack). */
	cr_assert(strstr(err, "Valgrind reported 1 error in the worker") ||
		  strstr(err, "Valgrind reported 2 errors in the worker"), "%s", err);
	cr_assert(strstr(err, "Invalid read of size 1"), "%s", err);
	snprintf(want, sizeof(want), "lgtest_read_past_end (lgtest.c:%d)", line);
	cr_assert(strstr(err, want), "no '%s' in:\n%s", want, err);
	free(err);
}

/* A leak with a memcheck error is a workload error like any other: its report names no
 * failed counter (the schema's rule for every verdict but leak, which check_reports
 * enforces on this report too) and still carries the lost block's stack. */
Test(valgrind, memcheck_error_in_a_leak_is_an_error, .timeout = VG_TIMEOUT)
{
	int line = ext_line("char *p = malloc(n);");
	char *json, *err, frame[64];
	int code = run_valgrind("-w 3 -n 20 -c 'import _lgtest; _lgtest.leak_malloc(64); "
				"_lgtest.read_past_end()'", &json, &err);
	const char *rec;
	int64_t bytes = 0, blocks = 0;
	unsigned measured = 0, grew = 0;

	cr_assert(line > 0);
	cr_assert_eq(code, 2, "exit %d, want 2\n%s", code, err);
	cr_assert(strstr(err, "Valgrind reported"), "%s", err);
	cr_assert(strstr(json, "\"verdict\": \"error\""), "%s", json);
	cr_assert(strstr(json, "\"failed\": []"), "%s", json);
	snprintf(frame, sizeof(frame), "by lgtest_lose_block (lgtest.c:%d)", line);
	rec = strstr(json, "\"native_stacks\": \"");
	cr_assert(rec, "%s", json);
	lost_totals(rec, &bytes, &blocks, &measured, &grew);
	/* Every block counted is one of the 64-byte ones; memcheck may have missed one
	 * (assert_lost_per_call), so their number is not asserted. */
	cr_assert(blocks >= 1 && bytes == 64 * blocks, "%s", json);
	cr_assert(strstr(json, frame), "no '%s' in the JSON native_stacks:\n%s", frame, json);
	free(json);
	free(err);
}

/* Suppressions of one's own reach memcheck through VALGRIND_OPTS, as documented: the
 * malloc(64) that fails malloc_leak_with_its_stack above, suppressed, no longer
 * counts as definitely lost, so the target passes. */
Test(valgrind, own_suppressions_through_valgrind_opts, .timeout = VG_TIMEOUT)
{
	char *json, *err;
	int code;

	lgt_write("own.supp", "{\n   lgtest_lose_block\n   Memcheck:Leak\n"
		  "   match-leak-kinds: definite\n   fun:malloc\n   fun:lgtest_lose_block\n}\n");
	code = lgt_sh("VALGRIND_OPTS=--suppressions=$T/own.supp $LEAKGATE run --valgrind -q -w 5 "
		      "-n 20 tests/corpus/leak_ext_malloc.py:work", &json, &err);
	cr_assert_eq(code, 0, "exit %d, want 0\n%s%s", code, json, err);
	cr_assert(strstr(json, "PASS  tests/corpus/leak_ext_malloc.py:work"), "%s", json);
	free(json);
	free(err);
}

/* leakgate itself started under valgrind, without --valgrind: its forked worker finds
 * itself under memcheck and judges the memcheck counters all the same. */
Test(valgrind, worker_under_valgrind_counts_by_itself, .timeout = VG_TIMEOUT)
{
	char *json, *err;
	int code = lgt_sh("valgrind -q --log-file=$T/outer.log $LEAKGATE run -q -w 3 -n 20 "
			  "--report - tests/corpus/leak_ext_malloc.py:work", &json, &err);

	cr_assert_eq(code, 1, "exit %d, want 1\n%s", code, err);
	cr_assert(strstr(json, "\"native_stacks\": null"), "stacks come only with --valgrind");
	assert_blocks_per_call(json, 0, 64);
	free(json);
	free(err);
}

/* Without valgrind on PATH: one line and exit 4, before any worker starts. The hidden
 * worker mode refuses to run by hand, and --help does not show it. */
Test(valgrind, usage_errors)
{
	char *err, *out;

	cr_assert_eq(lgt_sh("PATH=/nonexistent \"$LEAKGATE\" run --valgrind x.py:f", NULL, &err),
		     4);
	cr_assert(strstr(err, "leakgate: --valgrind: valgrind is not on PATH"), "%s", err);
	cr_assert_eq(lgt_lines(err), 1, "%s", err);
	free(err);
	cr_assert_eq(lgt_sh("$LEAKGATE --lg-worker 0 1", NULL, &err), 4);
	cr_assert_eq(lgt_lines(err), 1, "%s", err);
	free(err);
	cr_assert_eq(lgt_sh("$LEAKGATE --help", &out, NULL), 0);
	cr_assert(strstr(out, "--valgrind") && !strstr(out, "--lg-worker"), "%s", out);
	free(out);
}
