package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/callscope/callscope/dsp"
)

func TestParseRTTM(t *testing.T) {
	in := `;; comment
SPEAKER rec 2 0.00 1.76 <NA> <NA> FEE013 <NA> <NA>

SPKR-INFO rec 1 <NA> <NA> <NA> unknown FEE013 <NA>
SPEAKER rec 4 29.78 14.70 <NA> <NA> FEE016 <NA> <NA>
`
	segs, err := ParseRTTM(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []RTTMSegment{{"rec", 2, 0, 1.76, "FEE013"}, {"rec", 4, 29.78, 14.70, "FEE016"}}
	if len(segs) != 2 || segs[0] != want[0] || segs[1] != want[1] {
		t.Errorf("segments = %+v", segs)
	}
	bad := []struct{ name, line string }{
		{"few fields", "SPEAKER rec 1 0.0 1.0"},
		{"bad channel", "SPEAKER rec x 0.0 1.0 <NA> <NA> A"},
		{"negative onset", "SPEAKER rec 1 -1 1.0 <NA> <NA> A"},
		{"NaN duration", "SPEAKER rec 1 0 NaN <NA> <NA> A"},
		{"huge onset", "SPEAKER rec 1 1e300 1 <NA> <NA> A"},
	}
	for _, b := range bad {
		_, err := ParseRTTM(strings.NewReader("SPEAKER rec 1 0 1 <NA> <NA> A\n" + b.line + "\n"))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != 2 {
			t.Errorf("%s: err = %v, want a ParseError on line 2", b.name, err)
		}
	}
}

func TestChannelMap(t *testing.T) {
	segs := []RTTMSegment{{Channel: 1, Speaker: "a", Onset: 0, Duration: 1}, {Channel: 1, Speaker: "b", Onset: 2, Duration: 1}, {Channel: 2, Speaker: "c", Onset: 0, Duration: 1}}
	iv, err := ChannelMap{}.Channels(segs, 2)
	if err != nil || len(iv[0]) != 2 || len(iv[1]) != 1 {
		t.Errorf("default map: %v %v", iv, err)
	}
	m, err := ParseChannelMap("b=1, 2=0")
	if err != nil {
		t.Fatal(err)
	}
	iv, err = m.Channels(segs, 2)
	if err != nil || len(iv[0]) != 2 || len(iv[1]) != 1 || iv[1][0].Start != 2 {
		t.Errorf("b=1,2=0: %v %v", iv, err)
	}
	if _, err := (ChannelMap{}).Channels(segs, 1); err == nil {
		t.Error("channel 2 of a mono recording accepted")
	}
	for _, s := range []string{"a", "=1", "a=x", "a=-1"} {
		if _, err := ParseChannelMap(s); err == nil {
			t.Errorf("ParseChannelMap(%q) accepted", s)
		}
	}
}

func TestMaskGrid(t *testing.T) {
	// [a, b) sets frames round(a/0.01) … round(b/0.01)−1.
	m := Mask([]Interval{{0.014, 0.026}, {0.094, 0.11}}, 12)
	want := []bool{false, true, true, false, false, false, false, false, false, true, true, false}
	for k := range want {
		if m[k] != want[k] {
			t.Fatalf("mask = %v, want %v", m, want)
		}
	}
}

func TestScoreSpeech(t *testing.T) {
	ref := [][]Interval{{{1, 3}}, {{2.5, 4}}}
	hyp := [][]Interval{{{1.1, 3.2}}, {{6, 6.5}}}
	s := ScoreSpeech(ref, hyp, 10)
	c0 := s.Channels[0].NoCollar
	if !close(c0.RefS, 2) || !close(c0.HypS, 2.1) || !close(c0.MissS, 0.1) || !close(c0.FAS, 0.2) ||
		!close(c0.DER, 0.15) || !close(c0.Precision, 1.9/2.1) || !close(c0.Recall, 0.95) || !close(c0.TalkErr, 0.05) {
		t.Errorf("ch0 no collar: %+v", c0)
	}
	// With the collar, frames within 0.25 s of 1 and 3 are not scored:
	// both errors fall inside it.
	c0c := s.Channels[0].Collar
	if c0c.MissS != 0 || c0c.FAS != 0 || !close(c0c.ScoredS, 9) {
		t.Errorf("ch0 collar: %+v", c0c)
	}
	c1 := s.Channels[1].NoCollar
	if !close(c1.MissS, 1.5) || !close(c1.FAS, 0.5) || !close(c1.DER, 2/1.5) {
		t.Errorf("ch1: %+v", c1)
	}
	p := s.Pooled.NoCollar
	if !close(p.RefS, 3.5) || !close(p.MissS, 1.6) || !close(p.FAS, 0.7) || !close(p.DER, 2.3/3.5) {
		t.Errorf("pooled: %+v", p)
	}
	// Reference overlap 2.5–3 (0.5 s); hypothesis has none.
	if o := s.Overlap.NoCollar; !close(o.RefS, 0.5) || o.HypS != 0 || !close(o.ErrS, -0.5) || o.Recall != 0 || o.F1 != 0 {
		t.Errorf("overlap: %+v", o)
	}
	// Reference silence: 0–1 and 4–10 = 7 s; hypothesis: 0–1.1, 3.2–6, 6.5–10.
	if si := s.Silence.NoCollar; !close(si.RefS, 7) || !close(si.HypS, 1.1+2.8+3.5) {
		t.Errorf("silence: %+v", si)
	}
	// Nothing detected, nothing to detect: NaN where undefined.
	e := ScoreSpeech([][]Interval{nil}, [][]Interval{nil}, 1)
	if !math.IsNaN(e.Channels[0].NoCollar.DER) || !math.IsNaN(e.Channels[0].NoCollar.Precision) {
		t.Errorf("empty: %+v", e.Channels[0].NoCollar)
	}
}

func close(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestParseDTMFTruthCorpus(t *testing.T) {
	f, err := os.Open("../../testdata/corpus/dtmf/derived/dtmf_truth.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := ParseDTMFTruth(f)
	if err != nil {
		t.Fatal(err)
	}
	ft, ok := tr.Lookup("x/testdata/corpus/dtmf/100by100at8000Hz/AAAABBBB.wav")
	if !ok || ft.Digits != "AAAABBBB" || len(ft.Tones) != 8 || ft.Tones[0].Digit != "A" {
		t.Errorf("AAAABBBB: %+v %v", ft, ok)
	}
	if _, ok := tr.Lookup("other/AAAABBBB.wav"); ok {
		t.Error("a different folder matched")
	}
	radio, ok := tr.Lookup("50by50at8000HzRadioOverlay/0123456789psABCD--0db.wav")
	if !ok || radio.Digits != "0123456789#*ABCD" || len(radio.Tones) != 0 {
		t.Errorf("radio: %+v %v", radio, ok)
	}

	g, err := os.Open("../../testdata/corpus/synthcall/synthcall_2ch.truth.json")
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	tr, err = ParseDTMFTruth(g)
	if err != nil {
		t.Fatal(err)
	}
	sc, ok := tr.Lookup("anything.wav")
	if !ok || sc.Digits != "4711#*9" || sc.Tones[5].Channel != 0 || sc.Tones[0].Channel != 1 || sc.Tones[0].Start != 14.37 {
		t.Errorf("synthcall: %+v", sc)
	}
}

func TestParseDTMFTruthRejects(t *testing.T) {
	for _, in := range []string{
		``, `"x"`, `{}`, `{"dtmf": [{"digit": "X", "start": 0, "end": 1}]}`,
		`{"dtmf": [{"digit": "1", "start": 2, "end": 1}]}`, `{"dtmf": [{"digit": "1"}]}`,
		`[{"tones": []}]`, `[{"file": "a.wav", "expected_digits": "12E"}]`,
		`{"dtmf": [{"digit": "1", "start": 0, "end": 1, "channel": -1}]}`,
	} {
		if _, err := ParseDTMFTruth(strings.NewReader(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestScoreDTMF(t *testing.T) {
	ref := DTMFFile{Digits: "47", Tones: []RefTone{{1, "4", 1.00, 1.08}, {1, "7", 1.16, 1.24}}}
	hyp := []dsp.Tone{
		{Channel: 1, Digit: '4', Start: 1.004, End: 1.05},
		{Channel: 1, Digit: '4', Start: 1.06, End: 1.081}, // split
		{Channel: 0, Digit: '7', Start: 1.16, End: 1.24},  // wrong channel: false
		{Channel: 1, Digit: '9', Start: 3, End: 3.1},      // false
	}
	s := ScoreDTMF(ref, hyp)
	if s.Hits != 1 || s.Misses != 1 || s.Splits != 1 || s.False != 2 || s.SequenceOK {
		t.Errorf("score %+v", s)
	}
	if !close(s.StartErrMedianMS, 4) || !close(s.EndErrMedianMS, 30) {
		t.Errorf("timing %+v", s)
	}
	seq := ScoreDTMF(DTMFFile{Digits: "12"}, []dsp.Tone{{Digit: '1'}, {Digit: '2'}})
	if !seq.SequenceOK || seq.TimesKnown || seq.Ref != 2 {
		t.Errorf("sequence only: %+v", seq)
	}
}

func TestReport(t *testing.T) {
	var r Report
	r.AddSpeech("case", "sys", ScoreSpeech([][]Interval{{{1, 2}}, {{1.5, 3}}}, [][]Interval{{{1, 2}}, nil}, 4))
	r.AddDTMF("case", "sys", ScoreDTMF(DTMFFile{Digits: "1"}, nil))
	r.Notes = append(r.Notes, "a note")
	var tb bytes.Buffer
	if err := r.WriteTable(&tb); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"pooled", "overlap", "silence", "DER±c", "start_med_ms", "note: a note"} {
		if !strings.Contains(tb.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, tb.String())
		}
	}
	var jb bytes.Buffer
	if err := r.WriteJSON(&jb); err != nil {
		t.Fatal(err)
	}
	var v struct {
		Speech []struct {
			Scope    string
			NoCollar map[string]any `json:"no_collar"`
		}
		DTMF []struct {
			Case  string
			Score map[string]any
		}
	}
	if err := json.Unmarshal(jb.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Speech) != 5 || v.DTMF[0].Case != "case" || v.DTMF[0].Score["start_err_median_ms"] != nil {
		t.Errorf("json: %s", jb.String())
	}
	if _, ok := v.DTMF[0].Score["sequence"]; ok {
		t.Error("json carries the digit sequence")
	}
}

func FuzzParseRTTM(f *testing.F) {
	for _, p := range []string{"ami/es2004a_750-810.rttm", "synthcall/synthcall_2ch.rttm", "pyannote/sample.rttm"} {
		b, err := os.ReadFile("../../testdata/corpus/" + p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("SPEAKER a 1 0 1 <NA> <NA> s\nSPEAKER")
	f.Fuzz(func(t *testing.T, in string) {
		segs, err := ParseRTTM(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, s := range segs {
			if s.Onset < 0 || s.Duration < 0 || math.IsNaN(s.Onset+s.Duration) || s.Channel < 0 {
				t.Fatalf("bad segment accepted: %+v", s)
			}
		}
		iv, err := ChannelMap{}.Channels(segs, 4)
		if err == nil {
			ScoreSpeech(iv, iv, 5)
		}
	})
}

func FuzzParseDTMFTruth(f *testing.F) {
	for _, p := range []string{"dtmf/derived/dtmf_truth.json", "synthcall/synthcall_2ch.truth.json"} {
		b, err := os.ReadFile("../../testdata/corpus/" + p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add(`{"dtmf":[{"channel":0,"digit":"1","start":0,"end":0.1}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		tr, err := ParseDTMFTruth(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, ft := range tr.Files {
			for _, tn := range ft.Tones {
				if tn.End < tn.Start || tn.Start < 0 || len(tn.Digit) != 1 {
					t.Fatalf("bad tone accepted: %+v", tn)
				}
			}
			ScoreDTMF(ft, []dsp.Tone{{Digit: '1', Start: 0, End: 1}})
		}
	})
}

func TestTargets(t *testing.T) {
	s := ScoreSpeech([][]Interval{{{1, 3}}, {{2.5, 4}}}, [][]Interval{{{1.1, 3.2}}, {{6, 6.5}}}, 10)
	for _, c := range []struct {
		metric string
		want   float64
	}{
		{"ch0.no_collar.der", 0.15}, {"each.no_collar.fa_s", 0.5}, {"pooled.collar.miss_s", s.Pooled.Collar.MissS},
		{"overlap.no_collar.abs_err_s", 0.5}, {"ch1.no_collar.abs_talk_err", 2.0 / 3},
	} {
		got, err := s.Value(c.metric)
		if err != nil || !close(got, c.want) {
			t.Errorf("%s = %g, %v; want %g", c.metric, got, err, c.want)
		}
	}
	for _, bad := range []string{"ch9.collar.der", "pooled.der", "pooled.collar.nope", "x.collar.der", "pooled.half.der"} {
		if _, err := s.Value(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	lo, hi := 0.4, 0.6
	var r Report
	if err := r.Check("c", "a", s, []Target{{What: "fa", Metric: "each.no_collar.fa_s", Max: &hi}, {What: "ovl", Metric: "overlap.no_collar.ref_s", Min: &lo, Max: &lo}}); err != nil {
		t.Fatal(err)
	}
	if r.Failed("a") != 1 || !r.Checks[0].Pass["a"] || r.Checks[1].Target != "0.4 … 0.4" {
		t.Errorf("checks %+v", r.Checks)
	}
	var b bytes.Buffer
	r.AddSpeech("c", "a", s)
	if err := r.WriteTable(&b); err != nil || !strings.Contains(b.String(), "✗") {
		t.Errorf("table: %v\n%s", err, b.String())
	}
	if err := r.WriteJSON(&b); err != nil {
		t.Error(err)
	}
}
