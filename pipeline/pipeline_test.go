package pipeline

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callscope/callscope/dsp"
	"github.com/callscope/callscope/internal/config"
	"github.com/callscope/callscope/recording"
)

const synthcall = "../testdata/corpus/synthcall/synthcall_2ch.wav"

// readAll returns the interleaved samples of a WAV file.
func readAll(t *testing.T, path string) ([]float32, dsp.Format) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := dsp.NewReader(bufio.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	var out []float32
	buf := make([]float32, 4096*r.Format().Channels)
	for {
		n, err := r.ReadFrames(buf)
		out = append(out, buf[:n*r.Format().Channels]...)
		if errors.Is(err, io.EOF) {
			return out, r.Format()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// writeWAV writes interleaved samples as 16-bit PCM.
func writeWAV(t *testing.T, path string, ch, rate int, x []float32) {
	t.Helper()
	b := make([]byte, 44+2*len(x))
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*len(x)))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], uint16(ch))
	binary.LittleEndian.PutUint32(b[24:], uint32(rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(rate*ch*2))
	binary.LittleEndian.PutUint16(b[32:], uint16(ch*2))
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*len(x)))
	for i, v := range x {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(int16(math.Round(float64(v)*32767))))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func metadata(index int, start time.Time, durMs float64, pauses []recording.PauseInterval, ch int) *recording.Metadata {
	m := &recording.Metadata{CallID: "call-1", ChunkDocumentID: "doc-" + string(rune('a'+index)), ChunkIndex: index,
		ChunkStartTime: start, ChunkDurationMs: durMs, PauseResumeIntervals: pauses}
	ids := []string{"8:acs:res_agent", "4:+14255550123"}
	for c := range ch {
		m.Participants = append(m.Participants, recording.Participant{ParticipantID: ids[c], Channel: &c})
	}
	return m
}

// TestMultiChunkTimeline splits the synthcall into two chunks with a pause
// in the first and a gap between them: the analysis is one timeline over
// both, offsets are audio seconds, start times are wall clock.
func TestMultiChunkTimeline(t *testing.T) {
	x, f := readAll(t, synthcall)
	split := 12 * f.SampleRate * f.Channels // 12 s: inside a mutual silence
	dir := t.TempDir()
	writeWAV(t, filepath.Join(dir, recording.ChunkAudioName(0)), f.Channels, f.SampleRate, x[:split])
	writeWAV(t, filepath.Join(dir, recording.ChunkAudioName(1)), f.Channels, f.SampleRate, x[split:])
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	// 30 s paused after 11.5 s of chunk 0's audio; chunk 1 starts 2 min in.
	writeJSON(t, filepath.Join(dir, recording.ChunkMetadataName(0)), metadata(0, t0, 42000,
		[]recording.PauseInterval{{StartTime: t0.Add(11500 * time.Millisecond), DurationMs: 30000}}, 2))
	t1 := t0.Add(2 * time.Minute)
	writeJSON(t, filepath.Join(dir, recording.ChunkMetadataName(1)), metadata(1, t1, 13410, nil, 2))

	in, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	out, err := a.Analyze(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	c := out.Rows.Call
	if c.Chunks != 2 || math.Abs(c.RecordedS-25.41) > 0.011 || c.PausedS != 30 || !c.StartTime.Equal(t0) {
		t.Fatalf("call: chunks %d recorded %.2f paused %.1f start %s", c.Chunks, c.RecordedS, c.PausedS, c.StartTime)
	}
	if !c.EndTime.Equal(t1.Add(13410 * time.Millisecond)) {
		t.Errorf("end time %s, want %s", c.EndTime, t1.Add(13410*time.Millisecond))
	}
	if len(out.Rows.Pauses) != 1 || out.Rows.Pauses[0].OffsetS != 11.5 {
		t.Fatalf("pauses %+v, want one at 11.5 s", out.Rows.Pauses)
	}
	var sawChunk1 bool
	for _, s := range out.Rows.Segments {
		var want time.Time
		switch {
		case s.StartS >= 12:
			want, sawChunk1 = t1.Add(time.Duration((s.StartS-12)*float64(time.Second))), true
		case s.StartS >= 11.5:
			want = t0.Add(time.Duration((s.StartS + 30) * float64(time.Second)))
		default:
			want = t0.Add(time.Duration(s.StartS * float64(time.Second)))
		}
		if d := s.StartTime.Sub(want); d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("segment at %.2f s: start_time %s, want %s", s.StartS, s.StartTime, want)
		}
	}
	if !sawChunk1 {
		t.Error("no speech found in chunk 1")
	}
	for _, s := range out.Result.Silences {
		if s.Start < 11.5 && s.End > 11.5 {
			t.Errorf("silence %.2f–%.2f spans the pause at 11.5 s", s.Start, s.End)
		}
	}
	// The same audio as one file gives the same speech: chunking is invisible.
	whole, err := Open(synthcall)
	if err != nil {
		t.Fatal(err)
	}
	wout, err := a.Analyze(context.Background(), whole)
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(wout.Result.Call.TalkSumS - out.Result.Call.TalkSumS); d > 0.1 {
		t.Errorf("talk_sum %.2f chunked vs %.2f whole", out.Result.Call.TalkSumS, wout.Result.Call.TalkSumS)
	}
	if out.Rows.Channels[1].ParticipantKind != string(recording.KindPhoneNumber) || out.Rows.Channels[1].Role != "customer" {
		t.Errorf("channel 1: %+v", out.Rows.Channels[1])
	}
}

