package htmlreport

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"
)

// FuzzWrite renders a call with arbitrary recording id, participant id and
// flag detail: the page must hold the id intact in its anchor and JSON,
// never the raw strings as markup, and never a long digit run of the
// participant.
func FuzzWrite(f *testing.F) {
	f.Add("rec-1", "4:+14255550123", "caller +14255550123 is noisy")
	f.Add(hostileID, "8:acs:</script>", `</script><img src=x onerror=alert(1)>`)
	f.Add("a\"b'c&d<e>f", "28:\u2028x", "\x00\xff")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, id, participant, detail string) {
		// A tag of our own around the inputs must never reach the page as markup.
		id, detail = "<zq>"+id, detail+"<zq>"
		day := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
		r := &Report{Selection: "date 2026-11-20", Overview: Overview{Calls: 1, Dist: []CallPoint{{Talk: 0.5}}}}
		c := Call{CallSummary: CallSummary{RecordingID: id, Start: day, RecordedS: 10, HasTimeline: true},
			Lanes:    []Lane{{Channel: 0, Role: "customer", Kind: "phoneNumber", Participant: participant}},
			Segments: []Span{{0, 1, 2}},
			Flags:    []Flag{{Flag: "x", Severity: "info", Start: ptr(1.0), Detail: detail}, {Flag: "y", Severity: "info", Detail: detail}}}
		r.Calls = []Call{c}
		r.Worst = []CallSummary{c.CallSummary}
		var b bytes.Buffer
		if err := Write(&b, r); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		d := payload(t, page)
		if len(d.Calls) != 1 || d.Calls[0].ID != validUTF8(id) {
			t.Fatalf("payload id %q, want %q", d.Calls[0].ID, id)
		}
		m := regexp.MustCompile(`<article class="call" id="([^"]*)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatal("no call section")
		}
		nul := func(s string) string { return strings.ReplaceAll(validUTF8(s), "\x00", "\uFFFD") }
		if got := html.UnescapeString(m[1]); nul(got) != "call-"+nul(id) {
			t.Fatalf("anchor %q, want call-%q", got, id)
		}
		if strings.Contains(page, "<zq>") {
			t.Fatal("raw markup <zq> from the data in the page")
		}
		if digits := regexp.MustCompile(`\d{8,}`).FindString(participant); digits != "" && strings.HasPrefix(participant, "4:") && strings.Contains(page, digits) && !strings.Contains(id+detail, digits) {
			t.Fatalf("phone digits %q of the participant in the page", digits)
		}
	})
}

// validUTF8 replaces every invalid byte by U+FFFD, as encoding/json does.
func validUTF8(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}
