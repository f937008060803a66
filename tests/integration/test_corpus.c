/* test_corpus.c: every corpus case through the real binary, several times, against the
 * verdict and counter its header declares. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

#define RUNS 5

struct corpus_case {
	char path[256];
	char target[64];
	char expect[8];
	char counter[32];
	char options[128];
	char grows[64];       /* a type attribution must list as growing */
	char root[160];       /* what the chain of that type's object must start from */
	char report[2][96];   /* lines the report must contain */
	int site;             /* the line marked "# leak-site": an allocation site */
};

/* Reads "# key: value" header lines. */
static int read_header(const char *path, struct corpus_case *c)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int n = 0, nreport = 0;

	if (!f)
		return -1;
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (line[0] != '#') {
			if (strstr(line, "# leak-site"))
				c->site = n;
			continue;
		}
		char key[32], value[256] = "";

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "# %31[a-z]: %255[^\n]", key, value) < 1)
			continue;
		if (!strcmp(key, "expect"))
			snprintf(c->expect, sizeof(c->expect), "%s", value);
		else if (!strcmp(key, "target"))
			snprintf(c->target, sizeof(c->target), "%s", value);
		else if (!strcmp(key, "counters"))
			sscanf(value, "%31s", c->counter);
		else if (!strcmp(key, "options"))
			snprintf(c->options, sizeof(c->options), "%s", value);
		else if (!strcmp(key, "grows"))
			snprintf(c->grows, sizeof(c->grows), "%s", value);
		else if (!strcmp(key, "root"))
			snprintf(c->root, sizeof(c->root), "%s", value);
		else if (!strcmp(key, "report") && nreport < 2)
			snprintf(c->report[nreport++], sizeof(c->report[0]), "%s", value);
	}
	fclose(f);
	return c->expect[0] && c->target[0] ? 0 : -1;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct corpus_case *)a)->path,
		      ((const struct corpus_case *)b)->path);
}

/* The corpus directory: beside the runner's build directory (build/tests/runner ->
 * tests/corpus), so that the cases are found from any working directory. */
static const char *corpus_dir(void)
{
	static char dir[4096];
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;
	int up;

	if (dir[0])
		return dir;
	snprintf(dir, sizeof(dir), "tests/corpus");
	if (n <= 0)
		return dir;
	exe[n] = '\0';
	for (up = 0; up < 2 && (slash = strrchr(exe, '/')); up++)
		*slash = '\0';  /* drop "runner", then "tests" */
	/* The build directory may be nested (build/sanitize): climb to the one holding
	 * tests/corpus. */
	while ((slash = strrchr(exe, '/'))) {
		*slash = '\0';
		if (snprintf(dir, sizeof(dir), "%s/tests/corpus", exe) < (int)sizeof(dir) &&
		    access(dir, R_OK | X_OK) == 0)
			return dir;
	}
	snprintf(dir, sizeof(dir), "tests/corpus");
	return dir;
}

static size_t find_cases(struct corpus_case *cases, size_t cap)
{
	size_t n = 0;
	DIR *d = opendir(corpus_dir());
	struct dirent *e;

	while (d && (e = readdir(d)) && n < cap) {
		char path[256];

		if (strncmp(e->d_name, "leak_", 5) && strncmp(e->d_name, "clean_", 6))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", corpus_dir(), e->d_name) >=
		    (int)sizeof(path))
			continue;
		if (read_header(path, &cases[n]) == 0)
			n++;
	}
	if (d)
		closedir(d);
	qsort(cases, n, sizeof(cases[0]), by_path);
	return n;
}

ParameterizedTestParameters(corpus, verdict)
{
	static struct corpus_case cases[128];
	size_t n = find_cases(cases, 128);

	return cr_make_param_array(struct corpus_case, cases, n);
}

/* The parameterized test passes vacuously with no case: there must be some, of both
 * kinds. */
Test(corpus, cases_are_found)
{
	static struct corpus_case cases[128];
	size_t n = find_cases(cases, 128), i, leaks = 0;

	for (i = 0; i < n; i++)
		leaks += !strcmp(cases[i].expect, "leak");
	cr_assert(leaks >= 5 && n - leaks >= 5, "%zu corpus cases (%zu leaks) in %s", n, leaks,
		  corpus_dir());
}

