/* main.c: the leakgate command line: options, the targets in order, the reports and the
 * exit code (the worst target's). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
	"                         reported, not judged. Must come last.\n"
	"\n"
	"options:\n"
	"  -n, --iterations N     measure at most N iterations after the warm-up (default 200);\n"
	"                         the run stops earlier once the verdict is certain\n"
	"  -w, --warmup N         calls before measuring; growth in them is not judged\n"
	"                         (default 50)\n"
	"      --window N         fewest measured iterations a verdict rests on (default 20)\n"
	"      --budget C=N[,C=N] allowed growth per iteration for counter C (defaults:\n"
	"                         native_bytes=32, others 0)\n"
	"      --timeout SECONDS  fail a call, with its snapshot, that takes longer\n"
	"                         (default 60; 0: no limit)\n"
	"      --report FILE      write a JSON report of every target to FILE (-: to stdout,\n"
	"                         the verdict lines then going to stderr)\n"
	"      --junit FILE       write a JUnit XML report (one testcase per target,\n"
	"                         grouped by module as pytest's --junitxml)\n"
	"      --junit-suite NAME the JUnit testsuite's name (default leakgate)\n"
	"      --plot FILE        write an SVG chart of every counter per iteration\n"
	"      --graph FILE       write the referrer chains of leaks as a Graphviz graph\n"
	"                         (and FILE.svg from it when Graphviz's dot is installed)\n"
	"      --attribute N      after a leak verdict, re-run N calls with attribution:\n"
	"                         what grew, where it was allocated, what holds it\n"
	"                         (default 5; 0: none)\n"
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
	"                         unless NO_COLOR is set), always or never\n"
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
	"counters: py_blocks py_bytes gc_objects native_bytes fds threads refs (debug builds),\n"
	"vg_definite vg_indirect vg_definite_blocks (--valgrind); rss, vg_possible and\n"
	"vg_possible_blocks are reported but never judged.\n"
	"\n"
	"exit status: 0 no leak, 1 leak, 2 workload error (import failure, exception,\n"
	"crash, timeout), 3 internal error, 4 usage error. With several targets: 1 when any\n"
	"leaked, whatever else failed; otherwise the worst. A closing line counts every\n"
	"outcome.\n";

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

/* --budget py_blocks=0.5,native_bytes=64 */
static void parse_budget(const char *arg, lg_verdict_opts *vo)
{
	char *copy = strdup(arg), *item, *save = NULL;

	if (!copy)
		die(EXIT_INTERNAL, "out of memory");
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		lg_counter c;

		if (!eq)
			usage_error("--budget expects COUNTER=N[,COUNTER=N...], not '%s'", item);
		*eq = '\0';
		if (lg_counter_parse(item, &c) < 0)
			usage_error("--budget: unknown counter '%s' (counters: py_blocks, py_bytes, "
				    "gc_objects, native_bytes, fds, threads, refs, vg_definite, "
				    "vg_indirect, vg_definite_blocks)", item);
		if (!lg_counter_judged(c))
			usage_error("--budget: %s is reported, never judged", item);
		vo->budget[c] = parse_number("--budget", eq + 1);
	}
	free(copy);
}

/* A report file: the option that asked for it and the library function that writes it. */
struct output {
	const char *option;
	int (*write)(FILE *f, const lg_result *const *results, size_t n);
	const char *path;
	FILE *file;
};

static int write_output(struct output *out, const lg_result *const *results, size_t n)
{
	int bad = out->write(out->file, results, n) < 0;

	if (out->file == stdout ? fflush(stdout) != 0 : fclose(out->file) != 0)
		bad = 1;
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

/* Renders FILE.dot to FILE.svg with Graphviz when `dot` is installed; -1 if it failed. */
static int render_graph(const char *dot_path)
{
	size_t len = strlen(dot_path);
	char *svg = malloc(len + 5);
	pid_t pid;
	int status;

	if (!svg)
		return -1;
	memcpy(svg, dot_path, len + 1);
	if (len > 4 && !strcmp(svg + len - 4, ".dot"))
		svg[len - 4] = '\0';
	strcat(svg, ".svg");
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execlp("dot", "dot", "-Tsvg", dot_path, "-o", svg, (char *)NULL);
		_exit(errno == ENOENT ? 127 : 126);
	}
	status = -1;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		free(svg);
		return 0;  /* no Graphviz: the .dot file is the result */
	}
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		error("--graph: Graphviz could not render '%s' to '%s'", dot_path, svg);
		free(svg);
		return -1;
	}
	free(svg);
	return 0;
}

