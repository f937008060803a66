#!/bin/sh
# find-pythons.sh [TAG...]: one interpreter per CPython 3.8-3.13 on this machine (on PATH,
# under pyenv, in /usr/local/bin and /usr/bin; debug builds python3.Xd too), as
# "TAG PATH" lines, leaving out the TAGs given (make install PYTHONS=all: the default
# build's). An interpreter that does not run (a pyenv shim not selected) is left out.
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
for m in 8 9 10 11 12 13; do
	for name in "python3.$m" "python3.${m}d"; do
		command -v "$name" 2>/dev/null
		for d in /usr/local/bin /usr/bin; do
			[ -x "$d/$name" ] && echo "$d/$name"
		done
	done
	for p in "$pyenv_root"/versions/3."$m".*/bin/python3."$m"; do
		[ -x "$p" ] && echo "$p"
	done
done | while read -r p; do
	tag=$("$p" -I -S -c 'import sys; print(sys.version.split()[0] + sys.abiflags)' 2>/dev/null) ||
		continue
	echo "$tag $p"
done | awk -v skip=" $* " 'index(skip, " " $1 " ") == 0 && !seen[$1]++'
