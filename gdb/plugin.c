/* plugin.c: leakgate-gdb.so, a GDB JIT reader. It keeps a copy of the blob a leaking
 * worker registered, and answers the request the lg-* commands (leakgate.gdb) leave in
 * the session file, reading the target through GDB: the answer is a script of `echo`
 * lines that the command sources, so it flows through GDB's own output. It creates no
 * symtabs and never fails GDB: every read of target memory is checked by the decoder. */
#define _GNU_SOURCE
#include <gdb/jit-reader.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "pyruntime.h"

/* GDB looks this symbol up: export it despite -fvisibility=hidden. */
#pragma GCC visibility push(default)
GDB_DECLARE_GPL_COMPATIBLE_READER
#pragma GCC visibility pop

static lg_jit_blob *blob;  /* the last blob read, copied */

static int gdb_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	gdb_target_read *r = (gdb_target_read *)ctx;

	if (len > INT_MAX)
		return -1;
	return r((GDB_CORE_ADDR)addr, buf, (int)len) == GDB_SUCCESS ? 0 : -1;
}

/* The session's file prefix: $LEAKGATE_GDB_SESSION, which `leakgate gdb` sets to a
 * private directory of its own; without it the reader serves nothing. */
static int session(char *buf, size_t cap)
{
	const char *s = getenv("LEAKGATE_GDB_SESSION");

	if (!s || !*s)
		return -1;
	return snprintf(buf, cap, "%s", s) < (int)cap ? 0 : -1;
}

