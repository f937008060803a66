/* run.c: runs shell commands for the integration tests and captures their output. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

static char dir[64];
static pid_t owner;

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* The test's scratch directory goes with the test's process (cores and reports too). */
static void remove_scratch(void)
{
	if (dir[0] && getpid() == owner)
		nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *scratch(void)
{
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/lgtest.%d.XXXXXX", (int)getpid());
		if (!mkdtemp(dir))
			abort();
		owner = getpid();
		atexit(remove_scratch);
	}
	return dir;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return strdup("");
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

/* Reads back every report (JSON, JUnit XML, SVG) the last command wrote into the scratch
 * directory with real consumers (check_reports.py: the JSON Schema in share/, junitparser,
 * a strict XML parser), and fails the test when one rejects it, whatever the test itself
 * asserts about the report. */
static void check_reports(const char *stamp)
{
	char *cmd, *out = NULL, check[4096], schema[4096];
	size_t len = 0;
	FILE *p;

	if (!realpath("tests/integration/check_reports.py", check) ||
	    !realpath("share/leakgate-report.schema.json", schema))
		cr_assert_fail("run the integration tests from the source tree");
	if (asprintf(&cmd, "find '%s' -newer '%s' -type f \\( -name '*.json' -o -name '*.xml' "
		     "-o -name '*.svg' \\) -exec /usr/bin/python3 '%s' '%s' {} + 2>&1",
		     scratch(), stamp, check, schema) < 0 || !(p = popen(cmd, "r")))
		abort();
	if (getdelim(&out, &len, '\0', p) < 0) {
		free(out);
		out = NULL;
	}
	pclose(p);
	free(cmd);
	if (out && *out)
		cr_assert_fail("a report no consumer accepts:\n%s", out);
	free(out);
}

int lgt_sh(const char *cmd, char **out, char **err)
{
	const char *bin = getenv("LEAKGATE") ? getenv("LEAKGATE") : "build/leakgate";
	const char *ext = getenv("LEAKGATE_TEST_EXT_DIR") ? getenv("LEAKGATE_TEST_EXT_DIR")
							     : "build/tests";
	char *full, opath[128], epath[128], spath[128], abs_ext[4096], abs_bin[4096];
	int status;
	FILE *stamp;
	struct timespec times[2];

	if (!realpath(bin, abs_bin))
		snprintf(abs_bin, sizeof(abs_bin), "%s", bin);
	if (!realpath(ext, abs_ext))
		snprintf(abs_ext, sizeof(abs_ext), "%s", ext);
	snprintf(opath, sizeof(opath), "%s/out.%d", scratch(), (int)getpid());
	snprintf(epath, sizeof(epath), "%s/err.%d", scratch(), (int)getpid());
	snprintf(spath, sizeof(spath), "%s/stamp.%d", scratch(), (int)getpid());
	if (!(stamp = fopen(spath, "w")) || fclose(stamp) != 0)
		abort();
	/* A second back: file times move in clock ticks, not nanoseconds. */
	times[0].tv_sec = times[1].tv_sec = time(NULL) - 1;
	times[0].tv_nsec = times[1].tv_nsec = 0;
	utimensat(AT_FDCWD, spath, times, 0);
	if (asprintf(&full, "LEAKGATE='%s' PYTHONPATH='%s' T='%s'; export LEAKGATE PYTHONPATH T; "
		     "( %s ) >'%s' 2>'%s' </dev/null",
		     abs_bin, abs_ext, scratch(), cmd, opath, epath) < 0)
		abort();
	status = system(full);
	free(full);
	/* A JSON report written to stdout is checked as the files are. */
	if (strstr(cmd, "--report - ") && asprintf(&full, "cp '%s' '%s/stdout.%d.json'", opath,
						     scratch(), (int)getpid()) > 0) {
		if (system(full) != 0)
			abort();
		free(full);
	}
	check_reports(spath);
	if (out)
		*out = slurp(opath);
	if (err)
		*err = slurp(epath);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

const char *lgt_write(const char *name, const char *text)
{
	static char paths[8][256];
	static unsigned next;
	char *path = paths[next++ % 8];
	FILE *f;

	snprintf(path, sizeof(paths[0]), "%s/%s", scratch(), name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
	return path;
}

size_t lgt_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}
