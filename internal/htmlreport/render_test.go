package htmlreport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

// hostileID is a recording id with characters that must be escaped.
const hostileID = `rec-"<script>alert(1)</script>&x`

// sampleReport is a day of three calls: a two-party call with a pause,
// DTMF, an interruption and flags; a three-party call; and a call with a
// hostile id and detail text.
func sampleReport() *Report {
	day := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	two := Call{
		CallSummary: CallSummary{RecordingID: "rec-pci", CallID: "call-1", Start: day, RecordedS: 60, Score: 30,
			Severity: "critical", FlagNames: []string{"dtmf_captured", "dead_air", "low_snr"}},
		End: day.Add(105 * time.Second), PausedS: 45, TalkS: 40, SilenceS: 20, OverlapS: 2, Channels: 2,
		Lanes: []Lane{
			{Channel: 0, Role: "agent", Kind: "communicationUser", Participant: "8:acs:5d9b7c1e_00000002-aaaa-0001"},
			{Channel: 1, Role: "customer", Kind: "phoneNumber", Participant: "4:+14255550123"},
		},
		Segments: []Span{{0, 0.5, 10}, {1, 9.5, 20}, {0, 22, 30}, {1, 41, 55}},
		Silences: []Silence{{30, 41, "dead_air"}, {20, 22, "gap"}},
		Overlaps: []Overlap{{9.5, 10, "interruption", 1, 0}},
		Pauses:   []Pause{{Offset: 12.5, Duration: 45, Start: day.Add(12500 * time.Millisecond)}},
		DTMF:     []Tone{{1, 14.0, 14.1, "4"}, {1, 14.2, 14.3, "1"}},
		Flags: []Flag{
			{Flag: "dtmf_captured", Severity: "critical", Channel: ptr(1), Value: 2, Start: ptr(14.0), Detail: "2 DTMF digit(s) on channel 1"},
			{Flag: "dead_air", Severity: "warning", Value: 11, Threshold: 10, Start: ptr(30.0), Detail: "silence of 11 s"},
			{Flag: "low_snr", Severity: "warning", Channel: ptr(0), Value: 3, Threshold: 15, Detail: "caller +14255550123 is noisy"},
		},
	}
	three := Call{
		CallSummary: CallSummary{RecordingID: "rec-conf", Start: day.Add(time.Hour), RecordedS: 30, Score: 80,
			Severity: "warning", FlagNames: []string{"overtalk"}},
		End: day.Add(time.Hour + 30*time.Second), TalkS: 28, SilenceS: 2, OverlapS: 4, Channels: 3,
		Lanes: []Lane{
			{Channel: 0, Role: "agent", Kind: "microsoftTeamsUser", Participant: "8:orgid:1234abcd"},
			{Channel: 1, Role: "customer", Kind: "phoneNumber", Participant: "4:+442071838750"},
			{Channel: 2, Role: "unknown", Kind: "unmapped"},
		},
		Segments: []Span{{0, 0, 12}, {1, 11, 20}, {2, 15, 15.6}, {0, 21, 29}},
		Overlaps: []Overlap{{11, 12, "overtalk", 1, 0}, {15, 15.6, "backchannel", 2, 1}},
		Flags:    []Flag{{Flag: "overtalk", Severity: "warning", Value: 0.14, Threshold: 0.1, Start: ptr(11.0)}},
	}
	bad := Call{
		CallSummary: CallSummary{RecordingID: hostileID, Start: day.Add(2 * time.Hour), RecordedS: 5, Score: 95,
			Severity: "info", FlagNames: []string{"short_recording"}},
		End: day.Add(2*time.Hour + 5*time.Second), TalkS: 3, Channels: 1,
		Lanes:    []Lane{{Channel: 0, Role: "bot", Kind: "microsoftTeamsApp", Participant: "28:</script><b>x"}},
		Segments: []Span{{0, 1, 4}},
		Flags:    []Flag{{Flag: "short_recording", Severity: "info", Value: 5, Threshold: 10, Detail: `</script><img src=x onerror=alert(1)>`}},
	}
	r := &Report{
		Selection: "date 2026-11-20", GeneratedAt: day.Add(24 * time.Hour), Version: "test", Data: "./data",
		Calls: []Call{two, three, bad}, TimelineCap: 3,
	}
	for _, c := range r.Calls {
		c.HasTimeline = true
		r.Worst = append(r.Worst, c.CallSummary)
		r.Overview.Calls++
		r.Overview.RecordedS += c.RecordedS
		r.Overview.Dist = append(r.Overview.Dist, CallPoint{Talk: c.TalkS / c.RecordedS, Score: c.Score})
	}
	r.Overview.Calls++ // one call beyond the cap
	r.Overview.Severities = []SeverityCount{{"critical", 1, 1}, {"warning", 3, 2}, {"info", 1, 1}}
	r.Overview.Flags = []FlagCount{{"critical", "dtmf_captured", 1, 1}, {"warning", "dead_air", 1, 1}}
	return r
}

