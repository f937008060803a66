/* main.c: the leakgate command line: options, the targets in order, the reports and the
 * exit code (the worst target's). */
#define _GNU_SOURCE
#include <errno.h>
#include <ctype.h>
#include <fcntl.h>
#include <libgen.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "baseline.h"
#include "config.h"
#include "harness.h"
#include "paths.h"

static const char usage_text[] =
	"usage: leakgate run [options] TARGET...\n"
	"       leakgate run [options] --pytest [PYTEST ARGS...]\n"
	"       leakgate gdb [GDB options] [--core CORE PROGRAM | -p PID | -- PROGRAM ARGS]\n"
	"       leakgate --help | --version\n"
	"\n"
	"Runs each TARGET many times in a fresh, forked CPython, with a full garbage\n"
	"collection and a snapshot of the memory counters after every call, and fails when\n"
	"a counter keeps growing per iteration. Growth that stops (caches that fill, warm-up,\n"
	"amortised resizing) passes.\n"
	"\n"
	"TARGET:\n"
	"  path/to/file.py:func   import the file, call func() each iteration; an optional\n"
	"                         setup() in the same file runs once first\n"
	"  package.module:func    import as python -m would (current directory first)\n"
	"  -c CODE                execute CODE each iteration in a fresh namespace\n"
	"  --pytest [ARGS...]     every test pytest collects with ARGS (paths, -k, -m, node\n"
	"                         ids; conftest and ini files apply): each test is a target,\n"
	"                         its function-scoped fixtures set up and torn down every\n"
	"                         iteration, wider ones once. Failing tests are errors;\n"
	"                         skipped, xfailed and @pytest.mark.no_leak_check tests are\n"
	"                         reported, not judged; @pytest.mark.leakgate(budget={...},\n"
	"                         warmup=N, iterations=N, window=N) sets a test's own.\n"
	"                         Must come last.\n"
	"\n"
	"options:\n"
	"  -n, --iterations N     measure up to N iterations after the warm-up (default 300);\n"
	"                         the run stops earlier once the verdict is certain, and\n"
	"                         goes up to --window + 1 past N, at most twice, for a\n"
	"                         leak verdict N cannot prove: growth a bounded container\n"
	"                         seen at its bound only then explains, or samples that\n"
	"                         may have counted frozen garbage\n"
	"  -w, --warmup N         calls before measuring; growth in them is not judged\n"
	"                         (default 10)\n"
	"      --window N         the first span: a flat target passes after N measured\n"
	"                         iterations; later spans double (default 20)\n"
	"      --budget C=N[,C=N] allowed growth per iteration for counter C (defaults:\n"
	"                         native_bytes=32, others 0; vg_indirect too)\n"
	"      --timeout SECONDS  fail a call, with its snapshot, that takes longer\n"
	"                         (default 60; 0: no limit); also attribution's deadline,\n"
	"                         past which the leak stands with what it found\n"
	"      --max-memory SIZE  the memory guard: a worker may hold at most SIZE of heap\n"
	"                         (bytes, or K, M, G, T; default: half the machine's\n"
	"                         memory; 0: none); past it the target is a workload error\n"
	"      --report FILE      write a JSON report of every target to FILE (-: to stdout,\n"
	"                         the verdict lines then going to stderr)\n"
	"      --junit FILE       write a JUnit XML report (one testcase per target,\n"
	"                         grouped by module as pytest's --junitxml)\n"
	"      --junit-suite NAME the JUnit testsuite's name (default leakgate)\n"
	"      --plot FILE        write an SVG chart of every counter per iteration\n"
	"      --graph FILE       write the referrer chains of leaks as a Graphviz graph\n"
	"                         (and FILE.svg from it when Graphviz's dot is installed)\n"
	"      --baseline FILE    known leaks: one that grows no faster than FILE allows\n"
	"                         passes as KNOWN; grown and new leaks fail; fixed ones\n"
	"                         are named so that their line can go\n"
	"      --update-baseline  write this run's leaks to the --baseline FILE (sorted,\n"
	"                         one line per target and counter) and accept them\n"
	"      --config FILE      read [tool.leakgate] from this pyproject.toml\n"
	"      --no-config        read no pyproject.toml (default: the first one with a\n"
	"                         [tool.leakgate] table, from the current directory up;\n"
	"                         the command line wins over it)\n"
	"      --attribute N      after a leak verdict, re-run N calls with attribution:\n"
	"                         what grew, where it was allocated, what holds it\n"
	"                         (default 5; 0: none); growth in bursts gets a whole\n"
	"                         period of calls more\n"
	"      --valgrind         run each worker under Valgrind's memcheck (slow): native\n"
	"                         leaks are judged too (vg_definite) and reported with\n"
	"                         their allocation stacks; Valgrind errors fail the target.\n"
	"                         Your own suppressions: VALGRIND_OPTS=--suppressions=FILE\n"
	"      --python PYTHON    run in PYTHON's environment (an interpreter, or a venv's\n"
	"                         bin/python: its site-packages import), with the leakgate\n"
	"                         build for PYTHON's version (make PYTHON=...); default:\n"
	"                         the venv's python when pip installed leakgate in one\n"
	"      --on-leak=MODE     at a leak, the worker registers a blob for leakgate gdb\n"
	"                         and then: exit (default), trap (SIGTRAP, for a debugger\n"
	"                         started with leakgate gdb -- leakgate run ...), or core\n"
	"                         (a core file; its path is printed)\n"
	"      --core-dir DIR     where --on-leak=core writes (default: the current dir)\n"
	"      --color=WHEN       colour the verdict words: auto (default: on a terminal,\n"
	"                         unless NO_COLOR is set and not empty or TERM is dumb),\n"
	"                         always or never\n"
	"  -j, --jobs N           gate up to N targets at once, each in its own worker\n"
	"                         (default: the CPUs leakgate may use; -j 1: one at a\n"
	"                         time, in order); reports still come in order\n"
	"  -q, --quiet            print only the summary line of each target (and the\n"
	"                         error of a failing workload)\n"
	"  -v, --verbose          print every counter's trend, also on a pass (-vv: each\n"
	"                         iteration)\n"
	"  -h, --help             show this help\n"
	"  -V, --version          show the version\n"
	"\n"
	"counters: py_blocks py_bytes gc_objects native_bytes fds threads children,\n"
	"refs (debug builds), vg_definite vg_indirect vg_definite_blocks (--valgrind);\n"
	"rss, vg_possible and vg_possible_blocks are reported but never judged.\n"
	"\n"
	"config: [tool.leakgate] in pyproject.toml: keys are the long options above\n"
	"(iterations, warmup, window, timeout, attribute, report, junit, junit-suite,\n"
	"plot, graph, baseline, python, valgrind, color), a budget table of counters, and\n"
	"targets = [...] or pytest = [ARGS...]; relative paths are the file's directory's.\n"
	"Precedence: built-in defaults < the file < the command line < a test's\n"
	"@pytest.mark.leakgate.\n"
	"\n"
	"exit status: 0 no leak, 1 leak, 2 workload error (import failure, exception,\n"
	"crash, timeout, memory guard), 3 internal error, 4 usage error. With several\n"
	"targets: 1 when any leaked, whatever else failed; otherwise the worst. A closing\n"
	"line counts every outcome. SIGINT, SIGTERM or SIGHUP stop the workers, write the\n"
	"reports with the unfinished targets marked interrupted, and exit 128 + the\n"
	"signal's number (130 for SIGINT, 143 for SIGTERM).\n"
	"A known leak (within --baseline) is 0.\n";

