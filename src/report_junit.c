/* report_junit.c: the JUnit XML report: one testcase per target, a leak as a failure
 * whose message is the summary line and whose body is the text report, a workload or
 * internal error as an error. The layout CI systems' JUnit readers share. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "leakgate.h"

/* XML text (at most len bytes of s): markup characters escaped; characters XML 1.0
 * forbids (control characters, U+FFFE, U+FFFF) and bytes that are not UTF-8 replaced, so
 * the document stays well-formed whatever a file name or message holds. The SVG chart's
 * text goes through it too. */
void lg__xml_text(FILE *f, const char *s, size_t len)
{
	size_t n = 0, k;

	while (n < len && s[n])
		n++;
	while (n > 0) {
		unsigned long cp;
		unsigned char ch = (unsigned char)*s;

		k = lg__utf8_next(s, n, &cp);
		switch (ch) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if (ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r')
				fputc('?', f);
			else if ((cp == 0xfffd && k == 1) || cp == 0xfffe || cp == 0xffff)
				fputs("\xef\xbf\xbd", f);  /* U+FFFD */
			else
				fwrite(s, 1, k, f);
		}
		s += k;
		n -= k;
	}
}

/* The text report of one target as a string (free() it), or NULL. */
static char *text_report(const lg_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return NULL;
	if (lg_report_text(m, r, 0) < 0) {
		fclose(m);
		free(buf);
		return NULL;
	}
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Writes s[0..len) with every '/' as '.' (a path as a dotted module name), as XML. */
static void dotted(FILE *f, const char *s, size_t len)
{
	size_t i, from = 0;

	for (i = 0; i <= len; i++)
		if (i == len || s[i] == '/') {
			lg__xml_text(f, s + from, i - from);
			if (i < len)
				fputc('.', f);
			from = i + 1;
		}
}

/* The classname and name attributes of a target's testcase, grouped as pytest's
 * --junitxml groups them: a node id "tests/test_x.py::TestA::test_y[1]" is classname
 * "tests.test_x.TestA", name "test_y[1]"; a target "dir/f.py:work" is classname "dir.f"
 * (the path relative to the current directory when it lies below it), name "work"; a
 * target "pkg.mod:work" is classname "pkg.mod"; anything else (-c) is in the suite's
 * class, named as given. */
static void testcase_names(FILE *f, const char *t, const char *suite)
{
	size_t plen = strcspn(t, "["), cut, path_end, len;
	const char *colons = NULL, *p, *path = t;
	char cwd[4096];

	for (p = t; (p = strstr(p, "::")) && (size_t)(p - t) < plen; p += 2)
		colons = p;  /* the last "::" before any parameters */
	if (colons) {
		path_end = strstr(t, "::") - t;
		cut = colons - t;
	} else {
		for (p = NULL, cut = 0; cut < plen; cut++)
			if (t[cut] == ':')
				p = t + cut;  /* the last ':', as target parsing takes it */
		if (!p || p == t || !p[1]) {
			fputs("classname=\"", f);
			lg__xml_text(f, suite, SIZE_MAX);
			fputs("\" name=\"", f);
			lg__xml_text(f, t, SIZE_MAX);
			fputs("\"", f);
			return;
		}
		path_end = cut = p - t;
	}
	len = getcwd(cwd, sizeof(cwd)) ? strlen(cwd) : 0;
	if (len > 1 && path[0] == '/' && !strncmp(path, cwd, len) && path[len] == '/' &&
	    path + len + 1 < t + path_end)
		path += len + 1;
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	while (*path == '/')
		path++;
	fputs("classname=\"", f);
	len = (size_t)(t + path_end - path);
	dotted(f, path, len >= 3 && !strncmp(path + len - 3, ".py", 3) ? len - 3 : len);
	/* Classes between the file and the test: "::TestA" -> ".TestA". */
	for (p = t + path_end; p < t + cut; ) {
		const char *next = strstr(p + 2, "::");

		fputc('.', f);
		lg__xml_text(f, p + 2, (size_t)((next ? next : t + cut) - (p + 2)));
		p = next ? next : t + cut;
	}
	fputs("\" name=\"", f);
	lg__xml_text(f, t + cut + (colons ? 2 : 1), SIZE_MAX);
	fputs("\"", f);
}

int lg_report_junit(FILE *f, const lg_result *const *results, size_t n)
{
	return lg_report_junit_with(f, results, n, NULL);
}

int lg_report_junit_with(FILE *f, const lg_result *const *results, size_t n,
			 const lg_junit_opts *o)
{
	size_t i, failures = 0, errors = 0, skipped = 0;
	double seconds = 0;
	const char *suite = o && o->suite ? o->suite : "leakgate";
	char host[256], stamp[32];
	time_t started;
	struct tm tm;

	for (i = 0; i < n; i++) {
		failures += results[i]->status == LG_STATUS_LEAK;
		errors += results[i]->status == LG_STATUS_ERROR ||
			  results[i]->status == LG_STATUS_INTERNAL ||
			  results[i]->status == LG_STATUS_INTERRUPTED;
		skipped += results[i]->status == LG_STATUS_SKIP;
		seconds += results[i]->seconds;
	}
	started = o && o->started > 0 ? (time_t)o->started : time(NULL) - (time_t)seconds;
	if (!localtime_r(&started, &tm) ||
	    !strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm))
		stamp[0] = '\0';
	if (o && o->hostname)
		snprintf(host, sizeof(host), "%s", o->hostname);
	else if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fputs("<testsuites name=\"", f);
	lg__xml_text(f, suite, SIZE_MAX);
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
		"time=\"%.3f\">\n", n, failures, errors, skipped, seconds);
	fputs("  <testsuite name=\"", f);
	lg__xml_text(f, suite, SIZE_MAX);
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
		"time=\"%.3f\" timestamp=\"%s\" hostname=\"", n, failures, errors, skipped,
		seconds, stamp);
	lg__xml_text(f, host, SIZE_MAX);
	fputs("\">\n", f);
	for (i = 0; i < n; i++) {
		const lg_result *r = results[i];
		char *text = text_report(r);
		size_t first = text ? strcspn(text, "\n") : 0;
		const char *tag = r->status == LG_STATUS_LEAK ? "failure" :
				  r->status == LG_STATUS_PASS || r->status == LG_STATUS_KNOWN ? NULL :
				  r->status == LG_STATUS_SKIP ? "skipped" : "error";

		fputs("    <testcase ", f);
		testcase_names(f, r->target ? r->target : "", suite);
		fprintf(f, " time=\"%.3f\">\n", r->seconds);
		if (r->status == LG_STATUS_SKIP) {
			fputs("      <skipped message=\"", f);
			lg__xml_text(f, r->error ? r->error : "",
				     r->error ? strcspn(r->error, "\n") : 0);
			fputs("\"/>\n", f);
		} else if (tag) {
			fprintf(f, "      <%s type=\"%s\" message=\"", tag,
				r->status == LG_STATUS_LEAK ? "leak" :
				r->status == LG_STATUS_ERROR ? "workload error" :
				r->status == LG_STATUS_INTERRUPTED ? "interrupted" : "internal error");
			lg__xml_text(f, text ? text : "", first);
			fputs("\">", f);
			lg__xml_text(f, text ? text : "", SIZE_MAX);
			fprintf(f, "</%s>\n", tag);
		} else {
			fputs("      <system-out>", f);
			lg__xml_text(f, text ? text : "", SIZE_MAX);
			fputs("</system-out>\n", f);
		}
		fputs("    </testcase>\n", f);
		free(text);
	}
	fputs("  </testsuite>\n</testsuites>\n", f);
	return ferror(f) ? LG_EIO : 0;
}
