/* valgrind.c: `leakgate run --valgrind`: finding valgrind and the shipped suppression
 * file, the worker exec'd under memcheck (and its hidden command line), and the reading
 * of memcheck's log into the result once the worker is gone. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "paths.h"

/* The hidden first argument that makes leakgate a worker (never in --help):
 * leakgate WORKER_MODE CMD_FD MSG_FD EXECUTABLE file|module|code|pytest SPEC [PYTEST ARGS]
 * (EXECUTABLE: --python's interpreter, or empty) */
#define WORKER_MODE "--lg-worker"

static const char *const kind_names[] = {
	[LG_TARGET_FILE] = "file",
	[LG_TARGET_MODULE] = "module",
	[LG_TARGET_CODE] = "code",
	[LG_TARGET_PYTEST] = "pytest",
};

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

int valgrind_log_create(char *path, size_t cap)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	if (snprintf(path, cap, "%s/leakgate-vg.XXXXXX", tmp && *tmp ? tmp : "/tmp") >=
	    (int)cap)
		return -1;
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/*
 * In the forked child: become `valgrind ... leakgate --lg-worker ...`. The options:
 * --leak-check=full so that the worker's added searches log each grown loss record with
 * its allocation stack; --show-possibly-lost=no because every Python object is reached
 * through an interior pointer (the counting hooks' header, list items), so "possibly
 * lost" is CPython's live heap, not a finding (vg_possible still counts it);
 * --errors-for-leak-kinds=definite so that only definite losses count among errors;
 * --child-silent-after-fork=yes keeps a workload's forked children out of the log;
 * --undef-value-errors=no because CPython 3.11's maybe_small_long() multiplies a digit it
 * never wrote by a size of 0 (every int.from_bytes() of zero, as importlib does for each
 * .pyc), memcheck marks the small int it returns as undefined, and that mark then
 * surfaces wherever the int goes (Py_INCREF in the eval loop, _PyObject_IS_GC, ...):
 * errors no precise suppression can name. It also makes memcheck ~15% faster.
 * NEEDSWORK: switch them back on for an interpreter without that quirk.
 */
void valgrind_exec(const char *valgrind, const char *supp, const char *log,
		   const lg_target *t, const lg_worker_opts *wo, int cmd_fd, int msg_fd)
{
	char log_opt[PATH_MAX + 16], supp_opt[PATH_MAX + 32], cmd[16], msg[16];
	const char *exe = self_exe();

	snprintf(log_opt, sizeof(log_opt), "--log-file=%s", log);
	snprintf(supp_opt, sizeof(supp_opt), "--suppressions=%s", supp);
	snprintf(cmd, sizeof(cmd), "%d", cmd_fd);
	snprintf(msg, sizeof(msg), "%d", msg_fd);
	/* The two worker ends of the pipes survive the exec; the rest close. */
	const char *fixed[] = {
		valgrind, "--tool=memcheck", "--leak-check=full", "--show-possibly-lost=no",
		"--errors-for-leak-kinds=definite", "--child-silent-after-fork=yes",
		"--undef-value-errors=no", log_opt, supp_opt, exe, WORKER_MODE, cmd, msg,
		wo->executable ? wo->executable : "", kind_names[t->kind], t->spec ? t->spec : "",
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]), i;
	/* A pytest target's own arguments follow its node id. */
	const char **argv = calloc(nfixed + t->nargs + 1, sizeof(*argv));

	if (argv) {
		memcpy(argv, fixed, sizeof(fixed));
		for (i = 0; i < t->nargs; i++)
			argv[nfixed + i] = t->args[i];
	}
	if (argv && exe && fcntl(cmd_fd, F_SETFD, 0) == 0 && fcntl(msg_fd, F_SETFD, 0) == 0)
		execv(valgrind, (char *const *)argv);
	dprintf(2, "leakgate: cannot run %s: %s\n", valgrind, strerror(errno));
	_exit(EXIT_INTERNAL);
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
	size_t k;

	if (argc < 2 || strcmp(argv[1], WORKER_MODE))
		return 0;
	if (argc < 7 || (cmd_fd = parse_fd(argv[2])) < 0 || (msg_fd = parse_fd(argv[3])) < 0)
		die(EXIT_USAGE, "%s is leakgate's own worker mode, not for use by hand",
		    WORKER_MODE);
	wo.executable = *argv[4] ? argv[4] : NULL;  /* --python's interpreter */
	for (k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++)
		if (!strcmp(argv[5], kind_names[k]))
			break;
	if (k == sizeof(kind_names) / sizeof(kind_names[0]))
		die(EXIT_USAGE, "%s: unknown target kind '%s'", WORKER_MODE, argv[5]);
	t.kind = (lg_target_kind)k;
	if (argc > 7 && t.kind != LG_TARGET_PYTEST)
		die(EXIT_USAGE, "%s: only a pytest target takes arguments", WORKER_MODE);
	t.spec = t.kind == LG_TARGET_PYTEST && !*argv[6] ? NULL : argv[6];
	t.args = (const char *const *)argv + 7;
	t.nargs = (size_t)(argc - 7);
	worker_main(&t, &wo, cmd_fd, msg_fd);
}

/* After the worker is gone: the grown definite losses and memcheck's errors, from the
 * log, into the result; then the log is removed. Valgrind errors turn a pass or a leak
 * into a workload error (exit 2), like a crash; the leak's stacks are kept. */
int valgrind_finish(const char *log, const struct run_opts *o, lg_result *out, int code)
{
	lg_vglog v;
	FILE *f = fopen(log, "r");
	int err;

	if (!f) {
		unlink(log);
		if (code == EXIT_WORKLOAD || code == EXIT_INTERNAL)
			return code;
		free(out->error);
		out->status = LG_STATUS_INTERNAL;
		out->error = strdup("cannot read Valgrind's log");
		return EXIT_INTERNAL;
	}
	err = lg_vglog_read(f, (uint32_t)o->warmup + 1, &v);
	fclose(f);
	unlink(log);
	if (err < 0) {
		if (code != EXIT_PASS && code != EXIT_LEAK)
			return code;
		out->status = LG_STATUS_INTERNAL;
		out->error = strdup("cannot read Valgrind's log: out of memory");
		return EXIT_INTERNAL;
	}
	if (code == EXIT_LEAK) {
		out->native_stacks = v.stacks;
		v.stacks = NULL;
	}
	if (v.nerrors) {
		char *prev = out->error, *text = NULL;

		if (asprintf(&text, "%s%sValgrind reported %u error%s in the worker (a repeated "
			     "one once):\n%s", prev ? prev : "", prev ? "\n" : "", v.nerrors,
			     v.nerrors == 1 ? "" : "s", v.errors) >= 0) {
			free(prev);
			out->error = text;
		}
		if (code == EXIT_PASS || code == EXIT_LEAK) {
			out->status = LG_STATUS_ERROR;
			out->error_iteration = v.first_error_iteration;
			code = EXIT_WORKLOAD;
		}
	}
	lg_vglog_release(&v);
	return code;
}
