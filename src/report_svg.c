/* report_svg.c: pictures of finished targets: an SVG chart that leads with what failed
 * (every counter's series per iteration, warm-up shaded, the fitted trend drawn over the
 * judged window, axes in the counter's unit) and ends with an index of the passing
 * targets, one row each; and the Graphviz graph of attribution's referrer chains. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "leakgate.h"

#define PANEL_W 320
#define PANEL_H 180
#define COLS 3
#define WIDTH (COLS * PANEL_W)
#define PAD_L 80
#define PAD_R 12
#define PAD_T 26
#define PAD_B 34
#define HEAD_H 40   /* the run's summary line */
#define TITLE_H 34  /* a failing target's title */
#define WHY_H 18    /* a line of its error */
#define WHY_LINES 4 /* error lines shown */
#define INDEX_H 32  /* the heading of the passing targets' index */
#define ROW_H 20    /* one passing target */
#define SPARK_W 100

static int charted(const lg_result *r, int c)
{
	return ((r->series.available >> c) & 1) && r->series.len > 0 &&
	       (lg_counter_judged((lg_counter)c) || c == LG_RSS);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The intercept of the trend line over the window: the median of y - slope * x. */
static double intercept(const lg_result *r, int c)
{
	size_t start = r->verdict.window_start, n = r->verdict.window_len, i;
	double *d, mid;

	if (!n || start + n > r->series.len || !(d = malloc(n * sizeof(*d))))
		return NAN;
	for (i = 0; i < n; i++)
		d[i] = (double)r->series.samples[start + i].value[c] -
		       r->verdict.trend[c].slope * (double)i;
	qsort(d, n, sizeof(*d), cmp_double);
	mid = n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
	free(d);
	return mid;
}

/* How an axis writes its values: divided by scale, with a suffix (" KiB", "k"). */
struct scale {
	double div;
	const char *suffix;
};

/* Bytes in B, KiB, MiB or GiB, counts plain, in thousands (k) or millions (M): whichever
 * keeps the largest magnitude m below 1024 (or 10000) of the unit. */
static struct scale scale_for(const char *unit, double m)
{
	if (!strcmp(unit, "bytes")) {
		if (m >= 1024.0 * 1024 * 1024)
			return (struct scale){ 1024.0 * 1024 * 1024, " GiB" };
		if (m >= 1024.0 * 1024)
			return (struct scale){ 1024.0 * 1024, " MiB" };
		if (m >= 1024.0)
			return (struct scale){ 1024.0, " KiB" };
		return (struct scale){ 1, " B" };
	}
	if (m >= 1e7)
		return (struct scale){ 1e6, "M" };
	if (m >= 1e4)
		return (struct scale){ 1e3, "k" };
	return (struct scale){ 1, "" };
}

/* The smallest "nice" step (1, 2 or 5 times a power of ten) that cuts span into at most
 * `most` intervals; at least `least` (1 for whole units). */
static double nice_step(double span, int most, double least)
{
	double raw = span / most, p = pow(10, floor(log10(raw > 0 ? raw : 1))), m[] = { 1, 2, 5, 10 };
	size_t i;

	for (i = 0; i < 4; i++)
		if (m[i] * p >= raw)
			break;
	raw = m[i < 4 ? i : 3] * p;
	return raw < least ? least : raw;
}

/* Writes v (in scaled units) with as many decimals as step needs, and the suffix. */
static void tick_label(char *buf, size_t size, double v, double step, const char *suffix)
{
	int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);

	if (decimals > 6)
		decimals = 6;
	snprintf(buf, size, "%.*f%s", decimals, fabs(v) < step / 1e6 ? 0.0 : v, suffix);
}

/* A growth per iteration with its unit: "+1.00 blocks/iter", "+1.5 KiB/iter". */
static void rate_label(char *buf, size_t size, double slope, const char *unit)
{
	struct scale sc = scale_for(unit, fabs(slope));

	if (!strcmp(unit, "bytes"))
		snprintf(buf, size, "%+.*f%s/iter", sc.div == 1 ? 0 : 2, slope / sc.div,
			 sc.suffix);
	else
		snprintf(buf, size, "%+.2f %s/iter", slope, unit);
}

