#!/bin/sh
# install-deps.sh: installs the Debian packages leakgate needs that are missing: the
# headers of the CPython it builds against, Criterion, Valgrind, GDB and Graphviz. Idempotent and
# quiet when everything is there; apt-get runs as root or through sudo.
# Package names follow the system's python3 (python3.11-dev on Debian 12, python3.13-dev
# on Debian 13): no release is named here.
# --matrix: also Debian's own CPythons as make test-matrix covers them: headers, venv
# support (python3.X-venv: the matrix gives each a venv with pytest) and the system
# python3's debug build (python3.X-dbg, /usr/bin/python3.Xd).
# --compare: also what make bench-compare compares leakgate with: Debian's python3-objgraph,
# the debug build python3.X-dbg and Valgrind.
# Usage: ci/install-deps.sh [PYTHON] | ci/install-deps.sh --matrix | ci/install-deps.sh --compare
set -eu

matrix=0
if [ "${1:-}" = --matrix ]; then
	matrix=1
	shift
fi
compare=0
if [ "${1:-}" = --compare ]; then
	compare=1
	shift
fi
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
	exe=$("$python" -c 'import os, sys; print(os.path.realpath(sys.executable))')
	if [ ! -f "$inc/Python.h" ]; then
		case $exe in
		/usr/bin/python3.*d) missing="$missing $(basename "$exe" d)-dbg" ;;
		/usr/bin/python3.*) missing="$missing $(basename "$exe")-dev" ;;
		*)
			echo "install-deps: $python ($exe) has no headers in $inc, and it is not" \
			     "Debian's: install its headers, or use PYTHON=/usr/bin/python3" >&2
			exit 1 ;;
		esac
	fi
	# make test creates a venv: Debian ships ensurepip apart, in python3.X-venv.
	case $exe in
	/usr/bin/python3.*) need "$(basename "$exe" d)-venv" dpkg -s "$(basename "$exe" d)-venv" ;;
	esac
fi
# make test gates a pytest suite with Debian's python3 and its python3-pytest: that
# interpreter, its headers (a leakgate build for it) and pytest.
if [ -x /usr/bin/python3 ]; then
	v=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	need "python$v-dev" test -f "/usr/include/python$v/Python.h"
	need python3-pytest /usr/bin/python3 -c 'import pytest'
	need "python$v-venv" dpkg -s "python$v-venv"  # --pytest from a venv is tested
else
	missing="$missing python3 python3-dev python3-pytest"
fi
if [ "$matrix" = 1 ]; then
	# Every Debian CPython the matrix finds in /usr/bin (the system's python3, and any
	# other python3.N a release upgrade left, such as Debian 12's 3.11 on Debian 13): its
	# headers, for its build, and ensurepip (python3.N-venv), for its venv with pytest.
	for exe in /usr/bin/python3.*; do
		name=${exe#/usr/bin/}
		echo "$name" | grep -Eq '^python3\.[0-9]+$' || continue
		dpkg -s "$name" >/dev/null 2>&1 || continue  # not Debian's
		if [ "$exe" != "$(realpath /usr/bin/python3 2>/dev/null)" ] &&
		   ! apt-cache show "$name-venv" >/dev/null 2>&1; then
			# A leftover of an older release: its packages are gone from the archive.
			dpkg -s "$name-venv" >/dev/null 2>&1 ||
				echo "install-deps: $name-venv is not in this system's archive:" \
				     "the matrix cannot give $exe a venv with pytest" >&2
			continue
		fi
		need "$name-dev" test -f "/usr/include/$name/Python.h"
		need "$name-venv" dpkg -s "$name-venv"
	done
	# The debug build of the system's python3 (python3.Nd).
	if [ -x /usr/bin/python3 ]; then
		v=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
		need "python$v-dbg" test -x "/usr/bin/python${v}d"
	else
		missing="$missing python3 python3-dev python3-dbg python3-venv"
	fi
fi
if [ "$compare" = 1 ] && [ -x /usr/bin/python3 ]; then
	v=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	need "python$v-dbg" test -x "/usr/bin/python${v}d"
	need python3-objgraph /usr/bin/python3 -c 'import objgraph'
fi
need libcriterion-dev test -f /usr/include/criterion/criterion.h
need valgrind test -f /usr/include/valgrind/memcheck.h
need valgrind command -v valgrind
need gdb test -f /usr/include/gdb/jit-reader.h
need gdb command -v gdb
need clang command -v clang  # make fuzz (libFuzzer)
need make command -v make
need gcc command -v gcc
need graphviz command -v dot  # --graph renders FILE.svg with it; tested
# The integration tests read every report back with real consumers: a JSON Schema
# validator and a JUnit reader (tests/integration/check_reports.py).
need python3-jsonschema /usr/bin/python3 -c "import jsonschema"
need python3-junitparser /usr/bin/python3 -c "import junitparser"
need man-db command -v man  # the install test renders leakgate(1) with man -l
need groff-base command -v nroff
need pkg-config command -v pkg-config  # the install test builds against leakgate.pc

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
