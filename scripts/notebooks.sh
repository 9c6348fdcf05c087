#!/usr/bin/env bash
# notebooks: build the demo dataset from testdata/recordings with bin/analyze
# and execute every notebooks/*.ipynb headless (jupyter nbconvert); any cell
# error fails. Executed copies go to out/notebooks/ (not in git).
#
#   make notebooks                       # builds bin/ first
#   NOTEBOOK_DATA=./data scripts/notebooks.sh   # reuse a dataset (skips the demo build)
set -euo pipefail
cd "$(dirname "$0")/.."
export TZ=UTC

OUT=${OUT:-out}
command -v jupyter >/dev/null || { echo "notebooks: jupyter not found (scripts/setup.sh test installs jupyter-nbconvert)" >&2; exit 1; }
[ -x bin/analyze ] && [ -x bin/report ] || { echo "notebooks: run 'make build' first" >&2; exit 1; }

data=${NOTEBOOK_DATA:-}
if [ -z "$data" ]; then
	data="$OUT/notebooks-data"
	rm -rf "$data"
	mkdir -p "$OUT"
	bin/analyze --quiet --data "$data" testdata/recordings/*/
fi
mkdir -p "$OUT/notebooks"

export CALLSCOPE_DATA="$(cd "$data" && pwd)" CALLSCOPE_REPORT="$PWD/bin/report"
export PYDEVD_DISABLE_FILE_VALIDATION=1
start=$EPOCHREALTIME
# One nbconvert run for all notebooks (one Python start-up); --execute
# stops at the first cell error with a non-zero exit status.
jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 \
	--output-dir "$OUT/notebooks" notebooks/*.ipynb \
	2> >(grep -v -e 'frozen modules' -e 'Debugg' -e 'Xfrozen_modules' -e 'PYDEVD_DISABLE' -e '^\[NbConvertApp\]' >&2)
n=$(ls notebooks/*.ipynb | wc -l)
awk -v s="$start" -v e="$EPOCHREALTIME" -v n="$n" -v o="$OUT" \
	'BEGIN { printf "notebooks: %d notebooks executed without error in %.1f s (outputs in %s/notebooks)\n", n, e - s, o }'
