/* protocol.c: the pipe I/O both sides of the protocol use (protocol.h): writes and reads
 * that finish or fail, with an optional deadline, on the monotonic clock. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"

double lg__now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int lg__write_full(int fd, const void *buf, size_t len)
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

int lg__write_msg(int fd, const void *hdr, size_t hlen, const void *a, size_t alen,
		  const void *b, size_t blen)
{
	struct iovec v[3] = { { (void *)hdr, hlen }, { (void *)a, alen }, { (void *)b, blen } };
	size_t total = hlen + alen + blen, done = 0, i;

	if (total <= PIPE_BUF) {
		ssize_t n;

		do
			n = writev(fd, v, 3);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -1;
		done = (size_t)n;  /* all of it on a pipe; the rest in turn otherwise */
	}
	for (i = 0; i < 3; i++) {
		if (done >= v[i].iov_len) {
			done -= v[i].iov_len;
			continue;
		}
		if (lg__write_full(fd, (const char *)v[i].iov_base + done, v[i].iov_len - done))
			return -1;
		done = 0;
	}
	return 0;
}

int lg__read_until(int fd, void *buf, size_t len, double deadline)
{
	char *p = buf;

	while (len > 0) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int ms = -1, r;
		ssize_t n;

		if (deadline > 0) {
			double left = deadline - lg__now();

			if (left <= 0)
				return 1;
			/* poll() takes an int of milliseconds: a longer wait is served in
			 * turns (the loop comes back here). */
			ms = left < INT_MAX / 1000 ? (int)(left * 1000) + 1 : INT_MAX;
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

int lg__read_full(int fd, void *buf, size_t len)
{
	return lg__read_until(fd, buf, len, 0) ? -1 : 0;
}