static void vreport(const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("leakgate: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	exit(code);
}

#define usage_error(...) die(EXIT_USAGE, __VA_ARGS__)

static size_t parse_count(const char *opt, const char *arg, size_t min)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < min || v > 1000000)
		usage_error("%s expects a whole number from %zu to 1000000, not '%s'", opt, min,
			    arg);
	return (size_t)v;
}

static double parse_number(const char *what, const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < 0)
		usage_error("%s expects a number >= 0, not '%s'", what, arg);
	return v;
}

/* --timeout: at most 1000000 s (11.6 days), so that any deadline is exact in a double
 * and a typo is not silently "no limit". */
static double parse_timeout(const char *name, const char *arg)
{
	double v = parse_number(name, arg);

	if (v > 1000000)
		usage_error("%s expects seconds from 0 to 1000000, not '%s'", name, arg);
	return v;
}

/* --max-memory 512M: bytes, or K, M, G, T (powers of 1024); 0 turns the guard off. */
static size_t parse_size(const char *opt, const char *arg)
{
	static const char units[] = "KMGT";
	const char *u;
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end != arg && *end && !end[1] && (u = strchr(units, toupper((unsigned char)*end)))) {
		v *= pow(1024, (double)(u - units + 1));
		end++;
	}
	if (errno || end == arg || *end || !isfinite(v) || v < 0 || v >= 1.8e19)
		usage_error("%s expects a size in bytes, or with K, M, G or T, not '%s'", opt,
			    arg);
	if (v != 0 && v < 16 * 1024 * 1024)
		usage_error("%s %s is below 16M: CPython alone needs more", opt, arg);
	return (size_t)v;
}

/* One counter's budget; `name` says where it was given (--budget, a file's line). */
static void set_budget(const char *name, const char *counter, const char *value,
		       lg_verdict_opts *vo)
{
	lg_counter c;

	if (lg_counter_parse(counter, &c) < 0)
		usage_error("%s: unknown counter '%s' (counters: py_blocks, py_bytes, "
			    "gc_objects, native_bytes, fds, threads, children, refs, "
			    "vg_definite, vg_indirect, vg_definite_blocks)", name, counter);
	if (!lg_counter_judged(c))
		usage_error("%s: %s is reported, never judged", name, counter);
	vo->budget[c] = parse_number(name, value);
}

/* --budget py_blocks=0.5,native_bytes=64 */
static void parse_budget(const char *name, const char *arg, lg_verdict_opts *vo)
{
	char *copy = strdup(arg), *item, *save = NULL;

	if (!copy)
		die(EXIT_INTERNAL, "out of memory");
	if (!*arg || *arg == ',' || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,"))
		usage_error("--budget expects COUNTER=N[,COUNTER=N...], not '%s'", arg);
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		if (!eq)
			usage_error("%s expects COUNTER=N[,COUNTER=N...], not '%s'", name, item);
		*eq = '\0';
		set_budget(name, item, eq + 1, vo);
	}
	free(copy);
}

/* A report file: the option that asked for it and the library function that writes it.
 * It is written to `tmp`, beside its final name, and renamed into place once complete,
 * so that a run that does not finish never destroys the previous report. The temporary
 * file exists only while the report is written, at the end of the run (the start only
 * checks that one can be made): a run killed by SIGKILL, which no handler sees, leaves
 * the previous report and, unless it is killed during that write, nothing else. A path
 * that exists and is no regular file (/dev/stdout, a FIFO) is opened in place at the
 * start. */
struct output {
	const char *option;
	int (*write)(FILE *f, const lg_result *const *results, size_t n);
	const char *path;
	FILE *file;
	char *tmp;
};

static struct output *live_outputs;  /* for remove_temporaries */
static size_t nlive_outputs;

/* At exit (die() included): no half-written report is left beside its final name. */
static void remove_temporaries(void)
{
	size_t i;

	for (i = 0; i < nlive_outputs; i++)
		if (live_outputs[i].tmp) {
			unlink(live_outputs[i].tmp);
			free(live_outputs[i].tmp);
			live_outputs[i].tmp = NULL;
		}
}

/* Opens `path` for writing through a temporary file beside it (a mkstemp name after
 * PATH.), with the mode a plain fopen() would give. NULL with errno on failure. */
static FILE *open_beside(const char *path, char **tmp)
{
	struct stat st;
	mode_t mask;
	FILE *f;
	int fd;

	*tmp = NULL;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return fopen(path, "w");
	if (asprintf(tmp, "%s.XXXXXX", path) < 0) {
		*tmp = NULL;
		errno = ENOMEM;
		return NULL;
	}
	fd = mkstemp(*tmp);
	if (fd < 0)
		goto fail;
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) < 0 || !(f = fdopen(fd, "w"))) {
		int e = errno;

		close(fd);
		unlink(*tmp);
		errno = e;
		goto fail;
	}
	return f;
fail:
	free(*tmp);
	*tmp = NULL;
	return NULL;
}

/* Closes a file from open_beside and renames it into place: 0 or -1 with errno. */
static int close_beside(FILE *f, const char *path, char **tmp)
{
	int bad = fclose(f) != 0;

	if (*tmp) {
		if (bad || rename(*tmp, path) < 0) {
			int e = errno;

			unlink(*tmp);
			errno = e;
			bad = 1;
		}
		free(*tmp);
		*tmp = NULL;
	}
	return bad ? -1 : 0;
}

static int write_output(struct output *out, const lg_result *const *results, size_t n)
{
	int bad, e;

	if (!out->file && !(out->file = open_beside(out->path, &out->tmp))) {
		error("cannot write %s '%s': %s", out->option, out->path, strerror(errno));
		return -1;
	}
	bad = out->write(out->file, results, n) < 0;
	e = errno;

	if (out->file == stdout ? fflush(stdout) != 0 :
	    close_beside(out->file, out->path, &out->tmp) < 0)
		bad = 1;
	else
		errno = e;
	out->file = NULL;
	if (bad)
		error("cannot write %s '%s': %s", out->option, out->path, strerror(errno));
	return bad ? -1 : 0;
}

/* --junit's testsuite: its name, and when the run began. */
static lg_junit_opts junit_opts;

static int write_junit(FILE *f, const lg_result *const *results, size_t n)
{
	return lg_report_junit_with(f, results, n, &junit_opts);
}

/* Whether a report can be written at `path` (usage_error if not), before the run starts:
 * a temporary file is made beside it and removed at once, unless the path is no regular
 * file, which is then opened (open_beside). */
static void check_output(struct output *out)
{
	FILE *f = open_beside(out->path, &out->tmp);

	if (!f)
		usage_error("cannot write %s '%s': %s", out->option, out->path, strerror(errno));
	if (!out->tmp) {
		out->file = f;
		return;
	}
	fclose(f);
	unlink(out->tmp);
	free(out->tmp);
	out->tmp = NULL;
}

/* The SVG that render_graph makes of --graph FILE: FILE without .dot, plus .svg (free
 * it). */
static char *graph_svg_path(const char *dot_path)
{
	size_t len = strlen(dot_path);
	char *svg = malloc(len + 5);

	if (!svg)
		die(EXIT_INTERNAL, "out of memory");
	memcpy(svg, dot_path, len + 1);
	if (len > 4 && !strcmp(svg + len - 4, ".dot"))
		svg[len - 4] = '\0';
	strcat(svg, ".svg");
	return svg;
}