struct target_arg {
	lg_target target;
	const char *display;
	int skip;  /* --pytest: marked no_leak_check */
};

/* The targets of --pytest, one per collected test, from lg_gate_collect's lines (which
 * this edits in place: the node ids point into it). */
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
		char *tab = strrchr(line, '\t');

		if (!tab)
			continue;
		*tab = '\0';
		v[k].target = *t;
		v[k].target.spec = line;
		v[k].display = line;
		v[k].skip = tab[1] == '1';
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

/* The gate's on_sample: -vv lines, and the progress line. */
static void on_sample(void *arg, const lg_result *r)
{
	const struct run_opts *o = arg;
	const lg_sample *s = &r->series.samples[r->series.len - 1];
	const lg_trend *t = &r->verdict.trend[LG_PY_BLOCKS];
	double now = seconds_now();

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
	else if (t->n)
		fprintf(stderr, "%s: iteration %u, py_blocks %+.2f/iter [%+.2f, %+.2f]",
			r->target, s->iteration, t->slope, t->lo, t->hi);
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
	int pytest;         /* --pytest: argv[pytest_args...] are pytest's */
	int pytest_args;
	char *collected;    /* --pytest: lg_gate_collect's lines, which targets point into */
	lg_result *res;
	const lg_result **results;
};

/* Parses `leakgate run`'s options and targets into *r; dies with EXIT_USAGE on a bad one.
 * Returns 1 when the command line only asked for --help or --version (printed). */
