/* supervisor/gate.c: the gate (lg_gate_*), in the supervisor's process: runs one target in
 * a forked worker, with a deadline on every step, and drives the adaptive loop: one STEP
 * per iteration until the verdict is certain or the iteration limit is reached, then
 * attribution and the failing point. A crash, hang or exception of the workload is
 * reported, never inherited. Also --pytest's fork server (one collection for every test's
 * worker) and lg_gate_run_all's threads, each driving one worker at a time. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#include "internal.h"
#include "protocol.h"
#include "supervisor.h"

struct worker {
	pid_t pid;
	int cmd_fd, msg_fd;
	char log[PATH_MAX];  /* --valgrind: memcheck's log */
	char mark[64];       /* its LG_RUN_ENV entry, when it owns one (sentinel.c) */
};

/* In a forked child: closes every descriptor above stderr but a and b. With several
 * targets gated at once, another thread's worker pipes are open at the fork, and a copy
 * left here would keep that worker's pipe from reporting its death. */
static void keep_only(int a, int b)
{
	unsigned lo = (unsigned)(a < b ? a : b), hi = (unsigned)(a < b ? b : a), from = 3;

	if (lo >= from) {
		if (lo > from)
			close_range(from, lo - 1, 0);
		from = lo + 1;
	}
	if (hi >= from) {
		if (hi > from)
			close_range(from, hi - 1, 0);
		from = hi + 1;
	}
	close_range(from, ~0u, 0);
}

/*
 * The workers alive in this process, by pid (each is its process group's leader), for
 * lg_gate_interrupt, which runs in a signal handler: slots are claimed and cleared with
 * atomic operations, and a worker that starts after the interrupt is stopped at once.
 */
#define MAX_LIVE 256
static volatile sig_atomic_t live[MAX_LIVE];
static volatile sig_atomic_t interrupted;

