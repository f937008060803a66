/* target.c: parsing of TARGET arguments into the forms the worker loads. No Python here,
 * so the supervisor can reject a malformed target before forking. */
#include <string.h>

#include "leakgate.h"
#include "worker_api.h"

static int is_identifier(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c >= 0x80))
			return 0;
	}
	return 1;
}

/* A dotted module path: identifiers separated by single dots. */
static int is_module_path(const char *s, size_t n)
{
	size_t start = 0, i;

	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (!is_identifier(s + start, i - start))
				return 0;
			start = i + 1;
		}
	}
	return 1;
}

int lg_target_parse(const char *arg, lg_target *out, const char **why)
{
	const char *colon = arg ? strrchr(arg, ':') : NULL;
	size_t n;

	if (!arg || !*arg) {
		*why = "empty target";
		return LG_EINVAL;
	}
	if (!colon) {
		*why = "expected FILE.py:FUNC, MODULE:FUNC or -c CODE";
		return LG_EINVAL;
	}
	if (!is_identifier(colon + 1, strlen(colon + 1))) {
		*why = "the part after ':' must be a function name";
		return LG_EINVAL;
	}
	n = (size_t)(colon - arg);
	out->spec = arg;
	if (n > 3 && memcmp(colon - 3, ".py", 3) == 0) {
		out->kind = LG_TARGET_FILE;
		return 0;
	}
	if (is_module_path(arg, n)) {
		out->kind = LG_TARGET_MODULE;
		return 0;
	}
	*why = "expected FILE.py:FUNC or MODULE:FUNC before ':'";
	return LG_EINVAL;
}

static const char *const kind_names[] = {
	[LG_TARGET_FILE] = "file",
	[LG_TARGET_MODULE] = "module",
	[LG_TARGET_CODE] = "code",
	[LG_TARGET_PYTEST] = "pytest",
};

const char *lg_target_kind_name(lg_target_kind k)
{
	return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "?";
}

int lg_target_kind_parse(const char *name, lg_target_kind *out)
{
	size_t k;

	for (k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++) {
		if (!strcmp(name, kind_names[k])) {
			*out = (lg_target_kind)k;
			return 0;
		}
	}
	return LG_EINVAL;
}
