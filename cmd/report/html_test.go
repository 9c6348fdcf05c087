package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/callscope/callscope/internal/htmlreport"
	"github.com/callscope/callscope/pipeline"
	"github.com/callscope/callscope/store"
)

// analyzeDemo runs the demo recordings (testdata/recordings) through the
// real analysis pipeline into a lake under a temporary data root.
func analyzeDemo(t *testing.T) string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("..", "..", "testdata", "recordings", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no demo recordings: %v", err)
	}
	an, err := pipeline.New(pipeline.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	w, err := store.NewWriter(root, store.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		in, err := pipeline.Open(d)
		if err != nil {
			t.Fatal(err)
		}
		out, err := an.Analyze(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Add(out.Rows); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestReportHTMLDemo(t *testing.T) {
	root := analyzeDemo(t)
	page := filepath.Join(t.TempDir(), "report.html")
	if _, stderr, code := runReport(t, "--data", root, "--quiet", "html", "-o", page, "--date", "2026-11-20"); code != 0 {
		t.Fatalf("report html: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)

	// Every call has its anchor, and every link of report qa resolves.
	ids, _, code := runReport(t, "--data", root, "sql", "--format", "csv", "SELECT recording_id FROM calls ORDER BY 1")
	if code != 0 {
		t.Fatal("report sql failed")
	}
	recs := strings.Fields(ids)[1:]
	if len(recs) != 2 {
		t.Fatalf("demo dataset has %d calls, want 2", len(recs))
	}
	for _, id := range recs {
		if !strings.Contains(src, `id="call-`+id+`"`) {
			t.Errorf("no section id=call-%s", id)
		}
	}
	out, stderr, _ := runReport(t, "--data", root, "qa", "--date", "2026-11-20", "--only", "worst", "--format", "json", "--link", "report.html")
	var worst []map[string]any
	if err := json.Unmarshal([]byte(out), &worst); err != nil {
		t.Fatalf("report qa json: %v: %s %s", err, out, stderr)
	}
	if len(worst) == 0 {
		t.Fatal("report qa lists no worst call on the demo day")
	}
	for _, w := range worst {
		link, _ := w["link"].(string)
		anchor, ok := strings.CutPrefix(link, "report.html#")
		if !ok || !strings.Contains(src, `id="`+anchor+`"`) {
			t.Errorf("report qa link %q has no target in the page", link)
		}
	}
	// The customer's phone number is masked; the pause of the
	// synthcall_bleed recording is drawn with its wall-clock duration.
	if strings.Contains(src, "14255550123") || !strings.Contains(src, "+•••••••0123") {
		t.Error("phone number not masked as +•••••••0123")
	}
	if !regexp.MustCompile(`"pz":\s*\[\[12\.5,45,`).MatchString(src) {
		t.Error("the 45 s pause at 12.5 s is not in the page data")
	}

	// Headless Chromium draws what the dataset holds.
	chromium := htmlreport.FindChromium()
	if chromium == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not found under CI=true")
		}
		t.Skip("chromium not installed")
	}
	db, err := store.Open(t.Context(), root, store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f, err := newCallFilter("2026-11-20", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := loadHTMLReport(t.Context(), db, f, htmlOptions{MaxTimelines: 200, MaxWorst: 25})
	if err != nil {
		t.Fatal(err)
	}
	dom, console, err := htmlreport.DumpDOM(t.Context(), chromium, page)
	if err != nil {
		t.Fatal(err)
	}
	if err := htmlreport.VerifyDOM(dom, console, rep); err != nil {
		t.Error(err)
	}
	if n := strings.Count(dom, `class="lane"`); n != 6 {
		t.Errorf("lanes drawn: %d, want 6 (4 + 2 channels)", n)
	}
}

func TestReportHTMLCapAndEmpty(t *testing.T) {
	root := t.TempDir()
	writeLake(t, root, qaCalls(), time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC))
	dir := t.TempDir()

	// Three calls on the day, timelines capped at one: the worst.
	page := filepath.Join(dir, "capped.html")
	if _, stderr, code := runReport(t, "--data", root, "--quiet", "html", "-o", page, "--date", "2026-11-20", "--max-timelines", "1"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(page)
	src := string(b)
	if n := strings.Count(src, `<article class="call"`); n != 1 {
		t.Errorf("%d call sections, want 1", n)
	}
	if !strings.Contains(src, `id="call-rec-pci"`) || !strings.Contains(src, `id="timeline-cap"`) {
		t.Error("want the worst call (rec-pci) drawn and the cap note")
	}
	if !strings.Contains(src, `<b id="kpi-calls">3</b>`) {
		t.Error("overview does not count the 3 calls of the day")
	}

	// A day without calls, and an empty data root: a clear page, exit 0.
	for _, tc := range []struct{ name, data string }{{"noday", root}, {"nolake", t.TempDir()}} {
		page := filepath.Join(dir, tc.name+".html")
		if _, stderr, code := runReport(t, "--data", tc.data, "--quiet", "html", "-o", page, "--date", "2020-01-01"); code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.name, code, stderr)
		}
		b, _ := os.ReadFile(page)
		if !strings.Contains(string(b), `id="no-calls"`) {
			t.Errorf("%s: no 'No calls' section", tc.name)
		}
	}

	// Usage errors.
	for _, args := range [][]string{{"html"}, {"html", "-o", "x.html", "--date", "20-11-2026"}, {"html", "-o", "x.html", "--max-timelines", "-1"}} {
		if _, _, code := runReport(t, append([]string{"--data", root}, args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
