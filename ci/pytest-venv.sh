#!/bin/sh
# pytest-venv.sh: a virtual environment of PYTHON at VENV with the pytest that
# ci/pytest-requirements.txt pins, from PyPI. The wheels are kept in build/wheels/, so a
# second venv, or the same one made again, installs with no network (--no-index). Quiet
# and cheap when VENV is already that; prints VENV/bin/python (absolute) on success.
# Usage: ci/pytest-venv.sh PYTHON VENV
set -eu
[ $# -eq 2 ] || { echo "usage: ci/pytest-venv.sh PYTHON VENV" >&2; exit 4; }
py=$1
mkdir -p "$(dirname "$2")"
venv=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")  # absolute: printed for use anywhere
root=$(cd "$(dirname "$0")/.." && pwd)
reqs=$root/ci/pytest-requirements.txt
wheels=$root/build/wheels
log=$venv.log

# The pin this interpreter gets (the requirements' markers decide), and what VENV has.
want=$("$py" -I -c 'import sys
v = sys.version_info[:2]
print("8.3.5" if v < (3, 9) else "8.4.2")')
grep -q "^pytest==$want;" "$reqs" || {
	echo "pytest-venv: $reqs does not pin pytest $want" >&2
	exit 3
}
base=$("$py" -I -c 'import os, sys; print(os.path.realpath(sys.executable))')
if [ -x "$venv/bin/python" ] &&
   [ "$("$venv/bin/python" -I -c 'import os, sys, pytest
print(os.path.realpath(sys.executable), pytest.__version__)' 2>/dev/null)" = "$base $want" ]; then
	echo "$venv/bin/python"
	exit 0
fi

rm -rf "$venv"
mkdir -p "$wheels"
if ! "$py" -m venv "$venv" >"$log" 2>&1; then
	# Debian ships ensurepip apart: python3.X-venv (ci/install-deps.sh --matrix).
	echo "pytest-venv: $py -m venv failed: $(grep . "$log" | tail -n 1)" >&2
	rm -rf "$venv"
	exit 1
fi
pip() {
	"$venv/bin/python" -m pip --disable-pip-version-check --no-input -q "$@" >>"$log" 2>&1
}
if ! pip install --no-index --find-links "$wheels" -r "$reqs"; then
	if ! pip download --only-binary :all: -d "$wheels" -r "$reqs" ||
	   ! pip install --no-index --find-links "$wheels" -r "$reqs"; then
		echo "pytest-venv: cannot install pytest $want from PyPI into $venv" \
		     "(log: $log): $(grep . "$log" | tail -n 1)" >&2
		rm -rf "$venv"
		exit 1
	fi
fi
echo "$venv/bin/python"
