package callback

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Event type names (the CloudEvent "type").
const (
	TypeRecordingStateChanged                 = "Microsoft.Communication.RecordingStateChanged"
	TypeStartRecordingFailed                  = "Microsoft.Communication.StartRecordingFailed"
	TypeCallConnected                         = "Microsoft.Communication.CallConnected"
	TypeCallDisconnected                      = "Microsoft.Communication.CallDisconnected"
	TypeParticipantsUpdated                   = "Microsoft.Communication.ParticipantsUpdated"
	TypeContinuousDtmfRecognitionToneReceived = "Microsoft.Communication.ContinuousDtmfRecognitionToneReceived"
	TypeContinuousDtmfRecognitionToneFailed   = "Microsoft.Communication.ContinuousDtmfRecognitionToneFailed"
	TypeContinuousDtmfRecognitionStopped      = "Microsoft.Communication.ContinuousDtmfRecognitionStopped"
)

// Limits applied by Decode.
const (
	MaxEvents   = 1000
	MaxIDLength = 2048 // any identifier or string field of interest
)

// ResultInformation is resultInformation of a callback.
type ResultInformation struct {
	Code    int    `json:"code"`
	SubCode int    `json:"subCode"`
	Message string `json:"message"`
}

// Participant is one entry of ParticipantsUpdated.participants.
type Participant struct {
	RawID    string `json:"rawId"`
	Kind     string `json:"kind"`
	IsMuted  bool   `json:"isMuted"`
	IsOnHold bool   `json:"isOnHold"`
}

// Event is one decoded callback. Fields that do not apply to its type are
// zero; Data keeps the raw data object for anything else.
type Event struct {
	ID      string
	Type    string // e.g. Microsoft.Communication.RecordingStateChanged
	Name    string // Type without the "Microsoft.Communication." prefix
	Source  string
	Subject string
	Time    time.Time

	CallConnectionID string // for recording events, the recording bot's leg
	ServerCallID     string
	CorrelationID    string
	OperationContext string
	Version          string // api-version of the call connection
	Result           *ResultInformation

	// RecordingStateChanged / StartRecordingFailed.
	RecordingID   string
	State         string    // "active" or "inactive"
	StartDateTime time.Time // zero when the service sent the .NET zero time
	RecordingKind string

	// ContinuousDtmfRecognitionToneReceived. Tone is secret: never log it.
	SequenceID      int
	Tone            string // zero, one, …, nine, a–d, pound, asterisk
	ToneParticipant string

	// ParticipantsUpdated.
	Participants   []Participant
	SequenceNumber int

	Data json.RawMessage
}

// LogValue makes slog print the event without its DTMF tone.
func (e Event) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("type", e.Name), slog.String("id", e.ID)}
	if e.RecordingID != "" {
		attrs = append(attrs, slog.String("recording_id", e.RecordingID))
	}
	if e.State != "" {
		attrs = append(attrs, slog.String("state", e.State))
	}
	if e.CorrelationID != "" {
		attrs = append(attrs, slog.String("correlation_id", e.CorrelationID))
	}
	if e.Tone != "" {
		attrs = append(attrs, slog.Int("sequence_id", e.SequenceID), slog.String("tone", "REDACTED"))
	}
	return slog.GroupValue(attrs...)
}

// String describes the event without its DTMF tone.
func (e Event) String() string {
	s := e.Name + " " + e.ID
	if e.RecordingID != "" {
		s += " recording " + e.RecordingID
	}
	if e.State != "" {
		s += " " + e.State
	}
	return s
}

// Key returns the identifier to correlate the event with a call or
// recording, and which one it is: "recordingId", "serverCallId" or
// "correlationId" (in that order of preference). callConnectionId is never
// used: on recording events it is the recording bot's leg.
func (e Event) Key() (kind, value string) {
	switch {
	case e.RecordingID != "":
		return "recordingId", e.RecordingID
	case e.ServerCallID != "":
		return "serverCallId", e.ServerCallID
	case e.CorrelationID != "":
		return "correlationId", e.CorrelationID
	}
	return "", ""
}

// DecodeError reports an undecodable callback body.
type DecodeError struct {
	Index int // event index in the array, -1 for the body
	Err   error
}

