/* test_cli.c: the command line as a user meets it: help, usage errors, workload errors,
 * crashes and hangs in the worker, several targets, and the JSON report. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* Runs CMD and checks its exit code, then that stdout (the verdict lines and reports)
 * contains each of NEEDLES; returns stdout. */
static char *expect(const char *cmd, int code, const char *const *needles)
{
	char *out, *err;
	int got = lgt_sh(cmd, &out, &err);

	cr_assert_eq(got, code, "%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", cmd, got, code,
		     out, err);
	for (; needles && *needles; needles++)
		cr_assert(strstr(out, *needles), "%s: stdout lacks '%s':\n%s\nstderr:\n%s", cmd,
			  *needles, out, err);
	free(err);
	return out;
}

#define NEED(...) ((const char *const[]){ __VA_ARGS__, NULL })

Test(cli, help_and_version)
{
	char *out;

	cr_assert_eq(lgt_sh("$LEAKGATE --help", &out, NULL), 0);
	cr_assert(strstr(out, "usage: leakgate run"));
	cr_assert(strstr(out, "--budget"));
	free(out);
	cr_assert_eq(lgt_sh("$LEAKGATE run --help", &out, NULL), 0);
	cr_assert(strstr(out, "exit status: 0 no leak, 1 leak"));
	free(out);
	cr_assert_eq(lgt_sh("$LEAKGATE --version", &out, NULL), 0);
	cr_assert(!strncmp(out, "leakgate ", 9));
	free(out);
}

/* Every usage error: exit 4 and exactly one line on stderr. */
Test(cli, usage_errors_are_one_line)
{
	static const char *const cmds[] = {
		"$LEAKGATE",
		"$LEAKGATE frobnicate",
		"$LEAKGATE run",
		"$LEAKGATE run --no-such-option x.py:f",
		"$LEAKGATE run -n",
		"$LEAKGATE run -n 0 x.py:f",
		"$LEAKGATE run -n ten x.py:f",
		"$LEAKGATE run -w -3 x.py:f",
		"$LEAKGATE run --budget bogus=1 x.py:f",
		"$LEAKGATE run --budget py_blocks x.py:f",
		"$LEAKGATE run --budget py_blocks=-1 x.py:f",
		"$LEAKGATE run --budget rss=100 x.py:f",
		"$LEAKGATE run --timeout soon x.py:f",
		"$LEAKGATE run --window 2 x.py:f",
		"$LEAKGATE run -n 10 x.py:f",
		"$LEAKGATE run nocolon",
		"$LEAKGATE run 'x.py:not a name'",
		"$LEAKGATE run 'a..b:f'",
		"$LEAKGATE run --report /nonexistent/dir/r.json x.py:f",
		"$LEAKGATE run -q -v x.py:f",
		"$LEAKGATE run --color=sometimes x.py:f",
		"$LEAKGATE run --report - --junit - x.py:f",
		"$LEAKGATE run --junit-suite '' x.py:f",
		"$LEAKGATE run -j 0 x.py:f",
		"$LEAKGATE run --jobs many x.py:f",
		"$LEAKGATE run --budget= x.py:f",
		"$LEAKGATE run --budget , x.py:f",
		"$LEAKGATE run --budget py_blocks=1, x.py:f",
		"$LEAKGATE run --timeout 3000000 x.py:f",
		"$LEAKGATE run --max-memory lots x.py:f",
		"$LEAKGATE run --max-memory 1K x.py:f",
		"$LEAKGATE run --report $T/same --junit $T/same x.py:f",
		"$LEAKGATE run --report $T/same --junit $T/../$(basename $T)/same x.py:f",
		"$LEAKGATE run --plot $T/x.svg --graph $T/x.dot x.py:f",
		"$LEAKGATE run --on-leak=core --core-dir /proc x.py:f",
		NULL,
	};
	const char *const *c;

	for (c = cmds; *c; c++) {
		char *out, *err;

		cr_assert_eq(lgt_sh(*c, &out, &err), 4, "%s", *c);
		cr_assert(!strncmp(err, "leakgate: ", 10) && lgt_lines(err) == 1,
			  "%s: not one line:\n%s", *c, err);
		cr_assert_str_eq(out, "", "%s: usage errors go to stderr", *c);
		free(out);
		free(err);
	}
}

