/* test_hygiene.c: what a run leaves behind, over the real binary: no worker outlives a
 * killed or interrupted leakgate, no child of the workload outlives its target, reports
 * survive an interruption complete and marked, and the memory guard stops a runaway. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* Runs CMD; checks its exit code and that stdout+stderr contain each of NEEDLES. */
static void expect(const char *cmd, int code, const char *const *needles)
{
	char *out, *err;
	int got = lgt_sh(cmd, &out, &err);

	cr_assert_eq(got, code, "%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", cmd, got, code,
		     out, err);
	for (; needles && *needles; needles++)
		cr_assert(strstr(out, *needles) || strstr(err, *needles),
			  "%s: output lacks '%s':\nstdout:\n%s\nstderr:\n%s", cmd, *needles, out,
			  err);
	free(out);
	free(err);
}

#define NEED(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Processes whose command line starts with `pattern` (the test's own shell, whose
 * command line holds every name below, starts with "sh"). */
#define COUNT(pattern) "pgrep -c -f \"^" pattern "\""
/* leakgate's processes that gate the target `name` in this test's directory $T:
 * `leakgate run ...`, its workers (`leakgate --lg-worker ...`) and the workload's forks of
 * them; not those of another run of the suite on the machine (a matrix build, a second
 * checkout), which gate a file of the same name in a directory of their own. */
#define COUNT_LG(name) COUNT("/[^ ]*leakgate .*$T/" name)

static const char spin[] = "def work():\n    while True:\n        pass\n";

/* Bounded polling, for a loaded machine: waits until the shell command COUNT prints at
 * least N (else the test's shell exits 10), or until it prints 0 (then goes on). */
#define AWAIT_AT_LEAST(count, n) \
	"i=0; until test \"$(" count ")\" -ge " #n "; do i=$((i+1)); " \
	"test $i -le 600 || exit 10; sleep 0.05; done; "
#define AWAIT_NONE(count) \
	"i=0; until test \"$(" count ")\" = 0; do i=$((i+1)); " \
	"test $i -le 200 || break; sleep 0.05; done; "

/* The workload's programs below are `sleep 600.MN`: M is the test shell's pid ($LGT_MARK,
 * which the worker inherits), N names the program, so that only this test's are counted.
 * The test ends them itself, by pid, whatever the outcome. */
#define COUNT_MARKED "pgrep -c -f \"^sleep 600\\.$LGT_MARK\""
#define MARK "export LGT_MARK=$$; "
#define END_MARKED "pgrep -f \"^sleep 600\\.$LGT_MARK\" | xargs -r kill -KILL; "

/* SIGKILL cannot be caught: the worker dies with its supervisor (PR_SET_PDEATHSIG). */
Test(hygiene, worker_dies_with_a_killed_supervisor, .timeout = 60)
{
	lgt_write("spin_killed.py", spin);
	expect("$LEAKGATE run $T/spin_killed.py:work & P=$!; "
	       AWAIT_AT_LEAST(COUNT_LG("spin_killed.py"), 2)  /* leakgate + worker */
	       "kill -KILL $P; wait $P; " AWAIT_NONE(COUNT_LG("spin_killed.py"))
	       "n=$(" COUNT_LG("spin_killed.py") "); echo \"left: $n\"; test \"$n\" = 0", 0,
	       NEED("left: 0"));
}

/* SIGTERM: the workers stop, the reports are complete and mark both targets (the one
 * running and the one never started), and the exit code is 128 + 15. */
Test(hygiene, sigterm_writes_marked_reports, .timeout = 60)
{
	lgt_write("spin_term.py", spin);
	lgt_write("fine_term.py", "def work():\n    pass\n");
	expect("echo old > $T/term.json; "
	       "$LEAKGATE run -j 1 --report $T/term.json --junit $T/term.xml $T/spin_term.py:work "
	       "$T/fine_term.py:work & P=$!; "
	       AWAIT_AT_LEAST(COUNT_LG("spin_term.py"), 2)  /* leakgate + worker */
	       "kill -TERM $P; wait $P; echo \"rc=$?\"; "
	       AWAIT_NONE(COUNT_LG("spin_term.py"))
	       "echo \"left: $(" COUNT_LG("spin_term.py") ")\"; "
	       "ls $T | grep -c '^term\\.[a-z]*\\.' ; "  /* no temporary left: prints 0 */
	       "python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); t = r[\"targets\"]; "
	       "print([(x[\"verdict\"], x[\"error\"][\"message\"][:7]) for x in t], "
	       "r[\"summary\"][\"interrupted\"])' $T/term.json; "
	       "grep -c 'type=\"interrupted\"' $T/term.xml",
	       0, NEED("rc=143", "left: 0", "0\n[('interrupted', 'interru'), "
		       "('interrupted', 'not run')] 2\n2\n", "INTERRUPTED", "1 target not run"));
}