static void panel(FILE *f, const lg_result *r, int c, double x0, double y0)
{
	size_t n = r->series.len, warm = lg_series_warmup(&r->series), i;
	double lo = INFINITY, hi = -INFINITY, pw = PANEL_W - PAD_L - PAD_R,
	       ph = PANEL_H - PAD_T - PAD_B, sx, sy, step, v;
	const lg_trend *t = &r->verdict.trend[c];
	const char *unit = lg_counter_unit((lg_counter)c);
	int growing = (r->verdict.failed >> c) & 1;
	struct scale sc;
	char label[64];
	int k, ticks;

	for (i = 0; i < n; i++) {
		v = (double)r->series.samples[i].value[c];
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	/* The axis runs between ticks a nice step apart that enclose every value. */
	/* A flat series gets an axis about 1% of its value tall (at least one unit). */
	sc = scale_for(unit, fmax(fabs(lo), fabs(hi)));
	step = nice_step((hi > lo ? hi - lo : fmax(1, fabs(hi) / 100)) / sc.div, 4, 1 / sc.div);
	lo = floor(lo / sc.div / step) * step * sc.div;
	hi = ceil(hi / sc.div / step) * step * sc.div;
	if (hi - lo < step * sc.div)
		hi = lo + step * sc.div;
	sx = n > 1 ? pw / (double)(n - 1) : pw;
	sy = ph / (hi - lo);
#define X(i) (x0 + PAD_L + (double)(i) * sx)
#define Y(v) (y0 + PAD_T + (hi - (v)) * sy)
	fprintf(f, "<g class=\"panel\" id=\"%s\">\n", lg_counter_name((lg_counter)c));
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fff\" "
		"stroke=\"#bbb\"/>\n", x0 + PAD_L, y0 + PAD_T, pw, ph);
	if (warm > 0)
		fprintf(f, "<rect class=\"warmup\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\" fill=\"#e8e8e8\"><title>warm-up (not judged)</title>"
			"</rect>\n", X(0), y0 + PAD_T, (double)(warm < n ? warm : n - 1) * sx, ph);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" font-weight=\"bold\">%s",
		x0 + PAD_L, y0 + 17, lg_counter_name((lg_counter)c));
	if (t->n) {
		rate_label(label, sizeof(label), t->slope, unit);
		fprintf(f, " <tspan font-weight=\"normal\" fill=\"%s\">%s</tspan>",
			growing ? "#b00" : "#555", label);
	}
	fputs("</text>\n", f);
	/* Value ticks, with grid lines; counted, as adding a step to a value of 2^53 or
	 * more may not change it. */
	ticks = (int)fmin(floor((hi - lo) / (step * sc.div) + 0.5), 20);
	for (k = 0; k <= ticks; k++) {
		v = lo + (double)k * step * sc.div;
		tick_label(label, sizeof(label), v / sc.div, step, sc.suffix);
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#eee\"/>\n", x0 + PAD_L, Y(v), x0 + PAD_L + pw, Y(v));
		fprintf(f, "<text class=\"ytick\" x=\"%.1f\" y=\"%.1f\" font-size=\"10\" "
			"text-anchor=\"end\">%s</text>\n", x0 + PAD_L - 4, Y(v) + 3.5, label);
	}
	fprintf(f, "<text class=\"yunit\" x=\"%.1f\" y=\"%.1f\" font-size=\"10\" "
		"fill=\"#666\" transform=\"rotate(-90 %.1f %.1f)\" text-anchor=\"middle\">%s</text>\n",
		x0 + 10, y0 + PAD_T + ph / 2, x0 + 10, y0 + PAD_T + ph / 2, unit);
	/* Iteration ticks: calls made, the first sample being call 1. */
	if (n > 0) {
		double xs = nice_step((double)n, 5, 1);

		for (k = 0; (double)k * xs <= (double)n; k++) {
			double at = k ? (double)k * xs : 1;

			fprintf(f, "<text class=\"xtick\" x=\"%.1f\" y=\"%.1f\" font-size=\"10\" "
				"text-anchor=\"middle\">%.0f</text>\n", X(at - 1),
				y0 + PAD_T + ph + 12, at);
		}
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#666\" "
		"text-anchor=\"middle\">iteration</text>\n", x0 + PAD_L + pw / 2,
		y0 + PANEL_H - 6);
	fputs("<polyline class=\"series\" fill=\"none\" stroke=\"#2a6db0\" stroke-width=\"1.5\" "
	      "points=\"", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%.1f,%.1f", i ? " " : "", X(i),
			Y((double)r->series.samples[i].value[c]));
	fputs("\"/>\n", f);
	if (t->n && r->verdict.window_len > 1 && lg_counter_judged((lg_counter)c)) {
		size_t a = r->verdict.window_start, b = a + r->verdict.window_len - 1;
		double b0 = intercept(r, c);

		if (isfinite(b0))
			fprintf(f, "<line class=\"trend\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				"y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"6 3\">"
				"<title>fitted trend %+.3g/iter</title></line>\n", X(a), Y(b0), X(b),
				Y(b0 + t->slope * (double)(b - a)), growing ? "#d00" : "#2a2",
				t->slope);
	}
	fputs("</g>\n", f);
