/* test_verdict.c: unit tests of src/verdict.c: the Theil-Sen / Mann-Kendall trend fit and
 * the verdict over synthetic series (leaks, hidden leaks, caches, steps, noise). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/internal.h"
#include "leakgate.h"

#define BIT(c) (UINT32_C(1) << (c))

/* A deterministic pseudo-random integer in [-amp, amp] (Knuth's MMIX LCG). */
static int64_t lcg_noise(uint64_t *state, int amp)
{
	*state = *state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return (int64_t)((*state >> 33) % (uint64_t)(2 * amp + 1)) - amp;
}

/* Appends one sample with value v for counter c (every other counter 0). */
static void push(lg_series *s, int warmup, lg_counter c, int64_t v)
{
	lg_sample x;

	memset(&x, 0, sizeof(x));
	x.iteration = (uint32_t)s->len + 1;
	x.warmup = warmup ? 1 : 0;
	x.value[c] = v;
	cr_assert_eq(lg_series_append(s, &x), LG_OK);
}

/* Judges the first len samples of s. */
static lg_verdict judge_prefix(const lg_series *s, size_t len, const lg_verdict_opts *o)
{
	lg_series view = *s;
	lg_verdict v;

	view.len = len;
	cr_assert_eq(lg_verdict_judge(&view, o, &v), LG_OK);
	return v;
}

static lg_verdict judge_all(const lg_series *s)
{
	lg_verdict_opts o;

	lg_verdict_opts_init(&o);
	return judge_prefix(s, s->len, &o);
}

/* ---- lg_trend_fit ---- */

Test(trend, hand_computed_example)
{
	/* y = 0, 1, 2, 2, 5. The ten pairwise slopes (y[j] - y[i]) / (j - i):
	 *   (0,1) 1  (0,2) 1  (0,3) 2/3  (0,4) 5/4  (1,2) 1  (1,3) 1/2  (1,4) 4/3
	 *   (2,3) 0  (2,4) 3/2  (3,4) 3
	 * sorted: 0, 1/2, 2/3, 1, 1, 1, 5/4, 4/3, 3/2, 3; N = 10, so the median is the mean
	 * of ranks 5 and 6: slope = 1.
	 * S = 9 (every pair rises but (2,3), which ties). Var S = [5*4*15 - 2*1*9] / 18 =
	 * 282/18 = 15.667 (one pair of tied 2s), sqrt = 3.9581, mk_z = (9 - 1) / 3.9581 =
	 * 2.0212.
	 * z = 1.96: C = 7.758; lower rank (10 - 7.758)/2 = 1.12 -> 1 -> 0; upper rank
	 * (10 + 7.758)/2 + 1 = 9.88 -> 10 -> 3.
	 * z = 1: C = 3.958; lower rank 3.02 -> 3 -> 2/3; upper rank 7.98 -> 8 -> 4/3. */
	static const double y[] = { 0, 1, 2, 2, 5 };
	lg_trend t;

	cr_assert_eq(lg_trend_fit(y, 5, 1.96, &t), LG_OK);
	cr_assert_eq(t.n, 5);
	cr_assert_float_eq(t.slope, 1.0, 1e-12);
	cr_assert_float_eq(t.mk_z, 8.0 / sqrt(282.0 / 18.0), 1e-12);
	cr_assert_float_eq(t.mk_z, 2.0212, 1e-4);
	cr_assert_float_eq(t.lo, 0.0, 1e-12);
	cr_assert_float_eq(t.hi, 3.0, 1e-12);

	cr_assert_eq(lg_trend_fit(y, 5, 1.0, &t), LG_OK);
	cr_assert_float_eq(t.slope, 1.0, 1e-12);
	cr_assert_float_eq(t.lo, 2.0 / 3.0, 1e-12);
	cr_assert_float_eq(t.hi, 4.0 / 3.0, 1e-12);
}

Test(trend, odd_number_of_pairs)
{
	/* y = 0, 3, 1: slopes 3, 1/2, -2; median 1/2. S = 1 + 1 - 1 = 1, so mk_z = 0.
	 * Var S = 3*2*11/18 = 3.667. z = 0: lower rank round(1.5) = 2 -> 1/2, upper rank
	 * round(1.5) + 1 = 3 -> 3. */
	static const double y[] = { 0, 3, 1 };
	lg_trend t;

	cr_assert_eq(lg_trend_fit(y, 3, 0.0, &t), LG_OK);
	cr_assert_float_eq(t.slope, 0.5, 1e-12);
	cr_assert_float_eq(t.mk_z, 0.0, 1e-12);
	cr_assert_float_eq(t.lo, 0.5, 1e-12);
	cr_assert_float_eq(t.hi, 3.0, 1e-12);
}

Test(trend, constant_series_is_flat)
{
	double y[50];
	lg_trend t;
	size_t i;

	for (i = 0; i < 50; i++)
		y[i] = 123456789.0;
	cr_assert_eq(lg_trend_fit(y, 50, 3.29, &t), LG_OK);
	cr_assert_eq(t.n, 50);
	cr_assert_eq(t.slope, 0.0);
	cr_assert_eq(t.lo, 0.0);
	cr_assert_eq(t.hi, 0.0);
	cr_assert_eq(t.mk_z, 0.0);
}

