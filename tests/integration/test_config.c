/* test_config.c: [tool.leakgate] in pyproject.toml (found from the current directory
 * upward, the command line winning, a malformed file a usage error naming its line) and
 * the baseline of known leaks (written, gated against: known, grown, new and fixed
 * leaks), over the real binary and real workloads. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* A workload module: leak() keeps LEAK_N objects per call (default 1), clean() none. */
static const char workload[] =
	"import os\n"
	"_kept = []\n"
	"N = int(os.environ.get('LEAK_N', '1'))\n"
	"def leak():\n"
	"    for _ in range(N):\n"
	"        _kept.append(object())\n"
	"def leak_other():\n"
	"    _kept.append(object())\n"
	"def clean():\n"
	"    [0] * 8\n";

/* Prints, per target of a JSON report, "TARGET VERDICT warmup=N budget.C=N..." for the
 * counters named after the report's path, plus known= and fixed= lists. */
static const char summarize[] =
	"import json, sys\n"
	"for t in json.load(open(sys.argv[1]))['targets']:\n"
	"    b = ' '.join('%s=%g' % (c, t['counters'][c]['budget']) for c in sys.argv[2:]\n"
	"                 if c in t.get('counters', {}))\n"
	"    print(t['target'], t['verdict'], 'warmup=%d' % t['warmup'], b,\n"
	"          'known=' + ','.join(t['known']), 'fixed=' + ','.join(t['fixed']))\n";

static char *run(const char *cmd, int *code, char **err)
{
	char *out;

	*code = lgt_sh(cmd, &out, err);
	return out;
}

/* A pyproject.toml whose other tables hold what a sloppy reader would take for
 * leakgate's table: a multi-line string with a header in it, nested arrays. */
static const char pyproject[] =
	"[project]\n"
	"name = \"demo\"\n"
	"description = \"\"\"\n"
	"[tool.leakgate]\n"
	"iterations = \"not leakgate's\"\n"
	"\"\"\"\n"
	"dependencies = [\n"
	"  \"a\",\n"
	"  [\"b\"],  # ]\n"
	"]\n"
	"\n"
	"[tool.leakgate]\n"
	"warmup = 10  # a comment\n"
	"window = 10\n"
	"report = \"out/leakgate.json\"\n"
	"targets = [\n"
	"    \"w.py:clean\",\n"
	"    'w.py:leak',  # keeps one object per call\n"
	"]\n"
	"\n"
	"[tool.leakgate.budget]\n"
	"py_bytes = 1_000\n"
	"\n"
	"[tool.other]\n"
	"x = { a = [1, 2], b = \"\"\"}\"\"\" }\n";

#define PROJECT                                                                      \
	"P=$T/proj; rm -rf $P; mkdir -p $P/sub/deeper $P/out && cp $T/w.py $P/ && "        \
	"cp $T/pyproject.toml $P/ && "

