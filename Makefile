# leakgate: make, make leakcheck, make test, make bench, make install PREFIX= DESTDIR=
# V=1 shows commands; SANITIZE=address,undefined builds with sanitizers;
# PYTHON=python3.X builds against another CPython (default: python3 on PATH).

PYTHON ?= python3
BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
# A plain CPython 3.13 for the GDB tests of processes leakgate did not start (optional).
PYTHON313 ?= $(shell for p in python3.13 $(HOME)/.pyenv/versions/3.13*/bin/python3.13; do \
	$$p -c 'import sys; print(sys.executable)' 2>/dev/null && break; done)

# What the chosen interpreter says about itself (one call, parsed by make).
PYINFO := $(shell $(PYTHON) -c 'import os, sys, sysconfig as s; v = s.get_config_var; \
	print(s.get_paths()["include"], v("LIBDIR"), v("LDVERSION"), v("EXT_SUFFIX"), \
	os.path.realpath(sys.executable), sys.version.split()[0])' 2>/dev/null)
ifeq ($(words $(PYINFO)),6)
PY_INCLUDE := $(word 1,$(PYINFO))
PY_LIBDIR := $(word 2,$(PYINFO))
PY_LDVERSION := $(word 3,$(PYINFO))
PY_EXT_SUFFIX := $(word 4,$(PYINFO))
PY_EXE := $(word 5,$(PYINFO))
PY_VERSION := $(word 6,$(PYINFO))
endif

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
PY_CFLAGS := -I$(PY_INCLUDE) -DLG_PYTHON_EXECUTABLE='"$(PY_EXE)"'
PY_LIBS := -L$(PY_LIBDIR) -Wl,-rpath,$(PY_LIBDIR) -lpython$(PY_LDVERSION) -ldl -lm -lpthread

LIB_SRC := src/counter.c src/series.c src/verdict.c src/target.c src/report.c \
	src/hooks.c src/sysstat.c src/gccount.c src/worker.c \
	src/gdbjit.c
HARNESS_SRC := harness/main.c harness/supervisor.c harness/worker_main.c \
	harness/failpoint.c harness/gdb.c
TEST_SRC := $(wildcard tests/unit/*.c) $(wildcard tests/integration/*.c)

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
HARNESS_OBJ := $(HARNESS_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
DEPS := $(LIB_OBJ:.o=.d) $(HARNESS_OBJ:.o=.d) $(TEST_OBJ:.o=.d)

LIB := $(BUILD)/libleakgate.a
BIN := $(BUILD)/leakgate
TEST_EXT := $(BUILD)/tests/_lgtest$(PY_EXT_SUFFIX)
TEST_RUNNER := $(BUILD)/tests/runner
DECODE_OBJ := $(BUILD)/gdb/decode.o $(BUILD)/gdb/pyruntime.o
PLUGIN := $(BUILD)/leakgate-gdb.so
FUZZ_OBJ := $(BUILD)/gdb/fuzz_decode.o

.PHONY: all deps check-python leakcheck test bench install clean fuzz
all: $(BIN) $(LIB) $(PLUGIN) $(BUILD)/leakgate.gdb

check-python:
	@test -n "$(PY_INCLUDE)" || { echo "leakgate: cannot query $(PYTHON) (set PYTHON=)" >&2; exit 1; }
	@test -f "$(PY_INCLUDE)/Python.h" || { echo "leakgate: no Python.h for $(PYTHON): run ci/install-deps.sh $(PYTHON)" >&2; exit 1; }

# Installs missing Debian packages (apt-get, as root or through sudo); cheap when none is.
deps:
	$(Q)ci/install-deps.sh $(PYTHON)

$(BUILD)/%.o: %.c | check-python
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -fvisibility=hidden $(PY_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BIN): $(HARNESS_OBJ) $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -rdynamic $(HARNESS_OBJ) $(LIB) $(PY_LIBS) -o $@

$(TEST_EXT): tests/ext/lgtest.c | check-python
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -I$(PY_INCLUDE) -fPIC -shared $< -o $@

# The worker tests compare the version the worker reports with the headers' own.
$(BUILD)/tests/unit/test_worker.o: ALL_CFLAGS += -DPY_VERSION_FOR_TEST='"$(PY_VERSION)"'

$(TEST_RUNNER): $(TEST_OBJ) $(LIB) $(DECODE_OBJ) $(FUZZ_OBJ)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $(TEST_OBJ) $(DECODE_OBJ) $(FUZZ_OBJ) $(LIB) $(PY_LIBS) -lcriterion -o $@

# The gate over the bundled examples: each must get the verdict it declares.
leakcheck: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)ci/check-examples.sh $(BIN) examples/*.py

# Every test, unit and integration, in one Criterion runner (one summary line).
test: deps
	$(Q)$(MAKE) --no-print-directory all $(TEST_EXT) $(TEST_RUNNER)
	$(Q)ci/get-gdb-minimal.sh $(BUILD)/gdb-minimal
	$(Q)LEAKGATE=$(BIN) LEAKGATE_TEST_EXT_DIR=$(BUILD)/tests \
		LEAKGATE_GDB_MINIMAL=$(BUILD)/gdb-minimal/usr/bin/gdb \
		LEAKGATE_PYTHON313="$(PYTHON313)" \
		$(TEST_RUNNER) --jobs 2 $(TESTFLAGS)

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(TEST_EXT)
	$(Q)LEAKGATE_TEST_EXT_DIR=$(BUILD)/tests bench/run.sh $(BIN) $(PYTHON)
	$(Q)bench/gdb.sh $(BIN) $(PYTHON)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/leakgate
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libleakgate.a
	install -m 644 include/leakgate.h $(DESTDIR)$(PREFIX)/include/leakgate.h

clean:
	rm -rf $(BUILD)

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
