/* paths.c: the one place that knows where leakgate's files lie: the build tree (build/,
 * build/py<TAG>/) and the installed layout of make install, both found from the running
 * executable's own location, so that a relocated (DESTDIR) install works too.
 *
 * Installed layout (PREFIX as given to make install):
 *   PREFIX/bin/leakgate                          the default build
 *   PREFIX/libexec/leakgate/py<TAG>/leakgate     builds for other CPythons (--python)
 *   PREFIX/lib/leakgate/leakgate-gdb.so          the GDB reader plugin
 *   PREFIX/share/leakgate/                       leakgate.gdb, leakgate.supp, leakgate.mk
 * pip install (pep517/leakgate_build.py) lays out a virtual environment the same way,
 * PREFIX being the venv.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"

const char *exe_dir(void)
{
	static char dir[PATH_MAX];
	ssize_t n;
	char *slash;

	if (dir[0])
		return dir;
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0)
		return NULL;
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (!slash) {
		dir[0] = '\0';
		return NULL;
	}
	*slash = '\0';
	return dir;
}

/* Whether `dir` ends with the path component(s) `tail` (a leading '/' of it included). */
static int ends_with(const char *dir, size_t len, const char *tail)
{
	size_t n = strlen(tail);

	return len >= n && memcmp(dir + len - n, tail, n) == 0;
}

const char *install_prefix(void)
{
	static char prefix[PATH_MAX];
	const char *dir = exe_dir(), *slash;
	size_t len;

	if (!dir)
		return NULL;
	len = strlen(dir);
	if (ends_with(dir, len, "/bin")) {
		len -= strlen("/bin");
	} else {
		/* PREFIX/libexec/leakgate/py<TAG> */
		slash = strrchr(dir, '/');
		if (!slash || strncmp(slash, "/py", 3) != 0 ||
		    !ends_with(dir, (size_t)(slash - dir), "/libexec/leakgate"))
			return NULL;
		len = (size_t)(slash - dir) - strlen("/libexec/leakgate");
	}
	if (len >= sizeof(prefix))
		return NULL;
	memcpy(prefix, dir, len);
	prefix[len] = '\0';
	return prefix;
}

/* Whether fmt (with two %s) names a readable file; its path is left in out. */
static int readable(char *out, size_t cap, const char *fmt, const char *a, const char *b)
{
	int n = snprintf(out, cap, fmt, a, b);

	return n >= 0 && (size_t)n < cap && access(out, R_OK) == 0;
}

int find_helper(const char *name, char *out, size_t cap)
{
	const char *prefix = install_prefix(), *dir = exe_dir();

	if (prefix)
		return readable(out, cap, "%s/lib/leakgate/%s", prefix, name) ||
		       readable(out, cap, "%s/share/leakgate/%s", prefix, name) ? 0 : -1;
	if (!dir)
		return -1;
	return readable(out, cap, "%s/%s", dir, name) ||
	       readable(out, cap, "%s/share/%s", dir, name) ? 0 : -1;
}

int installed_build(const char *tag, char *out, size_t cap)
{
	const char *prefix = install_prefix();
	int n;

	if (!prefix)
		return -1;
	n = snprintf(out, cap, "%s/libexec/leakgate/py%s/leakgate", prefix, tag);
	return n >= 0 && (size_t)n < cap ? 0 : -1;
}

const char *venv_python(void)
{
	static char python[PATH_MAX];
	const char *prefix = install_prefix();
	char cfg[PATH_MAX];

	if (!prefix || !readable(cfg, sizeof(cfg), "%s/%s", prefix, "pyvenv.cfg"))
		return NULL;
	if (snprintf(python, sizeof(python), "%s/bin/python", prefix) >= (int)sizeof(python) ||
	    access(python, X_OK) != 0)
		return NULL;
	return python;
}
