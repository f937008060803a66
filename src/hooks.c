/* hooks.c: counting hooks around CPython's three PyMem allocator domains.
 * They give live blocks and bytes of every Python allocation, GC-tracked or not, whatever
 * the allocator (pymalloc, malloc, debug hooks) underneath. */
#include <Python.h>

#include <stdint.h>
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
	return stamp(block, size);
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
		if (outer)
			account(domain, 1, (int64_t)size);
		return stamp(p, size);
	}
	old = h->size;
	h->tag = 0;
	p = orig[domain].realloc(orig[domain].ctx, h, total);
	depth--;
	if (!p) {
		h->tag = tag_of(user);
		return NULL;
	}
	if (outer)
		account(domain, 0, (int64_t)size - (int64_t)old);
	return stamp(p, size);
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
