/* test_verdict.c: unit tests of src/verdict.c: the Theil-Sen / Mann-Kendall trend fit and
 * the verdict over synthetic series (leaks, hidden leaks, caches, steps, noise). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

Test(verdict, opts_defaults)
{
	lg_verdict_opts o;
	int c;

	memset(&o, 0xff, sizeof(o));
	lg_verdict_opts_init(&o);
	for (c = 0; c < LG_NCOUNTERS; c++)
		cr_assert_eq(o.budget[c], lg_counter_default_budget((lg_counter)c));
	cr_assert_eq(o.budget[LG_NATIVE_BYTES], 32.0);
	cr_assert_eq(o.min_window, 20);
	cr_assert_float_eq(o.z, 3.29, 1e-12);
}

Test(verdict, exactly_flat_passes)
{
	lg_series s;
	lg_verdict v;
	size_t i;

	lg_series_init(&s, BIT(LG_PY_BLOCKS));
	for (i = 0; i < 20; i++)
		push(&s, 0, LG_PY_BLOCKS, 4242);
	v = judge_all(&s);
	cr_assert_eq(v.outcome, LG_PASS);
	cr_assert_eq(v.state[LG_PY_BLOCKS], LG_STATE_BOUNDED);
	cr_assert_eq(v.failed, 0);
	cr_assert_eq(v.undecided, 0);
	cr_assert_eq(v.trend[LG_PY_BLOCKS].n, 20);
	cr_assert_eq(v.trend[LG_PY_BLOCKS].slope, 0.0);
	cr_assert_eq(v.trend[LG_PY_BLOCKS].lo, 0.0);
	cr_assert_eq(v.trend[LG_PY_BLOCKS].hi, 0.0);
	lg_series_release(&s);
}

Test(verdict, one_block_per_iteration_leaks_within_20_samples)
{
	lg_series s;
	lg_verdict v;
	size_t i;

	lg_series_init(&s, BIT(LG_PY_BLOCKS));
	for (i = 0; i < 20; i++)
		push(&s, 0, LG_PY_BLOCKS, 1000 + (int64_t)i);
	v = judge_all(&s);
	cr_assert_eq(v.outcome, LG_LEAK);
	cr_assert_eq(v.failed, BIT(LG_PY_BLOCKS));
	cr_assert_eq(v.state[LG_PY_BLOCKS], LG_STATE_GROWING);
	cr_assert_float_eq(v.trend[LG_PY_BLOCKS].slope, 1.0, 1e-12);
	cr_assert_gt(v.trend[LG_PY_BLOCKS].lo, 0.0);
	cr_assert_gt(v.trend[LG_PY_BLOCKS].mk_z, 3.29);
	lg_series_release(&s);
}

Test(verdict, leak_hidden_by_zero_deltas_still_leaks)
{
	/* CPython's -R passes this: +1 on most iterations, +0 on every 5th. */
	lg_series s;
	lg_verdict_opts o;
	int64_t v = 500;
	size_t i, len;

	lg_verdict_opts_init(&o);
	lg_series_init(&s, BIT(LG_PY_BLOCKS));
	for (i = 0; i < 300; i++) {
		v += i % 5 == 4 ? 0 : 1;
		push(&s, 0, LG_PY_BLOCKS, v);
	}
	for (len = 20; len <= s.len; len++) {
		lg_verdict r = judge_prefix(&s, len, &o);

		cr_assert_eq(r.outcome, LG_LEAK, "after %zu samples", len);
		cr_assert_gt(r.trend[LG_PY_BLOCKS].lo, 0.0, "after %zu samples", len);
		cr_assert_float_eq(r.trend[LG_PY_BLOCKS].slope, 0.8, 0.21);
	}
	lg_series_release(&s);
}

Test(verdict, cache_that_stops_growing_never_leaks)
{
	/* Grows by one block a call for the first 50 iterations, then holds; warm-up 40. */
	lg_series s;
	lg_verdict_opts o;
	size_t i, len, warm = 40;
	int passed = 0;

	lg_verdict_opts_init(&o);
	lg_series_init(&s, BIT(LG_PY_BLOCKS));
	for (i = 0; i < 300; i++)
		push(&s, i < warm, LG_PY_BLOCKS, 7000 + (int64_t)(i < 50 ? i + 1 : 50));
	for (len = warm; len <= s.len; len++) {
		lg_verdict v = judge_prefix(&s, len, &o);

		cr_assert_neq(v.outcome, LG_LEAK, "after %zu samples", len);
		cr_assert_geq(v.window_start, warm);
		if (len - warm < o.min_window)
			cr_assert_eq(v.outcome, LG_UNDECIDED);
		/* Once the window starts past the growth, the counter is bounded. */
		if (len - warm >= o.min_window && v.window_start >= 49)
			cr_assert_eq(v.outcome, LG_PASS, "after %zu samples", len);
		passed += v.outcome == LG_PASS;
	}
	cr_assert_gt(passed, 0);
	lg_series_release(&s);
}

