/* supervisor/sentinel.c: ending every process of a run, whatever ends the supervisor: the
 * run's mark in each worker's environment, the sweep that ends every process carrying it,
 * and the sentinel, a small process that outlives a supervisor killed by SIGKILL just long
 * enough to end its workers' process groups and everything the run marked. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "supervisor.h"

/*
 * Why a mark in the environment, and a sentinel (issue 17).
 *
 * A worker leads a process group of its own, and dies with the supervisor
 * (PR_SET_PDEATHSIG, SIGKILL: the workload is arbitrary code that must not be able to
 * catch it). What the workload starts is harder to end:
 *
 * - A process group is left by setsid() or setpgid() (subprocess's start_new_session,
 *   any daemon): killing the worker's group misses it.
 * - The parent link breaks: an orphan is reparented to the nearest child subreaper
 *   (PR_SET_CHILD_SUBREAPER) or to init. A subreaper keeps a run's tree together only
 *   while it lives, and when the supervisor is killed by SIGKILL, no process of ours that
 *   is an ancestor of the workload survives it: the supervisor is dead, the worker gets
 *   its death signal in the same exit, and its children go to init before any other
 *   process of ours can read the tree. Putting a surviving reaper between the supervisor
 *   and each worker would make the worker's pid, wait status and cores another
 *   process's, and the fork server's CLONE_PARENT workers its children.
 * - Cgroups (the kernel's own answer: a group no descendant leaves) are not available to
 *   an unprivileged tool on every CI machine, nor are user and PID namespaces.
 *
 * What every descendant does inherit, through fork, exec, setsid() and a double fork
 * alike, is its environment (as Jenkins' process tree killer relies on). So each worker
 * starts with LG_RUN_ENV=RUN.N in its environment (RUN: 64 random bits, one per
 * supervisor process; N: the worker), and a sweep ends every process whose
 * /proc/PID/environ holds it: when a target ends (its worker's own mark), when the run is
 * interrupted, and from the sentinel when the supervisor is gone (the run's mark, and
 * every worker group it was told of, for a process that cleared its environment but
 * stayed in the group).
 *
 * What is not covered: a process that both leaves the worker's process group and
 * replaces its environment (execve() with an environment of its own, `env -i`,
 * subprocess's env=) is not found; nor, once the supervisor and the sentinel are both
 * killed outright at once, is anything the workload started. /proc/PID/environ shows the
 * environment a process was started with, so a process that changes its own afterwards
 * (os.environ, putenv) stays found.
 *
 * The sweep reads every process's environment once per pass (measured: 9-11 ms a pass
 * over ~130 processes on this 2-core machine at a load of 9, paid once per target) and is
 * async-signal-safe: it runs in lg_gate_interrupt's signal handler and in
 * the sentinel, a fork of a process that may have threads.
 */

static char run_id[17];        /* 16 hex digits, or empty before lg__sentinel_start */
static unsigned long workers;  /* the last N handed out */
static unsigned long swept;    /* marks swept after their worker's death */
static int sentinel_fd = -1;   /* the write end of the sentinel's pipe */
static pid_t sentinel_pid;
static pid_t owner;            /* the process that started it (not a forked worker) */
static unsigned users;         /* gates alive in this process */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Whether the environment in fd (a /proc/PID/environ) has an entry that starts with
 * pat[0..len) (with its NUL included, an entry equal to pat): 1 if it has, 0 if not, -1
 * when the environment is empty. */
static int environ_has(int fd, const char *pat, size_t len)
{
	char buf[4096];
	ssize_t n, i;
	long m = 0;  /* pat's bytes matched in the current entry; -1: it differs */
	int empty = 1;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		empty = 0;
		for (i = 0; i < n; i++) {
			if (m >= 0) {
				if (buf[i] == pat[m]) {
					if ((size_t)++m == len)
						return 1;
				} else {
					m = -1;
				}
			}
			if (buf[i] == '\0')
				m = 0;
		}
	}
	return empty ? -1 : 0;
}

/* A /proc entry's pid, or 0 when the name is not one. */
static pid_t parse_pid(const char *s)
{
	long v = 0;

	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 1L << 30)
			return 0;
		v = v * 10 + (*s - '0');
	}
	return (pid_t)v;
}

/* Whether /proc/PID/environ (path) holds the pattern, as environ_has says. */
static int marked(const char *path, const char *pat, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), hit = 0;

	if (fd >= 0) {
		hit = environ_has(fd, pat, len);
		close(fd);
	}
	return hit;
}