Test(cli, missing_file_module_function)
{
	const char *f = lgt_write("plain.py", "def work():\n    pass\n");
	char *cmd;

	free(expect("$LEAKGATE run $T/absent.py:work", 2, NEED("ERROR", "no such file")));
	free(expect("$LEAKGATE run no_such_module_xyz:work", 2,
		    NEED("ModuleNotFoundError", "no_such_module_xyz")));
	cr_assert(asprintf(&cmd, "$LEAKGATE run %s:absent", f) > 0);
	free(expect(cmd, 2, NEED("has no function 'absent'")));
	free(cmd);
}

Test(cli, syntax_error_is_a_workload_error)
{
	const char *f = lgt_write("broken.py", "def work(:\n    pass\n");
	char *cmd;

	cr_assert(asprintf(&cmd, "$LEAKGATE run %s:work", f) > 0);
	free(expect(cmd, 2, NEED("SyntaxError", "broken.py", "before the first iteration")));
	free(cmd);
}

Test(cli, exception_reports_traceback_and_iteration)
{
	const char *f = lgt_write("raises.py",
				  "n = 0\n"
				  "def work():\n"
				  "    global n\n"
				  "    n += 1\n"
				  "    if n == 7:\n"
				  "        raise ValueError('seventh call')\n");
	char *cmd;

	cr_assert(asprintf(&cmd, "$LEAKGATE run %s:work", f) > 0);
	free(expect(cmd, 2, NEED("failed in iteration 7", "Traceback (most recent call last)",
				 "raises.py\", line 6, in work", "ValueError: seventh call")));
	free(cmd);
}

/* The traceback module is imported only when a target fails, attribution's modules only
 * after a leak verdict, both after the target's directory went in front of sys.path, and
 * some of them import others only when called (3.13's linecache imports tokenize): a file
 * there named as a module they need (tokenize imports token) must not take its place, nor
 * a target named as one be registered as it (3.8 and 3.9 have no list of the standard
 * library's names). */
Test(cli, traceback_of_a_target_beside_a_stdlib_name)
{
	char *out;

	lgt_write("token.py", "raise RuntimeError('the standard library took this token.py')\n");
	lgt_write("tokenize.py", "def work():\n    raise ValueError('a tokenize.py target')\n"
				 "kept = []\n"
				 "def grow():\n    kept.append([])\n");
	free(expect("cd $T && $LEAKGATE run tokenize.py:work", 2,
		    NEED("Traceback (most recent call last)", "tokenize.py\", line 2, in work",
			 "ValueError: a tokenize.py target")));
	out = expect("cd $T && $LEAKGATE run tokenize.py:grow", 1,
		     NEED("why it is still alive", "global kept (list)", "tokenize.py\", line 5"));
	cr_assert(!strstr(out, "attribution incomplete"), "%s", out);
	free(out);
}

/* A file target is imported under its own name, so that importing it by that name finds
 * the same module, also when its directory is on PYTHONPATH (where it is found by name). */
Test(cli, file_target_imported_once_under_its_name)
{
	lgt_write("twin.py", "def work():\n"
			     "    import twin\n"
			     "    assert twin.work is work, 'a second copy of the target'\n");
	free(expect("cd $T && $LEAKGATE run -q twin.py:work", 0, NEED("PASS")));
	free(expect("cd / && PYTHONPATH=$T $LEAKGATE run -q $T/twin.py:work", 0, NEED("PASS")));
}

Test(cli, setup_runs_once_and_its_errors_are_reported)
{
	const char *ok = lgt_write("setup_ok.py",
				   "calls = []\n"
				   "def setup():\n"
				   "    calls.append(1)\n"
				   "def work():\n"
				   "    assert calls == [1], calls\n");
	char *cmd;

	cr_assert(asprintf(&cmd, "$LEAKGATE run -q %s:work", ok) > 0);
	free(expect(cmd, 0, NEED("PASS")));
	free(cmd);
	ok = lgt_write("setup_bad.py", "def setup():\n    1/0\ndef work():\n    pass\n");
	cr_assert(asprintf(&cmd, "$LEAKGATE run %s:work", ok) > 0);
	free(expect(cmd, 2, NEED("ZeroDivisionError", "before the first iteration")));
	free(cmd);
}

