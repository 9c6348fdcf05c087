#!/usr/bin/env bash
# report-shot: analyze the demo recordings into a scratch dataset, write the
# HTML report and take a screenshot of it with headless Chromium, so a
# person can look at out/report-shot.png (out/ is not in git).
#
#   scripts/report-shot.sh            # uses bin/ (make build first)
#   CHROMIUM=/path/to/chrome WINDOW=1400,2000 scripts/report-shot.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export TZ=UTC

OUT=${OUT:-out}
WINDOW=${WINDOW:-1400,2000}
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
[ -n "$CHROMIUM" ] || { echo "report-shot: chromium not found (scripts/setup.sh test installs it)" >&2; exit 1; }
[ -x bin/analyze ] && [ -x bin/report ] || { echo "report-shot: run 'make build' first" >&2; exit 1; }

mkdir -p "$OUT"
data="$OUT/report-shot-data"
rm -rf "$data"
bin/analyze --quiet --data "$data" testdata/recordings/*/
date=$(bin/report --data "$data" sql --format csv "SELECT max(date) FROM calls" | tail -n 1)
bin/report --data "$data" html -o "$OUT/report.html" --date "$date"

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--hide-scrollbars --user-data-dir="$profile" --window-size="$WINDOW" \
	--screenshot="$PWD/$OUT/report-shot.png" "file://$PWD/$OUT/report.html" 2>"$OUT/report-shot.log" >/dev/null
echo "report-shot: $OUT/report.html and $OUT/report-shot.png (date $date)"
