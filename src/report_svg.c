/* report_svg.c: pictures of finished targets: an SVG chart of every counter's series per
 * iteration (warm-up shaded, the fitted trend drawn over the judged window, the verdict in
 * the title), and the Graphviz graph of attribution's referrer chains. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "leakgate.h"

#define PANEL_W 320
#define PANEL_H 170
#define COLS 3
#define PAD_L 64
#define PAD_R 12
#define PAD_T 26
#define PAD_B 26
#define TITLE_H 34

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

static void panel(FILE *f, const lg_result *r, int c, double x0, double y0)
{
	size_t n = r->series.len, warm = lg_series_warmup(&r->series), i;
	double lo = INFINITY, hi = -INFINITY, pw = PANEL_W - PAD_L - PAD_R,
	       ph = PANEL_H - PAD_T - PAD_B, sx, sy;
	const lg_trend *t = &r->verdict.trend[c];
	int growing = (r->verdict.failed >> c) & 1;

	for (i = 0; i < n; i++) {
		double v = (double)r->series.samples[i].value[c];

		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	if (hi - lo < 1) {
		hi += 0.5;
		lo -= 0.5;
	}
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
	if (t->n)
		fprintf(f, " <tspan font-weight=\"normal\" fill=\"%s\">%+.2f %s/iter</tspan>",
			growing ? "#b00" : "#555", t->slope, lg_counter_unit((lg_counter)c));
	fputs("</text>\n", f);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.0f</text>\n",
		x0 + PAD_L - 4, y0 + PAD_T + 8, hi);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.0f</text>\n",
		x0 + PAD_L - 4, y0 + PAD_T + ph, lo);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">"
		"iteration (1-%zu)</text>\n", x0 + PAD_L + pw / 2, y0 + PANEL_H - 8, n);
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
	case LG_STATUS_INTERRUPTED: return "INTERRUPTED";
	default: return "INTERNAL";
	}
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

int lg_report_svg(FILE *f, const lg_result *const *results, size_t n)
{
	size_t i, height = 0;
	int c;

	for (i = 0; i < n; i++)
		height += TITLE_H + rows_of(results[i]) * PANEL_H;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%zu\" "
		"viewBox=\"0 0 %d %zu\" font-family=\"sans-serif\">\n", COLS * PANEL_W,
		height ? height : 1, COLS * PANEL_W, height ? height : 1);
	fputs("<rect width=\"100%\" height=\"100%\" fill=\"#fafafa\"/>\n", f);
	height = 0;
	for (i = 0; i < n; i++) {
		const lg_result *r = results[i];
		size_t k = 0;

		fprintf(f, "<text class=\"title\" x=\"10\" y=\"%zu\" font-size=\"16\" "
			"font-weight=\"bold\" fill=\"%s\">", height + 23,
			r->status == LG_STATUS_PASS ? "#185" : "#b00");
		lg__xml_text(f, verdict_word(r->status), SIZE_MAX);
		fputs("  ", f);
		lg__xml_text(f, r->target, SIZE_MAX);
		if (r->status == LG_STATUS_LEAK) {
			fputs("  (growing:", f);
			for (c = 0; c < LG_NCOUNTERS; c++)
				if ((r->verdict.failed >> c) & 1)
					fprintf(f, " %s", lg_counter_name((lg_counter)c));
			fputs(")", f);
		}
		fputs("</text>\n", f);
		height += TITLE_H;
		for (c = 0; c < LG_NCOUNTERS; c++) {
			if (!charted(r, c))
				continue;
			panel(f, r, c, (double)(k % COLS) * PANEL_W,
			      (double)height + (double)(k / COLS) * PANEL_H);
			k++;
		}
		height += rows_of(r) * PANEL_H;
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

	fputs("digraph leakgate {\n  rankdir=LR;\n  node [shape=ellipse, fontname=\"sans-serif\", "
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
