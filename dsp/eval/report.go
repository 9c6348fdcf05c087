package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// SpeechRow is one line of the speech table: one channel, the pooled
// channels, the overlap mask or the mutual-silence mask of one recording
// as one system saw it.
type SpeechRow struct {
	Case   string `json:"case"`
	System string `json:"system"`
	Scope  string `json:"scope"` // "ch0", …, "pooled", "overlap", "silence"
	Pair
}

// DTMFRow is one line of the DTMF table.
type DTMFRow struct {
	Case   string    `json:"case"`
	System string    `json:"system"`
	Score  DTMFScore `json:"score"`
}

// Report collects the rows of an evaluation run.
type Report struct {
	Speech []SpeechRow `json:"speech"`
	DTMF   []DTMFRow   `json:"dtmf"`
	Checks []CheckRow  `json:"checks"`
	Notes  []string    `json:"notes"`
}

// AddSpeech appends the rows of one recording's speech scores.
func (r *Report) AddSpeech(name, system string, s SpeechScores) {
	for c, p := range s.Channels {
		r.Speech = append(r.Speech, SpeechRow{name, system, fmt.Sprintf("ch%d", c), p})
	}
	if len(s.Channels) > 1 {
		r.Speech = append(r.Speech, SpeechRow{name, system, "pooled", s.Pooled})
		r.Speech = append(r.Speech, SpeechRow{name, system, "overlap", s.Overlap})
	}
	r.Speech = append(r.Speech, SpeechRow{name, system, "silence", s.Silence})
}

// AddDTMF appends a DTMF score.
func (r *Report) AddDTMF(name, system string, s DTMFScore) {
	r.DTMF = append(r.DTMF, DTMFRow{name, system, s})
}

func fnum(v float64, prec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return fmt.Sprintf("%.*f", prec, v)
}

func fpct(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

// WriteTable renders the report as aligned text: the speech table (times
// in seconds; DER, precision, recall, F1 and the signed talk error in %;
// "±c" columns use the ±0.25 s collar), then the DTMF table, then notes.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(r.Speech) > 0 {
		fmt.Fprintln(tw, "case\tsystem\tscope\tref_s\thyp_s\tmiss_s\tfa_s\tDER\tmiss±c\tfa±c\tDER±c\tprec\trecall\tF1\tF1±c\terr\t")
		prev := ""
		for _, x := range r.Speech {
			k := x.Case + "\x00" + x.System
			if prev != "" && k != prev {
				fmt.Fprintln(tw)
			}
			prev = k
			n, c := x.NoCollar, x.Collar
			errCol := fpct(n.TalkErr)
			der, derc := fpct(n.DER), fpct(c.DER)
			if x.Scope == "overlap" || x.Scope == "silence" {
				errCol = fmt.Sprintf("%+.2fs", n.ErrS)
				der, derc = "-", "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
				x.Case, x.System, x.Scope, fnum(n.RefS, 2), fnum(n.HypS, 2), fnum(n.MissS, 2), fnum(n.FAS, 2), der,
				fnum(c.MissS, 2), fnum(c.FAS, 2), derc, fpct(n.Precision), fpct(n.Recall), fpct(n.F1), fpct(c.F1), errCol)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.DTMF) > 0 {
		if len(r.Speech) > 0 {
			fmt.Fprintln(w)
		}
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "case\tsystem\tref\tdetected\thits\tmisses\tfalse\tsplits\tstart_med_ms\tstart_p95_ms\tend_med_ms\tend_p95_ms\tsequence\t")
		for _, row := range r.DTMF {
			x := row.Score
			seq := "ok"
			if !x.SequenceOK {
				seq = fmt.Sprintf("got %d digits, want %d", len(x.Sequence), len(x.WantSequence))
			}
			hits, misses, falses, splits := fmt.Sprint(x.Hits), fmt.Sprint(x.Misses), fmt.Sprint(x.False), fmt.Sprint(x.Splits)
			if !x.TimesKnown {
				hits, misses, falses, splits = "-", "-", "-", "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
				row.Case, row.System, x.Ref, x.Detected, hits, misses, falses, splits,
				fnum(x.StartErrMedianMS, 1), fnum(x.StartErrP95MS, 1), fnum(x.EndErrMedianMS, 1), fnum(x.EndErrP95MS, 1), seq)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Checks) > 0 {
		fmt.Fprintln(w)
		if err := r.writeChecks(w); err != nil {
			return err
		}
	}
	for _, n := range r.Notes {
		if _, err := fmt.Fprintln(w, "note: "+n); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON renders the report as JSON; NaN (undefined ratios) becomes null.
// DTMF digit sequences are not written (they may be PINs on real calls).
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// MarshalJSON writes NaN and infinities as null.
func (d Detection) MarshalJSON() ([]byte, error) {
	var sb strings.Builder
	sb.WriteByte('{')
	for i, f := range []struct {
		k string
		v float64
	}{
		{"ref_s", d.RefS}, {"hyp_s", d.HypS}, {"miss_s", d.MissS}, {"fa_s", d.FAS}, {"der", d.DER},
		{"precision", d.Precision}, {"recall", d.Recall}, {"f1", d.F1}, {"talk_err", d.TalkErr},
		{"err_s", d.ErrS}, {"scored_s", d.ScoredS},
	} {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, "%q:%s", f.k, jnum(f.v))
	}
	sb.WriteByte('}')
	return []byte(sb.String()), nil
}

// MarshalJSON writes NaN as null and leaves out the digit sequences.
func (s DTMFScore) MarshalJSON() ([]byte, error) {
	m := map[string]any{
		"ref": s.Ref, "detected": s.Detected, "hits": s.Hits, "misses": s.Misses, "false": s.False, "splits": s.Splits,
		"start_err_median_ms": json.RawMessage(jnum(s.StartErrMedianMS)), "start_err_p95_ms": json.RawMessage(jnum(s.StartErrP95MS)),
		"end_err_median_ms": json.RawMessage(jnum(s.EndErrMedianMS)), "end_err_p95_ms": json.RawMessage(jnum(s.EndErrP95MS)),
		"sequence_ok": s.SequenceOK, "times_known": s.TimesKnown,
	}
	return json.Marshal(m)
}

func jnum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "null"
	}
	return fmt.Sprintf("%.6g", v)
}
