/* test_gdb.c: the GDB helper end to end, with the full gdb and with Debian's gdb-minimal
 * (no Python; unpacked into the build tree by ci/get-gdb-minimal.sh): a leaking corpus
 * case stopped live under `leakgate gdb -- leakgate run --on-leak=trap`, and its core
 * from --on-leak=core opened with `leakgate gdb --core`. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

#define CASE "tests/corpus/leak_list.py:work"

struct gdb_kind {
	char name[16];
};

ParameterizedTestParameters(gdb, core)
{
	static struct gdb_kind kinds[] = { { "gdb" }, { "gdb-minimal" } };

	return cr_make_param_array(struct gdb_kind, kinds, 2);
}

/* The GDB binary for a kind; skips the test when gdb-minimal could not be unpacked. */
/* "leak_list.py:N\n" for the workload's first line, where the failing point stops (read
 * from the file, so that editing its header moves nothing here). */
static const char *first_line(void)
{
	static char where[64];
	FILE *f = fopen("tests/corpus/leak_list.py", "r");
	char line[256];
	int n = 0;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, "method, path, proto = "))
			break;
	}
	fclose(f);
	snprintf(where, sizeof(where), "tests/corpus/leak_list.py:%d\n", n);
	return where;
}

static const char *gdb_path(const struct gdb_kind *k)
{
	static char path[4096];
	const char *m = getenv("LEAKGATE_GDB_MINIMAL");

	if (!strcmp(k->name, "gdb"))
		return "gdb";
	if (!m || !realpath(m, path) || access(path, X_OK) < 0)
		cr_skip_test("gdb-minimal is not unpacked (ci/get-gdb-minimal.sh could not "
			     "download it): skipping");
	return path;
}

/* The value after `key` on the line holding it, e.g. the address after "globals: ". */
static char *after(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	static char word[64];

	if (!p)
		return NULL;
	sscanf(p + strlen(key), "%63s", word);
	return word;
}

/* Runs a leaking case with --on-leak=core, after the shell command `prep` (run in the
 * core's directory), and returns the core's path (static). */
static const char *make_core_of(const char *env, const char *prep, const char *cas)
{
	static char core[4096];
	char *out, *err, *cmd, *p;
	int rc;

	if (asprintf(&cmd, "%s mkdir -p \"$T/cores.$$\" && cd \"$T/cores.$$\" && %s && "
		     "\"$LEAKGATE\" run -q --on-leak=core %s", env, prep, cas) < 0)
		abort();
	rc = lgt_sh(cmd, &out, &err);
	free(cmd);
	cr_assert_eq(rc, 1, "exit %d, stderr: %s", rc, err);
	p = after(err, "core written to ");
	cr_assert_not_null(p, "%s", err);
	snprintf(core, sizeof(core), "%s", p);
	cr_assert_eq(access(core, R_OK), 0, "no core at %s", core);
	free(out);
	free(err);
	return core;
}

/* Runs the corpus case with --on-leak=core and returns the core's path (static). */
static const char *make_core(const char *env)
{
	return make_core_of(env, "true", "\"$OLDPWD/" CASE "\"");
}

static char *gdb_core(const char *gdb, const char *core, const char *cmds)
{
	char *cmd, *out, *err;
	int rc;

	if (asprintf(&cmd, "GDB='%s' \"$LEAKGATE\" gdb -q -batch %s --core '%s' \"$LEAKGATE\"",
		     gdb, cmds, core) < 0)
		abort();
	rc = lgt_sh(cmd, &out, &err);
	cr_assert_eq(rc, 0, "%s: exit %d: %s", cmd, rc, err);
	free(cmd);
	free(err);
	return out;
}