Test(trend, decreasing_series)
{
	double y[30];
	lg_trend t;
	size_t i;

	for (i = 0; i < 30; i++)
		y[i] = 1000.0 - 2.0 * (double)i;
	cr_assert_eq(lg_trend_fit(y, 30, 3.29, &t), LG_OK);
	cr_assert_float_eq(t.slope, -2.0, 1e-12);
	cr_assert_float_eq(t.lo, -2.0, 1e-12);
	cr_assert_float_eq(t.hi, -2.0, 1e-12);
	/* S = -435, Var S = 30*29*65/18: z = -434 / sqrt(3141.67) = -7.743. */
	cr_assert_float_eq(t.mk_z, -434.0 / sqrt(30.0 * 29.0 * 65.0 / 18.0), 1e-9);
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

/* The same fit computed the slow, obvious way: every slope sorted. */
static void reference_fit(const double *y, size_t n, double z, lg_trend *out)
{
	size_t npairs = n * (n - 1) / 2, i, j, p = 0, lo, hi;
	double *sl = malloc(npairs * sizeof(*sl)), *sy = malloc(n * sizeof(*sy));
	double ties = 0, var, c, dn = (double)n, r;

	cr_assert_not_null(sl);
	cr_assert_not_null(sy);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			sl[p++] = (y[j] - y[i]) / (double)(j - i);
	qsort(sl, npairs, sizeof(*sl), cmp_double);
	memcpy(sy, y, n * sizeof(*y));
	qsort(sy, n, sizeof(*sy), cmp_double);
	for (i = 0; i < n; i = j) {
		double t;

		for (j = i; j < n && sy[j] == sy[i]; j++)
			;
		t = (double)(j - i);
		ties += t * (t - 1) * (2 * t + 5);
	}
	var = (dn * (dn - 1) * (2 * dn + 5) - ties) / 18;
	c = z * sqrt(var);
	r = floor((npairs - c) / 2 + 0.5);
	lo = r < 1 ? 1 : r > npairs ? npairs : (size_t)r;
	r = floor((npairs + c) / 2 + 1 + 0.5);
	hi = r < 1 ? 1 : r > npairs ? npairs : (size_t)r;
	out->slope = npairs % 2 ? sl[npairs / 2] : (sl[npairs / 2 - 1] + sl[npairs / 2]) / 2;
	out->lo = sl[lo - 1];
	out->hi = sl[hi - 1];
	free(sl);
	free(sy);
}

Test(trend, selection_matches_a_full_sort)
{
	/* Noisy series with few distinct values (many tied slopes) and with many, at the
	 * largest fitted size and at small odd and even sizes. */
	static const size_t sizes[] = { 3, 4, 7, 20, 41, 200, 512 };
	static const int amps[] = { 1, 3, 1000 };
	double y[512];
	uint64_t st = 42;
	size_t si, ai, i;

	for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		for (ai = 0; ai < sizeof(amps) / sizeof(amps[0]); ai++) {
			size_t n = sizes[si];
			lg_trend t, r;

			for (i = 0; i < n; i++)
				y[i] = 0.25 * (double)i + (double)lcg_noise(&st, amps[ai]);
			cr_assert_eq(lg_trend_fit(y, n, 3.29, &t), LG_OK);
			reference_fit(y, n, 3.29, &r);
			cr_assert_eq(t.slope, r.slope, "n %zu amp %d", n, amps[ai]);
			cr_assert_eq(t.lo, r.lo, "n %zu amp %d", n, amps[ai]);
			cr_assert_eq(t.hi, r.hi, "n %zu amp %d", n, amps[ai]);
			cr_assert_leq(t.lo, t.slope);
			cr_assert_leq(t.slope, t.hi);
		}
	}
}

Test(trend, rejects_bad_arguments)
{
	static const double y[] = { 1, 2, 3, 4 };
	double bad[] = { 1, 2, NAN, 4 };
	lg_trend t;

	cr_assert_eq(lg_trend_fit(y, 2, 1.96, &t), LG_EINVAL);
	cr_assert_eq(lg_trend_fit(y, 0, 1.96, &t), LG_EINVAL);
	cr_assert_eq(lg_trend_fit(NULL, 4, 1.96, &t), LG_EINVAL);
	cr_assert_eq(lg_trend_fit(y, 4, 1.96, NULL), LG_EINVAL);
	cr_assert_eq(lg_trend_fit(y, 4, -1.0, &t), LG_EINVAL);
	cr_assert_eq(lg_trend_fit(y, 4, NAN, &t), LG_EINVAL);
	cr_assert_eq(lg_trend_fit(bad, 4, 1.96, &t), LG_EINVAL);
	bad[2] = INFINITY;
	cr_assert_eq(lg_trend_fit(bad, 4, 1.96, &t), LG_EINVAL);
	cr_assert_eq(lg_trend_fit(y, 3, 1.96, &t), LG_OK);
}

/* ---- lg_verdict_judge ---- */

/* ---- the verdict over whole runs: the gate's schedule on synthetic counters ---- */

/* A counter's value after call n (1-based). */
typedef int64_t (*series_fn)(size_t n, const void *arg);

struct run {
	lg_outcome outcome;
	size_t calls;      /* calls made when the verdict was reached */
	lg_verdict v;
};

/* Feeds counter c as the gate's measuring loop does (src/supervisor/gate.c, measure()):
 * one sample per call, the first `warmup` marked warm-up, judged after each measured one
 * until decided or `iterations` were measured; then lg_verdict_finish. */
static struct run run_gate(lg_counter c, series_fn f, const void *arg, size_t warmup,
			   size_t iterations, const lg_verdict_opts *base)
{
	lg_verdict_opts o = *base;
	struct run r = { LG_UNDECIDED, 0 };
	size_t total = warmup + iterations, n;
	lg_series s;

	o.limit = total;
	lg_series_init(&s, BIT(c));
	for (n = 1; n <= total; n++) {
		push(&s, n <= warmup, c, f(n, arg));
		if (n <= warmup)
			continue;
		cr_assert_eq(lg_verdict_judge(&s, &o, &r.v), LG_OK);
		if (r.v.outcome != LG_UNDECIDED)
			break;
	}
	if (r.v.outcome == LG_UNDECIDED)
		lg_verdict_finish(&r.v);
	r.outcome = r.v.outcome;
	r.calls = s.len;
	lg_series_release(&s);
	return r;
}

/* With the defaults of `leakgate run` (lg_gate_opts_init). */
static struct run run_default(lg_counter c, series_fn f, const void *arg)
{
	lg_gate_opts g;

	lg_gate_opts_init(&g);
	return run_gate(c, f, arg, g.warmup, g.iterations, &g.verdict);
}

static int64_t flat(size_t n, const void *arg)
{
	(void)n;
	(void)arg;
	return 4242;
}

static int64_t per_call(size_t n, const void *arg)
{
	return 1000 + (int64_t)n * *(const int64_t *)arg;
}

Test(verdict, opts_defaults)
{
	lg_verdict_opts o;
	lg_gate_opts g;
	int c;

	memset(&o, 0xff, sizeof(o));
	lg_verdict_opts_init(&o);
	for (c = 0; c < LG_NCOUNTERS; c++)
		cr_assert_eq(o.budget[c], lg_counter_default_budget((lg_counter)c));
	cr_assert_eq(o.budget[LG_NATIVE_BYTES], 32.0);
	cr_assert_eq(o.min_window, 20);
	cr_assert_float_eq(o.z, 3.29, 1e-12);
	cr_assert_eq(o.limit, 0);
	/* The gate's schedule: 10 warm-up calls, then spans of 20, 40, 80 and 160. */
	lg_gate_opts_init(&g);
	cr_assert_eq(g.warmup, 10);
	cr_assert_eq(g.iterations, 300);
}

Test(verdict, flat_passes_in_30_calls)
{
	struct run r = run_default(LG_PY_BLOCKS, flat, NULL);

	cr_assert_eq(r.outcome, LG_PASS);
	cr_assert_eq(r.calls, 30);
	cr_assert_eq(r.v.state[LG_PY_BLOCKS], LG_STATE_BOUNDED);
	cr_assert_eq(r.v.window_start, 9);  /* the last warm-up sample anchors the probe */
	cr_assert_eq(r.v.window_len, 21);
	cr_assert_eq(r.v.trend[LG_PY_BLOCKS].slope, 0.0);
	cr_assert_eq(r.v.trend[LG_PY_BLOCKS].hi, 0.0);
}