// TestDigitsMasked: DTMF digits are masked unless the operator opted in.
func TestDigitsMasked(t *testing.T) {
	in, err := Open(synthcall)
	if err != nil {
		t.Fatal(err)
	}
	for _, store := range []bool{false, true} {
		opts := DefaultOptions()
		opts.StoreDigits = store
		a, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		out, err := a.Analyze(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		var digits strings.Builder
		for _, d := range out.Rows.DTMF {
			digits.WriteString(d.Digit)
		}
		want := strings.Repeat(MaskedDigit, 7)
		if store {
			want = "4711#*9" // ch1 "4711#" from 14.37 s, then ch0 "*9" from 21.64 s: ordered by time
		}
		if got := digits.String(); got != want {
			t.Errorf("store digits %v: got %q, want %q", store, got, want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	x, f := readAll(t, synthcall)
	for _, tc := range []struct {
		name  string
		setup func(dir string)
		want  string
	}{
		{"channel beyond the WAV", func(dir string) {
			writeWAV(t, filepath.Join(dir, recording.ChunkAudioName(0)), f.Channels, f.SampleRate, x[:f.SampleRate*f.Channels])
			m := metadata(0, time.Now(), 1000, nil, 2)
			c := 5
			m.Participants[1].Channel = &c
			writeJSON(t, filepath.Join(dir, recording.ChunkMetadataName(0)), m)
		}, "channel 5 but the WAV has 2 channels"},
		{"chunks disagree", func(dir string) {
			writeWAV(t, filepath.Join(dir, recording.ChunkAudioName(0)), 2, 16000, x[:32000])
			writeWAV(t, filepath.Join(dir, recording.ChunkAudioName(1)), 1, 16000, x[:16000])
		}, "chunk 1 is 1 ch 16000 Hz, chunk 0 is 2 ch 16000 Hz"},
		{"not a folder", func(dir string) {}, "not a recording folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(dir)
			_, err := Open(dir)
			var pe *Error
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &pe) || pe.Stage != "open" {
				t.Fatalf("got %v, want an open error containing %q", err, tc.want)
			}
		})
	}
}

func TestQuarantineMovesIngestFolders(t *testing.T) {
	data := t.TempDir()
	rec := filepath.Join(data, recording.RecordingsDir, "eyJQbGF0")
	if err := os.MkdirAll(rec, 0o755); err != nil {
		t.Fatal(err)
	}
	qdir, err := Quarantine(data, rec, &Error{Path: rec, Stage: "analyze", Err: errors.New("boom")}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var r Reason
	raw, _ := os.ReadFile(filepath.Join(qdir, "reason.json"))
	if err := json.Unmarshal(raw, &r); err != nil || r.Stage != "analyze" || r.Moved == "" {
		t.Fatalf("reason %s: %v", raw, err)
	}
	if _, err := os.Stat(rec); !os.IsNotExist(err) {
		t.Errorf("folder still in recordings/: %v", err)
	}
	// A file elsewhere is never moved.
	other := filepath.Join(t.TempDir(), "call.wav")
	os.WriteFile(other, []byte("x"), 0o644)
	if _, err := Quarantine(data, other, errors.New("bad"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("input file was touched: %v", err)
	}
}

func TestOptionsFromConfig(t *testing.T) {
	cfg, err := config.Parse("c.yaml", []byte("dtmf:\n  store_digits: true\ndsp:\n  timeline:\n    dead_air_min_s: 8\n"))
	if err != nil {
		t.Fatal(err)
	}
	opts, err := OptionsFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !opts.StoreDigits || opts.DSP.Timeline.DeadAirMin != 8 || opts.DSP.Timeline.NonTalkMin != 3 {
		t.Errorf("got store_digits %v dead_air_min %v non_talk_min %v", opts.StoreDigits, opts.DSP.Timeline.DeadAirMin, opts.DSP.Timeline.NonTalkMin)
	}
	bad, _ := config.Parse("c.yaml", []byte("quality:\n  flagz: {}\n"))
	if _, err := OptionsFromConfig(bad); err == nil || !strings.Contains(err.Error(), "flagz") {
		t.Errorf("unknown key: %v", err)
	}
}
