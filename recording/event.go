package recording

import (
	"strings"
	"time"
)

// Event type names of the Event Grid system events callscope handles.
const (
	EventRecordingFileStatusUpdated = "Microsoft.Communication.RecordingFileStatusUpdated"
	EventCallStarted                = "Microsoft.Communication.CallStarted"
	EventCallEnded                  = "Microsoft.Communication.CallEnded"
	EventIncomingCall               = "Microsoft.Communication.IncomingCall"
	EventCallParticipantAdded       = "Microsoft.Communication.CallParticipantAdded"
	EventCallParticipantRemoved     = "Microsoft.Communication.CallParticipantRemoved"
)

// FileStatusUpdated is the data of a RecordingFileStatusUpdated event.
// Enum-like strings are kept as sent (Event Grid uses PascalCase); compare
// them with strings.EqualFold.
type FileStatusUpdated struct {
	RecordingStorageInfo struct {
		RecordingChunks []ChunkInfo `json:"recordingChunks"`
	} `json:"recordingStorageInfo"`
	RecordingStartTime   time.Time `json:"recordingStartTime"`
	RecordingDurationMs  int64     `json:"recordingDurationMs"`
	SessionEndReason     string    `json:"sessionEndReason"`
	RecordingContentType string    `json:"recordingContentType,omitempty"`
	RecordingChannelType string    `json:"recordingChannelType,omitempty"`
	RecordingFormatType  string    `json:"recordingFormatType,omitempty"`
	// StorageType and RecordingID appear in the older bring-your-own-storage
	// schema only.
	StorageType string `json:"storageType,omitempty"`
	RecordingID string `json:"recordingId,omitempty"`
}

// ChunkInfo is one entry of recordingStorageInfo.recordingChunks.
type ChunkInfo struct {
	DocumentID       string `json:"documentId"`
	Index            int64  `json:"index"`
	EndReason        string `json:"endReason"`
	ContentLocation  string `json:"contentLocation"`
	MetadataLocation string `json:"metadataLocation"`
	DeleteLocation   string `json:"deleteLocation"`
}

// EndReasonSessionEnded marks the last chunk of a recording.
const EndReasonSessionEnded = "SessionEnded"

// IsLast reports whether the chunk ends the recording session.
func (c ChunkInfo) IsLast() bool { return strings.EqualFold(c.EndReason, EndReasonSessionEnded) }

// Subject holds the identifiers carried in a recording event's subject,
// "/recording/call/{callId}[/serverCallId/{serverCallId}]/recordingId/{recordingId}".
type Subject struct {
	CallID       string
	ServerCallID string
	RecordingID  string
}

// ParseSubject extracts the identifiers from a recording event subject. It
// takes each value from the segment after its key, so both documented forms
// parse; absent keys leave the field empty. A server call id may itself be
// base64 holding "/"; everything between "serverCallId/" and
// "/recordingId/" is taken.
func ParseSubject(subject string) Subject {
	var s Subject
	rest := subject
	if i := strings.Index(rest, "/recordingId/"); i >= 0 {
		s.RecordingID = rest[i+len("/recordingId/"):]
		rest = rest[:i]
	}
	if i := strings.Index(rest, "/serverCallId/"); i >= 0 {
		s.ServerCallID = rest[i+len("/serverCallId/"):]
		rest = rest[:i]
	}
	if i := strings.Index(rest, "/call/"); i >= 0 {
		s.CallID = rest[i+len("/call/"):]
	}
	return s
}
