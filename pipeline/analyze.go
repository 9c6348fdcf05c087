package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/callscope/callscope/dsp"
	"github.com/callscope/callscope/internal/version"
	"github.com/callscope/callscope/quality"
	"github.com/callscope/callscope/recording"
	"github.com/callscope/callscope/store"
)

// MaskedDigit replaces every DTMF digit in the dataset unless the operator
// opted in to storing digits: card numbers and PINs must not be kept.
const MaskedDigit = "X"

// Options configure an Analyzer.
type Options struct {
	DSP     dsp.Options
	Quality quality.Config
	// StoreDigits keeps raw DTMF digits in the dtmf table (default false:
	// digits are masked as MaskedDigit).
	StoreDigits bool
	// AnalyzerVersion is stamped into every row; default version.String().
	AnalyzerVersion string
	// Now returns the analysis time (analyzed_at); default time.Now.
	Now func() time.Time
	// Logger receives warnings (quality rules that failed to evaluate);
	// default: discard.
	Logger *slog.Logger
}

// DefaultOptions returns the defaults of every stage.
func DefaultOptions() Options {
	return Options{DSP: dsp.DefaultOptions(), Quality: quality.DefaultConfig()}
}

// Analyzer runs recordings through dsp, quality and the row mapping. It is
// safe for concurrent use.
type Analyzer struct {
	opts Options
	eval *quality.Evaluator
}

