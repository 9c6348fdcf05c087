package recording

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseMetadataRealSamples(t *testing.T) {
	for _, tc := range []struct {
		file       string
		durationMs float64
		pauses     int
		parts      int
	}{
		{"metadata-js-nock-2021-with-pause-interval.json", 19320, 1, 2},
		{"metadata-java-session-record-2021-mixed-mp4-decoded.json", 5580, 0, 2},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "testdata", "recording", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			m, err := ParseMetadata(data)
			if err != nil {
				t.Fatalf("ParseMetadata: %v", err)
			}
			if m.ChunkDurationMs != tc.durationMs || len(m.PauseResumeIntervals) != tc.pauses || len(m.Participants) != tc.parts {
				t.Errorf("got duration %v pauses %d participants %d, want %v %d %d",
					m.ChunkDurationMs, len(m.PauseResumeIntervals), len(m.Participants), tc.durationMs, tc.pauses, tc.parts)
			}
			for _, p := range m.Participants {
				if p.Kind() != KindCommunicationUser {
					t.Errorf("participant %s kind %s", p.ParticipantID, p.Kind())
				}
			}
		})
	}
}

func TestParseMetadataErrors(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"not json", `{"chunkIndex":`, "recording metadata"},
		{"wrong type", `{"chunkDuration":"long"}`, "chunkDuration"},
		{"negative duration", `{"chunkDuration":-1}`, "chunkDuration: negative"},
		{"channel range", `{"participants":[{"participantId":"4:+1","channel":99}]}`, "participants[0].channel"},
		{"channel twice", `{"participants":[{"participantId":"4:+1","channel":0},{"participantId":"4:+2","channel":0}]}`, "participants[1].channel: channel 0 already"},
		{"negative pause", `{"pauseResumeIntervals":[{"startTime":"2021-01-01T00:00:00Z","duration":-5}]}`, "pauseResumeIntervals[0].duration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseMetadata([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestParseSubject(t *testing.T) {
	for _, tc := range []struct {
		subject string
		want    Subject
	}{
		{"/recording/call/c1/serverCallId/aHR0cHM6Ly9h/YQ==/recordingId/eyJQbGF0", Subject{"c1", "aHR0cHM6Ly9h/YQ==", "eyJQbGF0"}},
		{"/recording/call/c2/recordingId/r2", Subject{CallID: "c2", RecordingID: "r2"}},
		{"garbage", Subject{}},
	} {
		if got := ParseSubject(tc.subject); got != tc.want {
			t.Errorf("ParseSubject(%q) = %+v, want %+v", tc.subject, got, tc.want)
		}
	}
}

func TestKindOf(t *testing.T) {
	for raw, want := range map[string]IdentifierKind{
		"4:+14255550100":  KindPhoneNumber,
		"8:acs:r_u":       KindCommunicationUser,
		"8:orgid:abc":     KindMicrosoftTeamsUser,
		"28:orgid:abc":    KindMicrosoftTeamsApp,
		"something else":  KindUnknown,
		"8:gcch-acs:r_u":  KindCommunicationUser,
		"8:teamsvisitor:": KindMicrosoftTeamsUser,
	} {
		if got := KindOf(raw); got != want {
			t.Errorf("KindOf(%q) = %s, want %s", raw, got, want)
		}
	}
}

func TestTimeline(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	tl := NewTimeline([]ChunkSpan{
		// 60 s of audio; paused 30 s after 20 s of audio, then 10 s after 40 s of audio.
		{Start: t0, AudioSeconds: 60, Pauses: []PauseInterval{
			{StartTime: t0.Add(20 * time.Second), DurationMs: 30000},
			{StartTime: t0.Add(70 * time.Second), DurationMs: 10000},
		}},
		{Start: t0.Add(3 * time.Minute), AudioSeconds: 10},
	})
	if got := tl.Duration(); got != 70 {
		t.Fatalf("Duration = %v, want 70", got)
	}
	ps := tl.Pauses()
	if len(ps) != 2 || ps[0].Offset != 20 || ps[1].Offset != 40 {
		t.Fatalf("pause offsets = %+v, want 20 and 40", ps)
	}
	for _, tc := range []struct {
		off  float64
		want time.Duration
	}{
		{0, 0}, {19.5, 19500 * time.Millisecond}, {20, 50 * time.Second}, {39, 69 * time.Second},
		{40, 80 * time.Second}, {59, 99 * time.Second}, {60, 3 * time.Minute}, {65, 3*time.Minute + 5*time.Second},
	} {
		if got := tl.WallClock(tc.off).Sub(t0); got != tc.want {
			t.Errorf("WallClock(%v) = t0+%v, want t0+%v", tc.off, got, tc.want)
		}
	}
	if got := tl.PausedSeconds(); got != 40 {
		t.Errorf("PausedSeconds = %v, want 40", got)
	}
}

