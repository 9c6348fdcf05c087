package recording

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Metadata is the per-chunk metadata document served at a chunk's
// metadataLocation (ACS-managed storage) or stored beside the audio as
// "<chunk>-acsmetadata.<documentId>.json" (bring-your-own-storage).
type Metadata struct {
	ResourceID      string `json:"resourceId"`
	CallID          string `json:"callId"`
	ChunkDocumentID string `json:"chunkDocumentId"`
	ChunkIndex      int    `json:"chunkIndex"`
	// ChunkStartTime is the wall-clock start of the chunk's audio.
	ChunkStartTime time.Time `json:"chunkStartTime"`
	// ChunkDurationMs is the chunk's duration in milliseconds. ACS sends
	// it as an integer or as a float ("5580.0").
	ChunkDurationMs float64 `json:"chunkDuration"`
	// PauseResumeIntervals lists the spans cut out of the audio.
	PauseResumeIntervals []PauseInterval `json:"pauseResumeIntervals"`
	RecordingInfo        RecordingInfo   `json:"recordingInfo"`
	Participants         []Participant   `json:"participants"`
}

// PauseInterval is one paused span: the wall-clock time the recording was
// paused and for how long. Its audio is not in the file.
type PauseInterval struct {
	StartTime  time.Time `json:"startTime"`
	DurationMs float64   `json:"duration"`
}

// Duration returns the pause length.
func (p PauseInterval) Duration() time.Duration {
	return time.Duration(p.DurationMs * float64(time.Millisecond))
}

// RecordingInfo describes the recording's format as ACS reports it. Real
// captures have contentType and channelType swapped, so callers must not
// trust those two fields: take the layout from the WAV header and
// participants[].channel instead.
type RecordingInfo struct {
	ContentType        string              `json:"contentType"`
	ChannelType        string              `json:"channelType"`
	Format             string              `json:"format"`
	AudioConfiguration *AudioConfiguration `json:"audioConfiguration,omitempty"`
}

// AudioConfiguration is recordingInfo.audioConfiguration.
type AudioConfiguration struct {
	SampleRate float64 `json:"sampleRate"`
	BitRate    float64 `json:"bitRate"`
	Channels   float64 `json:"channels"`
}

// Participant is one entry of participants[]. Channel is nil for mixed
// recordings.
type Participant struct {
	ParticipantID string `json:"participantId"`
	Channel       *int   `json:"channel,omitempty"`
}

// Kind returns the identifier kind of the participant's raw id.
func (p Participant) Kind() IdentifierKind { return KindOf(p.ParticipantID) }

// MetadataError reports a metadata document that cannot be used.
type MetadataError struct {
	Field string // JSON path of the offending field, or "" for the document
	Err   error
}

func (e *MetadataError) Error() string {
	if e.Field == "" {
		return "recording metadata: " + e.Err.Error()
	}
	return "recording metadata: " + e.Field + ": " + e.Err.Error()
}

func (e *MetadataError) Unwrap() error { return e.Err }

// MaxMetadataSize bounds a metadata document; real ones are a few KiB.
const MaxMetadataSize = 1 << 20

// ParseMetadata decodes a metadata document. It accepts the observed quirks
// (float or integer chunkDuration, absent optional fields, a UTF-8 byte
// order mark) and rejects documents that would corrupt analysis: negative
// durations, channels outside 0..63, two participants on one channel.
func ParseMetadata(data []byte) (*Metadata, error) {
	if len(data) > MaxMetadataSize {
		return nil, &MetadataError{Err: fmt.Errorf("document is %d bytes, limit %d", len(data), MaxMetadataSize)}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var m Metadata
	if err := json.Unmarshal(data, &m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, &MetadataError{Field: te.Field, Err: fmt.Errorf("want %s, got JSON %s at byte %d", te.Type, te.Value, te.Offset)}
		}
		return nil, &MetadataError{Err: err}
	}
	if m.ChunkDurationMs < 0 {
		return nil, &MetadataError{Field: "chunkDuration", Err: fmt.Errorf("negative duration %v", m.ChunkDurationMs)}
	}
	if m.ChunkIndex < 0 {
		return nil, &MetadataError{Field: "chunkIndex", Err: fmt.Errorf("negative index %d", m.ChunkIndex)}
	}
	seen := map[int]string{}
	for i, p := range m.Participants {
		if p.Channel == nil {
			continue
		}
		c := *p.Channel
		if c < 0 || c > 63 {
			return nil, &MetadataError{Field: fmt.Sprintf("participants[%d].channel", i), Err: fmt.Errorf("channel %d out of range 0..63", c)}
		}
		if other, dup := seen[c]; dup && other != p.ParticipantID {
			return nil, &MetadataError{Field: fmt.Sprintf("participants[%d].channel", i), Err: fmt.Errorf("channel %d already assigned to another participant", c)}
		}
		seen[c] = p.ParticipantID
	}
	for i, p := range m.PauseResumeIntervals {
		if p.DurationMs < 0 {
			return nil, &MetadataError{Field: fmt.Sprintf("pauseResumeIntervals[%d].duration", i), Err: fmt.Errorf("negative duration %v", p.DurationMs)}
		}
	}
	sort.SliceStable(m.PauseResumeIntervals, func(i, j int) bool {
		return m.PauseResumeIntervals[i].StartTime.Before(m.PauseResumeIntervals[j].StartTime)
	})
	return &m, nil
}

// ChannelParticipant returns the participant mapped to channel c, if any.
func (m *Metadata) ChannelParticipant(c int) (Participant, bool) {
	for _, p := range m.Participants {
		if p.Channel != nil && *p.Channel == c {
			return p, true
		}
	}
	return Participant{}, false
}
