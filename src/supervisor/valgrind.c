/* supervisor/valgrind.c: the worker's exec with the hidden worker command line
 * (LG_WORKER_MODE), under memcheck for --valgrind, and the reading of memcheck's log into
 * the result once the worker is gone. */
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

/* Whether an environment entry ("NAME=value") is NAME's. */
static int env_is(const char *entry, const char *name)
{
	size_t len = strlen(name);

	return strncmp(entry, name, len) == 0 && entry[len] == '=';
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
 * The worker's exec (lg__exec_*): `[valgrind OPTIONS] EXE --lg-worker CMD_FD MSG_FD
 * EXECUTABLE KIND SPEC [PYTEST ARGS]`, built in the supervisor before the fork, so that
 * the child only clears close-on-exec on its two pipe ends and calls execve()
 * (async-signal-safe: a threaded caller's locks cannot hang it). Under valgrind, the
 * options: --leak-check=full so that the worker's added searches log each grown loss
 * record with its allocation stack; --show-possibly-lost=no because every Python object is
 * reached through an interior pointer (the counting hooks' header, list items), so
 * "possibly lost" is CPython's live heap, not a finding (vg_possible still counts it);
 * --errors-for-leak-kinds=definite so that only definite losses count among errors;
 * --child-silent-after-fork=yes keeps a workload's forked children out of the log;
 * --undef-value-errors=no because CPython 3.11's maybe_small_long() multiplies a digit it
 * never wrote by a size of 0 (every int.from_bytes() of zero, as importlib does for each
 * .pyc), memcheck marks the small int it returns as undefined, and that mark then
 * surfaces wherever the int goes (Py_INCREF in the eval loop, _PyObject_IS_GC, ...):
 * errors no precise suppression can name. It also makes memcheck ~15% faster.
 * --vgdb=no: no gdbserver, so no vgdb-pipe-* FIFOs in $TMPDIR, which a killed worker
 * would leave behind (leakgate attaches GDB to its own workers, never through vgdb).
 * NEEDSWORK: switch undefined-value errors back on for an interpreter without that quirk.
 */
int lg__exec_prepare(struct lg__exec *x, const lg_gate_opts *o, const char *log,
		     const lg_target *t, int cmd_fd, int msg_fd, const char *mark)
{
	const char *exe = o->worker_exe ? o->worker_exe : self_exe();
	const lg_worker_opts *wo = &o->worker;
	extern char **environ;
	size_t n = 0, i, nenv = 0;

	memset(x, 0, sizeof(*x));
	if (!exe)
		return -1;
	snprintf(x->cmd, sizeof(x->cmd), "%d", cmd_fd);
	snprintf(x->msg, sizeof(x->msg), "%d", msg_fd);
	x->cmd_fd = cmd_fd;
	x->msg_fd = msg_fd;
	x->argv = calloc(24 + t->nargs, sizeof(*x->argv));
	for (i = 0; environ[i]; i++)
		nenv++;
	/* The environment, the log, the mark, the two tunables and the NULL at the end. */
	x->envp = calloc(nenv + 5, sizeof(*x->envp));
	if (!x->argv || !x->envp)
		goto fail;
	if (o->valgrind) {
		static const char *const vg[] = {
			"--tool=memcheck", "--leak-check=full", "--show-possibly-lost=no",
			"--errors-for-leak-kinds=definite", "--child-silent-after-fork=yes",
			"--undef-value-errors=no", "--vgdb=no",
		};

		if (asprintf(&x->log_opt, "--log-file=%s", log) < 0 ||
		    asprintf(&x->supp_opt, "--suppressions=%s", o->suppressions) < 0 ||
		    asprintf(&x->log_env, "%s=%s", LG_VG_LOG_ENV, log) < 0) {
			x->log_opt = x->supp_opt = x->log_env = NULL;
			goto fail;
		}
		x->path = o->valgrind;
		x->argv[n++] = o->valgrind;
		for (i = 0; i < sizeof(vg) / sizeof(vg[0]); i++)
			x->argv[n++] = vg[i];
		x->argv[n++] = x->log_opt;
		x->argv[n++] = x->supp_opt;
	} else {
		/* Under memcheck mallinfo2() sees nothing, so only a native worker needs it. */
		const char *user = getenv("GLIBC_TUNABLES");

		if ((user && *user ? asprintf(&x->tune_env, "GLIBC_TUNABLES=%s:%s", user,
					      LG_TCACHE_TUNABLE) :
				     asprintf(&x->tune_env, "GLIBC_TUNABLES=%s",
					      LG_TCACHE_TUNABLE)) < 0) {
			x->tune_env = NULL;
			goto fail;
		}
		if ((user ? asprintf(&x->user_env, "%s=%c%s", LG_USER_TUNABLES_ENV,
				     LG_USER_TUNABLES_SET, user) :
			    asprintf(&x->user_env, "%s=%s", LG_USER_TUNABLES_ENV,
				     LG_USER_TUNABLES_UNSET)) < 0) {
			x->user_env = NULL;
			goto fail;
		}
		x->path = exe;
	}
	x->argv[n++] = exe;
	x->argv[n++] = LG_WORKER_MODE;
	x->argv[n++] = x->cmd;
	x->argv[n++] = x->msg;
	x->argv[n++] = wo->executable ? wo->executable : "";
	x->argv[n++] = lg_target_kind_name(t->kind);
	x->argv[n++] = t->spec ? t->spec : "";
	for (i = 0; i < t->nargs; i++)  /* a pytest target's own arguments */
		x->argv[n++] = t->args[i];
	/* The environment, with the worker's memcheck log named (src/worker/vg.c), the run's
	 * mark (supervisor/sentinel.c), and glibc's per-thread cache off with the user's
	 * tunables kept aside (protocol.h). */
	n = 0;
	for (i = 0; environ[i]; i++)
		if (!(x->log_env && env_is(environ[i], LG_VG_LOG_ENV)) &&
		    !(x->tune_env && (env_is(environ[i], "GLIBC_TUNABLES") ||
				      env_is(environ[i], LG_USER_TUNABLES_ENV))))
			x->envp[n++] = environ[i];
	if (x->log_env)
		x->envp[n++] = x->log_env;
	if (mark && *mark)
		x->envp[n++] = mark;
	if (x->tune_env) {
		x->envp[n++] = x->tune_env;
		x->envp[n++] = x->user_env;
	}
	return 0;
fail:
	lg__exec_release(x);
	return -1;
}

void lg__exec_run(const struct lg__exec *x)
{
	static const char why[] = "leakgate: cannot start the worker's program\n";

	/* The two worker ends of the pipes survive the exec; the rest close. */
	if (fcntl(x->cmd_fd, F_SETFD, 0) == 0 && fcntl(x->msg_fd, F_SETFD, 0) == 0)
		execve(x->path, (char *const *)x->argv, (char *const *)x->envp);
	/* The supervisor reads this from the worker's death: a message, then the status. */
	if (write(2, why, sizeof(why) - 1) < 0)
		_exit(LG__EXIT_INTERNAL);
	_exit(LG__EXIT_INTERNAL);
}

void lg__exec_release(struct lg__exec *x)
{
	free(x->argv);
	free(x->envp);
	free(x->log_opt);
	free(x->supp_opt);
	free(x->log_env);
	free(x->tune_env);
	free(x->user_env);
	memset(x, 0, sizeof(*x));
}

/* After the worker is gone: the grown definite losses and memcheck's errors, from the
 * log, into the result; then the log is removed. Valgrind errors turn a pass or a leak
 * into a workload error (exit 2), like a crash: no counter is then named as failed (a
 * verdict other than leak names none, as the report's schema says), but the leak's
 * stacks are kept. */
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
			out->verdict.failed = 0;
			out->error_iteration = v.first_error_iteration;
			code = LG__EXIT_WORKLOAD;
		}
	}
	lg_vglog_release(&v);
	return code;
}