static void track(pid_t pid)
{
	size_t i;

	for (i = 0; i < MAX_LIVE; i++) {
		sig_atomic_t none = 0;

		if (__atomic_compare_exchange_n(&live[i], &none, (sig_atomic_t)pid, 0,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			break;
	}
	lg__sentinel_ensure();  /* after the first worker's fork (sentinel.c) */
	lg__sentinel_watch(pid, 1);
	if (interrupted) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
	}
}

static void untrack(pid_t pid)
{
	size_t i;

	for (i = 0; i < MAX_LIVE; i++) {
		sig_atomic_t mine = (sig_atomic_t)pid;

		__atomic_compare_exchange_n(&live[i], &mine, 0, 0, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST);
	}
	lg__sentinel_watch(pid, 0);
}

void lg_gate_interrupt(int signo)
{
	size_t i;
	int e = errno;

	if (signo <= 0)
		return;
	interrupted = signo;
	for (i = 0; i < MAX_LIVE; i++) {
		pid_t pid = (pid_t)__atomic_load_n(&live[i], __ATOMIC_SEQ_CST);

		if (pid > 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
		}
	}
	/* And what the workloads started outside their groups (sentinel.c): then no such
	 * process keeps a worker's pipe open, and each gate thread sees its worker's end. */
	lg__sweep_run();
	errno = e;
}

int lg_gate_interrupted(void)
{
	return interrupted;
}

size_t lg_gate_default_memory_limit(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (size_t)pages / 2 * (size_t)size : 0;
}

void lg__worker_child(const lg_gate_opts *o, pid_t supervisor)
{
	static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
	sigset_t set;
	size_t i;

	setpgid(0, 0);
	/* Survives exec (valgrind); the check closes the race with a supervisor that died
	 * before the call. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != supervisor)
		_exit(LG_EXIT_INTERNAL);
	for (i = 0; i < MAX_LIVE; i++)
		live[i] = 0;
	/* The caller's handlers (lg_gate_interrupt) are the supervisor's business. */
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		signal(stop_signals[i], SIG_DFL);
#if !defined(__SANITIZE_ADDRESS__)
	/* The memory guard. RLIMIT_DATA (Linux 4.7+) counts the heap and private writable
	 * mappings, pymalloc's arenas included; ASan reserves terabytes of shadow there, and
	 * memcheck keeps its own accounting, so neither gets one. */
	if (o->memory_limit && !o->valgrind) {
		struct rlimit rl;

		if (getrlimit(RLIMIT_DATA, &rl) == 0 &&
		    (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > o->memory_limit)) {
			rl.rlim_cur = o->memory_limit;
			setrlimit(RLIMIT_DATA, &rl);
		}
	}
#else
	(void)o;  /* no memory guard under ASan (above) */
#endif
	/* The worker gets SIGPIPE back (lg_gate_run blocks it for the supervisor). */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* Starts the worker for one target: a forked child (lg__worker_child) that execs the
 * worker program when there is one (o->worker_exe, or memcheck's), so that nothing of the
 * caller's process (its threads' locks, its state) reaches the worker; else the worker
 * loop in the fork itself (a C program gating through the API without the leakgate
 * binary). With `channel`, the command channel is a Unix socket rather than a pipe, so
 * that descriptors can travel over it (the fork server's). */
static int spawn(const lg_target *t, const lg_gate_opts *o, int channel, struct worker *w)
{
	struct lg__exec x;
	/* Under memcheck already (leakgate itself run under valgrind), the worker stays
	 * under it only through a fork: valgrind does not follow an exec by default. */
	int cmd[2], msg[2], exec_it = o->valgrind || (o->worker_exe &&
						      !o->worker.malloc_allocator &&
						      !RUNNING_ON_VALGRIND);
	pid_t self = getpid();

	w->log[0] = '\0';
	w->mark[0] = '\0';
	if (exec_it)  /* a fork that does not exec keeps the caller's environment */
		lg__run_mark(w->mark, sizeof(w->mark));
	if (o->valgrind && lg__vg_log_create(w->log, sizeof(w->log)) < 0)
		return -1;
	if (channel ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cmd) < 0 :
		      pipe2(cmd, O_CLOEXEC) < 0)
		goto fail_log;
	if (pipe2(msg, O_CLOEXEC) < 0)
		goto fail_cmd;
	if (exec_it && lg__exec_prepare(&x, o, w->log, t, cmd[0], msg[1], w->mark) < 0)
		goto fail_msg;
	fflush(NULL);
	w->pid = fork();
	if (w->pid < 0)
		goto fail_exec;
	if (w->pid == 0) {
		lg__worker_child(o, self);
		keep_only(cmd[0], msg[1]);
		if (exec_it)
			lg__exec_run(&x);
		lg_gate_worker(t, &o->worker, cmd[0], msg[1]);
	}
	if (exec_it)
		lg__exec_release(&x);
	setpgid(w->pid, w->pid);  /* as the child does: whichever runs first */
	track(w->pid);
	close(cmd[0]);
	close(msg[1]);
	w->cmd_fd = cmd[1];
	w->msg_fd = msg[0];
	return 0;
fail_exec:
	if (exec_it)
		lg__exec_release(&x);
fail_msg:
	close(msg[0]);
	close(msg[1]);
fail_cmd:
	close(cmd[0]);
	close(cmd[1]);
fail_log:
	if (w->log[0]) {
		int e = errno;  /* the caller reports why the worker could not start */

		unlink(w->log);
		errno = e;
	}
	w->log[0] = '\0';
	return -1;
}

/* Whether the worker ends by itself within `seconds` (it is not reaped). */
static int ends_within(const struct worker *w, double seconds)
{
	double deadline = lg__now() + seconds;

	do {
		siginfo_t si = { 0 };

		if (waitid(P_PID, (id_t)w->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 &&
		    errno != EINTR)
			return 1;  /* not ours to wait for: nothing to kill either */
		if (si.si_pid == w->pid)
			return 1;
		usleep(5000);
	} while (lg__now() < deadline);
	return 0;
}

/* Ends the worker (killing it if asked) and whatever the workload left running in its
 * process group or marked with the worker's own mark (sentinel.c: what left the group),
 * and returns the worker's wait status. The worker is waited for without being reaped
 * first, so that its pid still names its group when the group is killed. */
static int reap(struct worker *w, int kill_it)
{
	siginfo_t si;
	int status = 0;

	if (kill_it) {
		kill(-w->pid, SIGKILL);
		kill(w->pid, SIGKILL);
	}
	close(w->cmd_fd);
	close(w->msg_fd);
	while (waitid(P_PID, (id_t)w->pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	kill(-w->pid, SIGKILL);
	if (w->mark[0])
		lg__sweep_mark(w->mark);
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
	untrack(w->pid);
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

/* Describes why the worker stopped talking: a signal, an exit, a hang, or a pipe the
 * workload closed under a worker that still ran (then leakgate's own kill is no news). */
static char *describe_death(int status, int timed_out, int closed_alive, double timeout)
{
	if (timed_out)
		return xasprintf("timed out: no result within %g s (--timeout); the worker "
				 "was killed", timeout);
	if (closed_alive || (WIFEXITED(status) && WEXITSTATUS(status) == LG__EXIT_PIPE_CLOSED))
		return xasprintf("the worker's pipe to leakgate was closed under it (does the "
				 "workload close file descriptors it does not own, such as "
				 "os.closerange(3, ...)?)%s",
				 closed_alive ? "; the worker was killed" : "");
	if (WIFSIGNALED(status))
		return xasprintf("the worker was killed by signal %d (%s)%s",
				 WTERMSIG(status), strsignal(WTERMSIG(status)),
				 WCOREDUMP(status) ? ", core dumped" : "");
	if (WIFEXITED(status))
		return xasprintf("the worker exited with status %d without a result "
				 "(os._exit() in the workload?)", WEXITSTATUS(status));
	return xasprintf("the worker stopped (wait status %#x)", status);
}

/* Receives one message of the expected type into buf (at most cap bytes); with `body`
 * set, the bytes after the first cap go to a malloc'd *body of *body_len bytes. On an
 * MSG_ERROR the error is stored in *out and the exit code returned (-1 for a skipped
 * test); 0 on success. */
static int receive_any(struct worker *w, uint32_t want, void *buf, size_t cap, char **body_out,
		       size_t *body_len, const lg_gate_opts *o, lg_result *out)
{
	double deadline = o->timeout > 0 ? lg__now() + o->timeout : 0;
	struct msg_hdr h;
	int r = lg__read_until(w->msg_fd, &h, sizeof(h), deadline);
	char *body = NULL;

	if (r == 0 && h.len > (1u << 24))
		r = -1;
	if (r == 0 && h.type == MSG_ERROR) {
		struct msg_error e;

		body = malloc(h.len + 1);
		if (!body || h.len < sizeof(e) ||
		    (r = lg__read_until(w->msg_fd, body, h.len, deadline)) != 0) {
			free(body);
			out->status = LG_STATUS_INTERNAL;
			out->error = xasprintf("could not read the worker's error report");
			reap(w, 1);
			return LG__EXIT_INTERNAL;
		}
		body[h.len] = '\0';
		memcpy(&e, body, sizeof(e));
		out->error_iteration = e.iteration;
		out->error = strdup(body + sizeof(e));
		free(body);
		reap(w, 0);
		if (e.code == LG_ESKIP) {
			out->status = LG_STATUS_SKIP;
			return -1;  /* not an error: nothing to judge */
		}
		if (e.code == LG_EPYTHON || e.code == LG_ENOMEM) {
			out->status = LG_STATUS_INTERNAL;
			return LG__EXIT_INTERNAL;
		}
		out->status = LG_STATUS_ERROR;
		return LG__EXIT_WORKLOAD;
	}
	/* The fixed part must fit buf; with a body, it must be there in full. */
	if (r == 0 && (h.type != want || (body_out ? h.len < cap : h.len > cap)))
		r = -1;
	if (r == 0 && h.len)
		r = lg__read_until(w->msg_fd, buf, body_out ? cap : h.len, deadline);
	if (r == 0 && body_out) {
		*body_len = h.len - cap;
		*body_out = malloc(*body_len + 1);
		r = *body_out ? lg__read_until(w->msg_fd, *body_out, *body_len, deadline) : -1;
		if (r != 0) {
			free(*body_out);
			*body_out = NULL;
		}
	}
	if (r != 0) {
		/* End of file from a worker that does not end: it closed its pipe. */
		int alive = r < 0 && !ends_within(w, 0.5);
		int status = reap(w, 1);

		out->status = LG_STATUS_ERROR;
		out->error = describe_death(status, r == 1, alive, o->timeout);
		return LG__EXIT_WORKLOAD;
	}
	return 0;
}

static int receive(struct worker *w, uint32_t want, void *buf, size_t cap,
		   const lg_gate_opts *o, lg_result *out)
{
	return receive_any(w, want, buf, cap, NULL, NULL, o, out);
}

/* Ends the worker and records a failure of leakgate itself. */
static int fail_internal(struct worker *w, lg_result *out, const char *why)
{
	reap(w, 1);
	out->status = LG_STATUS_INTERNAL;
	out->error = xasprintf("%s", why);
	return LG__EXIT_INTERNAL;
}

/* Tells the caller something about a target (o->on_note), printf-style. */
static void note(const lg_gate_opts *o, const lg_result *r, int level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void note(const lg_gate_opts *o, const lg_result *r, int level, const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;

	if (!o->on_note)
		return;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) >= 0)
		o->on_note(o->arg, r, level, text);
	va_end(ap);
	free(text);
}

/* Sends CMD_FAILPOINT with the leak report, records where the core went (or says why
 * none did) and reaps the worker. A worker stopped in a debugger is waited for without a
 * deadline. */
static void failpoint(struct worker *w, const lg_gate_opts *o, lg_result *out)
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
		note(o, out, 0, "--core-dir '%s': %s", o->core_dir ? o->core_dir : ".",
		     strerror(errno));
		goto quit;
	}
	c.mode = (uint32_t)o->on_leak;
	c.dir_len = (uint32_t)strlen(dir);
	c.summary_len = (uint32_t)len;
	if (lg__write_full(w->cmd_fd, &cmd, 1) || lg__write_full(w->cmd_fd, &c, sizeof(c)) ||
	    lg__write_full(w->cmd_fd, dir, c.dir_len) || lg__write_full(w->cmd_fd, summary, len))
		goto quit;
	if (lg__read_until(w->msg_fd, &h, sizeof(h), 0) == 0 && h.len < (1u << 16) &&
	    (body = calloc(1, h.len + 1)) && lg__read_until(w->msg_fd, body, h.len, 0) == 0) {
		if (h.type == MSG_CORE) {
			out->core_path = body;
			body = NULL;
		} else if (h.type == MSG_ERROR && h.len > sizeof(struct msg_error)) {
			note(o, out, 0, "%s", body + sizeof(struct msg_error));
		}
	}
quit:
	free(body);
	free(summary);
	{
		int status = reap(w, 0);

		if (WIFSIGNALED(status))
			note(o, out, 0, "the worker ended at the failing point by signal %d (%s)",
			     WTERMSIG(status), strsignal(WTERMSIG(status)));
	}
}

/* Whether the call numbered `iteration` (from 1) is warm-up, never judged. */
static int is_warmup(size_t iteration, const lg_gate_opts *o)
{
	return iteration <= o->warmup;
}

/* A sample is warm-up, never judged, when its call is, or when it is the series'
 * sample `index` below `fresh`: the calls before a fresh judgement (restart_window). */
static void mark_warmup(lg_sample *s, size_t index, size_t fresh, const lg_gate_opts *o)
{
	s->warmup = is_warmup(s->iteration, o) || index < fresh;
}

/* A call shorter than this gets the next STEP queued behind it, so the worker goes
 * straight on instead of waiting a pipe round trip (tens of microseconds) for it; a
 * longer one does not, as a decided run pays for every queued call. */
#define QUEUE_BELOW 0.020  /* seconds */

/* The command for the series' n-th sample: CMD_WARMUP for the calls of the warm-up,
 * CMD_STEP_END where the sample ends a span of the schedule (its warm-up being the calls
 * of the warm-up or the samples below `fresh`, as mark_warmup has it), else CMD_STEP. */
static char step_command(size_t n, size_t fresh, const lg_gate_opts *o,
			 const lg_verdict_opts *vo)
{
	if (is_warmup(n, o))
		return CMD_WARMUP;
	return lg__verdict_span_ends(n, fresh > o->warmup ? fresh : o->warmup, vo) ?
	       CMD_STEP_END : CMD_STEP;
}

/* Sends STEPs until `depth` calls are queued or `total` are asked for: two when the last
 * call was short, else one. */
static int queue_steps(struct worker *w, const lg_series *s, size_t total, size_t fresh,
		       size_t *queued, size_t *sent, const lg_gate_opts *o,
		       const lg_verdict_opts *vo)
{
	size_t depth = s->len >= 2 &&
		s->samples[s->len - 1].elapsed - s->samples[s->len - 2].elapsed < QUEUE_BELOW ? 2 : 1;

	for (; *queued < depth && *sent < total; ++*queued, ++*sent) {
		char step = step_command(*sent + 1, fresh, o, vo);

		if (lg__write_full(w->cmd_fd, &step, 1) < 0)
			return -1;
	}
	return 0;
}

/* Steps the worker until the verdict is decided or the series holds `total` samples;
 * the samples before index `fresh` are warm-up (mark_warmup); *judged_len is the series'
 * length at the last sample decided on.
 * The next STEP goes out before the verdict on the last sample is computed, so the
 * worker's call and the supervisor's statistics overlap. A decided run therefore makes
 * one call more than it judges, or two when calls are short (queue_steps); their samples
 * are read and dropped, and an error in them still counts. With until_limit, it steps
 * on to `total` whatever the verdict says. Returns 0 or an exit code, with *out filled in. */
static int measure_steps(struct worker *w, size_t total, size_t fresh, int until_limit,
			 const lg_gate_opts *o, const lg_verdict_opts *vo, size_t *judged_len,
			 lg_result *out)
{
	size_t queued = 0, sent = out->series.len;
	int code, judged;

	if (queue_steps(w, &out->series, total, fresh, &queued, &sent, o, vo) < 0)
		goto lost;
	while (out->series.len < total) {
		lg_sample s;

		out->error_iteration = (uint32_t)out->series.len + 1;
		code = receive(w, MSG_SAMPLE, &s, sizeof(s), o, out);
		if (code)
			return code;
		queued--;
		mark_warmup(&s, out->series.len, fresh, o);
		if (lg_series_append(&out->series, &s) < 0)
			return fail_internal(w, out, "out of memory");
		if (queue_steps(w, &out->series, total, fresh, &queued, &sent, o, vo) < 0)
			goto lost;
		judged = !s.warmup && lg_series_warmup(&out->series) < out->series.len;
		if (judged && lg__verdict_decide(&out->series, vo, &out->verdict) < 0)
			return fail_internal(w, out, "the verdict failed: out of memory");
		if (judged)
			*judged_len = out->series.len;
		if (o->on_sample)
			o->on_sample(o->arg, out);
		if (judged && out->verdict.outcome != LG_UNDECIDED && !until_limit)
			break;
	}
	for (; queued; queued--) {
		lg_sample extra;

		out->error_iteration++;
		code = receive(w, MSG_SAMPLE, &extra, sizeof(extra), o, out);
		if (code)
			return code;
	}
	out->error_iteration = 0;
	return 0;
lost:
	/* The worker is gone before a STEP could reach it: collect its error or death. */
	{
		lg_sample s;

		out->error_iteration = (uint32_t)out->series.len + 1;
		code = receive(w, MSG_SAMPLE, &s, sizeof(s), o, out);
		return code ? code : fail_internal(w, out, "lost the worker's command pipe");
	}
}

/* Steps the worker as measure_steps does, deciding on every sample without the trends
 * (lg__verdict_decide: a Theil-Sen fit per counter per sample would cost the supervisor
 * more than the worker's call on long spans), then judges the sample last decided on
 * again with every trend, for the reports. */
static int measure(struct worker *w, size_t total, size_t fresh, int until_limit,
		   const lg_gate_opts *o, lg_result *out)
{
	lg_verdict_opts vo = o->verdict;
	size_t judged_len = 0;
	int code;

	vo.limit = total;  /* the schedule's last span ends where the run must */
	code = measure_steps(w, total, fresh, until_limit, o, &vo, &judged_len, out);
	if (judged_len > 0) {
		lg_series decided = out->series;

		decided.len = judged_len;
		if (lg_verdict_judge(&decided, &vo, &out->verdict) < 0 && !code)
			return fail_internal(w, out, "the verdict failed: out of memory");
	}
	return code;
}

/*
 * How many calls show the growth once: the longest period (verdict.c, floor_period: the
 * stretch between rises of the counter's floor) of the counters that failed. A leak on
 * every call has period 1 and the --attribute calls show it; a burst every 25 calls needs
 * 26 (the last call aside).
 * The cost is bounded by the window that failed, which the period cannot exceed, and by
 * attribution's deadline.
 */
static size_t attributed_period(const lg_verdict *v)
{
	size_t p = 1;
	int c;

	for (c = 0; c < LG_NCOUNTERS; c++)
		if ((v->failed & (UINT32_C(1) << c)) && v->period[c] > p)
			p = v->period[c];
	if (v->window_len > 1 && p > v->window_len - 1)
		p = v->window_len - 1;
	return p;
}

/* Before a leak verdict stands: asks the worker whether any sample it judged may have
 * counted garbage the frozen heap kept (lg_worker_confirm). Returns 0 with *trusted set,
 * or an exit code as receive() does. */
static int confirm(struct worker *w, const lg_gate_opts *o, lg_result *out, int *trusted)
{
	static const char cmd = CMD_CONFIRM;
	struct msg_confirmed c;
	int code;

	*trusted = 1;
	if (lg__write_full(w->cmd_fd, &cmd, 1) < 0)
		return fail_internal(w, out, "lost the worker's command pipe");
	code = receive(w, MSG_CONFIRMED, &c, sizeof(c), o, out);
	if (code)
		return code;
	/* Sample i holds iteration i + 1: the warm-up's samples are not judged. A stale count
	 * of the permanent generation misreads gc_objects only: a verdict that did not fail
	 * it stands on the other counters, whatever gc_objects read. */
	*trusted = c.inflated <= lg_series_warmup(&out->series) &&
		   (!(out->verdict.failed & (UINT32_C(1) << LG_GC_OBJECTS)) ||
		    c.gc_inflated <= lg_series_warmup(&out->series));
	return 0;
}

/* Asks the worker to attribute the leak and stores what it says in out->attribution.
 * A failure here costs the attribution, never the verdict: returns 0 when the worker
 * still runs, 1 when it is gone. */
static int attribute(struct worker *w, const lg_gate_opts *o, lg_result *out)
{
	size_t total = o->warmup + o->iterations, period = attributed_period(&out->verdict);
	struct cmd_attribute c = { o->attribute, out->verdict.failed,
				   (uint32_t)(total > out->series.len ? total - out->series.len : 1),
				   /* attribution's own deadline: --timeout, as for one call */
				   o->timeout > 0 ? (uint32_t)(o->timeout * 1000 + 0.5) : 0, 0 };
	lg_gate_opts slow = *o;
	struct msg_attribution m;
	lg_result err = { 0 };
	char cmd = CMD_ATTRIBUTE, *body = NULL;
	size_t len = 0;
	int code;

	lg_attribution_release(&out->attribution);
	/* Growth in bursts shows once per period: the calls (the last aside, which may
	 * keep its result) and the traced ones must hold a whole one. */
	if (period > 1) {
		if (period + 1 > c.iterations)
			c.iterations = (uint32_t)(period + 1);
		c.traced = (uint32_t)(period + 1);
	}
	/* Attributed calls run under tracemalloc, which slows them 10-30 times. */
	if (slow.timeout > 0)
		slow.timeout = slow.timeout * 30 * (c.iterations + 1) + 60;
	if (lg__write_full(w->cmd_fd, &cmd, 1) < 0 || lg__write_full(w->cmd_fd, &c, sizeof(c)) < 0) {
		reap(w, 1);
		out->attribution.text = xasprintf("  attribution failed: the worker is gone\n");
		return 1;
	}
	code = receive_any(w, MSG_ATTRIBUTION, &m, sizeof(m), &body, &len, &slow, &err);
	if (code || (size_t)m.text_len + m.json_len + m.dot_len != len) {
		if (!code)
			reap(w, 1);
		out->attribution.text = xasprintf("  attribution failed: %s%s",
						  err.error ? err.error : "bad message",
						  err.error && strchr(err.error, '\n') ? "" : "\n");
		free(err.error);
		free(body);
		return 1;
	}
	out->attribution.state = m.state <= LG_ATTR_TOMBSTONES ? (lg_attr_state)m.state :
								LG_ATTR_LEAK;
	out->attribution.text = strndup(body, m.text_len);
	out->attribution.json = strndup(body + m.text_len, m.json_len);
	out->attribution.dot = strndup(body + m.text_len + m.json_len, m.dot_len);
	free(body);
	return 0;
}

/*
 * Judging afresh: after growth that a bounded container explains or that stopped, or a
 * verdict dropped because its samples may have counted frozen garbage. Every sample so far
 * becomes warm-up, and so does the next one (*fresh): the anchor the fresh window's first
 * span is compared with. An attribution ran between the last sample and that one, and its
 * own imports land in the counters once; the fresh window must hold the workload's calls
 * only.
 *
 * What a fresh judgement needs is the anchor and one whole first span (--window calls):
 * the shortest window on which the verdict both passes a flat counter and fails a steady
 * rise (the probe confirms itself, as under -n equal to --window). When the limit leaves
 * less and `extend` is set, the run goes past the limit (*total) by what is missing: the
 * verdict reached there rests on something the run has not yet seen, a container at its
 * bound that stops the growth, or samples that read the truth, and without looking it
 * would stand on faith. A bounded cache that is full must then show flat counters, and
 * its turnover (entries bigger than those it evicts) keeps rising; samples that collect
 * the whole heap whenever they grow (as every one does once frozen garbage was found,
 * interp.c, collect_whole) read the truth. room_for_fresh returns 1 when the fresh
 * window fits (*total moved past the limit if need be), 0 when it does not and `extend`
 * is 0. The run goes past its limit at most once for each reason (PAST_*).
 */
enum { PAST_BOUND = 1, PAST_GARBAGE = 2 };

static int room_for_fresh(size_t len, size_t *total, int extend, const lg_gate_opts *o)
{
	size_t need = o->verdict.min_window + 1;

	if (*total >= len && *total - len >= need)
		return 1;
	if (!extend)
		return 0;
	*total = len + need;
	return 1;
}

static void restart_window(lg_series *s, size_t *fresh)
{
	size_t i;

	for (i = 0; i < s->len; i++)
		s->samples[i].warmup = 1;
	*fresh = s->len + 1;
}

/* Appends a line to the attribution's text. */
static void attribution_add(lg_attribution *a, const char *line)
{
	char *text = xasprintf("%s%s", a->text ? a->text : "", line);

	if (text) {
		free(a->text);
		a->text = text;
	}
}

/*
 * The end of a run measured on to its limit after tombstones (verdict.c, lg__tomb_left):
 * returns 1 when they were swept, the counters that failed then ending undecided (what
 * they did after the sweep is the next rising edge, which the rest of the run is too
 * short to judge: the reason it measured on) while any other counter's growth still
 * fails; 0 when they were not, those counters then failing. The report says which.
 */
static int judge_sweep(lg__tomb *t, const lg_gate_opts *o, lg_result *out)
{
	lg_verdict *v = &out->verdict;
	uint32_t failed = t->failed, left;
	size_t at;
	char *line;
	int c;

	left = lg__tomb_left(t, &out->series, &at);
	t->failed = 0;
	if (left) {
		for (c = 0; c < LG_NCOUNTERS; c++)
			if (left & (UINT32_C(1) << c))
				v->state[c] = LG_STATE_GROWING;
		v->failed |= left;
		v->undecided &= ~left;
		v->outcome = LG_LEAK;
		line = xasprintf("  never swept: the counters did not fall back in the %zu calls "
				 "after attribution, so the dead weak references are a leak\n",
				 out->series.len - t->from);
	} else {
		for (c = 0; c < LG_NCOUNTERS; c++)
			if (v->failed & failed & (UINT32_C(1) << c))
				v->state[c] = LG_STATE_UNDECIDED;
		v->undecided |= v->failed & failed;
		v->failed &= ~failed;
		lg_verdict_finish(v);
		line = xasprintf("  swept: by iteration %zu the counters fell by at least what the "
				 "failed window saw them rise\n", at);
		note(o, out, 1, "the dead weak references were swept by iteration %zu", at);
	}
	attribution_add(&out->attribution, line ? line : "");
	free(line);
	return !left;
}

/*
 * After a sweep (judge_sweep passed): tombstones excuse only themselves, and the calls
 * that excused them were those attributed before the sweep. The calls since were judged
 * by the sweep alone, which a leak that starts after it, or grows beside the next rising
 * edge, does not stop. So the same look is taken again, at the limit, over the calls
 * after the sweep: when they leave alive anything but dead weak references, the counters
 * the tombstones excused fail, with what that attribution found; otherwise the pass
 * stands, with the first attribution's report. Returns 1 when the worker is gone.
 */
static int look_after_sweep(struct worker *w, uint32_t watched, const lg_gate_opts *o,
			    lg_result *out)
{
	lg_verdict *v = &out->verdict;
	lg_attribution before = out->attribution;
	uint32_t failed = v->failed;
	int c, gone;

	memset(&out->attribution, 0, sizeof(out->attribution));
	v->failed = watched;  /* what attribution looks at, and how many calls show it */
	gone = attribute(w, o, out);
	v->failed = failed;
	if (!gone && out->attribution.state == LG_ATTR_LEAK) {
		lg_attribution_release(&before);
		for (c = 0; c < LG_NCOUNTERS; c++)
			if (watched & (UINT32_C(1) << c))
				v->state[c] = LG_STATE_GROWING;
		v->failed |= watched;
		v->undecided &= ~watched;
		v->outcome = LG_LEAK;
		attribution_add(&out->attribution, "  swept, but the calls after the sweep left "
				"alive more than dead weak references: what grew above is a leak "
				"the sweep does not take back\n");
		return 0;
	}
	if (gone && out->attribution.text)  /* why it failed */
		attribution_add(&before, out->attribution.text);
	lg_attribution_release(&out->attribution);
	out->attribution = before;
	if (!gone)
		attribution_add(&out->attribution, "  the calls after the sweep, attributed at "
				"the limit, left alive nothing but dead weak references\n");
	return gone;
}

/*
 * --pytest's fork server (protocol.h, CMD_FORK): the worker that collected the tests
 * stays, and each test's worker is forked from it, from the collected state, rather than
 * started afresh to import and collect the whole suite again. A new worker is this
 * process's child (the server forks with CLONE_PARENT), so it is waited for, killed and
 * described as any other. Requests from concurrent lg_gate_run_all threads take turns.
 */
struct server {
	struct worker w;
	int up;                    /* running, and none of its forks failed */
	const char *const *args;   /* pytest's arguments it collected with (the caller's) */
	size_t nargs;
	pthread_mutex_t lock;      /* one request at a time */
};

struct lg_gate {
	lg_gate_opts o;
	struct server srv;
};

/* Whether the server collected with these arguments. */
static int server_serves(const struct server *s, const lg_target *t)
{
	size_t i;

	if (!s->up || t->kind != LG_TARGET_PYTEST || !t->spec || t->nargs != s->nargs)
		return 0;
	for (i = 0; i < t->nargs; i++)
		if (strcmp(t->args[i], s->args[i]))
			return 0;
	return 1;
}

/* Ends the server: it finishes pytest's session and exits; killed if it takes longer
 * than a step may. Then, as any worker, what it and its tests' workers (forks of it, with
 * its mark) left running. */
static void server_quit(struct server *s, double timeout)
{
	char quit = CMD_QUIT;

	if (!s->w.pid)
		return;
	lg__write_full(s->w.cmd_fd, &quit, 1);
	close(s->w.cmd_fd);
	close(s->w.msg_fd);
	s->w.cmd_fd = s->w.msg_fd = -1;
	reap(&s->w, !ends_within(&s->w, timeout > 0 ? timeout : 60));
	s->w.pid = 0;
	s->up = 0;
}

/* Sends CMD_FORK for t with the new worker's ends of its pipes. */
static int send_fork(int fd, const char *nodeid, int child_cmd, int child_msg)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} u;
	char cmd = CMD_FORK;
	struct cmd_fork c = { (uint32_t)strlen(nodeid) };
	struct iovec iov = { &cmd, 1 };
	struct msghdr m = { 0 };
	struct cmsghdr *h;
	int fds[2] = { child_cmd, child_msg };
	ssize_t n;

	memset(&u, 0, sizeof(u));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof(u.buf);
	h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(h), fds, sizeof(fds));
	do
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != 1 || lg__write_full(fd, &c, sizeof(c)) || lg__write_full(fd, nodeid, c.len))
		return -1;
	return 0;
}

