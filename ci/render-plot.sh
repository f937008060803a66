#!/bin/sh
# render-plot.sh: checks leakgate's --plot chart in a real browser: runs the gate over the
# bundled examples with --plot, renders the SVG in headless Chromium (installed through
# apt when missing) and leaves the screenshot for a person to look at. Fails when the
# chart does not render.
# Usage: ci/render-plot.sh [LEAKGATE] [OUT_DIR]    (defaults: build/leakgate, build/plot)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/leakgate}
out=${2:-$root/build/plot}
mkdir -p "$out"

if ! command -v chromium >/dev/null 2>&1; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "render-plot: installing chromium" >&2
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends chromium >&2
fi

# The bundled examples (two leak, two pass) and a failing workload, in an order that mixes
# them: the chart must lead with the leaks and the error and list the passing ones last.
# The exit code 1 is expected: a leak wins over the error (README, "Exit codes").
"$bin" run -q --plot "$out/examples.svg" "$root/examples/clean.py:handle_request" \
	"$root/examples/leaky_list.py:handle_request" -c 'raise ValueError("boom")' \
	"$root/examples/lru_fills.py:lookup" "$root/examples/leaky_cache.py:lookup" \
	>/dev/null || [ $? -eq 1 ]
height=$(sed -n 's/.*<svg [^>]*height="\([0-9]*\)".*/\1/p' "$out/examples.svg" | head -1)
rm -f "$out/examples.png"
chromium --headless --disable-gpu --no-sandbox --hide-scrollbars \
	--window-size="960,${height:-1200}" --screenshot="$out/examples.png" \
	"file://$out/examples.svg" >/dev/null 2>&1
size=$(stat -c %s "$out/examples.png" 2>/dev/null || echo 0)
# A blank page compresses to a few kilobytes; a rendered chart does not.
if [ "$size" -lt 20000 ]; then
	echo "render-plot: $out/examples.png is $size bytes: the chart did not render" >&2
	exit 1
fi
echo "render-plot: $out/examples.png ($size bytes): look at it"
