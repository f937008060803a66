#!/bin/sh
# install-leakgate.sh: installs leakgate from this source tree, as a CI job does: the
# Debian packages it needs (ci/install-deps.sh), the build, then make install (as root or
# through sudo). PYTHON picks the CPython (default python3 on PATH); DESTDIR is honoured.
# Usage: ci/install-leakgate.sh [PREFIX]    (default /usr/local)
#   e.g. git clone --depth 1 URL /opt/leakgate && /opt/leakgate/ci/install-leakgate.sh
set -eu
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}
python=${PYTHON:-python3}

ci/install-deps.sh "$python"
# INSTALL_DEFAULT=1: this build is the installed leakgate, not one more for --python.
make --no-print-directory -j"$(nproc)" all PYTHON="$python" INSTALL_DEFAULT=1 PREFIX="$prefix"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo make --no-print-directory install PYTHON="$python" INSTALL_DEFAULT=1 \
	PREFIX="$prefix" DESTDIR="${DESTDIR:-}"
echo "install-leakgate: $("${DESTDIR:-}$prefix/bin/leakgate" --version) in ${DESTDIR:-}$prefix"