Test(verdict, one_per_call_fails_at_150_calls)
{
	static const int64_t rates[] = { 1, 3 };
	size_t i;

	for (i = 0; i < 2; i++) {
		struct run r = run_default(LG_PY_BLOCKS, per_call, &rates[i]);

		cr_assert_eq(r.outcome, LG_LEAK);
		cr_assert_eq(r.calls, 150, "rate %lld: %zu calls", (long long)rates[i], r.calls);
		cr_assert_eq(r.v.failed, BIT(LG_PY_BLOCKS));
		cr_assert_eq(r.v.state[LG_PY_BLOCKS], LG_STATE_GROWING);
		/* The judged window is the span of calls 71-150, with its anchor. */
		cr_assert_eq(r.v.window_start, 69);
		cr_assert_eq(r.v.window_len, 81);
		cr_assert_float_eq(r.v.trend[LG_PY_BLOCKS].slope, (double)rates[i], 1e-9);
		cr_assert_float_eq(r.v.trend[LG_PY_BLOCKS].lo, (double)rates[i], 1e-9);
	}
}

static int64_t zero_every_5th(size_t n, const void *arg)
{
	(void)arg;
	return 500 + (int64_t)(n - n / 5);  /* +1 a call, +0 on every 5th: cpython#74959 */
}

Test(verdict, leak_hidden_by_zero_deltas_fails_at_150_calls)
{
	struct run r = run_default(LG_PY_BLOCKS, zero_every_5th, NULL);

	cr_assert_eq(r.outcome, LG_LEAK);
	cr_assert_eq(r.calls, 150);
	cr_assert_float_eq(r.v.trend[LG_PY_BLOCKS].slope, 0.8, 0.21);
}

/* A cache: `rate` blocks a call until call `until`, then nothing. */
struct cache {
	size_t until;
	int64_t rate;
};

static int64_t cache_fill(size_t n, const void *arg)
{
	const struct cache *c = arg;

	return 7000 + c->rate * (int64_t)(n < c->until ? n : c->until);
}

Test(verdict, cache_filling_over_100_calls_passes)
{
	static const struct cache caches[] = { { 40, 3 }, { 60, 1 }, { 100, 1 }, { 100, 3 } };
	size_t i;

	for (i = 0; i < sizeof(caches) / sizeof(caches[0]); i++) {
		struct run r = run_default(LG_PY_BLOCKS, cache_fill, &caches[i]);

		cr_assert_eq(r.outcome, LG_PASS, "cache filling until call %zu", caches[i].until);
		cr_assert_eq(r.v.failed, 0);
		/* Passed by a bounded window after the growth, not at the limit. */
		cr_assert_lt(r.calls, 310, "until %zu: %zu calls", caches[i].until, r.calls);
		cr_assert_eq(r.v.state[LG_PY_BLOCKS], LG_STATE_BOUNDED);
	}
}

/* Bursts: `size` blocks on every call n with n % period == phase. */
struct burst {
	size_t period, phase;
	int64_t size;
};

static int64_t bursts(size_t n, const void *arg)
{
	const struct burst *b = arg;

	return 3000 + b->size * (int64_t)((n + b->period - b->phase) / b->period);
}

Test(verdict, bursts_up_to_every_20_calls_fail)
{
	static const size_t periods[] = { 2, 5, 10, 15, 16, 17, 20 };
	static const int64_t sizes[] = { 1, 10, 100 };
	size_t i, j, phase;

	for (i = 0; i < sizeof(periods) / sizeof(periods[0]); i++) {
		for (j = 0; j < 3; j++) {
			for (phase = 0; phase < periods[i]; phase += (periods[i] + 2) / 3) {
				struct burst b = { periods[i], phase, sizes[j] };
				struct run r = run_default(LG_PY_BLOCKS, bursts, &b);

				cr_assert_eq(r.outcome, LG_LEAK, "%lld every %zu calls (phase %zu): "
					     "passed after %zu calls", (long long)sizes[j], periods[i],
					     phase, r.calls);
				/* Every span after the probe holds at least two bursts, or one
				 * in each of its halves: at call 150 up to every 16 calls. */
				if (periods[i] <= 16)
					cr_assert_eq(r.calls, 150, "every %zu calls: %zu calls",
						     periods[i], r.calls);
				cr_assert_leq(r.calls, 310);
			}
		}
	}
}

Test(verdict, bursts_up_to_every_40_calls_fail_when_one_lands_in_the_probe)
{
	/* The cases among them: 10 objects every 25 calls, 200 blocks every 30th
	 * call, and a checkpoint every 40 calls that landed in the probe and passed at the
	 * limit before the floor decided. A burst in calls 11-30 makes the probe grow; the
	 * pass then needs 40 flat calls, which a period up to 40 never gives. With none
	 * there the probe is flat and passes at call 30 (README: the price of that). */
	static const int64_t sizes[] = { 1, 10, 200 };
	size_t period, phase, j, n;

	for (period = 21; period <= 40; period++) {
		for (phase = 0; phase < period; phase++) {
			int seen = 0;

			for (n = 11; n <= 30; n++)
				seen |= n % period == phase;
			for (j = 0; j < 3; j++) {
				struct burst b = { period, phase, sizes[j] };
				struct run r = run_default(LG_PY_BLOCKS, bursts, &b);

				if (seen) {
					cr_assert_eq(r.outcome, LG_LEAK, "%lld every %zu calls (phase %zu)"
						     ": passed after %zu calls", (long long)sizes[j],
						     period, phase, r.calls);
					cr_assert_leq(r.calls, 310);
					cr_assert_eq(r.v.failed, BIT(LG_PY_BLOCKS));
				} else {
					cr_assert_eq(r.outcome, LG_PASS);
					cr_assert_eq(r.calls, 30);
				}
			}
		}
	}
}

Test(verdict, bursts_rarer_than_the_probe_need_a_wider_window)
{
	/* 100 blocks every 50 calls, none in calls 11-30: the probe sees a flat counter and
	 * passes it (README: the longest period is --window's). With --window 50 the probe
	 * holds one and the run goes on to the leak. */
	struct burst b = { 50, 40, 100 };
	lg_verdict_opts o;
	struct run r = run_default(LG_PY_BLOCKS, bursts, &b);

	cr_assert_eq(r.outcome, LG_PASS);
	cr_assert_eq(r.calls, 30);
	lg_verdict_opts_init(&o);
	o.min_window = 50;
	r = run_gate(LG_PY_BLOCKS, bursts, &b, 10, 750, &o);
	cr_assert_eq(r.outcome, LG_LEAK, "%zu calls", r.calls);
}

/* A sawtooth: `rate` blocks a call, all released every `period` calls, from `phase`. */
struct saw {
	size_t period, phase;
	int64_t rate;
};

static int64_t sawtooth(size_t n, const void *arg)
{
	const struct saw *w = arg;

	return 47000 + w->rate * (int64_t)((n + w->phase) % w->period);
}

