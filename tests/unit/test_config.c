/* test_config.c: the harness's readers: [tool.leakgate] of a pyproject.toml (the TOML
 * subset, the rest of the file skipped, the search upward) and the baseline file. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../harness/baseline.h"
#include "../../harness/config.h"

static char dir[64];

static void scratch(void)
{
	snprintf(dir, sizeof(dir), "/tmp/lgconfig.%d.XXXXXX", (int)getpid());
	cr_assert(mkdtemp(dir));
}

static void cleanup(void)
{
	char *cmd;

	if (dir[0] && asprintf(&cmd, "rm -rf '%s'", dir) > 0) {
		cr_assert_eq(system(cmd), 0);
		free(cmd);
	}
}

/* Writes dir/name and returns its path (free it). */
static char *put(const char *name, const char *text)
{
	char *path;
	FILE *f;

	cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
	f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static const struct config_entry *get(const struct config *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->entries[i].key, key))
			return &c->entries[i];
	cr_assert_fail("no entry '%s'", key);
	return NULL;
}

TestSuite(config_reader, .init = scratch, .fini = cleanup);

Test(config_reader, values_of_every_supported_kind)
{
	char *path = put("pyproject.toml",
			 "[build-system]\n"
			 "requires = ['''\n[tool.leakgate]\nwarmup = 'x'\n''']\n"
			 "[tool.leakgate]\n"
			 "iterations = 1_000\n"
			 "timeout = 2.5e1\n"
			 "valgrind = false\n"
			 "report = \"a \\\"b\\\" \\u00e9\\\\c\"\n"
			 "python = 'C:\\literal'\n"
			 "targets = [ # comment\n  \"a.py:f\",\n\n  'b.mod:g', ]\n"
			 "budget = { py_blocks = 0.5, \"native_bytes\" = 64 }\n"
			 "plot.nested = 1\n"
			 "[tool.leakgate.budget2]\n"
			 "fds = 1\n"
			 "[tool.other]\n"
			 "iterations = \"not ours\"\n");
	struct config c;
	char *err = NULL;

	cr_assert_eq(config_read(path, &c, &err), 0, "%s", err);
	cr_assert_eq(c.n, 10);
	cr_assert_str_eq(get(&c, "iterations")->text, "1000");
	cr_assert_eq(get(&c, "iterations")->type, CONFIG_NUMBER);
	cr_assert_eq(get(&c, "iterations")->line, 7, "line %u", get(&c, "iterations")->line);
	cr_assert_str_eq(get(&c, "timeout")->text, "2.5e1");
	cr_assert_eq(get(&c, "valgrind")->type, CONFIG_BOOL);
	cr_assert_str_eq(get(&c, "valgrind")->text, "false");
	cr_assert_str_eq(get(&c, "report")->text, "a \"b\" \xc3\xa9\\c");
	cr_assert_str_eq(get(&c, "python")->text, "C:\\literal");
	cr_assert_eq(get(&c, "targets")->nitems, 2);
	cr_assert_str_eq(get(&c, "targets")->items[1], "b.mod:g");
	cr_assert_eq(get(&c, "targets")->line, 12, "line %u", get(&c, "targets")->line);
	cr_assert_str_eq(get(&c, "budget.py_blocks")->text, "0.5");
	cr_assert_str_eq(get(&c, "budget.native_bytes")->text, "64");
	cr_assert_str_eq(get(&c, "plot.nested")->text, "1");
	cr_assert_str_eq(get(&c, "budget2.fds")->text, "1");
	cr_assert_str_eq(c.dir, dir);
	config_release(&c);
	free(path);
}

