package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/callscope/callscope/dsp"
)

// MaxTruthBytes bounds a JSON truth file.
const MaxTruthBytes = 16 << 20

// RefTone is one reference DTMF tone.
type RefTone struct {
	Channel    int
	Digit      string
	Start, End float64
}

type jsonTone struct {
	Channel *int     `json:"channel"`
	Digit   string   `json:"digit"`
	Start   *float64 `json:"start"`
	End     *float64 `json:"end"`
}

// DTMFTruth is a parsed DTMF truth file: tones per recording file. A file
// that describes one recording (a "dtmf" list) has the single key "".
// Files is keyed by the path given in the truth file.
type DTMFTruth struct {
	Files map[string]DTMFFile
}

// DTMFFile is the truth for one recording.
type DTMFFile struct {
	Tones []RefTone
	// Digits is the expected digit sequence; for files whose tone times
	// are unknown (real captures) only the order can be scored.
	Digits string
}

// ParseDTMFTruth reads either format of the corpus:
//
//   - a list of {"file", "expected_digits", "tones": [{"digit", "start", "end"}]}
//     (testdata/corpus/dtmf/derived/dtmf_truth.json; channel 0);
//   - an object with a "dtmf" list of {"channel", "digit", "start", "end"}
//     (synthcall_2ch.truth.json).
func ParseDTMFTruth(r io.Reader) (*DTMFTruth, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxTruthBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read dtmf truth: %w", err)
	}
	if len(data) > MaxTruthBytes {
		return nil, fmt.Errorf("dtmf truth: larger than %d bytes", MaxTruthBytes)
	}
	t := &DTMFTruth{Files: map[string]DTMFFile{}}
	trim := bytes.TrimSpace(data)
	switch {
	case len(trim) > 0 && trim[0] == '[':
		var files []struct {
			File     string     `json:"file"`
			Expected string     `json:"expected_digits"`
			Tones    []jsonTone `json:"tones"`
		}
		if err := json.Unmarshal(trim, &files); err != nil {
			return nil, fmt.Errorf("dtmf truth: %w", err)
		}
		for i, f := range files {
			if f.File == "" {
				return nil, fmt.Errorf("dtmf truth: entry %d has no file", i)
			}
			tones, err := convTones(f.Tones)
			if err != nil {
				return nil, fmt.Errorf("dtmf truth: %s: %w", f.File, err)
			}
			if err := checkDigits(f.Expected); err != nil {
				return nil, fmt.Errorf("dtmf truth: %s: expected_digits: %w", f.File, err)
			}
			t.Files[f.File] = DTMFFile{Tones: tones, Digits: f.Expected}
		}
	case len(trim) > 0 && trim[0] == '{':
		var obj struct {
			DTMF *[]jsonTone `json:"dtmf"`
		}
		if err := json.Unmarshal(trim, &obj); err != nil {
			return nil, fmt.Errorf("dtmf truth: %w", err)
		}
		if obj.DTMF == nil {
			return nil, errors.New(`dtmf truth: object has no "dtmf" list`)
		}
		tones, err := convTones(*obj.DTMF)
		if err != nil {
			return nil, fmt.Errorf("dtmf truth: %w", err)
		}
		var digits strings.Builder
		for _, tn := range tones {
			digits.WriteString(tn.Digit)
		}
		t.Files[""] = DTMFFile{Tones: tones, Digits: digits.String()}
	default:
		return nil, errors.New("dtmf truth: want a JSON list or object")
	}
	return t, nil
}

func checkDigits(s string) error {
	for _, c := range s {
		if !strings.ContainsRune("0123456789*#ABCD", c) {
			return fmt.Errorf("%q is not a DTMF digit", c)
		}
	}
	return nil
}