func render(t *testing.T, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestMaskParticipant(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"4:+14255550123", "+•••••••0123"},
		{"+14255550123", "+•••••••0123"},
		{"4:+442071838750", "+••••••••8750"},
		{"8:acs:5d9b7c1e-3f2a_00000001-aaaa-4bbb-8ccc-000000000001", "8:acs:…0001"},
		{"8:orgid:1234abcd-ef", "8:orgid:…d-ef"},
		{"28:abc", "28:…"},
		{"", ""},
	} {
		if got := MaskParticipant(tc.in); got != tc.want {
			t.Errorf("MaskParticipant(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMaskText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"caller +14255550123 is noisy", "caller +•••••••0123 is noisy"},
		{"called 4255550123 twice", "called ••••••0123 twice"},
		{"on 2026-11-20 at 14:03, 1234567 samples", "on 2026-11-20 at 14:03, 1234567 samples"},
	} {
		if got := MaskText(tc.in); got != tc.want {
			t.Errorf("MaskText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		s    float64
		want string
	}{{0, "0.0 s"}, {42.46, "42.5 s"}, {65, "1 min 05 s"}, {7380, "2 h 03 min"}} {
		if got := FormatDuration(tc.s); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

// payload extracts and decodes the JSON the page's script draws from.
func payload(t *testing.T, page string) pageData {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="callscope-data">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no #callscope-data script in the page")
	}
	var d pageData
	if err := json.Unmarshal([]byte(m[1]), &d); err != nil {
		t.Fatalf("page data is not JSON: %v\n%.400s", err, m[1])
	}
	return d
}

func TestWriteEscapesAndMasks(t *testing.T) {
	r := sampleReport()
	r.Title = "QA of <the> day"
	page := render(t, r)
	if !strings.Contains(page, "<title>QA of &lt;the&gt; day — date 2026-11-20</title>") {
		t.Error("title missing or not escaped")
	}
	for _, bad := range []string{"<script>alert(1)", "<img src=x", "<b>x", "14255550123", "442071838750", "5550123"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	// The anchors keep the recording id text (HTML-escaped in the source).
	for _, id := range []string{"rec-pci", "rec-conf", hostileID} {
		re := regexp.MustCompile(`<article class="call" id="([^"]*)"`)
		found := false
		for _, m := range re.FindAllStringSubmatch(page, -1) {
			if html.UnescapeString(m[1]) == "call-"+id {
				found = true
			}
		}
		if !found {
			t.Errorf("no section with id call-%s", id)
		}
	}
	if !strings.Contains(page, "+•••••••0123") || !strings.Contains(page, "8:acs:…0001") {
		t.Error("masked participant ids missing")
	}
	d := payload(t, page)
	if len(d.Calls) != 3 || d.Calls[2].ID != hostileID {
		t.Fatalf("payload calls = %d, want 3 with the hostile id intact", len(d.Calls))
	}
	c := d.Calls[0]
	if len(c.Lanes) != 2 || len(c.Seg) != 4 || len(c.Ov) != 1 || len(c.Pz) != 1 || len(c.Dt) != 2 {
		t.Errorf("payload of call 0: %d lanes, %d segments, %d overlaps, %d pauses, %d digits", len(c.Lanes), len(c.Seg), len(c.Ov), len(c.Pz), len(c.Dt))
	}
	if len(c.Fl) != 2 {
		t.Errorf("payload of call 0 has %d timed flags, want 2 (the untimed one is only listed)", len(c.Fl))
	}
	for _, tone := range c.Dt {
		if tone[3] != "*" {
			t.Errorf("DTMF digit %v not masked", tone[3])
		}
	}
	if !strings.Contains(page, "whole call") {
		t.Error("untimed flag not listed as whole call")
	}
	if !strings.Contains(page, `id="timeline-cap"`) {
		t.Error("the cap note is missing although 4 calls were selected and 3 drawn")
	}
	if strings.Contains(page, "http://") && !strings.Contains(page, "http://www.w3.org/2000/svg") || strings.Contains(page, "https://") {
		t.Error("page refers to the network")
	}
}

func TestWriteShowDigits(t *testing.T) {
	r := sampleReport()
	r.ShowDigits = true
	d := payload(t, render(t, r))
	if got := d.Calls[0].Dt[0][3]; got != "4" {
		t.Errorf("ShowDigits: digit %v, want 4", got)
	}
}

func TestWriteEmpty(t *testing.T) {
	page := render(t, &Report{Selection: "date 2026-01-01", Data: "./data"})
	for _, want := range []string{`id="no-calls"`, "No calls", "date 2026-01-01"} {
		if !strings.Contains(page, want) {
			t.Errorf("empty page lacks %q", want)
		}
	}
	if strings.Contains(page, `class="call"`) {
		t.Error("empty page has a call section")
	}
}

// TestChromium opens pages in headless Chromium and checks what the script
// drew. Skipped without Chromium, except under CI=true.
func TestChromium(t *testing.T) {
	chromium := FindChromium()
	if chromium == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not found under CI=true (scripts/setup.sh test installs it)")
		}
		t.Skip("chromium not installed")
	}
	dir := t.TempDir()
	r := sampleReport()
	for _, tc := range []struct {
		name string
		r    *Report
	}{{"day", r}, {"empty", &Report{Selection: "date 2026-01-01"}}, {"large", bigDay(1000, 50)}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "large" && testing.Short() {
				t.Skip("short")
			}
			file := filepath.Join(dir, tc.name+".html")
			if err := os.WriteFile(file, []byte(render(t, tc.r)), 0o644); err != nil {
				t.Fatal(err)
			}
			dom, console, err := DumpDOM(t.Context(), chromium, file)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyDOM(dom, console, tc.r); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// bigDay is a day of n calls of 10 minutes with 400 segments, 40 overlaps,
// 30 silences and 5 flags each, of which the worst maxTimelines are drawn.
func bigDay(n, maxTimelines int) *Report {
	day := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	r := &Report{Selection: "date 2026-11-20", TimelineCap: maxTimelines}
	for i := 0; i < n; i++ {
		s := CallSummary{RecordingID: fmt.Sprintf("rec-%05d", i), Start: day.Add(time.Duration(i) * time.Minute),
			RecordedS: 600, Score: float64(i % 100), Severity: "warning", FlagNames: []string{"overtalk"}, HasTimeline: i < maxTimelines}
		r.Overview.Calls++
		r.Overview.Dist = append(r.Overview.Dist, CallPoint{Talk: 0.8, Silence: 0.2, Overlap: 0.05, Score: s.Score})
		if i < DefaultMaxWorst {
			r.Worst = append(r.Worst, s)
		}
		if i >= maxTimelines {
			continue
		}
		c := Call{CallSummary: s, End: s.Start.Add(600 * time.Second), Channels: 2,
			Lanes: []Lane{{Channel: 0, Role: "agent", Kind: "communicationUser"}, {Channel: 1, Role: "customer", Kind: "phoneNumber", Participant: "4:+14255550123"}}}
		for k := 0; k < 400; k++ {
			c.Segments = append(c.Segments, Span{k % 2, float64(k) * 1.5, float64(k)*1.5 + 1.2})
		}
		for k := 0; k < 40; k++ {
			c.Overlaps = append(c.Overlaps, Overlap{float64(k) * 15, float64(k)*15 + 0.5, "overtalk", k % 2, 1 - k%2})
		}
		for k := 0; k < 30; k++ {
			c.Silences = append(c.Silences, Silence{float64(k)*20 + 1, float64(k)*20 + 2.5, "gap"})
		}
		for k := 0; k < 5; k++ {
			c.Flags = append(c.Flags, Flag{Flag: "overtalk", Severity: "warning", Start: ptr(float64(k) * 100)})
		}
		r.Calls = append(r.Calls, c)
	}
	return r
}

// TestLargeDay checks that a day of 5000 calls, 200 of them drawn, stays a
// reasonable file.
func TestLargeDay(t *testing.T) {
	page := render(t, bigDay(5000, DefaultMaxTimelines))
	const limit = 8 << 20
	if len(page) > limit {
		t.Errorf("page of 5000 calls with 200 timelines is %d bytes, want < %d", len(page), limit)
	}
	if n := strings.Count(page, `<article class="call"`); n != DefaultMaxTimelines {
		t.Errorf("%d call sections, want %d", n, DefaultMaxTimelines)
	}
	if !strings.Contains(page, `id="timeline-cap"`) {
		t.Error("no cap note")
	}
	t.Logf("5000 calls, 200 timelines of 400 segments: %d bytes", len(page))
}