ParameterizedTest(struct gdb_kind *k, gdb, core, .timeout = 120)
{
	const char *gdb = gdb_path(k), *core = make_core("");
	char *out, *globals, *list, *item, cmds[256];
	char *line;

	out = gdb_core(gdb, core, "-ex lg-report -ex lg-bt -ex lg-types");
	cr_expect(strstr(out, "LEAK ") && strstr(out, "leak_list.py:work"), "%s", out);
	cr_expect(strstr(out, "failed: py_blocks") != NULL, "%s", out);
	cr_expect(strstr(out, "workload: 0x") && strstr(out, "<function work at 0x"), "%s",
		  out);
	/* Attribution's sampled leak is a suspect, and GDB finds its holders from memory. */
	cr_expect(strstr(out, "leaked dict, held by module 'leak_list': 0x") &&
		  strstr(out, "{'method': 'GET'") && strstr(out, " at ['_audit_log']\n"), "%s", out);
	cr_expect(strstr(out, "who holds them:\n") && strstr(out, " at ['work']\n") &&
		  strstr(out, " module refs=1 'leak_list' at .__dict__\n"), "%s", out);
	cr_expect(strstr(out, "#0 work at ") && strstr(out, first_line()),
		  "%s", out);
	/* The leaked records are dicts: the census counts at least one per iteration. */
	line = strstr(out, "  dict\n");
	cr_assert_not_null(line, "%s", out);
	while (line > out && line[-1] != '\n')
		line--;
	cr_expect(strtoul(line, NULL, 10) >= 70, "%s", line);
	globals = strdup(after(out, "workload globals: "));
	free(out);

	snprintf(cmds, sizeof(cmds), "-ex 'lg-graph %s 3'", globals);
	out = gdb_core(gdb, core, cmds);
	cr_expect(strstr(out, "['__name__'] 0x") && strstr(out, "'leak_list'"), "%s", out);
	list = strdup(after(out, "['_audit_log'] "));
	/* NEEDSWORK: the list's refcount at the failing point reads 2, not 1, in some loaded
	 * matrix runs (3.8, 3.10, once 3.11), and nobody has found the second holder yet;
	 * the decoding of the list is what is tested here. */
	cr_assert(strstr(out, "['_audit_log'] 0x") && strstr(out, " list refs=") &&
		  strstr(out, " len="), "%s", out);
	cr_expect(strstr(out, "['method'] 0x") && strstr(out, " str refs=1 'GET'"), "%s", out);
	cr_expect(strstr(out, "['route'] 0x") && strstr(out, "'/api/items'"), "%s", out);
	free(out);

	snprintf(cmds, sizeof(cmds), "-ex 'lg-graph %s 1'", list);
	out = gdb_core(gdb, core, cmds);
	item = strdup(after(out, "[3] "));
	cr_assert(strstr(out, "[3] 0x") != NULL, "%s", out);
	free(out);

	snprintf(cmds, sizeof(cmds), "-ex 'lg-referrers %s'", item);
	out = gdb_core(gdb, core, cmds);
	/* The list's refcount is not asserted (see above). */
	cr_expect(strstr(out, "held by 0x") && strstr(out, " list refs="), "%s", out);
	cr_expect(strstr(out, " at [3]\n"), "%s", out);
	cr_expect(strstr(out, " dict refs=") && strstr(out, " at ['_audit_log']"), "%s", out);
	cr_expect(strstr(out, " module refs=") && strstr(out, "'leak_list' at .__dict__"),
		  "%s", out);
	free(out);
	free(globals);
	free(list);
	free(item);
	unlink(core);
}

ParameterizedTestParameters(gdb, live_trap)
{
	static struct gdb_kind kinds[] = { { "gdb" }, { "gdb-minimal" } };

	return cr_make_param_array(struct gdb_kind, kinds, 2);
}

ParameterizedTest(struct gdb_kind *k, gdb, live_trap, .timeout = 120)
{
	const char *gdb = gdb_path(k);
	char *cmd, *out, *err;
	int rc;

	if (asprintf(&cmd, "GDB='%s' \"$LEAKGATE\" gdb -q -batch -ex lg-report -ex lg-bt "
		     "-ex lg-types -- \"$LEAKGATE\" run -q --on-leak=trap " CASE, gdb) < 0)
		abort();
	rc = lgt_sh(cmd, &out, &err);
	free(cmd);
	cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
	cr_expect(strstr(out, "received signal SIGTRAP") != NULL, "%s", out);
	cr_expect(strstr(out, "leakgate failing point: worker pid ") &&
		  strstr(out, "failed: py_blocks"), "%s", out);
	cr_expect(strstr(out, "leaked dict, held by module 'leak_list': 0x"), "%s", out);
	cr_expect(strstr(out, "#0 work at ") && strstr(out, first_line()),
		  "%s", out);
	cr_expect(strstr(out, "GC-tracked objects, ") && strstr(out, "  dict\n"), "%s", out);
	free(out);
	free(err);
}

