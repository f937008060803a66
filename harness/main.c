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
#include <unistd.h>

#include "harness.h"

static const char usage_text[] =
	"usage: leakgate run [options] TARGET...\n"
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
	"      --report FILE      write a JSON report of every target to FILE\n"
	"      --on-leak=MODE     at a leak, the worker registers a blob for leakgate gdb\n"
	"                         and then: exit (default), trap (SIGTRAP, for a debugger\n"
	"                         started with leakgate gdb -- leakgate run ...), or core\n"
	"                         (a core file; its path is printed)\n"
	"      --core-dir DIR     where --on-leak=core writes (default: the current dir)\n"
	"  -q, --quiet            print only the summary line of each target (and the\n"
	"                         error of a failing workload)\n"
	"  -v, --verbose          print every counter's trend, also on a pass (-vv: each\n"
	"                         iteration)\n"
	"  -h, --help             show this help\n"
	"  -V, --version          show the version\n"
	"\n"
	"counters: py_blocks py_bytes gc_objects native_bytes fds threads refs (debug builds);\n"
	"rss is reported but never judged.\n"
	"\n"
	"exit status: 0 no leak, 1 leak, 2 workload error (import failure, exception,\n"
	"crash, timeout), 3 internal error, 4 usage error; with several targets the worst.\n";

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
				    "vg_indirect)", item);
		if (!lg_counter_judged(c))
			usage_error("--budget: %s is reported, never judged", item);
		vo->budget[c] = parse_number("--budget", eq + 1);
	}
	free(copy);
}

struct target_arg {
	lg_target target;
	const char *display;
};

static int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "iterations", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "window", required_argument, NULL, 'W' },
		{ "budget", required_argument, NULL, 'b' },
		{ "timeout", required_argument, NULL, 't' },
		{ "report", required_argument, NULL, 'r' },
		{ "on-leak", required_argument, NULL, 'L' },
		{ "core-dir", required_argument, NULL, 'D' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_opts o = { .iterations = 200, .warmup = 50, .timeout = 60 };
	struct target_arg *targets = calloc((size_t)argc, sizeof(*targets));
	const lg_result **results;
	lg_result *res;
	size_t ntargets = 0, i;
	const char *report = NULL;
	FILE *report_file = NULL;
	int opt, worst = EXIT_PASS;

	if (!targets)
		die(EXIT_INTERNAL, "out of memory");
	lg_verdict_opts_init(&o.verdict);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "-:n:w:c:qvhV", longopts, NULL)) != -1) {
		const char *why;

		switch (opt) {
		case 1:
			if (lg_target_parse(optarg, &targets[ntargets].target, &why) < 0)
				usage_error("bad target '%s': %s", optarg, why);
			targets[ntargets++].display = optarg;
			break;
		case 'c':
			targets[ntargets].target.kind = LG_TARGET_CODE;
			targets[ntargets].target.spec = optarg;
			targets[ntargets++].display = "-c";
			break;
		case 'n':
			o.iterations = parse_count("-n/--iterations", optarg, 1);
			break;
		case 'w':
			o.warmup = parse_count("-w/--warmup", optarg, 0);
			break;
		case 'W':
			o.verdict.min_window = parse_count("--window", optarg, 3);
			break;
		case 'b':
			parse_budget(optarg, &o.verdict);
			break;
		case 't':
			o.timeout = parse_number("--timeout", optarg);
			break;
		case 'r':
			report = optarg;
			break;
		case 'L':
			if (!strcmp(optarg, "exit"))
				o.on_leak = ON_LEAK_EXIT;
			else if (!strcmp(optarg, "trap"))
				o.on_leak = ON_LEAK_TRAP;
			else if (!strcmp(optarg, "core"))
				o.on_leak = ON_LEAK_CORE;
			else
				usage_error("--on-leak expects exit, trap or core, not '%s'", optarg);
			break;
		case 'D':
			o.core_dir = optarg;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'v':
			o.verbose++;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_PASS;
		case 'V':
			printf("leakgate %s\n", LG_VERSION);
			return EXIT_PASS;
		case ':':
			usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			usage_error("unknown option '%s' (see leakgate --help)", argv[optind - 1]);
		}
	}
	if (ntargets == 0)
		usage_error("no TARGET given (see leakgate --help)");
	if (o.iterations < o.verdict.min_window)
		usage_error("-n %zu is below --window %zu: no verdict could rest on so few "
			    "iterations", o.iterations, o.verdict.min_window);
	if (o.core_dir && o.on_leak != ON_LEAK_CORE)
		usage_error("--core-dir goes with --on-leak=core");
	if (o.core_dir && access(o.core_dir, W_OK | X_OK) < 0)
		usage_error("--core-dir '%s': %s", o.core_dir, strerror(errno));
	if (o.quiet && o.verbose)
		usage_error("-q and -v contradict each other");
	if (report && !(report_file = fopen(report, "w")))
		usage_error("cannot write the report '%s': %s", report, strerror(errno));

	res = calloc(ntargets, sizeof(*res));
	results = calloc(ntargets, sizeof(*results));
	if (!res || !results)
		die(EXIT_INTERNAL, "out of memory");
	for (i = 0; i < ntargets; i++) {
		int code = supervise(&targets[i].target, targets[i].display, &o, &res[i]);

		results[i] = &res[i];
		lg_report_text(stderr, &res[i], o.quiet ? -1 : o.verbose);
		if (code > worst)
			worst = code;
	}
	if (report_file) {
		int bad = lg_report_json(report_file, results, ntargets) < 0;

		if (fclose(report_file) != 0)
			bad = 1;
		if (bad) {
			error("cannot write the report '%s': %s", report, strerror(errno));
			if (worst < EXIT_INTERNAL)
				worst = EXIT_INTERNAL;
		}
	}
	for (i = 0; i < ntargets; i++) {
		lg_series_release(&res[i].series);
		free(res[i].error);
	}
	free(res);
	free(results);
	free(targets);
	return worst;
}

int main(int argc, char **argv)
{
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