/* Asks the server for a worker for t. 0 and *w filled in; -1 with why in *why (free())
 * when the server cannot serve, which then stops being asked. */
static int server_fork(struct server *s, const lg_target *t, const lg_gate_opts *o,
		       struct worker *w, char **why)
{
	double deadline = o->timeout > 0 ? lg__now() + o->timeout : 0;
	int cmd[2], msg[2], ok = -1;
	struct msg_hdr h;
	struct msg_forked f;
	char *text = NULL;

	*why = NULL;
	if (pipe2(cmd, O_CLOEXEC) < 0) {
		*why = xasprintf("cannot make a pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(msg, O_CLOEXEC) < 0) {
		*why = xasprintf("cannot make a pipe: %s", strerror(errno));
		close(cmd[0]);
		close(cmd[1]);
		return -1;
	}
	pthread_mutex_lock(&s->lock);
	if (!s->up) {
		*why = xasprintf("the fork server has stopped");
	} else if (send_fork(s->w.cmd_fd, t->spec, cmd[0], msg[1]) < 0 ||
		   lg__read_until(s->w.msg_fd, &h, sizeof(h), deadline) != 0) {
		*why = xasprintf("the fork server is gone");
	} else if (h.type == MSG_FORKED && h.len == sizeof(f) &&
		   lg__read_until(s->w.msg_fd, &f, sizeof(f), deadline) == 0 && f.pid > 0) {
		ok = 0;
	} else if (h.type == MSG_ERROR && h.len > sizeof(struct msg_error) && h.len < 65536 &&
		   (text = calloc(1, h.len + 1)) &&
		   lg__read_until(s->w.msg_fd, text, h.len, deadline) == 0) {
		*why = xasprintf("%s", text + sizeof(struct msg_error));
	} else {
		*why = xasprintf("the fork server sent nonsense");
	}
	free(text);
	if (ok < 0 && s->up) {
		s->up = 0;  /* later tests start workers of their own */
		server_quit(s, o->timeout);
	}
	pthread_mutex_unlock(&s->lock);
	close(cmd[0]);
	close(msg[1]);
	if (ok < 0) {
		close(cmd[1]);
		close(msg[0]);
		return -1;
	}
	w->pid = f.pid;
	setpgid(w->pid, w->pid);  /* as the worker does: whichever runs first */
	track(w->pid);
	w->cmd_fd = cmd[1];
	w->msg_fd = msg[0];
	w->log[0] = '\0';
	w->mark[0] = '\0';  /* the server's mark, swept when the server ends */
	return 0;
}

/* A worker for t: forked from the fork server when it collected t, else started afresh. */
static int start_worker(lg_gate *g, const lg_target *t, const lg_gate_opts *o,
			struct worker *w, lg_result *out)
{
	char *why = NULL;

