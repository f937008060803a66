#!/bin/sh
# debian-chroot.sh: the README's two commands on a fresh Debian of another release (13,
# trixie, by default), in a chroot: builds a minimal root with debootstrap if ROOT has
# none, mounts proc, sys, dev, dev/pts and dev/shm into it, copies a fresh clone of this
# checkout's HEAD (committed work only) to ROOT/root/leakgate, and runs there, as root
# with a clean environment, `make leakcheck` then `make test` (or the COMMAND given).
# Every mount it made is unmounted on every exit, error and signal included. Not part of
# .ci/run: the root and the packages the ci/ scripts install take minutes.
# Only `make` is installed before the commands run (the clone is made from outside): the
# ci/ scripts must install the rest themselves, as they would for a new user.
# Usage: ci/debian-chroot.sh [--root DIR] [--suite NAME] [--mirror URL] [--reuse]
#                            [--bind PATH]... [-- COMMAND...]
#   --root DIR    the root (default /var/tmp/leakgate-SUITE); kept for the next run
#   --suite NAME  the Debian release (default trixie)
#   --mirror URL  Debian's archive (default: this machine's, from /etc/apt, or
#                 http://deb.debian.org/debian)
#   --reuse       keep ROOT/root/leakgate and its build instead of cloning afresh
#   --bind PATH   this machine's PATH (a directory or a file) mounted read-only at the
#                 same place in the root for the run, then unmounted (and the empty
#                 mount point removed if this script made it); repeatable
#   COMMAND       a shell command run in ROOT/root/leakgate instead of the two commands,
#                 e.g. -- make test-sanitize
# Exit status: the command's; 3 when the root cannot be built or entered; 4 on usage.
# --bind is for what a machine has beyond a fresh Debian, never for what Debian needs. The
# project's machines need two, for .ci/run's make test-matrix (run as in the example
# below): /root/.pyenv, pyenv's CPythons 3.8-3.13, which MATRIX_REQUIRE's 3.8 and 3.12
# name (a fresh root has only Debian's; each finds its shared libpython by its own path,
# hence the same path), and /etc/pip.conf, as this sandbox reaches PyPI through a
# TLS-terminating proxy: the pip a pyenv CPython's venv gets (ensurepip's) trusts only
# its own certifi bundle (Debian's pip is patched to trust Debian's) and fails with
# CERTIFICATE_VERIFY_FAILED unless the configuration says `cert =
# /etc/ssl/certs/ca-certificates.crt`, the root's own bundle, which holds this machine's
# added CAs (the copy of /usr/local/share/ca-certificates below). A cert file elsewhere
# needs a --bind of its own; the host's environment (PIP_CERT, ...) is not passed (env -i).
#   e.g. ci/debian-chroot.sh --root /work/d13 --bind /root/.pyenv --bind /etc/pip.conf \
#        -- 'bash .ci/run'
set -eu

usage() {
	sed -n 's/^# Usage: /usage: /p; s/^#   /  /p' "$0" >&2
	exit 4
}

