/* config.c: reads leakgate's tables of a pyproject.toml: a strict reader of the small part
 * of TOML that leakgate's keys need, which only skips the rest of the file. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define TABLE "tool.leakgate"

struct parser {
	const char *path;
	const char *p;
	unsigned line;
	char *err;
	struct config *c;
	int found;  /* some key or header of leakgate's tables was seen */
};

/* Records the first error, "FILE:LINE: message"; returns -1. */
static int fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (ps->err)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg || asprintf(&ps->err, "%s:%u: %s", ps->path, ps->line, msg) < 0)
		ps->err = NULL;
	free(msg);
	if (!ps->err)
		ps->err = strdup("out of memory");
	return -1;
}

static void skip_blank(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t')
		ps->p++;
}

/* Blanks, comments and newlines (between array items). */
static void skip_space(struct parser *ps)
{
	for (;;) {
		skip_blank(ps);
		if (*ps->p == '#')
			while (*ps->p && *ps->p != '\n')
				ps->p++;
		if (*ps->p == '\r' && ps->p[1] == '\n')
			ps->p++;
		if (*ps->p != '\n')
			return;
		ps->p++;
		ps->line++;
	}
}

/* The end of a key/value line or a header: blanks, a comment, then a newline or the end. */
static int end_of_line(struct parser *ps)
{
	skip_blank(ps);
	if (*ps->p == '#')
		while (*ps->p && *ps->p != '\n')
			ps->p++;
	if (*ps->p == '\r' && ps->p[1] == '\n')
		ps->p++;
	if (*ps->p == '\n') {
		ps->p++;
		ps->line++;
		return 0;
	}
	if (!*ps->p)
		return 0;
	return fail(ps, "unexpected '%c' after the value (one key = value per line)", *ps->p);
}

static int is_bare(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-';
}

static void put_utf8(FILE *f, unsigned long cp)
{
	if (cp < 0x80) {
		fputc((int)cp, f);
	} else if (cp < 0x800) {
		fputc((int)(0xc0 | cp >> 6), f);
		fputc((int)(0x80 | (cp & 0x3f)), f);
	} else if (cp < 0x10000) {
		fputc((int)(0xe0 | cp >> 12), f);
		fputc((int)(0x80 | ((cp >> 6) & 0x3f)), f);
		fputc((int)(0x80 | (cp & 0x3f)), f);
	} else {
		fputc((int)(0xf0 | cp >> 18), f);
		fputc((int)(0x80 | ((cp >> 12) & 0x3f)), f);
		fputc((int)(0x80 | ((cp >> 6) & 0x3f)), f);
		fputc((int)(0x80 | (cp & 0x3f)), f);
	}
}

/* A one-line basic ("...") or literal ('...') string at ps->p; *out is malloc'd. */
static int parse_string(struct parser *ps, char **out)
{
	char quote = *ps->p, *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (ps->p[1] == quote && ps->p[2] == quote)
		return fail(ps, "multi-line strings are not supported here");
	f = open_memstream(&buf, &len);
	if (!f)
		return fail(ps, "out of memory");
	for (ps->p++; *ps->p != quote; ps->p++) {
		unsigned char ch = (unsigned char)*ps->p;

		if (!ch || ch == '\n' || ch == '\r' || (ch < 0x20 && ch != '\t') || ch == 0x7f) {
			fclose(f);
			free(buf);
			return fail(ps, ch == '\n' || !ch ? "unterminated string" :
				    "a control character in a string");
		}
		if (ch != '\\' || quote == '\'') {
			fputc(ch, f);
			continue;
		}
		ps->p++;
		switch (*ps->p) {
		case 'b': fputc('\b', f); break;
		case 't': fputc('\t', f); break;
		case 'n': fputc('\n', f); break;
		case 'f': fputc('\f', f); break;
		case 'r': fputc('\r', f); break;
		case '"': fputc('"', f); break;
		case '\\': fputc('\\', f); break;
		case 'u':
		case 'U': {
			int digits = *ps->p == 'u' ? 4 : 8, i;
			unsigned long cp = 0;

			for (i = 1; i <= digits; i++) {
				char h = ps->p[i];
				int v = h >= '0' && h <= '9' ? h - '0' :
					h >= 'a' && h <= 'f' ? h - 'a' + 10 :
					h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;

				if (v < 0)
					break;
				cp = cp * 16 + (unsigned long)v;
			}
			if (i <= digits || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
				fclose(f);
				free(buf);
				return fail(ps, "a bad \\%c escape in a string", *ps->p);
			}
			put_utf8(f, cp);
			ps->p += digits;
			break;
		}
		default:
			fclose(f);
			free(buf);
			return fail(ps, "unknown escape '\\%c' in a string", *ps->p ? *ps->p : ' ');
		}
	}
	ps->p++;
	if (fclose(f) != 0) {
		free(buf);
		return fail(ps, "out of memory");
	}
	*out = buf;
	return 0;
}

