/* baseline.c: reads and writes the baseline of known leaks: one line per target and
 * counter, sorted, with numbers that do not change when the same leak is measured again. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"

static const char header[] =
	"# leakgate baseline: known leaks, one line per target and counter:\n"
	"#   TARGET  COUNTER  SLOPE\n"
	"# A known leak passes while it grows by at most SLOPE per iteration; read by\n"
	"# leakgate run --baseline FILE, rewritten with --update-baseline (see README).\n";

void baseline_release(struct baseline *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->n; i++)
		free(b->v[i].target);
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

int baseline_add(struct baseline *b, const char *target, lg_counter c, double slope)
{
	struct baseline_entry *v = realloc(b->v, (b->n + 1) * sizeof(*v));

	if (!v)
		return -1;
	b->v = v;
	v[b->n].target = strdup(target);
	if (!v[b->n].target)
		return -1;
	v[b->n].counter = c;
	v[b->n].slope = slope;
	v[b->n].line = 0;
	b->n++;
	return 0;
}

static int bad(char **err, const char *path, unsigned line, const char *what, const char *arg)
{
	if (asprintf(err, "%s:%u: %s%s%s%s", path, line, what, arg ? " '" : "", arg ? arg : "",
		     arg ? "'" : "") < 0)
		*err = NULL;
	return -1;
}

/* Splits off the last blank-separated word of s[0..*len), trimming blanks before it. */
static char *last_word(char *s, size_t *len)
{
	size_t end = *len, start;

	while (end && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	start = end;
	while (start && s[start - 1] != ' ' && s[start - 1] != '\t')
		start--;
	s[end] = '\0';
	*len = start;
	return s + start;
}

int baseline_read(FILE *f, const char *path, struct baseline *b, char **err)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	unsigned no = 0;

	memset(b, 0, sizeof(*b));
	*err = NULL;
	while ((got = getline(&line, &cap, f)) >= 0) {
		size_t len = (size_t)got, i;
		char *counter, *slope, *end;
		lg_counter c;
		double v;

		no++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		i = strspn(line, " \t");
		if (i == len || line[i] == '#')
			continue;
		slope = last_word(line, &len);
		counter = last_word(line, &len);
		while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		line[len] = '\0';
		if (!len || !counter[0] || !slope[0]) {
			bad(err, path, no, "expected TARGET  COUNTER  SLOPE", NULL);
			goto fail;
		}
		if (lg_counter_parse(counter, &c) < 0 || !lg_counter_judged(c)) {
			bad(err, path, no, "not a judged counter:", counter);
			goto fail;
		}
		errno = 0;
		v = strtod(slope, &end);
		if (errno || end == slope || *end || !isfinite(v) || v < 0) {
			bad(err, path, no, "the slope is not a number >= 0:", slope);
			goto fail;
		}
		for (i = 0; i < b->n; i++)
			if (b->v[i].counter == c && !strcmp(b->v[i].target, line + strspn(line, " \t"))) {
				bad(err, path, no, "a second line for the same target and counter:",
				    counter);
				goto fail;
			}
		if (baseline_add(b, line + strspn(line, " \t"), c, v) < 0) {
			*err = strdup("out of memory");
			goto fail;
		}
		b->v[b->n - 1].line = no;
	}
	if (ferror(f)) {
		if (asprintf(err, "%s: %s", path, strerror(errno)) < 0)
			*err = NULL;
		goto fail;
	}
	free(line);
	return 0;
fail:
	if (!*err)
		*err = strdup("out of memory");
	free(line);
	baseline_release(b);
	return -1;
}

double baseline_round(double v)
{
	double step, r;

	if (!(v > 0) || !isfinite(v))
		return 0;
	step = pow(10, floor(log10(v)) - 1);
	r = ceil(v / step * (1 - 1e-12)) * step;
	return r;
}

/* Prints v with the decimals its two significant digits need, and no trailing zeros. */
static void print_slope(FILE *f, double v)
{
	int decimals = v > 0 ? 1 - (int)floor(log10(v)) : 0;
	char buf[64];
	size_t n;

	if (decimals < 0)
		decimals = 0;
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	n = strlen(buf);
	if (strchr(buf, '.')) {
		while (buf[n - 1] == '0')
			buf[--n] = '\0';
		if (buf[n - 1] == '.')
			buf[--n] = '\0';
	}
	fputs(buf, f);
}

static int by_target(const void *a, const void *b)
{
	const struct baseline_entry *x = a, *y = b;
	int d = strcmp(x->target, y->target);

	return d ? d : (int)x->counter - (int)y->counter;
}

int baseline_write(FILE *f, struct baseline *b)
{
	size_t i;

	qsort(b->v, b->n, sizeof(*b->v), by_target);
	fputs(header, f);
	for (i = 0; i < b->n; i++) {
		const struct baseline_entry *e = &b->v[i];

		fprintf(f, "%s  %s  ", e->target, lg_counter_name(e->counter));
		print_slope(f, e->slope);
		fputc('\n', f);
	}
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
