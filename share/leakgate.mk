# leakgate.mk: a leak gate in your project's Makefile.
#
#   LEAKGATE_TARGETS = mypkg/leakcheck.py:work mypkg.cache:lookup
#   include /usr/local/share/leakgate/leakgate.mk
#
# gives `make leakcheck`: every target gated by `leakgate run`, the results written to
# $(LEAKGATE_RESULTS) (junit.xml, report.json, chart.svg, and graph.dot with graph.svg
# when Graphviz is installed), and a failed build on a leak (leakgate's exit code).
#
# Optional:
#   LEAKGATE          the leakgate command (default: leakgate on PATH)
#   LEAKGATE_OPTIONS  options for leakgate run, e.g. -n 300 --python .venv/bin/python
#   LEAKGATE_PYTEST   pytest arguments: gate the tests pytest collects with them too (each
#                     test a target; results in *-pytest.*), e.g. LEAKGATE_PYTEST = tests/
#   LEAKGATE_RESULTS  the results folder (default: leakgate-results)

LEAKGATE ?= leakgate
LEAKGATE_OPTIONS ?=
LEAKGATE_RESULTS ?= leakgate-results

# One `leakgate run` with every report in the results folder: $(call leakgate_run,SUFFIX,ARGS)
leakgate_run = $(LEAKGATE) run $(LEAKGATE_OPTIONS) --junit "$(LEAKGATE_RESULTS)/junit$(1).xml" \
	--report "$(LEAKGATE_RESULTS)/report$(1).json" --plot "$(LEAKGATE_RESULTS)/chart$(1).svg" \
	--graph "$(LEAKGATE_RESULTS)/graph$(1).dot" $(2)

# Both runs happen even when the first fails; the worst exit code is the build's.
.PHONY: leakcheck
leakcheck:
	@test -n "$(strip $(LEAKGATE_TARGETS)$(LEAKGATE_PYTEST))" || \
		{ echo "leakgate.mk: set LEAKGATE_TARGETS (or LEAKGATE_PYTEST) before the include" >&2; exit 4; }
	@mkdir -p "$(LEAKGATE_RESULTS)"
	@rc=0; \
	$(if $(strip $(LEAKGATE_TARGETS)),echo '$(call leakgate_run,,$(LEAKGATE_TARGETS))'; \
		$(call leakgate_run,,$(LEAKGATE_TARGETS)) || rc=$$?;) \
	$(if $(strip $(LEAKGATE_PYTEST)),echo '$(call leakgate_run,-pytest,--pytest $(LEAKGATE_PYTEST))'; \
		r=0; $(call leakgate_run,-pytest,--pytest $(LEAKGATE_PYTEST)) || r=$$?; \
		[ $$r -le $$rc ] || rc=$$r;) \
	exit $$rc
