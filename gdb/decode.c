/* decode.c: CPython objects from raw memory. Everything read goes through a page cache
 * over the caller's read callback, with two budgets per call: callback calls (slow on a
 * live target) and reads of any kind, cached ones included, so that no memory image,
 * however corrupt, makes the decoder run long. Every walk is also bounded by the steps
 * it takes (not by what it prints), and every count and depth has a bound. */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

#define PAGE 4096u
#define NPAGES 256u
#define READ_BUDGET 4000000u  /* callback calls per public call */
#define STEP_BUDGET 200000000u /* reads of any kind per public call (seconds at most) */
#define MAX_DEPTH 24          /* repr nesting */
#define MAX_ITEMS 1000000     /* container length believed */
#define MAX_STR (1u << 20)    /* characters decoded */
#define GRAPH_NODES 1000
#define GRAPH_ITEMS 50
#define GRAPH_STR 120
#define MAX_GC (4u << 20)     /* GC list nodes walked */
#define MAX_EDGES (2u << 20)
#define MAX_FRAMES 500        /* frames printed per thread */
#define MAX_FRAME_STEPS 20000 /* frames visited per thread, printed or not */
#define MAX_THREADS 256

struct page {
	uint64_t addr;
	int state;  /* 0 empty, 1 valid */
	unsigned char data[PAGE];
};

/* A set of addresses (open addressing), for cycles and for counting by type. */
struct aset {
	uint64_t *key;
	uint64_t *val;
	size_t cap, len;
};

struct lg_dec {
	lg_jit_layout l;
	lg_read_fn read;
	void *ctx;
	struct page *pages;
	unsigned long calls, steps;
	uint64_t path[MAX_DEPTH + 1];  /* objects being printed, for "[...]" */
	int depth;
	struct aset seen;
	struct aset own;  /* leakgate's own bookkeeping: never shown as a holder */
	struct aset own_refs;  /* references it holds, by object */
	int nodes;
	lg_text *graph_out;
	uint32_t kind_shift;
};

enum kind {
	K_OTHER, K_STR, K_INT, K_BOOL, K_FLOAT, K_BYTES, K_TUPLE, K_LIST, K_DICT, K_SET,
	K_FROZENSET, K_MODULE, K_FUNC, K_CODE, K_NONE, K_TYPE,
};

/* ---- text ---- */

static void text_add(lg_text *t, const char *s, size_t n)
{
	static const char cut[] = "[output truncated]\n";

	if (t->full)
		return;
	if (t->len + n + 1 > LG_TEXT_MAX - sizeof(cut)) {
		t->full = 1;
		n = 0;
		s = "";
	}
	if (t->len + n + sizeof(cut) + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		char *p;

		while (cap < t->len + n + sizeof(cut) + 1)
			cap *= 2;
		p = realloc(t->s, cap);
		if (!p) {
			t->full = 1;
			return;
		}
		t->s = p;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	if (t->full) {
		if (t->len && t->s[t->len - 1] != '\n')
			t->s[t->len++] = '\n';
		memcpy(t->s + t->len, cut, sizeof(cut) - 1);
		t->len += sizeof(cut) - 1;
	}
	t->s[t->len] = '\0';
}

void lg_text_printf(lg_text *t, const char *fmt, ...)
{
	char buf[512], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(buf)) {
		text_add(t, buf, (size_t)n);
		return;
	}
	va_start(ap, fmt);
	n = vasprintf(&big, fmt, ap);
	va_end(ap);
	if (n >= 0)
		text_add(t, big, (size_t)n);
	free(big);
}

void lg_text_release(lg_text *t)
{
	free(t->s);
	memset(t, 0, sizeof(*t));
}

/* ---- address sets ---- */

static size_t slot(const struct aset *s, uint64_t k)
{
	uint64_t h = k * 0x9E3779B97F4A7C15ULL;

	return (size_t)(h >> 20) & (s->cap - 1);
}

static void aset_clear(struct aset *s)
{
	free(s->key);
	free(s->val);
	memset(s, 0, sizeof(*s));
}

/* Finds k, inserting it (value 0) if asked. NULL when absent or out of memory. */
static uint64_t *aset_get(struct aset *s, uint64_t k, int insert)
{
	size_t i;

	if (k == 0)
		return NULL;
	if (insert && (s->len + 1) * 2 > s->cap) {
		struct aset n = { 0 };

		n.cap = s->cap ? s->cap * 2 : 1024;
		n.key = calloc(n.cap, sizeof(*n.key));
		n.val = calloc(n.cap, sizeof(*n.val));
		if (!n.key || !n.val) {
			aset_clear(&n);
			return NULL;
		}
		for (i = 0; i < s->cap; i++) {
			size_t j;

			if (!s->key[i])
				continue;
			for (j = slot(&n, s->key[i]); n.key[j]; j = (j + 1) & (n.cap - 1))
				;
			n.key[j] = s->key[i];
			n.val[j] = s->val[i];
		}
		n.len = s->len;
		aset_clear(s);
		*s = n;
	}
	if (!s->cap)
		return NULL;
	for (i = slot(s, k); s->key[i]; i = (i + 1) & (s->cap - 1))
		if (s->key[i] == k)
			return &s->val[i];
	if (!insert)
		return NULL;
	s->key[i] = k;
	s->val[i] = 0;
	s->len++;
	return &s->val[i];
}

/* ---- memory ---- */

static int raw_read(lg_dec *d, uint64_t addr, void *buf, size_t len)
{
	if (d->calls >= READ_BUDGET)
		return -1;
	d->calls++;
	return d->read(d->ctx, addr, buf, len) ? -1 : 0;
}

/* Reads through the page cache; a page that cannot be read whole is read piecewise. */
static int rd(lg_dec *d, uint64_t addr, void *buf, size_t len)
{
	unsigned char *out = buf;

	if (len == 0)
		return 0;
	if (d->steps >= STEP_BUDGET)
		return -1;
	d->steps++;
	if (addr == 0 || addr + len < addr || len > (64u << 20))
		return -1;
	while (len > 0) {
		uint64_t base = addr & ~(uint64_t)(PAGE - 1);
		size_t off = (size_t)(addr - base), n = PAGE - off;
		struct page *p = &d->pages[(base / PAGE) % NPAGES];

		if (n > len)
			n = len;
		if (p->state != 1 || p->addr != base) {
			if (raw_read(d, base, p->data, PAGE) == 0) {
				p->state = 1;
				p->addr = base;
			} else {
				p->state = 0;
				if (raw_read(d, addr, out, n))
					return -1;
				goto next;
			}
		}
		memcpy(out, p->data + off, n);
next:
		out += n;
		addr += n;
		len -= n;
	}
	return 0;
}

static int rd_u64(lg_dec *d, uint64_t base, int32_t off, uint64_t *v)
{
	if (off < 0 && off != -24 && off != -32)
		return -1;
	return rd(d, base + (uint64_t)(int64_t)off, v, 8);
}

static int rd_i64(lg_dec *d, uint64_t base, int32_t off, int64_t *v)
{
	return rd_u64(d, base, off, (uint64_t *)v);
}

/* A NUL-terminated string of at most cap-1 bytes; non-printable bytes become '?'. */
static int rd_cstr(lg_dec *d, uint64_t addr, char *buf, size_t cap)
{
	size_t i = 0;

	while (i + 1 < cap) {
		size_t n = PAGE - (size_t)((addr + i) % PAGE), j;
		char chunk[PAGE];

		if (n > cap - 1 - i)
			n = cap - 1 - i;
		if (rd(d, addr + i, chunk, n))
			return -1;
		for (j = 0; j < n; j++) {
			if (!chunk[j]) {
				buf[i] = '\0';
				return 0;
			}
			buf[i++] = (chunk[j] >= 0x20 && chunk[j] < 0x7f) ? chunk[j] : '?';
		}
	}
	buf[i] = '\0';
	return 0;
}

/* ---- layout ---- */

static int off_ok(int32_t off)
{
	return off >= -1 && off < 65536;
}

int lg_dec_new(const lg_jit_layout *l, lg_read_fn read, void *ctx, lg_dec **out)
{
	const int32_t *o;
	size_t i;
	lg_dec *d;

	*out = NULL;
	if (!read || l->ptr_size != 8 || (l->digit_size != 2 && l->digit_size != 4) ||
	    l->digit_shift == 0 || l->digit_shift > 8 * l->digit_size || !l->str_kind_mask ||
	    (l->py_version_hex >> 24) != 3)
		return -1;
	/* Every int32 offset from ob_refcnt up to the frame fields must be in range. */
	for (o = &l->ob_refcnt, i = 0; o <= &l->frame_owner; o++, i++) {
		if (o == &l->managed_dict || o == &l->managed_values)
			continue;
		if ((const void *)o == (const void *)&l->flag_managed_dict ||
		    (const void *)o == (const void *)&l->flag_inline_values ||
		    (const void *)o == (const void *)&l->str_kind_mask ||
		    (const void *)o == (const void *)&l->str_compact_mask ||
		    (const void *)o == (const void *)&l->str_ascii_mask ||
		    (const void *)o == (const void *)&l->digit_size ||
		    (const void *)o == (const void *)&l->digit_shift ||
		    (const void *)o == (const void *)&l->keys_entry_size ||
		    (const void *)o == (const void *)&l->keys_uentry_size ||
		    (const void *)o == (const void *)&l->set_entry_size)
			continue;
		if (!off_ok(*o))
			return -1;
	}
	if (l->keys_entry_size > 64 || l->keys_uentry_size > 64 || l->set_entry_size > 64 ||
	    l->gc_head_size > 64 || !off_ok(l->frame_lasti) || l->line_format > 2 ||
	    !off_ok(l->frame_localsplus) || !off_ok(l->co_localnames) ||
	    !off_ok(l->co_cellvars) || !off_ok(l->co_freevars))
		return -1;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -2;
	d->pages = calloc(NPAGES, sizeof(*d->pages));
	if (!d->pages) {
		free(d);
		return -2;
	}
	d->l = *l;
	d->read = read;
	d->ctx = ctx;
	d->kind_shift = (uint32_t)__builtin_ctz(l->str_kind_mask);
	*out = d;
	return 0;
}

