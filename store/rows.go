package store

import "time"

// Call is one row of the calls table: one per analyzed recording. Offsets
// and durations are seconds of recorded audio (chunks concatenated, paused
// spans cut out).
type Call struct {
	RecordingID     string
	CallID          string
	ServerCallID    string
	CorrelationID   string
	StartTime       time.Time // wall clock of the first audio sample; its UTC date is the partition
	EndTime         time.Time
	RecordedS       float64
	PausedS         float64
	Chunks          int
	Channels        int
	SampleRate      int
	TalkS           float64
	TalkSumS        float64
	SilenceS        float64
	NonTalkS        float64
	DeadAirCount    int
	DeadAirS        float64
	LongestSilenceS float64
	OverlapS        float64
	OverlapCount    int
	Interruptions   int
	Turns           int
	DTMFCount       int
	QAScore         float64
	QAFlags         []string // names of the raised flags; nil and empty both store []
	MetricsVersion  string
	AnalyzerVersion string
	AnalyzedAt      time.Time // identifies the analysis: the latest per recording wins
	Source          string    // "acs", "blob", "file", ...

	// Generation is 0 for rows written by a Writer and counts compactions;
	// callers leave it 0.
	Generation int
}

// Channel is one row of the channels table: one per audio channel.
type Channel struct {
	Channel           int
	ParticipantID     string // raw id ("4:+1425...", "8:acs:...")
	ParticipantKind   string // recording.IdentifierKind
	Role              string // "agent", "customer", "bot", ... or ""
	TalkS             float64
	TalkShare         float64
	SpeechShare       float64
	Segments          int
	LongestMonologueS float64
	InterruptionsMade int
	Interrupted       int
	Backchannels      int
	SpeechLevelDBFS   float64
	ActivityFactor    float64
	NoiseFloorDBFS    float64
	SNRDB             float64
	PeakDBFS          float64
	ClippedRatio      float64
	DCOffset          float64
	DTMFCount         int
	OneWay            bool

	common
}

// Segment is one row of the segments table: a stretch of speech.
type Segment struct {
	Channel   int
	StartS    float64
	EndS      float64
	StartTime time.Time
	common
}

// Silence is one row of the silences table: a mutual silence ≥ 1 s.
type Silence struct {
	StartS    float64
	EndS      float64
	DurationS float64 // filled from EndS-StartS when zero
	Kind      string  // gap, non_talk, dead_air
	StartTime time.Time
	common
}

// Overlap is one row of the overlaps table: an overlap event.
type Overlap struct {
	StartS    float64
	EndS      float64
	Kind      string // interruption, overtalk, backchannel
	ByChannel int    // the newcomer
	OfChannel int    // the channel already talking
	StartTime time.Time
	common
}

// DTMF is one row of the dtmf table: one detected digit. Digit is stored as
// given: the caller masks it ("*") unless the operator opted in to raw
// digits.
type DTMF struct {
	Channel   int
	Seq       int
	Digit     string
	StartS    float64
	EndS      float64
	LevelDBm0 float64
	StartTime time.Time
	common
}

// QAFlag is one row of the qa_flags table: one raised flag.
type QAFlag struct {
	Flag      string
	Severity  string // info, warning, critical
	Channel   *int   // nil for call-level flags
	Value     float64
	Threshold float64
	StartS    *float64 // nil when the flag has no position
	Detail    string
	common
}

// Pause is one row of the pauses table: a span cut out of the audio
// because the recording was paused.
type Pause struct {
	OffsetS   float64 // audio offset at which the audio jumps over the pause
	DurationS float64 // wall-clock seconds not recorded
	StartTime time.Time
	common
}

// RecordingEvent is one row of the recording_events table: a recording
// control action or a recording state change. Events are a log: the view
// keeps every distinct event (by EventID) instead of only the latest
// analysis.
type RecordingEvent struct {
	Time          time.Time // partition: its UTC date
	RecordingID   string
	ServerCallID  string
	CorrelationID string
	Event         string // e.g. Microsoft.Communication.RecordingStateChanged
	Action        string // start, pause, resume, stop, or ""
	Rule          string // the rule that decided the action, or ""
	Outcome       string // ok, failed, skipped, ...
	Detail        string
	// EventID identifies the event for deduplication (at-least-once
	// delivery may write one twice). When empty, AddEvents derives it from
	// the other fields.
	EventID string
	// AnalyzedAt is when the row was written (filled with the current time
	// when zero); AnalyzerVersion the writing program's version.
	AnalyzedAt      time.Time
	AnalyzerVersion string
	Generation      int
}

// common are the columns every child row shares with its calls row. Writer.Add
// fills them from Recording.Call; callers leave them zero.
type common struct {
	recordingID     string
	analyzedAt      time.Time
	analyzerVersion string
	generation      int
	metricsVersion  string // not a column: recorded in the file metadata
}

// Recording is one analysis of one recording: its calls row and child rows.
type Recording struct {
	Call     Call
	Channels []Channel
	Segments []Segment
	Silences []Silence
	Overlaps []Overlap
	DTMF     []DTMF
	QAFlags  []QAFlag
	Pauses   []Pause
}