/* Renders FILE.dot to FILE.svg with Graphviz when `dot` is installed; -1 if it failed.
 * The SVG too is written beside its name and renamed into place. */
static int render_graph(const char *dot_path)
{
	char *svg = graph_svg_path(dot_path), *tmp = NULL;
	pid_t pid;
	int status, fd;

	if (asprintf(&tmp, "%s.XXXXXX", svg) < 0 || (fd = mkstemp(tmp)) < 0) {
		error("--graph: cannot write '%s': %s", svg, strerror(errno));
		free(tmp);
		free(svg);
		return -1;
	}
	close(fd);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execlp("dot", "dot", "-Tsvg", dot_path, "-o", tmp, (char *)NULL);
		_exit(errno == ENOENT ? 127 : 126);
	}
	status = -1;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		unlink(tmp);
		free(tmp);
		free(svg);
		return 0;  /* no Graphviz: the .dot file is the result */
	}
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || rename(tmp, svg) < 0) {
		error("--graph: Graphviz could not render '%s' to '%s'", dot_path, svg);
		unlink(tmp);
		free(tmp);
		free(svg);
		return -1;
	}
	free(tmp);
	free(svg);
	return 0;
}

/* A path's identity for comparing report names: its directory's real path and its last
 * component (the file need not exist yet), or NULL when the directory does not. */
static char *path_identity(const char *path)
{
	char *a = strdup(path), *b = strdup(path), *dir, *id = NULL, real[PATH_MAX];

	if (!a || !b)
		die(EXIT_INTERNAL, "out of memory");
	dir = dirname(a);
	if (realpath(dir, real) && asprintf(&id, "%s/%s", real, basename(b)) < 0)
		id = NULL;
	free(a);
	free(b);
	return id;
}

struct target_arg {
	lg_target target;
	const char *display;
	int skip;  /* --pytest: marked no_leak_check */
	const char *settings;  /* --pytest: its @pytest.mark.leakgate, "KEY=VALUE,..." */
	lg_target_opts own;    /* options of its own (marker, baseline), when target.opts */
	uint32_t baselined;    /* counters the baseline lists for it */
	double budget[LG_NCOUNTERS];  /* its budgets before the baseline raised them */
};

/* The targets of --pytest, one per collected test, from lg_gate_collect's lines,
 * "NODEID\tMARKED\tSETTINGS" (which this edits in place: the node ids point into it). */
static struct target_arg *collected_targets(char *list, const lg_target *t, size_t *n)
{
	struct target_arg *v;
	size_t count = 0, k = 0;
	char *line, *save = NULL;