suite=trixie root="" mirror="" reuse=0 binds=""
while [ $# -gt 0 ]; do
	case $1 in
	--root) [ $# -ge 2 ] || usage; root=$2; shift 2 ;;
	--suite) [ $# -ge 2 ] || usage; suite=$2; shift 2 ;;
	--mirror) [ $# -ge 2 ] || usage; mirror=$2; shift 2 ;;
	--reuse) reuse=1; shift ;;
	--bind) [ $# -ge 2 ] || usage; binds="$binds $2"; shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
command="make leakcheck && make test"
[ $# -eq 0 ] || command="$*"
root=${root:-/var/tmp/leakgate-$suite}
src=$(cd "$(dirname "$0")/.." && pwd)

die() {
	echo "debian-chroot: $*" >&2
	exit 3
}

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, mount and chroot): run it with sudo"
case $root in
/*) ;;
*) root=$(pwd)/$root ;;
esac
case $root/ in
"$src"/*) die "$root is inside the checkout: give --root a directory outside it" ;;
esac
for b in $binds; do
	case $b in
	/?*) ;;
	*) die "--bind $b: give an absolute path other than /" ;;
	esac
	[ -e "$b" ] || die "--bind $b: no such file or directory on this machine"
	case $root/ in
	"$b"/*) die "--bind $b: $root is inside it" ;;
	esac
done

# This machine's Debian mirror: the first deb URI of its apt sources (deb822 or one-line).
if [ -z "$mirror" ]; then
	mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/\{0,1\}$/\1/p' | head -n 1)
	[ -n "$mirror" ] || mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		2>/dev/null | sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\([^[:space:]]*\/debian\)\/\{0,1\}[[:space:]].*/\2/p' |
		head -n 1)
	mirror=${mirror:-http://deb.debian.org/debian}
fi

# A finished root has apt-get and no debootstrap/ (debootstrap removes it at the end). An
# unfinished one is made again; any other directory is left alone.
if [ ! -x "$root/usr/bin/apt-get" ] || [ -d "$root/debootstrap" ]; then
	if [ -d "$root" ] && [ ! -d "$root/debootstrap" ] &&
	   [ -n "$(ls -A "$root" 2>/dev/null)" ]; then
		die "$root is neither empty nor a Debian root: give --root another directory"
	fi
	command -v debootstrap >/dev/null 2>&1 || {
		echo "debian-chroot: installing debootstrap" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap >/dev/null ||
			die "cannot install debootstrap"
	}
	echo "debian-chroot: building a $suite root in $root from $mirror (minutes)" >&2
	rm -rf "$root"
	debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
		die "debootstrap failed (log: $root.debootstrap.log): $(tail -n 1 "$root.debootstrap.log")"
fi

# Mounts, undone in reverse order whatever happens next. A mount that will not go
# (a process still inside) is detached lazily, so none is left on the host's tree.
mounted="" made=""
cleanup() {
	for m in $mounted; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null ||
			echo "debian-chroot: cannot unmount $m" >&2
	done
	mounted=""
	# The mount points bind_one made ("TARGET:TOP": TOP the first directory it created),
	# removed while still empty, so the root is as it was without --bind.
	for m in $made; do
		d=${m%%:*} top=${m#*:}
		if [ -f "$d" ]; then
			[ -s "$d" ] || rm -f "$d"
			d=$(dirname "$d")
		fi
		while [ -n "$top" ] && rmdir "$d" 2>/dev/null && [ "$d" != "$top" ]; do
			d=$(dirname "$d")
		done
	done
	made=""
}
trap 'cleanup' EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 129' HUP
mount_one() { # mount_one TARGET MOUNT-ARGS...
	target=$root$1
	shift
	mkdir -p "$target"
	if mountpoint -q "$target"; then
		die "$target is already mounted (another run inside $root?)"
	fi
	mount "$@" "$target" || die "cannot mount $target"
	mounted="$target $mounted"
}
bind_one() { # bind_one PATH: this machine's PATH, read-only, at ROOT/PATH
	target=$root$1
	# A symbolic link would be followed outside the root, by this machine's mount.
	[ ! -L "$target" ] || die "--bind $1: $target is a symbolic link"
	# The first directory on the way that is missing: what mkdir -p makes.
	top="" d=$(dirname "$target")
	while [ ! -e "$d" ]; do
		top=$d d=$(dirname "$d")
	done
	if [ -z "$top" ] && [ -d "$1" ]; then
		top=$target
	fi
	if [ ! -e "$target" ]; then
		made="$target:$top $made"
		mkdir -p "$(dirname "$target")" || die "cannot make $target"
		if [ -d "$1" ]; then mkdir "$target"; else : >"$target"; fi ||
			die "cannot make $target"
	fi
	if [ -d "$1" ]; then kind=d; else kind=f; fi
	if [ -d "$target" ]; then [ $kind = d ]; else [ $kind = f ]; fi ||
		die "--bind $1: $target is not of the same kind (file or directory)"
	if mountpoint -q "$target"; then
		die "$target is already mounted (another run inside $root?)"
	fi
	mount --bind "$1" "$target" || die "cannot bind $1 on $target"
	mounted="$target $mounted"
	mount -o remount,bind,ro "$target" || die "cannot make $target read-only"
}
in_root() {
	chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
mount_one /proc -t proc proc
mount_one /sys -t sysfs sysfs
mount_one /dev --bind /dev
mount_one /dev/pts --bind /dev/pts
mount_one /dev/shm -t tmpfs tmpfs  # the chroot's own: nothing of the host's shm shows
for b in $binds; do
	bind_one "$b"
done
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
# The chroot shares this machine's network, so it trusts the certificate authorities this
# machine added to Debian's (/usr/local/share/ca-certificates: a proxy's, say), or pip
# cannot reach PyPI through it. ca-certificates' own install adds them, when the ci/
# scripts install it; when it is there already, update-ca-certificates does.
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
	mkdir -p "$root/usr/local/share/ca-certificates"
	cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
	if [ -x "$root/usr/sbin/update-ca-certificates" ]; then
		in_root update-ca-certificates >/dev/null 2>&1 ||
			echo "debian-chroot: update-ca-certificates failed in $root" >&2
	fi
fi

# A new user has make: the README's commands are make's. Nothing else is installed here.
if ! in_root sh -c 'command -v make' >/dev/null 2>&1; then
	in_root sh -c 'export DEBIAN_FRONTEND=noninteractive;
		apt-get update -q && apt-get install -y -q --no-install-recommends make' >&2 ||
		die "cannot install make in $root"
fi

if [ "$reuse" -eq 0 ] || [ ! -d "$root/root/leakgate/.git" ]; then
	rm -rf "$root/root/leakgate"
	git clone -q "$src" "$root/root/leakgate" || die "cannot clone $src"
fi
echo "debian-chroot: $(cat "$root/etc/debian_version") in $root, at" \
	"$(git -C "$root/root/leakgate" log -1 --format='%h %s' | cut -c 1-60): $command" >&2
status=0
in_root sh -c "cd /root/leakgate && $command" || status=$?
exit "$status"