/* A key, dotted or not, bare or quoted: "a.b" into *out (malloc'd). */
static int parse_key(struct parser *ps, char **out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return fail(ps, "out of memory");
	for (;;) {
		skip_blank(ps);
		if (*ps->p == '"' || *ps->p == '\'') {
			char *part;

			if (parse_string(ps, &part) < 0)
				goto fail;
			fputs(part, f);
			free(part);
		} else if (is_bare(*ps->p)) {
			while (is_bare(*ps->p))
				fputc(*ps->p++, f);
		} else {
			fail(ps, *ps->p == '\n' || !*ps->p ? "a key is missing" :
			     "'%c' cannot start a key", *ps->p);
			goto fail;
		}
		skip_blank(ps);
		if (*ps->p != '.')
			break;
		fputc('.', f);
		ps->p++;
	}
	if (fclose(f) != 0) {
		free(buf);
		return fail(ps, "out of memory");
	}
	*out = buf;
	return 0;
fail:
	fclose(f);
	free(buf);
	return -1;
}

/* A TOML integer or float in decimal (underscores between digits), as text without the
 * underscores; other forms (hex, dates, inf, nan) are errors. */
static int parse_number(struct parser *ps, char **out)
{
	const char *s = ps->p;
	char *buf = malloc(strlen(s) + 1);
	size_t n = 0;
	int digits = 0, part = 0;  /* part: 0 integer, 1 fraction, 2 exponent */

	if (!buf)
		return fail(ps, "out of memory");
	if (*s == '+' || *s == '-')
		buf[n++] = *s++;
	if (!strncmp(s, "inf", 3) || !strncmp(s, "nan", 3)) {
		free(buf);
		return fail(ps, "inf and nan are not allowed here");
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
		free(buf);
		return fail(ps, "write numbers in decimal");
	}
	for (;; s++) {
		if (*s >= '0' && *s <= '9') {
			buf[n++] = *s;
			digits++;
		} else if (*s == '_' && digits && s[1] >= '0' && s[1] <= '9') {
			continue;
		} else if (*s == '.' && part == 0 && digits) {
			buf[n++] = *s;
			part = 1;
			digits = 0;
		} else if ((*s == 'e' || *s == 'E') && part < 2 && digits) {
			buf[n++] = *s;
			part = 2;
			digits = 0;
			if (s[1] == '+' || s[1] == '-')
				buf[n++] = *++s;
		} else {
			break;
		}
	}
	buf[n] = '\0';
	if (!digits || is_bare(*s) || *s == ':' || *s == '.') {
		free(buf);
		return fail(ps, "not a number leakgate reads (dates and times are not supported)");
	}
	ps->p = s;
	*out = buf;
	return 0;
}

static struct config_entry *find_entry(struct config *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->entries[i].key, key))
			return &c->entries[i];
	return NULL;
}

