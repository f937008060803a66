/* verdict.c: the statistics behind the verdict: Theil-Sen trends with Sen's confidence
 * interval and the Mann-Kendall test, the schedule of doubling spans, and the judgement of
 * each counter's trend and floor against its budget. Pure C, no I/O. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "leakgate.h"

/* The most points one fit uses (130,816 pairwise slopes); longer windows are thinned. */
#define FIT_MAX 512

/* A span's growth is confirmed when the span before it grew at no more than this many
 * times its rate: 1/sqrt(2), between a leak's 1 and an amortised resize's 1/2. */
#define SLOWER 0.70710678118654752

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

	/* A constant series (most counters of most windows: descriptors, threads...) has
	 * slope, interval and z all 0, as the general case below finds at O(n^2) cost. */
	for (i = 1; i < n && y[i] == y[0]; i++)
		;
	if (i == n)
		return;
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
	o->limit = 0;
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

/*
 * The schedule (README, "How the verdict decides"). After the warm-up come spans of
 * min_window, 2 min_window, 4 min_window, ... samples. Each span is judged with the sample
 * before it as its anchor, so a step between two spans lands inside the later one. With a
 * limit, the span that would leave fewer than min_window samples after it runs to the
 * limit instead.
 */
struct span {
	size_t begin, end;  /* post-warm-up sample counts: the span holds (begin, end] */
	unsigned k;         /* 0: the probe */
	int final;          /* it ends at the limit */
};

/* The span that holds post-warm-up sample m (1-based), or the last one before it. */
static void find_span(size_t m, size_t len0, size_t cap, struct span *out)
{
	size_t begin = 0, len = len0;
	unsigned k = 0;

	for (;;) {
		size_t end = begin + len;
		int final = 0;

		if (end >= cap || cap - end < len0) {
			end = cap;
			final = 1;
		}
		if (m <= end || final || len > SIZE_MAX / 4) {
			out->begin = begin;
			out->end = end;
			out->k = k;
			out->final = final;
			return;
		}
		begin = end;
		len *= 2;
		k++;
	}
}

/* Theil-Sen over samples [first, first + n) of counter c, thinned to at most FIT_MAX
 * points ending at the last one; the slope is per iteration. */
static void window_fit(const lg_series *s, size_t first, size_t n, int c, double z, double *ws,
		       double *y, lg_trend *t)
{
	size_t stride = (n + FIT_MAX - 1) / FIT_MAX, npts = (n - 1) / stride + 1, i;
	size_t from = first + n - 1 - (npts - 1) * stride;

	for (i = 0; i < npts; i++)
		y[i] = (double)s->samples[from + i * stride].value[c];
	trend_fit_ws(y, npts, z, ws, t);
	t->slope /= (double)stride;
	t->lo /= (double)stride;
	t->hi /= (double)stride;
}

/* How the floor and the ceiling of counter c move across samples [first, first + n):
 * the rise of the minimum and of the maximum from the first half to the second (what
 * bounds it), and the floor's rate (what fails it). */
struct envelope {
	double floor_rise, ceil_rise;
	double floor_rate;  /* the floor's rise per call; NAN when the window cannot tell */
	int cycles;         /* the counter cycles: floor_rate compares troughs */
	size_t period;      /* the longest stretch between rises of its floor */
};

/*
 * The floor's rate over a window (README, "How the verdict decides"): how fast the lowest
 * value the counter returns to rises, from a block at the window's start to a block at its
 * end, per call between them. The blocks must be at least as long as the longest period
 * the counter shows, so that each holds a trough of whatever cycle it runs:
 *
 * - A counter whose rise from the window's first sample to its last exceeds every single
 *   fall in it does not move by itself (any fall is smaller than the growth): blocks of
 *   one sample, the rise from end to end. Growth in bursts counts whole, however sparse.
 * - Otherwise it cycles (a sawtooth, noise): its deep falls (each at least half the
 *   deepest) end its cycles, and the blocks are as long as the longest stretch between
 *   deep falls, the stretches before the first and after the last included (a cycle still
 *   running is at least that long). When that is more than half the window, the window is
 *   too short to hold two troughs: NAN, it cannot tell.
 */
