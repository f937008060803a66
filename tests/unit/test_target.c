/* test_target.c: TARGET argument parsing, before any Python is involved. */
#include <criterion/criterion.h>

#include "leakgate.h"

Test(target, file_and_module_forms)
{
	lg_target t;
	const char *why = NULL;

	cr_assert_eq(lg_target_parse("dir/sub/f.py:work", &t, &why), 0);
	cr_assert_eq(t.kind, LG_TARGET_FILE);
	cr_assert_str_eq(t.spec, "dir/sub/f.py:work");
	cr_assert_eq(lg_target_parse("/abs/path with space/f.py:run_1", &t, &why), 0);
	cr_assert_eq(t.kind, LG_TARGET_FILE);
	cr_assert_eq(lg_target_parse("pkg.sub.mod:work", &t, &why), 0);
	cr_assert_eq(t.kind, LG_TARGET_MODULE);
	cr_assert_eq(lg_target_parse("mod:_private", &t, &why), 0);
	cr_assert_eq(t.kind, LG_TARGET_MODULE);
}

Test(target, rejects_malformed)
{
	static const char *const bad[] = {
		"", "work", "f.py", "f.py:", "mod:", ":work", "mod:1abc", "mod:a-b", "a..b:f",
		".a:f", "a.:f", "pkg/mod:f", "mod:f:g x", "1mod:f", NULL,
	};
	const char *const *b;
	lg_target t;

	for (b = bad; *b; b++) {
		const char *why = NULL;

		cr_assert_eq(lg_target_parse(*b, &t, &why), LG_EINVAL, "accepted '%s'", *b);
		cr_assert(why && *why, "no reason for '%s'", *b);
	}
	cr_assert_eq(lg_target_parse(NULL, &t, &(const char *){ NULL }), LG_EINVAL);
}