Test(config, found_upward_and_the_command_line_wins, .timeout = 120)
{
	char *out, *err, *cmd;
	int code;

	lgt_write("w.py", workload);
	lgt_write("pyproject.toml", pyproject);
	lgt_write("sum.py", summarize);

	/* From two directories below: the file's targets, run from the file's directory,
	 * with its options and its report path (relative to the file). */
	out = run(PROJECT "cd $P/sub/deeper && $LEAKGATE run -q >&2; echo \"exit $?\"; "
		  "python3 $T/sum.py $P/out/leakgate.json py_bytes py_blocks", &code, &err);
	cr_assert_eq(code, 0, "%s\n%s", out, err);
	cr_assert_str_eq(out, "exit 1\n"
			 "w.py:clean pass warmup=10 py_bytes=1000 py_blocks=0 known= fixed=\n"
			 "w.py:leak leak warmup=10 py_bytes=1000 py_blocks=0 known= fixed=\n",
			 "%s", err);
	free(out);
	free(err);

	/* The command line wins: its target replaces the file's, its -w the file's warm-up,
	 * its --report the file's; the file's budget stays (the command line named none). */
	out = run(PROJECT "cd $P && $LEAKGATE run -q -w 12 --report cli.json w.py:clean >&2; "
		  "echo \"exit $?\"; python3 $T/sum.py cli.json py_bytes; "
		  "test -e out/leakgate.json && echo 'file report written'", &code, &err);
	cr_assert_str_eq(out, "exit 0\nw.py:clean pass warmup=12 py_bytes=1000 known= fixed=\n",
			 "%s", err);
	free(out);
	free(err);

	/* A --budget on the command line replaces only the counters it names: with the
	 * file's py_bytes, one object a call is within budget. A debug build judges refs
	 * too, and one object kept a call is one reference more a call: it names that
	 * counter's budget as well. */
	cr_assert(asprintf(&cmd, PROJECT "cd $P && $LEAKGATE run -q --budget py_blocks=3%s "
			   "--report b.json >&2; echo \"exit $?\"; "
			   "python3 $T/sum.py b.json py_bytes py_blocks",
			   lgt_has_counter("refs", NULL) ? ",refs=3" : "") > 0);
	out = run(cmd, &code, &err);
	free(cmd);
	cr_assert_str_eq(out, "exit 0\n"
			 "w.py:clean pass warmup=10 py_bytes=1000 py_blocks=3 known= fixed=\n"
			 "w.py:leak pass warmup=10 py_bytes=1000 py_blocks=3 known= fixed=\n",
			 "%s", err);
	free(out);
	free(err);

	/* --no-config reads none; --config names one. */
	out = run(PROJECT "cd $P/sub && $LEAKGATE run -q --no-config -w 5 --report n.json "
		  "../w.py:clean >&2; echo \"exit $?\"; python3 $T/sum.py n.json py_bytes; "
		  "cd / && $LEAKGATE run -q --config $P/pyproject.toml --report $P/c.json >&2; "
		  "echo \"exit $?\"; python3 $T/sum.py $P/c.json py_bytes", &code, &err);
	cr_assert_str_eq(out, "exit 0\n../w.py:clean pass warmup=5 py_bytes=0 known= fixed=\n"
			 "exit 1\n"
			 "w.py:clean pass warmup=10 py_bytes=1000 known= fixed=\n"
			 "w.py:leak leak warmup=10 py_bytes=1000 known= fixed=\n", "%s", err);
	free(out);
	free(err);
}

/* Each malformed file: exit 4 and one line on stderr naming the file and the line. */
Test(config, malformed_file_is_a_usage_error_naming_the_line, .timeout = 60)
{
	static const char *const cases[][2] = {
		{ "iterations = \"many\"\n", ":2: iterations expects a number" },
		{ "iterations = 1979-05-27\n", ":2: not a number leakgate reads" },
		{ "iterations = 0x10\n", ":2: write numbers in decimal" },
		{ "warmup = 5\nwarmup = 6\n", ":3: 'warmup' is given twice (first on line 2)" },
		{ "colour = true\n", ":2: unknown key 'colour' in [tool.leakgate]" },
		{ "targets = \"w.py:leak\"\n", ":2: targets expects an array of strings" },
		{ "targets = [1]\n", ":2: leakgate's arrays hold strings only" },
		{ "targets = [\n  \"w.py:leak\"\n  \"w.py:clean\"\n]\n", ":4: expected ',' or ']'" },
		{ "targets = [\"nocolon\"]\n", ":2: targets: bad target 'nocolon'" },
		{ "budget = { rss = 1 }\n", ":2: budget.rss: rss is reported, never judged" },
		{ "budget = 5\n", ":2: budget is a table of counters" },
		{ "\n\n[tool.leakgate.budget]\nbogus = 1\n", ":5: budget.bogus: unknown counter" },
		{ "report = \"\"\"r.json\"\"\"\n", ":2: multi-line strings are not supported" },
		{ "report = \"r.json\" junit = \"j.xml\"\n", ":2: unexpected 'j' after the value" },
		{ "valgrind = 1\n", ":2: valgrind expects true or false" },
		{ "warmup =\n", ":2: a value is missing" },
		{ "report = \"unterminated\n", ":2: unterminated string" },
		{ "[[tool.leakgate.targets]]\n", ":2: arrays of tables are not supported" },
		{ "targets = []\npytest = []\n", ":3: pytest: give targets or pytest, not both" },
	};
	size_t i;

	lgt_write("w.py", workload);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text, *err;
		int code;

		cr_assert(asprintf(&text, "[tool.leakgate]\n%s", cases[i][0]) > 0);
		lgt_write("pyproject.toml", text);
		code = lgt_sh("cd $T && $LEAKGATE run -q w.py:clean", NULL, &err);
		cr_expect_eq(code, 4, "case %zu: exit %d, want 4:\n%s", i, code, err);
		cr_expect_eq(lgt_lines(err), 1, "case %zu: not one line:\n%s", i, err);
		cr_expect(strstr(err, "pyproject.toml") && strstr(err, cases[i][1]),
			  "case %zu: want '%s' in:\n%s", i, cases[i][1], err);
		free(text);
		free(err);
	}
	/* --help still works. */
	cr_assert_eq(lgt_sh("cd $T && $LEAKGATE run --help | grep -c update-baseline", NULL, NULL), 0);
}