/* SIGINT from a terminal (a shell's background job ignores it: reset it first). */
Test(hygiene, sigint_exits_130, .timeout = 60)
{
	lgt_write("spin_int.py", spin);
	expect("python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
	       "os.execvp(sys.argv[1], sys.argv[1:])' $LEAKGATE run --junit $T/int.xml "
	       "$T/spin_int.py:work & P=$!; "
	       AWAIT_AT_LEAST(COUNT_LG("spin_int.py"), 2)
	       "kill -INT $P; wait $P; echo \"rc=$?\"; "
	       AWAIT_NONE(COUNT_LG("spin_int.py"))
	       "echo \"left: $(" COUNT_LG("spin_int.py") ")\"; cat $T/int.xml",
	       0, NEED("rc=130", "left: 0", "</testsuites>", "signal 2"));
}

/* A run that never finishes (killed outright) leaves the previous report as it was, and
 * no temporary file beside it. */
Test(hygiene, killed_run_keeps_the_previous_report, .timeout = 60)
{
	lgt_write("spin_keep.py", spin);
	expect("echo previous > $T/keep.json; $LEAKGATE run --report $T/keep.json "
	       "--junit $T/keep.xml $T/spin_keep.py:work & P=$!; "
	       AWAIT_AT_LEAST(COUNT_LG("spin_keep.py"), 2)  /* leakgate + worker */
	       "kill -KILL $P; wait $P; cat $T/keep.json; "
	       "echo \"temporaries: $(ls -A $T | grep -c '^keep\\.')\"",
	       0, NEED("previous\n", "temporaries: 1\n"));  /* keep.json itself */
}

/* A run that stops on a usage error (exit 4) after one report file was checked leaves
 * nothing of it, nor does a run whose target errs (exit 2). */
Test(hygiene, failed_runs_leave_no_temporary, .timeout = 60)
{
	expect("$LEAKGATE run --report $T/usage.json --junit $T/no/such/dir/usage.xml x.py:f; "
	       "echo \"rc=$?\"; echo \"temporaries: $(ls -A $T | grep -c '^usage\\.')\"", 0,
	       NEED("rc=4", "temporaries: 0\n"));
	lgt_write("raises.py", "def work():\n    raise ValueError('no')\n");
	expect("$LEAKGATE run --report $T/failed.json $T/raises.py:work; echo \"rc=$?\"; "
	       "echo \"files: $(ls -A $T | grep -c '^failed\\.')\"", 0,
	       NEED("rc=2", "files: 1\n"));
}

/* A child the workload forks and leaves sleeping is ended with the target. */
Test(hygiene, forked_children_are_not_left_behind, .timeout = 120)
{
	lgt_write("fork_sleeps.py",
		  "import os, time\n"
		  "def work():\n"
		  "    if os.fork() == 0:\n"
		  "        time.sleep(300)\n"
		  "        os._exit(0)\n");
	expect("$LEAKGATE run -q -w 5 -n 30 $T/fork_sleeps.py:work; echo \"rc=$?\"; sleep 0.3; "
	       "echo \"left: $(" COUNT_LG("fork_sleeps.py") ")\"", 0, NEED("left: 0"));
}

/* A program the workload starts outlives no timeout. */
Test(hygiene, timed_out_workload_leaves_no_program, .timeout = 60)
{
	lgt_write("starts_sleep.py",
		  "import subprocess, time\n"
		  "def work():\n"
		  "    subprocess.Popen(['sleep', '3137'])\n"
		  "    time.sleep(60)\n");
	expect("$LEAKGATE run --timeout 1 $T/starts_sleep.py:work; echo \"rc=$?\"; sleep 0.3; "
	       "echo \"left: $(" COUNT("sleep 3137") ")\"", 0,
	       NEED("rc=2", "timed out", "left: 0"));
}

