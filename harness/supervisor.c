/* supervisor.c: runs one target in a forked worker, with a deadline on every step, and
 * drives the adaptive loop: one STEP per iteration until the verdict is certain or the
 * iteration limit is reached. A crash, hang or exception is reported, never inherited. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

struct worker {
	pid_t pid;
	int cmd_fd, msg_fd;
};

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads exactly len bytes before the deadline (0: none). 0 on success, 1 on timeout,
 * -1 on end of file or error. */
static int read_until(int fd, void *buf, size_t len, double deadline)
{
	char *p = buf;

	while (len > 0) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int ms = -1, r;
		ssize_t n;

		if (deadline > 0) {
			double left = deadline - now();

			if (left <= 0)
				return 1;
			ms = (int)(left * 1000) + 1;
		}
		r = poll(&pfd, 1, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 1;
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int read_full(int fd, void *buf, size_t len)
{
	return read_until(fd, buf, len, 0) ? -1 : 0;
}

static int spawn(const lg_target *t, struct worker *w)
{
	int cmd[2], msg[2];

	if (pipe2(cmd, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(msg, O_CLOEXEC) < 0) {
		close(cmd[0]);
		close(cmd[1]);
		return -1;
	}
	fflush(NULL);
	w->pid = fork();
	if (w->pid < 0) {
		close(cmd[0]);
		close(cmd[1]);
		close(msg[0]);
		close(msg[1]);
		return -1;
	}
	if (w->pid == 0) {
		close(cmd[1]);
		close(msg[0]);
		worker_main(t, cmd[0], msg[1]);
	}
	close(cmd[0]);
	close(msg[1]);
	w->cmd_fd = cmd[1];
	w->msg_fd = msg[0];
	return 0;
}

/* Ends the worker (killing it if asked) and returns its wait status. */
static int reap(struct worker *w, int kill_it)
{
	int status = 0;

	if (kill_it)
		kill(w->pid, SIGKILL);
	close(w->cmd_fd);
	close(w->msg_fd);
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* Describes why the worker stopped talking: a signal, an exit, or a hang. */
static char *describe_death(int status, int timed_out, double timeout)
{
	if (timed_out)
		return xasprintf("timed out: no result within %g s (--timeout); the worker "
				 "was killed", timeout);
	if (WIFSIGNALED(status))
		return xasprintf("the worker was killed by signal %d (%s)%s",
				 WTERMSIG(status), strsignal(WTERMSIG(status)),
				 WCOREDUMP(status) ? ", core dumped" : "");
	if (WIFEXITED(status))
		return xasprintf("the worker exited with status %d without a result "
				 "(os._exit() in the workload?)", WEXITSTATUS(status));
	return xasprintf("the worker stopped (wait status %#x)", status);
}

/* Receives one message of the expected type into buf (at most cap bytes). On an
 * MSG_ERROR the error is stored in *out and the exit code returned; 0 on success. */
static int receive(struct worker *w, uint32_t want, void *buf, size_t cap,
		   const struct run_opts *o, lg_result *out)
{
	double deadline = o->timeout > 0 ? now() + o->timeout : 0;
	struct msg_hdr h;
	int r = read_until(w->msg_fd, &h, sizeof(h), deadline);
	char *body = NULL;

	if (r == 0 && h.len > (1u << 24))
		r = -1;
	if (r == 0 && h.type == MSG_ERROR) {
		struct msg_error e;

		body = malloc(h.len + 1);
		if (!body || h.len < sizeof(e) ||
		    (r = read_until(w->msg_fd, body, h.len, deadline)) != 0) {
			free(body);
			out->status = LG_STATUS_INTERNAL;
			out->error = xasprintf("could not read the worker's error report");
			reap(w, 1);
			return EXIT_INTERNAL;
		}
		body[h.len] = '\0';
		memcpy(&e, body, sizeof(e));
		out->error_iteration = e.iteration;
		out->error = strdup(body + sizeof(e));
		free(body);
		reap(w, 0);
		if (e.code == LG_EPYTHON || e.code == LG_ENOMEM) {
			out->status = LG_STATUS_INTERNAL;
			return EXIT_INTERNAL;
		}
		out->status = LG_STATUS_ERROR;
		return EXIT_WORKLOAD;
	}
	if (r == 0 && (h.type != want || h.len > cap))
		r = -1;
	if (r == 0 && h.len)
		r = read_until(w->msg_fd, buf, h.len, deadline);
	if (r != 0) {
		int status = reap(w, 1);

		out->status = LG_STATUS_ERROR;
		out->error = describe_death(status, r == 1, o->timeout);
		return EXIT_WORKLOAD;
	}
	return 0;
}

/* Ends the worker and records a failure of leakgate itself. */
static int fail_internal(struct worker *w, lg_result *out, const char *why)
{
	reap(w, 1);
	out->status = LG_STATUS_INTERNAL;
	out->error = xasprintf("%s", why);
	return EXIT_INTERNAL;
}

/* Sends CMD_FAILPOINT with the leak report, prints where the core went (or why none
 * did) and reaps the worker. A worker stopped in a debugger is waited for without a
 * deadline. */
static void failpoint(struct worker *w, const char *display, const struct run_opts *o,
		      lg_result *out)
{
	char *summary = NULL, dir[PATH_MAX], cmd = CMD_FAILPOINT, *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&summary, &len);
	struct cmd_failpoint c = { 0 };
	struct msg_hdr h;

	if (f) {
		lg_report_text(f, out, 0);
		fclose(f);
	}
	if (!summary || !realpath(o->core_dir ? o->core_dir : ".", dir)) {
		error("%s: --core-dir '%s': %s", display, o->core_dir ? o->core_dir : ".",
		      strerror(errno));
		goto quit;
	}
	c.mode = (uint32_t)o->on_leak;
	c.dir_len = (uint32_t)strlen(dir);
	c.summary_len = (uint32_t)len;
	if (write_full(w->cmd_fd, &cmd, 1) || write_full(w->cmd_fd, &c, sizeof(c)) ||
	    write_full(w->cmd_fd, dir, c.dir_len) || write_full(w->cmd_fd, summary, len))
		goto quit;
	if (read_until(w->msg_fd, &h, sizeof(h), 0) == 0 && h.len < (1u << 16) &&
	    (body = calloc(1, h.len + 1)) && read_until(w->msg_fd, body, h.len, 0) == 0) {
		if (h.type == MSG_CORE)
			fprintf(stderr, "leakgate: %s: core written to %s\n", display, body);
		else if (h.type == MSG_ERROR && h.len > sizeof(struct msg_error))
			error("%s: %s", display, body + sizeof(struct msg_error));
	}
quit:
	free(body);
	free(summary);
	{
		int status = reap(w, 0);

		if (WIFSIGNALED(status))
			error("%s: the worker ended at the failing point by signal %d (%s)",
			      display, WTERMSIG(status), strsignal(WTERMSIG(status)));
	}
}

static void mark_warmup(lg_sample *s, const struct run_opts *o)
{
	s->warmup = s->iteration <= o->warmup;
}

int supervise(const lg_target *t, const char *display, const struct run_opts *o,
	      lg_result *out)
{
	static char python[64];
	struct msg_hello hello;
	struct worker w;
	double start = now();
	size_t total = o->warmup + o->iterations;
	char step = CMD_STEP, quit = CMD_QUIT;
	int code;

	memset(out, 0, sizeof(*out));
	out->target = display;
	out->opts = o->verdict;
	lg_series_init(&out->series, 0);
	if (spawn(t, &w) < 0) {
		out->status = LG_STATUS_INTERNAL;
		out->error = xasprintf("cannot start a worker: %s", strerror(errno));
		return EXIT_INTERNAL;
	}
	code = receive(&w, MSG_HELLO, &hello, sizeof(hello), o, out);
	if (code)
		goto done;
	hello.python[sizeof(hello.python) - 1] = '\0';
	memcpy(python, hello.python, sizeof(python));
	out->python = python;
	out->series.available = hello.available;
	code = receive(&w, MSG_READY, NULL, 0, o, out);
	if (code)
		goto done;

	/* The next STEP goes out before the verdict on the last sample is computed, so the
	 * worker's call and the supervisor's statistics overlap. A decided run therefore
	 * makes one call more than it judges; its sample is read and dropped. */
	if (write_full(w.cmd_fd, &step, 1) < 0)
		goto lost;
	while (out->series.len < total) {
		lg_sample s;

		out->error_iteration = (uint32_t)out->series.len + 1;
		code = receive(&w, MSG_SAMPLE, &s, sizeof(s), o, out);
		if (code)
			goto done;
		mark_warmup(&s, o);
		if (lg_series_append(&out->series, &s) < 0) {
			code = fail_internal(&w, out, "out of memory");
			goto done;
		}
		if (out->series.len < total && write_full(w.cmd_fd, &step, 1) < 0)
			goto lost;
		if (o->verbose > 1)
			fprintf(stderr, "leakgate: %s: iteration %u%s py_blocks %lld\n", display,
				s.iteration, s.warmup ? " (warm-up)" : "",
				(long long)s.value[LG_PY_BLOCKS]);
		if (s.warmup)
			continue;
		if (lg_verdict_judge(&out->series, &o->verdict, &out->verdict) < 0) {
			code = fail_internal(&w, out, "the verdict failed: out of memory");
			goto done;
		}
		if (out->verdict.outcome != LG_UNDECIDED) {
			if (out->series.len < total) {
				lg_sample extra;

				/* The call already under way: an error in it still counts. */
				out->error_iteration++;
				code = receive(&w, MSG_SAMPLE, &extra, sizeof(extra), o, out);
				if (code)
					goto done;
			}
			break;
		}
	}
	out->error_iteration = 0;
	lg_verdict_finish(&out->verdict);
	out->status = out->verdict.outcome == LG_LEAK ? LG_STATUS_LEAK : LG_STATUS_PASS;
	code = out->status == LG_STATUS_LEAK ? EXIT_LEAK : EXIT_PASS;
	if (out->status == LG_STATUS_LEAK && o->on_leak != ON_LEAK_EXIT) {
		failpoint(&w, display, o, out);
		goto done;
	}
	write_full(w.cmd_fd, &quit, 1);
	reap(&w, 0);
	goto done;
lost:
	/* The worker is gone before a STEP could reach it: collect its error or death. */
	{
		lg_sample s;

		out->error_iteration = (uint32_t)out->series.len + 1;
		code = receive(&w, MSG_SAMPLE, &s, sizeof(s), o, out);
		if (!code)
			code = fail_internal(&w, out, "lost the worker's command pipe");
	}
done:
	out->seconds = now() - start;
	return code;
}
