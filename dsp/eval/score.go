package eval

import (
	"math"
)

// Frame is the scoring grid: 10 ms.
const Frame = 0.010

// Collar is the half-width of the forgiveness collar around reference
// boundaries (pyannote collar=0.5, NIST md-eval -c 0.25).
const Collar = 0.25

// frameOf maps a time to its frame boundary: a segment [a, b) sets frames
// round(a/0.01) … round(b/0.01)−1.
func frameOf(t float64) int { return int(math.Round(t / Frame)) }

// Mask turns intervals into a boolean vector of n frames.
func Mask(iv []Interval, n int) []bool {
	m := make([]bool, n)
	for _, x := range iv {
		a, b := max(frameOf(x.Start), 0), min(frameOf(x.End), n)
		for k := a; k < b; k++ {
			m[k] = true
		}
	}
	return m
}

// collarMask marks frames within Collar of any boundary of the intervals.
func collarMask(iv []Interval, n int, into []bool) {
	w := frameOf(Collar)
	for _, x := range iv {
		for _, b := range []int{frameOf(x.Start), frameOf(x.End)} {
			for k := max(b-w, 0); k < min(b+w, n); k++ {
				into[k] = true
			}
		}
	}
}

// Detection is a frame-level detection score in seconds.
type Detection struct {
	RefS, HypS float64
	MissS, FAS float64
	DER        float64 // (miss + FA) / ref; NaN when ref is empty
	Precision  float64 // NaN when nothing was detected
	Recall     float64 // NaN when ref is empty
	F1         float64
	TalkErr    float64 // (hyp − ref) / ref, signed; NaN when ref is empty
	ErrS       float64 // hyp − ref, seconds
	ScoredS    float64 // seconds scored (outside the collar)
}

func detection(ref, hyp, skip []bool) Detection {
	var r, h, tp, scored int
	for k := range ref {
		if skip != nil && skip[k] {
			continue
		}
		scored++
		if ref[k] {
			r++
		}
		if hyp[k] {
			h++
		}
		if ref[k] && hyp[k] {
			tp++
		}
	}
	d := Detection{
		RefS: float64(r) * Frame, HypS: float64(h) * Frame,
		MissS: float64(r-tp) * Frame, FAS: float64(h-tp) * Frame,
		ScoredS: float64(scored) * Frame,
	}
	d.ErrS = d.HypS - d.RefS
	d.DER, d.Recall, d.TalkErr = math.NaN(), math.NaN(), math.NaN()
	d.Precision, d.F1 = math.NaN(), math.NaN()
	if r > 0 {
		d.DER = float64(r-tp+h-tp) / float64(r)
		d.Recall = float64(tp) / float64(r)
		d.TalkErr = float64(h-r) / float64(r)
	}
	if h > 0 {
		d.Precision = float64(tp) / float64(h)
	}
	if r > 0 && h > 0 && tp > 0 {
		d.F1 = 2 * d.Precision * d.Recall / (d.Precision + d.Recall)
	} else if r > 0 || h > 0 {
		d.F1 = 0
	}
	return d
}

// pool sums detections over channels.
func pool(ds []Detection) Detection {
	var p Detection
	var tp float64
	for _, d := range ds {
		p.RefS += d.RefS
		p.HypS += d.HypS
		p.MissS += d.MissS
		p.FAS += d.FAS
		p.ScoredS += d.ScoredS
		tp += d.RefS - d.MissS
	}
	p.ErrS = p.HypS - p.RefS
	p.DER, p.Recall, p.TalkErr, p.Precision, p.F1 = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
	if p.RefS > 0 {
		p.DER = (p.MissS + p.FAS) / p.RefS
		p.Recall = tp / p.RefS
		p.TalkErr = p.ErrS / p.RefS
	}
	if p.HypS > 0 {
		p.Precision = tp / p.HypS
	}
	if p.RefS > 0 && p.HypS > 0 && tp > 0 {
		p.F1 = 2 * p.Precision * p.Recall / (p.Precision + p.Recall)
	}
	return p
}

// Pair is a score with no collar and with the ±0.25 s collar.
type Pair struct {
	NoCollar Detection `json:"no_collar"`
	Collar   Detection `json:"collar"`
}

// SpeechScores is the talk-time, overlap and mutual-silence evaluation of
// one recording.
type SpeechScores struct {
	Channels  []Pair  `json:"channels"`
	Pooled    Pair    `json:"pooled"`
	Overlap   Pair    `json:"overlap"` // two or more channels talking
	Silence   Pair    `json:"silence"` // no channel talking
	DurationS float64 `json:"duration_s"`
}

// ScoreSpeech scores per-channel speech hyp against ref over a recording
// of duration seconds (anchors §4.1). ref and hyp must have the same
// number of channels. With one channel, overlap is empty.
func ScoreSpeech(ref, hyp [][]Interval, duration float64) SpeechScores {
	n := frameOf(duration)
	nch := len(ref)
	R := make([][]bool, nch)
	H := make([][]bool, nch)
	any := make([]bool, n) // collar near any channel's boundary
	out := SpeechScores{Channels: make([]Pair, nch), DurationS: duration}
	for c := range nch {
		R[c] = Mask(ref[c], n)
		var hc []Interval
		if c < len(hyp) {
			hc = hyp[c]
		}
		H[c] = Mask(hc, n)
		skip := make([]bool, n)
		collarMask(ref[c], n, skip)
		collarMask(ref[c], n, any)
		out.Channels[c] = Pair{NoCollar: detection(R[c], H[c], nil), Collar: detection(R[c], H[c], skip)}
	}
	var nc, cc []Detection
	for _, p := range out.Channels {
		nc = append(nc, p.NoCollar)
		cc = append(cc, p.Collar)
	}
	out.Pooled = Pair{NoCollar: pool(nc), Collar: pool(cc)}
	ro, ho := make([]bool, n), make([]bool, n)
	rs, hs := make([]bool, n), make([]bool, n)
	for k := range n {
		var a, b int
		for c := range nch {
			if R[c][k] {
				a++
			}
			if H[c][k] {
				b++
			}
		}
		ro[k], ho[k] = a >= 2, b >= 2
		rs[k], hs[k] = a == 0, b == 0
	}
	out.Overlap = Pair{NoCollar: detection(ro, ho, nil), Collar: detection(ro, ho, any)}
	out.Silence = Pair{NoCollar: detection(rs, hs, nil), Collar: detection(rs, hs, any)}
	return out
}
