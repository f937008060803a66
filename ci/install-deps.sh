#!/bin/sh
# install-deps.sh: installs the Debian packages leakgate needs that are missing: the
# headers of the CPython it builds against, Criterion, Valgrind and GDB. Idempotent and
# quiet when everything is there; apt-get runs as root or through sudo.
# Usage: ci/install-deps.sh [PYTHON]
set -eu

python=${1:-${PYTHON:-python3}}
missing=""

need() { # need PACKAGE TEST...: PACKAGE is missing when the test fails
	pkg=$1; shift
	"$@" >/dev/null 2>&1 || missing="$missing $pkg"
}

if ! command -v "$python" >/dev/null 2>&1; then
	# No interpreter at all: Debian's python3 with its headers.
	missing="$missing python3 python3-dev"
else
	inc=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
	if [ ! -f "$inc/Python.h" ]; then
		exe=$("$python" -c 'import os, sys; print(os.path.realpath(sys.executable))')
		case $exe in
		/usr/bin/python3.*) missing="$missing $(basename "$exe")-dev" ;;
		*)
			echo "install-deps: $python ($exe) has no headers in $inc, and it is not" \
			     "Debian's: install its headers, or use PYTHON=/usr/bin/python3" >&2
			exit 1 ;;
		esac
	fi
fi
need libcriterion-dev test -f /usr/include/criterion/criterion.h
need valgrind test -f /usr/include/valgrind/memcheck.h
need valgrind command -v valgrind
need gdb test -f /usr/include/gdb/jit-reader.h
need gdb command -v gdb
need clang command -v clang  # make fuzz (libFuzzer)
need make command -v make
need gcc command -v gcc

[ -n "$missing" ] || exit 0
# shellcheck disable=SC2086 # word splitting of the package list is intended
set -- $(printf '%s\n' $missing | sort -u)
echo "install-deps: installing $*" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "install-deps: need root or sudo to install: $*" >&2
		exit 1
	}
	sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have stale or no package lists: update once on failure.
$sudo apt-get install -y --no-install-recommends "$@" ||
	{ $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "$@"; }