/* The line of `text` that contains `needle`, as a new string, or NULL. */
static char *line_with(const char *text, const char *needle)
{
	const char *p = strstr(text, needle), *a, *b;

	if (!p)
		return NULL;
	for (a = p; a > text && a[-1] != '\n'; a--)
		;
	b = strchr(p, '\n');
	return strndup(a, b ? (size_t)(b - a) : strlen(a));
}

/* Attribution's answers, against what the case's header declares: the growing type, the
 * root of that type's referrer chain, the allocation site, and other report lines. */
static void check_attribution(const struct corpus_case *c, const char *out, int run)
{
	char needle[200];
	char *line;
	int i;

	if (c->grows[0]) {
		snprintf(needle, sizeof(needle), "\n    %s ", c->grows);
		cr_assert(strstr(out, "what grew") && strstr(out, needle),
			  "%s run %d: %s not listed as growing:\n%s", c->path, run, c->grows, out);
	}
	if (c->root[0]) {
		snprintf(needle, sizeof(needle), "    %s at 0x", c->grows);
		line = line_with(out, needle);
		cr_assert(line && strstr(line, c->root), "%s run %d: the chain of %s does not "
			  "start at \"%s\":\n%s", c->path, run, c->grows, c->root, out);
		free(line);
	}
	if (c->site) {
		const char *base = strrchr(c->path, '/') + 1;

		snprintf(needle, sizeof(needle), "%s\", line %d", base, c->site);
		cr_assert(strstr(out, "where it was allocated") && strstr(out, needle),
			  "%s run %d: allocation site line %d not reported:\n%s", c->path, run,
			  c->site, out);
	}
	for (i = 0; i < 2 && c->report[i][0]; i++)
		cr_assert(strstr(out, c->report[i]), "%s run %d: no \"%s\" in the report:\n%s",
			  c->path, run, c->report[i], out);
}

/* The failing counters listed in a JSON report: the text of its "failed" array. */
static char *failed_list(const char *json)
{
	const char *p = strstr(json, "\"failed\": [");
	const char *end = p ? strchr(p, ']') : NULL;

	return p && end ? strndup(p, (size_t)(end - p + 1)) : strdup("");
}

ParameterizedTest(struct corpus_case *c, corpus, verdict, .timeout = 240)
{
#if defined(__SANITIZE_ADDRESS__)
	/* The sanitizer build (make test-sanitize): ASan's allocator replaces glibc's, so
	 * native_bytes is not available and a case only it can see cannot be judged. */
	if (!strcmp(c->counter, "native_bytes"))
		cr_skip_test("%s: native_bytes is blind under ASan", c->path);
#endif
	int want = !strcmp(c->expect, "leak") ? 1 : 0;
	int run;

	cr_assert(want || !strcmp(c->expect, "pass"), "%s: bad expect '%s'", c->path, c->expect);
	for (run = 0; run < RUNS; run++) {
		char *cmd, *out, *err, *json, *failed;
		int code;

		/* The JSON report on stdout; the verdict lines then go to stderr. */
		cr_assert(asprintf(&cmd, "$LEAKGATE run --report - %s %s:%s", c->options, c->path,
				   c->target) > 0);
		code = lgt_sh(cmd, &json, &err);
		out = err;
		failed = failed_list(json);
		cr_assert_eq(code, want, "%s run %d: exit %d, want %d\n%s", c->path, run + 1, code,
			     want, out);
		if (want) {
			char quoted[40];

			snprintf(quoted, sizeof(quoted), "\"%s\"", c->counter);
			cr_assert(strstr(failed, quoted), "%s run %d: %s not among failed %s", c->path,
				  run + 1, c->counter, failed);
			cr_assert(!strncmp(out, "LEAK  ", 6), "%s: no LEAK summary line:\n%s", c->path,
				  out);
			cr_assert(!strstr(json, "\"attribution\": null"),
				  "%s: no attribution in the JSON report", c->path);
		} else {
			cr_assert(!strcmp(failed, "\"failed\": []"), "%s: failed %s", c->path, failed);
			cr_assert(!strncmp(out, "PASS  ", 6), "%s: no PASS summary line:\n%s", c->path,
				  out);
		}
		check_attribution(c, out, run + 1);
		free(cmd);
		free(json);
		free(failed);
		free(err);
	}
}
