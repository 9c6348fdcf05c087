package htmlreport

import (
	"math"
	"regexp"
	"strings"
	"time"
)

// DefaultMaxTimelines is how many calls get a timeline by default: the
// worst ones (lowest QA score first). The others appear in the overview
// only, and the page says so.
const DefaultMaxTimelines = 200

// DefaultMaxWorst is how many calls the overview's worst-calls table lists.
const DefaultMaxWorst = 25

// Report is everything the page shows.
type Report struct {
	Title       string    // page title; default "callscope report"
	Selection   string    // which calls: "date 2026-11-20", "all dates", ...
	GeneratedAt time.Time // when the page was written
	Version     string    // callscope version, shown in the footer
	Data        string    // the data root the report was built from

	Overview Overview
	// Worst lists the worst calls (lowest score first) for the overview.
	Worst []CallSummary
	// Calls are the calls drawn with a timeline, in page order (worst
	// first).
	Calls []Call
	// TimelineCap is the cap that was applied to Calls (0: none). When
	// Overview.Calls > len(Calls), the page says that only the worst
	// len(Calls) calls have a timeline.
	TimelineCap int
	// ShowDigits keeps DTMF digits as stored; by default Write masks every
	// digit as "*" even if the operator stored raw digits.
	ShowDigits bool
}

// Overview summarizes the selected calls.
type Overview struct {
	Calls         int
	FlaggedCalls  int
	RecordedS     float64
	PausedS       float64
	TalkS         float64
	SilenceS      float64
	OverlapS      float64
	DeadAirCalls  int
	DeadAirS      float64
	Interruptions int
	DTMFCalls     int // calls with at least one DTMF digit
	DTMFDigits    int
	MeanScore     float64 // meaningful when Calls > 0
	MinScore      float64
	// Severities counts raised flags per severity, highest first.
	Severities []SeverityCount
	// Flags counts each flag at each severity, highest severity first.
	Flags []FlagCount
	// Dist holds one point per selected call for the distribution charts.
	Dist []CallPoint
}

// SeverityCount is the number of flags raised at one severity.
type SeverityCount struct {
	Severity string
	Raised   int
	Calls    int
}

// FlagCount is one row of the flags-by-severity table.
type FlagCount struct {
	Severity string
	Flag     string
	Calls    int
	Raised   int
}

// CallPoint is one call in the distribution charts: shares of its
// recorded duration, and its QA score.
type CallPoint struct {
	Talk    float64 `json:"t"` // talk_s / recorded_s
	Silence float64 `json:"s"` // silence_s / recorded_s
	Overlap float64 `json:"o"` // overlap_s / recorded_s
	Score   float64 `json:"q"` // qa_score
}

// CallSummary is one call in a table.
type CallSummary struct {
	RecordingID string
	CallID      string
	Start       time.Time
	RecordedS   float64
	Score       float64
	Severity    string   // highest severity raised, "" without flags
	FlagNames   []string // names of the flags raised
	HasTimeline bool     // the page has a #call-<id> section for it
}

// Call is a call drawn with a timeline. Offsets are seconds into the
// recorded audio (pauses cut out), as in the dataset.
type Call struct {
	CallSummary
	CorrelationID string
	End           time.Time
	PausedS       float64
	TalkS         float64
	SilenceS      float64
	OverlapS      float64
	DeadAirCount  int
	Interruptions int
	Turns         int
	DTMFCount     int
	Chunks        int
	Channels      int
	SampleRate    int

	Lanes    []Lane
	Segments []Span
	Silences []Silence
	Overlaps []Overlap
	Pauses   []Pause
	DTMF     []Tone
	Flags    []Flag
}

// Lane is one participant (audio channel) of a call.
type Lane struct {
	Channel     int
	Role        string // agent, customer, bot, unknown
	Kind        string // participant kind: phoneNumber, communicationUser, ...
	Participant string // raw participant id; the page shows it masked (MaskParticipant)
	TalkS       float64
	TalkShare   float64
	Segments    int
	Interrupts  int // interruptions made
	Interrupted int
	LevelDBFS   float64
	SNRDB       float64
	DTMFCount   int
	OneWay      bool
}

