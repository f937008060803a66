/* worker/failpoint.c: the worker at the failing point. Registers the GDB blob with the report
 * summary and the suspects, then, from inside the workload's Python frame, raises SIGTRAP
 * for a debugger or leaves a core file in the requested directory: through the kernel
 * when core_pattern writes plain files into the current directory, else through gcore
 * (started with an argument vector, never a shell). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "worker.h"

struct failpoint {
	uint32_t mode;
	char *dir;
	uint32_t reply;   /* MSG_CORE or MSG_ERROR */
	char *text;
};

static char *read_string(int fd, uint32_t len)
{
	char *s = len <= (1u << 20) ? malloc(len + 1) : NULL;

	if (!s || lg__read_full(fd, s, len)) {
		free(s);
		return NULL;
	}
	s[len] = '\0';
	return s;
}

static void set_reply(struct failpoint *fp, uint32_t type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_reply(struct failpoint *fp, uint32_t type, const char *fmt, ...)
{
	va_list ap;

	free(fp->text);
	va_start(ap, fmt);
	if (vasprintf(&fp->text, fmt, ap) < 0)
		fp->text = NULL;
	va_end(ap);
	fp->reply = type;
}

static int traced(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int pid = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &pid) == 1)
			break;
	if (f)
		fclose(f);
	return pid != 0;
}

/* The file name the kernel gives a core of `pid` in its working directory, or -1 when
 * core_pattern sends it elsewhere (a pipe, an absolute path) or uses unknown fields. */
static int kernel_core_name(pid_t pid, char *out, size_t cap)
{
	char pattern[256] = "", *p;
	size_t n = 0;
	int uses_pid = 0, has_pid = 0;
	FILE *f = fopen("/proc/sys/kernel/core_pattern", "r");

	if (!f || !fgets(pattern, sizeof(pattern), f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	pattern[strcspn(pattern, "\n")] = '\0';
	if (!pattern[0] || pattern[0] == '|' || strchr(pattern, '/'))
		return -1;
	f = fopen("/proc/sys/kernel/core_uses_pid", "r");
	if (f) {
		uses_pid = fgetc(f) == '1';
		fclose(f);
	}
	for (p = pattern; *p && n + 16 < cap; p++) {
		if (*p != '%') {
			out[n++] = *p;
			continue;
		}
		p++;
		if (*p == 'p' || *p == 'P') {
			n += (size_t)snprintf(out + n, cap - n, "%d", (int)pid);
			has_pid = 1;
		} else if (*p == '%') {
			out[n++] = '%';
		} else {
			return -1;  /* %e, %t, %h...: not worth guessing */
		}
	}
	out[n] = '\0';
	if (uses_pid && !has_pid)
		snprintf(out + n, cap - n, ".%d", (int)pid);
	return 0;
}

/* A copy of this process that stops (gcore) or aborts (kernel core) at once. */
static pid_t fork_copy(int abort_it, const char *dir)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	if (abort_it) {
		struct rlimit rl;

		if (getrlimit(RLIMIT_CORE, &rl) == 0) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_CORE, &rl);
		}
		if (chdir(dir) < 0)
			_exit(127);
		signal(SIGABRT, SIG_DFL);
		raise(SIGABRT);
		_exit(127);
	}
	raise(SIGSTOP);
	_exit(0);
}

/* The kernel's core of an aborted copy whose working directory is `priv`, renamed to
 * `final`: 0, or -1 when core_pattern sends it elsewhere. */
static int kernel_core(const char *priv, const char *final)
{
	char name[256], path[PATH_MAX];
	int status = 0;
	pid_t pid;

	if (getenv("LEAKGATE_CORE_WITH_GCORE"))
		return -1;  /* tests force the other way */
	pid = fork_copy(1, priv);
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFSIGNALED(status) || !WCOREDUMP(status) ||
	    kernel_core_name(pid, name, sizeof(name)) ||
	    snprintf(path, sizeof(path), "%s/%s", priv, name) >= (int)sizeof(path))
		return -1;
	if (chmod(path, 0600) < 0 || rename(path, final) < 0) {
		unlink(path);
		return -1;
	}
	return 0;
}

/* Runs `gcore -o PREFIX PID` (GCORE names another program) with an argument vector, no
 * shell, its output discarded, under umask 077; returns its wait status or -1. */