static double floor_rate(const lg_series *s, size_t first, size_t n, int c, int *cycles)
{
	const lg_sample *x = s->samples + first;
	int64_t deepest = 0, rise = x[n - 1].value[c] - x[0].value[c], lo0, lo1;
	size_t i, last = 0, block = 0;

	for (i = 1; i < n; i++) {
		int64_t d = x[i - 1].value[c] - x[i].value[c];

		if (d > deepest)
			deepest = d;
	}
	*cycles = rise < deepest;
	if (!*cycles)
		return (double)rise / (double)(n - 1);
	/* Deep falls: x[i] is a trough's first sample, i samples into the window. */
	for (i = 1; i < n; i++) {
		if (2 * (x[i - 1].value[c] - x[i].value[c]) < deepest)
			continue;
		if (i - last > block)
			block = i - last;
		last = i;
	}
	if (n - 1 - last > block)
		block = n - 1 - last;
	if (2 * block > n - 1)
		return NAN;
	/* The first block is x[0..block], the last x[n - 1 - block..n - 1]. */
	lo0 = x[0].value[c];
	lo1 = x[n - 1].value[c];
	for (i = 0; i <= block; i++) {
		if (x[i].value[c] < lo0)
			lo0 = x[i].value[c];
		if (x[n - 1 - i].value[c] < lo1)
			lo1 = x[n - 1 - i].value[c];
	}
	return (double)(lo1 - lo0) / (double)(n - 1 - block);
}

/*
 * The counter's period over a window, for attribution: how many calls its growth takes to
 * show once. What a leak keeps is what raises the floor, the lowest value the counter
 * still returns to (the minimum from each sample to the window's end), whatever it does
 * by itself on top (a sawtooth, a resize): the period is the longest stretch between two
 * rises of that floor, the stretches before the first and after the last included. 1 for
 * growth on every call, 25 for a burst every 25 calls, a sawtooth's cycle for a leak
 * under it; the whole window when the floor never rises.
 */
static size_t floor_period(const lg_series *s, size_t first, size_t n, int c)
{
	const lg_sample *x = s->samples + first;
	int64_t lo = x[n - 1].value[c];
	size_t i, last = n - 1, longest = 0;

	/* From the end backwards: the floor at i is the minimum of x[i..n-1]. It rose
	 * between i and i + 1 when x[i] is below every later value. */
	for (i = n - 1; i-- > 0;) {
		if (x[i].value[c] >= lo)
			continue;
		lo = x[i].value[c];
		if (last - i > longest)
			longest = last - i;
		last = i;
	}
	if (last > longest)
		longest = last;
	return longest > 0 ? longest : 1;
}

static void envelope(const lg_series *s, size_t first, size_t n, int c, struct envelope *e)
{
	size_t half = n / 2, i;
	int64_t lo[2], hi[2];

	lo[0] = hi[0] = s->samples[first].value[c];
	lo[1] = hi[1] = s->samples[first + half].value[c];
	for (i = 0; i < n; i++) {
		int64_t v = s->samples[first + i].value[c];
		int b = i >= half;

		if (v < lo[b])
			lo[b] = v;
		if (v > hi[b])
			hi[b] = v;
	}
	e->floor_rise = (double)(lo[1] - lo[0]);
	e->ceil_rise = (double)(hi[1] - hi[0]);
	e->floor_rate = floor_rate(s, first, n, c, &e->cycles);
	e->period = floor_period(s, first, n, c);
}

/* Bounded: neither the floor nor the ceiling rose by more than the budget allows over
 * the distance between the halves (a step anywhere in the window raises one of them), and
 * either the trend's whole interval lies at or below the budget or both halves reach the
 * same floor and ceiling: a counter that moves must show its whole movement in each half,
 * or a window that happens to end past a sawtooth's drop would look like a fall. */
enum bound { UNBOUNDED, BOUNDED, ASK_TREND };

/* The envelope's part of that: UNBOUNDED or BOUNDED, or ASK_TREND when it fell and only
 * the trend's interval can tell (the one case that needs the O(n^2) fit). */
static enum bound envelope_bound(const struct envelope *e, size_t n, double budget)
{
	/* The first half's minimum may be its first sample and the second's its first; the
	 * maxima, the last samples of each: n / 2 and n - n / 2 calls apart. */
	double floor_allowed = budget * (double)(n / 2), ceil_allowed = budget * (double)(n - n / 2);

	if (e->floor_rise > floor_allowed || e->ceil_rise > ceil_allowed)
		return UNBOUNDED;
	if (e->floor_rise >= -floor_allowed && e->ceil_rise >= -ceil_allowed)
		return BOUNDED;
	return ASK_TREND;
}

/* Growing: the floor rose faster than the budget allows (floor_rate). The floor, not the
 * trend, decides: a leak in bursts moves too few of Theil-Sen's pairwise slopes to lift
 * its interval, and a leak under a sawtooth widens that interval past any budget, while
 * the floor rises under both. */
static int is_growing(const struct envelope *e, double budget)
{
	return e->floor_rate > budget;  /* false for NAN: the window cannot tell */
}

/* Growth in a span that must decide alone (the limit leaves room for no other): it
 * confirms itself, its floor rising in both halves, the later at no less than 1/sqrt(2)
 * of the earlier rate, as two spans would. A single step lands in one half only. */