Test(cli, exit_and_interrupt)
{
	const char *f = lgt_write("exits.py",
				  "import sys, os\n"
				  "def exit3():\n    sys.exit(3)\n"
				  "def interrupt():\n    raise KeyboardInterrupt\n"
				  "def hard_exit():\n    os._exit(0)\n");
	char *cmd;

	cr_assert(asprintf(&cmd, "$LEAKGATE run %s:exit3", f) > 0);
	free(expect(cmd, 2, NEED("sys.exit(3)", "iteration 1")));
	free(cmd);
	cr_assert(asprintf(&cmd, "$LEAKGATE run %s:interrupt", f) > 0);
	free(expect(cmd, 2, NEED("KeyboardInterrupt")));
	free(cmd);
	cr_assert(asprintf(&cmd, "$LEAKGATE run %s:hard_exit", f) > 0);
	free(expect(cmd, 2, NEED("exited with status 0 without a result")));
	free(cmd);
}

Test(cli, crash_in_extension_is_isolated)
{
	const char *f = lgt_write("crashes.py",
				  "import _lgtest\n"
				  "n = 0\n"
				  "def segv():\n"
				  "    global n\n"
				  "    n += 1\n"
				  "    if n == 3:\n"
				  "        _lgtest.crash()\n"
				  "def abort():\n    _lgtest.abort()\n");
	const char *clean = lgt_write("fine.py", "def work():\n    return [1] * 10\n");
	char *cmd;

	/* The crashing target fails with the signal and iteration; the next still runs. */
	cr_assert(asprintf(&cmd, "$LEAKGATE run -q %s:segv %s:work", f, clean) > 0);
	free(expect(cmd, 2, NEED("signal 11", "iteration 3", "PASS  ")));
	free(cmd);
	cr_assert(asprintf(&cmd, "$LEAKGATE run %s:abort", f) > 0);
	free(expect(cmd, 2, NEED("signal 6", "iteration 1")));
	free(cmd);
}

Test(cli, hang_times_out, .timeout = 60)
{
	const char *f = lgt_write("hangs.py",
				  "import time\n"
				  "n = 0\n"
				  "def work():\n"
				  "    global n\n"
				  "    n += 1\n"
				  "    if n == 5:\n"
				  "        time.sleep(3600)\n");
	char *cmd;

	cr_assert(asprintf(&cmd, "$LEAKGATE run --timeout 1 %s:work", f) > 0);
	free(expect(cmd, 2, NEED("timed out", "iteration 5")));
	free(cmd);
}

/* A leak decides the exit code: a workload error elsewhere in the run never hides it
 * (README, "Exit codes"); without a leak the worst code wins. The closing line counts
 * every outcome. */
Test(cli, a_leak_wins_the_exit_code)
{
	const char *leak = lgt_write("leak.py", "x = []\ndef work():\n    x.append(object())\n");
	const char *fine = lgt_write("fine2.py", "def work():\n    pass\n");
	char *cmd, *err;

	cr_assert(asprintf(&cmd, "$LEAKGATE run -q %s:work %s:work 2>&1", fine, leak) > 0);
	err = expect(cmd, 1, NEED("PASS  ", "LEAK  "));
	cr_assert(strstr(err, "leakgate: 2 targets: 1 passed, 1 leaked, 0 errors, 0 skipped ("),
		  "%s", err);
	free(err);
	free(cmd);
	cr_assert(asprintf(&cmd, "$LEAKGATE run -q %s:work %s:nope 2>&1", leak, fine) > 0);
	err = expect(cmd, 1, NEED("LEAK  ", "ERROR "));
	cr_assert(strstr(err, "leakgate: 2 targets: 0 passed, 1 leaked, 1 error, 0 skipped ("),
		  "%s", err);
	free(err);
	free(cmd);
	cr_assert(asprintf(&cmd, "$LEAKGATE run -q %s:work %s:nope 2>&1", fine, fine) > 0);
	err = expect(cmd, 2, NEED("PASS  ", "ERROR "));
	cr_assert(strstr(err, "leakgate: 2 targets: 1 passed, 0 leaked, 1 error, 0 skipped ("),
		  "%s", err);
	free(err);
	free(cmd);
}