	if (server_serves(&g->srv, t)) {
		if (server_fork(&g->srv, t, o, w, &why) == 0)
			return 0;
		note(o, out, 0, "%s: each test from here on collects the suite in a worker of "
		     "its own", why ? why : "out of memory");
		free(why);
	}
	return spawn(t, o, 0, w);
}

static int supervise(lg_gate *g, const lg_target *t, const char *display, const lg_gate_opts *o,
		     lg_result *out)
{
	struct msg_hello hello;
	struct worker w;
	double start = lg__now();
	lg_gate_opts own;
	size_t total, fresh = 0;  /* samples before index `fresh` are warm-up */
	char quit = CMD_QUIT;
	lg_attribution saw_bounded = { 0 };  /* the last attribution to find a bound */
	lg__tomb tomb = { 0 };
	int code, gone = 0, trusted, past = 0;  /* past: PAST_* */

	if (t->opts) {  /* the target's own measuring options */
		own = *o;
		own.iterations = t->opts->iterations;
		own.warmup = t->opts->warmup;
		own.verdict = t->opts->verdict;
		o = &own;
	}
	total = o->warmup + o->iterations;
	memset(out, 0, sizeof(*out));
	out->target = display;
	out->opts = o->verdict;
	lg_series_init(&out->series, 0);
	if (start_worker(g, t, o, &w, out) < 0) {
		out->status = LG_STATUS_INTERNAL;
		out->error = xasprintf("cannot start a worker: %s", strerror(errno));
		return LG__EXIT_INTERNAL;
	}
	code = receive(&w, MSG_HELLO, &hello, sizeof(hello), o, out);
	if (code)
		goto done;
	hello.python[sizeof(hello.python) - 1] = '\0';
	out->python = strdup(hello.python);
	out->series.available = hello.available;
	code = receive(&w, MSG_READY, NULL, 0, o, out);
	if (code)
		goto done;

	for (;;) {
		size_t limit = total;

		code = measure(&w, total, fresh, tomb.failed != 0, o, out);
		if (code)
			goto done;
		if (out->series.len >= total)
			lg_verdict_finish(&out->verdict);
		if (tomb.failed) {
			uint32_t watched = tomb.failed;

			if (!judge_sweep(&tomb, o, out))
				break;  /* never swept: a leak */
			gone = look_after_sweep(&w, watched, o, out);
			if (gone || out->attribution.state == LG_ATTR_LEAK)
				break;
		}
		if (out->verdict.outcome != LG_LEAK)
			break;
		code = confirm(&w, o, out, &trusted);
		if (code)
			goto done;
		if (!o->attribute && trusted)
			break;
		if (o->attribute) {
			gone = attribute(&w, o, out);
			if (gone)
				break;
		}
		/* Growth read through frozen garbage is no leak: unless attribution explains the
		 * growth by a bounded container (handled below, as always), judge afresh on
		 * samples that collect the whole heap whenever they grow, past the limit when
		 * the verdict was reached there (restart_window). Once past it for that, every
		 * sample since read the truth, so a second time cannot come; should it, the
		 * verdict stands and says why. */
		if (!trusted && (!o->attribute || out->attribution.state != LG_ATTR_BOUNDED)) {
			if (!room_for_fresh(out->series.len, &total, !(past & PAST_GARBAGE), o)) {
				attribution_add(&out->attribution, "  the samples judged may have "
						"counted garbage the frozen heap kept, and the run went "
						"past its limit for that once already: the verdict "
						"stands\n");
				break;
			}
			if (total > limit)
				past |= PAST_GARBAGE;
			note(o, out, 1, "growth read through garbage the frozen heap kept; "
			     "measuring on%s", total > limit ? " past the limit (-n)" : "");
			lg_attribution_release(&out->attribution);
			restart_window(&out->series, &fresh);
			continue;
		}
		if (out->attribution.state == LG_ATTR_TOMBSTONES && out->series.len >= total)
			attribution_add(&out->attribution, "  no calls left to watch for their "
					"sweep: the verdict stands\n");
		if (out->attribution.state == LG_ATTR_LEAK ||
		    (out->attribution.state != LG_ATTR_BOUNDED && out->series.len >= total))
			break;
		if (out->attribution.state == LG_ATTR_TOMBSTONES) {
			/* The verdict at the limit judges the calls after the attribution
			 * only, as after a bounded container: its imports raised the counters. */
			lg__tomb_start(&tomb, &out->series, &out->verdict);
			note(o, out, 1, "growth made of dead weak references; measuring on to the "
			     "limit for their sweep");
			restart_window(&out->series, &fresh);
			continue;
		}
		/* Calls that did not grow prove nothing alone (amortised growth skips calls);
		 * after a bounded container was seen filling, they mean it is full or done:
		 * judge again on a full window, if one still fits. */
		if (out->attribution.state == LG_ATTR_STOPPED &&
		    (!saw_bounded.text || !room_for_fresh(out->series.len, &total, 0, o)))
			break;
		/* A bounded container explains growth only once the run saw the growth stop
		 * at its bound: credited where no fresh window fits (at the limit, the
		 * container at or next to its bound), the run goes past the limit to look,
		 * once. Needed a second time, the credit would rest on faith: not given. */
		if (out->attribution.state == LG_ATTR_BOUNDED &&
		    !room_for_fresh(out->series.len, &total, !(past & PAST_BOUND), o)) {
			out->attribution.state = LG_ATTR_LEAK;
			attribution_add(&out->attribution, "  not credited: the run went past its "
					"limit once already to see a bounded container's growth "
					"stop, and it did not\n");
			break;
		}
		if (total > limit)
			past |= PAST_BOUND;
		note(o, out, 1, "%s; measuring on%s", out->attribution.state == LG_ATTR_BOUNDED ?
		     "growth held by a bounded container" : "no growth in the attributed calls",
		     total > limit ? " past the limit (-n)" : "");
		if (out->attribution.state == LG_ATTR_BOUNDED) {
			char *line = total > limit ?
				xasprintf("  credited at the limit: the run went %zu calls past it "
					  "(-n) to see the growth stop\n", total - limit) : NULL;

			if (line)
				attribution_add(&out->attribution, line);
			free(line);
			lg_attribution_release(&saw_bounded);
			saw_bounded = out->attribution;
			memset(&out->attribution, 0, sizeof(out->attribution));
		}
		restart_window(&out->series, &fresh);
	}
	/* Growth that stopped after a bounded container was seen filling: the container
	 * explains it, and the report says so. */
	if (saw_bounded.text && (out->verdict.outcome != LG_LEAK ||
				 out->attribution.state != LG_ATTR_LEAK)) {
		lg_attribution_release(&out->attribution);
		out->attribution = saw_bounded;
		memset(&saw_bounded, 0, sizeof(saw_bounded));
	}
	/* At the limit, growth a bounded container explains is not a leak. */
	out->status = out->verdict.outcome == LG_LEAK &&
		out->attribution.state != LG_ATTR_BOUNDED ? LG_STATUS_LEAK : LG_STATUS_PASS;
	code = out->status == LG_STATUS_LEAK ? LG__EXIT_LEAK : LG__EXIT_PASS;
	if (gone)
		goto done;
	if (out->status == LG_STATUS_LEAK && o->on_leak != LG_ON_LEAK_EXIT) {
		/* The report the blob carries says what the run's says: the gate's time,
		 * without the failing point's (a debugger, a core). */
		out->seconds = lg__now() - start;
		failpoint(&w, o, out);
		goto done;
	}
	lg__write_full(w.cmd_fd, &quit, 1);
	reap(&w, 0);
done:
	lg_attribution_release(&saw_bounded);
	if (w.log[0])
		code = lg__vg_finish(w.log, o, out, code);
	if (!out->seconds)
		out->seconds = lg__now() - start;
	return code < 0 ? LG__EXIT_PASS : code;
}

/* Collects the tests in a worker, which then stays as the fork server unless the tests
 * run under memcheck (each in a worker valgrind starts) or g is NULL. */
static int collect_tests(lg_gate *g, const lg_target *t, const lg_gate_opts *o, char **list,
			 lg_result *out)
{
	lg_gate_opts slow = *o;
	struct msg_hello hello;
	struct worker w;
	size_t len = 0;
	int code;

	*list = NULL;
	memset(out, 0, sizeof(*out));
	out->target = "pytest collection";
	/* Collection imports the whole suite: give it more than one call's time. */
	if (slow.timeout > 0)
		slow.timeout = slow.timeout * 10;
	slow.valgrind = NULL;  /* collecting finds no leak: no need for memcheck */
	if (spawn(t, &slow, 1, &w) < 0) {
		out->status = LG_STATUS_INTERNAL;
		out->error = xasprintf("cannot start a worker: %s", strerror(errno));
		return LG__EXIT_INTERNAL;
	}
	code = receive(&w, MSG_HELLO, &hello, sizeof(hello), &slow, out);
	if (!code)
		code = receive_any(&w, MSG_COLLECTED, NULL, 0, list, &len, &slow, out);
	if (code)
		return code < 0 ? LG__EXIT_WORKLOAD : code;
	(*list)[len] = '\0';
	if (!g || o->valgrind) {
		char quit = CMD_QUIT;

		lg__write_full(w.cmd_fd, &quit, 1);
		reap(&w, 0);
		return 0;
	}
	g->srv.w = w;
	g->srv.args = t->args;
	g->srv.nargs = t->nargs;
	g->srv.up = 1;
	return 0;
}

static void pipe_guard(sigset_t *saved);
static void pipe_unguard(const sigset_t *saved);

void lg_gate_opts_init(lg_gate_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->iterations = 300;
	o->warmup = 10;
	o->timeout = 60;
	o->attribute = 5;
	o->memory_limit = lg_gate_default_memory_limit();
	lg_verdict_opts_init(&o->verdict);
}

int lg_gate_new(const lg_gate_opts *o, lg_gate **out)
{
	*out = NULL;
	if (!o || o->iterations < o->verdict.min_window || o->verdict.min_window < 3 ||
	    o->timeout < 0 || (o->valgrind && !o->suppressions) ||
	    (unsigned)o->on_leak > LG_ON_LEAK_CORE)
		return LG_EINVAL;
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return LG_ENOMEM;
	(*out)->o = *o;
	if (pthread_mutex_init(&(*out)->srv.lock, NULL)) {
		free(*out);
		*out = NULL;
		return LG_ENOMEM;
	}
	lg__sentinel_start();
	return 0;
}

void lg_gate_free(lg_gate *g)
{
	sigset_t saved;

	if (!g)
		return;
	pipe_guard(&saved);
	server_quit(&g->srv, g->o.timeout);
	pipe_unguard(&saved);
	pthread_mutex_destroy(&g->srv.lock);
	lg__sentinel_stop();
	free(g);
}

/*
 * The gate writes commands to a worker that may have died: SIGPIPE is blocked in the
 * calling thread while it runs (EPIPE is handled), and a pending one is consumed before
 * the caller's mask comes back, so the host's own disposition is never changed.
 */
static void pipe_guard(sigset_t *saved)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, saved);
}

