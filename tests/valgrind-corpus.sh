#!/bin/sh
# valgrind-corpus.sh: runs every corpus case once under `leakgate run --valgrind`, with the
# options its header declares, and prints one line per case: expected and got verdict,
# iterations, seconds, failed counters, Valgrind errors. Too slow for `make test` (minutes);
# run by hand when the suppressions or the worker change.
# Usage: tests/valgrind-corpus.sh LEAKGATE [CASE.py...]   (default: tests/corpus/*_*.py)
set -u
[ $# -ge 1 ] || { echo "usage: tests/valgrind-corpus.sh LEAKGATE [CASE.py...]" >&2; exit 4; }
bin=$1; shift
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- "$root"/tests/corpus/leak_*.py "$root"/tests/corpus/clean_*.py
tmp=$(mktemp -d) || exit 3
trap 'rm -rf "$tmp"' EXIT
bad=0
for f in "$@"; do
	field() { sed -n "s/^# $1: //p" "$f" | sed -n 1p; }
	expect=$(field expect); target=$(field target); options=$(field options)
	start=$(date +%s)
	# shellcheck disable=SC2086 # the header's options are words
	"$bin" run --valgrind -q $options --report "$tmp/r.json" "$f:$target" >"$tmp/out" 2>&1
	rc=$?
	got=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["targets"][0]; print(t["verdict"], t["iterations"], ",".join(t["failed"]) or "-")' "$tmp/r.json" 2>/dev/null || echo "? ? ?")
	errors=$(grep -c "Valgrind reported" "$tmp/out")
	verdict=${got%% *}
	ok=ok
	[ "$verdict" = "$expect" ] && [ "$errors" -eq 0 ] || { ok=MISMATCH; bad=1; }
	printf '%-26s expect %-4s got %-5s it %-4s failed %-40s exit %s  %3ss  vg-errors %s  %s\n' \
		"$(basename "$f")" "$expect" "$verdict" "$(echo "$got" | cut -d' ' -f2)" \
		"$(echo "$got" | cut -d' ' -f3)" "$rc" "$(($(date +%s) - start))" "$errors" "$ok"
	[ "$ok" = ok ] || sed 's/^/    /' "$tmp/out"
done
exit $bad