Test(verdict, sawtooth_up_to_period_120_passes)
{
	static const size_t periods[] = { 7, 20, 50, 100, 120 };
	static const int64_t rates[] = { 2, 11 };
	size_t i, j, phase;

	for (i = 0; i < sizeof(periods) / sizeof(periods[0]); i++) {
		for (j = 0; j < 2; j++) {
			for (phase = 0; phase < periods[i]; phase += (periods[i] + 3) / 4) {
				struct saw w = { periods[i], phase, rates[j] };
				struct run r = run_default(LG_PY_BLOCKS, sawtooth, &w);

				cr_assert_eq(r.outcome, LG_PASS, "period %zu, phase %zu, +%lld: "
					     "failed after %zu calls", periods[i], phase,
					     (long long)rates[j], r.calls);
				cr_assert_leq(r.calls, 310);
			}
		}
	}
}

Test(verdict, sawtooth_of_period_200_needs_window_40)
{
	/* sqlite3's cursor list: +2 a call, pruned every 200 cursors. Its rising edge spans
	 * both confirming spans of the defaults (calls 31-150): a leak as far as the verdict
	 * alone can tell (the gate then finds the growth is dead weak references and waits
	 * for their sweep: tombstones_pass_only_when_swept). --window 40 moves the first
	 * failing decision to call 290, past a drop. */
	struct saw w = { 200, 0, 2 };
	lg_verdict_opts o;
	struct run r = run_default(LG_PY_BLOCKS, sawtooth, &w);

	cr_assert_eq(r.outcome, LG_LEAK);
	cr_assert_eq(r.calls, 150);
	lg_verdict_opts_init(&o);
	o.min_window = 40;
	for (w.phase = 0; w.phase < 200; w.phase += 25) {
		r = run_gate(LG_PY_BLOCKS, sawtooth, &w, 10, 300, &o);
		cr_assert_eq(r.outcome, LG_PASS, "phase %zu: %zu calls", w.phase, r.calls);
	}
}

/* What attribution re-runs (src/supervisor/gate.c, attributed_period): the failing
 * verdict's period is the longest stretch between rises of the counter's floor, so that
 * a whole burst lands in the re-run; 1 for a leak on every call, also with the steps of a
 * resize on top (which once made a stretch between large steps look like the period). */
/* Four blocks a call, and a resize of 60 blocks every 70 calls. */
static int64_t leak_with_resizes(size_t n, const void *arg)
{
	(void)arg;
	return 39000 + 4 * (int64_t)n + 60 * (int64_t)(n / 70);
}

Test(verdict, period_is_the_stretch_between_rises_of_the_floor)
{
	static const size_t periods[] = { 5, 16, 25, 30 };
	static const int64_t one = 1;
	size_t i, phase, checked = 0;
	struct run r = run_default(LG_PY_BLOCKS, per_call, &one);

	cr_assert_eq(r.outcome, LG_LEAK);
	cr_assert_eq(r.v.period[LG_PY_BLOCKS], 1);
	r = run_default(LG_PY_BLOCKS, leak_with_resizes, NULL);
	cr_assert_eq(r.outcome, LG_LEAK);
	cr_assert_eq(r.v.period[LG_PY_BLOCKS], 1);
	for (i = 0; i < sizeof(periods) / sizeof(periods[0]); i++) {
		for (phase = 0; phase < periods[i]; phase += (periods[i] + 2) / 3) {
			struct burst b = { periods[i], phase, 10 };

			r = run_default(LG_PY_BLOCKS, bursts, &b);
			if (r.outcome != LG_LEAK)
				continue;  /* a rare burst the probe missed (bursts_*) */
			cr_assert_eq(r.v.period[LG_PY_BLOCKS], periods[i], "every %zu (phase %zu): "
				     "period %zu", periods[i], phase, r.v.period[LG_PY_BLOCKS]);
			checked++;
		}
	}
	cr_assert_geq(checked, 8, "%zu cases failed, as bursts should", checked);
}

Test(verdict, period_of_a_sawtooth_is_its_cycle)
{
	/* A leak of one block a call under a sawtooth of 20 fails at call 150 (see
	 * leak_under_a_sawtooth_*): its floor rises at the troughs only, as the swing
	 * outgrows the leak at once, every 20 calls. */
	struct saw w = { 20, 0, 25 };
	lg_series s;
	size_t n;
	lg_verdict v;
	lg_verdict_opts o;

	lg_verdict_opts_init(&o);
	o.limit = 310;
	lg_series_init(&s, BIT(LG_PY_BLOCKS));
	for (n = 1; n <= 150; n++)
		push(&s, n <= 10, LG_PY_BLOCKS, sawtooth(n, &w) + (int64_t)n);
	cr_assert_eq(lg_verdict_judge(&s, &o, &v), LG_OK);
	cr_assert_eq(v.outcome, LG_LEAK);
	cr_assert_eq(v.period[LG_PY_BLOCKS], 20);
	lg_series_release(&s);
}

/* The tombstone rule: the series of a failed verdict, measured on to call 310 after an
 * attribution at call 150 whose own imports raise the counter by 4000 at call 151. */
static uint32_t tomb_left(series_fn f, const void *arg, size_t *at)
{
	lg_verdict_opts o;
	lg_verdict v;
	lg_series s;
	lg__tomb t;
	uint32_t left;
	size_t n;

	lg_verdict_opts_init(&o);
	o.limit = 310;
	lg_series_init(&s, BIT(LG_PY_BLOCKS));
	for (n = 1; n <= 150; n++)
		push(&s, n <= 10, LG_PY_BLOCKS, f(n, arg));
	cr_assert_eq(lg_verdict_judge(&s, &o, &v), LG_OK);
	cr_assert_eq(v.outcome, LG_LEAK, "the rule starts from a leak verdict");
	lg__tomb_start(&t, &s, &v);
	cr_assert_eq(t.failed, BIT(LG_PY_BLOCKS));
	for (; n <= 310; n++)
		push(&s, 0, LG_PY_BLOCKS, f(n, arg) + 4000);
	left = lg__tomb_left(&t, &s, at);
	lg_series_release(&s);
	return left;
}

/* A list of dead weak references that is never pruned, or pruned of only some. */
static int64_t partly_pruned(size_t n, const void *arg)
{
	int64_t keep = *(const int64_t *)arg;  /* of every 200, how many stay */

	return 1000 + (int64_t)(n % 200) + keep * (int64_t)(n / 200);
}

Test(verdict, tombstones_pass_only_when_swept)
{
	/* sqlite3's cursor list: +1 a call, pruned every 200 cursors, in every phase. */
	struct saw w = { 200, 0, 1 };
	static const int64_t keep[] = { 150, 199 };
	size_t at, i, checked = 0;

	for (w.phase = 0; w.phase < 200; w.phase += 10) {
		struct run r = run_default(LG_PY_BLOCKS, sawtooth, &w);

		if (r.outcome != LG_LEAK)
			continue;  /* the prune fell before call 150: the verdict saw it */
		cr_assert_eq(tomb_left(sawtooth, &w, &at), 0, "phase %zu", w.phase);
		cr_assert(at > 150 && at <= 310, "phase %zu: swept at %zu", w.phase, at);
		checked++;
	}
	/* The phases whose prune misses calls 31-150 (80 of 200) fail at the verdict. */
	cr_assert_geq(checked, 7, "%zu phases failed at the verdict", checked);
	/* Appended forever: never swept. */
	{
		static const int64_t one = 1;

		cr_assert_eq(tomb_left(per_call, &one, &at), BIT(LG_PY_BLOCKS));
	}
	/* A prune that takes back less than the failed window (calls 71-150) saw grow
	 * (80) is no sweep: it keeps most of what it holds. */
	for (i = 0; i < 2; i++)
		cr_assert_eq(tomb_left(partly_pruned, &keep[i], &at), BIT(LG_PY_BLOCKS),
			     "keeps %lld of 200", (long long)keep[i]);
}