/* Ends pid with SIGKILL if its environment holds the pattern: 1 if it did. A match is
 * read again through a pidfd opened after it, so that a pid reused meanwhile is never
 * hit (the pidfd names one process; the second read shows it still holds the mark).
 * -1 when the environment reads empty but the process runs a program (a kernel thread
 * has none): so it reads in the middle of an execve(), between the new memory and the
 * environment copied into it, and may yet prove marked. */
static int end_marked(pid_t pid, const char *pat, size_t len)
{
	char path[32] = "/proc/", digits[16], exe[8];
	size_t k = strlen(path);
	int nd = 0, pfd, hit;
	pid_t p = pid;

	do
		digits[nd++] = (char)('0' + p % 10);
	while ((p /= 10) && nd < (int)sizeof(digits));
	while (nd)
		path[k++] = digits[--nd];
	memcpy(path + k, "/environ", sizeof("/environ"));
	hit = marked(path, pat, len);
	if (hit < 0) {
		memcpy(path + k, "/exe", sizeof("/exe"));
		return readlink(path, exe, sizeof(exe)) > 0 ? -1 : 0;
	}
	if (!hit)
		return 0;
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0) {
		if (errno != ENOSYS)
			return 0;  /* gone */
		kill(pid, SIGKILL);  /* Linux before 5.3 */
		return 1;
	}
	hit = marked(path, pat, len) > 0 &&
	      syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0) == 0;
	close(pfd);
	return hit;
}

#define SWEEP_WAITS 4

size_t lg__sweep(const char *pat, size_t len)
{
	pid_t ended[256], self = getpid();
	size_t nended = 0, total = 0, pass, waits = 0;

	if (!len)
		return 0;
	/* A pass can miss a child forked after /proc was read past its pid; the next one
	 * sees it. A process that has the SIGKILL cannot fork any more, so the passes stop
	 * once one finds nothing new. But one caught in an execve() (end_marked's -1) gets
	 * another pass a millisecond later, up to SWEEP_WAITS: its mark, if it has one, is
	 * there once the call is done. A process whose environment is truly empty costs a
	 * sweep those few milliseconds. */
	for (pass = 0; pass < 32; pass++) {
		char buf[4096];
		size_t fresh = 0, unsure = 0;
		long n;
		int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dir < 0)
			break;
		while ((n = (long)getdents64(dir, buf, sizeof(buf))) > 0) {
			long off = 0;

			while (off < n) {
				struct dirent64 *d = (struct dirent64 *)(buf + off);
				pid_t pid = parse_pid(d->d_name);
				size_t i;
				int r;

				off += d->d_reclen;
				if (pid <= 1 || pid == self)
					continue;
				for (i = 0; i < nended && ended[i] != pid; i++)
					;
				if (i < nended)
					continue;  /* dying already */
				r = end_marked(pid, pat, len);
				unsure += r < 0;
				if (r <= 0)
					continue;
				fresh++;
				if (nended < sizeof(ended) / sizeof(ended[0]))
					ended[nended++] = pid;
			}
		}
		close(dir);
		total += fresh;
		if (!fresh && (!unsure || waits++ >= SWEEP_WAITS))
			break;
		if (!fresh) {
			struct timespec ms = { 0, 1000000 };

			nanosleep(&ms, NULL);
		}
	}
	return total;
}

size_t lg__sweep_run(void)
{
	char pat[sizeof(LG_RUN_ENV) + sizeof(run_id) + 1];
	size_t n = sizeof(LG_RUN_ENV) - 1;

	if (!run_id[0])
		return 0;
	memcpy(pat, LG_RUN_ENV "=", n + 1);
	memcpy(pat + n + 1, run_id, 16);
	pat[n + 17] = '.';
	return lg__sweep(pat, n + 18);
}

size_t lg__sweep_mark(const char *mark)
{
	size_t n = lg__sweep(mark, strlen(mark) + 1);

	__atomic_add_fetch(&swept, 1, __ATOMIC_SEQ_CST);
	return n;
}

void lg__run_mark(char *buf, size_t cap)
{
	if (!run_id[0] || snprintf(buf, cap, LG_RUN_ENV "=%s.%lu", run_id,
				   __atomic_add_fetch(&workers, 1, __ATOMIC_SEQ_CST)) >= (int)cap)
		buf[0] = '\0';
}

/* The sentinel: keeps the groups the supervisor names (+pgid when a worker starts, -pgid
 * when it is reaped) until the end of the pipe, that is the supervisor's exit, however it
 * came; then ends them and the run's marked processes. A 0 from a supervisor that stops
 * normally says that each worker's mark was swept after its death (lg__sweep_mark), so
 * no process of the run can carry one: the sweep of /proc, which reads every process's
 * environment, is skipped. In its own process group, so that a terminal's ^C or a kill of
 * the supervisor's group leaves it to do its work. Calls only async-signal-safe functions
 * (its parent may have threads). */