// New compiles the quality configuration (CEL rules) and returns an
// Analyzer.
func New(opts Options) (*Analyzer, error) {
	if opts.AnalyzerVersion == "" {
		opts.AnalyzerVersion = version.String()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.DSP.Workers <= 0 {
		opts.DSP.Workers = runtime.NumCPU()
	}
	ev, err := quality.NewEvaluator(opts.Quality)
	if err != nil {
		return nil, fmt.Errorf("quality configuration: %w", err)
	}
	return &Analyzer{opts: opts, eval: ev}, nil
}

// Output is the analysis of one recording.
type Output struct {
	Input    *Input
	Result   *dsp.Result
	Verdict  quality.Verdict
	Timeline *recording.Timeline
	Rows     *store.Recording
}

// Analyze streams in through every stage and maps the outcome to rows.
func (a *Analyzer) Analyze(ctx context.Context, in *Input) (*Output, error) {
	tl, err := in.Timeline()
	if err != nil {
		return nil, err
	}
	src, closeAll, err := in.source()
	if err != nil {
		return nil, err
	}
	defer closeAll()
	var pauses []dsp.Pause
	for _, p := range tl.Pauses() {
		pauses = append(pauses, dsp.Pause{Offset: p.Offset, Duration: p.Duration.Seconds()})
	}
	res, err := dsp.Analyze(ctx, src, pauses, a.opts.DSP)
	if err != nil {
		return nil, &Error{Path: in.Path, Stage: "analyze", Err: err}
	}
	parts := in.participants()
	qin := quality.Input{
		Result:       res,
		Participants: parts,
		Chunks:       len(in.Chunks),
		Complete:     in.complete(),
		PausedS:      tl.PausedSeconds(),
	}
	if in.Folder != nil {
		_, qin.MissingChunks, _ = quality.ChunkState(in.Folder.Manifest.Chunks)
	}
	verdict := a.eval.Evaluate(qin)
	for _, err := range verdict.Errors {
		a.opts.Logger.Warn("quality rule failed on this recording; it did not match", "input", in.Path, "err", err)
	}
	out := &Output{Input: in, Result: res, Verdict: verdict, Timeline: tl}
	out.Rows = a.rows(in, res, verdict, tl, parts)
	return out, nil
}

// complete reports whether the recording has all its chunks. A bare WAV, or
// a folder whose manifest does not know, counts as complete when its chunk
// indices are contiguous from 0.
func (in *Input) complete() bool {
	if in.Folder == nil {
		return true
	}
	if in.Folder.Manifest.Complete {
		return true
	}
	// Without end reasons (a hand-made folder), contiguity is what we can check.
	for i, c := range in.Chunks {
		if c.Index != int64(i) {
			return false
		}
	}
	for _, c := range in.Folder.Manifest.Chunks {
		if c.EndReason != "" {
			return recording.IsComplete(in.Folder.Manifest.Chunks)
		}
	}
	return true
}

// participants maps each channel to its participant, taking the first chunk
// whose metadata names one (the mapping is per chunk in ACS; callscope
// reports the first).
func (in *Input) participants() []quality.Participant {
	n := in.Channels()
	out := make([]quality.Participant, n)
	for ch := range n {
		out[ch] = quality.Participant{Channel: ch, Kind: string(recording.KindUnknown)}
		for _, c := range in.Chunks {
			if c.Metadata == nil {
				continue
			}
			if p, ok := c.Metadata.ChannelParticipant(ch); ok {
				out[ch].ID = p.ParticipantID
				out[ch].Kind = string(p.Kind())
				break
			}
		}
	}
	return out
}

func (a *Analyzer) rows(in *Input, res *dsp.Result, v quality.Verdict, tl *recording.Timeline, parts []quality.Participant) *store.Recording {
	now := a.opts.Now().UTC()
	var callID, serverCallID, correlationID string
	if f := in.Folder; f != nil {
		callID, serverCallID, correlationID = f.Manifest.CallID, f.Manifest.ServerCallID, f.Manifest.CorrelationID
	}
	c := res.Call
	rec := &store.Recording{Call: store.Call{
		RecordingID: in.RecordingID, CallID: callID, ServerCallID: serverCallID, CorrelationID: correlationID,
		StartTime: tl.Start().UTC(), EndTime: tl.End().UTC(),
		RecordedS: c.DurationS, PausedS: tl.PausedSeconds(),
		Chunks: len(in.Chunks), Channels: res.Channels, SampleRate: res.SampleRate,
		TalkS: c.TalkS, TalkSumS: c.TalkSumS, SilenceS: c.SilenceS, NonTalkS: c.NonTalkS,
		DeadAirCount: c.DeadAirCount, DeadAirS: c.DeadAirS, LongestSilenceS: c.LongestSilenceS,
		OverlapS: c.OverlapS, OverlapCount: c.OverlapCount, Interruptions: c.Interruptions, Turns: c.Turns,
		DTMFCount: c.DTMFCount, QAScore: v.Score, QAFlags: v.FlagNames(),
		MetricsVersion: dsp.MetricsVersion, AnalyzerVersion: a.opts.AnalyzerVersion, AnalyzedAt: now,
		Source: in.Source,
	}}
	for _, ch := range res.PerChannel {
		role, oneWay := "unknown", false
		if ch.Channel < len(v.Roles) {
			role = v.Roles[ch.Channel]
		}
		if ch.Channel < len(v.OneWay) {
			oneWay = v.OneWay[ch.Channel]
		}
		p := parts[ch.Channel]
		l := ch.Levels
		rec.Channels = append(rec.Channels, store.Channel{
			Channel: ch.Channel, ParticipantID: p.ID, ParticipantKind: p.Kind, Role: role,
			TalkS: ch.TalkS, TalkShare: ch.TalkShare, SpeechShare: ch.SpeechShare, Segments: ch.Segments,
			LongestMonologueS: ch.LongestMonologueS, InterruptionsMade: ch.InterruptionsMade, Interrupted: ch.Interrupted,
			Backchannels: ch.Backchannels, SpeechLevelDBFS: l.SpeechLevelDBFS, ActivityFactor: l.ActivityFactor,
			NoiseFloorDBFS: l.NoiseFloorDBFS, SNRDB: l.SNRDB, PeakDBFS: l.PeakDBFS, ClippedRatio: l.ClippedRatio,
			DCOffset: l.DCOffset, DTMFCount: ch.DTMFCount, OneWay: oneWay,
		})
	}
	for _, s := range res.Segments {
		rec.Segments = append(rec.Segments, store.Segment{Channel: s.Channel, StartS: s.Start, EndS: s.End,
			StartTime: tl.WallClock(s.Start).UTC()})
	}
	for _, s := range res.Silences {
		rec.Silences = append(rec.Silences, store.Silence{StartS: s.Start, EndS: s.End, DurationS: s.Duration(),
			Kind: string(s.Kind), StartTime: tl.WallClock(s.Start).UTC()})
	}
	for _, o := range res.Overlaps {
		rec.Overlaps = append(rec.Overlaps, store.Overlap{StartS: o.Start, EndS: o.End, Kind: string(o.Kind),
			ByChannel: o.By, OfChannel: o.Of, StartTime: tl.WallClock(o.Start).UTC()})
	}
	for _, t := range res.Tones {
		d := MaskedDigit
		if a.opts.StoreDigits {
			d = string(t.Digit)
		}
		rec.DTMF = append(rec.DTMF, store.DTMF{Channel: t.Channel, Seq: t.Seq, Digit: d, StartS: t.Start, EndS: t.End,
			LevelDBm0: t.LevelDBm0, StartTime: tl.WallClock(t.Start).UTC()})
	}
	for _, f := range v.Flags {
		rec.QAFlags = append(rec.QAFlags, store.QAFlag{Flag: f.Name, Severity: f.Severity, Channel: f.Channel,
			Value: f.Value, Threshold: f.Threshold, StartS: f.StartS, Detail: f.Detail})
	}
	for _, p := range tl.Pauses() {
		rec.Pauses = append(rec.Pauses, store.Pause{OffsetS: p.Offset, DurationS: p.Duration.Seconds(), StartTime: p.Start.UTC()})
	}
	return rec
}