	for (line = list; *line; line++)
		count += *line == '\n';
	v = calloc(count ? count : 1, sizeof(*v));
	if (!v)
		die(EXIT_INTERNAL, "out of memory");
	for (line = strtok_r(list, "\n", &save); line && k < count;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tab = strrchr(line, '\t'), *settings;

		if (!tab)
			continue;
		*tab = '\0';
		settings = tab + 1;
		tab = strrchr(line, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		v[k].target = *t;
		v[k].target.spec = line;
		v[k].display = line;
		v[k].skip = tab[1] == '1';
		v[k].settings = settings;
		k++;
	}
	*n = k;
	return v;
}

/* A test marked no_leak_check: reported, never run. */
static void skip(const struct target_arg *t, lg_result *r)
{
	memset(r, 0, sizeof(*r));
	r->target = t->display;
	r->status = LG_STATUS_SKIP;
	r->error = strdup("marked no_leak_check");
}

/* Where the verdict lines (the text reports) go: stdout, unless a report goes there. */
static FILE *text_out;

/* Progress on a terminal: one line, rewritten at most ten times a second, erased before
 * the target's report. */
static double last_progress;
static int progress_shown;

static double seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void clear_progress(const struct run_opts *o)
{
	if (o->progress && progress_shown)
		fputs("\r\033[K", stderr);
	progress_shown = 0;
}

/* py_blocks' trend over the window the verdict judged last, for the progress line (the
 * gate decides without fitting trends): its last PROGRESS_FIT samples at most, fitted only
 * when the line is drawn. Returns 0, or -1 when there is none. */
#define PROGRESS_FIT 200
static int progress_trend(const lg_result *r, lg_trend *t)
{
	double y[PROGRESS_FIT];
	size_t n = r->verdict.window_len, first = r->verdict.window_start, i;

	if (n > PROGRESS_FIT) {
		first += n - PROGRESS_FIT;
		n = PROGRESS_FIT;
	}
	if (n < 3 || first + n > r->series.len)
		return -1;
	for (i = 0; i < n; i++)
		y[i] = (double)r->series.samples[first + i].value[LG_PY_BLOCKS];
	return lg_trend_fit(y, n, r->opts.z, t) == 0 ? 0 : -1;
}

/* The gate's on_sample: -vv lines, and the progress line. */
static void on_sample(void *arg, const lg_result *r)
{
	const struct run_opts *o = arg;
	const lg_sample *s = &r->series.samples[r->series.len - 1];
	double now = seconds_now();
	lg_trend t = { 0 };

	if (o->verbose > 1)
		fprintf(stderr, "leakgate: %s: iteration %u%s py_blocks %lld\n", r->target,
			s->iteration, s->warmup ? " (warm-up)" : "",
			(long long)s->value[LG_PY_BLOCKS]);
	if (!o->progress || now - last_progress < 0.1)
		return;
	last_progress = now;
	progress_shown = 1;
	fprintf(stderr, "\r\033[K[%zu of %zu done] ", o->done, o->total);
	if (s->warmup)
		fprintf(stderr, "%s: iteration %u (warm-up)", r->target, s->iteration);
	else if (progress_trend(r, &t) == 0)
		fprintf(stderr, "%s: iteration %u, py_blocks %+.2f/iter [%+.2f, %+.2f]",
			r->target, s->iteration, t.slope, t.lo, t.hi);
	else
		fprintf(stderr, "%s: iteration %u", r->target, s->iteration);
}

/* The gate's on_note: detail only with -v. */
static void on_note(void *arg, const lg_result *r, int level, const char *text)
{
	const struct run_opts *o = arg;

	if (level > o->verbose)
		return;
	clear_progress(o);
	error("%s: %s", r->target, text);
}

/* One `leakgate run`: what the command line asked for, and what the run produced. */
struct run {
	struct run_opts o;
	struct target_arg *targets;
	size_t ntargets;
	struct output outputs[4];
	const char *python;
	int pytest;         /* --pytest: pytest_argv[0..pytest_nargs) are pytest's */
	const char *const *pytest_argv;
	size_t pytest_nargs;
	char *collected;    /* --pytest: lg_gate_collect's lines, which targets point into */
	lg_result *res;
	const lg_result **results;
	struct config config;   /* [tool.leakgate], when a pyproject.toml has it */
	int targets_from_file;  /* the targets are the file's (the command line gave none) */
	char **owned;           /* strings made for the options, freed with the run */
	size_t nowned;
	const char *baseline_path;
	int update_baseline;    /* --update-baseline: rewrite it with this run's leaks */
	struct baseline baseline;
};

/* Keeps s (malloc'd) until the run is released, and returns it. */
static char *own(struct run *r, char *s)
{
	char **v = realloc(r->owned, (r->nowned + 1) * sizeof(*v));

	if (!s || !v)
		die(EXIT_INTERNAL, "out of memory");
	r->owned = v;
	return r->owned[r->nowned++] = s;
}

static const struct option longopts[] = {
	{ "iterations", required_argument, NULL, 'n' },
	{ "warmup", required_argument, NULL, 'w' },
	{ "window", required_argument, NULL, 'W' },
	{ "budget", required_argument, NULL, 'b' },
	{ "timeout", required_argument, NULL, 't' },
	{ "report", required_argument, NULL, 'r' },
	{ "attribute", required_argument, NULL, 'A' },
	{ "junit", required_argument, NULL, 'J' },
	{ "junit-suite", required_argument, NULL, 'S' },
	{ "plot", required_argument, NULL, 'P' },
	{ "graph", required_argument, NULL, 'G' },
	{ "baseline", required_argument, NULL, 'B' },
	{ "update-baseline", no_argument, NULL, 'X' },
	{ "config", required_argument, NULL, 'C' },
	{ "no-config", no_argument, NULL, 'N' },
	{ "pytest", no_argument, NULL, 'T' },
	{ "valgrind", no_argument, NULL, 'M' },
	{ "python", required_argument, NULL, 'Y' },
	{ "on-leak", required_argument, NULL, 'L' },
	{ "core-dir", required_argument, NULL, 'D' },
	{ "color", required_argument, NULL, 'O' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "max-memory", required_argument, NULL, 'm' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* A target on the command line replaces the file's. */
static void cli_target(struct run *r)
{
	if (!r->targets_from_file)
		return;
	r->targets_from_file = 0;
	r->ntargets = 0;
	r->pytest = 0;
}

/* Applies one option (getopt's code) with its argument. `where` names it in errors: NULL
 * on the command line, else "FILE:LINE: key". Returns 1 when it asked for --help or
 * --version (printed), else 0; dies with EXIT_USAGE on a bad value. */
static int set_option(struct run *r, int opt, const char *arg, const char *where)
{
#define NAME(cli) (where ? where : (cli))
	struct run_opts *o = &r->o;
	struct target_arg *t;
	const char *why;

	switch (opt) {
	case 1:
		cli_target(r);
		t = &r->targets[r->ntargets];
		if (lg_target_parse(arg, &t->target, &why) < 0)
			usage_error("bad target '%s': %s", arg, why);
		t->display = arg;
		r->ntargets++;
		break;
	case 'c':
		cli_target(r);
		t = &r->targets[r->ntargets];
		t->target.kind = LG_TARGET_CODE;
		t->target.spec = arg;
		t->display = "-c";
		r->ntargets++;
		break;
	case 'n':
		o->gate.iterations = parse_count(NAME("-n/--iterations"), arg, 1);
		break;
	case 'w':
		o->gate.warmup = parse_count(NAME("-w/--warmup"), arg, 0);
		break;
	case 'W':
		o->gate.verdict.min_window = parse_count(NAME("--window"), arg, 3);
		break;
	case 'b':
		parse_budget(NAME("--budget"), arg, &o->gate.verdict);
		break;
	case 't':
		o->gate.timeout = parse_timeout(NAME("--timeout"), arg);
		break;
	case 'r':
		r->outputs[0].path = arg;
		break;
	case 'J':
		r->outputs[1].path = arg;
		break;
	case 'S':
		if (!*arg)
			usage_error("%s expects a name", NAME("--junit-suite"));
		junit_opts.suite = arg;
		break;
	case 'O':
		if ((o->color = output_color_parse(arg)) < 0)
			usage_error("%s expects auto, always or never, not '%s'", NAME("--color"),
				    arg);
		break;
	case 'P':
		r->outputs[2].path = arg;
		break;
	case 'G':
		r->outputs[3].path = arg;
		break;
	case 'X':
		r->update_baseline = 1;
		break;
	case 'B':
		r->baseline_path = arg;
		break;
	case 'A':
		o->gate.attribute = (unsigned)parse_count(NAME("--attribute"), arg, 0);
		if (o->gate.attribute > 1000)
			usage_error("%s expects a whole number from 0 to 1000, not '%s'",
				    NAME("--attribute"), arg);
		break;
	case 'M':
		o->gate.valgrind = "";
		break;
	case 'Y':
		r->python = arg;
		break;
	case 'L':
		if (!strcmp(arg, "exit"))
			o->gate.on_leak = LG_ON_LEAK_EXIT;
		else if (!strcmp(arg, "trap"))
			o->gate.on_leak = LG_ON_LEAK_TRAP;
		else if (!strcmp(arg, "core"))
			o->gate.on_leak = LG_ON_LEAK_CORE;
		else
			usage_error("--on-leak expects exit, trap or core, not '%s'", arg);
		break;
	case 'D':
		o->gate.core_dir = arg;
		break;
	case 'j':
		o->jobs = (unsigned)parse_count(NAME("-j/--jobs"), arg, 1);
		break;
	case 'm':
		o->gate.memory_limit = parse_size(NAME("--max-memory"), arg);
		break;
	case 'C':
	case 'N':
		break;  /* read before the other options (find_config) */
	case 'q':
		o->quiet = 1;
		break;
	case 'v':
		o->verbose++;
		break;
	case 'T':
		cli_target(r);
		r->pytest = 1;  /* what follows is pytest's */
		break;
	case 'h':
		fputs(usage_text, stdout);
		return 1;
	case 'V':
		printf("leakgate %s\n", LG_VERSION);
		return 1;
	}
	return 0;
#undef NAME
}

/* The config file: --config FILE, none with --no-config, else the first pyproject.toml
 * with a [tool.leakgate] table from the current directory upward. Only the options
 * before --pytest are leakgate's. Dies with EXIT_USAGE on a bad file. */
static void find_config(int argc, char **argv, struct run *r)
{
	char *path = NULL, *err = NULL;
	int i, none = 0;

	for (i = 1; i < argc && strcmp(argv[i], "--pytest") && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--no-config") || !strcmp(argv[i], "-h") ||
		    !strcmp(argv[i], "--help") || !strcmp(argv[i], "-V") ||
		    !strcmp(argv[i], "--version"))
			none = 1;  /* --help works whatever the file says */
		else if (!strcmp(argv[i], "--config") && i + 1 < argc)
			path = argv[++i];
		else if (!strncmp(argv[i], "--config=", 9))
			path = argv[i] + 9;
		else if (!strcmp(argv[i], "-c"))
			i++;  /* code, which could read "--config" */
	}
	if (none)
		return;
	if (path && access(path, R_OK) < 0)
		usage_error("--config '%s': %s", path, strerror(errno));
	if (path && !(path = strdup(path)))
		die(EXIT_INTERNAL, "out of memory");
	if (!path && !(path = config_find(".", &err)) && err)
		usage_error("%s", err);
	if (!path)
		return;
	if (config_read(path, &r->config, &err) < 0)
		usage_error("%s", err);
	free(path);
}

/* What a key of [tool.leakgate] sets: the long option of the same name. */
static const char *const file_keys[] = {
	"iterations", "warmup", "window", "timeout", "attribute", "report", "junit",
	"junit-suite", "plot", "graph", "baseline", "python", "valgrind", "color", "targets",
	"pytest", NULL,
};

/* A path given in the file: relative ones are relative to the file's directory. */
static const char *file_path(struct run *r, const char *path)
{
	char *full;

	if (path[0] == '/' || !strcmp(r->config.dir, "."))
		return path;
	if (asprintf(&full, "%s/%s", r->config.dir, path) < 0)
		die(EXIT_INTERNAL, "out of memory");
	return own(r, full);
}

/* Applies [tool.leakgate]'s entries, before the command line's options (which win). */
static void apply_config(struct run *r)
{
	size_t i, k;

	for (i = 0; i < r->config.n; i++) {
		const struct config_entry *e = &r->config.entries[i];
		const struct option *lo;
		char *where;
		int numeric;

		if (asprintf(&where, "%s:%u: %s", r->config.path, e->line, e->key) < 0)
			die(EXIT_INTERNAL, "out of memory");
		own(r, where);
		if (!strncmp(e->key, "budget.", 7)) {
			if (e->type != CONFIG_NUMBER)
				usage_error("%s expects a number", where);
			set_budget(where, e->key + 7, e->text, &r->o.gate.verdict);
			continue;
		}
		for (lo = longopts; lo->name && strcmp(lo->name, e->key); lo++)
			;
		for (k = 0; file_keys[k] && strcmp(file_keys[k], e->key); k++)
			;
		if (!strcmp(e->key, "budget"))
			usage_error("%s is a table of counters: [tool.leakgate.budget], or "
				    "budget = { py_blocks = 1 }", where);
		if (!file_keys[k])
			usage_error("%s:%u: unknown key '%s' in [tool.leakgate] (keys: iterations, "
				    "warmup, window, timeout, attribute, budget, report, junit, "
				    "junit-suite, plot, graph, baseline, python, valgrind, color, "
				    "targets, pytest)",
				    r->config.path, e->line, e->key);
		if (!strcmp(e->key, "targets") || !strcmp(e->key, "pytest")) {
			if (e->type != CONFIG_ARRAY)
				usage_error("%s expects an array of strings", where);
			if (r->targets_from_file)
				usage_error("%s: give targets or pytest, not both", where);
			r->targets_from_file = 1;
			if (!strcmp(e->key, "pytest")) {
				r->pytest = 1;
				r->pytest_argv = (const char *const *)e->items;
				r->pytest_nargs = e->nitems;
				continue;
			}
			for (k = 0; k < e->nitems; k++) {
				struct target_arg *t = &r->targets[r->ntargets];
				const char *why;

				if (lg_target_parse(e->items[k], &t->target, &why) < 0)
					usage_error("%s: bad target '%s': %s", where, e->items[k], why);
				t->display = e->items[k];
				r->ntargets++;
			}
			continue;
		}
		if (lo->has_arg == no_argument) {
			if (e->type != CONFIG_BOOL)
				usage_error("%s expects true or false", where);
			if (!strcmp(e->text, "true"))
				set_option(r, lo->val, NULL, where);
			continue;
		}
		numeric = strchr("nwWtA", lo->val) != NULL;
		if (e->type != (numeric ? CONFIG_NUMBER : CONFIG_STRING))
			usage_error("%s expects %s", where, numeric ? "a number" : "a string");
		/* Paths are the file's directory's; a name (the suite, a colour mode, a python
		 * looked up on PATH) is taken as written. */
		set_option(r, lo->val, numeric || strchr("SO", lo->val) ||
			   (lo->val == 'Y' && !strchr(e->text, '/')) ? e->text :
			   file_path(r, e->text), where);
	}
}

/* Parses `leakgate run`'s options and targets into *r, over what the config file says;
 * dies with EXIT_USAGE on a bad one. Returns 1 when the command line only asked for
 * --help or --version (printed). */
static int parse_run(int argc, char **argv, struct run *r)
{
	static const struct output outputs[] = {
		{ "--report", lg_report_json },
		{ "--junit", write_junit },
		{ "--plot", lg_report_svg },
		{ "--graph", lg_report_dot },
	};
	size_t nfile = 0, i;
	int opt;

	memcpy(r->outputs, outputs, sizeof(outputs));
	lg_gate_opts_init(&r->o.gate);
	find_config(argc, argv, r);
	for (i = 0; i < r->config.n; i++)
		nfile += r->config.entries[i].nitems;
	if (!(r->targets = calloc((size_t)argc + nfile, sizeof(*r->targets))))
		die(EXIT_INTERNAL, "out of memory");
	apply_config(r);
	opterr = 0;
	optind = 1;
	while ((!r->pytest || r->targets_from_file) &&
	       (opt = getopt_long(argc, argv, "-:n:w:c:j:qvhV", longopts, NULL)) != -1) {
		if (opt == ':')
			usage_error("option '%s' needs a value", argv[optind - 1]);
		if (opt == '?' || !strchr("\001cnwWbtrJSPGXBAMYLDCNOjmqvThV", opt))
			usage_error("unknown option '%s' (see leakgate --help)", argv[optind - 1]);
		if (set_option(r, opt, optarg, NULL))
			return 1;
	}
	if (r->pytest && !r->targets_from_file) {
		r->pytest_argv = (const char *const *)argv + optind;
		r->pytest_nargs = (size_t)(argc - optind);
	}
	return 0;
}

/* --baseline FILE: read it (a malformed one is a usage error naming the line). With
 * --update-baseline it may not exist yet, and its directory must be writable. */
static void read_baseline(struct run *r)
{
	char *dir, *err;
	FILE *f;

	if (r->update_baseline && !r->baseline_path)
		usage_error("--update-baseline goes with --baseline FILE (or baseline in "
			    "[tool.leakgate])");
	if (!r->baseline_path)
		return;
	if (r->update_baseline) {
		if (!(dir = strdup(r->baseline_path)))
			die(EXIT_INTERNAL, "out of memory");
		if (access(strchr(dir, '/') ? dirname(dir) : ".", W_OK | X_OK) < 0)
			usage_error("--baseline '%s': cannot write there: %s", r->baseline_path,
				    strerror(errno));
		free(dir);
		if (access(r->baseline_path, F_OK) < 0 && errno == ENOENT)
			return;  /* a new baseline */
	}
	if (!(f = fopen(r->baseline_path, "r")))
		usage_error("--baseline '%s': %s", r->baseline_path, strerror(errno));
	if (baseline_read(f, r->baseline_path, &r->baseline, &err) < 0)
		usage_error("%s", err);
	fclose(f);
}

/* An absolute path for one given relative to the current directory (before a chdir). */
static const char *absolute(struct run *r, const char *path)
{
	char *cwd, *full;

	if (!path || path[0] == '/')
		return path;
	if (!(cwd = getcwd(NULL, 0)) || asprintf(&full, "%s/%s", cwd, path) < 0)
		die(EXIT_INTERNAL, "cannot find the current directory");
	free(cwd);
	return own(r, full);
}

/* The absolute path of this executable, or NULL. */
static const char *self_exe(void)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	if (n <= 0)
		return NULL;
	path[n] = '\0';
	return path;
}

/* --core-dir must take a new file: tried with a directory made and removed at once (the
 * worker writes its core through such a private directory), so that /proc or a read-only
 * file system is refused before the run, naming the real reason. */
static void check_core_dir(const char *dir)
{
	char *probe = NULL;

	if (access(dir, W_OK | X_OK) < 0)
		usage_error("--core-dir '%s': %s", dir, strerror(errno));
	if (asprintf(&probe, "%s/.leakgate-probe.XXXXXX", dir) < 0)
		die(EXIT_INTERNAL, "out of memory");
	if (!mkdtemp(probe))
		usage_error("--core-dir '%s': cannot create files there: %s", dir,
			    strerror(errno));
	rmdir(probe);
	free(probe);
}

/* Two reports that would land in one file are a usage error: --report F --junit F, or
 * --plot x.svg with --graph x.dot (whose rendering is x.svg). */
static void check_report_names(const struct run *r)
{
	const size_t n = sizeof(r->outputs) / sizeof(r->outputs[0]);
	const char *opt[sizeof(r->outputs) / sizeof(r->outputs[0]) + 1];
	char *id[sizeof(r->outputs) / sizeof(r->outputs[0]) + 1];
	size_t i, j, k = 0;

	for (i = 0; i < n; i++) {
		const struct output *out = &r->outputs[i];

		if (!out->path)
			continue;
		opt[k] = out->option;
		id[k++] = path_identity(out->path);
		if (out->write == lg_report_dot) {
			char *svg = graph_svg_path(out->path);

			opt[k] = "--graph's rendering";
			id[k++] = path_identity(svg);
			free(svg);
		}
	}
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++)
			if (id[i] && id[j] && !strcmp(id[i], id[j]))
				usage_error("%s and %s would both write '%s'", opt[i], opt[j],
					    id[i]);
	for (i = 0; i < k; i++)
		free(id[i]);
}