Test(verdict, single_step_is_not_a_leak)
{
	/* An amortised resize: flat, one jump of 64 bytes, flat again. With 40 post-warm-up
	 * samples the window is the last 20 and the step sits in its middle. */
	lg_series s;
	lg_verdict_opts o;
	lg_verdict v;
	size_t i, len;

	lg_verdict_opts_init(&o);
	lg_series_init(&s, BIT(LG_PY_BYTES));
	for (i = 0; i < 200; i++)
		push(&s, i < 5, LG_PY_BYTES, i < 35 ? 10000 : 10064);
	v = judge_prefix(&s, 45, &o);
	cr_assert_eq(v.window_start, 25);
	cr_assert_eq(v.window_len, 20);
	cr_assert_gt(v.trend[LG_PY_BYTES].slope, 0.0);  /* the step shows in the slope */
	cr_assert_eq(v.outcome, LG_UNDECIDED);
	for (len = 5; len <= s.len; len++) {
		v = judge_prefix(&s, len, &o);
		cr_assert_neq(v.outcome, LG_LEAK, "after %zu samples", len);
	}
	cr_assert_eq(v.outcome, LG_PASS);
	lg_series_release(&s);
}

Test(verdict, noise_on_native_bytes_never_leaks)
{
	static const uint64_t seeds[] = { 1, 2, 3, 12345 };
	lg_verdict_opts o;
	size_t k, len;

	lg_verdict_opts_init(&o);
	for (k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++) {
		uint64_t st = seeds[k];
		lg_series s;
		size_t i, noisy = 0;

		lg_series_init(&s, BIT(LG_NATIVE_BYTES));
		for (i = 0; i < 600; i++)
			push(&s, 0, LG_NATIVE_BYTES, 5000000 + lcg_noise(&st, 100));
		for (len = 20; len <= s.len; len++) {
			lg_verdict v = judge_prefix(&s, len, &o);
			const lg_trend *t = &v.trend[LG_NATIVE_BYTES];

			cr_assert_neq(v.outcome, LG_LEAK, "seed %llu, %zu samples",
				      (unsigned long long)seeds[k], len);
			cr_assert_lt(fabs(t->slope), 32.0);
			noisy += t->hi > t->lo;
		}
		cr_assert_gt(noisy, 0);  /* the noise widened the interval */
		lg_series_release(&s);
	}
}

Test(verdict, native_leak_of_80_bytes_under_noise_leaks)
{
	lg_series s;
	lg_verdict_opts o;
	uint64_t st = 7;
	size_t i, len;

	lg_verdict_opts_init(&o);
	lg_series_init(&s, BIT(LG_NATIVE_BYTES));
	for (i = 0; i < 200; i++)
		push(&s, 0, LG_NATIVE_BYTES, 5000000 + 80 * (int64_t)i + lcg_noise(&st, 100));
	for (len = 20; len <= s.len; len++) {
		lg_verdict v = judge_prefix(&s, len, &o);

		cr_assert_eq(v.outcome, LG_LEAK, "after %zu samples", len);
		cr_assert_eq(v.failed, BIT(LG_NATIVE_BYTES));
		cr_assert_gt(v.trend[LG_NATIVE_BYTES].lo, 32.0);
		cr_assert_float_eq(v.trend[LG_NATIVE_BYTES].slope, 80.0, 20.0);
	}
	lg_series_release(&s);
}

Test(verdict, staircase_leak_leaks)
{
	/* +3 on every 3rd iteration: two zero deltas out of three. */
	lg_series s;
	lg_verdict_opts o;
	size_t i, len;

	lg_verdict_opts_init(&o);
	lg_series_init(&s, BIT(LG_GC_OBJECTS));
	for (i = 0; i < 150; i++)
		push(&s, 0, LG_GC_OBJECTS, 300 + 3 * (int64_t)(i / 3));
	for (len = 20; len <= s.len; len++) {
		lg_verdict v = judge_prefix(&s, len, &o);

		cr_assert_eq(v.outcome, LG_LEAK, "after %zu samples", len);
		cr_assert_float_eq(v.trend[LG_GC_OBJECTS].slope, 1.0, 0.2);
	}
	lg_series_release(&s);
}

