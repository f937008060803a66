#!/bin/sh
# find-pythons.sh [TAG...]: one interpreter per CPython 3.8 or later on this machine (on
# PATH, in /usr/local/bin and /usr/bin, under pyenv; debug builds python3.Nd too), as
# "TAG PATH" lines by minor version, leaving out the TAGs given (make install PYTHONS=all:
# the default build's). No newest version is named: a python3.14 joins by itself, and
# whether its build works is the build's to say. Where two names give one TAG, the first
# place in that order wins. An interpreter that does not run (a pyenv shim not selected)
# is left out.
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
{
	# shellcheck disable=SC2086 # PATH's directories, split on ':'
	(IFS=:; for d in $PATH /usr/local/bin /usr/bin; do ls -d "$d"/python3.*; done)
	ls -d "$pyenv_root"/versions/3.*/bin/python3.*
} 2>/dev/null | grep -E '/python3\.[0-9]+d?$' |
	# By minor version, numerically (3.9 before 3.14), each in the order found.
	sed 's/.*python3\.\([0-9]*\)d*$/\1 &/' | sort -s -n -k 1,1 | cut -d ' ' -f 2- |
	while read -r p; do
		tag=$("$p" -I -S -c 'import sys; print(sys.version.split()[0] + sys.abiflags)' \
			2>/dev/null) || continue
		echo "$tag $p"
	done |
	awk -v skip=" $* " 'split($1, v, ".") >= 2 && v[1] == 3 && v[2] + 0 >= 8 &&
		index(skip, " " $1 " ") == 0 && !seen[$1]++'