/* A forked child that returns from work() is an error, not a second worker. */
Test(hygiene, forked_child_returning_is_an_error, .timeout = 60)
{
	lgt_write("fork_returns.py",
		  "import os\n"
		  "def work():\n"
		  "    if os.fork() == 0:\n"
		  "        return\n"
		  "    os.wait()\n");
	expect("$LEAKGATE run $T/fork_returns.py:work", 2,
	       NEED("ERROR", "returned from the call", "os._exit()"));
}

/* The memory guard fails a runaway workload with exit 2 and names itself. */
Test(hygiene, memory_guard_stops_a_runaway, .timeout = 60)
{
	lgt_write("hog.py", "keep = []\ndef work():\n    keep.append(bytearray(20 << 20))\n");
	expect("$LEAKGATE run --max-memory 200M $T/hog.py:work", 2,
	       NEED("MemoryError", "memory guard", "200 MiB"));
}

/* Without the option the guard is on: half the machine's memory. */
Test(hygiene, memory_guard_is_on_by_default)
{
	expect("$LEAKGATE run -q -w 0 -n 20 -c \"import os; lim = [l for l in "
	       "open('/proc/self/limits') if l.startswith('Max data size')][0].split()[3]; "
	       "want = os.sysconf('SC_PHYS_PAGES') // 2 * os.sysconf('SC_PAGE_SIZE'); "
	       "assert lim != 'unlimited' and abs(int(lim) - want) < 1 << 20, (lim, want)\"", 0,
	       NEED("PASS"));
	expect("$LEAKGATE run -q -w 0 -n 20 --max-memory 0 -c \"lim = [l for l in "
	       "open('/proc/self/limits') if l.startswith('Max data size')][0].split()[3]; "
	       "assert lim == 'unlimited', lim\"", 0, NEED("PASS"));
}

/* A workload that closes leakgate's descriptors is told so, not "killed by signal 9". */
Test(hygiene, closed_descriptors_are_named, .timeout = 60)
{
	lgt_write("closes.py", "import os\ndef work():\n    os.closerange(3, 1024)\n");
	lgt_write("closes_spins.py",
		  "import os\ndef work():\n    os.closerange(3, 1024)\n    while True:\n"
		  "        pass\n");
	expect("$LEAKGATE run $T/closes.py:work 2>&1 | grep -v 'signal 9'", 0,
	       NEED("closed", "descriptors"));
	expect("$LEAKGATE run $T/closes_spins.py:work 2>&1 | grep -v 'signal 9'", 0,
	       NEED("closed", "os.closerange"));
}

static const char leak[] = "x = []\ndef work():\n    x.append(object())\n";

/* gcore runs with an argument vector: a --core-dir named to break out of a shell's
 * quotes stays a name. Its core is mode 0600, as the kernel's, and nothing else is left. */
Test(hygiene, gcore_core_dir_reaches_no_shell, .timeout = 120)
{
	lgt_write("leak_gcore.py", leak);
	expect("cd $T && mkdir \"$T/x'\\$(touch PWNED)'\" && LEAKGATE_CORE_WITH_GCORE=1 "
	       "$LEAKGATE run -q -w 5 -n 30 --attribute 0 --on-leak=core "
	       "--core-dir \"$T/x'\\$(touch PWNED)'\" $T/leak_gcore.py:work; echo \"rc=$?\"; "
	       "test -e $T/PWNED && echo pwned || echo safe; ls -A \"$T/x'\\$(touch PWNED)'\"; "
	       "stat -c 'mode %a' \"$T/x'\\$(touch PWNED)'\"/core.leakgate.*", 0,
	       NEED("rc=1", "\nsafe\ncore.leakgate.", "mode 600\n"));
}

/* Two runs that reach the failing point in one directory at once: each names its own
 * core, and both are there. */