/* Each public call starts with an empty cache: a live target changes between calls. */
static void begin(lg_dec *d)
{
	size_t i;

	for (i = 0; i < NPAGES; i++)
		d->pages[i].state = 0;
	d->calls = 0;
	d->steps = 0;
	d->depth = 0;
}

/* Says so when a call stopped because it ran out of budget. */
static void end(lg_dec *d, lg_text *out)
{
	if (d->calls >= READ_BUDGET || d->steps >= STEP_BUDGET)
		lg_text_printf(out, "[stopped: read budget spent; the memory may be corrupt]\n");
}

void lg_dec_free(lg_dec *d)
{
	if (!d)
		return;
	aset_clear(&d->seen);
	aset_clear(&d->own);
	aset_clear(&d->own_refs);
	free(d->pages);
	free(d);
}

int lg_dec_blob_check(const void *mem, size_t len)
{
	lg_jit_blob b;

	if (!mem || len < sizeof(b))
		return -1;
	memcpy(&b, mem, sizeof(b));
	if (b.magic != LG_JIT_MAGIC || b.version != LG_JIT_VERSION || b.size != len ||
	    b.layout_size != sizeof(lg_jit_layout))
		return -1;
	if (b.nsuspects > 4096 || b.suspects_off < sizeof(b) ||
	    b.suspects_off > len || (len - b.suspects_off) / sizeof(lg_jit_suspect) < b.nsuspects)
		return -1;
	if (b.summary_off > len || b.summary_len > len - b.summary_off)
		return -1;
	return 0;
}

/* ---- objects ---- */

static int type_of(lg_dec *d, uint64_t obj, uint64_t *type)
{
	return rd_u64(d, obj, d->l.ob_type, type) || !*type ? -1 : 0;
}

static void type_name(lg_dec *d, uint64_t type, char *buf, size_t cap)
{
	uint64_t p;

	if (rd_u64(d, type, d->l.tp_name, &p) || rd_cstr(d, p, buf, cap) || !buf[0])
		snprintf(buf, cap, "?");
}

static enum kind kind_of(lg_dec *d, uint64_t type)
{
	const lg_jit_layout *l = &d->l;
	static const struct {
		const char *name;
		enum kind k;
	} names[] = {
		{ "str", K_STR }, { "int", K_INT }, { "bool", K_BOOL }, { "float", K_FLOAT },
		{ "bytes", K_BYTES }, { "tuple", K_TUPLE }, { "list", K_LIST },
		{ "dict", K_DICT }, { "set", K_SET }, { "frozenset", K_FROZENSET },
		{ "module", K_MODULE }, { "function", K_FUNC }, { "code", K_CODE },
		{ "NoneType", K_NONE }, { "type", K_TYPE },
	};
	const uint64_t addrs[] = {
		l->type_str, l->type_int, l->type_bool, l->type_float, l->type_bytes,
		l->type_tuple, l->type_list, l->type_dict, l->type_set, l->type_frozenset,
		l->type_module, l->type_function, l->type_code, l->type_none, l->type_type,
	};
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		if (addrs[i] && addrs[i] == type)
			return names[i].k;
	if (l->type_str)
		return K_OTHER;  /* the blob names every built-in type: this is none */
	type_name(d, type, name, sizeof(name));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].name))
			return names[i].k;
	return K_OTHER;
}

static void put_refs(lg_dec *d, uint64_t obj, lg_text *out)
{
	int64_t r;
	uint64_t *own;

	if (rd_i64(d, obj, d->l.ob_refcnt, &r)) {
		lg_text_printf(out, " refs=?");
		return;
	}
	if (d->l.py_version_hex >= 0x030C0000 && (int32_t)(uint32_t)r < 0) {
		lg_text_printf(out, " refs=immortal");
		return;
	}
	lg_text_printf(out, " refs=%lld", (long long)r);
	own = aset_get(&d->own_refs, obj, 0);
	if (own && *own)
		lg_text_printf(out, " (%llu of them leakgate's own)", (unsigned long long)*own);
}

/* Appends one code point as Python's str repr shows it. */
static void put_char(lg_text *out, uint32_t c, char quote)
{
	char b[16];

	if (c == (uint32_t)quote || c == '\\')
		snprintf(b, sizeof(b), "\\%c", (char)c);
	else if (c == '\t')
		snprintf(b, sizeof(b), "\\t");
	else if (c == '\n')
		snprintf(b, sizeof(b), "\\n");
	else if (c == '\r')
		snprintf(b, sizeof(b), "\\r");
	else if (c < 0x20 || (c >= 0x7f && c <= 0xa0) || c == 0xad)
		snprintf(b, sizeof(b), "\\x%02x", c);
	else if (c < 0x80)
		snprintf(b, sizeof(b), "%c", (char)c);
	else if ((c >= 0xd800 && c <= 0xdfff) || c == 0xfffe || c == 0xffff)
		snprintf(b, sizeof(b), "\\u%04x", c);
	else if (c > 0x10ffff)
		snprintf(b, sizeof(b), "\\U%08x", c);
	else if (c < 0x800)
		snprintf(b, sizeof(b), "%c%c", 0xc0 | (c >> 6), 0x80 | (c & 63));
	else if (c < 0x10000)
		snprintf(b, sizeof(b), "%c%c%c", 0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63),
			 0x80 | (c & 63));
	else
		snprintf(b, sizeof(b), "%c%c%c%c", 0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63),
			 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
	text_add(out, b, strlen(b));
}

/* Reads a str's characters (at most max) into a malloc'd array of code points. */
static int str_chars(lg_dec *d, uint64_t obj, size_t max, uint32_t **chars, size_t *n,
		     size_t *total)
{
	const lg_jit_layout *l = &d->l;
	uint32_t state, kind, *c;
	int64_t len;
	uint64_t data;
	size_t i, k;
	unsigned char buf[PAGE];

	if (rd_i64(d, obj, l->str_length, &len) || len < 0 || len > (1LL << 40) ||
	    rd(d, obj + (uint64_t)l->str_state, &state, 4))
		return -1;
	kind = (state & l->str_kind_mask) >> d->kind_shift;
	if (kind != 1 && kind != 2 && kind != 4)
		return -1;
	if (state & l->str_compact_mask)
		data = obj + (uint64_t)((state & l->str_ascii_mask) ? l->str_ascii_size
								      : l->str_compact_size);
	else if (rd_u64(d, obj, l->str_data, &data))
		return -1;
	*total = (size_t)len;
	*n = (size_t)len < max ? (size_t)len : max;
	c = malloc((*n ? *n : 1) * sizeof(*c));
	if (!c)
		return -1;
	for (i = 0; i < *n;) {
		size_t chunk = (*n - i) * kind;

		if (chunk > sizeof(buf))
			chunk = sizeof(buf);
		if (rd(d, data + i * kind, buf, chunk)) {
			free(c);
			return -1;
		}
		for (k = 0; k + kind <= chunk; k += kind, i++) {
			if (kind == 1)
				c[i] = buf[k];
			else if (kind == 2)
				c[i] = (uint32_t)buf[k] | (uint32_t)buf[k + 1] << 8;
			else
				memcpy(&c[i], buf + k, 4);
		}
	}
	*chars = c;
	return 0;
}

/* A quoted literal as Python's repr writes it: prefix "" for str, "b" for bytes, whose
 * bytes from 0x7f up print as \xNN. */
static void put_quoted(lg_text *out, const uint32_t *c, size_t n, size_t total,
		       const char *prefix)
{
	int single = 0, dbl = 0, bytes = prefix[0] == 'b';
	char quote;
	size_t i;

	for (i = 0; i < n; i++) {
		single |= c[i] == '\'';
		dbl |= c[i] == '"';
	}
	quote = single && !dbl ? '"' : '\'';
	lg_text_printf(out, "%s%c", prefix, quote);
	for (i = 0; i < n; i++) {
		if (bytes && c[i] >= 0x7f)
			lg_text_printf(out, "\\x%02x", c[i]);
		else
			put_char(out, c[i], quote);
	}
	lg_text_printf(out, "%c", quote);
	if (n < total)
		lg_text_printf(out, "...(%zu %s)", total, bytes ? "bytes" : "chars");
}

static int put_str(lg_dec *d, uint64_t obj, size_t max, lg_text *out)
{
	uint32_t *c;
	size_t n, total;

	if (str_chars(d, obj, max, &c, &n, &total))
		return -1;
	put_quoted(out, c, n, total, "");
	free(c);
	return 0;
}

/* A str as a plain C string (for names), '?' for anything unreadable. */
static void str_plain(lg_dec *d, uint64_t obj, char *buf, size_t cap)
{
	uint32_t *c;
	size_t n, total, i, j = 0;

	buf[0] = '\0';
	if (!obj || str_chars(d, obj, cap - 1, &c, &n, &total)) {
		snprintf(buf, cap, "?");
		return;
	}
	for (i = 0; i < n && j + 1 < cap; i++)
		buf[j++] = c[i] >= 0x20 && c[i] < 0x7f ? (char)c[i] : '?';
	buf[j] = '\0';
	free(c);
}

static int put_bytes(lg_dec *d, uint64_t obj, size_t max, lg_text *out)
{
	int64_t len;
	size_t n, i;
	unsigned char *b;
	uint32_t *c;

	if (rd_i64(d, obj, d->l.ob_size, &len) || len < 0 || len > (1LL << 40))
		return -1;
	n = (size_t)len < max ? (size_t)len : max;
	b = malloc(n + 1);
	c = malloc((n + 1) * sizeof(*c));
	if (!b || !c || rd(d, obj + (uint64_t)d->l.bytes_sval, b, n)) {
		free(b);
		free(c);
		return -1;
	}
	for (i = 0; i < n; i++)
		c[i] = b[i];
	put_quoted(out, c, n, (size_t)len, "b");
	free(b);
	free(c);
	return 0;
}

