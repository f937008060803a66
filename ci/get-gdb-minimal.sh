#!/bin/sh
# get-gdb-minimal.sh: unpacks Debian's gdb-minimal (GDB without Python) into DIR, next to
# the full gdb, without installing it (installing it would replace /usr/bin/gdb). Quiet
# and cheap when DIR/usr/bin/gdb exists; exits 0 with a message when no package can be
# downloaded (the tests then skip gdb-minimal and say so).
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
mkdir -p "$dir"
dpkg -x "$tmp"/gdb-minimal_*.deb "$dir"
echo "get-gdb-minimal: unpacked $(basename "$tmp"/gdb-minimal_*.deb) into $dir" >&2