ParameterizedTestParameters(gdb, core_gdb_cannot_unwind)
{
	static struct gdb_kind kinds[] = { { "gdb" }, { "gdb-minimal" } };

	return cr_make_param_array(struct gdb_kind, kinds, 2);
}

/* issue 17: on a core whose stack GDB cannot unwind (here the stack pointer is 0), every
 * lg-* printed only "Initial frame selected; you cannot go up.": the command file's
 * up-silently aborted the command before it printed the plugin's answer. */
ParameterizedTest(struct gdb_kind *k, gdb, core_gdb_cannot_unwind, .timeout = 120)
{
	const char *gdb = gdb_path(k);
	const char *src = lgt_write("nounwind.c", "int main(void)\n{\n"
				    "\t__asm__ volatile(\"xor %%esp, %%esp\\n\\tud2\" ::: \"memory\");\n"
				    "\treturn 0;\n}\n");
	char *cmd, *out, *err, *p;
	int rc;

	if (asprintf(&cmd, "cc -O0 -o \"$T/nounwind\" '%s' && "
		     "gdb -q -batch -ex run -ex 'gcore '\"$T/nounwind.core\" \"$T/nounwind\" "
		     ">/dev/null 2>&1 && GDB='%s' \"$LEAKGATE\" gdb -q -batch -ex bt -ex lg-bt "
		     "-ex lg-types -ex 'echo after\\n' --core \"$T/nounwind.core\" "
		     "\"$T/nounwind\"; rc=$?; rm -f \"$T/nounwind.core\"; exit $rc", src, gdb) < 0)
		abort();
	rc = lgt_sh(cmd, &out, &err);
	free(cmd);
	cr_expect_eq(rc, 0, "%s", err);
	cr_expect(strstr(out, "#0 ") && strstr(out, "main"), "not the core meant: %s", out);
	cr_expect(strstr(err, "you cannot go up") == NULL, "%s", err);
	cr_expect(strstr(out, "you cannot go up") == NULL, "%s", out);
	/* Both commands answer (this core has no Python to read), and the next runs. */
	p = strstr(out, "leakgate: no leakgate blob in this process");
	cr_expect(p && strstr(p + 1, "leakgate: no leakgate blob in this process") &&
		  strstr(p, "after\n"), "%s", out);
	free(out);
	free(err);
}

struct core_kind {
	char gdb[16];
	int python;  /* the core of a --python run (another build of leakgate) */
};

ParameterizedTestParameters(gdb, core_opens_without_the_program)
{
	static struct core_kind kinds[] = { { "gdb", 0 }, { "gdb-minimal", 0 }, { "gdb", 1 },
					    { "gdb-minimal", 1 } };

	return cr_make_param_array(struct core_kind, kinds, 4);
}

/* issue 19: the "core written" line says how to open the core, and that command works
 * as printed, the program read from the core, for a --python run's core too (whose
 * program is the build for that CPython, not the leakgate on PATH). */
ParameterizedTest(struct core_kind *k, gdb, core_opens_without_the_program, .timeout = 120)
{
	struct gdb_kind g;
	const char *gdb;
	char *cmd, *out, *err, *open_cmd, *p, *core, *figures;
	int rc;

	snprintf(g.name, sizeof(g.name), "%s", k->gdb);
	gdb = gdb_path(&g);
	if (asprintf(&cmd, "mkdir -p \"$T/c.$$\" && cd \"$T/c.$$\" && \"$LEAKGATE\" run -q "
		     "--on-leak=core %s \"$OLDPWD/" CASE "\"",
		     k->python ? "--python \"$LEAKGATE_PYTEST_PYTHON\"" : "") < 0)
		abort();
	rc = lgt_sh(cmd, &out, &err);
	free(cmd);
	cr_assert_eq(rc, 1, "%s", err);
	core = strdup(after(err, "core written to "));
	p = strstr(err, ": open it with: ");
	cr_assert(p, "%s", err);
	p += strlen(": open it with: ");
	open_cmd = strndup(p, strcspn(p, "\n"));
	/* The run's "(N iterations, S s)" (its verdict line, on stdout), which lg-report's
	 * header must repeat. */
	p = strstr(out, " iterations, ");
	cr_assert(p, "%s", out);
	while (p > out && p[-1] != '(')
		p--;
	figures = strndup(p, strcspn(p, ")"));
	free(out);
	cr_expect(strstr(open_cmd, " gdb --core '") && strstr(open_cmd, core), "%s", open_cmd);
	free(err);
	if (asprintf(&cmd, "GDB='%s' %s -q -batch -ex 'info inferiors' -ex lg-report -ex lg-bt",
		     gdb, open_cmd) < 0)
		abort();
	rc = lgt_sh(cmd, &out, &err);
	cr_expect_eq(rc, 0, "%s: %s", cmd, err);
	cr_expect(strstr(out, k->python ? "/py" : "/leakgate") != NULL, "%s", out);
	cr_expect(strstr(out, "leakgate failing point: worker pid ") &&
		  strstr(out, "#0 work at ") && strstr(out, first_line()), "%s: %s", cmd, out);
	cr_expect(strstr(out, "no leakgate blob") == NULL, "%s", out);
	cr_expect(strstr(out, figures) != NULL, "the run said (%s): %s", figures, out);
	free(figures);
	free(cmd);
	free(out);
	free(err);
	free(open_cmd);
	unlink(core);
	free(core);
}

