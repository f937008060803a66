#define _GNU_SOURCE
/* worker/main.c: the forked worker's side of the gate's protocol: start CPython, load the
 * target, then for each STEP command call the workload once and send a snapshot; for
 * --pytest, collect once and fork a worker per test from the collected state. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "worker.h"

static void send_msg(int fd, uint32_t type, const void *a, size_t alen,
		     const void *b, size_t blen)
{
	struct msg_hdr h = { type, (uint32_t)(alen + blen) };

	/* One write when it fits: a process the workload forked may write here too. */
	if (lg__write_msg(fd, &h, sizeof(h), a, alen, b, blen))
		_exit(errno == EBADF ? LG__EXIT_PIPE_CLOSED : LG__EXIT_INTERNAL);
}

static void send_error(int fd, int code, uint32_t iteration, const char *text)
{
	struct msg_error e = { code, iteration };

	if (!text)
		text = lg_strerror(code);
	send_msg(fd, MSG_ERROR, &e, sizeof(e), text, strlen(text) + 1);
}

/* Runs attribution as the supervisor asked and sends the result, or the error. */
static void attribute(lg_worker *w, int cmd_fd, int msg_fd)
{
	struct cmd_attribute c;
	struct msg_attribution m;
	lg_attribution a;
	char *msg = NULL, *body;
	int err;

	if (lg__read_full(cmd_fd, &c, sizeof(c)) < 0)
		_exit(LG__EXIT_INTERNAL);
	lg__worker_attribute_limits(w, c.remaining, c.deadline_ms, c.traced);
	err = lg_worker_attribute(w, c.iterations, c.failed, &a, &msg);
	if (err) {
		send_error(msg_fd, err, 0, msg);
		free(msg);
		return;
	}
	m.state = (uint32_t)a.state;
	m.text_len = (uint32_t)strlen(a.text);
	m.json_len = (uint32_t)strlen(a.json);
	m.dot_len = (uint32_t)strlen(a.dot);
	body = malloc((size_t)m.text_len + m.json_len + m.dot_len + 1);
	if (!body) {
		send_error(msg_fd, LG_ENOMEM, 0, NULL);
		lg_attribution_release(&a);
		return;
	}
	memcpy(body, a.text, m.text_len);
	memcpy(body + m.text_len, a.json, m.json_len);
	memcpy(body + m.text_len + m.json_len, a.dot, m.dot_len);
	send_msg(msg_fd, MSG_ATTRIBUTION, &m, sizeof(m), body,
		 (size_t)m.text_len + m.json_len + m.dot_len);
	free(body);
	lg_attribution_release(&a);
}

struct loop {
	int cmd_fd, msg_fd;
	pid_t pid;  /* the worker's own: a forked copy that returns from a call differs */
	pid_t supervisor;  /* the worker's parent, and that of the fork server's workers */
};

/* The measuring loop, while the target is loaded: READY, then one call and snapshot per
 * STEP, attribution on request, until QUIT or the end of the command pipe. */
