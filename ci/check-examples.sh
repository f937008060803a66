#!/bin/sh
# check-examples.sh: runs the gate over example workloads and checks each gets the
# verdict its header declares ("# expect: leak|pass", "# target: FUNC", optional
# "# options: ..."). Prints each verdict; exits 0 only when all match.
# Usage: ci/check-examples.sh LEAKGATE FILE.py...
set -u
bin=$1; shift
[ $# -gt 0 ] || { echo "check-examples: no examples given" >&2; exit 4; }
header() { sed -n "s/^# $1: *//p" "$2" | head -n 1; }
bad=0
for f in "$@"; do
	expect=$(header expect "$f")
	target=$(header target "$f")
	options=$(header options "$f")
	case $expect in
	leak) want=1 ;;
	pass) want=0 ;;
	*) echo "check-examples: $f: no '# expect: leak|pass' header" >&2; bad=1; continue ;;
	esac
	# shellcheck disable=SC2086 # options are words by design
	"$bin" run -q $options "$f:${target:-work}"
	got=$?
	if [ "$got" -eq "$want" ]; then
		echo "  ok: $f is declared '$expect' and got exit $got"
	else
		echo "  MISMATCH: $f is declared '$expect' but leakgate exited $got" >&2
		bad=1
	fi
done
if [ "$bad" -ne 0 ]; then
	echo "check-examples: some examples did not get their declared verdict" >&2
	exit 1
fi
echo "check-examples: all $# examples got their declared verdicts"