static void __attribute__((noreturn)) sentinel(int fd)
{
	static const int quiet[] = { SIGINT, SIGHUP, SIGPIPE, SIGTERM };
	pid_t groups[256];
	size_t n = 0, i;
	int32_t v;
	int all_swept = 0;
	sigset_t none;
	int null;

	setpgid(0, 0);
	for (i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
		signal(quiet[i], SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	/* Nothing of the supervisor's kept open: a pipe held here would not report EOF. */
	if (fd > 3)
		close_range(3, (unsigned)fd - 1, 0);
	close_range((unsigned)fd + 1, ~0u, 0);
	for (;;) {
		ssize_t r = read(fd, &v, sizeof(v));

		if (r < 0 && errno == EINTR)
			continue;
		if (r != sizeof(v))
			break;
		if (v == 0) {
			all_swept = 1;
		} else if (v > 0 && n < sizeof(groups) / sizeof(groups[0])) {
			groups[n++] = v;
		} else if (v < 0) {
			for (i = 0; i < n && groups[i] != -v; i++)
				;
			if (i < n)
				groups[i] = groups[--n];
		}
	}
	for (i = 0; i < n; i++)
		kill(-groups[i], SIGKILL);
	if (!all_swept)
		lg__sweep_run();
	_exit(0);
}

int lg__sentinel_start(void)
{
	unsigned char bytes[8];
	size_t i;

	pthread_mutex_lock(&lock);
	if (!users++ && !run_id[0]) {
		if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes)) {
			uint64_t x = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL) ^
				     (uint64_t)(uintptr_t)&bytes;

			memcpy(bytes, &x, sizeof(bytes));
		}
		for (i = 0; i < sizeof(bytes); i++)
			snprintf(run_id + 2 * i, 3, "%02x", bytes[i]);
	}
	pthread_mutex_unlock(&lock);
	return 0;
}

/*
 * The sentinel is forked when the first worker has been: `leakgate gdb -- leakgate run`
 * has GDB follow the first fork (follow-fork-mode child), which must be the worker's. In
 * the short time before, a supervisor killed outright leaves the first worker, which has
 * not run the workload yet, to its death signal alone.
 */
int lg__sentinel_ensure(void)
{
	int p[2], err = 0;

	pthread_mutex_lock(&lock);
	if (!users || sentinel_pid > 0)
		goto out;
	if (pipe2(p, O_CLOEXEC) < 0) {
		err = -1;
		goto out;
	}
	sentinel_pid = fork();
	if (sentinel_pid == 0) {
		close(p[1]);
		sentinel(p[0]);
	}
	close(p[0]);
	if (sentinel_pid < 0) {
		close(p[1]);
		sentinel_pid = 0;
		err = -1;
		goto out;
	}
	/* A sentinel that stopped reading must never block the supervisor. */
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	owner = getpid();
	__atomic_store_n(&sentinel_fd, p[1], __ATOMIC_SEQ_CST);
out:
	pthread_mutex_unlock(&lock);
	return err;
}

void lg__sentinel_stop(void)
{
	int fd;

	pthread_mutex_lock(&lock);
	if (users && !--users && sentinel_pid > 0) {
		int32_t done = 0;

		fd = __atomic_exchange_n(&sentinel_fd, -1, __ATOMIC_SEQ_CST);
		/* No gate is alive here, so no worker: every mark handed out was swept, or is
		 * counted as not (a worker that never started), and the sentinel sweeps. */
		if (__atomic_load_n(&swept, __ATOMIC_SEQ_CST) ==
		    __atomic_load_n(&workers, __ATOMIC_SEQ_CST)) {
			ssize_t r = write(fd, &done, sizeof(done));

			(void)r;  /* a full pipe: the sentinel sweeps, as it would have */
		}
		close(fd);
		while (waitpid(sentinel_pid, NULL, 0) < 0 && errno == EINTR)
			;
		sentinel_pid = 0;
	}
	pthread_mutex_unlock(&lock);
}

void lg__sentinel_watch(pid_t pgid, int on)
{
	int fd = __atomic_load_n(&sentinel_fd, __ATOMIC_SEQ_CST), e = errno;
	int32_t v = on ? (int32_t)pgid : -(int32_t)pgid;

	if (fd >= 0 && pgid > 0 && getpid() == owner && write(fd, &v, sizeof(v)) < 0)
		errno = e;  /* a full pipe: the sweep still finds the group's marked processes */
	errno = e;
}