/* Writes text as `echo` commands, escaping what GDB would otherwise interpret. */
static int write_script(const char *path, const lg_text *t)
{
	char tmp[PATH_MAX];
	const char *p = t->s ? t->s : "";
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	while (*p) {
		const char *end = strchr(p, '\n'), *q, *last;

		if (!end)
			end = p + strlen(p);
		last = end;
		while (last > p && last[-1] == ' ')
			last--;
		fputs("echo ", f);
		for (q = p; q < end; q++) {
			unsigned char c = (unsigned char)*q;

			if (c < 0x20 || c >= 0x7f || c == '\\' || c == '#' ||
			    (c == ' ' && (q == p || q >= last)))
				fprintf(f, "\\%03o", c);
			else
				fputc(c, f);
		}
		fputs("\\n\n", f);
		p = *end ? end + 1 : end;
	}
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

/* The source lines around a Python frame, read from the file its code names (as the
 * target ran it: the file on this machine must be the same). */
static void list_frame(lg_dec *d, uint64_t tstate, int no, int context, lg_text *out)
{
	char fname[128], path[512], line[1024];
	int at, n = 0;
	FILE *f;

	if (lg_dec_frame(d, tstate, no, fname, sizeof(fname), path, sizeof(path), &at)) {
		lg_text_printf(out, "lg-list: no Python frame #%d (lg-bt lists them)\n", no);
		return;
	}
	if (context < 0 || context > 100)
		context = 5;
	lg_text_printf(out, "  #%d %s at %s:%d\n", no, fname, path, at);
	f = fopen(path, "r");
	if (!f) {
		lg_text_printf(out, "lg-list: cannot open %s here\n", path);
		return;
	}
	while (n <= at + context && fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		int c;

		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		else  /* a longer line: the rest is skipped */
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
		n++;
		if (n >= at - context && n <= at + context)
			lg_text_printf(out, "%s%5d  %s\n", n == at ? "->" : "  ", n, line);
	}
	fclose(f);
}

/* A local's name as lg-print passes it: a Python identifier's characters only (the
 * request is one line of words). */
static int name_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!*p || (*p >= '0' && *p <= '9'))
		return 0;
	for (; *p; p++)
		if (!(*p == '_' || *p >= 0x80 || (*p >= '0' && *p <= '9') ||
		      ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')))
			return 0;
	return 1;
}

/* The thread whose frames lg-list, lg-locals and lg-print number: the one that reached
 * leakgate's failing point, else the first. */
static uint64_t thread_of(lg_dec *d, uint64_t interp)
{
	return blob && blob->tstate ? blob->tstate : lg_dec_first_thread(d, interp);
}

static void answer(const char *req, gdb_target_read *tr, lg_text *out)
{
	char verb[32] = "", name[128] = "";
	unsigned long long addr = 0, runtime = 0, dummy = 0;
	uint64_t interp;
	int depth = 2;
	lg_jit_layout layout;
	lg_dec *d = NULL;
	const char *why;
	int n = sscanf(req, "%31s %lli %d %lli %lli %127s", verb, &addr, &depth, &runtime,
		       &dummy, name);

	if (n < 1) {
		lg_text_printf(out, "leakgate: empty request\n");
		return;
	}
	if (blob) {
		layout = blob->layout;
		interp = blob->interp;
	} else if (!strcmp(verb, "report")) {
		lg_text_printf(out, "leakgate: no leakgate blob in this process (it was not "
			       "stopped by leakgate run --on-leak=trap|core)\n");
		return;
	} else if (lg_layout_from_runtime(gdb_read, (void *)tr, runtime, dummy, &layout,
					  &interp, &why)) {
		lg_text_printf(out, "leakgate: no leakgate blob in this process, and %s\n",
			       runtime ? why : "no _PyRuntime symbol to read its debug offsets");
		return;
	}
	if (lg_dec_new(&layout, gdb_read, (void *)tr, &d)) {
		lg_text_printf(out, "leakgate: the layout is not usable\n");
		return;
	}
	if (!strcmp(verb, "report"))
		lg_dec_report(d, blob, out);
	else if (!strcmp(verb, "bt"))
		lg_dec_bt(d, interp, out);
	else if (!strcmp(verb, "types"))
		lg_dec_types(d, out);
	else if (!strcmp(verb, "graph") && n >= 2)
		lg_dec_graph(d, addr, depth, out);
	else if (!strcmp(verb, "referrers") && n >= 2)
		lg_dec_referrers(d, blob, addr, out);
	else if (!strcmp(verb, "list") && n >= 2)
		list_frame(d, thread_of(d, interp), (int)addr, depth, out);
	else if (!strcmp(verb, "locals") && n >= 2)
		lg_dec_locals(d, thread_of(d, interp), (int)addr, NULL, 0, out);
	else if (!strcmp(verb, "print") && n >= 6 && name_ok(name))
		lg_dec_locals(d, thread_of(d, interp), (int)addr, name, depth, out);
	else if (!strcmp(verb, "print"))
		lg_text_printf(out, "lg-print: '%s' is not a Python name\n", name);
	else
		lg_text_printf(out, "leakgate: unknown request '%s'\n", verb);
	lg_dec_free(d);
}

/* Serves the pending request, if any, once: the request file is removed first. */
static void serve(gdb_target_read *tr)
{
	char prefix[PATH_MAX - 8], req_path[PATH_MAX], out_path[PATH_MAX], req[256];
	lg_text out = { 0 };
	FILE *f;
	size_t n;

	if (session(prefix, sizeof(prefix)))
		return;
	snprintf(req_path, sizeof(req_path), "%s.req", prefix);
	snprintf(out_path, sizeof(out_path), "%s.gdb", prefix);
	f = fopen(req_path, "r");
	if (!f)
		return;
	n = fread(req, 1, sizeof(req) - 1, f);
	fclose(f);
	unlink(req_path);
	req[n] = '\0';
	answer(req, tr, &out);
	write_script(out_path, &out);
	lg_text_release(&out);
}

static enum gdb_status reader_read(struct gdb_reader_funcs *self,
				   struct gdb_symbol_callbacks *cb, void *memory,
				   long memory_sz)
{
	lg_jit_blob *copy;

	(void)self;
	if (memory_sz <= 0 || lg_dec_blob_check(memory, (size_t)memory_sz))
		return GDB_FAIL;
	copy = malloc((size_t)memory_sz);
	if (copy) {
		memcpy(copy, memory, (size_t)memory_sz);
		free(blob);
		blob = copy;
	}
	serve(cb->target_read);
	return GDB_SUCCESS;
}

static enum gdb_status reader_unwind(struct gdb_reader_funcs *self,
				     struct gdb_unwind_callbacks *cb)
{
	(void)self;
	serve(cb->target_read);
	return GDB_FAIL;  /* never unwinds: bt stays GDB's own */
}

static struct gdb_frame_id reader_frame_id(struct gdb_reader_funcs *self,
					   struct gdb_unwind_callbacks *cb)
{
	struct gdb_frame_id id = { 0, 0 };

	(void)self;
	(void)cb;
	return id;
}

static void reader_destroy(struct gdb_reader_funcs *self)
{
	(void)self;
	free(blob);
	blob = NULL;
}

__attribute__((visibility("default"))) struct gdb_reader_funcs *gdb_init_reader(void)
{
	static struct gdb_reader_funcs funcs = {
		.reader_version = GDB_READER_INTERFACE_VERSION,
		.read = reader_read,
		.unwind = reader_unwind,
		.get_frame_id = reader_frame_id,
		.destroy = reader_destroy,
	};

	return &funcs;
}