func (e *DecodeError) Error() string {
	if e.Index < 0 {
		return "callback body: " + e.Err.Error()
	}
	return fmt.Sprintf("callback event %d: %v", e.Index, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

type envelope struct {
	ID          string          `json:"id"`
	Source      string          `json:"source"`
	Type        string          `json:"type"`
	Subject     string          `json:"subject"`
	Time        string          `json:"time"`
	SpecVersion string          `json:"specversion"`
	Data        json.RawMessage `json:"data"`
}

type data struct {
	CallConnectionID  string             `json:"callConnectionId"`
	ServerCallID      string             `json:"serverCallId"`
	CorrelationID     string             `json:"correlationId"`
	OperationContext  string             `json:"operationContext"`
	Version           string             `json:"version"`
	ResultInformation *ResultInformation `json:"resultInformation"`
	RecordingID       string             `json:"recordingId"`
	State             string             `json:"state"`
	StartDateTime     string             `json:"startDateTime"`
	RecordingKind     string             `json:"recordingKind"`
	SequenceID        *int               `json:"sequenceId"`
	Tone              string             `json:"tone"`
	ToneInfo          *struct {
		SequenceID    int    `json:"sequenceId"`
		Tone          string `json:"tone"`
		ParticipantID string `json:"participantId"`
	} `json:"toneInfo"`
	Participants []struct {
		Identifier struct {
			RawID string `json:"rawId"`
			Kind  string `json:"kind"`
		} `json:"identifier"`
		IsMuted  bool `json:"isMuted"`
		IsOnHold bool `json:"isOnHold"`
	} `json:"participants"`
	SequenceNumber int `json:"sequenceNumber"`
}

// Decode decodes a callback body: a JSON array of CloudEvents (a single
// object is accepted too). Every event needs a type and a data object.
func Decode(body []byte) ([]Event, error) {
	body = bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	if len(body) == 0 {
		return nil, &DecodeError{Index: -1, Err: errors.New("empty body")}
	}
	var raws []json.RawMessage
	switch body[0] {
	case '[':
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, &DecodeError{Index: -1, Err: err}
		}
	case '{':
		raws = []json.RawMessage{body}
	default:
		return nil, &DecodeError{Index: -1, Err: errors.New("not a JSON array of events")}
	}
	if len(raws) == 0 {
		return nil, &DecodeError{Index: -1, Err: errors.New("no events")}
	}
	if len(raws) > MaxEvents {
		return nil, &DecodeError{Index: -1, Err: fmt.Errorf("%d events, limit %d", len(raws), MaxEvents)}
	}
	out := make([]Event, 0, len(raws))
	for i, raw := range raws {
		ev, err := decodeOne(raw)
		if err != nil {
			return nil, &DecodeError{Index: i, Err: err}
		}
		out = append(out, ev)
	}
	return out, nil
}

func decodeOne(raw json.RawMessage) (Event, error) {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return Event{}, err
	}
	if env.Type == "" {
		return Event{}, errors.New("missing type")
	}
	if len(env.Data) == 0 || env.Data[0] != '{' {
		return Event{}, errors.New("missing data object")
	}
	var d data
	if err := json.Unmarshal(env.Data, &d); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Event{}, fmt.Errorf("data.%s: want %s, got JSON %s", te.Field, te.Type, te.Value)
		}
		return Event{}, fmt.Errorf("data: %w", err)
	}
	ev := Event{
		ID: env.ID, Type: env.Type, Name: strings.TrimPrefix(env.Type, "Microsoft.Communication."),
		Source: env.Source, Subject: env.Subject,
		CallConnectionID: d.CallConnectionID, ServerCallID: d.ServerCallID, CorrelationID: d.CorrelationID,
		OperationContext: d.OperationContext, Version: d.Version, Result: d.ResultInformation,
		RecordingID: d.RecordingID, State: d.State, RecordingKind: d.RecordingKind,
		SequenceNumber: d.SequenceNumber, Data: env.Data,
	}
	for _, f := range []string{ev.ID, ev.Type, ev.CallConnectionID, ev.ServerCallID, ev.CorrelationID, ev.RecordingID, ev.State} {
		if len(f) > MaxIDLength {
			return Event{}, fmt.Errorf("field of %d bytes, limit %d", len(f), MaxIDLength)
		}
	}
	if env.Time != "" {
		t, err := time.Parse(time.RFC3339Nano, env.Time)
		if err != nil {
			return Event{}, fmt.Errorf("time %q: %w", truncate(env.Time, 40), err)
		}
		ev.Time = t
	}
	if d.StartDateTime != "" {
		t, err := time.Parse(time.RFC3339Nano, d.StartDateTime)
		if err != nil {
			return Event{}, fmt.Errorf("data.startDateTime %q: %w", truncate(d.StartDateTime, 40), err)
		}
		if t.Year() > 1 { // .NET zero time 0001-01-01 means unset
			ev.StartDateTime = t
		}
	}
	if d.ToneInfo != nil {
		ev.SequenceID, ev.Tone, ev.ToneParticipant = d.ToneInfo.SequenceID, d.ToneInfo.Tone, d.ToneInfo.ParticipantID
	}
	if d.Tone != "" {
		ev.Tone = d.Tone
	}
	if d.SequenceID != nil {
		ev.SequenceID = *d.SequenceID
	}
	if ev.Tone != "" && !validTone(ev.Tone) {
		return Event{}, errors.New("data.tone: unknown tone") // value not echoed: it is secret
	}
	for _, p := range d.Participants {
		ev.Participants = append(ev.Participants, Participant{RawID: p.Identifier.RawID, Kind: p.Identifier.Kind, IsMuted: p.IsMuted, IsOnHold: p.IsOnHold})
	}
	return ev, nil
}

var tones = map[string]string{
	"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
	"eight": "8", "nine": "9", "a": "A", "b": "B", "c": "C", "d": "D", "pound": "#", "asterisk": "*",
}

func validTone(t string) bool { _, ok := tones[strings.ToLower(t)]; return ok }

// ToneDigit returns the keypad character of a tone name ("asterisk" → "*").
func ToneDigit(tone string) (string, bool) {
	d, ok := tones[strings.ToLower(tone)]
	return d, ok
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
