/* worker/sysstat.c: process counters from glibc and /proc: heap in use, RSS, descriptors,
 * threads and child processes. None of them allocates, so they can be read in any order
 * after a collection. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "worker.h"

int64_t lg__native_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	/* uordblks: in use in the arenas; hblkhd: chunks glibc mmap'd on their own. */
	return (int64_t)(mi.uordblks + mi.hblkhd);
}

/*
 * The resident set and the thread count, from one read of /proc/self/stat (proc(5):
 * field 20 num_threads, field 24 rss in pages; the kernel reads rss as statm's resident
 * does, and num_threads counts what /proc/self/task lists), after the last ')', since
 * field 2, the command name, may hold spaces and parentheses. -1 in each on failure.
 */
static void proc_stat(int64_t *rss, int64_t *threads)
{
	char buf[1024], *p, *end;
	ssize_t n;
	int field, fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

	*rss = *threads = -1;
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return;
	p++;
	for (field = 3; field <= 24; field++) {
		while (*p == ' ')
			p++;
		if (field == 20 || field == 24) {
			long long v = strtoll(p, &end, 10);

			if (end == p)
				return;
			if (field == 20)
				*threads = v;
			else
				*rss = (int64_t)v * sysconf(_SC_PAGESIZE);
		}
		p += strcspn(p, " ");
	}
}

/* Calls fn(name, arg) for each entry of a /proc directory other than "." and "..",
 * through getdents64 into a buffer on the stack (opendir would malloc); counts the entries
 * fn returns nonzero for (every entry without fn). -1 if the directory cannot be read. */
static int64_t count_matching(const char *dir, int (*fn)(const char *, void *), void *arg)
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
			    (d->d_name[1] == '.' && d->d_name[2] == '\0'))) &&
			    (!fn || fn(d->d_name, arg)))
				count++;
			off += d->d_reclen;
		}
	}
	close(fd);
	return n < 0 ? -1 : count;
}

static int64_t count_entries(const char *dir)
{
	return count_matching(dir, NULL, NULL);
}

/* Whether /proc/NAME is a process whose parent is *(pid_t *)arg: its stat reads
 * "PID (COMM) STATE PPID ...", COMM being anything up to the last ')'. */
static int child_of(const char *name, void *arg)
{
	char path[64], buf[512], *p, *end;
	const char *c;
	ssize_t n;
	long ppid;
	int fd;

	for (c = name; *c; c++)
		if (*c < '0' || *c > '9')
			return 0;
	snprintf(path, sizeof(path), "/proc/%s/stat", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;  /* gone meanwhile */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2] || p[3] != ' ')
		return 0;
	ppid = strtol(p + 4, &end, 10);
	return end != p + 4 && ppid == (long)*(pid_t *)arg;
}

/* Adds the pids listed in /proc/self/task/NAME/children (the children the thread NAME
 * forked, zombies included) to *(int64_t *)arg; -1 there when the file cannot be read.
 * A thread that ended meanwhile lists none. */
static int add_task_children(const char *name, void *arg)
{
	int64_t *sum = arg;
	char path[64], buf[512];
	int fd, in_pid = 0;
	ssize_t n, i;

	snprintf(path, sizeof(path), "/proc/self/task/%s/children", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT && errno != ESRCH)
			*sum = -1;
		return 0;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0 && *sum >= 0) {
		for (i = 0; i < n; i++) {
			int digit = buf[i] >= '0' && buf[i] <= '9';

			if (digit && !in_pid)
				++*sum;
			in_pid = digit;
		}
	}
	if (n < 0)
		*sum = -1;
	close(fd);
	return 0;
}

/* Whether the kernel lists a thread's children (CONFIG_PROC_CHILDREN, which some
 * distributions' kernels lack): 1, 0, or -1 before the first look. */
static int children_files = -1;

/* Child processes, running or exited and never waited for (zombies). The kernel is
 * asked first whether there is any child at all: waitid() fails with ECHILD exactly when
 * the process has no child, running, stopped or a zombie, of any kind (__WALL, as
 * child_of does not look at how a child was made). WNOHANG returns at once and WNOWAIT
 * leaves a zombie to be waited for, so the workload's own waits see what they would have.
 * When there is one (or the kernel refuses the flags: __WALL in waitid is Linux 4.7),
 * they are counted: where the kernel lists each thread's children
 * (/proc/self/task/TID/children), from those lists, a few reads; elsewhere every process
 * in /proc is looked at, each one's stat read for its parent, which costs a millisecond
 * or more per snapshot on a machine running a hundred processes. */
int64_t lg__count_children(void)
{
	pid_t me = getpid();
	siginfo_t si;
	int saved = errno, none;

	memset(&si, 0, sizeof(si));
	none = waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) < 0 && errno == ECHILD;
	errno = saved;
	if (none)
		return 0;
	if (children_files < 0) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/task/%ld/children",
			 (long)syscall(SYS_gettid));
		children_files = access(path, R_OK) == 0;
	}
	if (children_files) {
		int64_t sum = 0;

		if (count_matching("/proc/self/task", add_task_children, &sum) >= 0 && sum >= 0)
			return sum;
	}
	return count_matching("/proc", child_of, &me);
}

int64_t lg__count_fds(void)
{
	int64_t n = count_entries("/proc/self/fd");

	return n < 0 ? n : n - 1;  /* less the descriptor doing the counting */
}

/* A joined thread lingers in the count for a moment: when it moved since the last
 * reading, read again after a millisecond, a few times, and keep the lowest. The first
 * reading has nothing to compare with, and waits for nothing. */
void lg__rss_threads(int64_t *rss, int64_t *threads)
{
	static int64_t last = -1;
	struct timespec ms = { 0, 1000000 };
	int i;

	proc_stat(rss, threads);
	for (i = 0; *threads >= 0 && last >= 0 && *threads != last && i < 5; i++) {
		int64_t again, ignored;

		nanosleep(&ms, NULL);
		proc_stat(&ignored, &again);
		if (again < 0 || again >= *threads)
			break;
		*threads = again;
	}
	last = *threads;
}

int64_t lg__count_threads(void)
{
	int64_t rss, threads;

	proc_stat(&rss, &threads);
	return threads;
}