/* A sawtooth that keeps `leak` blocks a call through its flushes. */
struct leaky_saw {
	struct saw w;
	int64_t leak;
};

static int64_t leaking_sawtooth(size_t n, const void *arg)
{
	const struct leaky_saw *l = arg;

	return sawtooth(n, &l->w) + l->leak * (int64_t)n;
}

Test(verdict, leak_under_a_sawtooth_fails_whatever_the_swing)
{
	/* A swing of 220 blocks every 20 calls: 1 block a call kept through it (issue 22,
	 * a false negative while the trend decided) raises every trough, as 5 do. */
	static const int64_t leaks[] = { 1, 5 };
	size_t i, phase;

	for (i = 0; i < 2; i++) {
		for (phase = 0; phase < 20; phase += 3) {
			struct leaky_saw l = { { 20, phase, 11 }, leaks[i] };
			struct run r = run_default(LG_PY_BLOCKS, leaking_sawtooth, &l);

			cr_assert_eq(r.outcome, LG_LEAK, "+%lld under the swing, phase %zu: passed "
				     "after %zu calls", (long long)leaks[i], phase, r.calls);
			cr_assert_eq(r.calls, 150, "phase %zu: %zu calls", phase, r.calls);
			cr_assert_float_eq(r.v.floor_rate[LG_PY_BLOCKS], (double)leaks[i], 0.05);
		}
	}
}

Test(verdict, leak_under_a_sawtooth_of_up_to_80_calls_fails_by_call_310)
{
	/* The last span (160 calls) holds two troughs of a cycle up to 80 calls; the span
	 * before could not (40 calls of an 80-call cycle), so the last decides alone. */
	static const size_t periods[] = { 40, 60, 80 };
	size_t i, phase;

	for (i = 0; i < 3; i++) {
		for (phase = 0; phase < periods[i]; phase += periods[i] / 4) {
			struct leaky_saw l = { { periods[i], phase, 11 }, 1 };
			struct run r = run_default(LG_PY_BLOCKS, leaking_sawtooth, &l);

			cr_assert_eq(r.outcome, LG_LEAK, "period %zu, phase %zu: passed after %zu "
				     "calls", periods[i], phase, r.calls);
			cr_assert_leq(r.calls, 310);
		}
	}
	/* The same cycles without the leak pass. */
	for (i = 0; i < 3; i++) {
		for (phase = 0; phase < periods[i]; phase += periods[i] / 4) {
			struct saw w = { periods[i], phase, 11 };
			struct run r = run_default(LG_PY_BLOCKS, sawtooth, &w);

			cr_assert_eq(r.outcome, LG_PASS, "period %zu, phase %zu: failed after %zu "
				     "calls", periods[i], phase, r.calls);
		}
	}
}

/* Steps at calls first, 2 first, 4 first, ...: of `size` each, or (doubling) of a size
 * that doubles with the spacing. */
struct steps {
	size_t first;
	int64_t size;
	int doubling;
};

static int64_t doubling_steps(size_t n, const void *arg)
{
	const struct steps *st = arg;
	size_t at;
	int64_t v = 10000;

	for (at = st->first; at <= n; at *= 2)
		v += st->doubling ? st->size * (int64_t)(at / st->first) : st->size;
	return v;
}

Test(verdict, steps_whose_spacing_doubles_pass)
{
	/* An amortised resize: each step as large as the last, twice as far on, so the
	 * floor's rate halves from one span to the next. */
	size_t first;

	for (first = 8; first <= 40; first += 4) {
		struct steps st = { first, 64, 0 };
		struct run r = run_default(LG_PY_BYTES, doubling_steps, &st);

		cr_assert_eq(r.outcome, LG_PASS, "steps from call %zu: %zu calls", first, r.calls);
		cr_assert_eq(r.v.failed, 0);
	}
}

Test(verdict, steps_that_double_with_their_spacing_fail)
{
	/* A container that keeps growing, seen only at its resizes (a dict of small-int
	 * keys): the floor rises at the same average rate in every span, as a leak's does.
	 * The trend alone passed it (one step moves too few pairwise slopes). */
	size_t first;

	for (first = 8; first <= 28; first += 4) {
		struct steps st = { first, 64, 1 };
		struct run r = run_default(LG_PY_BYTES, doubling_steps, &st);

		cr_assert_eq(r.outcome, LG_LEAK, "steps from call %zu: passed after %zu calls",
			     first, r.calls);
		cr_assert_leq(r.calls, 310);
	}
}

static int64_t single_step(size_t n, const void *arg)
{
	return n < *(const size_t *)arg ? 10000 : 10064;
}

Test(verdict, single_step_passes_a_span_later)
{
	static const size_t at[] = { 11, 20, 30, 31, 45, 70, 100 };
	size_t i;

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		struct run r = run_default(LG_PY_BYTES, single_step, &at[i]);

		cr_assert_eq(r.outcome, LG_PASS, "step at call %zu", at[i]);
		if (at[i] > 30) {
			cr_assert_eq(r.calls, 30);  /* after the probe passed */
			continue;
		}
		/* The probe sees it, so a window twice as long must be flat after it. */
		cr_assert_geq(r.calls, at[i] + 40, "step at call %zu: %zu calls", at[i], r.calls);
		cr_assert_leq(r.calls, at[i] + 80, "step at call %zu: %zu calls", at[i], r.calls);
	}
}

/* Native growth that settles: A (1 - exp(-n / tau)) bytes, under +-100 B of noise. */
struct settle {
	double amount, tau;
};

static int64_t settling(size_t n, const void *arg)
{
	const struct settle *g = arg;
	uint64_t st = n * UINT64_C(2654435761);

	return 5000000 + (int64_t)(g->amount * (1.0 - exp(-(double)n / g->tau))) +
		lcg_noise(&st, 100);
}

Test(verdict, decelerating_native_growth_passes)
{
	/* 100 KB to 400 KB over a few hundred calls: 1000-4000 B a call at first. */
	static const struct settle cases[] = { { 100000, 50 }, { 100000, 100 }, { 400000, 100 } };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r = run_default(LG_NATIVE_BYTES, settling, &cases[i]);

		cr_assert_eq(r.outcome, LG_PASS, "tau %g: %zu calls", cases[i].tau, r.calls);
	}
}

static int64_t native_leak(size_t n, const void *arg)
{
	uint64_t st = n * UINT64_C(40503);

	(void)arg;
	return 5000000 + 80 * (int64_t)n + lcg_noise(&st, 100);
}

