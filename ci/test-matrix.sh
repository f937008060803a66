#!/bin/sh
# test-matrix.sh: builds leakgate for every CPython 3.8 or later on this machine (on PATH,
# pyenv's, /usr/local's, Debian's; no newest version is named: a 3.14 joins by itself) and
# every debug build (python3.Xd), each in its own build/py<version><abiflags>/, gives each
# a venv of its own under build/matrix/ with the pytest ci/pytest-requirements.txt pins
# (from PyPI, ci/pytest-venv.sh) so that --pytest is tested on every interpreter, runs
# that build's Criterion runner over the suites that depend on the interpreter (every
# suite but the pure-C ones: new suites join by themselves), checks that the default
# build hands each interpreter to its build through --python, and prints a summary per
# version. Versions older than 3.8 are named and skipped; absent ones between 3.8 and the
# newest found are listed as not found.
# Usage: ci/test-matrix.sh [--require "ITEM..."]
#   ITEM: 3.N (some CPython 3.N), debug (some debug build), or an interpreter's path;
#   a required item that is not found, or not passing, fails the run.
# Environment: MATRIX_PYTHONS="PY..." tests these instead of looking for them;
#   MATRIX_FILTER=GLOB replaces the Criterion filter; MAKE.
set -u
cd "$(dirname "$0")/.."
unset PYTHON  # the default build must stay build/ (see the Makefile)

make=${MAKE:-make}
filter=${MATRIX_FILTER:-'!(verdict|trend|series|counter|target)/*'}
require=""
if [ "${1:-}" = --require ]; then
	require=${2:-}
	shift 2
fi
[ $# -eq 0 ] || { echo "usage: ci/test-matrix.sh [--require \"ITEM...\"]" >&2; exit 4; }

out=build/matrix
mkdir -p "$out"
results=$out/results
: >"$results"

# Every place a CPython or its debug build may live, by name (python3.N, python3.Nd);
# duplicates, older versions and interpreters that do not run are sorted out below.
candidates() {
	pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
	{
		# shellcheck disable=SC2086 # PATH's directories, split on ':'
		(IFS=:; for d in $PATH /usr/local/bin /usr/bin; do ls -d "$d"/python3.* ; done)
		ls -d "$pyenv_root"/versions/3.*/bin/python3.*
	} 2>/dev/null | grep -E '/python3\.[0-9]+d?$' | grep -v '/shims/' |
		while read -r p; do realpath "$p"; done | sort -u | sed 's/.*python3\.\([0-9]*\).*/\1 &/' | sort -s -n -k 1,1 | cut -d ' ' -f 2-
}

# "TAG REALPATH" of an interpreter, as the Makefile names its build; nothing if it does
# not run (a pyenv shim of a version not selected, say).
describe() {
	"$1" -I -S -c 'import os, sys; print(sys.version.split()[0] + sys.abiflags,
		os.path.realpath(sys.executable))' 2>/dev/null
}

