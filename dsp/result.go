package dsp

// MetricsVersion versions the metric definitions. Change it whenever a
// definition (not merely an implementation detail) changes; it is written to
// every row of the dataset.
const MetricsVersion = "1"

// FrameSeconds is the analysis grid: 10 ms frames.
const FrameSeconds = 0.010

// Segment is a stretch of speech on one channel, in seconds of audio.
type Segment struct {
	Channel    int
	Start, End float64
}

// Duration returns End-Start.
func (s Segment) Duration() float64 { return s.End - s.Start }

// SilenceKind classifies a mutual silence by its length.
type SilenceKind string

// Silence kinds: a gap is ≥ SilenceMin (1 s), non_talk ≥ NonTalkMin (3 s),
// dead_air ≥ DeadAirMin (10 s).
const (
	SilenceGap     SilenceKind = "gap"
	SilenceNonTalk SilenceKind = "non_talk"
	SilenceDeadAir SilenceKind = "dead_air"
)

// Silence is a mutual silence (no channel talking). Silences are cut at pause
// boundaries, so a paused span is never part of one.
type Silence struct {
	Start, End float64
	Kind       SilenceKind
}

// Duration returns End-Start.
func (s Silence) Duration() float64 { return s.End - s.Start }

// OverlapKind classifies an overlap event.
type OverlapKind string

// Overlap kinds, as defined in the design card §5.
const (
	OverlapInterruption OverlapKind = "interruption"
	OverlapOvertalk     OverlapKind = "overtalk"
	OverlapBackchannel  OverlapKind = "backchannel"
)

// Overlap is a stretch where two or more channels talk. By is the channel
// that started talking last (the newcomer: interrupter, back-channeller),
// Of the channel that was already talking.
type Overlap struct {
	Start, End float64
	Kind       OverlapKind
	By, Of     int
}

// Duration returns End-Start.
func (o Overlap) Duration() float64 { return o.End - o.Start }

// Tone is one DTMF digit detected on a channel. Start and End are the tone's
// estimated true edges, not the time it was confirmed. Digit is one of
// "0123456789*#ABCD"; callers mask it before storing unless the operator
// opted in.
type Tone struct {
	Channel    int
	Seq        int // 0-based order within the recording
	Digit      byte
	Start, End float64
	LevelDBm0  float64 // mean of the two tones' levels; full-scale sine = +3.14 dBm0
}

// Levels are per-channel signal levels, measured by LevelMeter. dBFS is
// 20·log10 of an RMS or peak value with full scale 1.0: a full-scale square
// wave is 0 dBFS and a full-scale sine −3.01 dBFS RMS (ITU-T dBov). Levels
// that do not exist are LevelFloorDBFS (−150), never −Inf or NaN.
type Levels struct {
	// SpeechLevelDBFS is the ITU-T P.56 active speech level (method B:
	// envelope τ = 30 ms, hangover 200 ms, margin 15.9 dB) in dBFS;
	// LevelFloorDBFS when there is no active speech.
	SpeechLevelDBFS float64
	// ActivityFactor is the P.56 activity factor (0..1).
	ActivityFactor float64
	NoiseFloorDBFS float64 // 10th percentile of 10 ms frame energy (digital-silence frames excluded)
	SNRDB          float64 // SpeechLevelDBFS - NoiseFloorDBFS; 0 without active speech
	PeakDBFS       float64
	ClippedRatio   float64 // share of samples at or within 1 LSB of full scale (ClipThreshold)
	DCOffset       float64 // mean sample value, in full-scale units (-1..1)
}

// ChannelResult holds one channel's metrics.
type ChannelResult struct {
	Channel           int
	TalkS             float64
	TalkShare         float64 // TalkS / recorded duration
	SpeechShare       float64 // TalkS / call TalkSumS
	Segments          int
	LongestMonologueS float64
	InterruptionsMade int
	Interrupted       int
	Backchannels      int
	Levels            Levels
	DTMFCount         int
}

// CallMetrics holds the call-level metrics.
type CallMetrics struct {
	DurationS       float64 // recorded audio, pauses excluded
	TalkS           float64 // union: someone talking
	TalkSumS        float64 // sum over channels
	SilenceS        float64 // no channel talking (pauses excluded)
	NonTalkS        float64 // total of silences ≥ NonTalkMin
	DeadAirCount    int
	DeadAirS        float64
	LongestSilenceS float64
	OverlapS        float64 // two or more channels talking
	OverlapCount    int     // overlap events ≥ MinOverlap
	Interruptions   int
	Turns           int
	DTMFCount       int
}

// Pause is a paused span on the audio timeline: the audio jumps over it at
// Offset seconds. Silences never span a pause.
type Pause struct {
	Offset   float64
	Duration float64 // seconds of wall-clock time not recorded
}

// Result is the analysis of one recording.
type Result struct {
	Channels   int
	SampleRate int
	Frames     int // 10 ms frames analyzed
	Call       CallMetrics
	PerChannel []ChannelResult // indexed by channel
	Segments   []Segment       // ordered by Start, then Channel
	Silences   []Silence       // mutual silences ≥ SilenceMin, ordered
	Overlaps   []Overlap       // overlap events ≥ MinOverlap, ordered
	Tones      []Tone          // DTMF, ordered by Start
	Pauses     []Pause
}