/* Checks what parse_run read against itself and the machine, and completes the gate's
 * options: --python's build, --valgrind's programs, the report files (opened here, so an
 * unwritable one stops the run before it starts), the baseline, the callbacks; targets
 * from the file run from the file's directory. Dies on a bad one. */
static void prepare_run(int argc, char **argv, struct run *r)
{
	struct run_opts *o = &r->o;
	size_t i;

	text_out = stdout;
	if (r->pytest && r->ntargets)
		usage_error("--pytest gates the tests pytest collects: give no other TARGET");
	if (r->ntargets == 0 && !r->pytest)
		usage_error("no TARGET given (see leakgate --help)");
	if (o->gate.iterations < o->gate.verdict.min_window)
		usage_error("-n %zu is below --window %zu: no verdict could rest on so few "
			    "iterations", o->gate.iterations, o->gate.verdict.min_window);
	if (o->gate.core_dir && o->gate.on_leak != LG_ON_LEAK_CORE)
		usage_error("--core-dir goes with --on-leak=core");
	if (o->gate.core_dir)
		check_core_dir(o->gate.core_dir);
	if (o->quiet && o->verbose)
		usage_error("-q and -v contradict each other");
	check_report_names(r);
	/* Installed in a venv (pip install), leakgate runs in that venv by default. */
	if (r->python || (r->python = venv_python()))
		o->gate.worker.executable = python_select(r->python, argc, argv);
	read_baseline(r);
	/* Exit 4 when valgrind is missing (the run cannot be done as asked, like an
	 * unwritable --report); 3 when leakgate's own suppression file is (a broken build). */
	if (o->gate.valgrind && !(o->gate.valgrind = valgrind_path()))
		usage_error("--valgrind: valgrind is not on PATH (Debian: apt-get install valgrind)");
	if (o->gate.valgrind && !(o->gate.suppressions = valgrind_suppressions()))
		die(EXIT_INTERNAL, "--valgrind: cannot find leakgate.supp next to the executable");
	live_outputs = r->outputs;
	nlive_outputs = sizeof(r->outputs) / sizeof(r->outputs[0]);
	atexit(remove_temporaries);
	for (i = 0; i < nlive_outputs; i++) {
		struct output *out = &r->outputs[i];

		if (out->path && !strcmp(out->path, "-")) {
			/* The report on stdout, alone: the verdict lines go to stderr. */
			if (text_out == stderr)
				usage_error("only one report can go to stdout ('-')");
			out->file = stdout;
			text_out = stderr;
			continue;
		}
		if (out->path)
			check_output(out);
	}
	/* Every worker starts by exec of this program's hidden worker mode (valgrind.c):
	 * a fresh process, whatever this one holds. */
	if (!o->gate.worker_exe)
		o->gate.worker_exe = self_exe();
	if (r->targets_from_file && strcmp(r->config.dir, ".")) {
		/* Renamed into place or rendered afterwards, from the file's directory. */
		for (i = 0; i < nlive_outputs; i++) {
			struct output *out = &r->outputs[i];
			char *tmp;

			if (out->file == stdout)
				continue;
			out->path = absolute(r, out->path);
			if (out->tmp) {
				if (!(tmp = strdup(absolute(r, out->tmp))))
					die(EXIT_INTERNAL, "out of memory");
				free(out->tmp);
				out->tmp = tmp;
			}
		}
		r->baseline_path = absolute(r, r->baseline_path);      /* written afterwards */
		o->gate.core_dir = absolute(r, o->gate.core_dir);
		if (chdir(r->config.dir) < 0)
			usage_error("%s: cannot change to its directory: %s", r->config.path,
				    strerror(errno));
	}
	o->progress = !o->quiet && isatty(2) && !getenv("CI");
	o->gate.on_sample = on_sample;
	o->gate.on_note = on_note;
	o->gate.arg = o;
}

