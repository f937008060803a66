/* gdb.c: `leakgate gdb`: starts $GDB (default gdb) with the reader plugin and the lg-*
 * commands loaded, on a core, a running process, or a program it starts. GDB's own
 * options (-q, -batch, -ex CMD, ...) pass through. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "paths.h"

static const char gdb_usage[] =
	"usage: leakgate gdb [GDB options] --core CORE PROGRAM\n"
	"       leakgate gdb [GDB options] -p PID\n"
	"       leakgate gdb [GDB options] -- PROGRAM [ARGS...]\n"
	"\n"
	"Starts $GDB (default gdb) with leakgate-gdb.so and the lg-* commands loaded:\n"
	"lg-report, lg-graph EXPR [DEPTH], lg-bt, lg-types, lg-referrers EXPR ('help lg-bt').\n"
	"With -- the program is run at once, following forked workers, and GDB stops where\n"
	"a worker raises SIGTRAP (leakgate run --on-leak=trap). GDB options such as -q,\n"
	"-batch, -ex CMD, -iex CMD, -x FILE, -nx, -i=mi are passed through.\n";

/* Options of GDB's that take a value in the next argument. */
static int takes_value(const char *opt)
{
	static const char *const opts[] = { "-ex", "-iex", "-x", "-ix", "-eval-command",
					    "-init-eval-command", "-command", "-cd", "-d",
					    "-directory", "-s", "-symbols", "-e", "-exec", "-se",
					    "-tty", "-data-directory", "-D", NULL };
	size_t i;

	while (*opt == '-' && opt[1] == '-')
		opt++;
	for (i = 0; opts[i]; i++)
		if (!strcmp(opt, opts[i]))
			return 1;
	return 0;
}

int cmd_gdb(int argc, char **argv)
{
	const char *gdb = getenv("GDB") && *getenv("GDB") ? getenv("GDB") : "gdb";
	char plugin[PATH_MAX], script[PATH_MAX], dir[] = "/tmp/leakgate-gdb.XXXXXX";
	char session[sizeof(dir) + 8], *set_session = NULL, *set_plugin = NULL;
	char *load = NULL, *req = NULL, *ans = NULL;
	const char *core = NULL, *pid = NULL;
	char **args;
	int i, n = 0, program = -1, status = 0, exe_seen = 0;
	pid_t child;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(gdb_usage, stdout);
		return EXIT_PASS;
	}
	if (find_helper("leakgate-gdb.so", plugin, sizeof(plugin)))
		die(EXIT_INTERNAL, "cannot find leakgate-gdb.so (make, or make install)");
	if (find_helper("leakgate.gdb", script, sizeof(script)))
		die(EXIT_INTERNAL, "cannot find leakgate.gdb (make, or make install)");
	args = calloc((size_t)argc + 28, sizeof(*args));
	if (!args)
		die(EXIT_INTERNAL, "out of memory");
	args[n++] = (char *)gdb;
	/* First pass: what is being debugged; the GDB options are copied afterwards. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			program = i + 1;
			break;
		} else if (!strcmp(argv[i], "--core") || !strcmp(argv[i], "-p")) {
			if (i + 1 >= argc)
				die(EXIT_USAGE, "leakgate gdb: %s needs a value", argv[i]);
			if (argv[i][1] == 'p')
				pid = argv[i + 1];
			else
				core = argv[i + 1];
			i++;
		} else if (takes_value(argv[i])) {
			if (i + 1 >= argc)
				die(EXIT_USAGE, "leakgate gdb: %s needs a value", argv[i]);
			i++;
		} else if (argv[i][0] != '-') {
			exe_seen++;
		}
	}
	if (program >= 0 && program >= argc)
		die(EXIT_USAGE, "leakgate gdb: no PROGRAM after --");
	if ((program >= 0) + (core != NULL) + (pid != NULL) > 1)
		die(EXIT_USAGE, "leakgate gdb: give one of --core CORE PROGRAM, -p PID and "
		    "-- PROGRAM");
	if (core && exe_seen != 1)
		die(EXIT_USAGE, "leakgate gdb: --core CORE needs the PROGRAM that dumped it");
	if (access(core ? core : ".", R_OK) < 0)
		die(EXIT_USAGE, "leakgate gdb: cannot read core '%s': %s", core, strerror(errno));
	if (!mkdtemp(dir))
		die(EXIT_INTERNAL, "cannot create a session directory in /tmp: %s",
		    strerror(errno));
	snprintf(session, sizeof(session), "%s/s", dir);
	if (asprintf(&set_session, "set $lg_session = \"%s\"", session) < 0 ||
	    asprintf(&set_plugin, "set $lg_plugin = \"%s\"", plugin) < 0 ||
	    asprintf(&load, "jit-reader-load %s", plugin) < 0 ||
	    asprintf(&req, "%s.req", session) < 0 || asprintf(&ans, "%s.gdb", session) < 0)
		die(EXIT_INTERNAL, "out of memory");
	args[n++] = "-iex";
	args[n++] = set_session;
	args[n++] = "-iex";
	args[n++] = set_plugin;
	args[n++] = "-iex";
	args[n++] = load;
	if (program >= 0) {
		args[n++] = "-iex";
		args[n++] = "set follow-fork-mode child";
		args[n++] = "-iex";
		args[n++] = "set detach-on-fork on";
	}
	args[n++] = "-x";
	args[n++] = script;
	if (program >= 0) {
		args[n++] = "-ex";
		args[n++] = "run";
	} else if (core || pid) {
		/* For Python 3.13+ processes without a blob (harmless errors elsewhere). */
		args[n++] = "-ex";
		args[n++] = "set $lg_runtime = (unsigned long)&_PyRuntime";
		args[n++] = "-ex";
		args[n++] = "set $lg_dummy = (unsigned long)_PySet_Dummy";
	}
	for (i = 1; i < argc && i != program - 1; i++) {
		if (!strcmp(argv[i], "--core")) {
			args[n++] = "-c";
			args[n++] = argv[++i];
		} else if (takes_value(argv[i]) || !strcmp(argv[i], "-p")) {
			args[n++] = argv[i++];
			args[n++] = argv[i];
		} else {
			args[n++] = argv[i];
		}
	}
	if (program >= 0) {
		args[n++] = "--args";
		for (i = program; i < argc; i++)
			args[n++] = argv[i];
	}
	args[n] = NULL;

	setenv("LEAKGATE_GDB_SESSION", session, 1);
	fflush(NULL);
	child = fork();
	if (child < 0)
		die(EXIT_INTERNAL, "cannot fork: %s", strerror(errno));
	if (child == 0) {
		signal(SIGPIPE, SIG_DFL);
		execvp(gdb, args);
		error("cannot run %s: %s (set GDB=)", gdb, strerror(errno));
		_exit(EXIT_INTERNAL);
	}
	/* Ctrl-C belongs to GDB. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	unlink(req);
	unlink(ans);
	rmdir(dir);
	free(set_session);
	free(set_plugin);
	free(load);
	free(req);
	free(ans);
	free(args);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return EXIT_INTERNAL;
}
