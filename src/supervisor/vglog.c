/* supervisor/vglog.c: reads memcheck's log of a --valgrind worker: the definite-loss
 * records that grew while measured, summed per allocation stack, and memcheck's error
 * reports. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "leakgate.h"

#define MAX_RECORDS_SHOWN 5   /* loss records in the text, largest first */
#define MAX_ERRORS_SHOWN 5    /* error reports in the text */
#define MAX_BLOCK_LINES 24    /* lines of one error report kept */

/* One allocation stack and what its definite losses grew by while measured. */
struct record {
	char *stack;      /* formatted frames, one per line */
	int64_t bytes, blocks;
	uint32_t grew;    /* snapshots in which it grew */
};

struct parse {
	struct record *rec;
	size_t nrec, cap;
	FILE *errors;     /* memstream of the shown error reports */
	char *errors_text;
	size_t errors_len;
	unsigned nerrors;
	uint32_t first_error_iteration;
	uint32_t measured; /* markers seen at or after `first` */
	int64_t snapshot;  /* the last marker; -1 before the baseline */
	int at_exit;       /* past the worker's end: the at-exit search is not judged */
};

/* The text of a log line without its "==PID== " or "**PID** " prefix, or NULL when the
 * line has none. `*marker` is set for "**PID**" (the client's VALGRIND_PRINTF). */
static char *strip(char *line, int *marker)
{
	char c = line[0];
	char *p = line + 2;

	if ((c != '=' && c != '*') || line[1] != c)
		return NULL;
	while (*p >= '0' && *p <= '9')
		p++;
	if (p == line + 2 || p[0] != c || p[1] != c)
		return NULL;
	*marker = c == '*';
	p += 2;
	if (*p == ' ')
		p++;
	p[strcspn(p, "\n")] = '\0';
	return p;
}

/* "   at 0x4841: malloc (vg_replace_malloc.c:381)" -> "malloc (vg_replace_malloc.c:381)";
 * "(in /usr/lib/x/libfoo.so)" keeps the library's base name. NULL if not a frame. */
static int format_frame(FILE *out, const char *line)
{
	const char *p = line, *colon, *in;

	while (*p == ' ')
		p++;
	if (strncmp(p, "at 0x", 5) && strncmp(p, "by 0x", 5))
		return -1;
	colon = strstr(p, ": ");
	if (!colon)
		return -1;
	colon += 2;
	in = strstr(colon, " (in /");
	if (in) {
		const char *base = strrchr(in, '/') + 1;

		fprintf(out, "%.*s (%s\n", (int)(in - colon), colon, base);
	} else {
		fprintf(out, "%s\n", colon);
	}
	return 0;
}

/* Reads a number that may carry thousands separators ("1,280"). */
static int64_t read_number(const char **p)
{
	int64_t v = 0;
	const char *s = *p;

	for (; (*s >= '0' && *s <= '9') || (*s == ',' && s[1] >= '0' && s[1] <= '9'); s++)
		if (*s != ',')
			v = v * 10 + (*s - '0');
	*p = s;
	return v;
}

/* Reads "N (+D)" at *p: D, or N when there is no "(+D)". Advances *p past it. */
static int64_t read_delta(const char **p)
{
	int64_t v = read_number(p);

	while (**p == ' ')
		(*p)++;
	if (strncmp(*p, "(+", 2) == 0) {
		*p += 2;
		v = read_number(p);
		if (**p == ')')
			(*p)++;
	}
	return v;
}

/* A definite-loss title, e.g. "64 (+64) bytes in 1 (+1) blocks are definitely lost in
 * loss record 3 of 9", or with "(16 (+16) direct, 32 (+32) indirect)" after the first
 * number. Returns 0 with the growth, -1 if the title is something else. */
static int parse_loss(const char *title, int64_t *bytes, int64_t *blocks)
{
	const char *p = title, *in;

	if (!strstr(title, " are definitely lost in loss record "))
		return -1;
	*bytes = read_delta(&p);
	in = strstr(p, " in ");
	if (!in)
		return -1;
	p = in + 4;
	*blocks = read_delta(&p);
	return 0;
}

