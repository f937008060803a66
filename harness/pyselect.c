/* pyselect.c: `leakgate run --python PYTHON`: finds which CPython PYTHON is, and the
 * leakgate build for that version and ABI, and re-executes that build when this one is
 * not it. PYTHON is run (asked about itself) only when no build knows its file. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <glob.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "paths.h"

#ifndef LG_PYTHON_TAG
#define LG_PYTHON_TAG "unknown"
#endif
/* The interpreter file this build was made with (a real path) and its stamp ("SIZE:MTIME",
 * the Makefile's PY_STAMP); empty when unknown. */
#ifndef LG_PYTHON_EXECUTABLE
#define LG_PYTHON_EXECUTABLE ""
#endif
#ifndef LG_PYTHON_STAMP
#define LG_PYTHON_STAMP ""
#endif

/* Set across a re-execution: the wanted tag, so that a build which turns out not to be for
 * that tag fails instead of looping; after a query, also what it answered ("TAG\tPYTHON\t
 * EXECUTABLE"), so that the build re-executed does not ask the same interpreter again. */
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

/* PYTHON as a path the way the interpreter names itself in sys.executable: looked up in
 * PATH when it has no slash (as posix_spawnp runs it), made absolute, its symbolic links
 * kept (a venv's bin/python is known by where it lies). 0, or -1 when not found. */
static int resolve(const char *python, char *out, size_t cap)
{
	const char *path = getenv("PATH"), *p, *end;
	char cwd[PATH_MAX];
	int n;

	if (strchr(python, '/')) {
		if (python[0] == '/')
			n = snprintf(out, cap, "%s", python);
		else if (getcwd(cwd, sizeof(cwd)))
			n = snprintf(out, cap, "%s/%s", cwd, python);
		else
			return -1;
		return n > 0 && (size_t)n < cap ? 0 : -1;
	}
	for (p = path && *path ? path : "/bin:/usr/bin"; *p; p = *end ? end + 1 : end) {
		struct stat st;

		end = strchrnul(p, ':');
		/* An empty entry or a relative one (the current directory): left to the query,
		 * which finds what posix_spawnp runs. */
		if (end == p || p[0] != '/')
			return -1;
		n = snprintf(out, cap, "%.*s/%s", (int)(end - p), p, python);
		if (n > 0 && (size_t)n < cap && access(out, X_OK) == 0 && stat(out, &st) == 0 &&
		    S_ISREG(st.st_mode))
			return 0;
	}
	return -1;
}

/* Whether `exe` is the interpreter file `real` whose stamp was `stamp` ("SIZE:MTIME"), and
 * still is: the same file, unchanged since. */
static int same_file(const char *exe, const char *real, const char *stamp)
{
	char path[PATH_MAX], now[64];
	struct stat st;

	if (!stamp[0] || !realpath(exe, path) || strcmp(path, real) != 0 || stat(path, &st) < 0)
		return 0;
	snprintf(now, sizeof(now), "%lld:%lld", (long long)st.st_size, (long long)st.st_mtime);
	return strcmp(now, stamp) == 0;
}

/* The sibling build in the build tree whose python.id names the interpreter file `exe`,
 * unchanged since that build was made: its leakgate (malloc'd), with its tag in tag.
 * NULL when none does, or when installed (an installed build keeps no python.id). */
static char *sibling_for(const char *dir, const char *exe, char *tag, size_t tagcap)
{
	static const char *const patterns[] = { "%s/py*/python.id", "%s/../py*/python.id",
						 "%s/../python.id" };
	char *found = NULL, *pattern;
	size_t i, j;

	if (install_prefix())
		return NULL;
	for (i = 0; !found && i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		glob_t g;

		if (asprintf(&pattern, patterns[i], dir) < 0)
			die(EXIT_INTERNAL, "out of memory");
		if (glob(pattern, 0, NULL, &g) != 0) {
			free(pattern);
			continue;
		}
		free(pattern);
		for (j = 0; !found && j < g.gl_pathc; j++) {
			char line[PATH_MAX + 64], stamp[64] = "", real[PATH_MAX], *sp, *slash;
			FILE *f = fopen(g.gl_pathv[j], "r");

			if (!f)
				continue;
			if (!fgets(line, sizeof(line), f) || !fgets(stamp, sizeof(stamp), f))
				line[0] = '\0';
			fclose(f);
			line[strcspn(line, "\n")] = '\0';
			stamp[strcspn(stamp, "\n")] = '\0';
			sp = strchr(line, ' ');
			if (!sp || (size_t)(sp - line) >= tagcap)
				continue;
			*sp = '\0';
			if (!strcmp(line, LG_PYTHON_TAG) || snprintf(real, sizeof(real), "%s",
								     sp + 1) >= (int)sizeof(real) ||
			    !same_file(exe, real, stamp))
				continue;
			slash = strrchr(g.gl_pathv[j], '/');
			*slash = '\0';
			if (try_path(&found, "%s/%s", g.gl_pathv[j], "leakgate"))
				snprintf(tag, tagcap, "%s", line);
		}
		globfree(&g);
	}
	return found;
}