/* Applies a test's @pytest.mark.leakgate settings ("iterations=N,warmup=N,window=N,
 * budget.COUNTER=N") to its options; they win over the file and the command line. */
static void apply_marker(const struct target_arg *t, lg_target_opts *o)
{
	char *copy = strdup(t->settings), *item, *save = NULL, *name;

	if (!copy)
		die(EXIT_INTERNAL, "out of memory");
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		if (!eq)
			eq = item + strlen(item);
		else
			*eq++ = '\0';
		if (asprintf(&name, "%s: @pytest.mark.leakgate: %s%s", t->display,
			     strncmp(item, "budget.", 7) ? "" : "budget ",
			     strncmp(item, "budget.", 7) ? item : item + 7) < 0)
			die(EXIT_INTERNAL, "out of memory");
		if (!strcmp(item, "iterations"))
			o->iterations = parse_count(name, eq, 1);
		else if (!strcmp(item, "warmup"))
			o->warmup = parse_count(name, eq, 0);
		else if (!strcmp(item, "window"))
			o->verdict.min_window = parse_count(name, eq, 3);
		else if (!strncmp(item, "budget.", 7))
			set_budget(name, item + 7, eq, &o->verdict);
		else if (!strcmp(item, "budget"))
			usage_error("%s: @pytest.mark.leakgate: budget expects a dict of counter "
				    "names to numbers, not %s", t->display, eq);
		else if (!strcmp(item, "args"))
			usage_error("%s: @pytest.mark.leakgate takes keyword arguments only "
				    "(budget=, warmup=, iterations=, window=)", t->display);
		else
			usage_error("%s: @pytest.mark.leakgate: unknown argument '%s' (budget, "
				    "warmup, iterations, window)", t->display, item);
		free(name);
	}
	free(copy);
	if (o->iterations < o->verdict.min_window)
		usage_error("%s: @pytest.mark.leakgate: %zu iterations are below the window of "
			    "%zu", t->display, o->iterations, o->verdict.min_window);
}

/* Each target's own options: its marker's settings, then the baseline's known growth
 * (a counter's budget raised to what the baseline allows). */
static void plan_targets(struct run *r)
{
	size_t i, k;

	for (i = 0; i < r->ntargets; i++) {
		struct target_arg *t = &r->targets[i];

		t->own.iterations = r->o.gate.iterations;
		t->own.warmup = r->o.gate.warmup;
		t->own.verdict = r->o.gate.verdict;
		if (t->settings && t->settings[0]) {
			apply_marker(t, &t->own);
			t->target.opts = &t->own;
		}
		memcpy(t->budget, t->own.verdict.budget, sizeof(t->budget));
		for (k = 0; k < r->baseline.n; k++) {
			const struct baseline_entry *e = &r->baseline.v[k];

			if (strcmp(e->target, t->display))
				continue;
			t->target.opts = &t->own;
			t->baselined |= 1u << e->counter;
			if (e->slope > t->own.verdict.budget[e->counter])
				t->own.verdict.budget[e->counter] = e->slope;
		}
	}
}