static void pipe_unguard(const sigset_t *saved)
{
	sigset_t set;
	struct timespec zero = { 0, 0 };

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	if (!sigismember(saved, SIGPIPE))
		while (sigtimedwait(&set, NULL, &zero) > 0)
			;
	pthread_sigmask(SIG_SETMASK, saved, NULL);
}

/* What an interrupt did to a result: an interrupted target, or one never started when
 * `started` is 0. A verdict reached before the signal stands. */
static void mark_interrupted(lg_result *out, const char *display, int started)
{
	int signo = interrupted;

	if (!signo)
		return;
	if (!started) {
		memset(out, 0, sizeof(*out));
		out->target = display;
		lg_series_init(&out->series, 0);
	} else if (out->status == LG_STATUS_PASS || out->status == LG_STATUS_LEAK ||
		   out->status == LG_STATUS_SKIP) {
		return;
	}
	free(out->error);
	out->status = LG_STATUS_INTERRUPTED;
	out->error = started ?
		xasprintf("interrupted by signal %d (%s)", signo, strsignal(signo)) :
		xasprintf("not run: interrupted by signal %d (%s)", signo, strsignal(signo));
}

/* The guard's MemoryError: say that it is leakgate's limit, not the machine's. */
static void name_memory_guard(lg_result *out, const lg_gate_opts *o)
{
	char *text;

	if (out->status != LG_STATUS_ERROR || !o->memory_limit || o->valgrind || !out->error ||
	    !strstr(out->error, "MemoryError"))
		return;
	text = xasprintf("%s%sthe workload reached the memory guard: at most %zu MiB per "
			 "worker (--max-memory)", out->error,
			 out->error[0] && out->error[strlen(out->error) - 1] != '\n' ? "\n" : "",
			 o->memory_limit >> 20);
	if (text) {
		free(out->error);
		out->error = text;
	}
}

