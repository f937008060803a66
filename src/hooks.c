/* hooks.c: counting hooks around CPython's three PyMem allocator domains.
 * They give live blocks and bytes of every Python allocation, GC-tracked or not, whatever
 * the allocator (pymalloc, malloc, debug hooks) underneath. */
#include <Python.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/*
 * Each block carries a 16-byte header (keeps the 16-byte alignment pymalloc gives) with
 * the requested size, for the byte count on free, and a tag derived from the block's
 * address and a per-process secret. Blocks allocated before the hooks went in have no
 * header; the tag tells them apart, so they are freed untouched. Reading the 8 bytes
 * before a foreign block is safe: both glibc and pymalloc keep a header in front of
 * every block they hand out.
 *
 * Nested calls (pymalloc sends requests over 512 bytes to PyMem_RawMalloc) are counted
 * only at the outermost domain, so a block is never counted twice.
 */
struct hdr {
	size_t size;
	uintptr_t tag;
};

#define HDR sizeof(struct hdr)

static PyMemAllocatorEx orig[3];
static uintptr_t secret;
static __thread int depth;

/* The RAW domain may be called without the GIL, from any thread: atomics there. The MEM
 * and OBJ domains are only called with the GIL held. */
static int64_t raw_blocks, raw_bytes;
static int64_t gil_blocks, gil_bytes;

static inline uintptr_t tag_of(const void *user)
{
	return ((uintptr_t)user * 0x9E3779B97F4A7C15u) ^ secret;
}

static inline void account(int domain, int64_t blocks, int64_t bytes)
{
	if (domain == PYMEM_DOMAIN_RAW) {
		__atomic_fetch_add(&raw_blocks, blocks, __ATOMIC_RELAXED);
		__atomic_fetch_add(&raw_bytes, bytes, __ATOMIC_RELAXED);
	} else {
		gil_blocks += blocks;
		gil_bytes += bytes;
	}
}

/*
 * Attribution's record of object allocations: while recording, every block the OBJ domain
 * hands out is remembered with the iteration that asked for it, and forgotten when freed.
 * What is left afterwards are the blocks that survived. An open-addressing table with
 * backward-shift deletion, in plain malloc memory (never through the hooks). The OBJ domain
 * is only called with the GIL held, so the table needs no lock.
 */
struct rec {
	void *ptr;
	uint32_t iteration;
};

static struct rec *rec_tab;
static size_t rec_cap, rec_len;  /* cap is a power of two, or 0 */
static uint32_t rec_iteration;   /* 0: not recording */
static int rec_failed;           /* the table could not grow: the record is incomplete */