/* Writes every report file asked for over n results; -1 if one could not be written. */
static int write_reports(struct run *r, const lg_result *const *results, size_t n)
{
	int bad = 0;
	size_t i;

	for (i = 0; i < sizeof(r->outputs) / sizeof(r->outputs[0]); i++) {
		struct output *out = &r->outputs[i];

		if (!out->path)
			continue;
		if (write_output(out, results, n) < 0 ||
		    (out->write == lg_report_dot && render_graph(out->path) < 0))
			bad = 1;
	}
	return bad ? -1 : 0;
}

/* --pytest: turns the collected tests into targets. When collection failed, reports that
 * failure alone (to stderr and every report file) and returns its exit code; else -1. */
static int collect_pytest(lg_gate *gate, struct run *r)
{
	lg_target t = { LG_TARGET_PYTEST, NULL, r->pytest_argv, r->pytest_nargs };
	lg_result failed = { 0 };

	if (lg_gate_collect(gate, t.args, t.nargs, &r->collected, &failed) < 0) {
		const lg_result *one = &failed;
		int code = lg_result_exit_code(&failed);

		output_text(text_out, &failed, 0, output_color_on(r->o.color, text_out));
		write_reports(r, &one, 1);
		lg_result_release(&failed);
		return code;
	}
	free(r->targets);
	r->targets = collected_targets(r->collected, &t, &r->ntargets);
	if (r->ntargets == 0)
		error("pytest collected no tests");
	return -1;
}

/* With a baseline: which of the target's listed counters still grow past their own
 * budget (known: shown above it, though within the baseline) and which no longer do
 * (fixed: shown at or below it). A passing target with a known leak is KNOWN. */
static void judge_baseline(const struct target_arg *t, lg_result *res)
{
	int c;

	if (res->status != LG_STATUS_PASS && res->status != LG_STATUS_LEAK)
		return;
	for (c = 0; c < LG_NCOUNTERS; c++) {
		const lg_trend *tr = &res->verdict.trend[c];

		if (!((t->baselined >> c) & 1) || !tr->n)
			continue;
		/* The floor shows growth that the trend does not (bursts, a sawtooth). */
		if (tr->lo > t->budget[c] || res->verdict.floor_rate[c] > t->budget[c])
			res->known |= 1u << c;
		else if (tr->hi <= t->budget[c])
			res->fixed |= 1u << c;
	}
	res->known &= ~res->verdict.failed;
	if (res->status == LG_STATUS_PASS && res->known)
		res->status = LG_STATUS_KNOWN;
}

/* A result as the run reports it: with a baseline, known or fixed; with
 * --update-baseline (recording), a leak is accepted, known from now on. */
static void settle(const struct target_arg *t, int recording, lg_result *res)
{
	judge_baseline(t, res);
	if (recording && res->status == LG_STATUS_LEAK) {
		res->known |= res->verdict.failed;
		res->status = LG_STATUS_KNOWN;
	}
}

/* The growth a known leak is recorded with: the upper end of the trend's interval, or,
 * when that interval does not lie above the budget (growth in bursts, under a sawtooth:
 * the floor failed it), the floor's rate. */
static double known_slope(const struct target_arg *t, const lg_result *res, int c)
{
	const lg_trend *tr = &res->verdict.trend[c];
	double floor = res->verdict.floor_rate[c];

	if (!(tr->lo > t->budget[c]) && isfinite(floor) && floor > tr->hi)
		return floor;
	return tr->hi;
}

/* --update-baseline: rewrites the --baseline file with every known leak (with
 * --update-baseline, every leak of the run is known: gate_target), each counter at the
 * upper end of its interval rounded up to two significant digits, and the lines of
 * targets this run did not gate. Written beside it and
 * renamed over it, so that a failed write leaves the old file whole. */
static int write_baseline(struct run *r)
{
	struct baseline b = { 0 };
	char *tmp;
	FILE *f;
	size_t i;
	int c, bad;

	if (!r->update_baseline)
		return 0;
	for (i = 0; i < r->ntargets; i++) {
		const lg_result *res = &r->res[i];

		for (c = 0; c < LG_NCOUNTERS; c++)
			if (((res->known >> c) & 1) &&
			    baseline_add(&b, res->target, (lg_counter)c,
					 baseline_round(known_slope(&r->targets[i], res, c))) < 0)
				die(EXIT_INTERNAL, "out of memory");
	}
	/* Targets this run did not gate (deselected, say) keep their lines. */
	for (i = 0; i < r->baseline.n; i++) {
		const struct baseline_entry *e = &r->baseline.v[i];
		size_t k;

		for (k = 0; k < r->ntargets && strcmp(r->targets[k].display, e->target); k++)
			;
		if (k == r->ntargets && baseline_add(&b, e->target, e->counter, e->slope) < 0)
			die(EXIT_INTERNAL, "out of memory");
	}
	if (asprintf(&tmp, "%s.tmp", r->baseline_path) < 0)
		die(EXIT_INTERNAL, "out of memory");
	f = fopen(tmp, "w");
	bad = !f || baseline_write(f, &b) < 0;
	if (f && fclose(f) != 0)
		bad = 1;
	if (!bad && rename(tmp, r->baseline_path) < 0)
		bad = 1;
	if (bad) {
		error("cannot write --baseline '%s': %s", r->baseline_path, strerror(errno));
		unlink(tmp);
	} else {
		error("baseline: %zu known leak%s written to %s", b.n, b.n == 1 ? "" : "s",
		      r->baseline_path);
	}
	free(tmp);
	baseline_release(&b);
	return bad ? -1 : 0;
}

/* The results of a run as they come in, and which of them are reported yet: reports
 * print in the targets' order, whatever order the targets finish in. */
struct ordered {
	struct run_opts *o;
	lg_result *res;
	char *done;       /* done[i]: res[i] is filled in */
	const size_t *index;  /* lg_gate_run_all's i-th target is targets[index[i]] */
	size_t n, printed;
	const struct target_arg *targets;
	int recording;        /* --update-baseline */
};

static void print_result(const lg_result *r, const struct run_opts *o)
{
	const char *gha = getenv("GITHUB_ACTIONS");

	/* A target the interrupt kept from starting (it has no time) is counted by the
	 * closing line and marked in the reports, not printed one by one. */
	if (r->status == LG_STATUS_INTERRUPTED && r->seconds == 0)
		return;
	output_text(text_out, r, o->quiet ? -1 : o->verbose, output_color_on(o->color, text_out));
	if (gha && !strcmp(gha, "true"))
		output_annotate(text_out, r);
	fflush(text_out);
	if (r->core_path) {
		error("%s: core written to %s", r->target, r->core_path);
		error("%s: open it with: %s", r->target, gdb_open_command(r->core_path));
	}
}

/* SIGINT, SIGTERM and SIGHUP (unless ignored) stop the workers (lg_gate_interrupt); the run then writes
 * its reports, the unfinished targets marked interrupted, and exits 128 + the signal. */
static void on_stop_signal(int signo)
{
	lg_gate_interrupt(signo);
}