Test(hygiene, concurrent_cores_do_not_swap, .timeout = 120)
{
	lgt_write("leak_twice.py", leak);
	expect("mkdir $T/cores && cd $T/cores && "
	       "for i in 1 2; do $LEAKGATE run -q -w 5 -n 30 --attribute 0 --on-leak=core "
	       "$T/leak_twice.py:work 2>$T/run$i.err & done; wait; "
	       "a=$(sed -n 's/.*core written to //p' $T/run1.err); "
	       "b=$(sed -n 's/.*core written to //p' $T/run2.err); "
	       "test -n \"$a\" && test -n \"$b\" && test \"$a\" != \"$b\" && test -f \"$a\" && "
	       "test -f \"$b\" && ls -A $T/cores | sort | tr '\\n' ' '; "
	       "stat -c 'mode %a' $T/cores/core.leakgate.* | sort -u", 0,
	       NEED("mode 600\n"));
}

/* --python naming a program that never answers gets a deadline, then a usage error. */
Test(hygiene, python_that_never_answers, .timeout = 60)
{
	/* The sleep's argument names this test's shell, so that another run of the test
	 * on the machine is not counted. */
	expect("printf '#!/bin/sh\\nexec sleep 3141.%d\\n' $$ > $T/hangs && chmod +x $T/hangs && "
	       "$LEAKGATE run --python $T/hangs x.py:f; echo \"rc=$?\"; sleep 0.3; "
	       "echo \"left: $(pgrep -c -f \"^sleep 3141.$$\")\"", 0,
	       NEED("rc=4", "did not answer", "left: 0"));
}

/* A target file whose name is not UTF-8 is gated like any other. */
Test(hygiene, file_name_not_utf8, .timeout = 60)
{
	expect("printf 'x = []\\ndef work():\\n    x.append(object())\\n' > \"$T/$(printf "
	       "'caf\\351')_leak.py\" && $LEAKGATE run -q -w 5 -n 30 --attribute 0 "
	       "\"$T/$(printf 'caf\\351')_leak.py:work\"", 1, NEED("LEAK  "));
}

/* A name with control characters (a class's, here) reaches Graphviz escaped, so the SVG
 * it renders is well-formed XML. */
Test(hygiene, graph_escapes_control_characters, .timeout = 60)
{
	if (lgt_sh("command -v dot", NULL, NULL) != 0)
		cr_skip_test("Graphviz's dot is not installed");
	lgt_write("ctl_type.py", "C = type('A\\x01B', (), {})\nx = []\n"
		  "def work():\n    x.append(C())\n");
	expect("$LEAKGATE run -q -w 5 -n 30 --graph $T/ctl.dot $T/ctl_type.py:work; "
	       "echo \"rc=$?\"; python3 -c 'import sys, xml.etree.ElementTree as E; "
	       "E.parse(sys.argv[1]); print(\"well-formed\")' $T/ctl.svg", 0,
	       NEED("rc=1", "well-formed"));
}

/* Every worker of a run starts by exec of leakgate's hidden worker mode, so nothing of
 * the supervisor's process (threads, locks, state) is inherited. */
Test(hygiene, workers_start_by_exec)
{
	expect("$LEAKGATE run -q -w 0 -n 20 -c \"assert b'--lg-worker' in "
	       "open('/proc/self/cmdline', 'rb').read().split(b'\\\\0'), "
	       "open('/proc/self/cmdline', 'rb').read()\"", 0, NEED("PASS"));
}

/* What the workloads below start: a program (subprocess), and a daemon (a double fork
 * whose grandchild execs), each once; with `session`, both in sessions of their own
 * (start_new_session, os.setsid()), out of the worker's process group. */
static void write_starter(const char *name, int session, const char *then)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "import os, subprocess, time\n"
		 "started = []\n"
		 "def work():\n"
		 "    if not started:\n"
		 "        started.append(1)\n"
		 "        m = os.environ['LGT_MARK']\n"
		 "        subprocess.Popen(['sleep', '600.%%s1' %% m], start_new_session=%s)\n"
		 "        if os.fork() == 0:\n"
		 "            %s\n"
		 "            if os.fork() == 0:\n"
		 "                os.execvp('sleep', ['sleep', '600.%%s2' %% m])\n"
		 "            os._exit(0)\n"
		 "        os.wait()\n"
		 "%s",
		 session ? "True" : "False", session ? "os.setsid()" : "pass", then);
	lgt_write(name, text);
}

static const char spins[] = "    while True:\n        pass\n";