#undef X
#undef Y
}

static const char *verdict_word(lg_status s)
{
	switch (s) {
	case LG_STATUS_PASS: return "PASS";
	case LG_STATUS_LEAK: return "LEAK";
	case LG_STATUS_ERROR: return "ERROR";
	case LG_STATUS_SKIP: return "SKIP";
	case LG_STATUS_KNOWN: return "KNOWN";
	case LG_STATUS_INTERRUPTED: return "INTERRUPTED";
	default: return "INTERNAL";
	}
}

/* What failed leads the chart: leaks, then errors (interrupted targets among them);
 * passing, skipped and known-leak targets follow as an index of one row each. */
static int failing(const lg_result *r)
{
	return r->status != LG_STATUS_PASS && r->status != LG_STATUS_SKIP &&
	       r->status != LG_STATUS_KNOWN;
}

/* Rows of panels a target takes. */
static size_t rows_of(const lg_result *r)
{
	size_t k = 0;
	int c;

	for (c = 0; c < LG_NCOUNTERS; c++)
		k += (size_t)charted(r, c);
	return (k + COLS - 1) / COLS;
}

/* Lines of a failing target's error shown under its title. */
static size_t why_lines(const lg_result *r)
{
	size_t k = 0;
	const char *p;

	if (r->status == LG_STATUS_LEAK || !r->error)
		return 0;
	for (p = r->error; *p && k < WHY_LINES; p += strcspn(p, "\n"), p += *p == '\n')
		k++;
	return k;
}

static size_t failing_height(const lg_result *r)
{
	return TITLE_H + why_lines(r) * WHY_H + rows_of(r) * PANEL_H;
}

