//go:build webrtcvad

package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	webrtcvad "github.com/maxhawkins/go-webrtcvad"

	"github.com/callscope/callscope/dsp"
	"github.com/callscope/callscope/dsp/eval"
)

// The WebRTC VAD peer, run as the DSP anchors measured it (§2.5): each
// channel on its own, 16-bit samples, frames of 30 ms in mode 3 and of
// 10 ms in mode 2, raw decisions (no bridging, no leakage logic).
func init() {
	evalPeers["webrtcvad"] = []evalPeer{
		{name: "webrtc m3/30ms", run: func(ctx context.Context, src dsp.Source) ([][]eval.Interval, error) {
			return runWebRTC(ctx, src, 3, 30)
		}},
		{name: "webrtc m2/10ms", run: func(ctx context.Context, src dsp.Source) ([][]eval.Interval, error) {
			return runWebRTC(ctx, src, 2, 10)
		}},
	}
}

func runWebRTC(ctx context.Context, src dsp.Source, mode, frameMS int) ([][]eval.Interval, error) {
	f := src.Format()
	nch, sr := f.Channels, f.SampleRate
	flen := sr * frameMS / 1000
	vads := make([]*webrtcvad.VAD, nch)
	for c := range vads {
		v, err := webrtcvad.New()
		if err != nil {
			return nil, err
		}
		if err := v.SetMode(mode); err != nil {
			return nil, err
		}
		if !v.ValidRateAndFrameLength(sr, flen) {
			return nil, fmt.Errorf("webrtcvad: %d Hz with %d ms frames not supported", sr, frameMS)
		}
		vads[c] = v
	}
	buf := make([]float32, flen*nch)
	pcm := make([]byte, 2*flen)
	out := make([][]eval.Interval, nch)
	open := make([]float64, nch)
	for c := range open {
		open[c] = -1
	}
	dt := float64(frameMS) / 1000
	k := 0
	for ; ; k++ {
		if k%1000 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		n, err := readFull(src, buf)
		if n < flen { // a partial last frame is not scored by WebRTC
			break
		}
		t := float64(k) * dt
		for c := range nch {
			for i := range flen {
				v := math.Round(float64(buf[i*nch+c]) * 32768)
				v = max(-32768, min(32767, v))
				binary.LittleEndian.PutUint16(pcm[2*i:], uint16(int16(v)))
			}
			sp, perr := vads[c].Process(sr, pcm)
			if perr != nil {
				return nil, perr
			}
			switch {
			case sp && open[c] < 0:
				open[c] = t
			case !sp && open[c] >= 0:
				out[c] = append(out[c], eval.Interval{Start: open[c], End: t})
				open[c] = -1
			}
		}
		if err != nil {
			break
		}
	}
	end := float64(k) * dt
	for c, o := range open {
		if o >= 0 {
			out[c] = append(out[c], eval.Interval{Start: o, End: end})
		}
	}
	return out, nil
}

// readFull reads until buf is full or the source ends.
func readFull(src dsp.Source, buf []float32) (int, error) {
	nch := src.Format().Channels
	n := 0
	for n*nch < len(buf) {
		k, err := src.ReadFrames(buf[n*nch:])
		n += k
		if err != nil {
			if errors.Is(err, io.EOF) {
				return n, io.EOF
			}
			return n, err
		}
		if k == 0 {
			return n, io.ErrNoProgress
		}
	}
	return n, nil
}