/* One target, for lg_gate_run and each of lg_gate_run_all's threads: not started once the
 * run is interrupted; its result says so when it was, and names the memory guard when that
 * stopped it. */
static void run_one(lg_gate *g, const lg_target *t, const char *display,
		    const lg_gate_opts *o, lg_result *out)
{
	display = display ? display : t->spec;
	if (interrupted) {
		mark_interrupted(out, display, 0);
		return;
	}
	supervise(g, t, display, o, out);
	name_memory_guard(out, o);
	mark_interrupted(out, display, 1);
}

int lg_gate_run(lg_gate *g, const lg_target *t, const char *display, lg_result *out)
{
	sigset_t saved;

	if (!g || !t || !out || !t->spec ||
	    (t->opts && (t->opts->verdict.min_window < 3 ||
			 t->opts->iterations < t->opts->verdict.min_window)))
		return LG_EINVAL;
	pipe_guard(&saved);
	run_one(g, t, display, &g->o, out);
	pipe_unguard(&saved);
	return 0;
}

/*
 * lg_gate_run_all: a pool of threads, each driving one worker at a time over its pipes,
 * taking the next target as it finishes one. The gate's options are shared and read only;
 * the caller's callbacks are called through the pool's lock, never at once.
 */
struct pool {
	lg_gate *g;
	const lg_target *t;
	const char *const *display;
	size_t n, next;
	lg_result *out;
	void (*on_done)(void *arg, size_t i, const lg_result *r);
	void *arg;
	lg_gate_opts o;  /* the gate's, with the callbacks below */
	pthread_mutex_t lock;
};

