/* test_counter.c: unit tests of src/counter.c (the counter table, lg_strerror, lg_free)
 * and src/series.c (the sample series). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "leakgate.h"

static const char *const names[LG_NCOUNTERS] = {
	"py_blocks", "py_bytes", "gc_objects", "native_bytes", "rss", "fds", "threads",
	"children", "refs", "vg_definite", "vg_indirect", "vg_possible", "vg_definite_blocks",
	"vg_possible_blocks",
};

static const char *const units[LG_NCOUNTERS] = {
	"blocks", "bytes", "objects", "bytes", "bytes", "fds", "threads", "processes", "refs",
	"bytes", "bytes", "bytes", "blocks", "blocks",
};

Test(counter, names_match_the_documented_ones)
{
	int c;

	for (c = 0; c < LG_NCOUNTERS; c++) {
		cr_assert_str_eq(lg_counter_name((lg_counter)c), names[c], "counter %d", c);
		cr_assert_str_eq(lg_counter_unit((lg_counter)c), units[c], "counter %d", c);
	}
}

Test(counter, names_round_trip)
{
	int c;

	for (c = 0; c < LG_NCOUNTERS; c++) {
		lg_counter out = (lg_counter)-1;

		cr_assert_eq(lg_counter_parse(lg_counter_name((lg_counter)c), &out), LG_OK);
		cr_assert_eq((int)out, c);
	}
}

Test(counter, parse_rejects_unknown_names)
{
	static const char *const bad[] = {
		"", "py_block", "py_blocks ", " py_blocks", "PY_BLOCKS", "Rss", "bytes", "?",
		"native_bytes=32", "vg",
	};
	lg_counter out = LG_FDS;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(lg_counter_parse(bad[i], &out), LG_EINVAL, "\"%s\"", bad[i]);
		cr_assert_eq(out, LG_FDS, "\"%s\" wrote *out", bad[i]);
	}
	cr_assert_eq(lg_counter_parse(NULL, &out), LG_EINVAL);
	cr_assert_eq(lg_counter_parse("rss", NULL), LG_EINVAL);
}

Test(counter, only_rss_and_vg_possible_are_not_judged)
{
	int c;

	for (c = 0; c < LG_NCOUNTERS; c++) {
		int expect = c != LG_RSS && c != LG_VG_POSSIBLE && c != LG_VG_POSSIBLE_BLOCKS;

		cr_assert_eq(!!lg_counter_judged((lg_counter)c), expect, "%s", names[c]);
	}
}

Test(counter, default_budgets)
{
	int c;

	for (c = 0; c < LG_NCOUNTERS; c++) {
		double expect = c == LG_NATIVE_BYTES ? 32.0 : 0.0;

		cr_assert_eq(lg_counter_default_budget((lg_counter)c), expect, "%s", names[c]);
	}
}

Test(counter, out_of_range_values_do_not_crash)
{
	static const int bad[] = { -1, LG_NCOUNTERS, LG_NCOUNTERS + 1, 1000, -1000000 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		lg_counter c = (lg_counter)bad[i];

		cr_assert_str_eq(lg_counter_name(c), "?");
		cr_assert_str_eq(lg_counter_unit(c), "?");
		cr_assert_eq(lg_counter_judged(c), 0);
		cr_assert_eq(lg_counter_default_budget(c), 0.0);
	}
}

Test(counter, strerror_describes_every_code)
{
	static const int codes[] = {
		LG_OK, LG_EINVAL, LG_ENOMEM, LG_EIO, LG_EPYTHON, LG_ELOAD, LG_ERAISE,
		LG_EEXIT, LG_EINTR, LG_ESKIP,
	};
	size_t i, j, n = sizeof(codes) / sizeof(codes[0]);

	for (i = 0; i < n; i++) {
		const char *s = lg_strerror(codes[i]);

		cr_assert_not_null(s);
		cr_assert_gt(strlen(s), 0, "code %d", codes[i]);
		cr_assert_str_neq(s, "unknown error", "code %d", codes[i]);
		for (j = 0; j < i; j++)
			cr_assert_str_neq(s, lg_strerror(codes[j]), "%d and %d", codes[i], codes[j]);
	}
	cr_assert_str_eq(lg_strerror(-10), "unknown error");
	cr_assert_str_eq(lg_strerror(1), "unknown error");
	cr_assert_str_eq(lg_strerror(-1000), "unknown error");
}

Test(counter, free_accepts_null_and_heap_memory)
{
	lg_free(NULL);
	lg_free(malloc(16));
	cr_assert(1);  /* the sanitisers or Valgrind report a bad or missing free */
}