/* The first word and target of each report line, in the order printed. */
static char *verdict_lines(const char *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *line;

	for (line = err; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char word[8], target[256];

		if (sscanf(line, "%7s %255s", word, target) == 2 &&
		    (!strcmp(word, "PASS") || !strcmp(word, "LEAK") || !strcmp(word, "ERROR") ||
		     !strcmp(word, "SKIP")))
			fprintf(f, "%s %s\n", word, target);
	}
	fclose(f);
	return buf;
}

/* -j 2 gates several plain targets at once (a slow one does not hold the others back)
 * and prints the same verdicts in the same order as -j 1. */
Test(cli, jobs_keep_verdicts_and_order, .timeout = 120)
{
	const char *leak = lgt_write("jleak.py", "x = []\ndef work():\n    x.append(object())\n");
	const char *fine = lgt_write("jfine.py", "import time\n"
				     "def work():\n    pass\n"
				     "def slow():\n    time.sleep(0.02)\n");
	const char *crash = lgt_write("jcrash.py", "import _lgtest\ndef work():\n    _lgtest.crash()\n");
	char *cmd, *one, *two, *v1, *v2;

	cr_assert(asprintf(&cmd, "$LEAKGATE run -q -j 1 %s:slow %s:work %s:work %s:work -c pass 2>&1",
			   fine, leak, crash, fine) > 0);
	one = expect(cmd, 1, NEED("signal 11"));
	free(cmd);
	cr_assert(asprintf(&cmd, "$LEAKGATE run -q --jobs 2 %s:slow %s:work %s:work %s:work -c pass 2>&1",
			   fine, leak, crash, fine) > 0);
	two = expect(cmd, 1, NEED("signal 11"));
	free(cmd);
	v1 = verdict_lines(one);
	v2 = verdict_lines(two);
	cr_assert_eq(lgt_lines(v1), 5, "%s", one);
	cr_assert_str_eq(v1, v2, "-j 1:\n%s\n-j 2:\n%s", one, two);
	cr_assert(!strncmp(v1, "PASS ", 5) && strstr(v1, "\nLEAK ") && strstr(v1, "\nERROR "),
		  "%s", v1);
	cr_assert(strstr(two, "leakgate: 5 targets: 3 passed, 1 leaked, 1 error, 0 skipped ("),
		  "%s", two);
	free(v1);
	free(v2);
	free(one);
	free(two);
}

Test(cli, code_target)
{
	free(expect("$LEAKGATE run -q -c 'x = [i for i in range(100)]'", 0, NEED("PASS  -c")));
	free(expect("$LEAKGATE run -q -c 'import sys; sys.modules.setdefault(\"_h\", []).append(1.5 * len(sys.modules[\"_h\"]))'",
		    1, NEED("LEAK  -c")));
	free(expect("$LEAKGATE run -c 'def ('", 2, NEED("SyntaxError")));
}

Test(cli, module_target_imports_from_current_directory)
{
	char *cmd;

	lgt_write("pkg_cwd_test.py", "cache = {}\ndef work():\n    cache[str(len(cache))] = 1\n");
	cr_assert(asprintf(&cmd, "cd $T && $LEAKGATE run -q pkg_cwd_test:work") > 0);
	free(expect(cmd, 1, NEED("LEAK  pkg_cwd_test:work")));
	free(cmd);
}

Test(cli, budget_allows_growth)
{
	const char *f = lgt_write("slow.py", "x = []\ndef work():\n    x.append(None)\n");
	char *cmd;

	/* One list slot per call: py_bytes grows ~8 bytes/iter, blocks and objects do not;
	 * on a debug build refs grows by the one reference to None each slot holds. */
	cr_assert(asprintf(&cmd, "$LEAKGATE run -q %s:work", f) > 0);
	free(expect(cmd, 1, NEED("LEAK  ")));
	free(cmd);
	cr_assert(asprintf(&cmd, "$LEAKGATE run -q --budget py_bytes=64,native_bytes=4096,refs=1 "
			   "%s:work", f) > 0);
	free(expect(cmd, 0, NEED("PASS  ")));
	free(cmd);
}