ParameterizedTestParameters(gdb, source_frames_and_spaced_expressions)
{
	static struct gdb_kind kinds[] = { { "gdb" }, { "gdb-minimal" } };

	return cr_make_param_array(struct gdb_kind, kinds, 2);
}

/* issue 19: the source around the failing Python frame without GDB's Python, frames
 * selected with lg-up/lg-down, and expressions with spaces. */
ParameterizedTest(struct gdb_kind *k, gdb, source_frames_and_spaced_expressions,
		  .timeout = 120)
{
	const char *gdb = gdb_path(k), *core = make_core("");
	char *out, *globals, cmds[512], want[128];
	int line;

	out = gdb_core(gdb, core, "-ex lg-report -ex 'lg-list 2' -ex lg-up -ex lg-down");
	globals = strdup(after(out, "workload globals: "));
	line = atoi(strrchr(first_line(), ':') + 1);
	snprintf(want, sizeof(want), "->%5d      method, path, proto = ", line);
	cr_expect(strstr(out, want) != NULL, "%s", out);
	snprintf(want, sizeof(want), "  %5d  def work():\n", line - 2);
	cr_expect(strstr(out, want) != NULL, "%s", out);
	cr_expect(strstr(out, "lg-list: no Python frame #1 (lg-bt lists them)\n") != NULL,
		  "lg-up past the outermost frame: %s", out);
	free(out);

	snprintf(cmds, sizeof(cmds), "-ex 'lg-graph (char *)%s + 0' -ex 'set $lg_depth = 1' "
		 "-ex 'lg-graph (long) %s * 1' -ex 'lg-referrers %s + 0'", globals, globals,
		 globals);
	out = gdb_core(gdb, core, cmds);
	cr_expect(strstr(out, "['__name__'] 0x") && strstr(out, "'leak_list'"), "%s", out);
	cr_expect(strstr(out, "module refs=1 'leak_list' at .__dict__") != NULL, "%s", out);
	cr_expect(strstr(out, "rror") == NULL, "%s", out);
	free(out);
	free(globals);
	unlink(core);
}

ParameterizedTestParameters(gdb, locals_and_print_by_name)
{
	static struct gdb_kind kinds[] = { { "gdb" }, { "gdb-minimal" } };

	return cr_make_param_array(struct gdb_kind, kinds, 2);
}

/* issue 19: a frame's locals and one local by name without GDB's Python. The workload's
 * defaults are bound when it stops in its first line; its other locals are not yet. */
ParameterizedTest(struct gdb_kind *k, gdb, locals_and_print_by_name, .timeout = 120)
{
	const char *gdb = gdb_path(k), *core;
	char *out, *p;

	core = make_core_of("", "printf '%s\\n' 'def work(seen=[], tag=\"req-7\"):' "
			    "'    n = len(seen)' '    seen.append({\"n\": n})' > locals_case.py",
			    "locals_case.py:work");
	out = gdb_core(gdb, core, "-ex lg-locals -ex 'set $lg_depth = 1' -ex 'lg-print seen' "
		       "-ex 'lg-print n' -ex 'lg-print nosuch' -ex 'lg-print 1x' -ex lg-print");
	cr_expect(strstr(out, "  #0 work at ") != NULL, "%s", out);
	cr_expect(strstr(out, "\nseen = [{'n': 0}, {'n': 1}, ") != NULL, "%s", out);
	cr_expect(strstr(out, "...\ntag = 'req-7'\nn = <unbound>\n") != NULL,
		  "a long value is cut, the rest follow in slot order: %s", out);
	p = strstr(out, "\nseen 0x");
	cr_expect(p && strstr(p, " list refs=") && strstr(p, "\n  [0] 0x"), "%s", out);
	cr_expect(strstr(out, "lg-print: local 'n' is unbound in frame #0\n") != NULL, "%s", out);
	cr_expect(strstr(out, "lg-print: frame #0 (work) has no local 'nosuch' (lg-locals "
			 "lists them)\n") != NULL, "%s", out);
	cr_expect(strstr(out, "lg-print: '1x' is not a Python name\n") != NULL, "%s", out);
	cr_expect(strstr(out, "usage: lg-print NAME\n") != NULL, "%s", out);
	free(out);
	unlink(core);
}

