/* supervisor/valgrind.c: the gate's --valgrind: the worker exec'd under memcheck with the
 * hidden worker command line (LG_WORKER_MODE), and the reading of memcheck's log into the
 * result once the worker is gone. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol.h"
#include "supervisor.h"

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

int lg__vg_log_create(char *path, size_t cap)
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
void lg__vg_exec(const lg_gate_opts *o, const char *log, const lg_target *t, int cmd_fd,
		 int msg_fd)
{
	char log_opt[PATH_MAX + 16], supp_opt[PATH_MAX + 32], cmd[16], msg[16];
	const char *exe = o->worker_exe ? o->worker_exe : self_exe(), *valgrind = o->valgrind;
	const char *supp = o->suppressions;
	const lg_worker_opts *wo = &o->worker;

	snprintf(log_opt, sizeof(log_opt), "--log-file=%s", log);
	snprintf(supp_opt, sizeof(supp_opt), "--suppressions=%s", supp);
	snprintf(cmd, sizeof(cmd), "%d", cmd_fd);
	snprintf(msg, sizeof(msg), "%d", msg_fd);
	/* The two worker ends of the pipes survive the exec; the rest close. */
	{
	const char *fixed[] = {
		valgrind, "--tool=memcheck", "--leak-check=full", "--show-possibly-lost=no",
		"--errors-for-leak-kinds=definite", "--child-silent-after-fork=yes",
		"--undef-value-errors=no", log_opt, supp_opt, exe, LG_WORKER_MODE, cmd, msg,
		wo->executable ? wo->executable : "", lg_target_kind_name(t->kind), t->spec ? t->spec : "",
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]), i;
	/* A pytest target's own arguments follow its node id. */
	const char **argv = calloc(nfixed + t->nargs + 1, sizeof(*argv));

	if (argv) {
		memcpy(argv, fixed, sizeof(fixed));
		for (i = 0; i < t->nargs; i++)
			argv[nfixed + i] = t->args[i];
	}
	/* The worker reads the indirect losses from the log (src/vg.c). */
	if (argv && exe && setenv(LG_VG_LOG_ENV, log, 1) == 0 &&
	    fcntl(cmd_fd, F_SETFD, 0) == 0 && fcntl(msg_fd, F_SETFD, 0) == 0)
		execv(valgrind, (char *const *)argv);
	}
	/* The supervisor reads this from the worker's death: a message, then the status. */
	dprintf(2, "leakgate: cannot run %s: %s\n", valgrind, strerror(errno));
	_exit(LG__EXIT_INTERNAL);
}

/* After the worker is gone: the grown definite losses and memcheck's errors, from the
 * log, into the result; then the log is removed. Valgrind errors turn a pass or a leak
 * into a workload error (exit 2), like a crash; the leak's stacks are kept. */
int lg__vg_finish(const char *log, const lg_gate_opts *o, lg_result *out, int code)
{
	lg_vglog v;
	FILE *f = fopen(log, "r");
	int err;

	if (!f) {
		unlink(log);
		if (code == LG__EXIT_WORKLOAD || code == LG__EXIT_INTERNAL)
			return code;
		free(out->error);
		out->status = LG_STATUS_INTERNAL;
		out->error = strdup("cannot read Valgrind's log");
		return LG__EXIT_INTERNAL;
	}
	/* Measured from the first judged sample, as the text report counts them: after a
	 * bounded container or attribution restarts the window, that is later than --warmup.
	 * Marker N is the snapshot after call N, sample N - 1. */
	(void)o;
	err = lg_vglog_read(f, (uint32_t)lg_series_warmup(&out->series) + 1, &v);
	fclose(f);
	unlink(log);
	if (err < 0) {
		if (code != LG__EXIT_PASS && code != LG__EXIT_LEAK)
			return code;
		out->status = LG_STATUS_INTERNAL;
		out->error = strdup("cannot read Valgrind's log: out of memory");
		return LG__EXIT_INTERNAL;
	}
	if (code == LG__EXIT_LEAK) {
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
		if (code == LG__EXIT_PASS || code == LG__EXIT_LEAK) {
			out->status = LG_STATUS_ERROR;
			out->error_iteration = v.first_error_iteration;
			code = LG__EXIT_WORKLOAD;
		}
	}
	lg_vglog_release(&v);
	return code;
}
