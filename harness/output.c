/* output.c: how a finished target's report reaches a terminal or a CI log: the text report
 * with its verdict word in colour, and GitHub Actions' annotations at a leak's allocation
 * site (or a failing workload's raising line). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

int output_color_parse(const char *arg)
{
	if (!strcmp(arg, "auto"))
		return COLOR_AUTO;
	if (!strcmp(arg, "always"))
		return COLOR_ALWAYS;
	if (!strcmp(arg, "never"))
		return COLOR_NEVER;
	return -1;
}

/* --color=auto: on a terminal that is not dumb, unless NO_COLOR is set and not empty
 * (https://no-color.org). */
int output_color_on(int mode, FILE *f)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	if (mode != COLOR_AUTO)
		return mode == COLOR_ALWAYS;
	if (no && *no)
		return 0;
	if (term && !strcmp(term, "dumb"))
		return 0;
	return isatty(fileno(f));
}

/* The SGR colour of a summary line's first word, or NULL. */
static const char *verdict_color(const char *line)
{
	static const struct {
		const char *word, *sgr;
	} words[] = {
		{ "LEAK ", "1;31" }, { "ERROR ", "1;31" }, { "INTERNAL ", "1;35" },
		{ "PASS ", "32" }, { "SKIP ", "33" }, { "KNOWN ", "36" },
		{ "INTERRUPTED ", "1;33" },
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strncmp(line, words[i].word, strlen(words[i].word)))
			return words[i].sgr;
	return NULL;
}

int output_text(FILE *f, const lg_result *r, int verbose, int color)
{
	char *buf = NULL, *p;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	const char *sgr;
	int rc;

	if (!m)
		return lg_report_text(f, r, verbose);
	rc = lg_report_text(m, r, verbose);
	if (fclose(m) != 0 || rc < 0) {
		free(buf);
		return lg_report_text(f, r, verbose);
	}
	p = buf;
	if (color && (sgr = verdict_color(buf))) {
		size_t word = strcspn(buf, " ");

		fprintf(f, "\033[%sm%.*s\033[0m", sgr, (int)word, buf);
		p += word;
	}
	fputs(p, f);
	free(buf);
	return ferror(f) ? LG_EIO : 0;
}

/* Writes s escaped as a GitHub workflow command's message (property: also ':' and ','),
 * https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions. */
static void gh_escape(FILE *f, const char *s, size_t len, int property)
{
	size_t i;

	for (i = 0; i < len && s[i]; i++) {
		switch (s[i]) {
		case '%': fputs("%25", f); break;
		case '\r': fputs("%0D", f); break;
		case '\n': fputs("%0A", f); break;
		case ':': fputs(property ? "%3A" : ":", f); break;
		case ',': fputs(property ? "%2C" : ",", f); break;
		default: fputc(s[i], f);
		}
	}
}

/* The innermost `File "PATH", line N` of the first traceback in text after `after` (the
 * whole text when NULL): *file (not NUL-terminated, *flen bytes) and *line; 0 if none. */
static int last_frame(const char *text, const char *after, const char **file, size_t *flen,
		      unsigned *line)
{
	const char *p = text, *end;
	int found = 0, in_first = 0;

	if (!text)
		return 0;
	if (after) {
		if (!(p = strstr(text, after)))
			return 0;
		p += strcspn(p, "\n");
	}
	for (; *p; p = end + (*end == '\n')) {
		const char *q = p + strspn(p, " "), *quote;
		unsigned n;

		end = p + strcspn(p, "\n");
		if (after && in_first && q - p <= 4 && *q == '+')
			break;  /* the next allocation site */
		if (after && q - p < 4 && q < end)
			break;  /* the end of the section */
		if (strncmp(q, "File \"", 6) || !(quote = memchr(q + 6, '"', (size_t)(end - q - 6))))
			continue;
		if (sscanf(quote, "\", line %u", &n) != 1)
			continue;
		*file = q + 6;
		*flen = (size_t)(quote - q - 6);
		*line = n;
		found = in_first = 1;
	}
	return found;
}

/* The text report's first line (its summary), escaped as a workflow command's message. */
static void put_summary_line(FILE *f, const lg_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int rc;

	if (!m)
		return;
	rc = lg_report_text(m, r, -1);
	if (fclose(m) == 0 && rc == 0)
		gh_escape(f, buf, strcspn(buf, "\n"), 0);
	free(buf);
}

void output_annotate(FILE *f, const lg_result *r)
{
	const char *file = NULL, *ws = getenv("GITHUB_WORKSPACE"), *text, *kind;
	size_t flen = 0, wlen = ws ? strlen(ws) : 0;
	unsigned line = 0;

	if (r->status == LG_STATUS_LEAK) {
		kind = "leak";
		last_frame(r->attribution.text, "where it was allocated", &file, &flen, &line);
		text = r->attribution.text;
	} else if (r->status == LG_STATUS_ERROR || r->status == LG_STATUS_INTERNAL) {
		kind = r->status == LG_STATUS_ERROR ? "workload error" : "internal error";
		last_frame(r->error, NULL, &file, &flen, &line);
		text = r->error;
	} else {
		return;
	}
	fputs("::error ", f);
	if (file && *file != '<') {
		/* GitHub places annotations by the path within the repository. */
		if (wlen && flen > wlen && !strncmp(file, ws, wlen) && file[wlen] == '/') {
			file += wlen + 1;
			flen -= wlen + 1;
		}
		fputs("file=", f);
		gh_escape(f, file, flen, 1);
		fprintf(f, ",line=%u,", line);
	}
	fputs("title=", f);
	gh_escape(f, "leakgate ", SIZE_MAX, 1);
	gh_escape(f, kind, SIZE_MAX, 1);
	fputs("::", f);
	put_summary_line(f, r);
	if (text) {
		fputs("%0A", f);
		gh_escape(f, text, SIZE_MAX, 0);
	}
	fputc('\n', f);
}