static int64_t native_noise(size_t n, const void *arg)
{
	uint64_t st = n * UINT64_C(40503) + *(const uint64_t *)arg;

	return 5000000 + lcg_noise(&st, 100);
}

Test(verdict, native_leak_of_80_bytes_under_noise_fails_at_150_calls)
{
	struct run r = run_default(LG_NATIVE_BYTES, native_leak, NULL);

	cr_assert_eq(r.outcome, LG_LEAK);
	cr_assert_eq(r.calls, 150);
	cr_assert_eq(r.v.failed, BIT(LG_NATIVE_BYTES));
	cr_assert_gt(r.v.trend[LG_NATIVE_BYTES].lo, 32.0);
	cr_assert_float_eq(r.v.trend[LG_NATIVE_BYTES].slope, 80.0, 20.0);
}

Test(verdict, noise_on_native_bytes_never_fails)
{
	uint64_t seed;

	for (seed = 1; seed <= 8; seed++) {
		struct run r = run_default(LG_NATIVE_BYTES, native_noise, &seed);

		cr_assert_eq(r.outcome, LG_PASS, "seed %llu", (unsigned long long)seed);
		cr_assert_leq(r.calls, 70, "seed %llu: %zu calls", (unsigned long long)seed,
			      r.calls);
	}
}

Test(verdict, a_short_limit_lets_the_last_span_decide)
{
	/* -n 20 (the --valgrind tests): only the probe fits, so growth there fails. */
	static const int64_t one = 1;
	lg_verdict_opts o;
	struct run r;

	lg_verdict_opts_init(&o);
	r = run_gate(LG_PY_BLOCKS, per_call, &one, 5, 20, &o);
	cr_assert_eq(r.outcome, LG_LEAK);
	cr_assert_eq(r.calls, 25);
	r = run_gate(LG_PY_BLOCKS, flat, NULL, 5, 20, &o);
	cr_assert_eq(r.outcome, LG_PASS);
	cr_assert_eq(r.calls, 25);
	/* The probe alone confirms itself: one step (a first call's arena, -w 0 -n 20)
	 * lands in one of its halves and passes, wherever it lands. */
	{
		size_t at;

		for (at = 2; at <= 20; at++) {
			r = run_gate(LG_PY_BYTES, single_step, &at, 0, 20, &o);
			cr_assert_eq(r.outcome, LG_PASS, "step at call %zu", at);
		}
	}
	/* -n 70: spans of 20 and 50 (the remainder joins the last). */
	r = run_gate(LG_PY_BLOCKS, per_call, &one, 10, 70, &o);
	cr_assert_eq(r.outcome, LG_LEAK);
	cr_assert_eq(r.calls, 80);
	/* -n 90: spans of 20, 40 and a last one of 30, shorter than the one before it. */
	r = run_gate(LG_PY_BLOCKS, per_call, &one, 10, 90, &o);
	cr_assert_eq(r.outcome, LG_LEAK);
	cr_assert_eq(r.calls, 100);
	r = run_gate(LG_PY_BLOCKS, flat, NULL, 10, 90, &o);
	cr_assert_eq(r.outcome, LG_PASS);
	/* --window 30 -n 120: 30, 60 and 30; the span before needs more room than the last. */
	o.min_window = 30;
	r = run_gate(LG_PY_BLOCKS, per_call, &one, 10, 120, &o);
	cr_assert_eq(r.outcome, LG_LEAK);
	cr_assert_eq(r.calls, 130);
}

Test(verdict, decreasing_series_passes)
{
	static const int64_t down = -5;
	struct run r = run_default(LG_PY_BLOCKS, per_call, &down);

	cr_assert_eq(r.outcome, LG_PASS);
	cr_assert_eq(r.calls, 30);
	cr_assert_float_eq(r.v.trend[LG_PY_BLOCKS].slope, -5.0, 1e-12);
	cr_assert_lt(r.v.trend[LG_PY_BLOCKS].mk_z, 0.0);
}

Test(verdict, fewer_than_min_window_samples_is_undecided)
{
	lg_series s;
	lg_verdict v;
	size_t i;

	lg_series_init(&s, BIT(LG_PY_BLOCKS));
	for (i = 0; i < 10; i++)
		push(&s, 1, LG_PY_BLOCKS, 0);
	for (i = 0; i < 19; i++)
		push(&s, 0, LG_PY_BLOCKS, 100 * (int64_t)i);
	v = judge_all(&s);
	cr_assert_eq(v.outcome, LG_UNDECIDED);
	cr_assert_eq(v.failed, 0);
	cr_assert_eq(v.undecided, 0);
	cr_assert_eq(v.state[LG_PY_BLOCKS], LG_STATE_NONE);
	/* The trend is still shown, over all 19 post-warm-up samples. */
	cr_assert_eq(v.trend[LG_PY_BLOCKS].n, 19);
	cr_assert_float_eq(v.trend[LG_PY_BLOCKS].slope, 100.0, 1e-9);
	cr_assert_eq(v.window_start, 10);
	cr_assert_eq(v.window_len, 19);

	/* With fewer than 3, nothing can be fitted. */
	v = judge_prefix(&s, 12, &(lg_verdict_opts){ .min_window = 20, .z = 3.29 });
	cr_assert_eq(v.outcome, LG_UNDECIDED);
	cr_assert_eq(v.trend[LG_PY_BLOCKS].n, 0);

	/* The 20th completes the probe: growth there is not a leak yet, nor a pass. */
	push(&s, 0, LG_PY_BLOCKS, 1900);
	v = judge_all(&s);
	cr_assert_eq(v.outcome, LG_UNDECIDED);
	cr_assert_eq(v.state[LG_PY_BLOCKS], LG_STATE_UNDECIDED);
	cr_assert_eq(v.undecided, BIT(LG_PY_BLOCKS));
	lg_series_release(&s);
}

Test(verdict, empty_series_is_undecided)
{
	lg_series s;
	lg_verdict v;

	lg_series_init(&s, BIT(LG_PY_BLOCKS));
	v = judge_all(&s);
	cr_assert_eq(v.outcome, LG_UNDECIDED);
	cr_assert_eq(v.window_len, 0);
	cr_assert_eq(v.trend[LG_PY_BLOCKS].n, 0);
	lg_series_release(&s);
}

Test(verdict, growth_during_warmup_is_ignored)
{
	lg_series s;
	lg_verdict v;
	size_t i;

	lg_series_init(&s, BIT(LG_PY_BLOCKS));
	for (i = 0; i < 30; i++)
		push(&s, 1, LG_PY_BLOCKS, 1000 * (int64_t)(i < 29 ? i : 30));
	for (i = 0; i < 20; i++)
		push(&s, 0, LG_PY_BLOCKS, 30000);
	v = judge_all(&s);
	cr_assert_eq(v.outcome, LG_PASS);
	cr_assert_eq(v.window_start, 29);
	cr_assert_eq(v.window_len, 21);
	lg_series_release(&s);
}