// Span is one speech segment of a channel.
type Span struct {
	Channel    int
	Start, End float64
}

// Silence is a mutual silence: kind gap, non_talk or dead_air.
type Silence struct {
	Start, End float64
	Kind       string
}

// Overlap is an overlap event: kind interruption, overtalk or
// backchannel, started by channel By while channel Of was talking.
type Overlap struct {
	Start, End float64
	Kind       string
	By, Of     int
}

// Pause is a span cut out of the audio: at audio offset Offset the
// recording was paused for Duration wall-clock seconds.
type Pause struct {
	Offset   float64
	Duration float64
	Start    time.Time // wall clock at which the recording was paused
}

// Tone is one DTMF digit (masked unless the operator opted in).
type Tone struct {
	Channel    int
	Start, End float64
	Digit      string
}

// Flag is a QA flag raised on a call.
type Flag struct {
	Flag      string
	Severity  string
	Channel   *int
	Value     float64
	Threshold float64
	Start     *float64 // nil: the flag has no position
	Detail    string
}

// SeverityRank orders severities: critical 3, warning 2, info 1, other 0.
func SeverityRank(s string) int {
	switch s {
	case "critical":
		return 3
	case "warning":
		return 2
	case "info":
		return 1
	}
	return 0
}

// MaskParticipant returns a raw ACS participant id fit for a page: a phone
// number keeps only its last four digits ("4:+14255550123" becomes
// "+•••••••0123"), other ids keep their type prefix and last four
// characters ("8:acs:…_0001" becomes "8:acs:…0001"). An empty id gives "".
func MaskParticipant(id string) string {
	id = strings.TrimSpace(id)
	if id == "" {
		return ""
	}
	if strings.HasPrefix(id, "4:") || isPhone(id) {
		return maskPhone(strings.TrimPrefix(id, "4:"))
	}
	prefix := ""
	rest := id
	// Keep the type prefix: "8:acs:", "8:orgid:", "28:", ...
	if i := strings.Index(rest, ":"); i >= 0 && i < 4 {
		prefix, rest = rest[:i+1], rest[i+1:]
		if j := strings.Index(rest, ":"); j >= 0 && j < 12 {
			prefix, rest = prefix+rest[:j+1], rest[j+1:]
		}
	}
	r := []rune(rest)
	if len(r) <= 4 {
		return prefix + "…"
	}
	return prefix + "…" + string(r[len(r)-4:])
}

func isPhone(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if len(s) < 5 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && c != ' ' && c != '-' {
			return false
		}
	}
	return true
}

// maskPhone replaces every digit but the last four with "•".
func maskPhone(s string) string {
	digits := 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	var b strings.Builder
	seen := 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			seen++
			if seen <= digits-4 {
				b.WriteRune('•')
				continue
			}
		}
		b.WriteRune(c)
	}
	return b.String()
}

// phoneRE finds E.164-looking numbers in free text.
var phoneRE = regexp.MustCompile(`\+\d{7,15}|\b\d{10,15}\b`)

// MaskText masks phone-number-looking digit runs in free text such as a
// flag's detail ("+" and 7 or more digits, or 10 to 15 digits in a row),
// keeping their last four digits.
func MaskText(s string) string { return phoneRE.ReplaceAllStringFunc(s, maskPhone) }

// MaskDigit masks a DTMF digit for display.
func MaskDigit(d string) string {
	if d == "" {
		return ""
	}
	return strings.Repeat("*", len([]rune(d)))
}

// round2 rounds to 10 ms, the analysis grid.
func round2(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return math.Round(x*100) / 100
}

// round3 rounds a share.
func round3(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return math.Round(x*1000) / 1000
}
