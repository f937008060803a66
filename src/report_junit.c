/* report_junit.c: the JUnit XML report: one testcase per target, a leak as a failure
 * whose message is the summary line and whose body is the text report, a workload or
 * internal error as an error. The layout CI systems' JUnit readers share. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "leakgate.h"

/* XML text (at most len bytes of s): markup characters escaped, characters XML 1.0
 * forbids replaced. The SVG chart's text goes through it too. */
void lg__xml_text(FILE *f, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		switch (ch) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if (ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r')
				fputc('?', f);
			else
				fputc(ch, f);
		}
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

int lg_report_junit(FILE *f, const lg_result *const *results, size_t n)
{
	size_t i, failures = 0, errors = 0, skipped = 0;
	double seconds = 0;

	for (i = 0; i < n; i++) {
		failures += results[i]->status == LG_STATUS_LEAK;
		errors += results[i]->status == LG_STATUS_ERROR ||
			  results[i]->status == LG_STATUS_INTERNAL ||
			  results[i]->status == LG_STATUS_INTERRUPTED;
		skipped += results[i]->status == LG_STATUS_SKIP;
		seconds += results[i]->seconds;
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f, "<testsuites name=\"leakgate\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		"time=\"%.3f\">\n", n, failures, errors, seconds);
	fprintf(f, "  <testsuite name=\"leakgate\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		"skipped=\"%zu\" time=\"%.3f\">\n", n, failures, errors, skipped, seconds);
	for (i = 0; i < n; i++) {
		const lg_result *r = results[i];
		char *text = text_report(r);
		size_t first = text ? strcspn(text, "\n") : 0;
		const char *tag = r->status == LG_STATUS_LEAK ? "failure" :
				  r->status == LG_STATUS_PASS ? NULL :
				  r->status == LG_STATUS_SKIP ? "skipped" : "error";

		fputs("    <testcase classname=\"leakgate\" name=\"", f);
		lg__xml_text(f, r->target, strlen(r->target));
		fprintf(f, "\" time=\"%.3f\">\n", r->seconds);
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
