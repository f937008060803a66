#!/bin/sh
# get-gdb-minimal.sh: unpacks Debian's gdb-minimal (GDB without Python) into DIR, next to
# the full gdb, without installing it (installing it would replace /usr/bin/gdb). Quiet
# and cheap when DIR/usr/bin/gdb exists; exits 0 with a message when no package can be
# downloaded, or when the package holds no GDB (the tests then skip gdb-minimal and say
# so). Debian 13's gdb-minimal is such a package: a transitional one, with only its docs,
# since Debian's gdb 15.2-2 stopped building GDB without Python. A Debian 12 machine is
# where the GDB helper is tested without Python.
# Usage: ci/get-gdb-minimal.sh DIR
set -eu

dir=${1:?usage: ci/get-gdb-minimal.sh DIR}
[ -x "$dir/usr/bin/gdb" ] && exit 0
command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1 || {
	echo "get-gdb-minimal: no apt-get/dpkg here: gdb-minimal tests will be skipped" >&2
	exit 0
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && apt-get download gdb-minimal >/dev/null 2>&1); then
	echo "get-gdb-minimal: apt-get download gdb-minimal failed: gdb-minimal tests will" \
	     "be skipped" >&2
	exit 0
fi
deb=$(basename "$tmp"/gdb-minimal_*.deb)
mkdir -p "$tmp/x"
dpkg -x "$tmp/$deb" "$tmp/x"
if [ ! -x "$tmp/x/usr/bin/gdb" ]; then
	echo "get-gdb-minimal: $deb has no usr/bin/gdb (a transitional package: this" \
	     "Debian builds no GDB without Python): gdb-minimal tests will be skipped" >&2
	exit 0
fi
mkdir -p "$dir"
dpkg -x "$tmp/$deb" "$dir"
echo "get-gdb-minimal: unpacked $deb into $dir" >&2
