/* test_report.c: unit tests of the JSON and JUnit reports (src/report.c,
 * src/report_junit.c) over results built here: exact numbers, the skip verdict, valid
 * UTF-8 whatever the bytes of a name or message, and JUnit's grouping by module. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakgate.h"

/* A finished result for target t: three samples of py_blocks. */
static void result(lg_result *r, const char *t, lg_status status)
{
	static const int64_t values[3] = { 9007199254740993LL, 9007199254740994LL,
					   9007199254740995LL };
	lg_sample s = { 0 };
	int i;

	memset(r, 0, sizeof(*r));
	r->target = t;
	r->status = status;
	lg_verdict_opts_init(&r->opts);
	lg_series_init(&r->series, 1u << LG_PY_BLOCKS);
	for (i = 0; i < 3; i++) {
		s.iteration = (uint32_t)i + 1;
		s.value[LG_PY_BLOCKS] = values[i];
		s.elapsed = 0.1 * i;
		cr_assert_eq(lg_series_append(&r->series, &s), 0);
	}
}

/* What a report writer wrote for these results, as a string (free it). */
static char *written(int (*write)(FILE *, const lg_result *const *, size_t),
		     const lg_result *const *results, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	cr_assert(m);
	cr_assert_eq(write(m, results, n), 0);
	cr_assert_eq(fclose(m), 0);
	return buf;
}

/* Whether s is well-formed UTF-8 with no surrogates (RFC 3629). */
static int valid_utf8(const unsigned char *s)
{
	while (*s) {
		int n = *s < 0x80 ? 1 : (*s & 0xe0) == 0xc0 ? 2 : (*s & 0xf0) == 0xe0 ? 3 :
			(*s & 0xf8) == 0xf0 ? 4 : 0;
		int i;

		if (!n || (*s == 0xc0 || *s == 0xc1) || *s > 0xf4 ||
		    (*s == 0xed && s[1] >= 0xa0) || (*s == 0xe0 && s[1] < 0xa0) ||
		    (*s == 0xf0 && s[1] < 0x90))
			return 0;
		for (i = 1; i < n; i++)
			if ((s[i] & 0xc0) != 0x80)
				return 0;
		s += n;
	}
	return 1;
}

Test(report, json_numbers_are_exact)
{
	lg_result r;
	const lg_result *one = &r;
	char *json;

	result(&r, "f.py:work", LG_STATUS_PASS);
	r.seconds = 0.1;
	r.opts.budget[LG_PY_BLOCKS] = 64;
	r.verdict.trend[LG_PY_BLOCKS] = (lg_trend){ 3, 1.0 / 3, -2.5e-7, 123456789.125, 1.5 };
	json = written(lg_report_json, &one, 1);
	cr_assert(strstr(json, "\"schema_version\": 1,"), "%s", json);
	cr_assert(strstr(json, "\"seconds\": 0.1,"), "%s", json);
	cr_assert(strstr(json, "\"budget\": 64,"), "integers as integers: %s", json);
	cr_assert(strstr(json, "\"slope\": 0.3333333333333333,"), "%s", json);
	cr_assert(strstr(json, "\"lo\": -2.5e-07,"), "%s", json);
	cr_assert(strstr(json, "\"hi\": 123456789.125,"), "%s", json);
	cr_assert(strstr(json, "[9007199254740993, 9007199254740994, 9007199254740995]"),
		  "large counters keep every digit: %s", json);
	cr_assert(strstr(json, "\"elapsed\": [0, 0.1, 0.2]"), "%s", json);
	free(json);
	lg_series_release(&r.series);
}

Test(report, json_skip_has_its_reason_not_an_error)
{
	lg_result r;
	const lg_result *one = &r;
	char *json;

	result(&r, "t.py::test_x", LG_STATUS_SKIP);
	r.error = "marked no_leak_check";
	json = written(lg_report_json, &one, 1);
	cr_assert(strstr(json, "\"verdict\": \"skip\""), "%s", json);
	cr_assert(strstr(json, "\"error\": null"), "%s", json);
	cr_assert(strstr(json, "\"skip\": {\"reason\": \"marked no_leak_check\"}"), "%s", json);
	free(json);
	lg_series_release(&r.series);
}

