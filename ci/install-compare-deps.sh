#!/bin/sh
# install-compare-deps.sh: installs what make bench-compare needs beyond ci/install-deps.sh:
# the tools leakgate is compared with, all Debian's: python3-objgraph (for /usr/bin/python3),
# the debug interpreter python3.X-dbg (/usr/bin/python3.Xd, for sys.gettotalrefcount()) and
# valgrind. Idempotent and quiet when all is there; apt-get runs as root or through sudo.
# Usage: ci/install-compare-deps.sh
set -eu

missing=""
need() { # need PACKAGE TEST...: PACKAGE is missing when the test fails
	pkg=$1; shift
	"$@" >/dev/null 2>&1 || missing="$missing $pkg"
}

if [ -x /usr/bin/python3 ]; then
	v=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	need "python$v-dev" test -f "/usr/include/python$v/Python.h"
	need "python$v-dbg" test -x "/usr/bin/python${v}d"
	need python3-objgraph /usr/bin/python3 -c 'import objgraph'
else
	missing="$missing python3 python3-dev python3-dbg python3-objgraph"
fi
need valgrind command -v valgrind

[ -n "$missing" ] || exit 0
# shellcheck disable=SC2086 # word splitting of the package list is intended
set -- $(printf '%s\n' $missing | sort -u)
echo "install-compare-deps: installing $*" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "install-compare-deps: need root or sudo to install: $*" >&2
		exit 1
	}
	sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y --no-install-recommends "$@" ||
	{ $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "$@"; }
