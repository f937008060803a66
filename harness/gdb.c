/* gdb.c: `leakgate gdb`: starts $GDB (default gdb) with the reader plugin and the lg-*
 * commands loaded, on a core (whose program it reads from the core's notes), a running
 * process, or a program it starts. GDB's own options (-q, -batch, -ex CMD, ...) pass
 * through. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "paths.h"

static const char gdb_usage[] =
	"usage: leakgate gdb [GDB options] --core CORE [PROGRAM]\n"
	"       leakgate gdb [GDB options] -p PID\n"
	"       leakgate gdb [GDB options] -- PROGRAM [ARGS...]\n"
	"\n"
	"Starts $GDB (default gdb) with leakgate-gdb.so and the lg-* commands loaded:\n"
	"lg-report, lg-bt, lg-list, lg-up, lg-down, lg-graph EXPR [DEPTH], lg-referrers EXPR,\n"
	"lg-types ('help lg' lists them, 'help lg-bt' tells of one).\n"
	"With -- the program is run at once, following forked workers, and GDB stops where\n"
	"a worker raises SIGTRAP (leakgate run --on-leak=trap). With --core the program\n"
	"that dumped the core is read from the core when not given. GDB options such as -q,\n"
	"-batch, -ex CMD, -iex CMD, -x FILE, -nx, -i=mi are passed through.\n";

/* Options of GDB's that take a value in the next argument. */
static int takes_value(const char *opt)
{
	static const char *const opts[] = { "-ex", "-iex", "-x", "-ix", "-eval-command",
					    "-init-eval-command", "-command", "-cd", "-d",
					    "-directory", "-s", "-symbols", "-e", "-exec", "-se",
					    "-tty", "-data-directory", "-D", NULL };
	size_t i;

	while (*opt == '-' && opt[1] == '-')
		opt++;
	for (i = 0; opts[i]; i++)
		if (!strcmp(opt, opts[i]))
			return 1;
	return 0;
}