/* What the build that re-executed this one learnt by its query (REEXEC_ENV), when it was
 * about this PYTHON and for this build's tag: the executable, or NULL. */
static const char *handed_over(const char *reexec, const char *python)
{
	static char executable[PATH_MAX];
	const char *t1 = strchr(reexec, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
	size_t taglen = strlen(LG_PYTHON_TAG);

	if (!t2 || (size_t)(t1 - reexec) != taglen || strncmp(reexec, LG_PYTHON_TAG, taglen) ||
	    (size_t)(t2 - t1 - 1) != strlen(python) || strncmp(t1 + 1, python, t2 - t1 - 1) ||
	    !t2[1] || snprintf(executable, sizeof(executable), "%s", t2 + 1) >=
		      (int)sizeof(executable))
		return NULL;
	return executable;
}

/* Re-executes `build` with this command line; REEXEC_ENV set to `value`. */
static void __attribute__((noreturn)) reexec_build(char *build, const char *value, int argc,
						   char **argv)
{
	char **args = calloc((size_t)argc + 2, sizeof(*args));
	int i;

	if (!args)
		die(EXIT_INTERNAL, "out of memory");
	args[0] = build;
	for (i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	if (setenv(REEXEC_ENV, value, 1) < 0)
		die(EXIT_INTERNAL, "out of memory");
	fflush(NULL);
	execv(build, args);
	die(EXIT_INTERNAL, "cannot run %s: %s", build, strerror(errno));
}

/* The version part of a tag ("3.11.2d" -> 3, 11). */
static int tag_version(const char *tag, int *major, int *minor)
{
	return sscanf(tag, "%d.%d", major, minor) == 2 ? 0 : -1;
}

const char *python_select(const char *python, int argc, char **argv)
{
	static struct pyinfo info;
	static char exe[PATH_MAX];
	char why[512], base[PATH_MAX], tag[32], *build, *value;
	const char *dir, *reexec = getenv(REEXEC_ENV), *known;
	int major, minor;

	/* The file this build was made with, unchanged: nothing to ask it. */
	if (resolve(python, exe, sizeof(exe)) == 0 &&
	    same_file(exe, LG_PYTHON_EXECUTABLE, LG_PYTHON_STAMP)) {
		unsetenv(REEXEC_ENV);  /* not for the workload's own leakgate runs */
		return exe;
	}
	if (reexec && (known = handed_over(reexec, python))) {
		unsetenv(REEXEC_ENV);
		return known;
	}
	if (!(dir = exe_dir()))
		die(EXIT_INTERNAL, "cannot find the leakgate executable: %s", strerror(errno));
	/* A build beside this one made with that file. Once only: a build re-executed so
	 * that turns out to be stale asks the interpreter. */
	if (!reexec && exe[0] && (build = sibling_for(dir, exe, tag, sizeof(tag))))
		reexec_build(build, tag, argc, argv);

	if (query_python(python, &info, why, sizeof(why)) < 0)
		die(EXIT_USAGE, "--python %s: %s", python, why);
	if (strcmp(info.impl, "cpython") != 0)
		die(EXIT_USAGE, "--python %s is %s %s: leakgate embeds CPython only", python,
		    info.impl, info.tag);
	if (tag_version(info.tag, &major, &minor) < 0 || major != 3 || minor < 8)
		die(EXIT_USAGE, "--python %s is CPython %s: leakgate needs CPython 3.8 or later",
		    python, info.tag);
	if (strcmp(info.tag, LG_PYTHON_TAG) == 0) {
		unsetenv(REEXEC_ENV);
		return info.executable;
	}
	if (reexec && strncmp(reexec, info.tag, strlen(info.tag)) == 0 &&
	    (reexec[strlen(info.tag)] == '\0' || reexec[strlen(info.tag)] == '\t'))
		die(EXIT_INTERNAL, "the build re-executed for CPython %s is for CPython %s",
		    info.tag, LG_PYTHON_TAG);

	build = find_build(dir, info.tag);
	if (!build) {
		/* The base interpreter (a venv's links to it), to build against. */
		if (!realpath(info.executable, base))
			snprintf(base, sizeof(base), "%s", info.executable);
		/* Installed: the command that installs where this leakgate looks (its own
		 * prefix, a DESTDIR one included); in the build tree: the build beside it. */
		if (install_prefix())
			die(EXIT_USAGE, "no leakgate build for CPython %s (--python %s); install "
			    "one from leakgate's source tree with: make PYTHON=%s install "
			    "PREFIX=%s", info.tag, python, base, install_prefix());
		die(EXIT_USAGE, "no leakgate build for CPython %s (--python %s); build one in "
		    "leakgate's source tree with: make PYTHON=%s", info.tag, python, base);
	}
	/* What the query said goes along: the build re-executed need not ask again. */
	if (asprintf(&value, "%s\t%s\t%s", info.tag, python, info.executable) < 0)
		die(EXIT_INTERNAL, "out of memory");
	reexec_build(build, value, argc, argv);
}