/* Bytes that are not UTF-8: a stray 0xff, a lone surrogate as Python's surrogatepass
 * writes it (ED A0 80), a sequence cut short, an overlong '/'; valid multibyte text stays. */
#define BAD "bad\xff-\xed\xa0\x80-\xc3-\xc0\xaf-\xe2\x86\x92.py:work"

Test(report, json_is_valid_utf8_whatever_the_bytes)
{
	lg_result r;
	const lg_result *one = &r;
	char *json;

	result(&r, BAD, LG_STATUS_ERROR);
	r.error = "ValueError: \xed\xb3\xbf \x01 \x7f";
	json = written(lg_report_json, &one, 1);
	cr_assert(valid_utf8((const unsigned char *)json), "%s", json);
	cr_assert(strstr(json, "\"target\": \"bad\\ufffd-\\ufffd\\ufffd\\ufffd-\\ufffd-"
			 "\\ufffd\\ufffd-\xe2\x86\x92.py:work\""), "%s", json);
	cr_assert(strstr(json, "\"message\": \"ValueError: \\ufffd\\ufffd\\ufffd \\u0001 "
			 "\\u007f\""), "%s", json);
	free(json);
	lg_series_release(&r.series);
}

Test(report, junit_and_svg_are_valid_utf8_whatever_the_bytes)
{
	lg_result r;
	const lg_result *one = &r;
	char *xml, *svg;

	result(&r, BAD, LG_STATUS_ERROR);
	r.error = "ValueError: \xed\xb3\xbf \x01";
	xml = written(lg_report_junit, &one, 1);
	svg = written(lg_report_svg, &one, 1);
	cr_assert(valid_utf8((const unsigned char *)xml), "%s", xml);
	cr_assert(valid_utf8((const unsigned char *)svg), "%s", svg);
	cr_assert(strstr(xml, "\xe2\x86\x92"), "valid text kept: %s", xml);
	free(xml);
	free(svg);
	lg_series_release(&r.series);
}

/* The testcase line of target t in a JUnit report with suite name "proj". */
static char *testcase(const char *t)
{
	lg_result r;
	const lg_result *one = &r;
	lg_junit_opts o = { "proj", "host1", 1.7e9 };
	char *buf = NULL, *line, *end;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	result(&r, t, LG_STATUS_PASS);
	cr_assert_eq(lg_report_junit_with(m, &one, 1, &o), 0);
	cr_assert_eq(fclose(m), 0);
	lg_series_release(&r.series);
	cr_assert(strstr(buf, "<testsuite name=\"proj\" tests=\"1\" "), "%s", buf);
	cr_assert(strstr(buf, " timestamp=\"20") && strstr(buf, " hostname=\"host1\">"), "%s",
		  buf);
	line = strstr(buf, "<testcase ");
	cr_assert(line, "%s", buf);
	end = strstr(line, " time=");
	line = strndup(line + 10, (size_t)(end - line - 10));
	free(buf);
	return line;
}

Test(report, junit_groups_as_pytest_does)
{
	static const char *const cases[][2] = {
		{ "tests/test_leak.py::test_x", "classname=\"tests.test_leak\" name=\"test_x\"" },
		{ "tests/test_leak.py::TestA::test_y[a::b/c]",
		  "classname=\"tests.test_leak.TestA\" name=\"test_y[a::b/c]\"" },
		{ "./pkg/mod.py:work", "classname=\"pkg.mod\" name=\"work\"" },
		{ "pkg.mod:work", "classname=\"pkg.mod\" name=\"work\"" },
		{ "/abs/dir/f.py:work", "classname=\"abs.dir.f\" name=\"work\"" },
		{ "-c", "classname=\"proj\" name=\"-c\"" },
		{ "a&b.py:w<1>", "classname=\"a&amp;b\" name=\"w&lt;1&gt;\"" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = testcase(cases[i][0]);

		cr_assert_str_eq(got, cases[i][1], "target %s", cases[i][0]);
		free(got);
	}
}

Test(report, junit_paths_below_the_current_directory_are_relative)
{
	char cwd[4096], *t, *got;

	cr_assert(getcwd(cwd, sizeof(cwd)));
	cr_assert(asprintf(&t, "%s/tests/test_b.py:work", cwd) > 0);
	got = testcase(t);
	cr_assert_str_eq(got, "classname=\"tests.test_b\" name=\"work\"");
	free(got);
	free(t);
}
