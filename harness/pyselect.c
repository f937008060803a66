/* pyselect.c: `leakgate run --python PYTHON`: asks PYTHON which CPython it is, finds the
 * leakgate build for that version and ABI, and re-executes it when this one is not. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "paths.h"

#ifndef LG_PYTHON_TAG
#define LG_PYTHON_TAG "unknown"
#endif

/* Set to the wanted tag across a re-execution, so that a build which turns out not to be
 * for that tag fails instead of looping. */
#define REEXEC_ENV "LEAKGATE_REEXEC"

/* Read no more than this from the interpreter (something else could print forever). */
#define QUERY_MAX 16384

/* The line the interpreter prints about itself, found among whatever else it prints.
 * The tag is the version and ABI flags ("3.12.1", "3.11.2d"), as the Makefile names the
 * build directories; sys.executable of a venv's bin/python stays inside the venv. */
#define QUERY_MARK "leakgate-python:"
static const char query[] =
	"import sys; print('" QUERY_MARK "', sys.implementation.name, "
	"sys.version.split()[0] + getattr(sys, 'abiflags', ''), sys.executable)";

struct pyinfo {
	char impl[32];
	char tag[32];
	char executable[PATH_MAX];
};

#define QUERY_SECONDS 10

/* Runs PYTHON -I -S -c query with stdout and stderr into one pipe; returns its exit
 * status, or -1 with errno (ETIMEDOUT after QUERY_SECONDS without an answer). The output (NUL-terminated, cut at QUERY_MAX) goes to buf. */