Test(verdict, decreasing_series_is_not_a_leak)
{
	lg_series s;
	lg_verdict v;
	size_t i;

	lg_series_init(&s, BIT(LG_PY_BLOCKS) | BIT(LG_FDS));
	for (i = 0; i < 60; i++) {
		lg_sample x;

		memset(&x, 0, sizeof(x));
		x.iteration = (uint32_t)i + 1;
		x.value[LG_PY_BLOCKS] = 10000 - 5 * (int64_t)i;
		x.value[LG_FDS] = 12;
		cr_assert_eq(lg_series_append(&s, &x), LG_OK);
	}
	v = judge_all(&s);
	cr_assert_eq(v.outcome, LG_PASS);
	cr_assert_eq(v.state[LG_PY_BLOCKS], LG_STATE_BOUNDED);
	cr_assert_float_eq(v.trend[LG_PY_BLOCKS].slope, -5.0, 1e-12);
	cr_assert_lt(v.trend[LG_PY_BLOCKS].mk_z, 0.0);
	lg_series_release(&s);
}

Test(verdict, fewer_than_min_window_samples_is_undecided)
{
	lg_series s;
	lg_verdict v;
	size_t i;

	lg_series_init(&s, BIT(LG_PY_BLOCKS));
	for (i = 0; i < 10; i++)
		push(&s, 1, LG_PY_BLOCKS, 0);
	/* A fast leak, but only 19 post-warm-up samples. */
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
	cr_assert_eq(v.state[LG_PY_BLOCKS], LG_STATE_NONE);

	/* One more sample and it is decided. */
	push(&s, 0, LG_PY_BLOCKS, 1900);
	v = judge_all(&s);
	cr_assert_eq(v.outcome, LG_LEAK);
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
		push(&s, 1, LG_PY_BLOCKS, 1000 * (int64_t)i);
	for (i = 0; i < 20; i++)
		push(&s, 0, LG_PY_BLOCKS, 30000);
	v = judge_all(&s);
	cr_assert_eq(v.outcome, LG_PASS);
	cr_assert_eq(v.window_start, 30);
	cr_assert_eq(v.window_len, 20);
	lg_series_release(&s);
}

Test(verdict, window_is_the_later_half)
{
	lg_series s;
	lg_verdict v;
	size_t i;

	lg_series_init(&s, BIT(LG_PY_BLOCKS));
	for (i = 0; i < 10; i++)
		push(&s, 1, LG_PY_BLOCKS, 0);
	/* 101 post-warm-up samples: the window is the last 50, where growth stopped. */
	for (i = 0; i < 101; i++)
		push(&s, 0, LG_PY_BLOCKS, i < 51 ? (int64_t)i : 50);
	v = judge_all(&s);
	cr_assert_eq(v.window_len, 50);
	cr_assert_eq(v.window_start, s.len - 50);
	cr_assert_eq(v.trend[LG_PY_BLOCKS].n, 50);
	cr_assert_eq(v.outcome, LG_PASS);
	lg_series_release(&s);
}

Test(verdict, absent_counter_is_not_judged)
{
	lg_series s;
	lg_verdict v;
	size_t i;

	/* gc_objects leaks in the data, but this run cannot read it. */
	lg_series_init(&s, BIT(LG_PY_BLOCKS));
	for (i = 0; i < 40; i++) {
		lg_sample x;

		memset(&x, 0, sizeof(x));
		x.iteration = (uint32_t)i + 1;
		x.value[LG_PY_BLOCKS] = 100;
		x.value[LG_GC_OBJECTS] = 10 * (int64_t)i;
		cr_assert_eq(lg_series_append(&s, &x), LG_OK);
	}
	v = judge_all(&s);
	cr_assert_eq(v.outcome, LG_PASS);
	cr_assert_eq(v.state[LG_GC_OBJECTS], LG_STATE_NONE);
	cr_assert_eq(v.trend[LG_GC_OBJECTS].n, 0);
	cr_assert_eq(v.failed & BIT(LG_GC_OBJECTS), 0);
	cr_assert_eq(v.undecided & BIT(LG_GC_OBJECTS), 0);

	s.available |= BIT(LG_GC_OBJECTS);
	v = judge_all(&s);
	cr_assert_eq(v.outcome, LG_LEAK);
	cr_assert_eq(v.failed, BIT(LG_GC_OBJECTS));
	lg_series_release(&s);
}