/* A failing target: its title, the last lines of its error, a panel per counter. */
static void failing_target(FILE *f, const lg_result *r, size_t y)
{
	size_t k = 0, lines = why_lines(r), total = 0, skip;
	const char *p;
	int c;

	fprintf(f, "<g class=\"target failing\">\n<text class=\"title\" x=\"10\" y=\"%zu\" "
		"font-size=\"16\" font-weight=\"bold\" fill=\"#b00\">", y + 23);
	lg__xml_text(f, verdict_word(r->status), SIZE_MAX);
	fputs("  ", f);
	lg__xml_text(f, r->target, SIZE_MAX);
	if (r->status == LG_STATUS_LEAK) {
		fputs("  (growing:", f);
		for (c = 0; c < LG_NCOUNTERS; c++)
			if ((r->verdict.failed >> c) & 1)
				fprintf(f, " %s", lg_counter_name((lg_counter)c));
		fputs(")", f);
	} else if (r->error_iteration) {
		fprintf(f, "  (in iteration %u)", r->error_iteration);
	}
	fputs("</text>\n", f);
	y += TITLE_H;
	/* An error's last lines say what happened (a traceback ends with the exception). */
	for (p = r->error; lines && p && *p; p += strcspn(p, "\n"), p += *p == '\n')
		total++;
	skip = total > lines ? total - lines : 0;
	for (p = r->error, k = 0; lines && p && *p; p += strcspn(p, "\n"), p += *p == '\n', k++) {
		if (k < skip)
			continue;
		fprintf(f, "<text class=\"why\" x=\"24\" y=\"%zu\" font-size=\"12\" "
			"font-family=\"monospace\" xml:space=\"preserve\">", y + 13);
		lg__xml_text(f, p, strcspn(p, "\n"));
		fputs("</text>\n", f);
		y += WHY_H;
	}
	for (c = 0, k = 0; c < LG_NCOUNTERS; c++) {
		if (!charted(r, c))
			continue;
		panel(f, r, c, (double)(k % COLS) * PANEL_W,
		      (double)y + (double)(k / COLS) * PANEL_H);
		k++;
	}
	fputs("</g>\n", f);
}

/* A passing or skipped target in the index: verdict, iterations and time, a sparkline
 * of py_blocks, the name. */
