/* report.c: the text report (for a CI log) and the JSON report (for tools) of finished
 * targets. Both write to a stream the caller owns. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "leakgate.h"

static const char *status_word(lg_status s)
{
	switch (s) {
	case LG_STATUS_PASS: return "pass";
	case LG_STATUS_LEAK: return "leak";
	case LG_STATUS_ERROR: return "error";
	case LG_STATUS_SKIP: return "skip";
	case LG_STATUS_KNOWN: return "known";
	case LG_STATUS_INTERRUPTED: return "interrupted";
	default: return "internal";
	}
}

static const char *state_word(lg_state s)
{
	switch (s) {
	case LG_STATE_UNDECIDED: return "undecided";
	case LG_STATE_BOUNDED: return "bounded";
	case LG_STATE_GROWING: return "growing";
	default: return "reported";
	}
}

/* Each line of text, indented. */
static void print_indented(FILE *f, const char *text, const char *indent)
{
	while (*text) {
		size_t len = strcspn(text, "\n");

		fprintf(f, "%s%.*s\n", indent, (int)len, text);
		text += len + (text[len] == '\n');
	}
}

/* --valgrind: the grown definite losses with their allocation stacks. */
static void print_native_stacks(FILE *f, const lg_result *r)
{
	if (!r->native_stacks)
		return;
	fprintf(f, "  native leaks (memcheck, definitely lost while measured):\n");
	print_indented(f, r->native_stacks, "    ");
}

static int available(const lg_result *r, int c)
{
	return (r->series.available >> c) & 1;
}

/* The counter the summary line names: the first that failed. */
static int headline_counter(const lg_result *r)
{
	int c;

	for (c = 0; c < LG_NCOUNTERS; c++)
		if (((r->status == LG_STATUS_KNOWN ? r->known : r->verdict.failed) >> c) & 1)
			return c;
	return -1;
}

static void print_trend(FILE *f, const lg_trend *t)
{
	fprintf(f, "%+.2f/iter [%+.2f, %+.2f]", t->slope, t->lo, t->hi);
}

static void print_counters(FILE *f, const lg_result *r)
{
	int c;

	fprintf(f, "  %-18s %-32s %10s  %s\n", "counter", "slope (interval)", "budget", "state");
	for (c = 0; c < LG_NCOUNTERS; c++) {
		const lg_trend *t = &r->verdict.trend[c];
		char buf[96];

		if (!available(r, c) || t->n == 0)
			continue;
		snprintf(buf, sizeof(buf), "%+.2f [%+.2f, %+.2f]", t->slope, t->lo, t->hi);
		if (lg_counter_judged((lg_counter)c))
			fprintf(f, "  %-18s %-32s %10g  %s\n", lg_counter_name((lg_counter)c), buf,
				r->opts.budget[c], state_word(r->verdict.state[c]));
		else
			fprintf(f, "  %-18s %-32s %10s  %s\n", lg_counter_name((lg_counter)c), buf,
				"-", "reported, not judged");
	}
}