/* `set logging` captures what the commands print: it goes through GDB's output. */
Test(gdb, output_goes_through_gdb, .timeout = 120)
{
	const char *core = make_core("");
	char *cmd, *out, *err, *log;
	int rc;

	if (asprintf(&cmd, "\"$LEAKGATE\" gdb -q -batch -ex 'set logging file '\"$T\"/lg.log "
		     "-ex 'set logging redirect on' -ex 'set logging enabled on' -ex lg-bt "
		     "-ex 'set logging enabled off' --core '%s' \"$LEAKGATE\"; cat \"$T\"/lg.log "
		     ">&2", core) < 0)
		abort();
	rc = lgt_sh(cmd, &out, &log);
	free(cmd);
	cr_expect_eq(rc, 0);
	cr_expect(strstr(log, "#0 work at ") != NULL, "log: %s", log);
	cr_expect(strstr(out, "#0 work at ") == NULL, "leaked to stdout: %s", out);
	free(out);
	free(log);
	(void)err;
	unlink(core);
}

/* A core through gcore, as when core_pattern sends the kernel's cores elsewhere. */
Test(gdb, core_through_gcore, .timeout = 120)
{
	const char *core = make_core("LEAKGATE_CORE_WITH_GCORE=1");
	char *cmd, *out, *err;

	if (asprintf(&cmd, "\"$LEAKGATE\" gdb -q -batch -ex lg-bt --core '%s' \"$LEAKGATE\"",
		     core) < 0)
		abort();
	cr_expect_eq(lgt_sh(cmd, &out, &err), 0);
	cr_expect(strstr(out, "#0 work at ") != NULL, "%s", out);
	free(cmd);
	free(out);
	free(err);
	unlink(core);
}

Test(gdb, plugin_links_no_libpython)
{
	char *out, *err;

	cr_expect_eq(lgt_sh("so=\"$(dirname \"$LEAKGATE\")/leakgate-gdb.so\"; "
			    "ldd \"$so\" | grep -ci python; nm -D --undefined-only \"$so\" | "
			    "grep -c ' _\\?Py'; true",
			    &out, &err), 0);
	cr_expect_str_eq(out, "0\n0\n", "%s", out);
	free(out);
	free(err);
}

Test(gdb, exported_symbols_are_the_reader_interface)
{
	char *out, *err;

	lgt_sh("nm -D --defined-only \"$(dirname \"$LEAKGATE\")/leakgate-gdb.so\" | "
	       "awk '$2 == \"T\" {print $3}' | sort", &out, &err);
	cr_expect_str_eq(out, "gdb_init_reader\nplugin_is_GPL_compatible\n");
	free(out);
	free(err);
}

Test(gdb, trap_without_a_debugger_says_so, .timeout = 120)
{
	char *out, *err;
	int rc = lgt_sh("\"$LEAKGATE\" run -q --on-leak=trap " CASE, &out, &err);

	cr_expect_eq(rc, 1, "%s", err);
	cr_expect(strstr(err, "no debugger is attached to the worker") != NULL, "%s", err);
	free(out);
	free(err);
}

