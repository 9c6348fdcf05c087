package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

var day0 = time.Date(2026, 11, 20, 9, 30, 0, 123456000, time.UTC)

func intp(v int) *int                   { return &v }
func f64p(v float64) *float64           { return &v }
func ctxT(t testing.TB) context.Context { return t.Context() }

// sampleRecording returns a small, fully populated analysis.
func sampleRecording(id string, start, analyzed time.Time) *Recording {
	return &Recording{
		Call: Call{
			RecordingID: id, CallID: "call-" + id, ServerCallID: "srv-" + id, CorrelationID: "corr-" + id,
			StartTime: start, EndTime: start.Add(95 * time.Second),
			RecordedS: 50, PausedS: 45, Chunks: 1, Channels: 2, SampleRate: 16000,
			TalkS: 30, TalkSumS: 33.5, SilenceS: 20, NonTalkS: 12, DeadAirCount: 1, DeadAirS: 10.5,
			LongestSilenceS: 10.5, OverlapS: 3.5, OverlapCount: 2, Interruptions: 1, Turns: 7, DTMFCount: 2,
			QAScore: 72.5, QAFlags: []string{"dead_air", "one_way_audio"},
			MetricsVersion: "1", AnalyzerVersion: "test-1.0", AnalyzedAt: analyzed, Source: "file",
		},
		Channels: []Channel{
			{Channel: 0, ParticipantID: "4:+14255550123", ParticipantKind: "phoneNumber", Role: "customer", TalkS: 20, TalkShare: 0.4, SpeechShare: 0.6, Segments: 5, LongestMonologueS: 8, InterruptionsMade: 1, Backchannels: 1, SpeechLevelDBFS: -26, ActivityFactor: 0.4, NoiseFloorDBFS: -70, SNRDB: 44, PeakDBFS: -3, ClippedRatio: 0, DCOffset: 0.001, DTMFCount: 2},
			{Channel: 1, ParticipantID: "8:acs:agent-" + id, ParticipantKind: "communicationUser", Role: "agent", TalkS: 13.5, TalkShare: 0.27, SpeechShare: 0.4, Segments: 4, LongestMonologueS: 5, Interrupted: 1, SpeechLevelDBFS: -30, NoiseFloorDBFS: -72, SNRDB: 42, PeakDBFS: -6, OneWay: true},
		},
		Segments: []Segment{
			{Channel: 0, StartS: 0.5, EndS: 4.25, StartTime: start.Add(500 * time.Millisecond)},
			{Channel: 1, StartS: 4.0, EndS: 9, StartTime: start.Add(4 * time.Second)},
			{Channel: 0, StartS: 12.5, EndS: 20, StartTime: start.Add(57500 * time.Millisecond)},
		},
		Silences: []Silence{{StartS: 9, EndS: 12.5, Kind: "non_talk", StartTime: start.Add(9 * time.Second)}, {StartS: 20, EndS: 30.5, Kind: "dead_air", StartTime: start.Add(65 * time.Second)}},
		Overlaps: []Overlap{{StartS: 4, EndS: 4.25, Kind: "interruption", ByChannel: 1, OfChannel: 0, StartTime: start.Add(4 * time.Second)}},
		DTMF: []DTMF{
			{Channel: 0, Seq: 0, Digit: "*", StartS: 10, EndS: 10.1, LevelDBm0: -12.5, StartTime: start.Add(10 * time.Second)},
			{Channel: 0, Seq: 1, Digit: "*", StartS: 10.3, EndS: 10.4, LevelDBm0: -12.75, StartTime: start.Add(10300 * time.Millisecond)},
		},
		QAFlags: []QAFlag{
			{Flag: "dead_air", Severity: "warning", Value: 10.5, Threshold: 10, StartS: f64p(20), Detail: "10.5 s of dead air"},
			{Flag: "one_way_audio", Severity: "critical", Channel: intp(1), Value: 0, Threshold: 0, Detail: "agent never talks"},
		},
		Pauses: []Pause{{OffsetS: 12.5, DurationS: 45, StartTime: start.Add(12500 * time.Millisecond)}},
	}
}

// genRecording returns a synthetic analysis with n segments per channel,
// deterministic for a seed.
func genRecording(r *rand.Rand, i int, start, analyzed time.Time) *Recording {
	id := fmt.Sprintf("rec-%07d", i)
	rec := sampleRecording(id, start, analyzed)
	rec.Call.QAScore = float64(r.IntN(101))
	flags := []string{"dead_air", "one_way_audio", "low_snr", "clipping", "long_hold", "overtalk"}
	sev := []string{"info", "warning", "critical"}
	rec.QAFlags = rec.QAFlags[:0]
	rec.Call.QAFlags = nil
	for k := 0; k < r.IntN(3); k++ {
		f := flags[r.IntN(len(flags))]
		rec.Call.QAFlags = append(rec.Call.QAFlags, f)
		rec.QAFlags = append(rec.QAFlags, QAFlag{Flag: f, Severity: sev[r.IntN(3)], Value: r.Float64() * 20, Threshold: 10, Detail: "generated"})
	}
	rec.Segments = rec.Segments[:0]
	t := 0.0
	for k := 0; k < 10; k++ {
		d := 0.5 + r.Float64()*5
		rec.Segments = append(rec.Segments, Segment{Channel: k % 2, StartS: t, EndS: t + d, StartTime: start.Add(time.Duration(t * float64(time.Second)))})
		t += d + r.Float64()
	}
	return rec
}
