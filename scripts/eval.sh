#!/usr/bin/env bash
# eval.sh: score callscope's speech, overlap, mutual-silence and DTMF output
# against the ground truth of the corpus copies in testdata/ (one table),
# next to WebRTC VAD run the way the DSP anchors measured it (mode 3 / 30 ms
# and mode 2 / 10 ms, each channel on its own).
#
# WebRTC VAD is a cgo peer (github.com/maxhawkins/go-webrtcvad, built with
# -tags webrtcvad). Without a C compiler, set PEER= to leave it out.
#
# Thresholds were tuned on synthcall, dsp/synth calls and the pyannote
# sample only; the AMI excerpt is held out (reported, never tuned on).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
FORMAT=${FORMAT:-table}
PEER=${PEER-webrtcvad}
args=(eval --suite testdata/eval/suite.json --format "$FORMAT" --check)
if [[ -n "$PEER" ]]; then
	exec "$GO" run -tags webrtcvad ./cmd/analyze "${args[@]}" --peer "$PEER"
fi
exec "$GO" run ./cmd/analyze "${args[@]}"