/* A leak on a heap frozen before the first call: a growing snapshot collects the whole
 * heap (thawed) only on a doubling spacing, so a run to a leak verdict pays about
 * log2(calls) of those collections, not one per call. The workload counts them itself
 * (full collections that start with nothing frozen) and leaves the count in $T/whole. */
Test(cli, leak_on_a_big_heap_few_whole_collections, .timeout = 120)
{
	const char *f = lgt_write("bigleak.py",
		"import gc, os\n"
		"_heap, _kept, _n = [], [], [0]\n"
		"def _count(phase, info):\n"
		"    if phase == 'start' and info['generation'] == 2 and _kept and \\\n"
		"            gc.get_freeze_count() == 0:\n"
		"        _n[0] += 1\n"
		"def setup():\n"
		"    _heap.extend([i] for i in range(200000))\n"
		"    gc.callbacks.append(_count)\n"
		"def work():\n"
		"    _kept.append([len(_kept)])\n"
		"    with open(os.path.join(os.environ['T'], 'whole'), 'w') as f:\n"
		"        f.write('%d %d\\n' % (_n[0], len(_kept)))\n");
	char *cmd, *out;
	int whole = -1, calls = -1;

	cr_assert(asprintf(&cmd, "$LEAKGATE run -q --attribute 0 %s:work >/dev/null && exit 9; "
			   "cat \"$T/whole\"", f) > 0);
	cr_assert_eq(lgt_sh(cmd, &out, NULL), 0, "not a leak verdict, or no count:\n%s", out);
	cr_assert_eq(sscanf(out, "%d %d", &whole, &calls), 2, "%s", out);
	/* Growing snapshots 1, 3, 7, 15, ...: log2(calls) + 1, and the check before the
	 * verdict stands. */
	cr_assert(calls >= 30 && whole >= 1 && whole <= 12,
		  "%d whole-heap collections in %d calls", whole, calls);
	free(out);
	free(cmd);
}

/* Growth that stops, then calls that each drop a reference cycle made before the first
 * call and keep a new one: the truth is flat, but a snapshot that skips the whole-heap
 * collection counts the dropped cycle, which the frozen heap keeps. Such garbage never
 * reads as growth: the run passes. */
Test(cli, frozen_garbage_after_growth_passes, .timeout = 120)
{
	const char *f = lgt_write("frozencycles.py",
		"class Node:\n    pass\n"
		"def make():\n    n = Node(); n.me = n; return n\n"
		"_q, _fill = [], []\n"
		"def setup():\n    _q.extend(make() for i in range(2000))\n"
		"def work():\n"
		"    if len(_fill) < 40:\n        _fill.append([])\n"
		"    else:\n        _q.pop(0)\n        _q.append(make())\n");
	char *cmd;

	cr_assert(asprintf(&cmd, "$LEAKGATE run -q %s:work", f) > 0);
	free(expect(cmd, 0, NEED("PASS  ")));
	free(cmd);
}

/* A workload that grows for real for its first $AFTER calls, then holds steady while
 * making frozen garbage: each call drops a reference cycle made before the first call and
 * keeps a new one. The truth is growth that stopped. Growing snapshots between the ends
 * of spans do not collect the whole heap, so those after the switch count the dropped
 * cycles; the collection at the span's end frees them, but the span's floor had risen for
 * real before the switch, and a leak verdict there rests on samples read through garbage:
 * the check before it stands (CMD_CONFIRM) says so, and the verdict must be dropped and
 * judged afresh, the note saying so. */