static inline size_t rec_slot(const void *p)
{
	return (size_t)(((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15u) & (rec_cap - 1);
}

static int rec_grow(void)
{
	size_t old_cap = rec_cap, i, cap = old_cap ? old_cap * 2 : 4096;
	struct rec *old = rec_tab, *tab = calloc(cap, sizeof(*tab));

	if (!tab)
		return -1;
	rec_tab = tab;
	rec_cap = cap;
	for (i = 0; i < old_cap; i++) {
		if (old[i].ptr) {
			size_t j = rec_slot(old[i].ptr);

			while (tab[j].ptr)
				j = (j + 1) & (cap - 1);
			tab[j] = old[i];
		}
	}
	free(old);
	return 0;
}

static void rec_add(void *p)
{
	size_t j;

	if ((rec_len + 1) * 4 > rec_cap * 3 && rec_grow() < 0) {
		rec_failed = 1;
		return;
	}
	j = rec_slot(p);
	while (rec_tab[j].ptr && rec_tab[j].ptr != p)
		j = (j + 1) & (rec_cap - 1);
	if (!rec_tab[j].ptr)
		rec_len++;
	rec_tab[j].ptr = p;
	rec_tab[j].iteration = rec_iteration;
}

static void rec_del(void *p)
{
	size_t i, j, k, mask = rec_cap - 1;

	if (!rec_cap)
		return;
	for (i = rec_slot(p); rec_tab[i].ptr != p; i = (i + 1) & mask)
		if (!rec_tab[i].ptr)
			return;
	/* Backward shift: pull later entries of the probe run into the hole. */
	for (j = (i + 1) & mask; rec_tab[j].ptr; j = (j + 1) & mask) {
		k = rec_slot(rec_tab[j].ptr);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			rec_tab[i] = rec_tab[j];
			i = j;
		}
	}
	rec_tab[i].ptr = NULL;
	rec_len--;
}

static void *stamp(void *block, size_t size)
{
	struct hdr *h = block;

	h->size = size;
	h->tag = tag_of(h + 1);
	return h + 1;
}

/* The common end of malloc and calloc: count the new block and stamp its header. */
static void *finish_alloc(int domain, int outer, void *block, size_t size)
{
	if (!block)
		return NULL;
	if (outer)
		account(domain, 1, (int64_t)size);
	block = stamp(block, size);
	if (rec_iteration && domain == PYMEM_DOMAIN_OBJ)
		rec_add(block);
	return block;
}

static int add_header(size_t size, size_t *total)
{
	if (size > SIZE_MAX - HDR - 1)
		return -1;
	*total = HDR + (size ? size : 1);
	return 0;
}

static void *hook_malloc(void *ctx, size_t size)
{
	int domain = (int)(intptr_t)ctx;
	int outer = depth == 0;
	size_t total;
	void *p;

	if (add_header(size, &total))
		return NULL;
	depth++;
	p = orig[domain].malloc(orig[domain].ctx, total);
	depth--;
	return finish_alloc(domain, outer, p, size);
}

static void *hook_calloc(void *ctx, size_t nelem, size_t elsize)
{
	int domain = (int)(intptr_t)ctx;
	int outer = depth == 0;
	size_t size, total;
	void *p;

	if (elsize && nelem > SIZE_MAX / elsize)
		return NULL;
	size = nelem * elsize;
	if (add_header(size, &total))
		return NULL;
	depth++;
	p = orig[domain].calloc(orig[domain].ctx, 1, total);
	depth--;
	return finish_alloc(domain, outer, p, size);
}

static void hook_free(void *ctx, void *user)
{
	int domain = (int)(intptr_t)ctx;
	int outer = depth == 0;
	struct hdr *h;

	if (!user)
		return;
	h = (struct hdr *)user - 1;
	depth++;
	if (h->tag != tag_of(user)) {
		orig[domain].free(orig[domain].ctx, user);  /* from before the hooks */
	} else {
		if (outer)
			account(domain, -1, -(int64_t)h->size);
		if (domain == PYMEM_DOMAIN_OBJ && rec_len)
			rec_del(user);
		h->tag = 0;
		orig[domain].free(orig[domain].ctx, h);
	}
	depth--;
}

static void *hook_realloc(void *ctx, void *user, size_t size)
{
	int domain = (int)(intptr_t)ctx;
	int outer = depth == 0;
	struct hdr *h;
	size_t total, old;
	void *p;

	if (!user)
		return hook_malloc(ctx, size);
	if (add_header(size, &total))
		return NULL;
	h = (struct hdr *)user - 1;
	depth++;
	if (h->tag != tag_of(user)) {
		/* A block from before the hooks: grow it, then make room for a header. */
		p = orig[domain].realloc(orig[domain].ctx, user, total);
		depth--;
		if (!p)
			return NULL;
		memmove((char *)p + HDR, p, size);
		return finish_alloc(domain, outer, p, size);
	}
	old = h->size;
	if (domain == PYMEM_DOMAIN_OBJ && rec_len)
		rec_del(user);
	h->tag = 0;
	p = orig[domain].realloc(orig[domain].ctx, h, total);
	depth--;
	if (!p) {
		h->tag = tag_of(user);
		if (rec_iteration && domain == PYMEM_DOMAIN_OBJ)
			rec_add(user);
		return NULL;
	}
	if (outer)
		account(domain, 0, (int64_t)size - (int64_t)old);
	p = stamp(p, size);
	if (rec_iteration && domain == PYMEM_DOMAIN_OBJ)
		rec_add(p);
	return p;
}

void lg__hooks_install(void)
{
	struct timespec ts;
	int d;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	secret = ((uintptr_t)ts.tv_nsec << 20) ^ (uintptr_t)ts.tv_sec ^
		 ((uintptr_t)getpid() << 40) ^ (uintptr_t)&ts;
	secret |= 1;
	for (d = PYMEM_DOMAIN_RAW; d <= PYMEM_DOMAIN_OBJ; d++) {
		PyMemAllocatorEx hook = {
			.ctx = (void *)(intptr_t)d,
			.malloc = hook_malloc,
			.calloc = hook_calloc,
			.realloc = hook_realloc,
			.free = hook_free,
		};

		PyMem_GetAllocator((PyMemAllocatorDomain)d, &orig[d]);
		PyMem_SetAllocator((PyMemAllocatorDomain)d, &hook);
	}
}

void lg__hooks_read(struct lg__pymem_counts *out)
{
	out->blocks = gil_blocks + __atomic_load_n(&raw_blocks, __ATOMIC_RELAXED);
	out->bytes = gil_bytes + __atomic_load_n(&raw_bytes, __ATOMIC_RELAXED);
}

void lg__record_start(uint32_t iteration)
{
	rec_iteration = iteration;
}

void lg__record_stop(void)
{
	rec_iteration = 0;
}

int lg__record_take(struct lg__survivor **out, size_t *n)
{
	struct lg__survivor *v;
	size_t i, k = 0;

	*out = NULL;
	*n = 0;
	if (rec_failed)
		return -1;
	if (!rec_len)
		return 0;
	v = malloc(rec_len * sizeof(*v));
	if (!v)
		return -1;
	for (i = 0; i < rec_cap; i++) {
		if (rec_tab[i].ptr) {
			const struct hdr *h = (const struct hdr *)rec_tab[i].ptr - 1;

			v[k].ptr = rec_tab[i].ptr;
			v[k].size = h->size;
			v[k].iteration = rec_tab[i].iteration;
			k++;
		}
	}
	*out = v;
	*n = k;
	return 0;
}

void lg__record_clear(void)
{
	rec_iteration = 0;
	free(rec_tab);
	rec_tab = NULL;
	rec_cap = rec_len = 0;
	rec_failed = 0;
}