/* Two counters at once, each its own rate; every other counter flat. */
static void push_multi(lg_series *s, size_t n, int64_t blocks, int64_t native, int64_t fds)
{
	lg_sample x;

	memset(&x, 0, sizeof(x));
	x.iteration = (uint32_t)n;
	x.value[LG_PY_BLOCKS] = blocks;
	x.value[LG_NATIVE_BYTES] = native;
	x.value[LG_FDS] = fds;
	x.value[LG_GC_OBJECTS] = 10 * (int64_t)n;
	x.value[LG_RSS] = 40000000 + 4096 * (int64_t)n;
	x.value[LG_VG_POSSIBLE] = 64 * (int64_t)n;
	cr_assert_eq(lg_series_append(s, &x), LG_OK);
}

Test(verdict, names_only_the_failed_counters)
{
	lg_verdict_opts o;
	lg_series s;
	lg_verdict v;
	uint64_t st = 99;
	size_t n;

	lg_verdict_opts_init(&o);
	o.limit = 310;
	lg_series_init(&s, BIT(LG_PY_BLOCKS) | BIT(LG_NATIVE_BYTES) | BIT(LG_FDS) |
		       BIT(LG_RSS) | BIT(LG_VG_POSSIBLE));
	for (n = 1; n <= 150; n++)
		push_multi(&s, n, 5000, 9000000 + 80 * (int64_t)n + lcg_noise(&st, 100),
			   3 + (int64_t)n);
	for (n = 0; n < 10; n++)
		s.samples[n].warmup = 1;
	cr_assert_eq(lg_verdict_judge(&s, &o, &v), LG_OK);
	cr_assert_eq(v.outcome, LG_LEAK);
	cr_assert_eq(v.failed, BIT(LG_NATIVE_BYTES) | BIT(LG_FDS));
	cr_assert_eq(v.state[LG_PY_BLOCKS], LG_STATE_BOUNDED);
	cr_assert_eq(v.state[LG_NATIVE_BYTES], LG_STATE_GROWING);
	cr_assert_eq(v.state[LG_FDS], LG_STATE_GROWING);
	/* gc_objects grows in the data, but this run cannot read it; rss and vg_possible
	 * are reported, never judged. */
	cr_assert_eq(v.state[LG_GC_OBJECTS], LG_STATE_NONE);
	cr_assert_eq(v.trend[LG_GC_OBJECTS].n, 0);
	cr_assert_eq(v.state[LG_RSS], LG_STATE_NONE);
	cr_assert_eq(v.state[LG_VG_POSSIBLE], LG_STATE_NONE);
	cr_assert_float_eq(v.trend[LG_RSS].slope, 4096.0, 1e-9);
	cr_assert_float_eq(v.trend[LG_VG_POSSIBLE].slope, 64.0, 1e-9);
	lg_series_release(&s);
}

static int64_t every_other(size_t n, const void *arg)
{
	(void)arg;
	return (int64_t)(n / 2);
}

Test(verdict, budget_allows_slow_growth)
{
	/* +1 on every other call: 0.5 blocks per call. */
	lg_verdict_opts o;
	struct run r;

	lg_verdict_opts_init(&o);
	r = run_gate(LG_PY_BLOCKS, every_other, NULL, 10, 300, &o);
	cr_assert_eq(r.outcome, LG_LEAK);
	cr_assert_eq(r.calls, 150);
	cr_assert_float_eq(r.v.trend[LG_PY_BLOCKS].slope, 0.5, 1e-9);
	/* At the budget it passes; at half the rate it grows. */
	o.budget[LG_PY_BLOCKS] = 0.5;
	r = run_gate(LG_PY_BLOCKS, every_other, NULL, 10, 300, &o);
	cr_assert_eq(r.outcome, LG_PASS);
	o.budget[LG_PY_BLOCKS] = 0.25;
	r = run_gate(LG_PY_BLOCKS, every_other, NULL, 10, 300, &o);
	cr_assert_eq(r.outcome, LG_LEAK);
}

Test(verdict, finish_turns_undecided_into_pass)
{
	lg_verdict v;

	memset(&v, 0, sizeof(v));
	v.outcome = LG_UNDECIDED;
	v.undecided = BIT(LG_PY_BYTES);
	v.state[LG_PY_BYTES] = LG_STATE_UNDECIDED;
	lg_verdict_finish(&v);
	cr_assert_eq(v.outcome, LG_PASS);
	cr_assert_eq(v.state[LG_PY_BYTES], LG_STATE_UNDECIDED);  /* still reported */
	cr_assert_eq(v.undecided, BIT(LG_PY_BYTES));
	lg_verdict_finish(NULL);

	v.failed = BIT(LG_FDS);
	v.outcome = LG_LEAK;
	lg_verdict_finish(&v);
	cr_assert_eq(v.outcome, LG_LEAK);
}

Test(verdict, thinning_keeps_the_slope_per_iteration)
{
	/* --window 700: a probe of 700 samples plus its anchor, thinned by 2 to 351. */
	lg_verdict_opts o;
	lg_series s;
	lg_verdict v;
	uint64_t st = 5;
	size_t n;

	lg_verdict_opts_init(&o);
	o.min_window = 700;
	lg_series_init(&s, BIT(LG_PY_BLOCKS) | BIT(LG_NATIVE_BYTES));
	for (n = 1; n <= 710; n++)
		push_multi(&s, n, 100 + (int64_t)n, 8000000 + 2 * (int64_t)n + lcg_noise(&st, 100),
			   0);
	for (n = 0; n < 10; n++)
		s.samples[n].warmup = 1;
	o.limit = 710;
	cr_assert_eq(lg_verdict_judge(&s, &o, &v), LG_OK);
	cr_assert_eq(v.window_start, 9);
	cr_assert_eq(v.window_len, 701);
	cr_assert_eq(v.trend[LG_PY_BLOCKS].n, 351);
	cr_assert_float_eq(v.trend[LG_PY_BLOCKS].slope, 1.0, 1e-9);
	cr_assert_float_eq(v.trend[LG_PY_BLOCKS].lo, 1.0, 1e-9);
	cr_assert_eq(v.outcome, LG_LEAK);
	cr_assert_eq(v.failed, BIT(LG_PY_BLOCKS));
	/* 2 B/iter under noise: the per-iteration estimate, within the budget. */
	cr_assert_float_eq(v.trend[LG_NATIVE_BYTES].slope, 2.0, 0.5);
	cr_assert_neq(v.state[LG_NATIVE_BYTES], LG_STATE_GROWING);
	lg_series_release(&s);
}

/* Every counter of one sample of the mixed series below: each a shape the verdict treats
 * apart (a leak, a sawtooth, a step, a fall, noise, a cache, bursts, flat). */