static int run_query(const char *python, char *buf, size_t cap)
{
	char *const argv[] = { (char *)python, "-I", "-S", "-c", (char *)query, NULL };
	posix_spawn_file_actions_t fa;
	size_t len = 0;
	pid_t pid;
	int fds[2], status, err, timed_out = 0;
	time_t deadline = time(NULL) + QUERY_SECONDS;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	err = posix_spawnp(&pid, python, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (err) {
		close(fds[0]);
		errno = err;
		return -1;
	}
	for (;;) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		int left = (int)(deadline - time(NULL)), r;
		ssize_t n;

		/* A program that never answers is no interpreter: it gets QUERY_SECONDS. */
		if (left <= 0 || (r = poll(&pfd, 1, left * 1000)) == 0) {
			timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
		if (r < 0 && errno == EINTR)
			continue;
		n = r < 0 ? -1 : read(fds[0], buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == cap - 1) {
			kill(pid, SIGKILL);
			break;
		}
	}
	buf[len] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (timed_out) {
		errno = ETIMEDOUT;
		return -1;
	}
	return status;
}

/* Asks PYTHON about itself. 0, or -1 with a reason in why. */
static int query_python(const char *python, struct pyinfo *out, char *why, size_t whylen)
{
	char *buf = malloc(QUERY_MAX), *line, *end;
	int status = -1;

	if (!buf)
		die(EXIT_INTERNAL, "out of memory");
	status = run_query(python, buf, QUERY_MAX);
	if (status < 0) {
		if (errno == ETIMEDOUT)
			snprintf(why, whylen, "it did not answer in %d s (is it a Python?)",
				 QUERY_SECONDS);
		else
			snprintf(why, whylen, "cannot run it: %s", strerror(errno));
		goto fail;
	}
	for (line = buf; line; line = (end = strchr(line, '\n')) ? end + 1 : NULL) {
		if (strncmp(line, QUERY_MARK " ", sizeof(QUERY_MARK)) == 0)
			break;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !line ||
	    sscanf(line + sizeof(QUERY_MARK), "%31s %31s %4095[^\n]", out->impl, out->tag,
		   out->executable) != 3) {
		/* Its own first line says most: "Unknown option: -I", pyenv's "command not
		 * found", a shell's "cannot execute binary file"... */
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(why, whylen, "not a Python 3 interpreter%s%.200s", buf[0] ? ": " : "",
			 buf);
		goto fail;
	}
	free(buf);
	return 0;
fail:
	free(buf);
	return -1;
}

/* Whether `path` names an executable file; if so it is stored in *out (malloc'd). */
static int try_path(char **out, const char *fmt, const char *dir, const char *tag)
{
	char *path;

	if (asprintf(&path, fmt, dir, tag) < 0)
		die(EXIT_INTERNAL, "out of memory");
	if (access(path, X_OK) == 0) {
		*out = path;
		return 1;
	}
	free(path);
	return 0;
}

/* Whether the python.id at `path` (a build's "TAG EXECUTABLE") names tag. */
static int id_names(const char *path, const char *tag)
{
	char line[64] = "";
	size_t n = strlen(tag);
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	return strncmp(line, tag, n) == 0 && line[n] == ' ';
}

/* The leakgate binary built for CPython `tag`, looked for around this one (in `dir`). In
 * the build tree the default build (build/) holds the versioned ones (build/py3.12.1/),
 * which are siblings to each other; the default build, seen from a versioned one, is
 * known by its python.id. Installed, harness/paths.c says where. Returns a malloc'd
 * path, or NULL. */
static char *find_build(const char *dir, const char *tag)
{
	char *path = NULL, *id, installed[PATH_MAX];

	if (installed_build(tag, installed, sizeof(installed)) == 0)
		return try_path(&path, "%s%s", installed, "") ? path : NULL;
	if (try_path(&path, "%s/py%s/leakgate", dir, tag) ||
	    try_path(&path, "%s/../py%s/leakgate", dir, tag))
		return path;
	if (asprintf(&id, "%s/../python.id", dir) < 0)
		die(EXIT_INTERNAL, "out of memory");
	if (id_names(id, tag))
		try_path(&path, "%s/../%s", dir, "leakgate");
	free(id);
	return path;
}

/* The version part of a tag ("3.11.2d" -> 3, 11). */
static int tag_version(const char *tag, int *major, int *minor)
{
	return sscanf(tag, "%d.%d", major, minor) == 2 ? 0 : -1;
}

const char *python_select(const char *python, int argc, char **argv)
{
	static struct pyinfo info;
	char why[512], base[PATH_MAX], *build, **args;
	const char *dir, *reexec = getenv(REEXEC_ENV);
	int major, minor, i;

	if (query_python(python, &info, why, sizeof(why)) < 0)
		die(EXIT_USAGE, "--python %s: %s", python, why);
	if (strcmp(info.impl, "cpython") != 0)
		die(EXIT_USAGE, "--python %s is %s %s: leakgate embeds CPython only", python,
		    info.impl, info.tag);
	if (tag_version(info.tag, &major, &minor) < 0 || major != 3 || minor < 8)
		die(EXIT_USAGE, "--python %s is CPython %s: leakgate needs CPython 3.8 or later",
		    python, info.tag);
	if (strcmp(info.tag, LG_PYTHON_TAG) == 0) {
		unsetenv(REEXEC_ENV);  /* not for the workload's own leakgate runs */
		return info.executable;
	}
	if (reexec && strcmp(reexec, info.tag) == 0)
		die(EXIT_INTERNAL, "the build re-executed for CPython %s is for CPython %s",
		    info.tag, LG_PYTHON_TAG);

	if (!(dir = exe_dir()))
		die(EXIT_INTERNAL, "cannot find the leakgate executable: %s", strerror(errno));
	build = find_build(dir, info.tag);
	if (!build) {
		/* The base interpreter (a venv's links to it), to build against. */
		if (!realpath(info.executable, base))
			snprintf(base, sizeof(base), "%s", info.executable);
		die(EXIT_USAGE, "no leakgate build for CPython %s (--python %s); build one in "
		    "leakgate's source tree with: make PYTHON=%s%s", info.tag, python, base,
		    install_prefix() ? " install" : "");
	}
	args = calloc((size_t)argc + 2, sizeof(*args));
	if (!args)
		die(EXIT_INTERNAL, "out of memory");
	args[0] = build;
	for (i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	if (setenv(REEXEC_ENV, info.tag, 1) < 0)
		die(EXIT_INTERNAL, "out of memory");
	fflush(NULL);
	execv(build, args);
	die(EXIT_INTERNAL, "cannot run %s: %s", build, strerror(errno));
}