/* Adds an entry (taking key, text and items); -1 on a key given twice. */
static int add_entry(struct parser *ps, char *key, config_type type, char *text, char **items,
		     size_t nitems, unsigned line)
{
	struct config *c = ps->c;
	struct config_entry *e = find_entry(c, key), *v;
	size_t i;

	if (e) {
		unsigned first = e->line;

		ps->line = line;
		fail(ps, "'%s' is given twice (first on line %u)", key, first);
		goto fail;
	}
	v = realloc(c->entries, (c->n + 1) * sizeof(*v));
	if (!v) {
		fail(ps, "out of memory");
		goto fail;
	}
	c->entries = v;
	e = &c->entries[c->n++];
	e->key = key;
	e->type = type;
	e->text = text;
	e->items = items;
	e->nitems = nitems;
	e->line = line;
	return 0;
fail:
	free(key);
	free(text);
	for (i = 0; i < nitems; i++)
		free(items[i]);
	free(items);
	return -1;
}

/* An array of strings, over several lines if need be. */
static int parse_array(struct parser *ps, char ***items, size_t *n)
{
	unsigned open_line = ps->line;
	char **v = NULL;

	*n = 0;
	ps->p++;
	for (;;) {
		char *s, **grown;

		skip_space(ps);
		if (*ps->p == ']')
			break;
		if (!*ps->p)
			break;
		if (*ps->p != '"' && *ps->p != '\'') {
			fail(ps, "leakgate's arrays hold strings only");
			goto fail;
		}
		if (parse_string(ps, &s) < 0)
			goto fail;
		grown = realloc(v, (*n + 1) * sizeof(*v));
		if (!grown) {
			free(s);
			fail(ps, "out of memory");
			goto fail;
		}
		v = grown;
		v[(*n)++] = s;
		skip_space(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p && *ps->p != ']') {
			fail(ps, "expected ',' or ']' in the array");
			goto fail;
		}
		break;
	}
	if (!*ps->p) {
		ps->line = open_line;
		fail(ps, "unterminated array (no ']')");
		goto fail;
	}
	ps->p++;
	*items = v;
	return 0;
fail:
	while (*n)
		free(v[--*n]);
	free(v);
	return -1;
}

static int parse_value(struct parser *ps, char *key);

/* { k = v, ... } on one line: entries "KEY.k". Takes key. */
static int parse_inline(struct parser *ps, char *key)
{
	ps->p++;
	skip_blank(ps);
	if (*ps->p == '}') {
		ps->p++;
		free(key);
		return 0;
	}
	for (;;) {
		char *sub, *full;

		if (parse_key(ps, &sub) < 0)
			goto fail;
		if (asprintf(&full, "%s%s%s", key, key[0] ? "." : "", sub) < 0) {
			free(sub);
			fail(ps, "out of memory");
			goto fail;
		}
		free(sub);
		skip_blank(ps);
		if (*ps->p != '=') {
			free(full);
			fail(ps, "expected '=' after the key");
			goto fail;
		}
		ps->p++;
		skip_blank(ps);
		if (parse_value(ps, full) < 0)
			goto fail;
		skip_blank(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p != '}') {
			fail(ps, "expected ',' or '}' in the inline table (on one line)");
			goto fail;
		}
		ps->p++;
		break;
	}
	free(key);
	return 0;
fail:
	free(key);
	return -1;
}

/* A value of leakgate's tables, stored under key (taken). */
static int parse_value(struct parser *ps, char *key)
{
	unsigned line = ps->line;
	char *text = NULL, **items = NULL;
	size_t n = 0;

	switch (*ps->p) {
	case '"':
	case '\'':
		if (parse_string(ps, &text) < 0)
			break;
		return add_entry(ps, key, CONFIG_STRING, text, NULL, 0, line);
	case '[':
		if (parse_array(ps, &items, &n) < 0)
			break;
		return add_entry(ps, key, CONFIG_ARRAY, NULL, items, n, line);
	case '{':
		return parse_inline(ps, key);
	case 't':
	case 'f':
		if (!strncmp(ps->p, "true", 4) && !is_bare(ps->p[4])) {
			ps->p += 4;
			return add_entry(ps, key, CONFIG_BOOL, strdup("true"), NULL, 0, line);
		}
		if (!strncmp(ps->p, "false", 5) && !is_bare(ps->p[5])) {
			ps->p += 5;
			return add_entry(ps, key, CONFIG_BOOL, strdup("false"), NULL, 0, line);
		}
		fail(ps, "a value is a string, a number, true, false, an array or a table");
		break;
	default:
		if ((*ps->p >= '0' && *ps->p <= '9') || *ps->p == '+' || *ps->p == '-' ||
		    *ps->p == 'i' || *ps->p == 'n') {
			if (parse_number(ps, &text) < 0)
				break;
			return add_entry(ps, key, CONFIG_NUMBER, text, NULL, 0, line);
		}
		fail(ps, *ps->p == '\n' || !*ps->p ? "a value is missing" :
		     "a value is a string, a number, true, false, an array or a table");
	}
	free(key);
	return -1;
}