Test(verdict, rss_and_vg_possible_are_never_judged)
{
	lg_series s;
	lg_verdict_opts o;
	size_t i, len;

	lg_verdict_opts_init(&o);
	lg_series_init(&s, BIT(LG_PY_BLOCKS) | BIT(LG_RSS) | BIT(LG_VG_POSSIBLE));
	for (i = 0; i < 100; i++) {
		lg_sample x;

		memset(&x, 0, sizeof(x));
		x.iteration = (uint32_t)i + 1;
		x.value[LG_PY_BLOCKS] = 77;
		x.value[LG_RSS] = 40000000 + 4096 * (int64_t)i;
		x.value[LG_VG_POSSIBLE] = 64 * (int64_t)i;
		cr_assert_eq(lg_series_append(&s, &x), LG_OK);
	}
	for (len = 20; len <= s.len; len++) {
		lg_verdict v = judge_prefix(&s, len, &o);

		cr_assert_eq(v.outcome, LG_PASS, "after %zu samples", len);
		cr_assert_eq(v.state[LG_RSS], LG_STATE_NONE);
		cr_assert_eq(v.state[LG_VG_POSSIBLE], LG_STATE_NONE);
		cr_assert_eq(v.failed, 0);
		/* Reported all the same. */
		cr_assert_float_eq(v.trend[LG_RSS].slope, 4096.0, 1e-9);
		cr_assert_float_eq(v.trend[LG_VG_POSSIBLE].slope, 64.0, 1e-9);
	}
	lg_series_release(&s);
}

Test(verdict, names_only_the_failed_counter)
{
	lg_series s;
	lg_verdict v;
	uint64_t st = 99;
	size_t i;

	lg_series_init(&s, BIT(LG_PY_BLOCKS) | BIT(LG_NATIVE_BYTES) | BIT(LG_FDS));
	for (i = 0; i < 40; i++) {
		lg_sample x;

		memset(&x, 0, sizeof(x));
		x.iteration = (uint32_t)i + 1;
		x.value[LG_PY_BLOCKS] = 5000;
		x.value[LG_NATIVE_BYTES] = 9000000 + 80 * (int64_t)i + lcg_noise(&st, 100);
		x.value[LG_FDS] = 3 + (int64_t)i;
		cr_assert_eq(lg_series_append(&s, &x), LG_OK);
	}
	v = judge_all(&s);
	cr_assert_eq(v.outcome, LG_LEAK);
	cr_assert_eq(v.failed, BIT(LG_NATIVE_BYTES) | BIT(LG_FDS));
	cr_assert_eq(v.state[LG_PY_BLOCKS], LG_STATE_BOUNDED);
	cr_assert_eq(v.state[LG_NATIVE_BYTES], LG_STATE_GROWING);
	cr_assert_eq(v.state[LG_FDS], LG_STATE_GROWING);
	lg_series_release(&s);
}

Test(verdict, budget_allows_slow_growth)
{
	/* +1 on every other iteration: 0.5 blocks per iteration. */
	lg_series s;
	lg_verdict_opts o;
	lg_verdict v;
	size_t i;

	lg_series_init(&s, BIT(LG_PY_BLOCKS));
	for (i = 0; i < 200; i++)
		push(&s, 0, LG_PY_BLOCKS, (int64_t)(i / 2));
	lg_verdict_opts_init(&o);
	v = judge_prefix(&s, s.len, &o);
	cr_assert_eq(v.outcome, LG_LEAK);
	cr_assert_float_eq(v.trend[LG_PY_BLOCKS].slope, 0.5, 1e-9);

	o.budget[LG_PY_BLOCKS] = 1.0;
	v = judge_prefix(&s, s.len, &o);
	cr_assert_eq(v.outcome, LG_PASS);

	/* The interval is exactly [0.5, 0.5]: at the budget is bounded, above it grows. */
	cr_assert_float_eq(v.trend[LG_PY_BLOCKS].lo, 0.5, 1e-9);
	cr_assert_float_eq(v.trend[LG_PY_BLOCKS].hi, 0.5, 1e-9);
	o.budget[LG_PY_BLOCKS] = 0.5;
	v = judge_prefix(&s, s.len, &o);
	cr_assert_eq(v.outcome, LG_PASS);
	o.budget[LG_PY_BLOCKS] = 0.49;
	v = judge_prefix(&s, s.len, &o);
	cr_assert_eq(v.outcome, LG_LEAK);

	/* Noise around the same growth: the interval straddles a budget at the slope. */
	{
		uint64_t st = 11;

		for (i = 0; i < s.len; i++)
			s.samples[i].value[LG_PY_BLOCKS] += lcg_noise(&st, 20);
	}
	v = judge_prefix(&s, s.len, &o);
	cr_assert_eq(v.outcome, LG_UNDECIDED);
	cr_assert_eq(v.undecided, BIT(LG_PY_BLOCKS));
	cr_assert_eq(v.state[LG_PY_BLOCKS], LG_STATE_UNDECIDED);
	lg_series_release(&s);
}