static int run_gcore(const char *prefix, pid_t target)
{
	const char *gdb = getenv("GCORE") && *getenv("GCORE") ? getenv("GCORE") : "gcore";
	char pid_arg[16];
	int status = -1;
	pid_t pid;

	snprintf(pid_arg, sizeof(pid_arg), "%d", (int)target);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		umask(077);
		execlp(gdb, gdb, "-o", prefix, pid_arg, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* A core of a stopped copy through gcore, written into `priv` and renamed to `final`,
 * mode 0600 (the kernel's own mode for cores). 0 or -1. */
static int gcore(const char *priv, const char *final)
{
	char prefix[PATH_MAX], out[PATH_MAX + 16];
	int status = 0, r = -1;
	pid_t pid = fork_copy(0, NULL);

	if (pid < 0)
		return -1;
	/* Wait for the copy to stop, then let gcore attach and write PRIV/core.PID. */
	while (waitpid(pid, &status, WUNTRACED) < 0 && errno == EINTR)
		;
	if (WIFSTOPPED(status) &&
	    snprintf(prefix, sizeof(prefix), "%s/core", priv) < (int)sizeof(prefix)) {
		snprintf(out, sizeof(out), "%s.%d", prefix, (int)pid);
		status = run_gcore(prefix, pid);
		if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		    chmod(out, 0600) == 0 && rename(out, final) == 0)
			r = 0;
		else
			unlink(out);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return r;
}

/* Removes the private directory and anything a failed attempt left in it. */
static void remove_private(const char *priv)
{
	DIR *d = opendir(priv);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(priv);
}

/* Called from inside the workload's frame. The core is made in a directory of its own
 * (DIR/.leakgate-core.XXXXXX, mode 0700), whatever name core_pattern gives it, so that
 * concurrent runs in one DIR never write or rename each other's; its final name,
 * DIR/core.leakgate.PID, holds this worker's pid. */
static void stop_here(void *arg)
{
	struct failpoint *fp = arg;
	char final[PATH_MAX], priv[PATH_MAX];

	if (fp->mode == LG_ON_LEAK_TRAP) {
		if (!traced()) {
			set_reply(fp, MSG_ERROR, "--on-leak=trap: no debugger is attached to the "
				  "worker (pid %d); run it under leakgate gdb -- ...", (int)getpid());
			return;
		}
		raise(SIGTRAP);
		return;
	}
	if (snprintf(final, sizeof(final), "%s/core.leakgate.%d", fp->dir, (int)getpid()) >=
	    (int)sizeof(final) ||
	    snprintf(priv, sizeof(priv), "%s/.leakgate-core.XXXXXX", fp->dir) >=
	    (int)sizeof(priv)) {
		set_reply(fp, MSG_ERROR, "--core-dir: path too long");
		return;
	}
	if (!mkdtemp(priv)) {
		set_reply(fp, MSG_ERROR, "--core-dir %s: cannot create files there: %s", fp->dir,
			  strerror(errno));
		return;
	}
	if (kernel_core(priv, final) == 0 || gcore(priv, final) == 0)
		set_reply(fp, MSG_CORE, "%s", final);
	else
		set_reply(fp, MSG_ERROR, "could not write a core into %s (core_pattern sends "
			  "cores elsewhere and gcore failed)", fp->dir);
	remove_private(priv);
}

uint32_t lg__failpoint_worker(lg_worker *w, int cmd_fd, char **text)
{
	struct cmd_failpoint c;
	struct failpoint fp = { 0 };
	lg_suspect suspects[8];
	char *summary = NULL, *msg = NULL;
	size_t n;
	int err;

	*text = NULL;
	if (lg__read_full(cmd_fd, &c, sizeof(c)) || !(fp.dir = read_string(cmd_fd, c.dir_len)) ||
	    !(summary = read_string(cmd_fd, c.summary_len))) {
		free(fp.dir);
		return 0;  /* the supervisor is gone */
	}
	fp.mode = c.mode;
	n = lg_worker_suspects(w, suspects, sizeof(suspects) / sizeof(suspects[0]));
	err = lg_worker_failpoint(w, summary, suspects, n, stop_here, &fp, &msg);
	if (err)
		set_reply(&fp, MSG_ERROR, "the failing point's extra call failed: %s",
			  msg ? msg : lg_strerror(err));
	free(msg);
	free(summary);
	free(fp.dir);
	*text = fp.text;
	return fp.reply;
}