static int parse_run(int argc, char **argv, struct run *r)
{
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
		{ "pytest", no_argument, NULL, 'T' },
		{ "valgrind", no_argument, NULL, 'M' },
		{ "python", required_argument, NULL, 'Y' },
		{ "on-leak", required_argument, NULL, 'L' },
		{ "core-dir", required_argument, NULL, 'D' },
		{ "color", required_argument, NULL, 'C' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct output outputs[] = {
		{ "--report", lg_report_json },
		{ "--junit", write_junit },
		{ "--plot", lg_report_svg },
		{ "--graph", lg_report_dot },
	};
	struct run_opts *o = &r->o;
	int opt;

	memcpy(r->outputs, outputs, sizeof(outputs));
	if (!(r->targets = calloc((size_t)argc, sizeof(*r->targets))))
		die(EXIT_INTERNAL, "out of memory");
	lg_gate_opts_init(&o->gate);
	opterr = 0;
	optind = 1;
	while (!r->pytest && (opt = getopt_long(argc, argv, "-:n:w:c:j:qvhV", longopts, NULL)) != -1) {
		struct target_arg *t = &r->targets[r->ntargets];
		const char *why;

		switch (opt) {
		case 1:
			if (lg_target_parse(optarg, &t->target, &why) < 0)
				usage_error("bad target '%s': %s", optarg, why);
			t->display = optarg;
			r->ntargets++;
			break;
		case 'c':
			t->target.kind = LG_TARGET_CODE;
			t->target.spec = optarg;
			t->display = "-c";
			r->ntargets++;
			break;
		case 'n':
			o->gate.iterations = parse_count("-n/--iterations", optarg, 1);
			break;
		case 'w':
			o->gate.warmup = parse_count("-w/--warmup", optarg, 0);
			break;
		case 'W':
			o->gate.verdict.min_window = parse_count("--window", optarg, 3);
			break;
		case 'b':
			parse_budget(optarg, &o->gate.verdict);
			break;
		case 't':
			o->gate.timeout = parse_number("--timeout", optarg);
			break;
		case 'r':
			r->outputs[0].path = optarg;
			break;
		case 'J':
			r->outputs[1].path = optarg;
			break;
		case 'S':
			if (!*optarg)
				usage_error("--junit-suite expects a name");
			junit_opts.suite = optarg;
			break;
		case 'P':
			r->outputs[2].path = optarg;
			break;
		case 'G':
			r->outputs[3].path = optarg;
			break;
		case 'A':
			o->gate.attribute = (unsigned)parse_count("--attribute", optarg, 0);
			if (o->gate.attribute > 1000)
				usage_error("--attribute expects a whole number from 0 to 1000, "
					    "not '%s'", optarg);
			break;
		case 'M':
			o->gate.valgrind = "";
			break;
		case 'Y':
			r->python = optarg;
			break;
		case 'L':
			if (!strcmp(optarg, "exit"))
				o->gate.on_leak = LG_ON_LEAK_EXIT;
			else if (!strcmp(optarg, "trap"))
				o->gate.on_leak = LG_ON_LEAK_TRAP;
			else if (!strcmp(optarg, "core"))
				o->gate.on_leak = LG_ON_LEAK_CORE;
			else
				usage_error("--on-leak expects exit, trap or core, not '%s'", optarg);
			break;
		case 'D':
			o->gate.core_dir = optarg;
			break;
		case 'C':
			if ((o->color = output_color_parse(optarg)) < 0)
				usage_error("--color expects auto, always or never, not '%s'", optarg);
			break;
		case 'j':
			o->jobs = (unsigned)parse_count("-j/--jobs", optarg, 1);
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'T':
			r->pytest = 1;  /* what follows is pytest's */
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 1;
		case 'V':
			printf("leakgate %s\n", LG_VERSION);
			return 1;
		case ':':
			usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			usage_error("unknown option '%s' (see leakgate --help)", argv[optind - 1]);
		}
	}
	r->pytest_args = optind;
	return 0;
}

/* Checks what parse_run read against itself and the machine, and completes the gate's
 * options: --python's build, --valgrind's programs, the report files (opened here, so an
 * unwritable one stops the run before it starts), the callbacks. Dies on a bad one. */
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
	if (o->gate.core_dir && access(o->gate.core_dir, W_OK | X_OK) < 0)
		usage_error("--core-dir '%s': %s", o->gate.core_dir, strerror(errno));
	if (o->quiet && o->verbose)
		usage_error("-q and -v contradict each other");
	/* Installed in a venv (pip install), leakgate runs in that venv by default. */
	if (r->python || (r->python = venv_python()))
		o->gate.worker.executable = python_select(r->python, argc, argv);
	for (i = 0; i < sizeof(r->outputs) / sizeof(r->outputs[0]); i++) {
		struct output *out = &r->outputs[i];

		if (out->path && !strcmp(out->path, "-")) {
			/* The report on stdout, alone: the verdict lines go to stderr. */
			if (text_out == stderr)
				usage_error("only one report can go to stdout ('-')");
			out->file = stdout;
			text_out = stderr;
			continue;
		}
		if (out->path && !(out->file = fopen(out->path, "w")))
			usage_error("cannot write %s '%s': %s", out->option, out->path,
				    strerror(errno));
	}
	/* Exit 4 when valgrind is missing (the run cannot be done as asked, like an
	 * unwritable --report); 3 when leakgate's own suppression file is (a broken build). */
	if (o->gate.valgrind && !(o->gate.valgrind = valgrind_path()))
		usage_error("--valgrind: valgrind is not on PATH (Debian: apt-get install valgrind)");
	if (o->gate.valgrind && !(o->gate.suppressions = valgrind_suppressions()))
		die(EXIT_INTERNAL, "--valgrind: cannot find leakgate.supp next to the executable");
	o->progress = !o->quiet && isatty(2) && !getenv("CI");
	o->gate.on_sample = on_sample;
	o->gate.on_note = on_note;
	o->gate.arg = o;
}