int lg_report_text(FILE *f, const lg_result *r, int verbose)
{
	size_t n = r->series.len, warm = lg_series_warmup(&r->series);
	int c = headline_counter(r);

	switch (r->status) {
	case LG_STATUS_LEAK:
		fprintf(f, "LEAK  %s  ", r->target);
		if (c >= 0) {
			double floor = r->verdict.floor_rate[c];

			fprintf(f, "%s ", lg_counter_name((lg_counter)c));
			print_trend(f, &r->verdict.trend[c]);
			/* The floor failed it where the trend alone would not (bursts, a
			 * leak under a sawtooth): say what did. */
			if (!(r->verdict.trend[c].lo > r->opts.budget[c]) && isfinite(floor))
				fprintf(f, ", floor %+.2f/iter", floor);
		}
		fprintf(f, "  (%zu iterations, %.1f s)\n", n, r->seconds);
		break;
	case LG_STATUS_PASS:
		fprintf(f, "PASS  %s  (%zu iterations, %.1f s)\n", r->target, n, r->seconds);
		break;
	case LG_STATUS_KNOWN:
		fprintf(f, "KNOWN %s  ", r->target);
		if (c >= 0) {
			fprintf(f, "%s ", lg_counter_name((lg_counter)c));
			print_trend(f, &r->verdict.trend[c]);
			fputs(" within the baseline", f);
		}
		fprintf(f, "  (%zu iterations, %.1f s)\n", n, r->seconds);
		break;
	case LG_STATUS_SKIP:
		fprintf(f, "SKIP  %s  %.*s\n", r->target,
			r->error ? (int)strcspn(r->error, "\n") : 0, r->error ? r->error : "");
		return ferror(f) ? LG_EIO : 0;
	case LG_STATUS_ERROR:
	case LG_STATUS_INTERNAL:
	case LG_STATUS_INTERRUPTED:
		fprintf(f, "%s %s  ", r->status == LG_STATUS_ERROR ? "ERROR" :
			r->status == LG_STATUS_INTERNAL ? "INTERNAL" : "INTERRUPTED", r->target);
		if (r->error_iteration)
			fprintf(f, "%s in iteration %u", r->status == LG_STATUS_INTERRUPTED ?
				"stopped" : "failed", r->error_iteration);
		else
			fprintf(f, "%s before the first iteration",
				r->status == LG_STATUS_INTERRUPTED ? "stopped" : "failed");
		fprintf(f, "  (%.1f s)\n", r->seconds);
		if (r->error)
			print_indented(f, r->error, "  ");
		print_native_stacks(f, r);
		return ferror(f) ? LG_EIO : 0;
	}

	if (verbose < 0)
		return ferror(f) ? LG_EIO : 0;
	if (r->attribution.text)
		fputs(r->attribution.text, f);
	if (r->status == LG_STATUS_LEAK || r->status == LG_STATUS_KNOWN || verbose > 0) {
		fprintf(f, "  %s; %zu warm-up and %zu measured iterations; judged the last %zu\n",
			r->python ? r->python : "CPython", warm, n - warm, r->verdict.window_len);
		print_counters(f, r);
	}
	if (r->status == LG_STATUS_LEAK) {
		fprintf(f, "  failed:");
		for (c = 0; c < LG_NCOUNTERS; c++)
			if ((r->verdict.failed >> c) & 1)
				fprintf(f, " %s", lg_counter_name((lg_counter)c));
		fprintf(f, "\n");
		print_native_stacks(f, r);
	} else if (r->status == LG_STATUS_KNOWN) {
		fprintf(f, "  known leak (baseline):");
		for (c = 0; c < LG_NCOUNTERS; c++)
			if ((r->known >> c) & 1)
				fprintf(f, " %s", lg_counter_name((lg_counter)c));
		fprintf(f, "\n");
	}
	if (r->fixed) {
		fprintf(f, "  fixed: no longer grows past its budget, so its baseline line can go:");
		for (c = 0; c < LG_NCOUNTERS; c++)
			if ((r->fixed >> c) & 1)
				fprintf(f, " %s", lg_counter_name((lg_counter)c));
		fprintf(f, "\n");
	}
	if (r->status != LG_STATUS_LEAK && r->verdict.undecided) {
		fprintf(f, "  no growth shown within the iteration limit for:");
		for (c = 0; c < LG_NCOUNTERS; c++)
			if ((r->verdict.undecided >> c) & 1)
				fprintf(f, " %s", lg_counter_name((lg_counter)c));
		fprintf(f, " (raise -n to decide them)\n");
	}
	return ferror(f) ? LG_EIO : 0;
}

/* The code point of the UTF-8 sequence at s (at most len bytes, len > 0) in *cp, and its
 * length; a byte that starts no valid sequence (a stray continuation, an overlong form, a
 * surrogate, past U+10FFFF, cut short) is one byte long and reads as U+FFFD. */
size_t lg__utf8_next(const char *s, size_t len, unsigned long *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned long c, min;
	size_t n, i;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		n = 2, c = u[0] & 0x1f, min = 0x80;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		n = 3, c = u[0] & 0x0f, min = 0x800;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		n = 4, c = u[0] & 0x07, min = 0x10000;
	} else {
		goto invalid;
	}
	if (n > len)
		goto invalid;
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			goto invalid;
		c = c << 6 | (u[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto invalid;
	*cp = c;
	return n;
invalid:
	*cp = 0xfffd;
	return 1;
}

/* A JSON string: always valid UTF-8, whatever the bytes of s (a file name that is not
 * UTF-8, a message with a lone surrogate encoded as such): a byte that starts no valid
 * sequence becomes U+FFFD. */
static void json_string(FILE *f, const char *s)
{
	size_t len = s ? strlen(s) : 0, k;

	fputc('"', f);
	while (len > 0) {
		unsigned long cp;
		unsigned char ch = (unsigned char)*s;

		k = lg__utf8_next(s, len, &cp);
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch == '\t')
			fputs("\\t", f);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\u%04x", ch);
		else if (cp == 0xfffd && k == 1)
			fputs("\\ufffd", f);
		else
			fwrite(s, 1, k, f);
		s += k;
		len -= k;
	}
	fputc('"', f);
}

/* A number exactly: an integral value (below 2^53, where doubles are exact) as an
 * integer, any other as the shortest decimal that reads back to the same double;
 * NaN and infinities, which JSON cannot write, as null. */
static void json_number(FILE *f, double v)
{
	char buf[40];
	int prec;

	if (!isfinite(v)) {
		fputs("null", f);
		return;
	}
	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		fprintf(f, "%.0f", v == 0 ? 0.0 : v);
		return;
	}
	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fprintf(f, "%.*g", prec, v);
}

