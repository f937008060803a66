/* config.h: `[tool.leakgate]` in pyproject.toml (harness/config.c): where the file is and
 * what its table says, as keys and values; main.c gives them their meaning. */
#ifndef LG_CONFIG_H
#define LG_CONFIG_H

#include <stddef.h>

typedef enum config_type {
	CONFIG_STRING,
	CONFIG_NUMBER,  /* text: the number as written, underscores removed */
	CONFIG_BOOL,    /* text: "true" or "false" */
	CONFIG_ARRAY,   /* items: strings */
} config_type;

struct config_entry {
	char *key;       /* "iterations"; in [tool.leakgate.budget] or an inline table,
			  * "budget.py_blocks" */
	config_type type;
	char *text;      /* a string, number or bool as text */
	char **items;    /* CONFIG_ARRAY: nitems strings */
	size_t nitems;
	unsigned line;
};

struct config {
	char *path;      /* the file read */
	char *dir;       /* its directory */
	struct config_entry *entries;
	size_t n;
};

/* The pyproject.toml that configures leakgate from `start` (a directory): the first one,
 * going upward, that has a [tool.leakgate] table, as pytest finds its ini files. Returns
 * its path (free it), or NULL when there is none; on a file that cannot be read or
 * parsed, NULL with the reason ("FILE:LINE: ...", free it) in *err. */
char *config_find(const char *start, char **err);

/* Reads [tool.leakgate] (and its sub-tables) of a pyproject.toml into *c, release with
 * config_release. Values are a strict subset of TOML: basic and literal strings,
 * integers, floats, booleans, arrays of strings (over several lines too), inline tables
 * of those; dates, multi-line strings and arrays of tables within leakgate's tables are
 * errors. The rest of the file is only skipped (tables, multi-line strings and arrays
 * tracked so that no header is misread). Returns 0, or -1 with "FILE:LINE: what is wrong"
 * in *err (free it). */
int config_read(const char *path, struct config *c, char **err);
void config_release(struct config *c);

#endif