Test(verdict, finish_turns_undecided_into_pass)
{
	lg_series s;
	lg_verdict_opts o;
	lg_verdict v;
	size_t i;

	lg_verdict_opts_init(&o);
	lg_series_init(&s, BIT(LG_PY_BYTES));
	for (i = 0; i < 40; i++)
		push(&s, 0, LG_PY_BYTES, i < 30 ? 10000 : 10064);
	v = judge_prefix(&s, s.len, &o);
	cr_assert_eq(v.outcome, LG_UNDECIDED);
	cr_assert_eq(v.undecided, BIT(LG_PY_BYTES));
	lg_verdict_finish(&v);
	cr_assert_eq(v.outcome, LG_PASS);
	cr_assert_eq(v.state[LG_PY_BYTES], LG_STATE_UNDECIDED);  /* still reported */
	cr_assert_eq(v.undecided, BIT(LG_PY_BYTES));
	lg_verdict_finish(NULL);
	lg_series_release(&s);
}

Test(verdict, finish_keeps_a_leak_and_a_pass)
{
	lg_series s;
	lg_verdict v;
	size_t i;

	lg_series_init(&s, BIT(LG_PY_BLOCKS));
	for (i = 0; i < 25; i++)
		push(&s, 0, LG_PY_BLOCKS, (int64_t)i);
	v = judge_all(&s);
	cr_assert_eq(v.outcome, LG_LEAK);
	lg_verdict_finish(&v);
	cr_assert_eq(v.outcome, LG_LEAK);

	memset(&v, 0, sizeof(v));
	v.outcome = LG_PASS;
	lg_verdict_finish(&v);
	cr_assert_eq(v.outcome, LG_PASS);

	/* Too few samples at the limit: nothing grew, so it passes. */
	memset(&v, 0, sizeof(v));
	v.outcome = LG_UNDECIDED;
	lg_verdict_finish(&v);
	cr_assert_eq(v.outcome, LG_PASS);
	lg_series_release(&s);
}

Test(verdict, thinning_keeps_the_slope_per_iteration)
{
	lg_series s;
	lg_verdict v;
	uint64_t st = 5;
	size_t i;

	/* 3000 post-warm-up samples: a window of 1500, thinned by 3 to 500 points. */
	lg_series_init(&s, BIT(LG_PY_BLOCKS) | BIT(LG_NATIVE_BYTES));
	for (i = 0; i < 3000; i++) {
		lg_sample x;

		memset(&x, 0, sizeof(x));
		x.iteration = (uint32_t)i + 1;
		x.value[LG_PY_BLOCKS] = 100 + (int64_t)i;
		x.value[LG_NATIVE_BYTES] = 8000000 + 2 * (int64_t)i + lcg_noise(&st, 100);
		cr_assert_eq(lg_series_append(&s, &x), LG_OK);
	}
	v = judge_all(&s);
	cr_assert_eq(v.window_start, 1500);
	cr_assert_eq(v.window_len, 1500);
	cr_assert_eq(v.trend[LG_PY_BLOCKS].n, 500);
	cr_assert_float_eq(v.trend[LG_PY_BLOCKS].slope, 1.0, 1e-9);
	cr_assert_float_eq(v.trend[LG_PY_BLOCKS].lo, 1.0, 1e-9);
	cr_assert_float_eq(v.trend[LG_PY_BLOCKS].hi, 1.0, 1e-9);
	cr_assert_eq(v.outcome, LG_LEAK);
	cr_assert_eq(v.failed, BIT(LG_PY_BLOCKS));
	/* 2 B/iter under noise: the per-iteration estimate, well inside the budget. */
	cr_assert_float_eq(v.trend[LG_NATIVE_BYTES].slope, 2.0, 0.5);
	cr_assert_eq(v.state[LG_NATIVE_BYTES], LG_STATE_BOUNDED);

	/* An odd length: 1025 samples in the window, stride 3, 342 points. */
	{
		lg_series view = s;
		lg_verdict_opts o;

		lg_verdict_opts_init(&o);
		view.len = 2050;
		cr_assert_eq(lg_verdict_judge(&view, &o, &v), LG_OK);
		cr_assert_eq(v.window_len, 1025);
		cr_assert_eq(v.trend[LG_PY_BLOCKS].n, 342);
		cr_assert_float_eq(v.trend[LG_PY_BLOCKS].slope, 1.0, 1e-9);
	}
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
