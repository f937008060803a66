#!/bin/sh
# gdb.sh: times lg-graph of a 10,000-element list on a core of a leaking worker against
# CPython's own py-print (python-gdb.py, in the full gdb) on the same core; best of three.
# Both bound their output: lg-graph prints 50 items per container (each with its type,
# address and refcount), py-print about 1 KB of the repr. The first row is GDB opening
# the core with nothing to print, the floor of both.
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

t=$(best "$bin" gdb -q -batch --core "$core" "$bin")
printf 'open the core only             %6.2f s\n' "$t"
t=$(best "$bin" gdb -q -batch -ex "lg-graph $big 1" --core "$core" "$bin")
printf 'lg-graph  %s 1     %6.2f s  %s lines\n' "$big" "$t" "$(wc -l <"$tmp/out")"
if [ -n "$pygdb" ]; then
	t=$(best gdb -q -batch -iex "add-auto-load-safe-path /" -ex "source $pygdb" \
		-ex "py-print big" --core "$core" "$bin")
	printf 'py-print  big                  %6.2f s  %s bytes\n' "$t" "$(wc -c <"$tmp/out")"
	grep -q "global 'big' = \['item 0', 'item 1'" "$tmp/out" ||
		echo "py-print did not print the list: $(tail -c 300 "$tmp/out")"
else
	echo "py-print: no python-gdb.py for $exe (Debian: python$v-dbg)"
fi