/* The baseline: --update-baseline records the leaks (sorted, stable numbers); gated
 * against it, a known leak passes as KNOWN (exit 0), a leak that grew and a new one fail,
 * a fixed one passes and says its line can go. */
Test(baseline, write_then_gate_known_grown_new_and_fixed, .timeout = 240)
{
	/* A debug build judges refs too: one object kept a call is one reference more a
	 * call, so refs is a known, and then a fixed, leak as well. */
	int refs = lgt_has_counter("refs", NULL);
	const char *also = refs ? ",refs" : "", *and = refs ? " refs" : "";
	char *out, *err, *first, *want;
	int code;

	lgt_write("w.py", workload);
	/* The leak first on the command line, so sorting shows. */
	out = run("cd $T && $LEAKGATE run -q -w 10 --window 10 --baseline b.txt --update-baseline "
		  "w.py:leak w.py:clean >&2; echo \"exit $?\"; grep -v '^#' b.txt", &code, &err);
	cr_assert_eq(code, 0);
	cr_assert(!strncmp(out, "exit 0\nw.py:leak  py_blocks  1\n", 31), "%s\n%s", out, err);
	cr_assert(strstr(err, "KNOWN w.py:leak  py_blocks +1.00/iter"), "%s", err);
	cr_assert(strstr(err, "known leak"), "%s", err);
	first = out;
	free(err);

	/* The same leak measured again writes the same file. */
	out = run("cd $T && $LEAKGATE run -q -w 10 --window 10 --baseline b2.txt --update-baseline "
		  "w.py:clean w.py:leak >&2; echo \"exit $?\"; grep -v '^#' b2.txt", &code, &err);
	cr_assert_str_eq(out, first, "%s", err);
	free(out);
	free(err);
	free(first);

	/* Known: passes, listed as known in the text and the JSON. */
	lgt_write("sum.py", summarize);
	out = run("cd $T && $LEAKGATE run -w 10 --window 10 --baseline b.txt --report r.json "
		  "w.py:leak w.py:clean >&2; echo \"exit $?\"; python3 sum.py r.json py_blocks",
		  &code, &err);
	cr_assert(asprintf(&want, "exit 0\n"
			   "w.py:leak known warmup=10 py_blocks=1 known=py_blocks,py_bytes%s "
			   "fixed=\nw.py:clean pass warmup=10 py_blocks=0 known= fixed=\n",
			   also) > 0);
	cr_assert_str_eq(out, want, "%s", err);
	free(want);
	cr_assert(strstr(err, "KNOWN w.py:leak  py_blocks +1.00/iter [+1.00, +1.00] within "
			 "the baseline"), "%s", err);
	cr_assert(strstr(err, "py_blocks          +1.00 [+1.00, +1.00]                      1  "
			 "bounded"), "the baseline's budget: %s", err);
	cr_assert(asprintf(&want, "known leak (baseline): py_blocks py_bytes%s\n", and) > 0);
	cr_assert(strstr(err, want), "%s", err);
	free(want);
	free(out);
	free(err);

	/* Grown (three objects a call where one was recorded) and new (not in the file). */
	out = run("cd $T && LEAK_N=3 $LEAKGATE run -q -w 10 --window 10 --baseline b.txt "
		  "w.py:leak >&2; echo \"exit $?\"; $LEAKGATE run -q -w 10 --window 10 "
		  "--baseline b.txt w.py:leak_other >&2; echo \"exit $?\"", &code, &err);
	cr_assert_str_eq(out, "exit 1\nexit 1\n", "%s", err);
	cr_assert(strstr(err, "LEAK  w.py:leak  py_blocks +3.00/iter"), "%s", err);
	cr_assert(strstr(err, "LEAK  w.py:leak_other  py_blocks +1.00/iter"), "%s", err);
	free(out);
	free(err);

	/* Fixed: passes, and says the line can go. */
	out = run("cd $T && LEAK_N=0 $LEAKGATE run -w 10 --window 10 --baseline b.txt "
		  "--report f.json w.py:leak >&2; echo \"exit $?\"; python3 sum.py f.json",
		  &code, &err);
	cr_assert(asprintf(&want, "exit 0\nw.py:leak pass warmup=10  known= "
			   "fixed=py_blocks,py_bytes%s\n", also) > 0);
	cr_assert_str_eq(out, want, "%s", err);
	free(want);
	cr_assert(strstr(err, "PASS  w.py:leak"), "%s", err);
	cr_assert(asprintf(&want, "fixed: no longer grows past its budget, so its baseline "
			   "line can go: py_blocks py_bytes%s\n", and) > 0);
	cr_assert(strstr(err, want), "%s", err);
	free(want);
	free(out);
	free(err);

	/* Updated by a run of other targets: their leaks are added, the lines of targets
	 * it did not gate stay; updated by a run where the leak is fixed, its lines go. */
	out = run("cd $T && cp b.txt b3.txt && $LEAKGATE run -q -w 10 --window 10 --baseline "
		  "b3.txt --update-baseline w.py:leak_other w.py:clean >&2; echo \"exit $?\"; "
		  "grep -v '^#' b3.txt | cut -d' ' -f1-3 | tr -s ' '; LEAK_N=0 $LEAKGATE run -q "
		  "-w 10 --window 10 --baseline b3.txt --update-baseline w.py:leak >&2; "
		  "grep -v '^#' b3.txt | cut -d' ' -f1-3 | tr -s ' '", &code, &err);
	cr_assert(asprintf(&want, "exit 0\n"
			   "w.py:leak py_blocks\nw.py:leak py_bytes\n%s"
			   "w.py:leak_other py_blocks\nw.py:leak_other py_bytes\n%s"
			   "w.py:leak_other py_blocks\nw.py:leak_other py_bytes\n%s",
			   refs ? "w.py:leak refs\n" : "", refs ? "w.py:leak_other refs\n" : "",
			   refs ? "w.py:leak_other refs\n" : "") > 0);
	cr_assert_str_eq(out, want, "%s", err);
	free(want);
	free(out);
	free(err);
}