static const char frozen_after_growth[] =
	"import os\n"
	"class Node:\n    pass\n"
	"def make():\n    n = Node(); n.me = n; return n\n"
	"_q, _grew, _calls = [], [], [0]\n"
	"_after = int(os.environ['AFTER'])\n"
	"def setup():\n"
	"    _q.extend(make() for i in range(2000))\n"
	"def work():\n"
	"    _calls[0] += 1\n"
	"    if _calls[0] <= _after:\n        _grew.append([])\n"
	"    else:\n        _q.pop(0)\n        _q.append(make())\n";

/* Reads verdict and iterations of a --report's only target. */
#define JSON_VERDICT "python3 -c 'import json, sys; t = json.load(open(sys.argv[1]))" \
	"[\"targets\"][0]; print(t[\"verdict\"], t[\"iterations\"])' $T/fg.json"

/* Mid-run: the switch after call 140, the leak verdict at call 150 read through the
 * garbage, dropped, and the run judges afresh and passes before its limit. */
Test(cli, frozen_garbage_verdict_dropped_mid_run, .timeout = 120)
{
	const char *f = lgt_write("frozenafter.py", frozen_after_growth);
	char *cmd, *out, *err;
	int n = 0;

	cr_assert(asprintf(&cmd, "AFTER=140 $LEAKGATE run -v --report $T/fg.json %s:work "
			   ">/dev/null && " JSON_VERDICT, f) > 0);
	cr_assert_eq(lgt_sh(cmd, &out, &err), 0, "%s\n%s", out, err);
	cr_assert(strstr(err, "growth read through garbage the frozen heap kept; measuring "
			      "on\n"), "the verdict was not dropped:\n%s", err);
	cr_assert(sscanf(out, "pass %d", &n) == 1 && n > 150 && n <= 310, "%s", out);
	free(out);
	free(err);
	free(cmd);
}

/* At the limit (-n 40: the switch after call 45, the leak verdict at call 50, the
 * limit): the dropped verdict is judged afresh past the limit,
 * on the call after attribution and a whole --window after it (71 calls in all), and
 * passes; before, the false leak stood there. */
Test(cli, frozen_garbage_verdict_dropped_at_the_limit, .timeout = 120)
{
	const char *f = lgt_write("frozenlimit.py", frozen_after_growth);
	char *cmd, *out, *err;

	cr_assert(asprintf(&cmd, "AFTER=45 $LEAKGATE run -v -n 40 --report $T/fg.json %s:work "
			   ">/dev/null && " JSON_VERDICT, f) > 0);
	cr_assert_eq(lgt_sh(cmd, &out, &err), 0, "%s\n%s", out, err);
	cr_assert(strstr(err, "growth read through garbage the frozen heap kept; measuring "
			      "on past the limit (-n)\n"), "the verdict was not dropped:\n%s", err);
	cr_assert_str_eq(out, "pass 71\n");
	free(out);
	free(err);
	free(cmd);
}

/* A cache that fills at one entry a call and is first found full at the limit (an
 * lru_cache(300) keyed beyond the small ints, so that its entries, once it is full,
 * replace ones of their own size): its credit rests on growth the run has not seen stop,
 * so the run goes past the limit (-w 10 -n 300: 310 calls) by the call after attribution
 * and a whole --window (331), sees the counters flat and passes, saying so. Its turnover
 * counterpart is corpus/leak_lru_turnover_50. */
Test(cli, bounded_cache_full_at_the_limit_passes_past_it, .timeout = 120)
{
	const char *f = lgt_write("fill300.py",
		"import functools, itertools\n"
		"_calls = itertools.count(1000)\n"
		"@functools.lru_cache(maxsize=300)\n"
		"def page(n):\n    return b'x' * 64\n"
		"def work():\n    page(next(_calls))\n");
	char *cmd;

	cr_assert(asprintf(&cmd, "$LEAKGATE run -v %s:work 2>&1", f) > 0);
	free(expect(cmd, 0, NEED("PASS  ", "(331 iterations", "(300 of 300 entries)",
				 "credited at the limit: the run went 21 calls past it (-n)")));
	free(cmd);
}