static int serve(lg_worker *w, void *arg)
{
	const struct loop *l = arg;
	uint32_t iteration = 0;
	double start = 0;
	char *msg = NULL;
	lg_sample s;
	char cmd;
	int err;

	send_msg(l->msg_fd, MSG_READY, NULL, 0, NULL, 0);
	for (;;) {
		ssize_t n = read(l->cmd_fd, &cmd, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 1 && cmd == CMD_FAILPOINT)
			lg__worker_thaw(w);  /* the blob's census walks the heap (attribution thaws
					      * it itself, attribute.py) */
		if (n == 1 && cmd == CMD_ATTRIBUTE) {
			attribute(w, l->cmd_fd, l->msg_fd);
			continue;
		}
		if (n == 1 && cmd == CMD_CONFIRM) {
			struct msg_confirmed c;

			/* One snapshot per call here: snapshot numbers are iterations. */
			lg_worker_confirm(w, &c.inflated, &c.gc_inflated);
			send_msg(l->msg_fd, MSG_CONFIRMED, &c, sizeof(c), NULL, 0);
			continue;
		}
		if (n == 1 && cmd == CMD_FAILPOINT) {
			char *text = NULL;
			uint32_t type = lg__failpoint_worker(w, l->cmd_fd, &text);
			struct msg_error e = { LG_EIO, iteration };

			if (!text)
				text = strdup("out of memory");
			if (type == MSG_ERROR && text)
				send_msg(l->msg_fd, type, &e, sizeof(e), text, strlen(text) + 1);
			else if (type && text)
				send_msg(l->msg_fd, type, text, strlen(text) + 1, NULL, 0);
			free(text);
			return 0;
		}
		if (n != 1 || (cmd != CMD_STEP && cmd != CMD_STEP_END && cmd != CMD_WARMUP))
			return 0;
		if (iteration == 0)
			start = lg__now();
		iteration++;
		err = lg_worker_call(w, &msg);
		if (getpid() != l->pid) {
			char text[256];

			/* A child the workload forked came back from the call into this loop:
			 * it must not go on as a second worker. The worker's error, as any. */
			snprintf(text, sizeof(text), "a process the workload forked (pid %d) "
				 "returned from the call into leakgate's worker; a forked child "
				 "must end with os._exit()", (int)getpid());
			send_error(l->msg_fd, LG_ERAISE, iteration, text);
			_exit(LG__EXIT_WORKLOAD);
		}
		if (err) {
			send_error(l->msg_fd, err, iteration, msg);
			lg_worker_free(w);
			_exit(LG__EXIT_WORKLOAD);
		}
		lg__worker_sample(w, &s, cmd == CMD_WARMUP ? LG__SAMPLE_WARMUP :
				  cmd == CMD_STEP_END ? LG__SAMPLE_SPAN_END : LG__SAMPLE_JUDGED);
		s.iteration = iteration;
		s.warmup = 0;
		s.elapsed = lg__now() - start;
		send_msg(l->msg_fd, MSG_SAMPLE, &s, sizeof(s), NULL, 0);
	}
}

/* --pytest's fork server (protocol.h, CMD_FORK): the collecting worker's channel to the
 * supervisor, the descriptors of the next worker to fork, and the HELLO it will send. */
struct server {
	struct loop *l;
	int cmd_fd, msg_fd;
	const struct msg_hello *hello;
};

/* Reads one command byte, and the descriptors that came with it (-1 when none did). */
static ssize_t recv_command(int fd, char *cmd, int fds[2])
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} u;
	struct iovec iov = { cmd, 1 };
	struct msghdr m = { 0 };
	struct cmsghdr *c;
	ssize_t n;

	fds[0] = fds[1] = -1;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof(u.buf);
	do
		n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (c = n > 0 ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(2 * sizeof(int)))
			memcpy(fds, CMSG_DATA(c), 2 * sizeof(int));
	return n;
}

static int server_next(void *arg, const char *list, char **nodeid)
{
	struct server *s = arg;
	struct cmd_fork c;
	char cmd;
	int fds[2];

	if (list)
		send_msg(s->l->msg_fd, MSG_COLLECTED, NULL, 0, list, strlen(list));
	for (;;) {
		if (recv_command(s->l->cmd_fd, &cmd, fds) != 1 || cmd != CMD_FORK) {
			if (fds[0] >= 0) {
				close(fds[0]);
				close(fds[1]);
			}
			return 0;  /* CMD_QUIT, the end of the channel, or nonsense */
		}
		if (lg__read_full(s->l->cmd_fd, &c, sizeof(c)) < 0 || c.len > (1u << 20) ||
		    !(*nodeid = calloc(1, (size_t)c.len + 1)) ||
		    lg__read_full(s->l->cmd_fd, *nodeid, c.len) < 0)
			_exit(LG__EXIT_INTERNAL);  /* the supervisor is gone */
		if (fds[0] >= 0) {
			s->cmd_fd = fds[0];
			s->msg_fd = fds[1];
			return 1;
		}
		free(*nodeid);
		*nodeid = NULL;
		send_error(s->l->msg_fd, LG_EINVAL, 0, "CMD_FORK came without its pipes");
	}
}