/* A malformed baseline is a usage error naming its line; a missing one too. */
/* A leak in bursts the trend does not show (a burst every 40 calls; its interval reaches
 * down to 0): its floor failed it, so its floor's growth is what is known. */
static const char bursts[] =
	"import itertools\n"
	"_calls = itertools.count(1)\n"
	"_kept = []\n"
	"def leak():\n"
	"    n = next(_calls)\n"
	"    if n % 40 == 20:\n"
	"        _kept.append([object() for _ in range(30)])\n";

Test(baseline, burst_leak_is_known_by_its_floor, .timeout = 240)
{
	char *out, *err;
	int code;

	lgt_write("bursts.py", bursts);
	/* The reports go to stdout, before what the shell echoes. */
	out = run("cd $T && $LEAKGATE run --baseline b.txt --update-baseline bursts.py:leak; "
		  "echo \"exit $?\"; grep -c '^bursts.py:leak  py_blocks ' b.txt", &code, &err);
	cr_assert(strstr(out, "\nexit 0\n1\n"), "%s\n%s", out, err);
	cr_assert(strstr(out, "KNOWN bursts.py:leak  py_blocks "), "%s\n%s", out, err);
	free(out);
	free(err);
	/* Gated against it: known (its floor still rises past its own budget), not a pass. */
	out = run("cd $T && $LEAKGATE run --baseline b.txt bursts.py:leak; echo \"exit $?\"",
		  &code, &err);
	cr_assert(strstr(out, "\nexit 0\n"), "%s\n%s", out, err);
	cr_assert(strstr(out, "KNOWN bursts.py:leak  py_blocks "), "%s\n%s", out, err);
	cr_assert(strstr(out, "known leak (baseline): py_blocks"), "%s\n%s", out, err);
	free(out);
	free(err);
}