static lg_sample sample_of(uint32_t iteration, uint32_t warmup)
{
	lg_sample x;
	int c;

	memset(&x, 0, sizeof(x));
	x.iteration = iteration;
	x.warmup = warmup;
	x.elapsed = iteration * 0.5;
	for (c = 0; c < LG_NCOUNTERS; c++)
		x.value[c] = (int64_t)iteration * 1000 + c;
	return x;
}

Test(series, init_leaves_an_empty_series)
{
	lg_series s;

	memset(&s, 0xa5, sizeof(s));
	lg_series_init(&s, 0x5u);
	cr_assert_null(s.samples);
	cr_assert_eq(s.len, 0);
	cr_assert_eq(s.cap, 0);
	cr_assert_eq(s.available, 0x5u);
	cr_assert_eq(lg_series_warmup(&s), 0);
	lg_series_release(&s);
}

Test(series, append_keeps_every_sample_in_order)
{
	lg_series s;
	uint32_t i, n = 1000;

	lg_series_init(&s, 1u);
	for (i = 1; i <= n; i++) {
		lg_sample x = sample_of(i, 0);

		cr_assert_eq(lg_series_append(&s, &x), LG_OK);
		cr_assert_eq(s.len, i);
		cr_assert_geq(s.cap, s.len);
	}
	/* Amortised doubling: far fewer than n bytes of slack, at most twice the need. */
	cr_assert_leq(s.cap, 2 * n);
	for (i = 0; i < n; i++) {
		lg_sample x = sample_of(i + 1, 0);

		cr_assert_eq(memcmp(&s.samples[i], &x, sizeof(x)), 0, "sample %u", i);
	}
	lg_series_release(&s);
}

Test(series, append_rejects_null)
{
	lg_series s;
	lg_sample x = sample_of(1, 0);

	lg_series_init(&s, 0);
	cr_assert_eq(lg_series_append(&s, NULL), LG_EINVAL);
	cr_assert_eq(lg_series_append(NULL, &x), LG_EINVAL);
	cr_assert_eq(s.len, 0);
	lg_series_release(&s);
}

Test(series, warmup_counts_the_leading_warmup_samples)
{
	lg_series s;
	uint32_t i;

	lg_series_init(&s, 0);
	for (i = 1; i <= 7; i++) {
		lg_sample x = sample_of(i, i <= 5 ? i : 0);

		cr_assert_eq(lg_series_append(&s, &x), LG_OK);
	}
	cr_assert_eq(lg_series_warmup(&s), 5);
	/* A warm-up flag after the first measured sample does not count. */
	{
		lg_sample x = sample_of(8, 1);

		cr_assert_eq(lg_series_append(&s, &x), LG_OK);
	}
	cr_assert_eq(lg_series_warmup(&s), 5);
	lg_series_release(&s);
}

Test(series, warmup_of_an_all_warmup_series_is_its_length)
{
	lg_series s;
	uint32_t i;

	lg_series_init(&s, 0);
	for (i = 1; i <= 3; i++) {
		lg_sample x = sample_of(i, 1);

		cr_assert_eq(lg_series_append(&s, &x), LG_OK);
	}
	cr_assert_eq(lg_series_warmup(&s), 3);
	cr_assert_eq(lg_series_warmup(NULL), 0);
	lg_series_release(&s);
}

Test(series, release_is_idempotent_and_accepts_a_zeroed_series)
{
	lg_series s, z;
	lg_sample x = sample_of(1, 0);

	memset(&z, 0, sizeof(z));
	lg_series_release(&z);
	lg_series_release(&z);
	lg_series_release(NULL);

	lg_series_init(&s, 3u);
	cr_assert_eq(lg_series_append(&s, &x), LG_OK);
	lg_series_release(&s);
	cr_assert_null(s.samples);
	cr_assert_eq(s.len, 0);
	cr_assert_eq(s.cap, 0);
	lg_series_release(&s);

	/* A released series can be used again. */
	cr_assert_eq(lg_series_append(&s, &x), LG_OK);
	cr_assert_eq(s.len, 1);
	cr_assert_eq(s.samples[0].iteration, 1);
	lg_series_release(&s);
}
