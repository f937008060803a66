#!/bin/sh
# run.sh: benchmarks the leakgate binary (pass-path overhead against a bare loop, and
# iterations to a verdict over tests/corpus); see bench/bench.py. Builds the _lgtest
# extension the corpus imports when it is missing. Exits 0 when everything was measured,
# targets missed or not (they print MISSED).
# Usage: bench/run.sh LEAKGATE [PYTHON]   (PYTHON: the one leakgate was built with)
#        BENCH_ONLY=5 bench/run.sh ...      (only some sections: 5, or 1,6; see bench.py)
#        BENCH_OUT=docs/benchmarks.md ...   (a run of every section writes its output there)
#        BENCH_CASES=PATTERN,... ...        (section 6 on those corpus cases only)
set -eu
[ $# -ge 1 ] || { echo "usage: bench/run.sh LEAKGATE [PYTHON]" >&2; exit 4; }
bin=$1
py=${2:-python3}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$(dirname "$bin")" && pwd)
ext_dir=${LEAKGATE_TEST_EXT_DIR:-$build/tests}
suffix=$("$py" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')

if [ ! -f "$ext_dir/_lgtest$suffix" ]; then
	ext_dir=$build/tests
	make -s -C "$root" PYTHON="$py" BUILD="$build" "$build/tests/_lgtest$suffix"
fi
# Section 5 (--pytest) when the Makefile names an interpreter with pytest and its build.
set -- --ext-dir "$ext_dir"
if [ -n "${LEAKGATE_PYTEST_PYTHON:-}" ] && [ -n "${LEAKGATE_PYTEST_EXT_DIR:-}" ]; then
	set -- "$@" --pytest-python "$LEAKGATE_PYTEST_PYTHON" --pytest-ext-dir "$LEAKGATE_PYTEST_EXT_DIR"
fi
# BENCH_ONLY=5 make bench: section 5 alone.
[ -z "${BENCH_ONLY:-}" ] || set -- "$@" --only "$BENCH_ONLY"
[ -z "${BENCH_OUT:-}" ] || set -- "$@" --out "$BENCH_OUT"
# BENCH_CASES=leak_list,clean_json make bench: section 6 on those cases only.
[ -z "${BENCH_CASES:-}" ] || set -- "$@" --cases "$BENCH_CASES" \
	--command "make bench BENCH_CASES=$BENCH_CASES"
exec "$py" "$root/bench/bench.py" "$@" "$build/$(basename "$bin")" "$root/tests/corpus"
