/* worker_main.c: the forked worker's side of the protocol: start CPython, load the
 * target, then for each STEP command call the workload once and send a snapshot. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static void send_msg(int fd, uint32_t type, const void *a, size_t alen,
		     const void *b, size_t blen)
{
	struct msg_hdr h = { type, (uint32_t)(alen + blen) };

	if (write_full(fd, &h, sizeof(h)) || write_full(fd, a, alen) ||
	    write_full(fd, b, blen))
		_exit(EXIT_INTERNAL);  /* the supervisor is gone */
}

static void send_error(int fd, int code, uint32_t iteration, const char *text)
{
	struct msg_error e = { code, iteration };

	if (!text)
		text = lg_strerror(code);
	send_msg(fd, MSG_ERROR, &e, sizeof(e), text, strlen(text) + 1);
}

void worker_main(const lg_target *t, int cmd_fd, int msg_fd)
{
	lg_worker_opts wo = { 0 };
	struct msg_hello hello = { 0 };
	lg_worker *w;
	lg_sample s;
	uint32_t iteration = 0;
	double start = 0;
	char *msg = NULL;
	char cmd;
	int err;

	signal(SIGPIPE, SIG_DFL);
	err = lg_worker_new(&wo, &w);
	if (err) {
		send_error(msg_fd, err, 0, "could not initialise CPython");
		_exit(EXIT_INTERNAL);
	}
	hello.available = lg_worker_available(w);
	snprintf(hello.python, sizeof(hello.python), "%s", lg_worker_python(w));
	send_msg(msg_fd, MSG_HELLO, &hello, sizeof(hello), NULL, 0);

	err = lg_worker_load(w, t, &msg);
	if (err) {
		send_error(msg_fd, err, 0, msg);
		lg_worker_free(w);
		_exit(EXIT_WORKLOAD);
	}
	send_msg(msg_fd, MSG_READY, NULL, 0, NULL, 0);

	for (;;) {
		ssize_t n = read(cmd_fd, &cmd, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 1 && cmd == CMD_FAILPOINT) {
			char *text = NULL;
			uint32_t type = failpoint_worker(w, cmd_fd, &text);
			struct msg_error e = { LG_EIO, iteration };

			if (!text)
				text = strdup("out of memory");
			if (type == MSG_ERROR && text)
				send_msg(msg_fd, type, &e, sizeof(e), text, strlen(text) + 1);
			else if (type && text)
				send_msg(msg_fd, type, text, strlen(text) + 1, NULL, 0);
			free(text);
			break;
		}
		if (n != 1 || cmd != CMD_STEP)
			break;
		if (iteration == 0)
			start = now();
		iteration++;
		err = lg_worker_call(w, &msg);
		if (err) {
			send_error(msg_fd, err, iteration, msg);
			lg_worker_free(w);
			_exit(EXIT_WORKLOAD);
		}
		lg_worker_snapshot(w, &s);
		s.iteration = iteration;
		s.warmup = 0;
		s.elapsed = now() - start;
		send_msg(msg_fd, MSG_SAMPLE, &s, sizeof(s), NULL, 0);
	}
	lg_worker_free(w);
	_exit(EXIT_PASS);
}