static int add_record(struct parse *ps, const char *stack, int64_t bytes, int64_t blocks)
{
	size_t i;

	for (i = 0; i < ps->nrec; i++)
		if (!strcmp(ps->rec[i].stack, stack))
			break;
	if (i == ps->nrec) {
		if (ps->nrec == ps->cap) {
			size_t cap = ps->cap ? 2 * ps->cap : 8;
			struct record *r = realloc(ps->rec, cap * sizeof(*r));

			if (!r)
				return LG_ENOMEM;
			ps->rec = r;
			ps->cap = cap;
		}
		ps->rec[i].stack = strdup(stack);
		if (!ps->rec[i].stack)
			return LG_ENOMEM;
		ps->rec[i].bytes = ps->rec[i].blocks = 0;
		ps->rec[i].grew = 0;
		ps->nrec++;
	}
	ps->rec[i].bytes += bytes;
	ps->rec[i].blocks += blocks;
	ps->rec[i].grew++;
	return 0;
}

/* One block of the log (the lines up to an empty one): a loss record, an error report,
 * or something else (banners, summaries, warnings without a stack). */
static int take_block(struct parse *ps, char **lines, size_t n, uint32_t first)
{
	int64_t bytes, blocks;
	size_t i;

	if (n < 2 || !strstr(lines[1], " 0x"))
		return 0;  /* no stack: not a record, not an error */
	if (parse_loss(lines[0], &bytes, &blocks) == 0) {
		char *stack = NULL;
		size_t len = 0;
		FILE *f;
		int err;

		if (ps->at_exit || ps->snapshot < (int64_t)first)
			return 0;
		f = open_memstream(&stack, &len);
		if (!f)
			return LG_ENOMEM;
		/* Leakgate's own frames: its allocator hooks, and all below the call. */
		for (i = 1; i < n && !strstr(lines[i], ": lg_worker_"); i++)
			if (!strstr(lines[i], "(hooks.c:") && format_frame(f, lines[i]) < 0)
				break;
		if (fclose(f) != 0)
			return LG_ENOMEM;
		err = add_record(ps, stack, bytes, blocks);
		free(stack);
		return err;
	}
	if (strstr(lines[0], " lost in loss record ") || strstr(lines[0], "still reachable in"))
		return 0;  /* other kinds, shown only if asked for */
	if (ps->nerrors++ == 0)
		ps->first_error_iteration = (uint32_t)(ps->snapshot + 1);
	if (ps->nerrors > MAX_ERRORS_SHOWN)
		return 0;
	if (!ps->errors && !(ps->errors = open_memstream(&ps->errors_text, &ps->errors_len)))
		return LG_ENOMEM;
	fprintf(ps->errors, "%s", ps->nerrors > 1 ? "\n" : "");
	for (i = 0; i < n && i < MAX_BLOCK_LINES; i++)
		fprintf(ps->errors, "%s\n", lines[i]);
	return 0;
}

static int by_bytes(const void *a, const void *b)
{
	const struct record *x = a, *y = b;

	return (y->bytes > x->bytes) - (y->bytes < x->bytes);
}

/* A per-iteration figure as a person reads it: whole when it is (14540, not 1.454e+04),
 * else to one decimal; bytes with their unit, and KiB or MiB beside from 1024 on. */
static void figure(char *buf, size_t size, double v, int bytes)
{
	int whole = v == floor(v);

	if (!bytes) {
		snprintf(buf, size, whole ? "%.0f" : "%.1f", v);
		return;
	}
	if (v >= 1024.0 * 1024)
		snprintf(buf, size, whole ? "%.0f bytes (%.1f MiB)" : "%.1f bytes (%.1f MiB)", v,
			 v / (1024.0 * 1024));
	else if (v >= 1024.0)
		snprintf(buf, size, whole ? "%.0f bytes (%.1f KiB)" : "%.1f bytes (%.1f KiB)", v,
			 v / 1024.0);
	else
		snprintf(buf, size, whole ? "%.0f bytes" : "%.1f bytes", v);
}