static void json_counter(FILE *f, const lg_result *r, int c)
{
	const lg_trend *t = &r->verdict.trend[c];
	size_t i;

	fprintf(f, "\"%s\": {\"unit\": \"%s\", \"judged\": %s, \"budget\": ",
		lg_counter_name((lg_counter)c), lg_counter_unit((lg_counter)c),
		lg_counter_judged((lg_counter)c) ? "true" : "false");
	json_number(f, r->opts.budget[c]);
	if (t->n) {
		fputs(", \"slope\": ", f);
		json_number(f, t->slope);
		fputs(", \"lo\": ", f);
		json_number(f, t->lo);
		fputs(", \"hi\": ", f);
		json_number(f, t->hi);
		fputs(", \"mk_z\": ", f);
		json_number(f, t->mk_z);
	}
	if (r->verdict.state[c] != LG_STATE_NONE) {
		fputs(", \"floor_rate\": ", f);
		json_number(f, r->verdict.floor_rate[c]);
	}
	fprintf(f, ", \"state\": \"%s\", \"series\": [", state_word(r->verdict.state[c]));
	for (i = 0; i < r->series.len; i++)
		fprintf(f, "%s%lld", i ? ", " : "", (long long)r->series.samples[i].value[c]);
	fputs("]}", f);
}

static void json_result(FILE *f, const lg_result *r)
{
	int c, first = 1;
	size_t i;

	fputs("{\"target\": ", f);
	json_string(f, r->target);
	fputs(", \"python\": ", f);
	if (r->python)
		json_string(f, r->python);
	else
		fputs("null", f);
	fprintf(f, ", \"verdict\": \"%s\", \"iterations\": %zu, \"warmup\": %zu, \"seconds\": ",
		status_word(r->status), r->series.len, lg_series_warmup(&r->series));
	json_number(f, r->seconds);
	fputs(", \"failed\": [", f);
	for (c = 0; c < LG_NCOUNTERS; c++)
		if ((r->verdict.failed >> c) & 1) {
			fprintf(f, "%s\"%s\"", first ? "" : ", ", lg_counter_name((lg_counter)c));
			first = 0;
		}
	fputs("], \"known\": [", f);
	for (first = 1, c = 0; c < LG_NCOUNTERS; c++)
		if ((r->known >> c) & 1) {
			fprintf(f, "%s\"%s\"", first ? "" : ", ", lg_counter_name((lg_counter)c));
			first = 0;
		}
	fputs("], \"fixed\": [", f);
	for (first = 1, c = 0; c < LG_NCOUNTERS; c++)
		if ((r->fixed >> c) & 1) {
			fprintf(f, "%s\"%s\"", first ? "" : ", ", lg_counter_name((lg_counter)c));
			first = 0;
		}
	fprintf(f, "], \"window\": {\"start\": %zu, \"length\": %zu}, \"error\": ",
		r->verdict.window_start, r->verdict.window_len);
	if (r->status == LG_STATUS_ERROR || r->status == LG_STATUS_INTERNAL ||
	    r->status == LG_STATUS_INTERRUPTED) {
		fprintf(f, "{\"iteration\": %u, \"message\": ", r->error_iteration);
		json_string(f, r->error ? r->error : "");
		fputs("}", f);
	} else {
		fputs("null", f);
	}
	fputs(", \"skip\": ", f);
	if (r->status == LG_STATUS_SKIP) {
		fputs("{\"reason\": ", f);
		json_string(f, r->error ? r->error : "");
		fputs("}", f);
	} else {
		fputs("null", f);
	}
	fputs(", \"elapsed\": [", f);
	for (i = 0; i < r->series.len; i++) {
		if (i)
			fputs(", ", f);
		json_number(f, r->series.samples[i].elapsed);
	}
	/* The worker renders the attribution object itself (schema in README.md). */
	fprintf(f, "], \"attribution\": %s", r->attribution.json ? r->attribution.json : "null");
	fputs(", \"counters\": {", f);
	first = 1;
	for (c = 0; c < LG_NCOUNTERS; c++) {
		if (!available(r, c))
			continue;
		if (!first)
			fputs(", ", f);
		json_counter(f, r, c);
		first = 0;
	}
	fputs("}, \"native_stacks\": ", f);
	if (r->native_stacks)
		json_string(f, r->native_stacks);
	else
		fputs("null", f);
	fputs("}", f);
}

int lg_report_json(FILE *f, const lg_result *const *results, size_t n)
{
	size_t i, count[LG_STATUS_INTERRUPTED + 1] = { 0 };

	/* Every outcome counted, as the closing line of `leakgate run` counts them. */
	for (i = 0; i < n; i++)
		if ((unsigned)results[i]->status <= LG_STATUS_INTERRUPTED)
			count[results[i]->status]++;
	fprintf(f, "{\"leakgate\": \"%s\", \"schema_version\": %d, \"summary\": {\"pass\": %zu, "
		"\"leak\": %zu, \"known\": %zu, \"error\": %zu, \"skip\": %zu, \"internal\": %zu, "
		"\"interrupted\": %zu}, \"targets\": [", LG_VERSION, LG_REPORT_SCHEMA_VERSION,
		count[LG_STATUS_PASS], count[LG_STATUS_LEAK], count[LG_STATUS_KNOWN],
		count[LG_STATUS_ERROR], count[LG_STATUS_SKIP], count[LG_STATUS_INTERNAL],
		count[LG_STATUS_INTERRUPTED]);
	for (i = 0; i < n; i++) {
		fputs(i ? ",\n  " : "\n  ", f);
		json_result(f, results[i]);
	}
	fputs("\n]}\n", f);
	return ferror(f) ? LG_EIO : 0;
}
