package eventgrid

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Event type names handled by the protocol itself.
const (
	TypeSubscriptionValidation = "Microsoft.EventGrid.SubscriptionValidationEvent"
	TypeSubscriptionDeleted    = "Microsoft.EventGrid.SubscriptionDeletedEvent"
)

// Schema is the envelope an event arrived in.
type Schema string

// Envelope schemas.
const (
	SchemaEventGrid   Schema = "eventgrid"
	SchemaCloudEvents Schema = "cloudevents"
)

// Limits on what a single event may carry.
const (
	MaxIDLength      = 512
	MaxTypeLength    = 256
	MaxSubjectLength = 4096
)

// Event is one decoded event of either schema. Raw is the event object
// exactly as received; Data is its "data" member.
type Event struct {
	ID      string
	Type    string
	Subject string
	// Source is the CloudEvents source or the Event Grid topic.
	Source      string
	Time        time.Time // zero when absent or unparseable
	DataVersion string    // Event Grid only
	SpecVersion string    // CloudEvents only
	Schema      Schema
	Data        json.RawMessage
	Raw         json.RawMessage
}

// wire holds the members of both envelopes. encoding/json matches keys
// case-insensitively, so "specVersion" (the spec example) and "specversion"
// (real deliveries) both land in SpecVersion.
type wire struct {
	ID              string          `json:"id"`
	Topic           string          `json:"topic"`
	Source          string          `json:"source"`
	Subject         string          `json:"subject"`
	EventType       string          `json:"eventType"`
	Type            string          `json:"type"`
	EventTime       string          `json:"eventTime"`
	Time            string          `json:"time"`
	DataVersion     string          `json:"dataVersion"`
	MetadataVersion string          `json:"metadataVersion"`
	SpecVersion     string          `json:"specversion"`
	Data            json.RawMessage `json:"data"`
}

// DecodeError reports a delivery that can never be accepted: bad JSON or an
// event missing its id or type. Index is the event's position in the batch
// (-1 for the body as a whole).
type DecodeError struct {
	Index int
	Err   error
}

func (e *DecodeError) Error() string {
	if e.Index < 0 {
		return "decode delivery: " + e.Err.Error()
	}
	return fmt.Sprintf("decode delivery: event %d: %v", e.Index, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// ErrEmpty is wrapped by DecodeError for a body that holds no event.
var ErrEmpty = errors.New("no events")

// Decode decodes a delivery body: one event object or an array of them, in
// the Event Grid or CloudEvents schema (detected per event: an "eventType"
// member means Event Grid, a "type" or "specversion" member CloudEvents).
func Decode(body []byte) ([]Event, error) {
	body = bytes.TrimLeft(body, " \t\r\n\xef\xbb\xbf")
	if len(body) == 0 {
		return nil, &DecodeError{Index: -1, Err: ErrEmpty}
	}
	var raws []json.RawMessage
	if body[0] == '[' {
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, &DecodeError{Index: -1, Err: err}
		}
		if len(raws) == 0 {
			return nil, &DecodeError{Index: -1, Err: ErrEmpty}
		}
	} else {
		if !json.Valid(body) {
			var v any
			return nil, &DecodeError{Index: -1, Err: json.Unmarshal(body, &v)}
		}
		raws = []json.RawMessage{json.RawMessage(bytes.TrimRight(body, " \t\r\n"))}
	}
	evs := make([]Event, 0, len(raws))
	for i, raw := range raws {
		ev, err := decodeOne(raw)
		if err != nil {
			return nil, &DecodeError{Index: i, Err: err}
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

func decodeOne(raw json.RawMessage) (Event, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return Event{}, errors.New("event is not a JSON object")
	}
	var w wire
	if err := json.Unmarshal(raw, &w); err != nil {
		return Event{}, err
	}
	ev := Event{ID: w.ID, Subject: w.Subject, Data: w.Data, Raw: raw}
	switch {
	case w.EventType != "":
		ev.Schema = SchemaEventGrid
		ev.Type = w.EventType
		ev.Source = w.Topic
		ev.DataVersion = w.DataVersion
		ev.Time = parseTime(w.EventTime)
	case w.Type != "" || w.SpecVersion != "":
		ev.Schema = SchemaCloudEvents
		ev.Type = w.Type
		ev.Source = w.Source
		ev.SpecVersion = w.SpecVersion
		ev.Time = parseTime(w.Time)
	default:
		return Event{}, errors.New("neither eventType (Event Grid) nor type (CloudEvents) is set")
	}
	switch {
	case ev.ID == "":
		return Event{}, errors.New("missing id")
	case ev.Type == "":
		return Event{}, errors.New("missing type")
	case len(ev.ID) > MaxIDLength:
		return Event{}, fmt.Errorf("id is %d bytes, limit %d", len(ev.ID), MaxIDLength)
	case len(ev.Type) > MaxTypeLength:
		return Event{}, fmt.Errorf("type is %d bytes, limit %d", len(ev.Type), MaxTypeLength)
	case len(ev.Subject) > MaxSubjectLength:
		return Event{}, fmt.Errorf("subject is %d bytes, limit %d", len(ev.Subject), MaxSubjectLength)
	}
	return ev, nil
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// ValidationData is the data of a SubscriptionValidationEvent.
type ValidationData struct {
	ValidationCode string `json:"validationCode"`
	ValidationURL  string `json:"validationUrl"`
}

// ValidationResponse is the body answering a validation event.
type ValidationResponse struct {
	ValidationResponse string `json:"validationResponse"`
}

// IsType reports whether ev has type t (compared case-insensitively).
func (ev Event) IsType(t string) bool { return strings.EqualFold(ev.Type, t) }
