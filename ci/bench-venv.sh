#!/bin/sh
# bench-venv.sh: the venv make bench-compare's peers run in (pytest-memray, memray,
# psleak, pytest-leaks, pystack, pinned by bench/peers-requirements.txt), for PYTHON, at
# build/bench-venv/ (VENV overrides). From PyPI; quiet and cheap when the venv already
# holds exactly those pins for that interpreter. Prints VENV/bin/python.
# Usage: ci/bench-venv.sh [PYTHON]    (default /usr/bin/python3, as make bench-compare)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
py=${1:-/usr/bin/python3}
venv=${VENV:-$root/build/bench-venv}
reqs=$root/bench/peers-requirements.txt
# What the venv was made from: the interpreter and the pins.
stamp="$("$py" -I -c 'import os, sys; print(os.path.realpath(sys.executable))') $(cksum <"$reqs")"
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.made-from" 2>/dev/null)" = "$stamp" ]; then
	echo "$venv/bin/python"
	exit 0
fi
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
log=$venv.log
if ! "$py" -m venv "$venv" >"$log" 2>&1 ||
   ! "$venv/bin/python" -m pip --disable-pip-version-check --no-input -q install \
	--prefer-binary -r "$reqs" >>"$log" 2>&1; then
	echo "bench-venv: cannot install $reqs into $venv (log: $log):" \
	     "$(grep -v 'is ignored' "$log" | grep . | tail -n 1)" >&2
	rm -rf "$venv"
	exit 1
fi
echo "$stamp" >"$venv/.made-from"
echo "$venv/bin/python"