# One interpreter: its build, its tests, and --python from the default build.
run_one() {
	py=$1 tag=$2 exe=$3
	log=$out/py$tag.log
	start=$(date +%s)
	echo "test-matrix: CPython $tag ($py): building build/py$tag and testing"
	# --pytest through this interpreter, with pytest from PyPI in a venv of its own.
	if pytest_py=$(ci/pytest-venv.sh "$py" "$out/pytest-py$tag" 2>"$log.pytest"); then
		pytest=$("$pytest_py" -c 'import pytest; print(pytest.__version__)')
		: >"$log"
		if $make --no-print-directory PYTHON="$py" PYTEST_PYTHON="$pytest_py" test \
			TESTFLAGS="--filter '$filter'" >>"$log" 2>&1; then
			state=ok
		else
			state=FAIL
			tail -n 40 "$log" | sed 's/^/    | /'
		fi
	else
		pytest=none state=FAIL
		sed 's/^/    | /' "$log.pytest" | tee "$log"
	fi
	synth=$(sed -n 's/.*Synthesis: //p' "$log" | tail -n 1)
	# No summary: the build itself failed (a CPython this source does not support yet,
	# say): its first error says why, in one line.
	[ -n "$synth" ] || synth=$(grep -m 1 -E 'error:|Error [0-9]' "$log" | cut -c 1-160)
	# The default build must hand a venv of this interpreter over to build/py$tag, with
	# the venv's site-packages (a module put there imports): the report names the
	# version, and refs is read exactly when it is a debug build.
	report=$out/py$tag.json
	venv=$out/venv-py$tag
	rm -rf "$venv"
	if "$py" -m venv --without-pip "$venv" >>"$log" 2>&1 &&
	   site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') &&
	   printf 'def work():\n    return [0] * 10\n' >"$site/lgmatrix_probe.py" &&
	   build/leakgate run -q -n 20 -w 5 --report "$report" --python "$venv/bin/python" \
		lgmatrix_probe:work >>"$log" 2>&1 &&
	   "$py" -c 'import json, sys
with open(sys.argv[1]) as f:
    t = json.load(f)["targets"][0]
ok = t["python"] == "CPython " + sys.version.split()[0] and t["verdict"] == "pass"
sys.exit(not ok or hasattr(sys, "gettotalrefcount") != ("refs" in t["counters"]))' \
		"$report"; then
		dispatch=ok
	else
		dispatch=FAIL
		state=FAIL
		echo "    | --python from the default build failed:"
		tail -n 5 "$log" | sed 's/^/    | /'
	fi
	rm -rf "$venv"
	printf '%s %s %s %s %s %s | %s\n' "$state" "$tag" "$exe" "$dispatch" "$pytest" \
		"$(($(date +%s) - start))" "${synth:-no test summary}" >>"$results"
}

echo "test-matrix: the default build (build/), which dispatches --python"
$make --no-print-directory all >"$out/default.log" 2>&1 || {
	cat "$out/default.log" >&2
	echo "test-matrix: the default build failed" >&2
	exit 1
}

seen=" "
if [ -n "${MATRIX_PYTHONS:-}" ]; then
	list=$(printf '%s\n' $MATRIX_PYTHONS)
else
	list=$(candidates)
fi
for py in $list; do
	set -- $(describe "$py")
	[ $# -eq 2 ] || { echo "test-matrix: $py does not run: skipped"; continue; }
	tag=$1 exe=$2
	minor=$(echo "$tag" | sed -n 's/^3\.\([0-9]*\)\..*/\1/p')
	if [ -z "$minor" ] || [ "$minor" -lt 8 ]; then
		echo "test-matrix: $py is CPython $tag: leakgate needs 3.8 or later: skipped"
		continue
	fi
	case $seen in
	*" $tag "*) continue ;;  # another name of an interpreter already tested
	esac
	seen="$seen$tag "
	run_one "$py" "$tag" "$exe"
done

echo
echo "test-matrix: summary (logs in $out/)"
bad=0
newest=$(sed -n 's/^[a-zA-Z]* 3\.\([0-9]*\)\..*/\1/p' "$results" | sort -n | tail -n 1)
m=8
while [ "$m" -le "${newest:-8}" ]; do
	if ! grep -q "^[a-zA-Z]* 3\.$m\." "$results"; then
		printf '  %-11s not found on this machine: skipped\n' "3.$m"
	fi
	grep "^[a-zA-Z]* 3\.$m\." "$results" |
	while read -r state tag exe dispatch pytest secs rest; do
		printf '  %-11s %-4s  --python %-4s  pytest %-6s %4ss  %s  %s\n' "$tag" "$state" \
			"$dispatch" "$pytest" "$secs" "$exe" "${rest#| }"
	done
	m=$((m + 1))
done
grep -q '^[a-zA-Z]* [0-9.]*d ' "$results" ||
	echo "  debug build not found on this machine (Debian: python3.X-dbg): skipped"
grep -q '^FAIL' "$results" && bad=1

for item in $require; do
	case $item in
	debug) pattern='^ok [0-9.]*d ' ;;
	/*) pattern="^ok [^ ]* $(realpath "$item" 2>/dev/null || echo "$item") " ;;
	*) pattern="^ok $(echo "$item" | sed 's/\./\\./g')\.[0-9]*[a-z]* " ;;
	esac
	if ! grep -q "$pattern" "$results"; then
		echo "test-matrix: required '$item' was not found or did not pass" >&2
		bad=1
	fi
done
[ "$bad" -eq 0 ] && echo "test-matrix: every CPython found passed"
exit "$bad"