static void index_row(FILE *f, const lg_result *r, size_t y)
{
	size_t n = r->series.len, i;
	double lo = INFINITY, hi = -INFINITY;

	fprintf(f, "<g class=\"target passing\">\n<text class=\"row\" x=\"10\" y=\"%zu\" "
		"font-size=\"12\"><tspan font-weight=\"bold\" fill=\"%s\">%s</tspan>"
		"<tspan x=\"70\">", y + 14, r->status == LG_STATUS_PASS ? "#185" :
		r->status == LG_STATUS_KNOWN ? "#a60" : "#777",
		verdict_word(r->status));
	if (r->status == LG_STATUS_SKIP)
		fputs("skipped", f);
	else
		fprintf(f, "%zu it, %.1f s", n, r->seconds);
	fprintf(f, "</tspan><tspan x=\"%d\">", 190 + SPARK_W);
	lg__xml_text(f, r->target, SIZE_MAX);
	if (r->status == LG_STATUS_SKIP && r->error) {
		fputs(" (", f);
		lg__xml_text(f, r->error, strcspn(r->error, "\n"));
		fputs(")", f);
	}
	fputs("</tspan></text>\n", f);
	if (n > 1 && ((r->series.available >> LG_PY_BLOCKS) & 1)) {
		for (i = 0; i < n; i++) {
			double v = (double)r->series.samples[i].value[LG_PY_BLOCKS];

			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
		if (hi - lo < 1)
			hi = lo + 1;
		fputs("<polyline class=\"spark\" fill=\"none\" stroke=\"#2a6db0\" stroke-width=\"1\" "
		      "points=\"", f);
		for (i = 0; i < n; i++)
			fprintf(f, "%s%.1f,%.1f", i ? " " : "",
				180 + (double)i * SPARK_W / (double)(n - 1),
				(double)y + 16 - ((double)r->series.samples[i].value[LG_PY_BLOCKS] -
						  lo) * 12 / (hi - lo));
		fputs("\"><title>py_blocks per iteration</title></polyline>\n", f);
	}
	fputs("</g>\n", f);
}

int lg_report_svg(FILE *f, const lg_result *const *results, size_t n)
{
	size_t i, height = HEAD_H, y, count[LG_STATUS_INTERRUPTED + 1] = { 0 }, passing = 0;
	int pass;

	for (i = 0; i < n; i++) {
		const lg_result *r = results[i];

		count[r->status <= LG_STATUS_INTERRUPTED ? r->status : LG_STATUS_INTERNAL]++;
		if (failing(r))
			height += failing_height(r);
		else
			passing++;
	}
	if (passing)
		height += INDEX_H + passing * ROW_H + 8;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%zu\" "
		"viewBox=\"0 0 %d %zu\" font-family=\"sans-serif\">\n", WIDTH, height, WIDTH,
		height);
	fputs("<rect width=\"100%\" height=\"100%\" fill=\"#fafafa\"/>\n", f);
	fprintf(f, "<text class=\"summary\" x=\"10\" y=\"26\" font-size=\"18\" "
		"font-weight=\"bold\" fill=\"%s\">leakgate: %zu target%s: %zu leak%s, %zu "
		"error%s, %zu passed", count[LG_STATUS_LEAK] + count[LG_STATUS_ERROR] +
		count[LG_STATUS_INTERNAL] + count[LG_STATUS_INTERRUPTED] ? "#b00" : "#185", n,
		n == 1 ? "" : "s", count[LG_STATUS_LEAK], count[LG_STATUS_LEAK] == 1 ? "" : "s",
		count[LG_STATUS_ERROR] + count[LG_STATUS_INTERNAL],
		count[LG_STATUS_ERROR] + count[LG_STATUS_INTERNAL] == 1 ? "" : "s",
		count[LG_STATUS_PASS]);
	if (count[LG_STATUS_SKIP])
		fprintf(f, ", %zu skipped", count[LG_STATUS_SKIP]);
	if (count[LG_STATUS_KNOWN])
		fprintf(f, ", %zu known leak%s", count[LG_STATUS_KNOWN],
			count[LG_STATUS_KNOWN] == 1 ? "" : "s");
	if (count[LG_STATUS_INTERRUPTED])
		fprintf(f, ", %zu interrupted", count[LG_STATUS_INTERRUPTED]);
	fputs("</text>\n", f);
	y = HEAD_H;
	/* Leaks first, then errors, each in the order given. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++) {
			const lg_result *r = results[i];

			if (!failing(r) || (r->status == LG_STATUS_LEAK) != (pass == 0))
				continue;
			failing_target(f, r, y);
			y += failing_height(r);
		}
	if (passing) {
		fprintf(f, "<text class=\"index\" x=\"10\" y=\"%zu\" font-size=\"15\" "
			"font-weight=\"bold\" fill=\"#333\">Passing and skipped targets (%zu): "
			"iterations, time, py_blocks per iteration</text>\n", y + 22, passing);
		y += INDEX_H;
		for (i = 0; i < n; i++)
			if (!failing(results[i])) {
				index_row(f, results[i], y);
				y += ROW_H;
			}
	}
	fputs("</svg>\n", f);
	return ferror(f) ? LG_EIO : 0;
}

/* Writes attribution's Graphviz statements with every control character (a name may hold
 * any) as the visible text \xNN: Graphviz would pass it into its SVG, which XML forbids.
 * Statements end with newlines; labels carry theirs escaped. */
static void put_dot(FILE *f, const char *dot)
{
	for (; *dot; dot++) {
		unsigned char c = (unsigned char)*dot;

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			fprintf(f, "\\\\x%02x", c);
		else
			fputc(c, f);
	}
}

int lg_report_dot(FILE *f, const lg_result *const *results, size_t n)
{
	size_t i;

	/* Top to bottom: a chain grows down the page, chains and targets sit side by side,
	 * and the worker wraps long labels, so a long chain still fits a screen's width. */
	fputs("digraph leakgate {\n  rankdir=TB;\n  node [shape=ellipse, fontname=\"sans-serif\", "
	      "fontsize=10];\n  edge [fontname=\"sans-serif\", fontsize=9];\n", f);
	for (i = 0; i < n; i++) {
		const lg_result *r = results[i];

		if (!r->attribution.dot || !*r->attribution.dot)
			continue;
		fprintf(f, "  subgraph cluster_%zu {\n  label=\"", i);
		for (const char *p = r->target; *p; p++) {
			if (*p == '"' || *p == '\\')
				fputc('\\', f);
			if ((unsigned char)*p >= 0x20)
				fputc(*p, f);
		}
		fputs("\";\n", f);
		put_dot(f, r->attribution.dot);
		fputs("  }\n", f);
	}
	fputs("}\n", f);
	return ferror(f) ? LG_EIO : 0;
}