/* Reads len bytes at off; 0 when all were read. */
static int read_at(int fd, off_t off, void *buf, size_t len)
{
	return pread(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

/* The program that dumped a core: the file that NT_FILE maps at the address the auxiliary
 * vector's AT_ENTRY names (the program's entry point lies in its own text). Writes it to
 * out: 0, or -1 with a reason in *why. */
static int core_program(const char *core, char *out, size_t cap, const char **why)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	uint64_t entry = 0;
	char *files = NULL, *notes = NULL;
	size_t files_len = 0;
	int fd, i, rc = -1;

	*why = "it is not a 64-bit ELF core file";
	fd = open(core, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read_at(fd, 0, &eh, sizeof(eh)) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_type != ET_CORE ||
	    eh.e_phentsize != sizeof(ph))
		goto done;
	for (i = 0; i < eh.e_phnum; i++) {
		size_t at = 0;

		if (read_at(fd, (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph)), &ph, sizeof(ph)))
			goto done;
		if (ph.p_type != PT_NOTE || ph.p_filesz < 12 || ph.p_filesz > (64u << 20))
			continue;
		free(notes);
		notes = malloc(ph.p_filesz);
		if (!notes || read_at(fd, (off_t)ph.p_offset, notes, ph.p_filesz))
			goto done;
		/* Notes: namesz, descsz, type, name and desc each padded to 4 bytes. */
		while (at + 12 <= ph.p_filesz) {
			uint32_t nh[3];
			size_t desc, next;

			memcpy(nh, notes + at, 12);
			desc = at + 12 + ((nh[0] + 3u) & ~3u);
			next = desc + ((nh[1] + 3u) & ~3u);
			if (desc > ph.p_filesz || nh[1] > ph.p_filesz - desc)
				break;
			if (nh[2] == NT_AUXV) {
				size_t k;

				for (k = 0; k + 16 <= nh[1]; k += 16) {
					uint64_t kv[2];

					memcpy(kv, notes + desc + k, 16);
					if (kv[0] == AT_ENTRY)
						entry = kv[1];
				}
			} else if (nh[2] == NT_FILE && !files) {
				files = malloc(nh[1] + 1);
				if (!files)
					goto done;
				memcpy(files, notes + desc, nh[1]);
				files[nh[1]] = '\0';
				files_len = nh[1];
			}
			at = next;
		}
	}
	*why = "it records no entry point or no mapped files";
	if (entry && files && files_len >= 16) {
		/* NT_FILE: count, page size, count (start, end, offset), then count names. */
		uint64_t count, k, r[3];
		const char *name;

		memcpy(&count, files, 8);
		if (count > (files_len - 16) / 24)
			goto done;
		name = files + 16 + count * 24;
		for (k = 0; k < count && name < files + files_len; k++) {
			memcpy(r, files + 16 + k * 24, 24);
			if (r[0] <= entry && entry < r[1]) {
				*why = "the program's path is too long";
				if (snprintf(out, cap, "%s", name) >= (int)cap)
					goto done;
				*why = "the program it names is gone";
				rc = access(out, R_OK) == 0 ? 0 : -1;
				goto done;
			}
			name += strlen(name) + 1;
		}
	}
done:
	free(notes);
	free(files);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The command that opens a core written by this leakgate, for the "core written" line:
 * a static buffer. The program is read from the core, so any build opens it. */
const char *gdb_open_command(const char *core)
{
	static char cmd[2 * PATH_MAX + 64];
	const char *prefix = install_prefix(), *dir = exe_dir(), *c;
	size_t n;

	if (prefix)
		n = (size_t)snprintf(cmd, sizeof(cmd), "%s/bin/leakgate gdb --core '", prefix);
	else
		n = (size_t)snprintf(cmd, sizeof(cmd), "%s/leakgate gdb --core '",
				     dir ? dir : ".");
	/* Quoted for a POSIX shell: ' becomes '\''. */
	for (c = core; *c && n + 8 < sizeof(cmd); c++) {
		if (*c == '\'') {
			memcpy(cmd + n, "'\\''", 4);
			n += 4;
		} else {
			cmd[n++] = *c;
		}
	}
	snprintf(cmd + n, sizeof(cmd) - n, "'");
	return cmd;
}

int cmd_gdb(int argc, char **argv)
{
	const char *gdb = getenv("GDB") && *getenv("GDB") ? getenv("GDB") : "gdb";
	char plugin[PATH_MAX], script[PATH_MAX], dir[] = "/tmp/leakgate-gdb.XXXXXX";
	char found[PATH_MAX];
	char session[sizeof(dir) + 8], *set_session = NULL, *set_plugin = NULL;
	char *load = NULL, *req = NULL, *ans = NULL, *ask = NULL;
	FILE *f;
	const char *core = NULL, *pid = NULL;
	char **args;
	int i, n = 0, program = -1, status = 0, exe_seen = 0;
	pid_t child;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(gdb_usage, stdout);
		return EXIT_PASS;
	}
	if (find_helper("leakgate-gdb.so", plugin, sizeof(plugin)))
		die(EXIT_INTERNAL, "cannot find leakgate-gdb.so (make, or make install)");
	if (find_helper("leakgate.gdb", script, sizeof(script)))
		die(EXIT_INTERNAL, "cannot find leakgate.gdb (make, or make install)");
	args = calloc((size_t)argc + 28, sizeof(*args));
	if (!args)
		die(EXIT_INTERNAL, "out of memory");
	args[n++] = (char *)gdb;
	/* First pass: what is being debugged; the GDB options are copied afterwards. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			program = i + 1;
			break;
		} else if (!strcmp(argv[i], "--core") || !strcmp(argv[i], "-p")) {
			if (i + 1 >= argc)
				die(EXIT_USAGE, "leakgate gdb: %s needs a value", argv[i]);
			if (argv[i][1] == 'p')
				pid = argv[i + 1];
			else
				core = argv[i + 1];
			i++;
		} else if (takes_value(argv[i])) {
			if (i + 1 >= argc)
				die(EXIT_USAGE, "leakgate gdb: %s needs a value", argv[i]);
			i++;
		} else if (argv[i][0] != '-') {
			exe_seen++;
		}
	}
	if (program >= 0 && program >= argc)
		die(EXIT_USAGE, "leakgate gdb: no PROGRAM after --");
	if ((program >= 0) + (core != NULL) + (pid != NULL) > 1)
		die(EXIT_USAGE, "leakgate gdb: give one of --core CORE PROGRAM, -p PID and "
		    "-- PROGRAM");
	if (core && exe_seen > 1)
		die(EXIT_USAGE, "leakgate gdb: --core CORE takes one PROGRAM, not %d", exe_seen);
	if (access(core ? core : ".", R_OK) < 0)
		die(EXIT_USAGE, "leakgate gdb: cannot read core '%s': %s", core, strerror(errno));
	if (core && !exe_seen) {
		const char *why;

		if (core_program(core, found, sizeof(found), &why))
			die(EXIT_USAGE, "leakgate gdb: cannot tell which program dumped '%s' (%s): "
			    "name it: leakgate gdb --core CORE PROGRAM", core, why);
	}
	if (!mkdtemp(dir))
		die(EXIT_INTERNAL, "cannot create a session directory in /tmp: %s",
		    strerror(errno));
	snprintf(session, sizeof(session), "%s/s", dir);
	if (asprintf(&set_session, "set $lg_session = \"%s\"", session) < 0 ||
	    asprintf(&set_plugin, "set $lg_plugin = \"%s\"", plugin) < 0 ||
	    asprintf(&load, "jit-reader-load %s", plugin) < 0 ||
	    asprintf(&req, "%s.req", session) < 0 || asprintf(&ans, "%s.gdb", session) < 0 ||
	    asprintf(&ask, "%s.ask", session) < 0)
		die(EXIT_INTERNAL, "out of memory");
	/* What every lg-* command does once its request is written (leakgate.gdb): a file,
	 * not a command, so that GDB's help lists none of it. The frame apply makes GDB
	 * unwind the innermost frame, which calls the reader when there is no blob; its
	 * errors are ignored, so a stack GDB cannot unwind does not abort the command. */
	f = fopen(ask, "w");
	if (!f || fprintf(f, "shell printf '%%s\\n' 'echo leakgate: no answer: is a leakgate "
			  "worker or its core loaded?\\n' > %s\n"
			  "jit-reader-unload\n"
			  "jit-reader-load %s\n"
			  "frame apply 1 -q -s echo\n"
			  "source %s\n", ans, plugin, ans) < 0 || fclose(f) != 0) {
		rmdir(dir);
		die(EXIT_INTERNAL, "cannot write %s: %s", ask, strerror(errno));
	}
	args[n++] = "-iex";
	args[n++] = set_session;
	args[n++] = "-iex";
	args[n++] = set_plugin;
	args[n++] = "-iex";
	args[n++] = load;
	if (program >= 0) {
		args[n++] = "-iex";
		args[n++] = "set follow-fork-mode child";
		args[n++] = "-iex";
		args[n++] = "set detach-on-fork on";
	}
	args[n++] = "-x";
	args[n++] = script;
	if (program >= 0) {
		args[n++] = "-ex";
		args[n++] = "run";
	} else if (core || pid) {
		/* For Python 3.13+ processes without a blob (harmless errors elsewhere). */
		args[n++] = "-ex";
		args[n++] = "set $lg_runtime = (unsigned long)&_PyRuntime";
		args[n++] = "-ex";
		args[n++] = "set $lg_dummy = (unsigned long)_PySet_Dummy";
	}
	for (i = 1; i < argc && i != program - 1; i++) {
		if (!strcmp(argv[i], "--core")) {
			args[n++] = "-c";
			args[n++] = argv[++i];
		} else if (takes_value(argv[i]) || !strcmp(argv[i], "-p")) {
			args[n++] = argv[i++];
			args[n++] = argv[i];
		} else {
			args[n++] = argv[i];
		}
	}
	if (core && !exe_seen)
		args[n++] = found;
	if (program >= 0) {
		args[n++] = "--args";
		for (i = program; i < argc; i++)
			args[n++] = argv[i];
	}
	args[n] = NULL;

	setenv("LEAKGATE_GDB_SESSION", session, 1);
	fflush(NULL);
	child = fork();
	if (child < 0)
		die(EXIT_INTERNAL, "cannot fork: %s", strerror(errno));
	if (child == 0) {
		signal(SIGPIPE, SIG_DFL);
		execvp(gdb, args);
		/* No GDB is a matter of the environment, as a missing valgrind is. */
		error("cannot run %s: %s (install gdb, or set GDB=)", gdb, strerror(errno));
		_exit(errno == ENOENT || errno == EACCES || errno == ENOEXEC ? EXIT_USAGE
									: EXIT_INTERNAL);
	}
	/* Ctrl-C belongs to GDB. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	unlink(req);
	unlink(ans);
	unlink(ask);
	rmdir(dir);
	free(set_session);
	free(set_plugin);
	free(load);
	free(req);
	free(ans);
	free(ask);
	free(args);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return EXIT_INTERNAL;
}
