#!/bin/sh
# gdb.sh: times lg-graph of a 10,000-element list on a core of a leaking worker against
# CPython's own py-print (python-gdb.py, in the full gdb) on the same core, and lg-bt
# against py-bt; best of three. Both bound their output: lg-graph prints 50 items per
# container (each with its type, address and refcount), py-print about 1 KB of the repr.
# Each side's floor is GDB opening the core with its commands loaded and nothing asked
# (leakgate's plugin and command file; python-gdb.py sourced). "past start-up" is what
# one command costs: the command is run $REPS times (default 20) in one GDB, the floor
# is taken off and the rest divided by $REPS, so that the start-up's own noise on a
# loaded machine does not swamp it. The first columns are one command in one GDB.
# Usage: bench/gdb.sh LEAKGATE [PYTHON]   (PYTHON: the one leakgate was built with)
set -eu
[ $# -ge 1 ] || { echo "usage: bench/gdb.sh LEAKGATE [PYTHON]" >&2; exit 4; }
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
py=${2:-python3}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin" run -q --on-leak=core --core-dir "$tmp" "$root/bench/gdb_workload.py:work" \
	2>"$tmp/run.err" || true
core=$(sed -n 's/.*core written to //p' "$tmp/run.err")
[ -n "$core" ] || { cat "$tmp/run.err" >&2; echo "gdb.sh: no core" >&2; exit 1; }
globals=$("$bin" gdb -q -batch -ex lg-report --core "$core" "$bin" 2>/dev/null |
	sed -n 's/^  workload globals: \(0x[0-9a-f]*\) .*/\1/p')
big=$("$bin" gdb -q -batch -ex "lg-graph $globals 1" --core "$core" "$bin" 2>/dev/null |
	sed -n "s/^  \['big'\] \(0x[0-9a-f]*\) list.*/\1/p")
[ -n "$big" ] || { echo "gdb.sh: cannot find the list" >&2; exit 1; }

exe=$("$py" -c 'import os, sys; print(os.path.realpath(sys.executable))')
pygdb=""
v=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
for f in "$exe-gdb.py" "$(dirname "$exe")/python$v-gdb.py" \
	 "/usr/share/gdb/auto-load/usr/bin/python$v-gdb.py"; do
	[ -f "$f" ] && { pygdb=$f; break; }
done

best() { # best CMD...: the fastest of three runs, in seconds
	b=""
	for i in 1 2 3; do
		t0=$(date +%s.%N)
		"$@" >"$tmp/out" 2>/dev/null || true
		t=$(echo "$(date +%s.%N) - $t0" | bc)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
	done
	echo "$b"
}

reps=${REPS:-20}
lgg() { "$bin" gdb -q -batch "$@" --core "$core" "$bin"; }
pyg() { gdb -q -batch -iex "add-auto-load-safe-path /" -ex "source $pygdb" "$@" \
	--core "$core" "$bin"; }
# past FLOOR GDB CMD: what one CMD costs past start-up, from $reps of them in one GDB
past() {
	floor=$1 g=$2 c=$3
	set --
	i=0
	while [ $i -lt "$reps" ]; do set -- "$@" -ex "$c"; i=$((i + 1)); done
	t=$(best "$g" "$@")
	echo "($t - $floor) / $reps" | bc -l | sed 's/^\./0./; s/^-\./-0./' | cut -c1-6
}
# row LABEL FLOOR GDB CMD UNIT: one CMD's time, then its cost past start-up
row() {
	t=$(best "$3" -ex "$4")
	n=$(if [ "$5" = bytes ]; then wc -c; else wc -l; fi <"$tmp/out")
	cp "$tmp/out" "$tmp/one"
	p=$(past "$2" "$3" "$4")
	# Below zero: $reps commands cost less than the start-up's own spread (a busy machine).
	case $p in -*) p="<0.001 s (within the start-up's noise)" ;; *) p=$(printf '%6.3f s' "$p") ;; esac
	printf '%-30s %6.2f s  past start-up %s  %s %s\n' "$1" "$t" "$p" "$n" "$5"
}

lg0=$(best lgg)
printf '%-30s %6.2f s\n' "open the core (leakgate)" "$lg0"
row "lg-graph $big 1" "$lg0" lgg "lg-graph $big 1" lines
row "lg-bt" "$lg0" lgg lg-bt lines
grep -q " work at .*gdb_workload.py:" "$tmp/one" ||
	echo "lg-bt did not print the workload's frame: $(tail -c 300 "$tmp/one")"
if [ -n "$pygdb" ]; then
	py0=$(best pyg)
	printf '%-30s %6.2f s\n' "open the core (python-gdb)" "$py0"
	row "py-print big" "$py0" pyg "py-print big" bytes
	grep -q "global 'big' = \['item 0', 'item 1'" "$tmp/one" ||
		echo "py-print did not print the list: $(tail -c 300 "$tmp/one")"
	row "py-bt" "$py0" pyg py-bt lines
	grep -q "in work" "$tmp/one" ||
		echo "py-bt did not print the workload's frame: $(tail -c 300 "$tmp/one")"
else
	echo "py-print, py-bt: no python-gdb.py for $exe (Debian: python$v-dbg)"
fi
