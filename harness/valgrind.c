/* valgrind.c: `leakgate run --valgrind`: finding valgrind and the shipped suppression
 * file; and the hidden worker command line the gate execs for every worker, under
 * memcheck with --valgrind (the rest is in the library, src/supervisor/valgrind.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
/* The one file of the harness that reaches into the library: the hidden worker entry. */
#include "worker_api.h"
#include "paths.h"

const char *valgrind_path(void)
{
	static char found[PATH_MAX];
	const char *path = getenv("PATH");

	while (path && *path) {
		size_t len = strcspn(path, ":");

		if (len > 0 && snprintf(found, sizeof(found), "%.*s/valgrind", (int)len, path) <
				       (int)sizeof(found) &&
		    access(found, X_OK) == 0)
			return found;
		path += len + (path[len] == ':');
	}
	return NULL;
}

/* The suppression file for CPython's start-up (harness/paths.c knows where). */
const char *valgrind_suppressions(void)
{
	static char found[PATH_MAX];

	return find_helper("leakgate.supp", found, sizeof(found)) ? NULL : found;
}

/* Parses a file descriptor argument of the hidden worker mode. */
static int parse_fd(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	return errno || end == s || *end || v < 0 || v > INT_MAX ? -1 : (int)v;
}

int valgrind_worker_mode(int argc, char **argv)
{
	lg_target t = { 0 };
	lg_worker_opts wo = { 0 };
	int cmd_fd, msg_fd;

	if (argc < 2 || strcmp(argv[1], LG_WORKER_MODE))
		return 0;
	if (argc < 7 || (cmd_fd = parse_fd(argv[2])) < 0 || (msg_fd = parse_fd(argv[3])) < 0)
		die(EXIT_USAGE, "%s is leakgate's own worker mode, not for use by hand",
		    LG_WORKER_MODE);
	wo.executable = *argv[4] ? argv[4] : NULL;  /* --python's interpreter */
	if (lg_target_kind_parse(argv[5], &t.kind) < 0)
		die(EXIT_USAGE, "%s: unknown target kind '%s'", LG_WORKER_MODE, argv[5]);
	if (argc > 7 && t.kind != LG_TARGET_PYTEST)
		die(EXIT_USAGE, "%s: only a pytest target takes arguments", LG_WORKER_MODE);
	t.spec = t.kind == LG_TARGET_PYTEST && !*argv[6] ? NULL : argv[6];
	t.args = (const char *const *)argv + 7;
	t.nargs = (size_t)(argc - 7);
	lg_gate_worker(&t, &wo, cmd_fd, msg_fd);
}