/* The text of the grown records, largest first. */
static char *format_records(struct parse *ps)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f;

	if (ps->nrec == 0)
		return NULL;
	f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	qsort(ps->rec, ps->nrec, sizeof(ps->rec[0]), by_bytes);
	for (i = 0; i < ps->nrec && i < MAX_RECORDS_SHOWN; i++) {
		const struct record *r = &ps->rec[i];
		const char *line = r->stack;
		double n = ps->measured ? ps->measured : 1;

		double blocks = (double)r->blocks / n;

		char per[48], in[24];

		figure(per, sizeof(per), (double)r->bytes / n, 1);
		figure(in, sizeof(in), blocks, 0);
		fprintf(f, "%s%s in %s block%s definitely lost per iteration (%" PRId64
			" bytes in %" PRId64 " over %u measured iterations; grew in %u)\n",
			i ? "\n" : "", per, in, blocks == 1 ? "" : "s",
			r->bytes, r->blocks, ps->measured, r->grew);
		while (*line) {
			size_t l = strcspn(line, "\n");

			fprintf(f, "  %s %.*s\n", line == r->stack ? "at" : "by", (int)l, line);
			line += l + (line[l] == '\n');
		}
	}
	if (ps->nrec > MAX_RECORDS_SHOWN)
		fprintf(f, "\n(%zu more records not shown)\n", ps->nrec - MAX_RECORDS_SHOWN);
	if (fclose(f) != 0)
		return NULL;
	return text;
}

int lg_vglog_read(FILE *log, uint32_t first, lg_vglog *out)
{
	struct parse ps = { .snapshot = -1 };
	char *line = NULL, **block = NULL;
	size_t cap = 0, n = 0, bcap = 0, i;
	int err = 0;

	memset(out, 0, sizeof(*out));
	for (;;) {
		ssize_t got = getline(&line, &cap, log);
		char *text = NULL;
		int marker = 0;

		if (got >= 0 && !(text = strip(line, &marker)))
			continue;  /* not Valgrind's (a line of the workload's own output) */
		if (got >= 0 && marker) {
			unsigned long v;

			if (sscanf(text, LG_VG_MARK "%lu", &v) == 1) {
				ps.snapshot = (int64_t)v;
				ps.measured += v >= first;
			}
			continue;
		}
		if (got >= 0 && !strncmp(text, "HEAP SUMMARY:", 13))
			ps.at_exit = 1;
		if (got < 0 || *text == '\0') {
			if (n && (err = take_block(&ps, block, n, first)) < 0)
				break;
			for (i = 0; i < n; i++)
				free(block[i]);
			n = 0;
			if (got < 0)
				break;
			continue;
		}
		if (n == bcap) {
			char **b = realloc(block, (bcap ? 2 * bcap : 32) * sizeof(*b));

			if (!b) {
				err = LG_ENOMEM;
				break;
			}
			block = b;
			bcap = bcap ? 2 * bcap : 32;
		}
		if (!(block[n] = strdup(text))) {
			err = LG_ENOMEM;
			break;
		}
		n++;
	}
	for (i = 0; i < n; i++)
		free(block[i]);
	free(block);
	free(line);
	if (ps.errors && fclose(ps.errors) != 0 && !err)
		err = LG_ENOMEM;
	if (!err && ps.nrec && !(out->stacks = format_records(&ps)))
		err = LG_ENOMEM;
	for (i = 0; i < ps.nrec; i++)
		free(ps.rec[i].stack);
	free(ps.rec);
	if (err) {
		free(ps.errors_text);
		free(out->stacks);
		memset(out, 0, sizeof(*out));
		return err;
	}
	out->errors = ps.errors_text;
	out->nerrors = ps.nerrors;
	out->first_error_iteration = ps.first_error_iteration;
	return 0;
}

void lg_vglog_release(lg_vglog *v)
{
	if (!v)
		return;
	free(v->stacks);
	free(v->errors);
	memset(v, 0, sizeof(*v));
}