/* The digits and sign of an int. */
static int int_digits(lg_dec *d, uint64_t obj, uint32_t **digits, size_t *n, int *neg)
{
	const lg_jit_layout *l = &d->l;
	uint64_t ndig;
	size_t i;
	uint32_t *dg;
	unsigned char buf[4 * 64];

	if (l->long_tag >= 0 && l->py_version_hex >= 0x030C0000) {
		uint64_t tag;

		if (rd_u64(d, obj, l->long_tag, &tag) || (tag & 3) == 3)
			return -1;
		ndig = tag >> 3;
		*neg = (tag & 3) == 2;
		if ((tag & 3) == 1)
			ndig = 0;
	} else {
		int64_t size;

		if (rd_i64(d, obj, l->ob_size, &size))
			return -1;
		*neg = size < 0;
		ndig = size < 0 ? (uint64_t)(-(size + 1)) + 1 : (uint64_t)size;
	}
	if (ndig > 20000)
		return -1;
	*n = (size_t)ndig;
	dg = malloc((ndig ? ndig : 1) * sizeof(*dg));
	if (!dg)
		return -1;
	for (i = 0; i < ndig;) {
		size_t chunk = ndig - i, k;

		if (chunk > 64)
			chunk = 64;
		if (rd(d, obj + (uint64_t)l->long_digits + i * l->digit_size, buf,
		       chunk * l->digit_size)) {
			free(dg);
			return -1;
		}
		for (k = 0; k < chunk; k++, i++) {
			uint32_t v = 0;

			memcpy(&v, buf + k * l->digit_size, l->digit_size);
			dg[i] = v & (uint32_t)((1ULL << l->digit_shift) - 1);
		}
	}
	*digits = dg;
	return 0;
}

static int put_int(lg_dec *d, uint64_t obj, lg_text *out)
{
	uint32_t *dg, *dec;
	size_t n, i, ndec = 0;
	int neg;

	if (int_digits(d, obj, &dg, &n, &neg))
		return -1;
	if (n * d->l.digit_shift <= 63) {
		uint64_t v = 0;

		for (i = n; i-- > 0;)
			v = v << d->l.digit_shift | dg[i];
		lg_text_printf(out, "%s%llu", neg && v ? "-" : "", (unsigned long long)v);
		free(dg);
		return 0;
	}
	if (n > 1500) {
		lg_text_printf(out, "<int of %zu digits>", n);
		free(dg);
		return 0;
	}
	/* Base 2^shift to base 10^9, most significant digit first. */
	dec = calloc(n * 2 + 2, sizeof(*dec));
	if (!dec) {
		free(dg);
		return -1;
	}
	for (i = n; i-- > 0;) {
		uint64_t carry = dg[i];
		size_t k;

		for (k = 0; k < ndec; k++) {
			uint64_t z = ((uint64_t)dec[k] << d->l.digit_shift) + carry;

			dec[k] = (uint32_t)(z % 1000000000u);
			carry = z / 1000000000u;
		}
		while (carry) {
			dec[ndec++] = (uint32_t)(carry % 1000000000u);
			carry /= 1000000000u;
		}
	}
	lg_text_printf(out, "%s%u", neg ? "-" : "", ndec ? dec[ndec - 1] : 0);
	for (i = ndec - 1; ndec && i-- > 0;)
		lg_text_printf(out, "%09u", dec[i]);
	free(dec);
	free(dg);
	return 0;
}