Test(gdb, usage_errors)
{
	char *out, *err;

	cr_expect_eq(lgt_sh("\"$LEAKGATE\" run --on-leak=later x.py:f", &out, &err), 4);
	cr_expect(strstr(err, "--on-leak expects exit, trap or core, not 'later'") != NULL,
		  "%s", err);
	free(out);
	free(err);
	cr_expect_eq(lgt_sh("\"$LEAKGATE\" run --on-leak=core --core-dir /nonexistent x.py:f",
			    &out, &err), 4);
	cr_expect(strstr(err, "--core-dir '/nonexistent': No such file or directory") != NULL,
		  "%s", err);
	free(out);
	free(err);
	cr_expect_eq(lgt_sh("\"$LEAKGATE\" run --core-dir . x.py:f", &out, &err), 4);
	cr_expect(strstr(err, "--core-dir goes with --on-leak=core") != NULL, "%s", err);
	free(out);
	free(err);
	cr_expect_eq(lgt_sh("\"$LEAKGATE\" gdb --core /nonexistent/core \"$LEAKGATE\"", &out,
			    &err), 4);
	cr_expect(strstr(err, "cannot read core '/nonexistent/core'") != NULL, "%s", err);
	free(out);
	free(err);
	cr_expect_eq(lgt_sh("\"$LEAKGATE\" gdb -p 1 -- true", &out, &err), 4);
	free(out);
	free(err);
	cr_expect_eq(lgt_sh("\"$LEAKGATE\" gdb --core \"$LEAKGATE\"", &out, &err), 4);
	cr_expect(strstr(err, "cannot tell which program dumped") &&
		  strstr(err, "(it is not a 64-bit ELF core file)"), "%s", err);
	free(out);
	free(err);
	/* No GDB is the environment's fault, as no valgrind is: 4, not 3. */
	cr_expect_eq(lgt_sh("GDB=/nonexistent/gdb \"$LEAKGATE\" gdb -q -batch", &out, &err), 4,
		     "%s", err);
	cr_expect(strstr(err, "cannot run /nonexistent/gdb: No such file or directory") != NULL,
		  "%s", err);
	free(out);
	free(err);
}

Test(gdb, help_of_every_command)
{
	static const char *const cmds[] = { "lg-report", "lg-graph", "lg-bt", "lg-types",
					    "lg-referrers", "lg-locals", "lg-print" };
	char *out, *err;
	size_t i;

	cr_assert_eq(lgt_sh("\"$LEAKGATE\" gdb -q -batch -ex 'help lg-report' "
			    "-ex 'help lg-graph' -ex 'help lg-bt' -ex 'help lg-types' "
			    "-ex 'help lg-referrers' -ex 'help lg-locals' -ex 'help lg-print'",
			    &out, &err), 0, "%s", err);
	for (i = 0; i < 7; i++)
		cr_expect(strstr(out, "Usage: ") && strstr(out, cmds[i]), "%s", out);
	cr_expect(strstr(out, "Usage: lg-graph EXPR [DEPTH]") != NULL, "%s", out);
	cr_expect(strstr(out, "Usage: lg-referrers EXPR") != NULL, "%s", out);
	cr_expect(strstr(out, "Usage: lg-print NAME") != NULL, "%s", out);
	free(out);
	free(err);
	/* help lg lists them; no internal command in the user's help; apropos's one-line
	 * summaries are whole sentences. */
	cr_assert_eq(lgt_sh("\"$LEAKGATE\" gdb -q -batch -ex 'help lg' -ex 'help user-defined' "
			    "-ex 'apropos lg-'", &out, &err), 0, "%s", err);
	cr_expect(strstr(out, "  lg-list [CONTEXT]") && strstr(out, "  lg-up, lg-down") &&
		  strstr(out, "  lg-locals ") && strstr(out, "  lg-print NAME "), "%s", out);
	cr_expect(strstr(out, "lg--") == NULL, "%s", out);
	for (i = 0; i < 7; i++) {
		char key[64];
		const char *p, *eol;

		snprintf(key, sizeof(key), "\n%s -- ", cmds[i]);
		p = strstr(out, key);
		cr_assert(p, "%s in %s", key, out);
		eol = strchr(p + 1, '\n');
		cr_expect(eol && eol[-1] == '.', "cut summary: %.*s", (int)(eol - p), p);
	}
	free(out);
	free(err);
}

/* A script for a plain python3.13 that writes id(keep) to argv[1], then sleeps. */
static const char *plain313(void)
{
	return lgt_write("plain313.py",
		"import os, sys, time\n"
		"class Rec:\n"
		"    def __init__(self, i):\n"
		"        self.i = i\n"
		"        self.name = 'rec%d' % i\n"
		"keep = [Rec(i) for i in range(3)] + [{'k': (1.5, b'x')}]\n"
		"def leaf():\n"
		"    with open(sys.argv[1] + '.tmp', 'w') as f:\n"
		"        f.write('%#x' % id(keep))\n"
		"    os.rename(sys.argv[1] + '.tmp', sys.argv[1])\n"
		"    time.sleep(60)\n"
		"def outer():\n"
		"    leaf()\n"
		"outer()\n");
}

