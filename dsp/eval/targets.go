package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// Target is a bound on one speech figure, checked per recording:
// Metric is "SCOPE.COLLAR.FIELD" with SCOPE ch0, ch1, …, "each" (every
// channel; the worst value counts), pooled, overlap or silence; COLLAR
// no_collar or collar; FIELD ref_s, hyp_s, miss_s, fa_s, der, precision,
// recall, f1, talk_err, err_s, abs_talk_err or abs_err_s.
type Target struct {
	What   string   `json:"what"`
	Metric string   `json:"metric"`
	Min    *float64 `json:"min,omitempty"`
	Max    *float64 `json:"max,omitempty"`
}

// CheckRow is one target checked for one recording, with the value each
// system reached.
type CheckRow struct {
	Case   string             `json:"case"`
	What   string             `json:"what"`
	Target string             `json:"target"`
	Values map[string]float64 `json:"values"` // by system; NaN when undefined
	Pass   map[string]bool    `json:"pass"`
}

// Value extracts a metric (see Target) from scores.
func (s SpeechScores) Value(metric string) (float64, error) {
	parts := strings.Split(metric, ".")
	if len(parts) != 3 {
		return 0, fmt.Errorf("metric %q: want SCOPE.COLLAR.FIELD", metric)
	}
	var pairs []Pair
	switch sc := parts[0]; {
	case sc == "pooled":
		pairs = []Pair{s.Pooled}
	case sc == "overlap":
		pairs = []Pair{s.Overlap}
	case sc == "silence":
		pairs = []Pair{s.Silence}
	case sc == "each":
		pairs = s.Channels
	case strings.HasPrefix(sc, "ch"):
		var c int
		if _, err := fmt.Sscanf(sc, "ch%d", &c); err != nil || c < 0 || c >= len(s.Channels) {
			return 0, fmt.Errorf("metric %q: no channel %s", metric, sc)
		}
		pairs = []Pair{s.Channels[c]}
	default:
		return 0, fmt.Errorf("metric %q: unknown scope %q", metric, sc)
	}
	worst := math.Inf(-1)
	for _, p := range pairs {
		var d Detection
		switch parts[1] {
		case "no_collar":
			d = p.NoCollar
		case "collar":
			d = p.Collar
		default:
			return 0, fmt.Errorf("metric %q: want no_collar or collar", metric)
		}
		var v float64
		switch parts[2] {
		case "ref_s":
			v = d.RefS
		case "hyp_s":
			v = d.HypS
		case "miss_s":
			v = d.MissS
		case "fa_s":
			v = d.FAS
		case "der":
			v = d.DER
		case "precision":
			v = d.Precision
		case "recall":
			v = d.Recall
		case "f1":
			v = d.F1
		case "talk_err":
			v = d.TalkErr
		case "abs_talk_err":
			v = math.Abs(d.TalkErr)
		case "err_s":
			v = d.ErrS
		case "abs_err_s":
			v = math.Abs(d.ErrS)
		default:
			return 0, fmt.Errorf("metric %q: unknown field %q", metric, parts[2])
		}
		if len(pairs) == 1 {
			return v, nil
		}
		worst = math.Max(worst, v)
	}
	return worst, nil
}

// Check records the targets of one recording for one system.
func (r *Report) Check(name, system string, s SpeechScores, targets []Target) error {
	for _, t := range targets {
		v, err := s.Value(t.Metric)
		if err != nil {
			return err
		}
		var row *CheckRow
		for i := range r.Checks {
			if r.Checks[i].Case == name && r.Checks[i].What == t.What {
				row = &r.Checks[i]
			}
		}
		if row == nil {
			r.Checks = append(r.Checks, CheckRow{Case: name, What: t.What, Target: t.String(),
				Values: map[string]float64{}, Pass: map[string]bool{}})
			row = &r.Checks[len(r.Checks)-1]
		}
		row.Values[system] = v
		row.Pass[system] = !math.IsNaN(v) && (t.Min == nil || v >= *t.Min) && (t.Max == nil || v <= *t.Max)
	}
	return nil
}

// String renders the bound: "≤ 0.3", "≥ 6.3", "6.3 … 12.3".
func (t Target) String() string {
	switch {
	case t.Min != nil && t.Max != nil:
		return fmt.Sprintf("%g … %g", *t.Min, *t.Max)
	case t.Max != nil:
		return fmt.Sprintf("≤ %g", *t.Max)
	case t.Min != nil:
		return fmt.Sprintf("≥ %g", *t.Min)
	}
	return "-"
}

// writeChecks renders the target table: one column per system, a ✓ or ✗
// after each value.
func (r *Report) writeChecks(w io.Writer) error {
	var systems []string
	seen := map[string]bool{}
	for _, c := range r.Checks {
		for _, s := range r.systems() {
			if _, ok := c.Values[s]; ok && !seen[s] {
				seen[s] = true
				systems = append(systems, s)
			}
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "case\ttarget\tbound\t%s\t\n", strings.Join(systems, "\t"))
	for _, c := range r.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t", c.Case, c.What, c.Target)
		for _, s := range systems {
			v, ok := c.Values[s]
			switch {
			case !ok:
				fmt.Fprint(tw, "\t")
			case c.Pass[s]:
				fmt.Fprintf(tw, "%s ✓\t", fnum(v, 3))
			default:
				fmt.Fprintf(tw, "%s ✗\t", fnum(v, 3))
			}
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// systems lists the systems in the order they first appear.
func (r *Report) systems() []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range r.Speech {
		if !seen[x.System] {
			seen[x.System] = true
			out = append(out, x.System)
		}
	}
	return out
}

// Failed counts the targets the named system misses.
func (r *Report) Failed(system string) int {
	n := 0
	for _, c := range r.Checks {
		if ok, has := c.Pass[system]; has && !ok {
			n++
		}
	}
	return n
}

// MarshalJSON writes undefined values (NaN) as null.
func (c CheckRow) MarshalJSON() ([]byte, error) {
	vals := map[string]any{}
	for k, v := range c.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			vals[k] = nil
		} else {
			vals[k] = v
		}
	}
	return json.Marshal(map[string]any{"case": c.Case, "what": c.What, "target": c.Target, "values": vals, "pass": c.Pass})
}