Test(cli, json_report)
{
	const char *f = lgt_write("leak_j.py", "x = []\ndef work():\n    x.append(object())\n");
	char *cmd, *out;

	cr_assert(asprintf(&cmd, "$LEAKGATE run -q -w 5 -n 20 --report $T/j.json %s:work -c 'pass' >/dev/null; "
			   "python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); "
			   "t = d[\"targets\"]; print(len(t), t[0][\"verdict\"], t[1][\"verdict\"], "
			   "t[0][\"failed\"][0], t[0][\"warmup\"], "
			   "len(t[0][\"counters\"][\"py_blocks\"][\"series\"]) == t[0][\"iterations\"], "
			   "float(t[0][\"counters\"][\"py_blocks\"][\"slope\"]))' $T/j.json", f) > 0);
	cr_assert_eq(lgt_sh(cmd, &out, NULL), 0);
	cr_assert_str_eq(out, "2 leak pass py_blocks 5 True 1.0\n");
	free(out);
	free(cmd);
}

/* The documentation names what the code judges and reads: --help and the --budget error
 * list vg_indirect, and the man page's ENVIRONMENT every variable leakgate reads (getenv
 * in src/ and harness/; PATH and TERM aside), and VALGRIND_OPTS for suppressions. */
Test(cli, docs_name_what_is_judged_and_read)
{
	char *out, *err;

	cr_assert_eq(lgt_sh("$LEAKGATE --help", &out, NULL), 0);
	cr_assert(strstr(out, " vg_indirect ") && strstr(out, "VALGRIND_OPTS=--suppressions="),
		  "%s", out);
	free(out);
	cr_assert_eq(lgt_sh("$LEAKGATE run --budget bogus=1 x.py:f", NULL, &err), 4);
	cr_assert(strstr(err, " vg_indirect,"), "%s", err);
	free(err);
	cr_assert_eq(lgt_sh("man=$(dirname \"$LEAKGATE\")/leakgate.1; "
			    "env=$(sed -n '/^.SH ENVIRONMENT/,/^.SH FILES/p' \"$man\"); "
			    "for v in $(grep -rhoE 'getenv\\(\"[A-Z_]+\"\\)' src harness | "
			    "sed 's/getenv(\"\\(.*\\)\")/\\1/' | sort -u) VALGRIND_OPTS; do "
			    "case $v in PATH|TERM) continue;; esac; "
			    "printf '%s\\n' \"$env\" | grep -qx \".B $v\" || echo \"missing: $v\"; done",
			    &out, NULL), 0);
	cr_assert_str_eq(out, "", "the man page's ENVIRONMENT lacks:\n%s", out);
	free(out);
}

/* Every long option the parser takes is in --help, in the man page made from it and in
 * the README's options table: an option added to longopts cannot go undocumented (the
 * memory guard's --max-memory once was missing from --help and the man page). */
static const char every_option_sh[] =
	"man=$(dirname \"$LEAKGATE\")/leakgate.1\n"
	"help=$(\"$LEAKGATE\" --help) || echo \"--help failed\"\n"
	"opts=$(sed -n '/^static const struct option longopts/,/^};/p' harness/main.c |\n"
	"\tsed -n 's/^\t{ \"\\([a-z-]*\\)\", .*/\\1/p')\n"
	"test -n \"$opts\" || echo \"no options read from harness/main.c\"\n"
	"terms=$(sed -n '/^\\.TP/{n;p}' \"$man\" | sed 's/\\\\-/-/g; s/\\\\f[BIR]//g')\n"
	"for o in $opts; do\n"
	"\tpat=\"(^| )--$o([ =,]|$)\"\n"
	"\tprintf '%s\\n' \"$help\" | grep -qE -- \"$pat\" || echo \"--help lacks --$o\"\n"
	"\tprintf '%s\\n' \"$terms\" | grep -qE -- \"$pat\" || echo \"the man page lacks --$o\"\n"
	"\tgrep -qE -- \"^\\| [^|]*--$o[ =\\`]\" README.md || echo \"README's table lacks --$o\"\n"
	"done\n";

Test(cli, every_option_documented)
{
	char *out;

	lgt_write("options.sh", every_option_sh);
	cr_assert_eq(lgt_sh("sh $T/options.sh", &out, NULL), 0);
	cr_assert_str_eq(out, "", "%s", out);
	free(out);
}
