/* verdict.c: the statistics behind the verdict: Theil-Sen trends with Sen's confidence
 * interval and the Mann-Kendall test, and the judgement of each counter of a series
 * against its budget. Pure C, no I/O. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "leakgate.h"

/* The most points one fit uses (130,816 pairwise slopes); longer windows are thinned. */
#define FIT_MAX 512

/* Below this length a range is finished with an insertion sort. */
#define SELECT_SMALL 16

/* The number of doubles a fit of n points needs: the n(n-1)/2 pairwise slopes, then a
 * sorted copy of y. 0 and *out set, or LG_ENOMEM when it would not fit in memory. */
static int fit_workspace(size_t n, size_t *out)
{
	size_t pairs;

	if (n - 1 > SIZE_MAX / n)
		return LG_ENOMEM;
	pairs = n * (n - 1) / 2;
	if (pairs > SIZE_MAX / sizeof(double) - n)
		return LG_ENOMEM;
	*out = pairs + n;
	return LG_OK;
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

static void swap_double(double *a, double *b)
{
	double t = *a;

	*a = *b;
	*b = t;
}

static void insertion_sort(double *a, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		double v = a[i];

		for (j = i; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

static double median3(double a, double b, double c)
{
	if (a < b) {
		if (b < c)
			return b;
		return a < c ? c : a;
	}
	if (a < c)
		return a;
	return b < c ? c : b;
}

/* Rearranges a[lo..hi) so that a[k] holds the value it has in sorted order, with nothing
 * larger before it and nothing smaller after it. Hoare's selection with a median-of-three
 * pivot (Wirth's form: both scans stop on keys equal to the pivot, so the many equal
 * pairwise slopes still split evenly); after too many rounds it sorts what is left, so
 * the worst case stays O(n log n). */
static void select_kth(double *a, size_t lo, size_t hi, size_t k)
{
	unsigned rounds = 8;
	size_t n;

	for (n = hi - lo; n > 1; n >>= 1)
		rounds += 2;
	while (hi - lo > SELECT_SMALL) {
		/* Inclusive bounds: the scans need signed indices to step past each other. */
		ptrdiff_t i = (ptrdiff_t)lo, j = (ptrdiff_t)hi - 1;
		double p;

		if (rounds-- == 0) {
			qsort(a + lo, hi - lo, sizeof(*a), cmp_double);
			return;
		}
		p = median3(a[lo], a[lo + (hi - lo) / 2], a[hi - 1]);
		/* p is in the range, so neither scan runs off it. */
		do {
			while (a[i] < p)
				i++;
			while (p < a[j])
				j--;
			if (i <= j)
				swap_double(&a[i++], &a[j--]);
		} while (i <= j);
		/* Now a[lo..j] <= p, a[i..hi) >= p, and whatever lies between equals p. */
		if ((ptrdiff_t)k <= j)
			hi = (size_t)j + 1;
		else if ((ptrdiff_t)k >= i)
			lo = (size_t)i;
		else
			return;
	}
	insertion_sort(a + lo, hi - lo);
}

/* A 1-based rank from a real one: rounded to nearest, clamped to [1, n]. */
static size_t clamp_rank(double r, size_t n)
{
	r = floor(r + 0.5);
	if (r < 1.0)
		return 1;
	if (r > (double)n)
		return n;
	return (size_t)r;
}

/* lg_trend_fit on a caller's workspace of fit_workspace(n) doubles, so that the verdict
 * fits every counter with one allocation. */
static void trend_fit_ws(const double *y, size_t n, double z, double *ws, lg_trend *out)
{
	size_t npairs = n * (n - 1) / 2, i, j, p = 0, run;
	double *slope = ws, *sorted = ws + npairs;
	double var, ties = 0.0, c, dn = (double)n;
	int64_t s = 0;
	size_t rank[4];

	memset(out, 0, sizeof(*out));
	out->n = n;

	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			double d = y[j] - y[i];

			slope[p++] = d / (double)(j - i);
			s += (d > 0) - (d < 0);
		}
	}

	/* Groups of tied y values shrink the variance of the Mann-Kendall statistic S. */
	memcpy(sorted, y, n * sizeof(*y));
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	if (sorted[0] == sorted[n - 1])
		return;  /* constant: slope, interval and z are all 0 */
	for (i = 0; i < n; i += run) {
		double t;

		for (run = 1; i + run < n && sorted[i + run] == sorted[i]; run++)
			;
		t = (double)run;
		ties += t * (t - 1.0) * (2.0 * t + 5.0);
	}
	var = (dn * (dn - 1.0) * (2.0 * dn + 5.0) - ties) / 18.0;

	if (s > 0)
		out->mk_z = (double)(s - 1) / sqrt(var);
	else if (s < 0)
		out->mk_z = (double)(s + 1) / sqrt(var);

	/* Sen's interval: the slopes at ranks (N - C)/2 and (N + C)/2 + 1, C = z sqrt(Var S).
	 * The lower rank never exceeds the median's, nor the upper falls below it. */
	c = z * sqrt(var);
	rank[0] = clamp_rank(((double)npairs - c) / 2.0, npairs);
	rank[1] = (npairs + 1) / 2;
	rank[2] = npairs / 2 + 1;  /* the same as rank[1] when npairs is odd */
	rank[3] = clamp_rank(((double)npairs + c) / 2.0 + 1.0, npairs);

	/* Selecting the ranks in increasing order lets each search start past the last. */
	for (i = 0, p = 0; i < 4; i++) {
		if (rank[i] - 1 < p)
			continue;
		select_kth(slope, p, npairs, rank[i] - 1);
		p = rank[i];
	}
	out->lo = slope[rank[0] - 1];
	out->slope = (slope[rank[1] - 1] + slope[rank[2] - 1]) / 2.0;
	out->hi = slope[rank[3] - 1];
}

int lg_trend_fit(const double *y, size_t n, double z, lg_trend *out)
{
	size_t i, need;
	double *ws;
	int err;

	if (y == NULL || out == NULL || n < 3 || !(z >= 0.0) || !isfinite(z))
		return LG_EINVAL;
	for (i = 0; i < n; i++) {
		if (!isfinite(y[i]))
			return LG_EINVAL;
	}
	err = fit_workspace(n, &need);
	if (err)
		return err;
	ws = malloc(need * sizeof(*ws));
	if (ws == NULL)
		return LG_ENOMEM;
	trend_fit_ws(y, n, z, ws, out);
	free(ws);
	return LG_OK;
}

void lg_verdict_opts_init(lg_verdict_opts *o)
{
	int c;

	if (o == NULL)
		return;
	for (c = 0; c < LG_NCOUNTERS; c++)
		o->budget[c] = lg_counter_default_budget((lg_counter)c);
	o->min_window = 20;
	o->z = 3.29;  /* 99.9%, two-sided */
}

static int opts_valid(const lg_verdict_opts *o)
{
	int c;

	if (!(o->z >= 0.0) || !isfinite(o->z))
		return 0;
	for (c = 0; c < LG_NCOUNTERS; c++) {
		if (isnan(o->budget[c]))
			return 0;
	}
	return 1;
}

static lg_state judge_state(const lg_trend *t, double budget)
{
	if (t->lo > budget)
		return LG_STATE_GROWING;
	if (t->hi <= budget)
		return LG_STATE_BOUNDED;
	return LG_STATE_UNDECIDED;
}

int lg_verdict_judge(const lg_series *s, const lg_verdict_opts *o, lg_verdict *out)
{
	uint32_t available;
	size_t warm, m, start, w, stride, npts, first, need, i;
	double *ws, *y;
	int decide, c, err;

	if (s == NULL || o == NULL || out == NULL)
		return LG_EINVAL;
	if ((s->len > 0 && s->samples == NULL) || !opts_valid(o))
		return LG_EINVAL;

	memset(out, 0, sizeof(*out));
	out->outcome = LG_UNDECIDED;
	warm = lg_series_warmup(s);
	m = s->len - warm;
	decide = o->min_window >= 3 && m >= o->min_window;
	if (decide) {
		w = m / 2 > o->min_window ? m / 2 : o->min_window;
	} else {
		/* Not enough to decide: show the trends of all post-warm-up samples. */
		w = m;
	}
	start = s->len - w;
	out->window_start = start;
	out->window_len = w;
	if (w < 3)
		return LG_OK;

	/* Thin long windows to every stride-th sample, ending at the last one. */
	stride = (w + FIT_MAX - 1) / FIT_MAX;
	npts = (w - 1) / stride + 1;
	first = s->len - 1 - (npts - 1) * stride;

	err = fit_workspace(npts, &need);
	if (err)
		return err;
	ws = malloc((need + npts) * sizeof(*ws));
	if (ws == NULL)
		return LG_ENOMEM;
	y = ws + need;

	available = s->available & ((UINT32_C(1) << LG_NCOUNTERS) - 1);
	for (c = 0; c < LG_NCOUNTERS; c++) {
		lg_trend *t = &out->trend[c];

		if (!(available & (UINT32_C(1) << c)))
			continue;
		for (i = 0; i < npts; i++)
			y[i] = (double)s->samples[first + i * stride].value[c];
		trend_fit_ws(y, npts, o->z, ws, t);
		t->slope /= (double)stride;
		t->lo /= (double)stride;
		t->hi /= (double)stride;
		if (!decide || !lg_counter_judged((lg_counter)c))
			continue;
		out->state[c] = judge_state(t, o->budget[c]);
		if (out->state[c] == LG_STATE_GROWING)
			out->failed |= UINT32_C(1) << c;
		else if (out->state[c] == LG_STATE_UNDECIDED)
			out->undecided |= UINT32_C(1) << c;
	}
	free(ws);

	if (decide) {
		if (out->failed)
			out->outcome = LG_LEAK;
		else if (!out->undecided)
			out->outcome = LG_PASS;
	}
	return LG_OK;
}

/* Leaves the per-counter states and the `undecided` bits as they were, so a report can
 * still say which counters never settled. */
void lg_verdict_finish(lg_verdict *v)
{
	if (v == NULL)
		return;
	v->outcome = v->failed ? LG_LEAK : LG_PASS;
}