static int grows_in_both_halves(const lg_series *s, size_t first, size_t n, int c,
				double budget)
{
	size_t h = n / 2;
	double r0, r1;
	int cycles;

	if (n < 5)
		return 1;
	r0 = floor_rate(s, first, h + 1, c, &cycles);
	r1 = floor_rate(s, first + h, n - h, c, &cycles);
	return r0 > budget && r1 > budget && r1 >= r0 * SLOWER;
}

/* A span's samples in the series, its anchor first: the first index and the count. */
static void span_window(const struct span *sp, size_t warm, size_t *first, size_t *n)
{
	size_t a = warm + sp->begin;

	*first = a > 0 ? a - 1 : a;
	*n = warm + sp->end - *first;
}

/* Where a series of len samples, the first warm of them warm-up, stands in the schedule:
 * *m the measured samples and *cap the most the limit leaves measured; 0 when too few are
 * measured to decide, else 1 with *cur the span that holds the last (a decision to fail
 * is taken where it ends). */
static int schedule_at(size_t len, size_t warm, const lg_verdict_opts *o, size_t *m,
		       size_t *cap, struct span *cur)
{
	size_t L = o->min_window;

	*m = len > warm ? len - warm : 0;
	*cap = o->limit == 0 ? SIZE_MAX : o->limit > warm ? o->limit - warm : 0;
	if (L < 3 || *m < L)
		return 0;
	find_span(*m, L, *cap, cur);
	return 1;
}

int lg__verdict_span_ends(size_t len, size_t warm, const lg_verdict_opts *o)
{
	struct span cur;
	size_t m, cap;

	return o && opts_valid(o) && schedule_at(len, warm, o, &m, &cap, &cur) &&
	       m == cur.end;
}

/* lg_verdict_judge, or with all_trends 0 lg__verdict_decide: the same states and outcome,
 * fitting a counter's trend only where its bound needs it. */