Test(baseline, malformed_file_is_a_usage_error, .timeout = 30)
{
	static const char *const cases[][2] = {
		{ "# ok\nw.py:leak  py_blocks\n", "b.txt:2: " },
		{ "w.py:leak  bogus  1\n", "b.txt:1: not a judged counter: 'bogus'" },
		{ "w.py:leak  rss  1\n", "b.txt:1: not a judged counter: 'rss'" },
		{ "w.py:leak  py_blocks  -1\n", "b.txt:1: the slope is not a number >= 0: '-1'" },
		{ "w.py:leak  py_blocks  1\n\nw.py:leak py_blocks 2\n",
		  "b.txt:3: a second line for the same target and counter" },
	};
	size_t i;
	char *err;

	lgt_write("w.py", workload);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int code;

		lgt_write("b.txt", cases[i][0]);
		code = lgt_sh("cd $T && $LEAKGATE run -q --baseline b.txt w.py:clean", NULL, &err);
		cr_expect_eq(code, 4, "case %zu: exit %d:\n%s", i, code, err);
		cr_expect_eq(lgt_lines(err), 1, "case %zu:\n%s", i, err);
		cr_expect(strstr(err, cases[i][1]), "case %zu: want '%s' in:\n%s", i, cases[i][1],
			  err);
		free(err);
	}
	cr_assert_eq(lgt_sh("cd $T && $LEAKGATE run -q --baseline none.txt w.py:clean", NULL,
			    &err), 4);
	cr_assert(strstr(err, "--baseline 'none.txt': No such file"), "%s", err);
	free(err);
}

/* The JUnit suite's name and the colour mode come from the file as written (names, not
 * paths relative to it); a bad mode is a usage error naming the line. */
Test(config, junit_suite_and_color_from_the_file, .timeout = 60)
{
	char *out, *err;

	lgt_write("w.py", workload);
	lgt_write("pyproject.toml", "[tool.leakgate]\nwarmup = 2\niterations = 20\n"
		  "junit = \"j.xml\"\njunit-suite = \"demo/suite\"\ncolor = \"always\"\n"
		  "targets = [\"w.py:clean\"]\n");
	cr_assert_eq(lgt_sh("mkdir -p $T/sub && cd $T/sub && $LEAKGATE run -q", &out, NULL), 0);
	cr_assert(!strncmp(out, "\033[32mPASS\033[0m  w.py:clean  (", 28), "%s", out);
	free(out);
	cr_assert_eq(lgt_sh("grep -o '<testsuite name=\"[^\"]*\"' $T/j.xml", &out, NULL), 0);
	cr_assert_str_eq(out, "<testsuite name=\"demo/suite\"\n");
	free(out);
	lgt_write("pyproject.toml", "[tool.leakgate]\ncolor = \"sometimes\"\n");
	cr_assert_eq(lgt_sh("cd $T && $LEAKGATE run -q w.py:clean", NULL, &err), 4);
	cr_assert(strstr(err, "pyproject.toml:2: color expects auto, always or never, not "
			 "'sometimes'"), "%s", err);
	free(err);
}