func convTones(in []jsonTone) ([]RefTone, error) {
	out := make([]RefTone, 0, len(in))
	for i, j := range in {
		if len(j.Digit) != 1 || checkDigits(j.Digit) != nil {
			return nil, fmt.Errorf("tone %d: digit %q", i, j.Digit)
		}
		if j.Start == nil || j.End == nil {
			return nil, fmt.Errorf("tone %d: start and end are required", i)
		}
		s, e := *j.Start, *j.End
		if math.IsNaN(s) || math.IsNaN(e) || s < 0 || e < s || e > 7*24*3600 {
			return nil, fmt.Errorf("tone %d: bad interval [%g, %g)", i, s, e)
		}
		c := 0
		if j.Channel != nil {
			c = *j.Channel
		}
		if c < 0 || c > 1<<10 {
			return nil, fmt.Errorf("tone %d: channel %d", i, c)
		}
		out = append(out, RefTone{Channel: c, Digit: j.Digit, Start: s, End: e})
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Start < out[b].Start })
	return out, nil
}

// Lookup returns the truth for a recording path: the single entry of a
// one-recording file, or the entry whose file name is a path suffix of
// recording.
func (t *DTMFTruth) Lookup(recording string) (DTMFFile, bool) {
	if f, ok := t.Files[""]; ok && len(t.Files) == 1 {
		return f, true
	}
	rec := filepath.ToSlash(recording)
	for name, f := range t.Files {
		if name != "" && (rec == name || strings.HasSuffix(rec, "/"+name)) {
			return f, true
		}
	}
	return DTMFFile{}, false
}

// DTMFScore is the outcome of matching detected digits to the reference
// (anchors §4.2.1).
type DTMFScore struct {
	Ref, Detected          int
	Hits, Misses           int
	False, Splits          int
	StartErrMedianMS       float64 // |detected − reference| start, ms; NaN without hits
	StartErrP95MS          float64
	EndErrMedianMS         float64
	EndErrP95MS            float64
	Sequence, WantSequence string // digits in detection order / reference order
	SequenceOK             bool
	// TimesKnown is false when the reference has only the digit order (real
	// captures): then only the sequence is scored.
	TimesKnown bool
}

// ScoreDTMF matches detected tones to reference tones: same channel, same
// digit, overlapping intervals; each reference matches at most once, and
// further detections inside an already matched tone are splits. When ref
// has no times (only digits), only the sequence is compared.
func ScoreDTMF(ref DTMFFile, hyp []dsp.Tone) DTMFScore {
	s := DTMFScore{Ref: len(ref.Tones), Detected: len(hyp), WantSequence: ref.Digits}
	var seq strings.Builder
	for _, h := range hyp {
		seq.WriteByte(h.Digit)
	}
	s.Sequence = seq.String()
	s.SequenceOK = s.Sequence == s.WantSequence
	s.TimesKnown = len(ref.Tones) > 0
	if len(ref.Tones) == 0 {
		s.Ref = len(ref.Digits)
		s.StartErrMedianMS, s.StartErrP95MS = math.NaN(), math.NaN()
		s.EndErrMedianMS, s.EndErrP95MS = math.NaN(), math.NaN()
		return s
	}
	matched := make([]bool, len(ref.Tones))
	var startErr, endErr []float64
	for _, h := range hyp {
		found := -1
		split := false
		for i, r := range ref.Tones {
			if r.Channel != h.Channel || r.Digit[0] != h.Digit || h.End <= r.Start || h.Start >= r.End {
				continue
			}
			if matched[i] {
				split = true
				continue
			}
			found = i
			break
		}
		switch {
		case found >= 0:
			matched[found] = true
			s.Hits++
			startErr = append(startErr, math.Abs(h.Start-ref.Tones[found].Start)*1000)
			endErr = append(endErr, math.Abs(h.End-ref.Tones[found].End)*1000)
		case split:
			s.Splits++
		default:
			s.False++
		}
	}
	s.Misses = s.Ref - s.Hits
	s.StartErrMedianMS, s.StartErrP95MS = quantile(startErr, 0.5), quantile(startErr, 0.95)
	s.EndErrMedianMS, s.EndErrP95MS = quantile(endErr, 0.5), quantile(endErr, 0.95)
	return s
}

// quantile returns the q-quantile (nearest rank) of xs, NaN when empty.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	k := int(math.Ceil(q*float64(len(s)))) - 1
	k = max(0, min(k, len(s)-1))
	return s[k]
}
