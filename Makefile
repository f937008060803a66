# leakgate: make, make leakcheck, make test, make test-matrix, make bench,
# make install PREFIX= DESTDIR=
# V=1 shows commands; SANITIZE=address,undefined builds with sanitizers;
# PYTHON=python3.X builds against another CPython (default: python3 on PATH).

# Without PYTHON, the default build: build/, for the python3 on PATH. With PYTHON (command
# line or environment), that CPython's own directory, build/py<version><abiflags> (e.g.
# build/py3.12.1, build/py3.11.2d), so builds for several versions coexist; BUILD= overrides.
ifeq ($(origin PYTHON),undefined)
PYTHON := python3
BUILD ?= build
# make install of the default build installs everything; of another, only its binary
# (INSTALL_DEFAULT=1 with PYTHON= installs that one as the default). With the default
# build, PYTHONS="python3.12 /path/to/python3.13" installs a build for each of those too,
# in one command; PYTHONS=all for every CPython 3.8+ ci/find-pythons.sh finds (one whose
# build fails is skipped, with a message).
INSTALL_DEFAULT ?= 1
endif
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
# A plain CPython 3.13 for the GDB tests of processes leakgate did not start (optional).
PYTHON313 ?= $(shell for p in python3.13 $(HOME)/.pyenv/versions/3.13*/bin/python3.13; do \
	$$p -c 'import sys; print(sys.executable)' 2>/dev/null && break; done)

# What the chosen interpreter says about itself (one call, parsed by make).
PYINFO := $(shell $(PYTHON) -c 'import os, sys, sysconfig as s; v = s.get_config_var; \
	print(s.get_paths()["include"], v("LIBDIR"), v("LDVERSION"), v("EXT_SUFFIX"), \
	os.path.realpath(sys.executable), sys.version.split()[0], \
	sys.version.split()[0] + sys.abiflags)' 2>/dev/null)
ifeq ($(words $(PYINFO)),7)
PY_INCLUDE := $(word 1,$(PYINFO))
PY_LIBDIR := $(word 2,$(PYINFO))
PY_LDVERSION := $(word 3,$(PYINFO))
PY_EXT_SUFFIX := $(word 4,$(PYINFO))
PY_EXE := $(word 5,$(PYINFO))
PY_VERSION := $(word 6,$(PYINFO))
PY_TAG := $(word 7,$(PYINFO))
endif
BUILD ?= build/py$(or $(PY_TAG),-unknown)
# The interpreter file's size and modification time: `leakgate run --python` takes a path
# to this very file, unchanged since the build, for this build's without running it.
PY_STAMP := $(if $(PY_EXE),$(shell stat -L -c '%s:%Y' '$(PY_EXE)' 2>/dev/null))

ifeq ($(V),1)
Q :=
else
Q := @
endif

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -Iinclude
ALL_LDFLAGS := $(LDFLAGS)
ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
endif
PY_CFLAGS := -I$(PY_INCLUDE) -DLG_PYTHON_EXECUTABLE='"$(PY_EXE)"' -DLG_PYTHON_TAG='"$(PY_TAG)"' \
	-DLG_PYTHON_STAMP='"$(PY_STAMP)"'
PY_LIBS := -L$(PY_LIBDIR) -Wl,-rpath,$(PY_LIBDIR) -lpython$(PY_LDVERSION) -ldl -lm -lpthread

# The library: src/ runs in no process of its own (verdict, reports: pure code the caller
# runs), src/supervisor/ in the caller's process, src/worker/ in the forked worker with
# CPython embedded; src/protocol.[ch] is what the two processes say to each other.
LIB_SRC := src/counter.c src/series.c src/verdict.c src/target.c src/report.c \
	src/report_junit.c src/report_svg.c src/protocol.c \
	src/supervisor/gate.c src/supervisor/valgrind.c src/supervisor/vglog.c \
	src/supervisor/sentinel.c \
	src/worker/main.c src/worker/interp.c src/worker/hooks.c src/worker/sysstat.c \
	src/worker/gccount.c src/worker/attribute.c src/worker/vg.c src/worker/gdbjit.c \
	src/worker/failpoint.c
HARNESS_SRC := harness/main.c harness/output.c harness/valgrind.c harness/config.c \
	harness/baseline.c \
	harness/pyselect.c harness/gdb.c harness/paths.c
