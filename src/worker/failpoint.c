/* worker/failpoint.c: the worker at the failing point. Registers the GDB blob with the report
 * summary and the suspects, then, from inside the workload's Python frame, raises SIGTRAP
 * for a debugger or leaves a core file in the requested directory: through the kernel
 * when core_pattern writes plain files into the current directory, else through gcore. */
#define _GNU_SOURCE
#include <errno.h>
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

static int kernel_core(struct failpoint *fp, const char *final)
{
	char name[256], path[PATH_MAX];
	int status = 0;
	pid_t pid;

	if (getenv("LEAKGATE_CORE_WITH_GCORE"))
		return -1;  /* tests force the other way */
	pid = fork_copy(1, fp->dir);
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFSIGNALED(status) || !WCOREDUMP(status) ||
	    kernel_core_name(pid, name, sizeof(name)) ||
	    snprintf(path, sizeof(path), "%s/%s", fp->dir, name) >= (int)sizeof(path))
		return -1;
	return rename(path, final);
}

static int gcore(const char *final)
{
	const char *gdb = getenv("GCORE") ? getenv("GCORE") : "gcore";
	char *cmd = NULL, out[PATH_MAX + 32];
	int status = 0, r = -1;
	pid_t pid = fork_copy(0, NULL);

	if (pid < 0)
		return -1;
	/* Wait for the copy to stop, then let gcore attach and write FINAL.PID. */
	while (waitpid(pid, &status, WUNTRACED) < 0 && errno == EINTR)
		;
	if (WIFSTOPPED(status) &&
	    asprintf(&cmd, "%s -o '%s' %d >/dev/null 2>&1 </dev/null", gdb, final,
		     (int)pid) >= 0) {
		snprintf(out, sizeof(out), "%s.%d", final, (int)pid);
		if (system(cmd) == 0 && rename(out, final) == 0)
			r = 0;
	}
	free(cmd);
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return r;
}

/* Called from inside the workload's frame. */
static void stop_here(void *arg)
{
	struct failpoint *fp = arg;
	char final[PATH_MAX];

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
	    (int)sizeof(final)) {
		set_reply(fp, MSG_ERROR, "--core-dir: path too long");
		return;
	}
	if (kernel_core(fp, final) == 0 || gcore(final) == 0)
		set_reply(fp, MSG_CORE, "%s", final);
	else
		set_reply(fp, MSG_ERROR, "could not write a core into %s (core_pattern sends "
			  "cores elsewhere and gcore failed)", fp->dir);
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