/* Skips any TOML value outside leakgate's tables: strings of every kind (over several
 * lines), arrays and inline tables (nested), and scalars. Never fails: a value it cannot
 * read is skipped to the end of its line. */
static void skip_value(struct parser *ps)
{
	int depth = 0;

	do {
		const char *p = ps->p;

		if ((*p == '"' || *p == '\'') && p[1] == *p && p[2] == *p) {
			char q = *p;

			for (p += 3; *p && !(p[0] == q && p[1] == q && p[2] == q); p++) {
				if (*p == '\\' && q == '"' && p[1])
					p++;
				if (*p == '\n')
					ps->line++;
			}
			while (*p == q)  /* up to two quotes may end the content */
				p++;
		} else if (*p == '"' || *p == '\'') {
			char q = *p;

			for (p++; *p && *p != q && *p != '\n'; p++)
				if (*p == '\\' && q == '"' && p[1] && p[1] != '\n')
					p++;
			if (*p == q)
				p++;
		} else if (*p == '[' || *p == '{') {
			depth++;
			p++;
		} else if (*p == ']' || *p == '}') {
			depth--;
			p++;
		} else if (depth && (*p == '#' || *p == '\n' || *p == ' ' || *p == '\t' ||
				     *p == '\r' || *p == ',' || *p == '=')) {
			ps->p = p;
			skip_space(ps);
			if (*ps->p == ',' || *ps->p == '=')
				ps->p++;
			continue;
		} else if (!*p || *p == '\n' || *p == '#') {
			break;
		} else {
			while (*p && !strchr(" \t\r\n#,]}", *p))
				p++;
		}
		ps->p = p;
		if (!depth)
			skip_blank(ps);
	} while (*ps->p && depth > 0);
	while (*ps->p && *ps->p != '\n')  /* whatever follows: not leakgate's business */
		ps->p++;
	if (*ps->p == '\n') {
		ps->p++;
		ps->line++;
	}
}

/* If full names leakgate's table or lies under it, the key within it ("" for the table
 * itself, else "budget" or "budget.py_blocks"); else NULL. */
static const char *ours(const char *full)
{
	size_t n = sizeof(TABLE) - 1;

	if (strncmp(full, TABLE, n) || (full[n] && full[n] != '.'))
		return NULL;
	return full[n] ? full + n + 1 : full + n;
}

static int parse_file(struct parser *ps)
{
	char *table = strdup("");  /* the current table's name */

	if (!table)
		return fail(ps, "out of memory");
	while (!ps->err) {
		char *key, *full;
		const char *mine;

		skip_space(ps);
		if (!*ps->p)
			break;
		if (*ps->p == '[') {
			int array = ps->p[1] == '[';

			ps->p += array ? 2 : 1;
			if (parse_key(ps, &key) < 0)
				break;
			if (*ps->p != ']' || (array && ps->p[1] != ']')) {
				free(key);
				fail(ps, "expected ']' to close the table header");
				break;
			}
			ps->p += array ? 2 : 1;
			if (array && ours(key)) {
				free(key);
				fail(ps, "arrays of tables are not supported in [" TABLE "]");
				break;
			}
			free(table);
			table = key;
			if (ours(table))
				ps->found = 1;
			if (end_of_line(ps) < 0 && ours(table))
				break;
			free(ps->err);  /* a foreign header's trailing junk is not ours to judge */
			ps->err = NULL;
			continue;
		}
		if (parse_key(ps, &key) < 0) {
			if (ours(table))
				break;
			free(ps->err);
			ps->err = NULL;
			skip_value(ps);
			continue;
		}
		if (asprintf(&full, "%s%s%s", table, table[0] ? "." : "", key) < 0) {
			free(key);
			fail(ps, "out of memory");
			break;
		}
		free(key);
		mine = ours(full);
		skip_blank(ps);
		if (!mine) {
			free(full);
			if (*ps->p == '=')
				ps->p++;
			skip_blank(ps);
			skip_value(ps);
			continue;
		}
		ps->found = 1;
		if (*ps->p != '=') {
			free(full);
			fail(ps, "expected '=' after the key");
			break;
		}
		ps->p++;
		skip_blank(ps);
		if (!*mine && *ps->p != '{') {
			free(full);
			fail(ps, TABLE " is a table");
			break;
		}
		key = strdup(mine);
		free(full);
		if (!key) {
			fail(ps, "out of memory");
			break;
		}
		if (parse_value(ps, key) < 0 || end_of_line(ps) < 0)
			break;
	}
	free(table);
	return ps->err ? -1 : 0;
}