func TestIsComplete(t *testing.T) {
	c := func(i int64, r string) ManifestChunk { return ManifestChunk{Index: i, EndReason: r} }
	for _, tc := range []struct {
		name   string
		chunks []ManifestChunk
		want   bool
	}{
		{"single", []ManifestChunk{c(0, "SessionEnded")}, true},
		{"case-insensitive", []ManifestChunk{c(0, "sessionEnded")}, true},
		{"two out of order", []ManifestChunk{c(1, "SessionEnded"), c(0, "ChunkMaximumSizeExceeded")}, true},
		{"gap", []ManifestChunk{c(0, "ChunkMaximumSizeExceeded"), c(2, "SessionEnded")}, false},
		{"not ended", []ManifestChunk{c(0, "ChunkMaximumSizeExceeded")}, false},
		{"duplicate", []ManifestChunk{c(0, "x"), c(0, "SessionEnded")}, false},
		{"empty", nil, false},
	} {
		if got := IsComplete(tc.chunks); got != tc.want {
			t.Errorf("%s: IsComplete = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSafeID(t *testing.T) {
	if got := SafeID("eyJQ+bGF0/ZQ=="); got != "eyJQ-bGF0_ZQ==" {
		t.Errorf("SafeID base64 = %q", got)
	}
	for _, id := range []string{"..", ".", "../../etc/passwd", "a/../b", "", strings.Repeat("a", 201), "a b", "é"} {
		s := SafeID(id)
		if !filepath.IsLocal(s) || strings.ContainsAny(s, `/\`) || s == "." || s == ".." || s == "" {
			t.Errorf("SafeID(%q) = %q is not a safe file name", id, s)
		}
	}
	if SafeID("a+b") == SafeID("a/b") {
		t.Error("distinct ids collide")
	}
}

func FuzzSafeID(f *testing.F) {
	for _, s := range []string{"eyJQbGF0", "..", "a/b", "x+y=", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		s := SafeID(id)
		if !filepath.IsLocal(s) || strings.ContainsAny(s, `/\`) || s == "." || s == ".." || s == "" {
			t.Fatalf("SafeID(%q) = %q", id, s)
		}
	})
}

func FuzzParseMetadata(f *testing.F) {
	for _, name := range []string{"metadata-js-nock-2021-with-pause-interval.json", "metadata-java-session-record-2021-mixed-mp4-decoded.json"} {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "recording", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMetadata(data)
		if err != nil {
			return
		}
		if m.ChunkDurationMs < 0 || m.ChunkIndex < 0 {
			t.Fatalf("accepted negative values: %+v", m)
		}
		NewTimeline([]ChunkSpan{{Start: m.ChunkStartTime, AudioSeconds: m.ChunkDurationMs / 1000, Pauses: m.PauseResumeIntervals}}).WallClock(1)
	})
}

func TestLoadFolderDemo(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "recordings", "*"))
	if err != nil || len(dirs) < 2 {
		t.Fatalf("demo folders: %v %v", dirs, err)
	}
	for _, d := range dirs {
		f, err := LoadFolder(d)
		if err != nil {
			t.Fatalf("LoadFolder(%s): %v", d, err)
		}
		if len(f.Chunks) != 1 || f.Chunks[0].Metadata == nil || f.Event == nil {
			t.Fatalf("%s: chunks %d metadata %v event %v", d, len(f.Chunks), f.Chunks[0].Metadata != nil, f.Event != nil)
		}
		if !f.Manifest.Complete || f.Manifest.ServerCallID == "" || f.Manifest.RecordingID == "" || SafeID(f.Manifest.RecordingID) != filepath.Base(d) {
			t.Errorf("%s: manifest %+v", d, f.Manifest)
		}
	}
}

func TestLoadFolderErrors(t *testing.T) {
	empty := t.TempDir()
	if _, err := LoadFolder(empty); err == nil || !strings.Contains(err.Error(), "not a recording folder") {
		t.Errorf("empty folder: %v", err)
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, ManifestFile), []byte(`{"chunks":[{"index":0,"audio":"../../etc/passwd"}]}`), 0o644)
	if _, err := LoadFolder(bad); err == nil || !strings.Contains(err.Error(), "not a local path") {
		t.Errorf("traversal: %v", err)
	}
	md := t.TempDir()
	os.WriteFile(filepath.Join(md, ChunkAudioName(0)), []byte("RIFF"), 0o644)
	os.WriteFile(filepath.Join(md, ChunkMetadataName(0)), []byte(`{"chunkDuration":"x"}`), 0o644)
	if _, err := LoadFolder(md); err == nil || !strings.Contains(err.Error(), ChunkMetadataName(0)) {
		t.Errorf("bad metadata should name the file: %v", err)
	}
}