Test(config_reader, errors_name_the_line)
{
	static const char *const cases[][2] = {
		{ "[tool.leakgate]\nx = 1979-05-27T07:32:00Z\n", ":2: not a number" },
		{ "[tool.leakgate]\nx = inf\n", ":2: inf and nan" },
		{ "[tool.leakgate]\nx = \"\\q\"\n", ":2: unknown escape" },
		{ "[tool.leakgate]\nx = \"\\ud800\"\n", ":2: a bad \\u escape" },
		{ "[tool.leakgate]\nx = [\"a\",\n\"b\"\n", ":2: unterminated array" },
		{ "[tool.leakgate]\nx = [\"a\" \"b\"]\n", ":2: expected ',' or ']'" },
		{ "[tool.leakgate]\nx = { a = 1\n", ":2: expected ',' or '}'" },
		{ "[tool.leakgate\n", ":1: expected ']'" },
		{ "[tool.leakgate]\n= 1\n", ":2: '=' cannot start a key" },
		{ "[tool.leakgate]\nx 1\n", ":2: expected '='" },
		{ "tool.leakgate = 1\n", ":1: tool.leakgate is a table" },
		{ "[tool.leakgate]\nx = 1\n[tool.leakgate]\nx = 2\n", ":4: 'x' is given twice" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = put("pyproject.toml", cases[i][0]), *err = NULL;
		struct config c;

		cr_expect_eq(config_read(path, &c, &err), -1, "case %zu", i);
		cr_expect(err && strstr(err, cases[i][1]) && !strncmp(err, path, strlen(path)),
			  "case %zu: want '%s' in '%s'", i, cases[i][1], err ? err : "(null)");
		free(err);
		free(path);
	}
}

/* Upward from a directory: a pyproject.toml without leakgate's table is passed over. */
Test(config_reader, found_upward_past_files_without_the_table)
{
	char *top, *mid, *deep, *found, *err = NULL;

	top = put("pyproject.toml", "[tool.leakgate]\nwarmup = 1\n");
	cr_assert(asprintf(&mid, "%s/a", dir) > 0 && asprintf(&deep, "%s/a/b/c", dir) > 0);
	cr_assert_eq(mkdir(mid, 0700), 0);
	free(put("a/pyproject.toml", "[tool.pytest.ini_options]\nx = 1\n"));
	cr_assert(asprintf(&found, "mkdir -p '%s'", deep) > 0);
	cr_assert_eq(system(found), 0);
	free(found);
	found = config_find(deep, &err);
	cr_assert(found, "%s", err ? err : "not found");
	cr_assert_str_eq(found, top);
	free(found);
	free(top);
	free(mid);
	free(deep);
}

Test(config_reader, baseline_numbers_are_stable)
{
	cr_assert_float_eq(baseline_round(1.0), 1.0, 1e-12);
	cr_assert_float_eq(baseline_round(37.33), 38.0, 1e-12);
	cr_assert_float_eq(baseline_round(38.0), 38.0, 1e-12);
	cr_assert_float_eq(baseline_round(0.0341), 0.035, 1e-12);
	cr_assert_float_eq(baseline_round(1234), 1300, 1e-9);
	cr_assert_float_eq(baseline_round(baseline_round(7.77)), baseline_round(7.77), 1e-12);
	cr_assert_float_eq(baseline_round(-1), 0, 0);
}

/* Written sorted by target then counter, and read back the same. */
Test(config_reader, baseline_write_sorts_and_reads_back)
{
	struct baseline b = { 0 }, back;
	char *buf = NULL, *err = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_eq(baseline_add(&b, "t.py::test_b[a b]", LG_PY_BYTES, 38), 0);
	cr_assert_eq(baseline_add(&b, "t.py::test_b[a b]", LG_PY_BLOCKS, 1), 0);
	cr_assert_eq(baseline_add(&b, "a.py:work", LG_NATIVE_BYTES, 1300), 0);
	cr_assert_eq(baseline_add(&b, "a.py:work", LG_PY_BLOCKS, 0.035), 0);
	cr_assert_eq(baseline_write(f, &b), 0);
	fclose(f);
	cr_assert(strstr(buf, "\na.py:work  py_blocks  0.035\n"
			 "a.py:work  native_bytes  1300\n"
			 "t.py::test_b[a b]  py_blocks  1\n"
			 "t.py::test_b[a b]  py_bytes  38\n"), "%s", buf);
	f = fmemopen(buf, len, "r");
	cr_assert_eq(baseline_read(f, "b.txt", &back, &err), 0, "%s", err);
	fclose(f);
	cr_assert_eq(back.n, 4);
	cr_assert_str_eq(back.v[2].target, "t.py::test_b[a b]");
	cr_assert_eq(back.v[2].counter, LG_PY_BLOCKS);
	cr_assert_eq(back.v[2].line, 7);
	cr_assert_float_eq(back.v[0].slope, 0.035, 1e-12);
	baseline_release(&b);
	baseline_release(&back);
	free(buf);
}