static const char *python313(void)
{
	const char *py = getenv("LEAKGATE_PYTHON313");

	if (!py || !*py)
		cr_skip_test("no python3.13 found (make PYTHON313=...): skipping");
	return py;
}

/* A plain python3.13, stopped in a sleep and dumped with gcore: no blob, so the layout
 * comes from _PyRuntime.debug_offsets. */
Test(gdb, python313_core_without_a_blob, .timeout = 120)
{
	const char *py = python313(), *script = plain313();
	char *cmd, *out, *err, *addr;
	int rc;

	if (asprintf(&cmd, "'%s' '%s' \"$T/id313\" & pid=$!; "
		     "for i in $(seq 100); do [ -f \"$T/id313\" ] && break; sleep 0.1; done; "
		     "gcore -o \"$T/core313\" $pid >/dev/null 2>&1; kill $pid; "
		     "\"$LEAKGATE\" gdb -q -batch -ex lg-bt -ex lg-locals -ex lg-types "
		     "-ex \"lg-graph $(cat \"$T/id313\") 3\" -ex lg-report "
		     "--core \"$T/core313.$pid\" '%s'; rc=$?; rm -f \"$T/core313.$pid\"; "
		     "exit $rc", py, script,
		     py) < 0)
		abort();
	rc = lgt_sh(cmd, &out, &err);
	free(cmd);
	cr_expect_eq(rc, 0, "%s", err);
	cr_expect(strstr(out, "  #0 sleep at ") == NULL, "a C function as a frame: %s", out);
	cr_expect(strstr(out, "  #0 leaf at ") && strstr(out, "plain313.py:11\n") &&
		  strstr(out, "  #1 outer at ") && strstr(out, "plain313.py:13\n") &&
		  strstr(out, "  #2 <module> at ") && strstr(out, "plain313.py:14\n"), "%s", out);
	cr_expect(strstr(out, "\nf = <_io.TextIOWrapper object at 0x") != NULL,
		  "lg-locals from the debug offsets: %s", out);
	cr_expect(strstr(out, "GC-tracked objects, ") && strstr(out, "  Rec\n"), "%s", out);
	addr = strstr(out, " list refs=");
	cr_expect(addr && strstr(addr, "len=4\n"), "%s", out);
	cr_expect(strstr(out, "[0] 0x") && strstr(out, " Rec refs="), "%s", out);
	cr_expect(strstr(out, ".name 0x") && strstr(out, "'rec0'"), "%s", out);
	cr_expect(strstr(out, "['k'] 0x") && strstr(out, " float refs=") &&
		  strstr(out, " 1.5\n") && strstr(out, "b'x'"), "%s", out);
	cr_expect(strstr(out, "no leakgate blob in this process") != NULL, "%s", out);
	free(out);
	free(err);
}

/* leakgate gdb -p attaches to a running process (a plain python3.13 here), and in MI
 * mode the commands' output comes as GDB console records. */
Test(gdb, attach_and_mi, .timeout = 120)
{
	const char *py = python313(), *script = plain313();
	char *cmd, *out, *err;
	int rc;

	if (asprintf(&cmd, "'%s' '%s' \"$T/idp\" & pid=$!; "
		     "for i in $(seq 100); do [ -f \"$T/idp\" ] && break; sleep 0.1; done; "
		     "rc=0; \"$LEAKGATE\" gdb -q -batch -ex lg-bt -p $pid || rc=$?; "
		     "\"$LEAKGATE\" gdb -q -batch -i=mi -ex lg-bt -p $pid || rc=$?; kill $pid; "
		     "exit $rc",
		     py, script) < 0)
		abort();
	rc = lgt_sh(cmd, &out, &err);
	free(cmd);
	cr_expect_eq(rc, 0, "%s", err);
	cr_expect(strstr(out, "\n  #0 leaf at ") && strstr(out, "plain313.py:11\n"), "%s", out);
	cr_expect(strstr(out, "~\"  #0 leaf at ") && strstr(out, "plain313.py:11\\n\""),
		  "%s", out);
	free(out);
	free(err);
}