static void catch_stop_signals(void)
{
	static const int signals[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	/* A signal ignored on entry stays ignored (nohup, a shell's background job). */
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		struct sigaction old;

		if (sigaction(signals[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(signals[i], &sa, NULL);
	}
}

/* Marks res[i] done and prints every result from the first one not yet printed up to the
 * next one still running. */
static void finish(struct ordered *d, size_t i)
{
	d->done[i] = 1;
	d->o->done++;
	clear_progress(d->o);
	for (; d->printed < d->n && d->done[d->printed]; d->printed++)
		print_result(&d->res[d->printed], d->o);
}

/* lg_gate_run_all's on_done: the result moves to its target's place (the library is done
 * with it). */
static void on_done(void *arg, size_t i, const lg_result *r)
{
	struct ordered *d = arg;

	d->res[d->index[i]] = *r;
	settle(&d->targets[d->index[i]], d->recording, &d->res[d->index[i]]);
	finish(d, d->index[i]);
}

/* Gates every target, -j at once, printing each one's report in order as it is known. */
static void run_targets(lg_gate *gate, struct run *r)
{
	size_t i, k = 0, n = r->ntargets ? r->ntargets : 1;
	lg_target *t = calloc(n, sizeof(*t));
	const char **display = calloc(n, sizeof(*display));
	size_t *index = calloc(n, sizeof(*index));
	lg_result *scratch = calloc(n, sizeof(*scratch));
	struct ordered d = { &r->o, NULL, calloc(n, 1), index, r->ntargets, 0, r->targets,
			     r->update_baseline };

	r->res = calloc(n, sizeof(*r->res));
	r->results = calloc(n, sizeof(*r->results));
	if (!r->res || !r->results || !t || !display || !index || !scratch || !d.done)
		die(EXIT_INTERNAL, "out of memory");
	d.res = r->res;
	r->o.done = 0;
	r->o.total = r->ntargets;
	for (i = 0; i < r->ntargets; i++) {
		r->results[i] = &r->res[i];
		if (r->targets[i].skip) {
			skip(&r->targets[i], &r->res[i]);
			finish(&d, i);
			continue;
		}
		t[k] = r->targets[i].target;
		display[k] = r->targets[i].display;
		index[k++] = i;
	}
	if (lg_gate_run_all(gate, t, display, k, r->o.jobs, on_done, &d, scratch) < 0)
		die(EXIT_INTERNAL, "cannot gate the targets");
	free(scratch);
	free(d.done);
	free(t);
	free(display);
	free(index);
}

/*
 * The run's exit code. A leak is what the gate exists to find and is never hidden: a run
 * with a leak exits 1 whatever else failed (a test that errors for an environmental
 * reason must not turn a leak found elsewhere into "exit 2"; both still fail the build,
 * and the closing line names the errors). Without a leak the worst code wins, and 3 when
 * a report could not be written.
 */
static int run_exit_code(const struct run *r, int reports_failed)
{
	int worst = EXIT_PASS;
	size_t i;

	if (lg_gate_interrupted())  /* the run did not finish: 128 + the signal, as a shell says */
		return LG_EXIT_INTERRUPTED + lg_gate_interrupted();
	for (i = 0; i < r->ntargets; i++) {
		int code = lg_result_exit_code(&r->res[i]);

		if (code == EXIT_LEAK)
			return EXIT_LEAK;
		if (code > worst)
			worst = code;
	}
	if (reports_failed && worst < EXIT_INTERNAL)
		worst = EXIT_INTERNAL;
	return worst;
}

/* The closing line: every outcome counted. */
static void print_totals(const struct run *r, double seconds)
{
	size_t count[LG_STATUS_INTERRUPTED + 1] = { 0 }, i;

	for (i = 0; i < r->ntargets; i++)
		if ((unsigned)r->res[i].status <= LG_STATUS_INTERRUPTED)
			count[r->res[i].status]++;
	fflush(stdout);
	fprintf(stderr, "leakgate: %zu %s%s: %zu passed, %zu leaked, %zu error%s, %zu skipped",
		r->ntargets, r->pytest ? "test" : "target", r->ntargets == 1 ? "" : "s",
		count[LG_STATUS_PASS], count[LG_STATUS_LEAK], count[LG_STATUS_ERROR],
		count[LG_STATUS_ERROR] == 1 ? "" : "s", count[LG_STATUS_SKIP]);
	if (count[LG_STATUS_KNOWN])
		fprintf(stderr, ", %zu known leak%s", count[LG_STATUS_KNOWN],
			count[LG_STATUS_KNOWN] == 1 ? "" : "s");
	if (count[LG_STATUS_INTERNAL])
		fprintf(stderr, ", %zu internal error%s", count[LG_STATUS_INTERNAL],
			count[LG_STATUS_INTERNAL] == 1 ? "" : "s");
	if (count[LG_STATUS_INTERRUPTED])
		fprintf(stderr, ", %zu interrupted", count[LG_STATUS_INTERRUPTED]);
	fprintf(stderr, " (%.1f s)\n", seconds);
	if (lg_gate_interrupted()) {
		int signo = lg_gate_interrupted();
		size_t not_run = 0;

		for (i = 0; i < r->ntargets; i++)
			not_run += r->res[i].status == LG_STATUS_INTERRUPTED &&
				   r->res[i].seconds == 0;
		error("interrupted by signal %d (%s): workers stopped; %zu target%s not run",
		      signo, strsignal(signo), not_run, not_run == 1 ? "" : "s");
	}
}

static void run_release(struct run *r)
{
	size_t i;

	for (i = 0; r->res && i < r->ntargets; i++)
		lg_result_release(&r->res[i]);
	free(r->res);
	free(r->results);
	free(r->targets);
	free(r->collected);
	config_release(&r->config);
	baseline_release(&r->baseline);
	for (i = 0; i < r->nowned; i++)
		free(r->owned[i]);
	free(r->owned);
	/* The outputs live in r, which dies with cmd_run's frame: the exit handler must not
	 * read them after this, so whatever it would remove goes now. */
	remove_temporaries();
	live_outputs = NULL;
	nlive_outputs = 0;
}

static int cmd_run(int argc, char **argv)
{
	struct run r = { 0 };
	lg_gate *gate;
	double start = seconds_now();
	int code, bad;

	if (parse_run(argc, argv, &r)) {
		run_release(&r);
		return EXIT_PASS;
	}
	prepare_run(argc, argv, &r);
	junit_opts.started = (double)time(NULL);
	catch_stop_signals();
	if (lg_gate_new(&r.o.gate, &gate) < 0)
		die(EXIT_INTERNAL, "cannot create the gate");
	if (r.pytest && (code = collect_pytest(gate, &r)) >= 0) {
		lg_gate_free(gate);
		run_release(&r);
		return code;
	}
	plan_targets(&r);
	run_targets(gate, &r);
	if (r.ntargets)
		print_totals(&r, seconds_now() - start);
	bad = write_baseline(&r) < 0;
	code = run_exit_code(&r, write_reports(&r, r.results, r.ntargets) < 0 || bad);
	lg_gate_free(gate);
	run_release(&r);
	return code;
}

int main(int argc, char **argv)
{
	valgrind_worker_mode(argc, argv);  /* returns unless this is a worker under Valgrind */
	signal(SIGPIPE, SIG_IGN);  /* a dead worker's pipe is an error, not a signal */
	if (argc < 2)
		usage_error("no command given (see leakgate --help)");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		fputs(usage_text, stdout);
		return EXIT_PASS;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("leakgate %s\n", LG_VERSION);
		return EXIT_PASS;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "gdb"))
		return cmd_gdb(argc - 1, argv + 1);
	usage_error("unknown command '%s' (see leakgate --help)", argv[1]);
}
