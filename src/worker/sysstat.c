/* worker/sysstat.c: process counters from glibc and /proc: heap in use, RSS, descriptors and
 * threads. None of them allocates, so they can be read in any order after a collection. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "worker.h"

int64_t lg__native_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	/* uordblks: in use in the arenas; hblkhd: chunks glibc mmap'd on their own. */
	return (int64_t)(mi.uordblks + mi.hblkhd);
}

int64_t lg__rss_bytes(void)
{
	char buf[128];
	ssize_t n;
	char *p, *end;
	long long resident;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	strtoll(buf, &p, 10);  /* size; resident follows */
	resident = strtoll(p, &end, 10);
	if (end == p)
		return -1;
	return (int64_t)resident * sysconf(_SC_PAGESIZE);
}

/* Entries of a /proc directory other than "." and "..", through getdents64 into a
 * buffer on the stack (opendir would malloc). */
static int64_t count_entries(const char *dir)
{
	char buf[4096] __attribute__((aligned(8)));
	int64_t count = 0;
	long n;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		long off = 0;

		while (off < n) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			if (!(d->d_name[0] == '.' && (d->d_name[1] == '\0' ||
			    (d->d_name[1] == '.' && d->d_name[2] == '\0'))))
				count++;
			off += d->d_reclen;
		}
	}
	close(fd);
	return n < 0 ? -1 : count;
}

int64_t lg__count_fds(void)
{
	int64_t n = count_entries("/proc/self/fd");

	return n < 0 ? n : n - 1;  /* less the descriptor doing the counting */
}

/* A joined thread lingers in /proc/self/task for a moment: when the count moved since
 * the last reading, read again after a millisecond, a few times, and keep the lowest. */
int64_t lg__count_threads(void)
{
	static int64_t last = -1;
	struct timespec ms = { 0, 1000000 };
	int64_t n = count_entries("/proc/self/task");
	int i;

	for (i = 0; n >= 0 && n != last && i < 5; i++) {
		int64_t again;

		nanosleep(&ms, NULL);
		again = count_entries("/proc/self/task");
		if (again < 0 || again >= n)
			break;
		n = again;
	}
	last = n;
	return n;
}