static void pool_sample(void *arg, const lg_result *r)
{
	struct pool *p = arg;

	pthread_mutex_lock(&p->lock);
	p->g->o.on_sample(p->g->o.arg, r);
	pthread_mutex_unlock(&p->lock);
}

static void pool_note(void *arg, const lg_result *r, int level, const char *text)
{
	struct pool *p = arg;

	pthread_mutex_lock(&p->lock);
	p->g->o.on_note(p->g->o.arg, r, level, text);
	pthread_mutex_unlock(&p->lock);
}

static void *pool_run(void *arg)
{
	struct pool *p = arg;
	sigset_t saved;

	pipe_guard(&saved);
	for (;;) {
		size_t i;

		pthread_mutex_lock(&p->lock);
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->n)
			break;
		run_one(p->g, &p->t[i], p->display ? p->display[i] : NULL, &p->o, &p->out[i]);
		if (p->on_done) {
			pthread_mutex_lock(&p->lock);
			p->on_done(p->arg, i, &p->out[i]);
			pthread_mutex_unlock(&p->lock);
		}
	}
	pipe_unguard(&saved);
	return NULL;
}

unsigned lg_cpus(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 1;
	n = CPU_COUNT(&set);
	return n > 0 ? (unsigned)n : 1;
}

int lg_gate_run_all(lg_gate *g, const lg_target *t, const char *const *display, size_t n,
		    unsigned jobs, void (*on_done)(void *arg, size_t i, const lg_result *r),
		    void *arg, lg_result *out)
{
	struct pool p = { 0 };
	pthread_t *threads;
	size_t i, started = 0;

	if (!g || (n && (!t || !out)))
		return LG_EINVAL;
	for (i = 0; i < n; i++)
		if (!t[i].spec || (t[i].opts && (t[i].opts->verdict.min_window < 3 ||
						 t[i].opts->iterations < t[i].opts->verdict.min_window)))
			return LG_EINVAL;
	if (!jobs)
		jobs = lg_cpus();
	if (jobs > n)
		jobs = n ? (unsigned)n : 1;
	p.g = g;
	p.t = t;
	p.display = display;
	p.n = n;
	p.out = out;
	p.on_done = on_done;
	p.arg = arg;
	p.o = g->o;
	p.o.on_sample = g->o.on_sample ? pool_sample : NULL;
	p.o.on_note = g->o.on_note ? pool_note : NULL;
	p.o.arg = &p;
	if (pthread_mutex_init(&p.lock, NULL))
		return LG_ENOMEM;
	threads = calloc(jobs, sizeof(*threads));
	/* The calling thread is one of the jobs; if no thread can start, it does them all. */
	for (i = 1; threads && i < jobs; i++) {
		if (pthread_create(&threads[started], NULL, pool_run, &p))
			break;
		started++;
	}
	pool_run(&p);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	pthread_mutex_destroy(&p.lock);
	return 0;
}