/* SIGKILL of leakgate, whose workload started a program and a daemon (in sessions of
 * their own when session is set): none of them, and no leakgate, is left. */
static void killed_leaves_nothing(const char *name, int session)
{
	char *cmd;

	write_starter(name, session, spins);
	cr_assert(asprintf(&cmd, MARK "$LEAKGATE run --timeout 300 $T/%s:work & P=$!; "
			   AWAIT_AT_LEAST(COUNT_MARKED, 2)
			   "kill -KILL $P; wait $P; "
			   AWAIT_NONE(COUNT_MARKED) "echo \"left: $(" COUNT_MARKED ")\"; "
			   AWAIT_NONE(COUNT_LG("%s"))
			   "echo \"leakgate: $(" COUNT_LG("%s") ")\"; " END_MARKED,
			   name, name, name) > 0);
	expect(cmd, 0, NEED("left: 0\n", "leakgate: 0\n"));
	free(cmd);
}

/* The worker dies (PR_SET_PDEATHSIG), and the sentinel ends what the workload started in
 * the worker's process group. */
Test(hygiene, killed_supervisor_leaves_no_descendant, .timeout = 90)
{
	killed_leaves_nothing("kids_killed.py", 0);
}

/* The same when the workload's program and daemon left its process group for sessions
 * of their own: they keep the run's mark in their environment. */
Test(hygiene, killed_supervisor_leaves_no_new_session, .timeout = 90)
{
	killed_leaves_nothing("sessions_killed.py", 1);
}

/* A target that ends (a pass, a timeout, SIGTERM) ends the sessions its workload started
 * too, not only its process group. */
Test(hygiene, new_sessions_end_with_their_target, .timeout = 120)
{
	write_starter("sessions_pass.py", 1, "");
	write_starter("sessions_hang.py", 1, "    time.sleep(300)\n");
	expect(MARK "$LEAKGATE run -q -w 0 -n 20 $T/sessions_pass.py:work; echo \"rc=$?\"; "
	       AWAIT_NONE(COUNT_MARKED) "echo \"after a pass: $(" COUNT_MARKED ")\"; "
	       END_MARKED
	       "$LEAKGATE run --timeout 2 $T/sessions_hang.py:work; echo \"rc=$?\"; "
	       AWAIT_NONE(COUNT_MARKED) "echo \"after a timeout: $(" COUNT_MARKED ")\"; "
	       END_MARKED
	       "$LEAKGATE run --timeout 300 $T/sessions_hang.py:work & P=$!; "
	       AWAIT_AT_LEAST(COUNT_MARKED, 2) "kill -TERM $P; wait $P; echo \"rc=$?\"; "
	       AWAIT_NONE(COUNT_MARKED) "echo \"after SIGTERM: $(" COUNT_MARKED ")\"; "
	       END_MARKED,
	       0, NEED("rc=0\nafter a pass: 0\n", "rc=2\nafter a timeout: 0\n",
		       "rc=143\nafter SIGTERM: 0\n"));
}

/* SIGKILL to leakgate's whole process group (a CI runner's timeout): the sentinel, in a
 * group of its own, is not in it, and does its work. `kill -s KILL -- -G`: dash (Debian's
 * sh, 12 and 13) reads `kill -KILL -- -G`'s `--` as a pid and kills nothing, so the test
 * waited on a leakgate that was never signalled until its own timeout. */
Test(hygiene, killed_process_group_leaves_nothing, .timeout = 90)
{
	write_starter("group_killed.py", 1, spins);
	expect(MARK "setsid $LEAKGATE run --timeout 300 $T/group_killed.py:work & P=$!; "
	       AWAIT_AT_LEAST(COUNT_MARKED, 2)
	       "G=$(ps -o pgid= -p $P | tr -d ' '); test \"$G\" = \"$P\" || exit 11; "
	       "kill -s KILL -- -$G; wait $P; "
	       AWAIT_NONE(COUNT_MARKED) "echo \"left: $(" COUNT_MARKED ")\"; "
	       AWAIT_NONE(COUNT_LG("group_killed.py"))
	       "echo \"leakgate: $(" COUNT_LG("group_killed.py") ")\"; " END_MARKED,
	       0, NEED("left: 0\n", "leakgate: 0\n"));
}