static char *slurp(const char *path, char **err)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	ssize_t got;

	if (!f) {
		if (asprintf(err, "%s: %s", path, strerror(errno)) < 0)
			*err = NULL;
		return NULL;
	}
	got = getdelim(&buf, &len, '\0', f);
	if (got < 0 && ferror(f)) {
		if (asprintf(err, "%s: %s", path, strerror(errno)) < 0)
			*err = NULL;
		free(buf);
		buf = NULL;
	} else if (got < 0) {
		free(buf);
		buf = strdup("");
	} else if ((size_t)got != strlen(buf)) {
		if (asprintf(err, "%s: not a text file (it holds a NUL byte)", path) < 0)
			*err = NULL;
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Reads the file; *found says whether it has leakgate's table. */
static int read_file(const char *path, struct config *c, int *found, char **err)
{
	struct parser ps = { 0 };
	char *text, *slash;

	memset(c, 0, sizeof(*c));
	*err = NULL;
	text = slurp(path, err);
	if (!text)
		return -1;
	ps.path = path;
	ps.p = text;
	ps.line = 1;
	ps.c = c;
	if (!strncmp(ps.p, "\xef\xbb\xbf", 3))  /* a byte-order mark */
		ps.p += 3;
	c->path = strdup(path);
	c->dir = strdup(path);
	if (!c->path || !c->dir) {
		fail(&ps, "out of memory");
	} else {
		slash = strrchr(c->dir, '/');
		if (slash)
			*(slash == c->dir ? slash + 1 : slash) = '\0';
		else
			strcpy(c->dir, ".");
		parse_file(&ps);
	}
	free(text);
	*found = ps.found;
	if (ps.err) {
		*err = ps.err;
		config_release(c);
		return -1;
	}
	return 0;
}

int config_read(const char *path, struct config *c, char **err)
{
	int found;

	return read_file(path, c, &found, err);
}

char *config_find(const char *start, char **err)
{
	char *dir = realpath(start, NULL);

	*err = NULL;
	while (dir) {
		char *path, *slash;
		struct config c;
		int found = 0;

		if (asprintf(&path, "%s%spyproject.toml", dir,
			     dir[strlen(dir) - 1] == '/' ? "" : "/") < 0)
			break;
		if (access(path, F_OK) == 0) {
			if (read_file(path, &c, &found, err) < 0) {
				free(path);
				break;
			}
			config_release(&c);
			if (found) {
				free(dir);
				return path;
			}
		}
		free(path);
		slash = strrchr(dir, '/');
		if (!slash || !slash[1])
			break;
		*(slash == dir ? slash + 1 : slash) = '\0';
	}
	free(dir);
	return NULL;
}

void config_release(struct config *c)
{
	size_t i, k;

	if (!c)
		return;
	for (i = 0; i < c->n; i++) {
		struct config_entry *e = &c->entries[i];

		free(e->key);
		free(e->text);
		for (k = 0; k < e->nitems; k++)
			free(e->items[k]);
		free(e->items);
	}
	free(c->entries);
	free(c->path);
	free(c->dir);
	memset(c, 0, sizeof(*c));
}
