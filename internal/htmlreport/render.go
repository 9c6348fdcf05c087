package htmlreport

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"
)

//go:embed page.html.tmpl
var pageTmpl string

//go:embed style.css
var styleCSS string

//go:embed report.js
var reportJS string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"dur":      FormatDuration,
	"clock":    func(t time.Time) string { return t.UTC().Format("15:04:05") },
	"datetime": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") + " UTC" },
	"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"pct":      pct,
	"share":    func(a, b float64) string { return pct(safeDiv(a, b)) },
	"num":      num,
	"sevclass": sevClass,
	"scoreclass": func(q float64) string {
		switch {
		case q < 50:
			return "score-bad"
		case q < 80:
			return "score-mid"
		}
		return "score-good"
	},
	"short":  shortID,
	"mask":   MaskText,
	"maskid": MaskParticipant,
	"at": func(p *float64) string {
		if p == nil {
			return ""
		}
		return fmt.Sprintf("%.2f s", *p)
	},
	"chan": func(p *int) string {
		if p == nil {
			return "call"
		}
		return fmt.Sprintf("ch %d", *p)
	},
	"untimed": func(fs []Flag) int {
		n := 0
		for _, f := range fs {
			if f.Start == nil {
				n++
			}
		}
		return n
	},
	"more":    func(a, b int) bool { return a > b },
	"flagset": flagSet,
	"join":    strings.Join,
}).Parse(pageTmpl))

// Write renders r as one self-contained HTML page.
func Write(w io.Writer, r *Report) error {
	v := view{Report: r, CSS: template.CSS(styleCSS), Script: template.JS(reportJS)}
	v.Title = r.Title
	if v.Title == "" {
		v.Title = "callscope QA report"
	}
	v.Payload = pageJSON(r)
	v.Capped = r.Overview.Calls > len(r.Calls)
	var b bytes.Buffer
	if err := page.Execute(&b, v); err != nil {
		return fmt.Errorf("render html report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

type view struct {
	*Report
	Title   string
	CSS     template.CSS
	Script  template.JS
	Payload pageData
	Capped  bool
}

// pageData is the JSON the page's script draws from. Arrays of arrays keep
// large days small.
type pageData struct {
	Dist  []CallPoint `json:"dist"`
	Calls []callJSON  `json:"calls"`
}

type callJSON struct {
	ID    string     `json:"id"`
	Start int64      `json:"start"` // wall clock of offset 0, Unix ms
	Dur   float64    `json:"dur"`   // recorded seconds
	Lanes []laneJSON `json:"lanes"`
	Seg   [][3]any   `json:"seg"` // channel, start, end
	Sil   [][3]any   `json:"sil"` // start, end, kind
	Ov    [][5]any   `json:"ov"`  // start, end, kind, by, of
	Pz    [][3]any   `json:"pz"`  // offset, duration, wall-clock start (Unix ms)
	Dt    [][4]any   `json:"dt"`  // channel, start, end, digit
	Fl    [][5]any   `json:"fl"`  // start, severity, flag, channel or null, detail
}

type laneJSON struct {
	Ch    int    `json:"ch"`
	Role  string `json:"role"`
	Kind  string `json:"kind"`
	Label string `json:"who"`
}

func pageJSON(r *Report) pageData {
	d := pageData{Dist: make([]CallPoint, 0, len(r.Overview.Dist)), Calls: make([]callJSON, 0, len(r.Calls))}
	for _, p := range r.Overview.Dist {
		d.Dist = append(d.Dist, CallPoint{Talk: round3(p.Talk), Silence: round3(p.Silence), Overlap: round3(p.Overlap), Score: round2(p.Score)})
	}
	for i := range r.Calls {
		c := &r.Calls[i]
		j := callJSON{ID: c.RecordingID, Start: c.Start.UnixMilli(), Dur: round2(c.RecordedS),
			Lanes: []laneJSON{}, Seg: [][3]any{}, Sil: [][3]any{}, Ov: [][5]any{}, Pz: [][3]any{}, Dt: [][4]any{}, Fl: [][5]any{}}
		for _, l := range c.Lanes {
			j.Lanes = append(j.Lanes, laneJSON{Ch: l.Channel, Role: l.Role, Kind: l.Kind, Label: MaskParticipant(l.Participant)})
		}
		for _, s := range c.Segments {
			j.Seg = append(j.Seg, [3]any{s.Channel, round2(s.Start), round2(s.End)})
		}
		for _, s := range c.Silences {
			j.Sil = append(j.Sil, [3]any{round2(s.Start), round2(s.End), s.Kind})
		}
		for _, o := range c.Overlaps {
			j.Ov = append(j.Ov, [5]any{round2(o.Start), round2(o.End), o.Kind, o.By, o.Of})
		}
		for _, p := range c.Pauses {
			j.Pz = append(j.Pz, [3]any{round2(p.Offset), round2(p.Duration), p.Start.UnixMilli()})
		}
		for _, t := range c.DTMF {
			dg := t.Digit
			if !r.ShowDigits {
				dg = MaskDigit(dg)
			}
			j.Dt = append(j.Dt, [4]any{t.Channel, round2(t.Start), round2(t.End), dg})
		}
		for _, f := range c.Flags {
			if f.Start == nil {
				continue
			}
			var ch any
			if f.Channel != nil {
				ch = *f.Channel
			}
			j.Fl = append(j.Fl, [5]any{round2(*f.Start), f.Severity, f.Flag, ch, MaskText(f.Detail)})
		}
		d.Calls = append(d.Calls, j)
	}
	return d
}

// FormatDuration formats seconds for people: "42.5 s", "3 min 05 s",
// "2 h 03 min".
func FormatDuration(s float64) string {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return "–"
	}
	switch {
	case s < 60:
		return fmt.Sprintf("%.1f s", s)
	case s < 3600:
		m := int(s) / 60
		return fmt.Sprintf("%d min %02d s", m, int(s)-60*m)
	}
	h := int(s) / 3600
	return fmt.Sprintf("%d h %02d min", h, (int(s)-3600*h)/60)
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func pct(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	return fmt.Sprintf("%.1f %%", 100*x)
}

func num(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	if x == math.Trunc(x) && math.Abs(x) < 1e9 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.3g", x)
}

func sevClass(s string) string {
	switch s {
	case "critical", "warning", "info":
		return "sev-" + s
	}
	return "sev-none"
}

// shortID shortens a long recording id for display (the full id is in the
// element's title and anchor).
func shortID(id string) string {
	r := []rune(id)
	if len(r) <= 28 {
		return id
	}
	return string(r[:12]) + "…" + string(r[len(r)-12:])
}

// flagSet groups a call's flags by name, keeping the highest severity
// (the flags arrive highest severity first).
func flagSet(fs []Flag) []FlagCount {
	var out []FlagCount
	idx := map[string]int{}
	for _, f := range fs {
		if i, ok := idx[f.Flag]; ok {
			out[i].Raised++
			if SeverityRank(f.Severity) > SeverityRank(out[i].Severity) {
				out[i].Severity = f.Severity
			}
			continue
		}
		idx[f.Flag] = len(out)
		out = append(out, FlagCount{Severity: f.Severity, Flag: f.Flag, Calls: 1, Raised: 1})
	}
	return out
}