TEST_SRC := $(wildcard tests/unit/*.c) $(wildcard tests/integration/*.c)

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
HARNESS_OBJ := $(HARNESS_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
DEPS := $(LIB_OBJ:.o=.d) $(HARNESS_OBJ:.o=.d) $(TEST_OBJ:.o=.d)

LIB := $(BUILD)/libleakgate.a
BIN := $(BUILD)/leakgate
TEST_EXT := $(BUILD)/tests/_lgtest$(PY_EXT_SUFFIX)
TEST_RUNNER := $(BUILD)/tests/runner
# --valgrind's suppressions, found next to the binary (harness/valgrind.c).
SUPP := $(BUILD)/share/leakgate.supp
MAN := $(BUILD)/leakgate.1
PC := $(BUILD)/leakgate.pc
LG_VERSION := $(shell sed -n 's/^\#define LG_VERSION "\(.*\)"/\1/p' include/leakgate.h)
# The pytest plugin that registers leakgate's markers, as a wheel pip installs offline.
WHEEL := $(BUILD)/share/pytest_leakgate-$(LG_VERSION)-py3-none-any.whl

DECODE_OBJ := $(BUILD)/gdb/decode.o $(BUILD)/gdb/pyruntime.o
PLUGIN := $(BUILD)/leakgate-gdb.so
FUZZ_OBJ := $(BUILD)/gdb/fuzz_decode.o

.PHONY: all deps check-python ext leakcheck test test-sanitize test-matrix bench install uninstall clean fuzz FORCE
all: $(BIN) $(LIB) $(SUPP) $(PLUGIN) $(BUILD)/leakgate.gdb $(MAN) $(PC) $(WHEEL)

check-python:
	@test -n "$(PY_INCLUDE)" || { echo "leakgate: cannot query $(PYTHON) (set PYTHON=)" >&2; \
		$(PYTHON) -c pass 2>&1 | head -n 1 >&2; exit 1; }
	@test -f "$(PY_INCLUDE)/Python.h" || { echo "leakgate: no Python.h for $(PYTHON): run ci/install-deps.sh $(PYTHON)" >&2; exit 1; }

# Installs missing Debian packages (apt-get, as root or through sudo); cheap when none is.
deps:
	$(Q)ci/install-deps.sh $(PYTHON)

# Which CPython this build is for ("TAG EXECUTABLE", then the file's "SIZE:MTIME" on a
# line of its own): rewritten only when that changes (so every object is rebuilt when
# python3 on PATH moves or is replaced), and read by `leakgate run --python`.
$(BUILD)/python.id: FORCE | check-python
	@mkdir -p $(dir $@)
	@printf '%s %s\n%s\n' '$(PY_TAG)' '$(PY_EXE)' '$(PY_STAMP)' | cmp -s - $@ || \
		printf '%s %s\n%s\n' '$(PY_TAG)' '$(PY_EXE)' '$(PY_STAMP)' > $@

$(BUILD)/%.o: %.c $(BUILD)/python.id | check-python
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -Isrc -fvisibility=hidden $(PY_CFLAGS) -MMD -MP -c $< -o $@

# src/worker/bootstrap.py, attribute.py and pytest_driver.py are compiled into the worker as
# C strings.
$(BUILD)/gen/%_py.h: src/worker/%.py
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $< > $@.tmp && mv $@.tmp $@
# And compiled to code objects by the build's own CPython (marshal, as a .pyc holds them),
# so that a worker loads them in a fraction of a millisecond instead of compiling the
# source at each start (bootstrap.py, 1.7 ms), leak verdict or --pytest run (tens of
# milliseconds); the source stays as the fallback. The names are the code's file names,
# which tracebacks show.
PYC_NAME_bootstrap := <leakgate>
PYC_NAME_attribute := <leakgate-attribute>
PYC_NAME_pytest_driver := <leakgate-pytest>
$(BUILD)/gen/%_pyc.h: src/worker/%.py $(BUILD)/python.id | check-python
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(PY_EXE) -c 'import marshal, sys; \
		code = compile(open(sys.argv[1], encoding="utf-8").read(), sys.argv[2], "exec", \
			       dont_inherit=True, optimize=0); \
		data = marshal.dumps(code); \
		print(",\n".join(",".join(str(b) for b in data[i:i + 24]) \
				  for i in range(0, len(data), 24)))' \
		$< '$(PYC_NAME_$*)' > $@.tmp && mv $@.tmp $@
$(BUILD)/src/worker/interp.o: $(BUILD)/gen/bootstrap_py.h $(BUILD)/gen/attribute_py.h \
	$(BUILD)/gen/pytest_driver_py.h $(BUILD)/gen/bootstrap_pyc.h \
	$(BUILD)/gen/attribute_pyc.h $(BUILD)/gen/pytest_driver_pyc.h
$(BUILD)/src/worker/interp.o: ALL_CFLAGS += -I$(BUILD)/gen

$(LIB): $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BIN): $(HARNESS_OBJ) $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -rdynamic $(HARNESS_OBJ) $(LIB) $(PY_LIBS) -o $@

$(SUPP): share/leakgate.supp
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

$(WHEEL): share/pytest-plugin/pytest_leakgate.py share/pytest-plugin/mkwheel.py include/leakgate.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  WHEEL   $@")
	$(Q)$(PYTHON) share/pytest-plugin/mkwheel.py share/pytest-plugin $(LG_VERSION) $(dir $@) >/dev/null

$(TEST_EXT): tests/ext/lgtest.c $(BUILD)/python.id | check-python
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -g -I$(PY_INCLUDE) -fPIC -shared $< -o $@

# The worker tests compare the version the worker reports with the headers' own.
$(BUILD)/tests/unit/test_worker.o: ALL_CFLAGS += -DPY_VERSION_FOR_TEST='"$(PY_VERSION)"'

# The harness's pure readers (pyproject.toml, the baseline) are unit-tested too.
HARNESS_UNIT_OBJ := $(BUILD)/harness/config.o $(BUILD)/harness/baseline.o
$(TEST_RUNNER): $(TEST_OBJ) $(LIB) $(DECODE_OBJ) $(FUZZ_OBJ) $(HARNESS_UNIT_OBJ)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $(TEST_OBJ) $(DECODE_OBJ) $(FUZZ_OBJ) $(HARNESS_UNIT_OBJ) $(LIB) $(PY_LIBS) -lcriterion -o $@

# The gate over the bundled examples: each must get the verdict it declares.
leakcheck: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)ci/check-examples.sh $(BIN) examples/*.py

# --pytest is tested with Debian's python3 and python3-pytest (ci/install-deps.sh), through
# a build for that interpreter, which `leakgate run --python` finds beside this one.
PYTEST_PYTHON ?= /usr/bin/python3
PYTEST_TAG := $(shell $(PYTEST_PYTHON) -c 'import sys; print(sys.version.split()[0] + sys.abiflags)' 2>/dev/null)
PYTEST_BUILD := build/py$(PYTEST_TAG)

ext: $(TEST_EXT)

# The C API example (examples/capi), built against this build tree's library; the
# install test builds it again against an installed leakgate.pc.
CAPI_EXAMPLE := $(BUILD)/examples/capi_test
$(CAPI_EXAMPLE): examples/capi/test_extension.c $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $< $(LIB) $(PY_LIBS) -lcriterion -o $@

# Every test, unit and integration, in one Criterion runner (one summary line).
test: deps
	$(Q)$(MAKE) --no-print-directory all $(TEST_EXT) $(TEST_RUNNER) $(CAPI_EXAMPLE)
	$(Q)$(MAKE) --no-print-directory PYTHON=$(PYTEST_PYTHON) BUILD=$(PYTEST_BUILD) all ext
	$(Q)ci/get-gdb-minimal.sh $(BUILD)/gdb-minimal
	@# The pinned pytest's wheels, for the pip install test's fresh venv (PyPI, once).
	$(Q)ci/pytest-venv.sh $(PY_EXE) $(BUILD)/pytest-venv >/dev/null || \
		echo "make test: no pytest wheels in build/wheels: the pip tests will skip" >&2
	$(Q)LEAKGATE=$(BIN) LEAKGATE_TEST_EXT_DIR=$(BUILD)/tests LEAKGATE_PYTHON=$(PY_EXE) \
		LEAKGATE_PYTEST_PYTHON=$(PYTEST_PYTHON) LEAKGATE_PYTEST_EXT_DIR=$(PYTEST_BUILD)/tests \
		LEAKGATE_GDB_MINIMAL=$(BUILD)/gdb-minimal/usr/bin/gdb \
		LEAKGATE_PYTHON313="$(PYTHON313)" LEAKGATE_CAPI_EXAMPLE=$(CAPI_EXAMPLE) \
		$(TEST_RUNNER) --jobs 2 $(TESTFLAGS)

# The unit tests and the corpus under ASan and UBSan, in a build of their own (STYLE.md: a
# leak detector runs its own tests under a leak checker). ASan's allocator replaces
# glibc's, so native_bytes reads nothing there (DESIGN.md); the corpus's verdicts on the
# Python counters must hold all the same. .ci/run calls it; ~3 minutes here. Use of a
# returned function's stack is checked on every Debian (Debian 13's gcc 14 ASan checks it
# by default, Debian 12's gcc 12 only when asked). A sanitizer's report exits 3, leakgate's
# internal error: its default, 1, is a leak's exit code, and a leaking case would pass.
SANITIZE_BUILD := build/sanitize
SANITIZE_FILTER := @(counter|decode|fuzz|hooks|record|series|target|trend|verdict|vg|vglog|worker|corpus)/*
SANITIZE_ENV := \
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1:exitcode=3 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=3
test-sanitize:
	$(Q)$(MAKE) --no-print-directory BUILD=$(SANITIZE_BUILD) SANITIZE=address,undefined \
		all $(SANITIZE_BUILD)/tests/runner $(SANITIZE_BUILD)/tests/_lgtest$(PY_EXT_SUFFIX)
	$(Q)$(SANITIZE_ENV) LEAKGATE=$(SANITIZE_BUILD)/leakgate \
		LEAKGATE_TEST_EXT_DIR=$(SANITIZE_BUILD)/tests LEAKGATE_PYTHON=$(PY_EXE) \
		$(SANITIZE_BUILD)/tests/runner --jobs 2 --filter '$(SANITIZE_FILTER)' $(TESTFLAGS)

# Every CPython 3.8 or later on this machine (no newest version named) and every debug
# build, each in its own build directory (ci/test-matrix.sh); MATRIX_REQUIRE="3.8 debug ..."
# fails when one is missing.
test-matrix:
	$(Q)ci/install-deps.sh --matrix
	$(Q)ci/test-matrix.sh $(if $(MATRIX_REQUIRE),--require "$(MATRIX_REQUIRE)")

# make bench: the harness's own costs (bench/bench.py's docstring), written into
# docs/benchmarks.md's make bench section as well when every section ran (BENCH_ONLY=5 or
# BENCH_ONLY=1,6: some of them, printed only). Section 5 gates suites with the pinned pytest
# of a venv of PYTEST_PYTHON (ci/pytest-venv.sh, PyPI once), plain and gated alike.
BENCH_VENV := build/bench-pytest-venv
bench: deps
	$(Q)$(MAKE) --no-print-directory all $(TEST_EXT)
	$(Q)$(MAKE) --no-print-directory PYTHON=$(PYTEST_PYTHON) BUILD=$(PYTEST_BUILD) all ext
	$(Q)ci/pytest-venv.sh $(PYTEST_PYTHON) $(BENCH_VENV) >/dev/null
	$(Q)LEAKGATE_TEST_EXT_DIR=$(BUILD)/tests \
		LEAKGATE_PYTEST_PYTHON=$(abspath $(BENCH_VENV))/bin/python \
		LEAKGATE_PYTEST_EXT_DIR=$(PYTEST_BUILD)/tests BENCH_OUT=docs/benchmarks.md \
		bench/run.sh $(BIN) $(PYTHON)

# The installed layout (harness/paths.c finds it from the executable, wherever it lies).
LIBEXEC_BIN = $(DESTDIR)$(PREFIX)/libexec/leakgate/py$(PY_TAG)/leakgate
ifeq ($(INSTALL_DEFAULT),1)
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/leakgate \
		$(DESTDIR)$(PREFIX)/share/leakgate $(DESTDIR)$(PREFIX)/share/man/man1 $(dir $(LIBEXEC_BIN))
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/leakgate
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libleakgate.a
	install -m 644 $(PC) $(DESTDIR)$(PREFIX)/lib/pkgconfig/leakgate.pc
	install -m 644 include/leakgate.h $(DESTDIR)$(PREFIX)/include/leakgate.h
	install -m 644 $(PLUGIN) $(DESTDIR)$(PREFIX)/lib/leakgate/leakgate-gdb.so
	install -m 644 gdb/leakgate.gdb share/leakgate.supp share/leakgate.mk \
		share/leakgate-report.schema.json $(WHEEL) \
		$(DESTDIR)$(PREFIX)/share/leakgate/
	install -m 644 $(MAN) $(DESTDIR)$(PREFIX)/share/man/man1/leakgate.1
	ln -sfn ../../../bin/leakgate $(LIBEXEC_BIN)
	$(Q)$(if $(filter all,$(PYTHONS)),ci/find-pythons.sh $(PY_TAG) | cut -d' ' -f2,printf '%s\n' $(PYTHONS)) | \
	while read -r p; do \
		[ -n "$$p" ] || continue; \
		tag=$$("$$p" -I -S -c 'import sys; print(sys.version.split()[0] + sys.abiflags)') || \
			{ echo "make install: PYTHONS: cannot run $$p" >&2; exit 1; }; \
		echo "make install: the build for CPython $$tag ($$p)"; \
		$(MAKE) --no-print-directory PYTHON="$$p" BUILD=build/py$$tag INSTALL_DEFAULT=0 \
			PYTHONS= PREFIX='$(PREFIX)' DESTDIR='$(DESTDIR)' install </dev/null || \
		{ [ "$(PYTHONS)" = all ] && echo "make install: skipped CPython $$tag ($$p): its build failed" >&2; } || \
		exit 1; \
	done

# Everything make install put there, the builds for other CPythons included.
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/leakgate $(DESTDIR)$(PREFIX)/lib/libleakgate.a \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig/leakgate.pc $(DESTDIR)$(PREFIX)/include/leakgate.h \
		$(DESTDIR)$(PREFIX)/share/man/man1/leakgate.1
	rm -rf $(DESTDIR)$(PREFIX)/lib/leakgate $(DESTDIR)$(PREFIX)/share/leakgate \
		$(DESTDIR)$(PREFIX)/libexec/leakgate
else
# Another CPython's build, beside the default one, for leakgate run --python.
install: all
	install -d $(dir $(LIBEXEC_BIN))
	rm -f $(LIBEXEC_BIN)  # the default build's link, when it is for the same CPython
	install -m 755 $(BIN) $(LIBEXEC_BIN)

uninstall:
	rm -rf $(dir $(LIBEXEC_BIN))
endif

# Every build directory: build/ holds the default build and every PYTHON= one; BUILD=
# may name any other, which is removed too.
clean:
	rm -rf build $(BUILD)

# The GDB helper: a JIT reader plugin with no libpython (gdb/ sees only include/).
GDB_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -Iinclude -fPIC -fvisibility=hidden
$(BUILD)/gdb/%.o: gdb/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(GDB_CFLAGS) -MMD -MP -c $< -o $@
$(PLUGIN): $(BUILD)/gdb/plugin.o $(DECODE_OBJ)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) -shared $(BUILD)/gdb/plugin.o $(DECODE_OBJ) -lm -o $@
$(BUILD)/leakgate.gdb: gdb/leakgate.gdb
	$(Q)cp $< $@
DEPS += $(DECODE_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d) $(BUILD)/gdb/plugin.d

# libFuzzer over the decoder (Debian's clang) for FUZZ_SECONDS; crashes land in
# $(BUILD)/fuzz/. The short deterministic run is part of make test (tests/unit).
FUZZ_SECONDS ?= 60
FUZZER := $(BUILD)/fuzz/fuzz-decode
$(FUZZER): gdb/fuzz_decode.c gdb/decode.c $(LIB) | check-python
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CLANG   $@")
	$(Q)clang -g -O1 -fsanitize=fuzzer,address,undefined -DLG_LIBFUZZER -Iinclude \
		gdb/fuzz_decode.c gdb/decode.c $(LIB) $(PY_LIBS) -o $@
fuzz: $(FUZZER)
	$(Q)cd $(BUILD)/fuzz && ASAN_OPTIONS=detect_leaks=0 ./fuzz-decode \
		-max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=20

-include $(DEPS)

# leakgate(1) from the real --help (docs/gen-man.py) and leakgate.pc, both for PREFIX:
# prefix.id is rewritten only when PREFIX changes.
$(BUILD)/prefix.id: FORCE
	@mkdir -p $(dir $@)
	@echo '$(PREFIX)' | cmp -s - $@ || echo '$(PREFIX)' > $@
$(MAN): docs/gen-man.py docs/leakgate.1.in $(BIN) $(BUILD)/prefix.id
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(PYTHON) docs/gen-man.py $(BIN) docs/leakgate.1.in $(PREFIX) > $@.tmp && mv $@.tmp $@
$(PC): leakgate.pc.in $(BUILD)/prefix.id $(BUILD)/python.id
	@$(if $(Q),echo "  GEN     $@")
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(LG_VERSION)|' \
		-e 's|@PY_LIBS@|$(PY_LIBS)|' $< > $@.tmp && mv $@.tmp $@

# leakgate against tracemalloc, objgraph, CPython's -R, memcheck and the PyPI peers
# (pytest-memray, memray, psleak, pytest-leaks; ci/bench-venv.sh) over the corpus on three
# heaps (bench/compare.py). Each run merges its cells into docs/benchmarks-compare.json (the
# same case, heap and tool replaced, the rest kept; after each case, so an interrupted run
# keeps what it finished) and rewrites docs/benchmarks.md from every stored cell (keeping make
# bench's section). Not part of make test: hours on two cores, so the table is filled over
# several runs (COMPARE_ARGS="--cases ... --heaps small": a subset; "--forget leakgate --tools
# leakgate": refresh leakgate's column alone; "--regenerate": only rewrite the doc).
# Every tool runs Debian's python3 (python3-objgraph is Debian's), leakgate through its build
# for it (--python), CPython's -R with references on its debug build (python3.X-dbg).
COMPARE_PYTHON ?= /usr/bin/python3
COMPARE_TAG = $(shell $(COMPARE_PYTHON) -c 'import sys; print(sys.version.split()[0] + sys.abiflags)')
COMPARE_DBG = $(shell $(COMPARE_PYTHON) -c 'import sys; print("/usr/bin/python%d.%dd" % sys.version_info[:2])')
.PHONY: bench-compare
bench-compare:
	$(Q)ci/install-deps.sh --compare $(PYTHON)
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory PYTHON=$(COMPARE_PYTHON) BUILD=build/py$(COMPARE_TAG) all ext
	$(Q)$(MAKE) --no-print-directory PYTHON=$(COMPARE_DBG) BUILD=build/py$(COMPARE_TAG)d ext
	$(Q)ci/bench-venv.sh $(COMPARE_PYTHON) >/dev/null
	$(Q)VENV=build/bench-venv-dbg ci/bench-venv.sh $(COMPARE_DBG) pytest pytest-leaks >/dev/null
	$(Q)ci/pytest-venv.sh $(COMPARE_PYTHON) build/bench-pytest-venv >/dev/null
	$(Q)mkdir -p docs
	$(Q)$(COMPARE_PYTHON) bench/compare.py $(BIN) tests/corpus --python $(COMPARE_PYTHON) \
		--ext-dir build/py$(COMPARE_TAG)/tests --python-dbg $(COMPARE_DBG) \
		--ext-dir-dbg build/py$(COMPARE_TAG)d/tests --out docs/benchmarks.md \
		--store docs/benchmarks-compare.json \
		--peers build/bench-venv/bin/python --peers-dbg build/bench-venv-dbg/bin/python \
		--pytest-venv build/bench-pytest-venv/bin/python \
		--command 'make bench-compare$(if $(COMPARE_ARGS), COMPARE_ARGS="$(COMPARE_ARGS)")' \
		$(if $(COMPARE_ARGS),$(COMPARE_ARGS))

# The bench's drivers of the other tools (compare_loop.py, peers.py, peers_loop.py,
# suite.py), each run on tiny cases no tool can get wrong, their parsed verdicts checked
# (bench/test_drivers.py; a minute or two, untimed). Not in make test: it needs the PyPI
# venvs of ci/bench-venv.sh.
.PHONY: test-bench
test-bench:
	$(Q)$(MAKE) --no-print-directory PYTHON=$(COMPARE_PYTHON) BUILD=build/py$(COMPARE_TAG) all ext
	$(Q)ci/bench-venv.sh $(COMPARE_PYTHON) >/dev/null
	$(Q)VENV=build/bench-venv-dbg ci/bench-venv.sh $(COMPARE_DBG) pytest pytest-leaks >/dev/null
	$(Q)PYTHONPATH=$(abspath build/py$(COMPARE_TAG)/tests) $(COMPARE_PYTHON) bench/test_drivers.py \
		$(COMPARE_PYTHON) build/bench-venv/bin/python build/bench-venv-dbg/bin/python