/* Python's float repr: the shortest string that reads back the same value. */
static void put_float(double v, lg_text *out)
{
	char buf[64], digits[32];
	int prec, exp, nd = 0, i;
	char *p;

	if (isnan(v)) {
		lg_text_printf(out, "nan");
		return;
	}
	if (isinf(v)) {
		lg_text_printf(out, v < 0 ? "-inf" : "inf");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	/* buf: [-]D[.DDD]e[+-]XX */
	p = buf;
	if (*p == '-')
		p++;
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	exp = atoi(p + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	if (v < 0 || (v == 0 && signbit(v)))
		lg_text_printf(out, "-");
	if (exp >= -5 && exp < 16) {
		if (exp < 0) {
			lg_text_printf(out, "0.");
			for (i = -1; i > exp; i--)
				lg_text_printf(out, "0");
			lg_text_printf(out, "%s", digits);
		} else if (nd <= exp + 1) {
			lg_text_printf(out, "%s", digits);
			for (i = nd; i <= exp; i++)
				lg_text_printf(out, "0");
			lg_text_printf(out, ".0");
		} else {
			lg_text_printf(out, "%.*s.%s", exp + 1, digits, digits + exp + 1);
		}
	} else {
		lg_text_printf(out, "%c", digits[0]);
		if (nd > 1)
			lg_text_printf(out, ".%s", digits + 1);
		lg_text_printf(out, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	}
}

/* ---- containers ---- */

/* Visits each item of a container: for dicts key and value, else key only. Stops when
 * fn returns nonzero or after max items. Returns the container's length (or -1). */
typedef int (*item_fn)(lg_dec *d, void *arg, size_t i, uint64_t key, uint64_t value);

static int64_t seq_items(lg_dec *d, uint64_t obj, enum kind k, size_t max, item_fn fn,
			 void *arg)
{
	int64_t len;
	uint64_t items, p;
	size_t i;

	if (rd_i64(d, obj, d->l.ob_size, &len) || len < 0 || len > MAX_ITEMS)
		return -1;
	if (k == K_TUPLE)
		items = obj + (uint64_t)d->l.tuple_items;
	else if (rd_u64(d, obj, d->l.list_items, &items) || (len && !items))
		return -1;
	for (i = 0; i < (size_t)len && i < max; i++) {
		if (rd(d, items + 8 * i, &p, 8))
			return -1;
		if (fn && fn(d, arg, i, p, 0))
			break;
	}
	return len;
}

/* Where the k-th inserted value of a split table lies (its index in the keys), and how
 * many values it holds: 3.11-3.12 keep the order in bytes before the values, 3.13 after
 * them. */
static int values_order(lg_dec *d, uint64_t values, size_t k, size_t *ix, size_t *size)
{
	uint8_t cap, n, o;

	if (d->l.py_version_hex >= 0x030D0000) {
		if (rd(d, values, &cap, 1) || rd(d, values + 1, &n, 1) ||
		    (k < n && rd(d, values + (uint64_t)d->l.values_items + 8u * cap + k, &o, 1)))
			return -1;
	} else if (rd(d, values - 2, &n, 1) || (k < n && rd(d, values - 3 - k, &o, 1))) {
		return -1;
	}
	*size = n;
	*ix = k < n ? o : 0;
	return 0;
}

/* The items of a dict's keys object, with values from `values` when split; `used` is
 * the dict's length, or -1 when unknown (then the count of items found is returned). */
static int64_t table_items(lg_dec *d, uint64_t keys, uint64_t values, int64_t used,
			   size_t max, item_fn fn, void *arg)
{
	const lg_jit_layout *l = &d->l;
	int64_t nentries;
	uint8_t log2size, log2ib, kind;
	uint64_t entries, esize;
	size_t i, shown = 0;

	if (l->keys_size >= 0) {
		/* Before 3.11: dk_size, indices as wide as the size needs, general entries. */
		int64_t size;

		if (rd_i64(d, keys, l->keys_size, &size) || size <= 0 || size > (1LL << 40) ||
		    (size & (size - 1)) || rd_i64(d, keys, l->keys_nentries, &nentries))
			return -1;
		log2size = (uint8_t)__builtin_ctzll((uint64_t)size);
		log2ib = (uint8_t)(log2size + (size <= 0xff ? 0 : size <= 0xffff ? 1 :
					     size <= 0xffffffffLL ? 2 : 3));
		kind = 0;
	} else if (l->keys_log2_index_bytes < 0 || l->keys_log2_size < 0 ||
		   rd(d, keys + (uint64_t)l->keys_log2_size, &log2size, 1) ||
		   rd(d, keys + (uint64_t)l->keys_log2_index_bytes, &log2ib, 1) ||
		   rd(d, keys + (uint64_t)l->keys_kind, &kind, 1) ||
		   rd_i64(d, keys, l->keys_nentries, &nentries)) {
		return -1;
	}
	if (log2size > 40 || log2ib > 43 || nentries < 0 || nentries > MAX_ITEMS ||
	    (uint64_t)nentries > (1ULL << log2size))
		return -1;
	entries = keys + (uint64_t)l->keys_indices + (1ULL << log2ib);
	esize = kind == 0 ? l->keys_entry_size : l->keys_uentry_size;
	if (values && nentries > 256 && l->keys_size < 0)
		return -1;  /* split tables hold at most 30 keys */
	for (i = 0; i < (size_t)nentries && shown < max && shown < (size_t)used; i++) {
		size_t ix = i;
		uint64_t key, value;
		int32_t koff = kind == 0 ? 8 : 0;

		if (values && l->keys_size < 0) {
			size_t size;

			if (values_order(d, values, i, &ix, &size))
				return -1;
			if (i >= size)
				break;
			if (ix >= (size_t)nentries)
				return -1;
		}
		if (rd_u64(d, entries + ix * esize, koff, &key))
			return -1;
		if (values) {
			if (rd_u64(d, values, l->values_items + (int32_t)(8 * ix), &value))
				return -1;
		} else if (rd_u64(d, entries + ix * esize, koff + 8, &value)) {
			return -1;
		}
		if (!key || !value)
			continue;  /* a deleted slot */
		if (fn && fn(d, arg, shown, key, value))
			break;
		shown++;
	}
	return used < 0 ? (int64_t)shown : used;
}

static int64_t set_items(lg_dec *d, uint64_t obj, size_t max, item_fn fn, void *arg)
{
	int64_t used, mask;
	uint64_t table, key;
	size_t i, shown = 0;

	if (rd_i64(d, obj, d->l.set_used, &used) || rd_i64(d, obj, d->l.set_mask, &mask) ||
	    rd_u64(d, obj, d->l.set_table, &table) || used < 0 || used > MAX_ITEMS ||
	    mask < 0 || mask >= 4 * MAX_ITEMS || ((mask + 1) & mask))
		return -1;
	for (i = 0; i <= (size_t)mask && shown < max && shown < (size_t)used; i++) {
		if (rd(d, table + i * d->l.set_entry_size, &key, 8))
			return -1;
		if (!key || key == d->l.set_dummy)
			continue;
		if (fn && fn(d, arg, shown, key, 0))
			break;
		shown++;
	}
	return used;
}

/* The instance dict of obj: its dict object, or its split values with the type's keys.
 * Returns 0 with *dict or (*values, *keys) set, -1 when it has none. */
static int instance_dict(lg_dec *d, uint64_t obj, uint64_t type, uint64_t *dict,
			 uint64_t *values, uint64_t *keys)
{
	const lg_jit_layout *l = &d->l;
	uint64_t flags;
	int64_t dictoffset;

	*dict = *values = *keys = 0;
	if (rd_u64(d, type, l->tp_flags, &flags))
		return -1;
	if (l->flag_managed_dict && (flags & l->flag_managed_dict) && l->managed_dict) {
		if (rd_u64(d, obj, l->managed_dict, dict))
			return -1;
		if (l->flag_inline_values && (flags & l->flag_inline_values) && !*dict) {
			/* 3.13+: the values follow the object, valid unless a dict took over. */
			int64_t basic;
			uint8_t valid;

			if (rd_i64(d, type, l->tp_basicsize, &basic) || basic <= 0 ||
			    basic > 65536 || rd(d, obj + (uint64_t)basic + 3, &valid, 1) || !valid)
				return -1;
			*values = obj + (uint64_t)basic;
			return rd_u64(d, type, l->ht_cached_keys, keys) || !*keys ? -1 : 0;
		}
		if (l->py_version_hex >= 0x030C0000 && l->py_version_hex < 0x030D0000 &&
		    (*dict & 1)) {
			/* 3.12: one word, the values minus one when its low bit is set. */
			*values = *dict + 1;
			*dict = 0;
			return rd_u64(d, type, l->ht_cached_keys, keys) || !*keys ? -1 : 0;
		}
		if (*dict || l->py_version_hex >= 0x030C0000)
			return *dict ? 0 : -1;
		if (rd_u64(d, obj, l->managed_values, values) || !*values ||
		    rd_u64(d, type, l->ht_cached_keys, keys) || !*keys)
			return -1;
		return 0;
	}
	if (rd_i64(d, type, l->tp_dictoffset, &dictoffset) || dictoffset <= 0 ||
	    dictoffset > 65536 || rd_u64(d, obj, (int32_t)dictoffset, dict) || !*dict)
		return -1;
	return 0;
}

static int64_t dict_items(lg_dec *d, uint64_t obj, size_t max, item_fn fn, void *arg)
{
	int64_t used;
	uint64_t keys, values;

	if (rd_i64(d, obj, d->l.dict_used, &used) || used < 0 || used > MAX_ITEMS ||
	    rd_u64(d, obj, d->l.dict_keys, &keys) || rd_u64(d, obj, d->l.dict_values, &values))
		return -1;
	return table_items(d, keys, values, used, max, fn, arg);
}

/* An instance's split values, iterated as its dict would be. */
static int64_t values_items(lg_dec *d, uint64_t keys, uint64_t values, size_t max,
			    item_fn fn, void *arg)
{
	return values ? table_items(d, keys, values, -1, max, fn, arg) : -1;
}

/* ---- repr ---- */

static void repr(lg_dec *d, uint64_t obj, lg_text *out);
static void module_name(lg_dec *d, uint64_t mod, char *buf, size_t cap);

struct repr_arg {
	lg_text *out;
	enum kind k;
};

static int repr_item(lg_dec *d, void *arg, size_t i, uint64_t key, uint64_t value)
{
	struct repr_arg *a = arg;

	if (i)
		lg_text_printf(a->out, ", ");
	repr(d, key, a->out);
	if (a->k == K_DICT) {
		lg_text_printf(a->out, ": ");
		repr(d, value, a->out);
	}
	return a->out->full;
}

static int on_path(lg_dec *d, uint64_t obj)
{
	int i;

	for (i = 0; i < d->depth; i++)
		if (d->path[i] == obj)
			return 1;
	return 0;
}

static void repr_container(lg_dec *d, uint64_t obj, enum kind k, lg_text *out)
{
	static const char *const open[] = { [K_TUPLE] = "(", [K_LIST] = "[", [K_DICT] = "{",
					    [K_SET] = "{", [K_FROZENSET] = "frozenset({" };
	static const char *const close[] = { [K_TUPLE] = ")", [K_LIST] = "]", [K_DICT] = "}",
					     [K_SET] = "}", [K_FROZENSET] = "})" };
	struct repr_arg a = { out, k };
	size_t mark = out->len;
	int64_t n;

	if (on_path(d, obj) || d->depth >= MAX_DEPTH) {
		lg_text_printf(out, "%s...%s", open[k], close[k]);
		return;
	}
	d->path[d->depth++] = obj;
	lg_text_printf(out, "%s", open[k]);
	if (k == K_TUPLE || k == K_LIST)
		n = seq_items(d, obj, k, MAX_ITEMS, repr_item, &a);
	else if (k == K_DICT)
		n = dict_items(d, obj, MAX_ITEMS, repr_item, &a);
	else
		n = set_items(d, obj, MAX_ITEMS, repr_item, &a);
	d->depth--;
	if (n < 0 && !out->full) {
		out->len = mark;
		out->s[mark] = '\0';
		lg_text_printf(out, "<unreadable %s at 0x%llx>",
			       k == K_TUPLE ? "tuple" : k == K_LIST ? "list" :
			       k == K_DICT ? "dict" : "set", (unsigned long long)obj);
		return;
	}
	if (n == 0 && (k == K_SET || k == K_FROZENSET)) {
		out->len = mark;
		out->s[mark] = '\0';
		lg_text_printf(out, k == K_SET ? "set()" : "frozenset()");
		return;
	}
	if (k == K_TUPLE && n == 1)
		lg_text_printf(out, ",");
	lg_text_printf(out, "%s", close[k]);
}

static void repr(lg_dec *d, uint64_t obj, lg_text *out)
{
	uint64_t type;
	char name[128];
	enum kind k;
	int bad = 0;

	if (out->full)
		return;
	if (type_of(d, obj, &type)) {
		lg_text_printf(out, "<unreadable object at 0x%llx>", (unsigned long long)obj);
		return;
	}
	k = kind_of(d, type);
	switch (k) {
	case K_STR:
		bad = put_str(d, obj, MAX_STR, out);
		break;
	case K_INT:
		bad = put_int(d, obj, out);
		break;
	case K_BOOL:
		if (d->l.true_ && (obj == d->l.true_ || obj == d->l.false_)) {
			lg_text_printf(out, obj == d->l.true_ ? "True" : "False");
		} else {
			uint32_t *dg;
			size_t n;
			int neg;

			bad = int_digits(d, obj, &dg, &n, &neg);
			if (!bad) {
				lg_text_printf(out, n ? "True" : "False");
				free(dg);
			}
		}
		break;
	case K_FLOAT: {
		double v;

		bad = rd(d, obj + (uint64_t)d->l.float_value, &v, 8);
		if (!bad)
			put_float(v, out);
		break;
	}
	case K_BYTES:
		bad = put_bytes(d, obj, MAX_STR, out);
		break;
	case K_NONE:
		lg_text_printf(out, "None");
		break;
	case K_TUPLE:
	case K_LIST:
	case K_DICT:
	case K_SET:
	case K_FROZENSET:
		repr_container(d, obj, k, out);
		break;
	case K_FUNC: {
		uint64_t q;

		bad = rd_u64(d, obj, d->l.func_qualname, &q);
		str_plain(d, bad ? 0 : q, name, sizeof(name));
		lg_text_printf(out, "<function %s at 0x%llx>", name, (unsigned long long)obj);
		break;
	}
	case K_CODE: {
		uint64_t n, f;
		char file[256];
		int32_t line = 0;

		if (rd_u64(d, obj, d->l.co_name, &n))
			n = 0;
		if (rd_u64(d, obj, d->l.co_filename, &f))
			f = 0;
		if (rd(d, obj + (uint64_t)d->l.co_firstlineno, &line, 4))
			line = 0;
		str_plain(d, n, name, sizeof(name));
		str_plain(d, f, file, sizeof(file));
		lg_text_printf(out, "<code object %s at 0x%llx, file \"%s\", line %d>", name,
			       (unsigned long long)obj, file, line);
		break;
	}
	case K_MODULE:
		module_name(d, obj, name, sizeof(name));
		lg_text_printf(out, "<module '%s'>", name);
		break;
	case K_TYPE:
		type_name(d, obj, name, sizeof(name));
		lg_text_printf(out, "<class '%s'>", name);
		break;
	default:
		type_name(d, type, name, sizeof(name));
		lg_text_printf(out, "<%s object at 0x%llx>", name, (unsigned long long)obj);
	}
	if (bad) {
		type_name(d, type, name, sizeof(name));
		lg_text_printf(out, "<unreadable %s at 0x%llx>", name, (unsigned long long)obj);
	}
}

void lg_dec_repr(lg_dec *d, uint64_t addr, lg_text *out)
{
	begin(d);
	repr(d, addr, out);
}

/* ---- graph ---- */

struct graph_arg {
	lg_text *out;
	enum kind k;
	int indent, depth;
	int attrs;  /* instance or module attributes: ".name" */
};

static void graph_node(lg_dec *d, const char *label, uint64_t obj, int indent, int depth);

/* A dict key as a label: a short str or int literal, else its address. */
static void key_label(lg_dec *d, uint64_t key, lg_text *label)
{
	uint64_t kt;
	enum kind k = type_of(d, key, &kt) ? K_OTHER : kind_of(d, kt);

	if ((k == K_STR && put_str(d, key, 40, label) == 0) ||
	    (k == K_INT && put_int(d, key, label) == 0))
		return;
	lg_text_printf(label, "0x%llx", (unsigned long long)key);
}

struct find_arg {
	const char *name;
	uint64_t value;
};

static int find_name(lg_dec *d, void *arg, size_t i, uint64_t key, uint64_t value)
{
	struct find_arg *a = arg;
	char name[128];
	uint64_t kt;

	(void)i;
	if (type_of(d, key, &kt) || kind_of(d, kt) != K_STR)
		return 0;
	str_plain(d, key, name, sizeof(name));
	if (strcmp(name, a->name))
		return 0;
	a->value = value;
	return 1;
}

/* A module's __name__, or "?". */
static void module_name(lg_dec *d, uint64_t mod, char *buf, size_t cap)
{
	struct find_arg a = { "__name__", 0 };
	uint64_t md;

	snprintf(buf, cap, "?");
	if (rd_u64(d, mod, d->l.module_dict, &md) || !md)
		return;
	dict_items(d, md, 4096, find_name, &a);
	if (a.value)
		str_plain(d, a.value, buf, cap);
}

static int graph_item(lg_dec *d, void *arg, size_t i, uint64_t key, uint64_t value)
{
	struct graph_arg *a = arg;
	lg_text label = { 0 };

	if (a->k == K_DICT || a->attrs) {
		uint64_t kt;

		if (a->attrs && !type_of(d, key, &kt) && kind_of(d, kt) == K_STR) {
			char name[96];

			str_plain(d, key, name, sizeof(name));
			lg_text_printf(&label, ".%s", name);
		} else {
			lg_text_printf(&label, "[");
			key_label(d, key, &label);
			lg_text_printf(&label, "]");
		}
		graph_node(d, label.s ? label.s : "", value, a->indent, a->depth);
	} else {
		lg_text_printf(&label, "[%zu]", i);
		graph_node(d, label.s ? label.s : "", key, a->indent, a->depth);
	}
	lg_text_release(&label);
	return a->out->full || d->nodes >= GRAPH_NODES;
}

static void graph_children(lg_dec *d, uint64_t obj, uint64_t type, enum kind k,
			   int indent, int depth)
{
	struct graph_arg a = { d->graph_out, k, indent, depth, 0 };
	int64_t n = 0;
	uint64_t dict = 0, values = 0, keys = 0;

	switch (k) {
	case K_TUPLE:
	case K_LIST:
		n = seq_items(d, obj, k, GRAPH_ITEMS, graph_item, &a);
		break;
	case K_DICT:
		n = dict_items(d, obj, GRAPH_ITEMS, graph_item, &a);
		break;
	case K_SET:
	case K_FROZENSET:
		n = set_items(d, obj, GRAPH_ITEMS, graph_item, &a);
		break;
	case K_MODULE:
		if (rd_u64(d, obj, d->l.module_dict, &dict) || !dict)
			return;
		a.k = K_DICT;
		a.attrs = 1;
		n = dict_items(d, dict, GRAPH_ITEMS, graph_item, &a);
		break;
	case K_OTHER:
		if (instance_dict(d, obj, type, &dict, &values, &keys))
			return;
		a.k = K_DICT;
		a.attrs = 1;
		n = dict ? dict_items(d, dict, GRAPH_ITEMS, graph_item, &a)
			 : values_items(d, keys, values, GRAPH_ITEMS, graph_item, &a);
		break;
	default:
		return;
	}
	if (n > GRAPH_ITEMS)
		lg_text_printf(d->graph_out, "%*s... %lld more\n", indent, "",
			       (long long)(n - GRAPH_ITEMS));
}

static void graph_node(lg_dec *d, const char *label, uint64_t obj, int indent, int depth)
{
	lg_text *out = d->graph_out;
	uint64_t type, *seen;
	char name[128];
	enum kind k;
	int64_t n = -1;

	if (out->full)
		return;
	if (d->nodes++ >= GRAPH_NODES) {
		if (d->nodes == GRAPH_NODES + 1)
			lg_text_printf(out, "%*s[more than %d objects: stopped]\n", indent, "",
				       GRAPH_NODES);
		return;
	}
	lg_text_printf(out, "%*s%s%s0x%llx ", indent, "", label, *label ? " " : "",
		       (unsigned long long)obj);
	if (type_of(d, obj, &type)) {
		lg_text_printf(out, "<unreadable>\n");
		return;
	}
	type_name(d, type, name, sizeof(name));
	k = kind_of(d, type);
	lg_text_printf(out, "%s", name);
	put_refs(d, obj, out);
	seen = aset_get(&d->seen, obj, 1);
	if (seen && *seen) {
		lg_text_printf(out, " (seen above)\n");
		return;
	}
	if (seen)
		*seen = 1;
	switch (k) {
	case K_TUPLE:
	case K_LIST:
		n = seq_items(d, obj, k, 0, NULL, NULL);
		break;
	case K_DICT:
		n = dict_items(d, obj, 0, NULL, NULL);
		break;
	case K_SET:
	case K_FROZENSET:
		n = set_items(d, obj, 0, NULL, NULL);
		break;
	case K_MODULE: {
		char mname[128];

		module_name(d, obj, mname, sizeof(mname));
		lg_text_printf(out, " '%s'", mname);
		break;
	}
	default: {
		lg_text t = { 0 };
		size_t mark;

		if (k == K_OTHER) {
			lg_text_printf(out, "\n");
			break;
		}
		if (k == K_STR || k == K_BYTES) {
			/* Only the characters shown are read. */
			lg_text_printf(out, " ");
			if ((k == K_STR ? put_str(d, obj, GRAPH_STR, out)
					: put_bytes(d, obj, GRAPH_STR, out)) != 0)
				lg_text_printf(out, "<unreadable>");
			lg_text_printf(out, "\n");
			break;
		}
		d->depth = 0;
		repr(d, obj, &t);
		mark = t.len;
		if (t.s && mark > GRAPH_STR)
			lg_text_printf(out, " %.*s...\n", GRAPH_STR, t.s);
		else
			lg_text_printf(out, " %s\n", t.s ? t.s : "");
		lg_text_release(&t);
	}
	}
	if (k == K_TUPLE || k == K_LIST || k == K_DICT || k == K_SET || k == K_FROZENSET) {
		if (n < 0)
			lg_text_printf(out, " <unreadable>\n");
		else
			lg_text_printf(out, " len=%lld\n", (long long)n);
	} else if (k == K_MODULE) {
		lg_text_printf(out, "\n");
	}
	if (depth > 0)
		graph_children(d, obj, type, k, indent + 2, depth - 1);
}

void lg_dec_graph(lg_dec *d, uint64_t addr, int depth, lg_text *out)
{
	begin(d);
	if (depth < 0)
		depth = 0;
	if (depth > 16)
		depth = 16;
	aset_clear(&d->seen);
	d->nodes = 0;
	d->graph_out = out;
	graph_node(d, "", addr, 0, depth);
	d->graph_out = NULL;
	aset_clear(&d->seen);
	end(d, out);
}

/* ---- threads ---- */

static uint64_t varint(const unsigned char *t, size_t n, size_t *i)
{
	uint64_t v = 0;
	unsigned shift = 0;

	while (*i < n && shift < 60) {
		unsigned char b = t[(*i)++];

		v |= (uint64_t)(b & 63) << shift;
		shift += 6;
		if (!(b & 64))
			break;
	}
	return v;
}

static int64_t svarint(const unsigned char *t, size_t n, size_t *i)
{
	uint64_t v = varint(t, n, i);

	return (v & 1) ? -(int64_t)(v >> 1) : (int64_t)(v >> 1);
}

/* The line of byte offset addr from a 3.10 line table or a 3.8-3.9 lnotab: pairs of an
 * address increment and a signed line increment (-128: no line, in 3.10). */
static int line_of_pairs(const unsigned char *t, size_t n, int first, int64_t addr,
			 int table)
{
	int64_t start = 0, line = first;
	size_t i;

	for (i = 0; i + 1 < n; i += 2) {
		int delta = (signed char)t[i + 1];

		if (table) {
			int64_t end = start + t[i];

			if (delta != -128)
				line += delta;
			if (addr < end)
				return delta == -128 ? -1 : (int)line;
			start = end;
		} else {
			start += t[i];
			if (start > addr)
				break;
			line += delta;
		}
	}
	return table ? -1 : (int)line;
}

/* The line of code unit `unit` from a 3.11+ location table (Objects/locations.md). */
static int line_of(const unsigned char *t, size_t n, int first, int64_t unit)
{
	int64_t addr = 0, line = first;
	size_t i = 0;

	if (unit < 0)
		return first;
	while (i < n) {
		unsigned char b = t[i++];
		int code = (b >> 3) & 15, len = (b & 7) + 1;

		if (!(b & 128))
			return -1;  /* not the first byte of an entry: corrupt */
		if (code == 14) {
			line += svarint(t, n, &i);
			varint(t, n, &i);
			varint(t, n, &i);
			varint(t, n, &i);
		} else if (code == 13) {
			line += svarint(t, n, &i);
		} else if (code >= 10 && code <= 12) {
			line += code - 10;
			i += 2;
		} else if (code < 10) {
			i += 1;
		}
		if (unit < addr + len)
			return code == 15 ? -1 : (int)line;
		addr += len;
	}
	return -1;
}

/* What a frame runs: function, file and line. Returns 1, 0 when it runs no code object
 * (a 3.13 shim or C-stack frame), -1 when it cannot be read. */
static int frame_info(lg_dec *d, uint64_t frame, char *fname, size_t fcap, char *path,
		      size_t pcap, int *lineno)
{
	const lg_jit_layout *l = &d->l;
	uint64_t code, instr, name = 0, file = 0, table = 0;
	int32_t first = 0;
	int64_t tlen = 0, unit = -1;
	int line = -1;

	if (l->frame_lasti >= 0) {
		int32_t lasti;

		/* Before 3.11: an offset, made into an address past co_code's start. */
		if (rd(d, frame + (uint64_t)l->frame_lasti, &lasti, 4))
			lasti = -1;
		unit = lasti < 0 ? -1 : l->lasti_units ? lasti : lasti / 2;
		instr = 0;
	}
	if (rd_u64(d, frame, l->frame_code, &code) ||
	    (l->frame_lasti < 0 && rd_u64(d, frame, l->frame_instr, &instr)))
		return -1;
	if (l->type_code && (type_of(d, code, &name) || name != l->type_code))
		return 0;
	if ((l->co_qualname < 0 || rd_u64(d, code, l->co_qualname, &name)) &&
	    rd_u64(d, code, l->co_name, &name))
		name = 0;
	if (rd_u64(d, code, l->co_filename, &file))
		file = 0;
	if (rd(d, code + (uint64_t)l->co_firstlineno, &first, 4))
		first = 0;
	str_plain(d, name, fname, fcap);
	str_plain(d, file, path, pcap);
	if (l->frame_lasti < 0 && l->co_code >= 0 && instr >= code + (uint64_t)l->co_code)
		unit = (int64_t)((instr - code - (uint64_t)l->co_code) / 2);
	if (l->co_linetable >= 0 && !rd_u64(d, code, l->co_linetable, &table) && table &&
	    !rd_i64(d, table, l->ob_size, &tlen) && tlen > 0 && tlen < (1 << 22)) {
		unsigned char *t = malloc((size_t)tlen);

		if (t && !rd(d, table + (uint64_t)l->bytes_sval, t, (size_t)tlen))
			line = l->line_format ? line_of_pairs(t, (size_t)tlen, first, 2 * unit,
							      l->line_format == 1)
					      : line_of(t, (size_t)tlen, first, unit);
		free(t);
	}
	*lineno = line < 0 ? first : line;
	return 1;
}

/* Prints one frame; 0 when it runs no code object. */
static int put_frame(lg_dec *d, int no, uint64_t frame, lg_text *out)
{
	char fname[128], path[512];
	int line, r = frame_info(d, frame, fname, sizeof(fname), path, sizeof(path), &line);

	if (r < 0)
		lg_text_printf(out, "  #%d 0x%llx <unreadable frame>\n", no,
			       (unsigned long long)frame);
	else if (r > 0)
		lg_text_printf(out, "  #%d %s at %s:%d\n", no, fname, path, line);
	return r != 0;
}

/* A cycle check for a linked walk (Brent's): call with each node in turn; nonzero once
 * the walk is back on a node it visited. Zero it before the walk. */
struct loop_check {
	uint64_t mark;
	size_t power, steps;
};

static int loops(struct loop_check *c, uint64_t node)
{
	if (c->power && node == c->mark)
		return 1;
	if (++c->steps >= c->power) {
		c->mark = node;
		c->power = c->power ? c->power * 2 : 1;
		c->steps = 0;
	}
	return 0;
}

/* The bounds of a printed walk, checked before each node: nonzero, after saying why on
 * out, once the walk has taken max steps or is back on a node it visited. The line is
 * indented by indent and names the nodes ("threads") and their chain ("thread list"). */
static int walk_stops(struct loop_check *c, uint64_t node, int steps, int max,
		      const char *indent, const char *nodes, const char *chain, lg_text *out)
{
	if (steps >= max) {
		lg_text_printf(out, "%s[more than %d %s: stopped]\n", indent, max, nodes);
		return 1;
	}
	if (loops(c, node)) {
		lg_text_printf(out, "%s[the %s loops at 0x%llx: stopped]\n", indent, chain,
			       (unsigned long long)node);
		return 1;
	}
	return 0;
}

/* The frame a thread state runs, or 0. */
static uint64_t thread_frame(lg_dec *d, uint64_t ts)
{
	const lg_jit_layout *l = &d->l;
	uint64_t frame = 0, cf;

	if (l->tstate_cframe >= 0) {
		if (rd_u64(d, ts, l->tstate_cframe, &cf) || !cf ||
		    rd_u64(d, cf, l->cframe_frame, &frame))
			return 0;
	} else if (rd_u64(d, ts, l->tstate_frame, &frame)) {
		return 0;
	}
	return frame;
}

/* Prints a thread's frames. The walk is bounded by the frames it visits: shim and
 * C-stack frames print nothing, and a corrupt chain may loop. */
static void thread_frames(lg_dec *d, uint64_t frame, lg_text *out)
{
	const lg_jit_layout *l = &d->l;
	struct loop_check c = { 0 };
	int nframes = 0, steps = 0;

	for (; frame && nframes < MAX_FRAMES; steps++) {
		uint8_t owner = 0;

		if (walk_stops(&c, frame, steps, MAX_FRAME_STEPS, "  ", "frames", "frame chain",
			       out))
			break;
		if (l->frame_owner >= 0 && rd(d, frame + (uint64_t)l->frame_owner, &owner, 1))
			break;
		if (owner != l->frame_owner_cstack)
			nframes += put_frame(d, nframes, frame, out);
		if (rd_u64(d, frame, l->frame_previous, &frame))
			break;
	}
	if (frame && nframes >= MAX_FRAMES)
		lg_text_printf(out, "  [more than %d Python frames: stopped]\n", MAX_FRAMES);
	if (!nframes)
		lg_text_printf(out, "  (no Python frames)\n");
}

void lg_dec_bt(lg_dec *d, uint64_t interp, lg_text *out)
{
	const lg_jit_layout *l = &d->l;
	struct loop_check c = { 0 };
	uint64_t ts;
	int nthreads;

	begin(d);
	if (l->interp_threads_head < 0 || l->frame_code < 0 ||
	    rd_u64(d, interp, l->interp_threads_head, &ts)) {
		lg_text_printf(out, "lg-bt: no thread list for this Python (layout unknown)\n");
		return;
	}
	for (nthreads = 0; ts; nthreads++) {
		uint64_t tid = 0;
		int64_t native = 0;

		if (walk_stops(&c, ts, nthreads, MAX_THREADS, "", "threads", "thread list", out))
			break;
		rd_u64(d, ts, l->tstate_thread_id, &tid);
		if (l->tstate_native_id >= 0 && rd_i64(d, ts, l->tstate_native_id, &native))
			native = 0;
		lg_text_printf(out, "Thread 0x%llx (native id %lld), thread state 0x%llx:\n",
			       (unsigned long long)tid, (long long)native,
			       (unsigned long long)ts);
		thread_frames(d, thread_frame(d, ts), out);
		if (rd_u64(d, ts, l->tstate_next, &ts))
			break;
	}
	end(d, out);
}

/* The address of Python frame `no` of the thread state tstate (numbered as lg-bt
 * numbers them), with its function, file and line; 0 when there is no such frame. The
 * walk is bounded as thread_frames' is. */
static uint64_t nth_frame(lg_dec *d, uint64_t tstate, int no, char *fname, size_t fcap,
			  char *path, size_t pcap, int *line)
{
	const lg_jit_layout *l = &d->l;
	struct loop_check c = { 0 };
	uint64_t frame;
	int n = 0, steps;

	if (l->frame_code < 0 || no < 0)
		return 0;
	frame = thread_frame(d, tstate);
	for (steps = 0; frame && steps < MAX_FRAME_STEPS && n < MAX_FRAMES; steps++) {
		uint8_t owner = 0;
		int r = 0;

		if (loops(&c, frame) ||
		    (l->frame_owner >= 0 && rd(d, frame + (uint64_t)l->frame_owner, &owner, 1)))
			break;
		if (owner != l->frame_owner_cstack) {
			r = frame_info(d, frame, fname, fcap, path, pcap, line);
			if (r && n++ == no)
				return r > 0 ? frame : 0;
		}
		if (rd_u64(d, frame, l->frame_previous, &frame))
			break;
	}
	return 0;
}

int lg_dec_frame(lg_dec *d, uint64_t tstate, int no, char *fname, size_t fcap, char *path,
		 size_t pcap, int *line)
{
	begin(d);
	return nth_frame(d, tstate, no, fname, fcap, path, pcap, line) ? 0 : -1;
}

/* ---- locals ---- */

#define MAX_LOCALS 65536      /* slots a code object is believed to have */
#define LOCAL_REPR 200        /* characters of a value lg-locals shows */

/* Calls fn(name, value) for each local slot of frame, in slot order: the names come from
 * the code object's tuples (see lg_jit_layout), the values from the frame's slots (0 for
 * an unbound one). Stops when fn returns nonzero. Returns the slots visited, or -1 when
 * the code object's names cannot be read. */
static int64_t frame_locals(lg_dec *d, uint64_t frame,
			    int (*fn)(lg_dec *, void *, uint64_t, uint64_t), void *arg)
{
	const lg_jit_layout *l = &d->l;
	const int32_t tuples[3] = { l->co_localnames, l->co_cellvars, l->co_freevars };
	uint64_t code, slots;
	int64_t slot = 0;
	int t;

	if (l->frame_localsplus < 0 || l->co_localnames < 0 ||
	    rd_u64(d, frame, l->frame_code, &code))
		return -1;
	slots = frame + (uint64_t)l->frame_localsplus;
	for (t = 0; t < 3 && tuples[t] >= 0; t++) {
		uint64_t names, type, name, value;
		int64_t n, i;

		if (rd_u64(d, code, tuples[t], &names) || type_of(d, names, &type) ||
		    (l->type_tuple && type != l->type_tuple) ||
		    rd_i64(d, names, l->ob_size, &n) || n < 0 || n > MAX_LOCALS - slot)
			return -1;
		for (i = 0; i < n; i++, slot++) {
			if (rd(d, names + (uint64_t)l->tuple_items + 8 * (uint64_t)i, &name, 8))
				return -1;
			if (rd(d, slots + 8 * (uint64_t)slot, &value, 8))
				value = 0;  /* past what the target maps: unknown, shown unbound */
			if (fn(d, arg, name, value))
				return slot + 1;
		}
	}
	return slot;
}

struct locals_arg {
	lg_text *out;
	const char *want;  /* lg-print's name, or NULL for every local */
	uint64_t found;
	int matched, shown;
};

static int local_one(lg_dec *d, void *arg, uint64_t name, uint64_t value)
{
	struct locals_arg *a = arg;
	char buf[128];
	lg_text v = { 0 };

	str_plain(d, name, buf, sizeof(buf));
	if (a->want) {
		if (strcmp(buf, a->want))
			return 0;
		a->matched = 1;
		a->found = value;
		return 1;
	}
	a->shown++;
	if (!value) {
		lg_text_printf(a->out, "%s = <unbound>\n", buf);
		return a->out->full;
	}
	repr(d, value, &v);
	if (v.len > LOCAL_REPR)
		lg_text_printf(a->out, "%s = %.*s...\n", buf, LOCAL_REPR, v.s);
	else
		lg_text_printf(a->out, "%s = %s\n", buf, v.s ? v.s : "");
	lg_text_release(&v);
	return a->out->full;
}

void lg_dec_locals(lg_dec *d, uint64_t tstate, int no, const char *name, int depth,
		   lg_text *out)
{
	struct locals_arg a = { out, name, 0, 0, 0 };
	const char *cmd = name ? "lg-print" : "lg-locals";
	char fname[128], path[512];
	uint64_t frame;
	int line;

	begin(d);
	frame = nth_frame(d, tstate, no, fname, sizeof(fname), path, sizeof(path), &line);
	if (!frame) {
		lg_text_printf(out, "%s: no Python frame #%d (lg-bt lists them)\n", cmd, no);
		return;
	}
	if (d->l.frame_localsplus < 0) {
		lg_text_printf(out, "%s: no local-variable layout for this Python\n", cmd);
		return;
	}
	if (!name)
		lg_text_printf(out, "  #%d %s at %s:%d\n", no, fname, path, line);
	if (frame_locals(d, frame, local_one, &a) < 0) {
		lg_text_printf(out, "%s: cannot read the local names of frame #%d\n", cmd, no);
	} else if (!name) {
		if (!a.shown)
			lg_text_printf(out, "(no locals)\n");
	} else if (!a.matched) {
		lg_text_printf(out, "lg-print: frame #%d (%s) has no local '%s' (lg-locals "
			       "lists them)\n", no, fname, name);
	} else if (!a.found) {
		lg_text_printf(out, "lg-print: local '%s' is unbound in frame #%d\n", name, no);
	} else {
		if (depth < 0)
			depth = 0;
		if (depth > 16)
			depth = 16;
		aset_clear(&d->seen);
		d->nodes = 0;
		d->graph_out = out;
		graph_node(d, name, a.found, 0, depth);
		d->graph_out = NULL;
		aset_clear(&d->seen);
	}
	end(d, out);
}

uint64_t lg_dec_first_thread(lg_dec *d, uint64_t interp)
{
	uint64_t ts = 0;

	begin(d);
	if (d->l.interp_threads_head < 0 || rd_u64(d, interp, d->l.interp_threads_head, &ts))
		return 0;
	return ts;
}

/* ---- GC lists ---- */

/* Calls fn(obj) for each object on the GC lists; stops when fn returns nonzero. */
static int gc_walk(lg_dec *d, int (*fn)(lg_dec *, void *, uint64_t), void *arg)
{
	const lg_jit_layout *l = &d->l;
	size_t total = 0;
	int i, lists = 0;

	if (!l->gc_head_size || l->gc_next < 0)
		return -1;
	for (i = 0; i < 4; i++) {
		uint64_t head = l->gc_lists[i], p;

		if (!head)
			continue;
		lists++;
		if (rd_u64(d, head, l->gc_next, &p))
			continue;
		struct loop_check c = { 0 };

		/* A corrupt list may loop without passing its head. */
		while ((p & ~(uint64_t)3) != head && p && total++ < MAX_GC) {
			p &= ~(uint64_t)3;
			if (loops(&c, p))
				break;
			if (fn(d, arg, p + l->gc_head_size))
				return 0;
			if (rd_u64(d, p, l->gc_next, &p))
				break;
		}
	}
	return lists ? 0 : -1;
}

struct census {
	struct aset count, bytes;
	size_t objects;
};

static int census_one(lg_dec *d, void *arg, uint64_t obj)
{
	struct census *c = arg;
	uint64_t type, *n, *b;
	int64_t basic = 0, item = 0, size = 0;

	c->objects++;
	if (type_of(d, obj, &type))
		return 0;
	n = aset_get(&c->count, type, 1);
	b = aset_get(&c->bytes, type, 1);
	if (!n || !b)
		return 1;
	(*n)++;
	if (!rd_i64(d, type, d->l.tp_basicsize, &basic) && basic > 0 && basic < (1 << 20)) {
		*b += (uint64_t)basic;
		if (!rd_i64(d, type, d->l.tp_itemsize, &item) && item > 0 && item < 4096 &&
		    !rd_i64(d, obj, d->l.ob_size, &size) && size > 0 && size < MAX_ITEMS)
			*b += (uint64_t)(item * size);
	}
	return 0;
}

void lg_dec_types(lg_dec *d, lg_text *out)
{
	struct census c = { 0 };
	size_t i, shown;

	begin(d);
	if (gc_walk(d, census_one, &c)) {
		lg_text_printf(out, "lg-types: no GC lists for this Python (layout unknown)\n");
		return;
	}
	lg_text_printf(out, "%zu GC-tracked objects, %zu types\n", c.objects, c.count.len);
	lg_text_printf(out, "%10s %12s  %s\n", "count", "bytes", "type");
	/* Largest counts first: repeated selection of the maximum, at most 40 lines. */
	for (shown = 0; shown < 40 && shown < c.count.len; shown++) {
		size_t best = (size_t)-1;
		char name[128];

		for (i = 0; i < c.count.cap; i++)
			if (c.count.key[i] && c.count.val[i] &&
			    (best == (size_t)-1 || c.count.val[i] > c.count.val[best]))
				best = i;
		if (best == (size_t)-1)
			break;
		type_name(d, c.count.key[best], name, sizeof(name));
		lg_text_printf(out, "%10llu %12llu  %s\n",
			       (unsigned long long)c.count.val[best],
			       (unsigned long long)*aset_get(&c.bytes, c.count.key[best], 0),
			       name);
		c.count.val[best] = 0;
	}
	aset_clear(&c.count);
	aset_clear(&c.bytes);
	end(d, out);
}

/* ---- referrers ---- */

struct edge {
	uint64_t dst, src;
};

struct edges {
	struct edge *e;
	size_t len, cap;
	uint64_t src;
};

static int add_edge(lg_dec *d, void *arg, size_t i, uint64_t key, uint64_t value)
{
	struct edges *g = arg;
	uint64_t v[2] = { key, value };
	int k;

	(void)d;
	(void)i;
	for (k = 0; k < 2; k++) {
		if (!v[k])
			continue;
		if (g->len == g->cap) {
			size_t cap = g->cap ? g->cap * 2 : 65536;
			struct edge *e;

			if (cap > MAX_EDGES)
				return 1;
			e = realloc(g->e, cap * sizeof(*e));
			if (!e)
				return 1;
			g->e = e;
			g->cap = cap;
		}
		g->e[g->len++] = (struct edge){ v[k], g->src };
	}
	return 0;
}

/* Calls fn for each reference obj holds that the decoder understands. */
static void referents(lg_dec *d, uint64_t obj, item_fn fn, void *arg)
{
	uint64_t type, dict, values, keys;
	enum kind k;

	if (type_of(d, obj, &type))
		return;
	k = kind_of(d, type);
	switch (k) {
	case K_TUPLE:
	case K_LIST:
		seq_items(d, obj, k, MAX_ITEMS, fn, arg);
		break;
	case K_DICT:
		dict_items(d, obj, MAX_ITEMS, fn, arg);
		break;
	case K_SET:
	case K_FROZENSET:
		set_items(d, obj, MAX_ITEMS, fn, arg);
		break;
	case K_MODULE:
		if (!rd_u64(d, obj, d->l.module_dict, &dict) && dict)
			fn(d, arg, 0, dict, 0);
		break;
	case K_FUNC:
		if (!rd_u64(d, obj, d->l.func_globals, &dict) && dict)
			fn(d, arg, 0, dict, 0);
		if (!rd_u64(d, obj, d->l.func_code, &dict) && dict)
			fn(d, arg, 0, dict, 0);
		break;
	case K_OTHER:
		if (instance_dict(d, obj, type, &dict, &values, &keys))
			break;
		if (dict)
			fn(d, arg, 0, dict, 0);
		else
			values_items(d, keys, values, 4096, fn, arg);
		break;
	default:
		break;
	}
}

static int collect(lg_dec *d, void *arg, uint64_t obj)
{
	struct edges *g = arg;

	g->src = obj;
	referents(d, obj, add_edge, g);
	return g->len >= MAX_EDGES;
}

static int by_dst(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;

	return x->dst < y->dst ? -1 : x->dst > y->dst;
}

struct where_arg {
	uint64_t target;
	lg_text *out;
	int found;
	int attrs;
};

static int where_item(lg_dec *d, void *arg, size_t i, uint64_t key, uint64_t value)
{
	struct where_arg *a = arg;

	if (key == a->target && !value) {
		lg_text_printf(a->out, "[%zu]", i);
	} else if (value == a->target) {
		if (a->attrs) {
			char name[96];

			str_plain(d, key, name, sizeof(name));
			lg_text_printf(a->out, ".%s", name);
		} else {
			lg_text_printf(a->out, "[");
			key_label(d, key, a->out);
			lg_text_printf(a->out, "]");
		}
	} else if (key == a->target) {
		lg_text_printf(a->out, "(as a key)");
	} else {
		return 0;
	}
	a->found = 1;
	return 1;
}

/* Describes the object and, when `child` is not 0, where it holds child. */
static void put_holder(lg_dec *d, uint64_t obj, uint64_t child, lg_text *out)
{
	uint64_t type;
	char name[128];

	lg_text_printf(out, "0x%llx ", (unsigned long long)obj);
	if (type_of(d, obj, &type)) {
		lg_text_printf(out, "<unreadable>\n");
		return;
	}
	type_name(d, type, name, sizeof(name));
	lg_text_printf(out, "%s", name);
	put_refs(d, obj, out);
	if (kind_of(d, type) == K_MODULE) {
		module_name(d, obj, name, sizeof(name));
		lg_text_printf(out, " '%s'", name);
	}
	if (child) {
		enum kind k = kind_of(d, type);
		struct where_arg a = { child, out, 0, k == K_OTHER };
		uint64_t dict = 0, values, keys;

		lg_text_printf(out, " at ");
		if (k == K_MODULE) {
			lg_text_printf(out, ".__dict__");
		} else if (k == K_FUNC) {
			lg_text_printf(out, !rd_u64(d, obj, d->l.func_globals, &dict) &&
				       dict == child ? ".__globals__" : ".__code__");
		} else if (k == K_OTHER && !instance_dict(d, obj, type, &dict, &values, &keys) &&
			   dict == child) {
			lg_text_printf(out, ".__dict__");
		} else {
			referents(d, obj, where_item, &a);
			if (!a.found)
				lg_text_printf(out, "?");
		}
	}
	lg_text_printf(out, "\n");
}

/* The first edge into obj in the sorted edges (g->len when none). */
static size_t first_edge(const struct edges *g, uint64_t obj)
{
	size_t lo = 0, hi = g->len;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (g->e[mid].dst < obj)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* All edges among the GC-tracked objects, sorted by destination. */
static int edges_build(lg_dec *d, struct edges *g)
{
	memset(g, 0, sizeof(*g));
	if (gc_walk(d, collect, g))
		return -1;
	if (g->len)
		qsort(g->e, g->len, sizeof(*g->e), by_dst);
	return 0;
}

/* Prints the shortest chain of holders from addr up to a module, indented; or, when no
 * module is reached, the direct holders. */
static void chain(lg_dec *d, const struct edges *g, uint64_t addr, int indent, lg_text *out)
{
	struct aset parent = { 0 };
	uint64_t *queue = NULL, root = 0, *pv;
	size_t head = 0, tail = 0, qcap = 65536, lo;

	queue = malloc(qcap * sizeof(*queue));
	pv = aset_get(&parent, addr, 1);
	if (!queue || !pv)
		goto done;
	*pv = 1;  /* the start: no parent */
	queue[tail++] = addr;
	/* Breadth first from the object back through its holders, to the nearest module. */
	while (head < tail && !root) {
		uint64_t obj = queue[head++], type;

		if (obj != addr && !type_of(d, obj, &type) && kind_of(d, type) == K_MODULE) {
			root = obj;
			break;
		}
		for (lo = first_edge(g, obj); lo < g->len && g->e[lo].dst == obj && tail < qcap;
		     lo++) {
			uint64_t *p = aset_get(&parent, g->e[lo].src, 0);

			if (p || aset_get(&d->own, g->e[lo].src, 0))
				continue;
			p = aset_get(&parent, g->e[lo].src, 1);
			if (!p)
				goto done;
			*p = obj;
			queue[tail++] = g->e[lo].src;
		}
	}
	if (!root) {
		size_t n = 0;

		for (lo = first_edge(g, addr); lo < g->len && g->e[lo].dst == addr && n < 20;
		     lo++) {
			if (aset_get(&d->own, g->e[lo].src, 0))
				continue;
			lg_text_printf(out, "%*sheld by ", indent + 2, "");
			put_holder(d, g->e[lo].src, addr, out);
			n++;
		}
		lg_text_printf(out, n ? "%*s(no module found above these holders)\n"
				      : "%*sno GC-tracked container holds it: a reference from "
					"outside any Python object (C code, or a frame)\n",
			       indent + 2, "");
		goto done;
	}
	{
		/* Print from the object up: reverse the parent chain from root. */
		uint64_t up[64];
		int n = 0, i;
		uint64_t x = root;

		while (x && x != addr && n < 64) {
			up[n++] = x;
			pv = aset_get(&parent, x, 0);
			x = pv ? *pv : 0;
		}
		for (i = n - 1; i >= 0; i--) {
			lg_text_printf(out, "%*sheld by ", indent + 2 * (n - i), "");
			put_holder(d, up[i], i == n - 1 ? addr : up[i + 1], out);
		}
	}
done:
	free(queue);
	aset_clear(&parent);
}

/* A suspect's label as the blob holds it, NUL-terminated, without the spaces or commas
 * a cut at LG_JIT_LABEL leaves at its end; a cut label ends at a word, with "...".
 * Unless clean, the label is as the worker's record begins. */
static void suspect_at(const lg_jit_blob *blob, uint32_t i, lg_jit_suspect *s, int clean)
{
	size_t n;

	memcpy(s, (const char *)blob + blob->suspects_off + i * sizeof(*s), sizeof(*s));
	s->label[sizeof(s->label) - 1] = '\0';
	n = strlen(s->label);
	if (!clean)
		return;
	if (n == sizeof(s->label) - 1) {
		/* Cut by the blob: end at a word, and say so. */
		char *sp = strrchr(s->label, ' ');

		n = sp && sp - s->label > 16 ? (size_t)(sp - s->label) : n - 3;
		s->label[n] = '\0';
		while (n && (s->label[n - 1] == ' ' || s->label[n - 1] == ','))
			s->label[--n] = '\0';
		memcpy(s->label + n, "...", 4);
		return;
	}
	while (n && (s->label[n - 1] == ' ' || s->label[n - 1] == ','))
		s->label[--n] = '\0';
}

/* Whether tuple is one of the worker's (label, object) records of suspect s. */
static int is_record(lg_dec *d, uint64_t tuple, const lg_jit_suspect *s)
{
	uint64_t type, items[2];
	int64_t len;
	char label[LG_JIT_LABEL + 8];

	if (type_of(d, tuple, &type) || kind_of(d, type) != K_TUPLE ||
	    rd_i64(d, tuple, d->l.ob_size, &len) || len != 2 ||
	    rd(d, tuple + (uint64_t)d->l.tuple_items, items, sizeof(items)) ||
	    items[1] != s->addr)
		return 0;
	str_plain(d, items[0], label, sizeof(label));
	return !strncmp(label, s->label, strlen(s->label));
}

/* Marks leakgate's own bookkeeping in d->own: the (label, object) tuple the worker keeps
 * for each suspect of the blob, and the list holding those tuples. Their references are
 * leakgate's, not the program's, and no holder chain may pass through them. */
static void mark_own(lg_dec *d, const lg_jit_blob *blob, const struct edges *g)
{
	uint32_t i;
	size_t lo, k;

	aset_clear(&d->own);
	aset_clear(&d->own_refs);
	for (i = 0; blob && i < blob->nsuspects; i++) {
		lg_jit_suspect s;

		suspect_at(blob, i, &s, 0);
		for (lo = first_edge(g, s.addr); lo < g->len && g->e[lo].dst == s.addr; lo++) {
			uint64_t t = g->e[lo].src, *v, *w0;

			if (!is_record(d, t, &s) || !(v = aset_get(&d->own, t, 1)))
				continue;
			if (!*v && (w0 = aset_get(&d->own_refs, s.addr, 1)))
				(*w0)++;
			*v = 1;
			for (k = first_edge(g, t); k < g->len && g->e[k].dst == t; k++) {
				uint64_t type, *w;

				if (!type_of(d, g->e[k].src, &type) &&
				    kind_of(d, type) == K_LIST &&
				    (w = aset_get(&d->own, g->e[k].src, 1)))
					*w = 1;
			}
		}
	}
}

void lg_dec_referrers(lg_dec *d, const lg_jit_blob *blob, uint64_t addr, lg_text *out)
{
	struct edges g;

	begin(d);
	if (edges_build(d, &g)) {
		lg_text_printf(out, "lg-referrers: no GC lists for this Python (layout unknown)\n");
	} else {
		mark_own(d, blob, &g);
		put_holder(d, addr, 0, out);
		chain(d, &g, addr, 0, out);
	}
	free(g.e);
	end(d, out);
}

/* ---- report ---- */


void lg_dec_report(lg_dec *d, const lg_jit_blob *blob, lg_text *out)
{
	const char *mem = (const char *)blob;
	uint32_t i;

	begin(d);
	lg_text_printf(out, "leakgate failing point: worker pid %u, CPython %u.%u.%u\n",
		       blob->pid, blob->layout.py_version_hex >> 24,
		       (blob->layout.py_version_hex >> 16) & 255,
		       (blob->layout.py_version_hex >> 8) & 255);
	if (blob->summary_len)
		lg_text_printf(out, "%.*s%s", (int)blob->summary_len, mem + blob->summary_off,
			       mem[blob->summary_off + blob->summary_len - 1] == '\n' ? "" : "\n");
	lg_text_printf(out, "suspects: %u\n", blob->nsuspects);
	for (i = 0; i < blob->nsuspects; i++) {
		lg_jit_suspect s;
		lg_text t = { 0 };

		suspect_at(blob, i, &s, 1);
		d->depth = 0;
		repr(d, s.addr, &t);
		lg_text_printf(out, "  %s: 0x%llx %.*s%s\n", s.label, (unsigned long long)s.addr,
			       GRAPH_STR, t.s ? t.s : "", t.len > GRAPH_STR ? "..." : "");
		lg_text_release(&t);
	}
	if (blob->nsuspects) {
		struct edges g;
		lg_jit_suspect s;

		if (edges_build(d, &g) == 0) {
			mark_own(d, blob, &g);
			lg_text_printf(out, "who holds them:\n");
			for (i = 0; i < blob->nsuspects && i < 8; i++) {
				suspect_at(blob, i, &s, 1);
				lg_text_printf(out, "  %s 0x%llx\n", s.label,
					       (unsigned long long)s.addr);
				chain(d, &g, s.addr, 2, out);
			}
		}
		free(g.e);
	}
	end(d, out);
	lg_text_printf(out, "then: lg-graph ADDR [DEPTH], lg-referrers ADDR, lg-types, lg-bt\n");
}