/* Writes every report file asked for over n results; -1 if one could not be written. */
static int write_reports(struct run *r, const lg_result *const *results, size_t n)
{
	int bad = 0;
	size_t i;

	for (i = 0; i < sizeof(r->outputs) / sizeof(r->outputs[0]); i++) {
		struct output *out = &r->outputs[i];

		if (!out->file)
			continue;
		if (write_output(out, results, n) < 0 ||
		    (out->write == lg_report_dot && render_graph(out->path) < 0))
			bad = 1;
	}
	return bad ? -1 : 0;
}

/* --pytest: turns the collected tests into targets. When collection failed, reports that
 * failure alone (to stderr and every report file) and returns its exit code; else -1. */
static int collect_pytest(lg_gate *gate, int argc, char **argv, struct run *r)
{
	lg_target t = { LG_TARGET_PYTEST, NULL, (const char *const *)argv + r->pytest_args,
			(size_t)(argc - r->pytest_args) };
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

/* The results of a run as they come in, and which of them are reported yet: reports
 * print in the targets' order, whatever order the targets finish in. */
struct ordered {
	struct run_opts *o;
	lg_result *res;
	char *done;       /* done[i]: res[i] is filled in */
	const size_t *index;  /* lg_gate_run_all's i-th target is targets[index[i]] */
	size_t n, printed;
};

static void print_result(const lg_result *r, const struct run_opts *o)
{
	const char *gha = getenv("GITHUB_ACTIONS");

	output_text(text_out, r, o->quiet ? -1 : o->verbose, output_color_on(o->color, text_out));
	if (gha && !strcmp(gha, "true"))
		output_annotate(text_out, r);
	fflush(text_out);
	if (r->core_path) {
		error("%s: core written to %s", r->target, r->core_path);
		error("%s: open it with: %s", r->target, gdb_open_command(r->core_path));
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
	struct ordered d = { &r->o, NULL, calloc(n, 1), index, r->ntargets, 0 };

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
	size_t count[LG_STATUS_SKIP + 1] = { 0 }, i;

	for (i = 0; i < r->ntargets; i++)
		if ((unsigned)r->res[i].status <= LG_STATUS_SKIP)
			count[r->res[i].status]++;
	fflush(stdout);
	fprintf(stderr, "leakgate: %zu %s%s: %zu passed, %zu leaked, %zu error%s, %zu skipped",
		r->ntargets, r->pytest ? "test" : "target", r->ntargets == 1 ? "" : "s",
		count[LG_STATUS_PASS], count[LG_STATUS_LEAK], count[LG_STATUS_ERROR],
		count[LG_STATUS_ERROR] == 1 ? "" : "s", count[LG_STATUS_SKIP]);
	if (count[LG_STATUS_INTERNAL])
		fprintf(stderr, ", %zu internal error%s", count[LG_STATUS_INTERNAL],
			count[LG_STATUS_INTERNAL] == 1 ? "" : "s");
	fprintf(stderr, " (%.1f s)\n", seconds);
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
}

static int cmd_run(int argc, char **argv)
{
	struct run r = { 0 };
	lg_gate *gate;
	double start = seconds_now();
	int code;

	if (parse_run(argc, argv, &r)) {
		run_release(&r);
		return EXIT_PASS;
	}
	prepare_run(argc, argv, &r);
	junit_opts.started = (double)time(NULL);
	if (lg_gate_new(&r.o.gate, &gate) < 0)
		die(EXIT_INTERNAL, "cannot create the gate");
	if (r.pytest && (code = collect_pytest(gate, argc, argv, &r)) >= 0) {
		lg_gate_free(gate);
		run_release(&r);
		return code;
	}
	run_targets(gate, &r);
	if (r.ntargets)
		print_totals(&r, seconds_now() - start);
	code = run_exit_code(&r, write_reports(&r, r.results, r.ntargets) < 0);
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