static int judge(const lg_series *s, const lg_verdict_opts *o, int all_trends, lg_verdict *out)
{
	uint32_t available;
	size_t warm, m, cap, first, n, pfirst = 0, pn = 0, npts, need, L;
	struct span cur = { 0 }, prev = { 0 };
	double *ws, *y;
	int decide, span_end, c, err;

	if (s == NULL || o == NULL || out == NULL)
		return LG_EINVAL;
	if ((s->len > 0 && s->samples == NULL) || !opts_valid(o))
		return LG_EINVAL;

	memset(out, 0, sizeof(*out));
	out->outcome = LG_UNDECIDED;
	warm = lg_series_warmup(s);
	L = o->min_window;
	decide = schedule_at(s->len, warm, o, &m, &cap, &cur);
	if (!decide) {
		/* Not enough to decide: show the trends of all post-warm-up samples. */
		first = warm;
		n = m;
		span_end = 0;
	} else {
		/* A decision to fail is taken where a span ends; one to pass on any sample,
		 * from the trailing window as long as the current span. */
		span_end = m == cur.end;
		if (span_end) {
			span_window(&cur, warm, &first, &n);
			if (cur.k > 0) {
				find_span(cur.begin, L, cap, &prev);
				span_window(&prev, warm, &pfirst, &pn);
			}
		} else {
			n = cur.end - cur.begin;
			if (n > m)
				n = m;
			first = s->len - n;
			if (first > 0) {
				first--;
				n++;
			}
		}
	}
	out->window_start = first;
	out->window_len = n;
	if (n < 3)
		return LG_OK;

	/* The span before may be longer than a last span cut short by the limit. */
	npts = n > pn ? n : pn;
	err = fit_workspace(npts < FIT_MAX ? npts : FIT_MAX, &need);
	if (err)
		return err;
	ws = malloc((need + FIT_MAX) * sizeof(*ws));
	if (ws == NULL)
		return LG_ENOMEM;
	y = ws + need;

	available = s->available & ((UINT32_C(1) << LG_NCOUNTERS) - 1);
	for (c = 0; c < LG_NCOUNTERS; c++) {
		lg_trend *t = &out->trend[c];
		double budget = o->budget[c];
		struct envelope e;
		enum bound b;
		int grows = 0;

		if (!(available & (UINT32_C(1) << c)))
			continue;
		if (all_trends || !decide)
			window_fit(s, first, n, c, o->z, ws, y, t);
		if (!decide || !lg_counter_judged((lg_counter)c))
			continue;
		envelope(s, first, n, c, &e);
		out->floor_rate[c] = e.floor_rate;
		out->period[c] = e.period;
		if (span_end && is_growing(&e, budget)) {
			/* Growth in the span just ended. It fails when it is confirmed: the span
			 * before it (after the probe) grew too, and this span's floor rose at no
			 * less than 1/sqrt(2) of that span's rate, the midpoint on a log scale
			 * between a leak (the same rate in every span) and steps whose spacing
			 * doubles (half the rate each time the span doubles). The probe is no
			 * confirmation, unless the limit leaves room for nothing but it and one
			 * span (or it alone). */
			int prev_grows = 0, slowing = 0, prev_blind = 0;

			if (cur.k > 0) {
				struct envelope pe;

				envelope(s, pfirst, pn, c, &pe);
				prev_grows = is_growing(&pe, budget);
				prev_blind = isnan(pe.floor_rate);
				slowing = prev_grows && e.floor_rate < pe.floor_rate * SLOWER;
			}
			/* The last span also decides alone when it compares troughs of a cycle
			 * that the span before was too short to hold twice: there is no earlier
			 * rate to compare with. */
			if (cur.k >= 2 && !cur.final)
				grows = prev_grows && !slowing;
			else if (cur.final)
				grows = (cur.k == 0 && grows_in_both_halves(s, first, n, c,
									       budget)) ||
					(prev_blind && e.cycles) || (prev_grows && !slowing);
		}
		if (grows) {
			out->state[c] = LG_STATE_GROWING;
			out->failed |= UINT32_C(1) << c;
			continue;
		}
		b = envelope_bound(&e, n, budget);
		if (b == ASK_TREND) {
			if (t->n == 0)
				window_fit(s, first, n, c, o->z, ws, y, t);
			b = t->hi <= budget ? BOUNDED : UNBOUNDED;
		}
		if (b == BOUNDED) {
			out->state[c] = LG_STATE_BOUNDED;
		} else {
			out->state[c] = LG_STATE_UNDECIDED;
			out->undecided |= UINT32_C(1) << c;
		}
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

int lg_verdict_judge(const lg_series *s, const lg_verdict_opts *o, lg_verdict *out)
{
	return judge(s, o, 1, out);
}

int lg__verdict_decide(const lg_series *s, const lg_verdict_opts *o, lg_verdict *out)
{
	return judge(s, o, 0, out);
}

/* Leaves the per-counter states and the `undecided` bits as they were, so a report can
 * still say which counters never settled. */
void lg_verdict_finish(lg_verdict *v)
{
	if (v == NULL)
		return;
	v->outcome = v->failed ? LG_LEAK : LG_PASS;
}

/*
 * Growth made only of tombstones (README, "How the verdict decides"): dead weak references
 * that their holder keeps until it sweeps them, as sqlite3's connection keeps one per
 * cursor and prunes them every 200 cursors. Such a holder is a sawtooth whose rising edge
 * may outlast every span of the schedule, so the verdict, which sees a steady rise, cannot
 * tell it from a leak; what can is the sweep. The run measures on to its limit, and passes
 * when every counter that failed fell, after the attribution, by at least what the window
 * that failed it saw it rise (a sweep takes back at least the tombstones that window saw
 * made); otherwise the tombstones are a leak: nothing swept them for the rest of the run.
 * The fall is measured from the highest value before it, not from values before the
 * attribution, which its own imports raised once.
 */
void lg__tomb_start(lg__tomb *t, const lg_series *s, const lg_verdict *v)
{
	size_t i, end = v->window_start + v->window_len;
	int c;

	memset(t, 0, sizeof(*t));
	t->failed = v->failed;
	t->from = s->len;
	if (end > s->len)
		end = s->len;
	for (c = 0; c < LG_NCOUNTERS && end > v->window_start; c++) {
		int64_t lo = s->samples[end - 1].value[c];

		for (i = v->window_start; i < end; i++)
			if (s->samples[i].value[c] < lo)
				lo = s->samples[i].value[c];
		t->rise[c] = s->samples[end - 1].value[c] - lo;
		if (t->rise[c] < 1)
			t->rise[c] = 1;
	}
}

uint32_t lg__tomb_left(const lg__tomb *t, const lg_series *s, size_t *at)
{
	uint32_t left = t->failed;
	int64_t peak[LG_NCOUNTERS];
	size_t i;
	int c;

	*at = 0;
	for (c = 0; c < LG_NCOUNTERS; c++)
		peak[c] = INT64_MIN;
	for (i = t->from; i < s->len && left; i++) {
		for (c = 0; c < LG_NCOUNTERS; c++) {
			int64_t v = s->samples[i].value[c];

			if (!(left & (UINT32_C(1) << c)))
				continue;
			if (v > peak[c])
				peak[c] = v;
			if (peak[c] - v < t->rise[c])
				continue;
			left &= ~(UINT32_C(1) << c);
			*at = i + 1;
		}
	}
	return left;
}
