#!/usr/bin/env bash
# Whole-program benchmark: `analyze` (every stage and the Parquet write) against
# ffmpeg silencedetect, its peer, on the same generated 1 h 4-channel 16 kHz call,
# in one run on this machine; then peak memory on 1 h and 8 h calls.
#
#   scripts/bench-analyze.sh            (make bench runs it after building bin/)
#   BENCH_8H=0 scripts/bench-analyze.sh skips the 8 h file (3.7 GB on disk)
#   BENCH_DIR=/path                     where the generated calls go (default: a temp dir)
#
# CPU = user + system time reported by GNU time; RSS = maximum resident set size.
# Each program runs BENCH_RUNS times (default 3), interleaved, on a warm
# page cache; its run with the least CPU counts (this VM's speed varies by
# ±10 % from minute to minute).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v ffmpeg >/dev/null || { echo "bench: ffmpeg missing; run scripts/setup.sh bench" >&2; exit 1; }
[ -x bin/analyze ] || go build -o bin/ ./cmd/...
dir=${BENCH_DIR:-$(mktemp -d)}
keep=${BENCH_DIR:+1}
trap '[ -n "$keep" ] || rm -rf "$dir"' EXIT

once() { # command...: prints "wall cpu rss_kib" of one run
	local tf w u s m
	tf=$(mktemp)
	# GNU time reports to its own file: the program's output is discarded.
	/usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >/dev/null 2>&1
	read -r w u s m < <(tail -1 "$tf")
	rm -f "$tf"
	echo "$w $(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u+s}') $m"
}

better() { # best so far, candidate: the one with less CPU
	if [ -z "$1" ] || awk -v a="$(cut -d' ' -f2 <<<"$2")" -v b="$(cut -d' ' -f2 <<<"$1")" 'BEGIN{exit !(a+0 < b+0)}'; then
		echo "$2"
	else
		echo "$1"
	fi
}

gen() { [ -f "$2" ] || go run ./internal/cmd/gencall -dur "$1" -o "$2"; }

gen 1h "$dir/call-1h.wav"
cat "$dir/call-1h.wav" >/dev/null
# Rounds interleave the programs, so a slow minute of the machine hits
# them alike; each program's run with the least CPU counts.
bf="" ba="" bs=""
for _ in $(seq "${BENCH_RUNS:-3}"); do
	bf=$(better "$bf" "$(once ffmpeg -hide_banner -nostats -i "$dir/call-1h.wav" -af silencedetect=n=-45dB:d=0.5:mono=1 -f null -)")
	ba=$(better "$ba" "$(once bin/analyze --quiet --data "$dir/data" "$dir/call-1h.wav")")
	bs=$(better "$bs" "$(once env GOMAXPROCS=1 bin/analyze --quiet --data "$dir/data1" "$dir/call-1h.wav")")
done
read -r fw fc fm <<<"$bf"
read -r aw ac am <<<"$ba"
read -r sw sc sm <<<"$bs"

printf '\n%-48s %9s %9s %10s\n' "1 h, 4 channels, 16 kHz (460 MB)" "wall s" "CPU s" "RSS MiB"
printf '%-48s %9s %9s %10.1f\n' "ffmpeg silencedetect n=-45dB d=0.5 mono=1" "$fw" "$fc" "$(awk -v m="$fm" 'BEGIN{print m/1024}')"
printf '%-48s %9s %9s %10.1f\n' "callscope analyze, all stages + Parquet" "$aw" "$ac" "$(awk -v m="$am" 'BEGIN{print m/1024}')"
printf '%-48s %9s %9s %10.1f\n' "callscope analyze, GOMAXPROCS=1" "$sw" "$sc" "$(awk -v m="$sm" 'BEGIN{print m/1024}')"
awk -v fc="$fc" -v ac="$ac" -v sc="$sc" -v fw="$fw" -v aw="$aw" 'BEGIN{
	printf "ratios (>1 means callscope is faster): CPU ffmpeg/analyze = %.2fx (one core: %.2fx), wall ffmpeg/analyze = %.2fx\n", fc/ac, fc/sc, fw/aw;
	printf "analyze speed: %.0fx real time (wall), %.0fx per CPU second\n", 3600/aw, 3600/ac }'

if [ "${BENCH_8H:-1}" = 1 ]; then
	gen 8h "$dir/call-8h.wav"
	read -r ew ec em <<<"$(once bin/analyze --quiet --data "$dir/data8" "$dir/call-8h.wav")"
	printf '%-48s %9s %9s %10.1f\n' "callscope analyze, 8 h (3.7 GB)" "$ew" "$ec" "$(awk -v m="$em" 'BEGIN{print m/1024}')"
	rm -f "$dir/call-8h.wav"
fi