int lg_gate_collect(lg_gate *g, const char *const *args, size_t nargs, char **list,
		    lg_result *failure)
{
	lg_target t = { LG_TARGET_PYTEST, NULL, args, nargs };
	sigset_t saved;
	int code;

	*list = NULL;
	if (!interrupted) {
		pipe_guard(&saved);
		server_quit(&g->srv, g->o.timeout);  /* a new collection replaces the last */
		code = collect_tests(g, &t, &g->o, list, failure);
		pipe_unguard(&saved);
		if (!code)
			return 0;
		mark_interrupted(failure, "pytest collection", 1);
	} else {
		mark_interrupted(failure, "pytest collection", 0);
	}
	free(*list);
	*list = NULL;
	return LG_ELOAD;
}

int lg_result_exit_code(const lg_result *r)
{
	switch (r->status) {
	case LG_STATUS_PASS:
	case LG_STATUS_SKIP:
	case LG_STATUS_KNOWN:
		return LG_EXIT_PASS;
	case LG_STATUS_LEAK:
		return LG_EXIT_LEAK;
	case LG_STATUS_ERROR:
		return LG_EXIT_WORKLOAD;
	case LG_STATUS_INTERRUPTED:
		return LG_EXIT_INTERRUPTED + (interrupted > 0 ? interrupted : SIGINT);
	default:
		return LG_EXIT_INTERNAL;
	}
}

void lg_result_release(lg_result *r)
{
	if (!r)
		return;
	lg_series_release(&r->series);
	lg_attribution_release(&r->attribution);
	free(r->error);
	free(r->native_stacks);
	free(r->core_path);
	free(r->python);
	r->error = r->native_stacks = r->core_path = r->python = NULL;
}