static void push_shapes(lg_series *s, size_t n, uint64_t *st)
{
	lg_sample x;

	memset(&x, 0, sizeof(x));
	x.iteration = (uint32_t)n;
	x.warmup = n <= 10;
	x.value[LG_PY_BLOCKS] = 1000 + (int64_t)(n % 37) * 5 + (int64_t)n / 3;
	x.value[LG_PY_BYTES] = 50000 + (n > 90 ? 640 : 0) - (n > 200 ? 900 : 0);
	x.value[LG_NATIVE_BYTES] = 8000000 + lcg_noise(st, 200) + (n < 100 ? 20 * (int64_t)n : 2000);
	x.value[LG_RSS] = 40000000 - 4096 * (int64_t)(n % 50);
	x.value[LG_FDS] = 5 + (int64_t)(n / 25);
	x.value[LG_THREADS] = 1 + (n % 19 == 0);
	x.value[LG_GC_OBJECTS] = 9000 + (n < 120 ? (int64_t)n : 120);
	cr_assert_eq(lg_series_append(s, &x), LG_OK);
}

Test(verdict, deciding_without_trends_is_the_full_judgement)
{
	/* The gate decides on every sample with lg__verdict_decide and fits the trends only
	 * for the verdict it reports: both must judge every prefix, under every limit, alike,
	 * and a trend the decision fitted is the full judgement's. */
	static const size_t limits[] = { 0, 30, 150, 200, 310 };
	lg_verdict_opts o;
	lg_series s;
	uint64_t st = 11;
	size_t n, l, fitted = 0, seen[LG_STATE_GROWING + 1] = { 0 };
	int c;

	lg_series_init(&s, (UINT32_C(1) << LG_NCOUNTERS) - 1);
	for (n = 1; n <= 320; n++)
		push_shapes(&s, n, &st);
	lg_verdict_opts_init(&o);
	for (l = 0; l < sizeof(limits) / sizeof(*limits); l++) {
		o.limit = limits[l];
		for (n = 1; n <= (o.limit ? o.limit : s.len); n++) {
			lg_series view = s;
			lg_verdict full, quick;

			view.len = n;
			cr_assert_eq(lg_verdict_judge(&view, &o, &full), LG_OK);
			cr_assert_eq(lg__verdict_decide(&view, &o, &quick), LG_OK);
			cr_assert_eq(quick.outcome, full.outcome, "prefix %zu, limit %zu", n, o.limit);
			cr_assert_eq(quick.failed, full.failed);
			cr_assert_eq(quick.undecided, full.undecided);
			cr_assert_eq(quick.window_start, full.window_start);
			cr_assert_eq(quick.window_len, full.window_len);
			for (c = 0; c < LG_NCOUNTERS; c++) {
				cr_assert_eq(quick.state[c], full.state[c], "counter %d, prefix %zu", c, n);
				seen[full.state[c]]++;
				cr_assert_eq(quick.period[c], full.period[c]);
				cr_assert(quick.floor_rate[c] == full.floor_rate[c] ||
					  (isnan(quick.floor_rate[c]) && isnan(full.floor_rate[c])));
				if (quick.trend[c].n == 0)
					continue;
				fitted++;
				cr_assert_eq(memcmp(&quick.trend[c], &full.trend[c], sizeof(lg_trend)), 0);
			}
		}
	}
	/* Every way of deciding was taken: bounds that needed a trend, and counters bounded,
	 * growing and undecided. */
	cr_assert_gt(fitted, 0);
	cr_assert_gt(seen[LG_STATE_BOUNDED], 0);
	cr_assert_gt(seen[LG_STATE_GROWING], 0);
	cr_assert_gt(seen[LG_STATE_UNDECIDED], 0);
	lg_series_release(&s);
}

Test(verdict, min_window_below_3_never_decides)
{
	lg_series s;
	lg_verdict_opts o;
	lg_verdict v;
	size_t i;

	lg_series_init(&s, BIT(LG_PY_BLOCKS));
	for (i = 0; i < 30; i++)
		push(&s, 0, LG_PY_BLOCKS, (int64_t)i);
	lg_verdict_opts_init(&o);
	o.min_window = 2;
	o.limit = 30;
	v = judge_prefix(&s, s.len, &o);
	cr_assert_eq(v.outcome, LG_UNDECIDED);
	cr_assert_eq(v.state[LG_PY_BLOCKS], LG_STATE_NONE);
	cr_assert_eq(v.trend[LG_PY_BLOCKS].n, 30);
	o.min_window = 3;
	v = judge_prefix(&s, s.len, &o);
	cr_assert_eq(v.outcome, LG_LEAK);
	lg_series_release(&s);
}

Test(verdict, rejects_bad_arguments)
{
	lg_series s, broken;
	lg_verdict_opts o;
	lg_verdict v;

	lg_series_init(&s, BIT(LG_PY_BLOCKS));
	lg_verdict_opts_init(&o);
	cr_assert_eq(lg_verdict_judge(NULL, &o, &v), LG_EINVAL);
	cr_assert_eq(lg_verdict_judge(&s, NULL, &v), LG_EINVAL);
	cr_assert_eq(lg_verdict_judge(&s, &o, NULL), LG_EINVAL);
	broken = s;
	broken.len = 5;
	cr_assert_eq(lg_verdict_judge(&broken, &o, &v), LG_EINVAL);
	o.z = NAN;
	cr_assert_eq(lg_verdict_judge(&s, &o, &v), LG_EINVAL);
	o.z = -1;
	cr_assert_eq(lg_verdict_judge(&s, &o, &v), LG_EINVAL);
	lg_verdict_opts_init(&o);
	o.budget[LG_FDS] = NAN;
	cr_assert_eq(lg_verdict_judge(&s, &o, &v), LG_EINVAL);
	lg_verdict_opts_init(&o);
	cr_assert_eq(lg_verdict_judge(&s, &o, &v), LG_OK);
	lg_series_release(&s);
}

/* The samples the gate marks as a span's end (CMD_STEP_END), where the worker proves its
 * readings: with the defaults after 10 warm-up calls, calls 30, 70, 150 and the limit, 310;
 * after a fresh start at sample 200 (restart_window), its own spans; none before a whole
 * first span is measured. */
Test(verdict, span_ends_are_where_a_verdict_can_fail)
{
	lg_verdict_opts o;
	size_t n, ends[8], k = 0;

	lg_verdict_opts_init(&o);
	o.limit = 310;
	for (n = 1; n <= 310 && k < 8; n++)
		if (lg__verdict_span_ends(n, 10, &o))
			ends[k++] = n;
	cr_assert_eq(k, 4, "%zu span ends", k);
	cr_assert_eq(ends[0], 30);
	cr_assert_eq(ends[1], 70);
	cr_assert_eq(ends[2], 150);
	cr_assert_eq(ends[3], 310);
	o.limit = 0;
	cr_assert(lg__verdict_span_ends(220, 200, &o));
	cr_assert(!lg__verdict_span_ends(219, 200, &o));
	cr_assert(lg__verdict_span_ends(260, 200, &o));
	cr_assert(!lg__verdict_span_ends(10, 10, &o));
	cr_assert(!lg__verdict_span_ends(30, 10, NULL));
}