static void server_forked(void *arg, int pid, const char *why)
{
	struct server *s = arg;
	struct msg_forked f = { pid };

	close(s->cmd_fd);
	close(s->msg_fd);
	s->cmd_fd = s->msg_fd = -1;
	if (pid > 0)
		send_msg(s->l->msg_fd, MSG_FORKED, &f, sizeof(f), NULL, 0);
	else
		send_error(s->l->msg_fd, LG_EIO, 0, why);
}

/* In the new worker: its own pipes replace the server's channel, and it leads a process
 * group of its own that dies with the supervisor, its parent (CLONE_PARENT), as a worker
 * the supervisor started itself does (lg__worker_child). */
static void server_start(void *arg)
{
	struct server *s = arg;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != s->l->supervisor)
		_exit(LG__EXIT_INTERNAL);
	s->l->pid = getpid();
	close(s->l->cmd_fd);
	close(s->l->msg_fd);
	s->l->cmd_fd = s->cmd_fd;
	s->l->msg_fd = s->msg_fd;
	send_msg(s->l->msg_fd, MSG_HELLO, s->hello, sizeof(*s->hello), NULL, 0);
}

/* --pytest's collection, then the fork server; in a forked worker, its test. Never
 * returns. */
static void serve_tests(lg_worker *w, const lg_target *t, const struct msg_hello *hello,
			struct loop *l)
{
	struct server s = { l, -1, -1, hello };
	struct lg__fork_server srv = { server_next, server_forked, server_start, &s };
	char *msg = NULL;
	int err = lg__pytest_serve(w, t->args, t->nargs, &srv, serve, l, &msg);

	if (err)
		send_error(l->msg_fd, err, 0, msg);
	free(msg);
	lg_worker_free(w);
	_exit(err ? LG__EXIT_WORKLOAD : LG__EXIT_PASS);
}

/* The user's GLIBC_TUNABLES back, once glibc has read the worker's (protocol.h). */
static void user_tunables(void)
{
	const char *user = getenv(LG_USER_TUNABLES_ENV);

	if (!user)
		return;  /* not exec'd by the supervisor */
	if (*user == LG_USER_TUNABLES_SET)
		setenv("GLIBC_TUNABLES", user + 1, 1);
	else
		unsetenv("GLIBC_TUNABLES");
	unsetenv(LG_USER_TUNABLES_ENV);
}

void lg_gate_worker(const lg_target *t, const lg_worker_opts *wo, int cmd_fd, int msg_fd)
{
	struct msg_hello hello = { 0 };
	struct loop l = { cmd_fd, msg_fd, getpid(), getppid() };
	lg_worker *w;
	char *msg = NULL;
	int err;

	signal(SIGPIPE, SIG_DFL);
	/* The pipes came through an exec without close-on-exec: a program the workload
	 * starts must not inherit them, or it would hold them open after the worker died
	 * and keep the supervisor from seeing that death. */
	fcntl(cmd_fd, F_SETFD, FD_CLOEXEC);
	fcntl(msg_fd, F_SETFD, FD_CLOEXEC);
	user_tunables();
	err = lg_worker_new(wo, &w);
	if (err) {
		send_error(msg_fd, err, 0, "could not initialise CPython");
		_exit(LG__EXIT_INTERNAL);
	}
	hello.available = lg_worker_available(w);
	snprintf(hello.python, sizeof(hello.python), "%s", lg_worker_python(w));
	send_msg(msg_fd, MSG_HELLO, &hello, sizeof(hello), NULL, 0);
	if (t->kind == LG_TARGET_PYTEST && !t->spec)
		serve_tests(w, t, &hello, &l);

	err = lg_worker_run(w, t, serve, &l, &msg);
	if (err) {
		send_error(msg_fd, err, 0, msg);
		lg_worker_free(w);
		_exit(LG__EXIT_WORKLOAD);
	}
	lg_worker_free(w);
	_exit(LG__EXIT_PASS);
}
