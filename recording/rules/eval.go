package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Event is what rules see of one call event.
type Event struct {
	Type    string // e.g. Microsoft.Communication.CallStarted
	ID      string
	Subject string
	Time    time.Time
	// Data is the event's data object.
	Data map[string]any
	// Call and Recording are the values of the CEL variables call and
	// recording; nil maps are empty. CallFromData fills Call from Data.
	Call      map[string]any
	Recording map[string]any
}

// Match is a rule that fired.
type Match struct {
	Rule   string
	Pos    string // file:line
	Action Action
	With   Params
}

// EvalError is a rule whose expression failed at run time on an event
// (e.g. a missing key); the rule counts as not matching.
type EvalError struct {
	Rule, Pos string
	Err       error
}

func (e *EvalError) Error() string { return fmt.Sprintf("%s: rule %q: %v", e.Pos, e.Rule, e.Err) }
func (e *EvalError) Unwrap() error { return e.Err }

// Evaluate runs every rule listening to ev.Type, in file order, and
// returns those whose condition is true. Run-time errors are returned
// joined beside the matches; the failing rules do not match.
func (s *Set) Evaluate(ev Event) ([]Match, error) {
	if s == nil {
		return nil, nil
	}
	vars := map[string]any{"event": ev.eventVar(), "call": orEmpty(ev.Call), "recording": orEmpty(ev.Recording)}
	var out []Match
	var errs []error
	for _, r := range s.Rules {
		if !slices.Contains(r.On, ev.Type) {
			continue
		}
		v, _, err := r.prg.Eval(vars)
		if err != nil {
			errs = append(errs, &EvalError{Rule: r.Name, Pos: r.Pos(), Err: err})
			continue
		}
		b, ok := v.Value().(bool)
		if !ok {
			errs = append(errs, &EvalError{Rule: r.Name, Pos: r.Pos(), Err: fmt.Errorf("result %v is not a bool", v)})
			continue
		}
		if b {
			out = append(out, Match{Rule: r.Name, Pos: r.Pos(), Action: r.Do, With: r.With})
		}
	}
	return out, errors.Join(errs...)
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func (ev Event) eventVar() map[string]any {
	m := make(map[string]any, len(ev.Data)+4)
	for k, v := range ev.Data {
		m[k] = v
	}
	m["type"] = ev.Type
	m["id"] = ev.ID
	m["subject"] = ev.Subject
	if !ev.Time.IsZero() {
		m["time"] = ev.Time
	}
	return m
}

// CallFromData derives the call variable from an event's data:
// correlationId, serverCallId, groupCallId (data.group.id), roomId,
// isTwoParty, and participants — every identifier found under to, from,
// startedBy, participant, user or participants[] — each as
// {rawId, kind, phone} where phone is the E.164 number of a "4:" raw id
// and "" otherwise.
func CallFromData(data map[string]any) map[string]any {
	c := map[string]any{}
	for _, k := range []string{"correlationId", "serverCallId", "isTwoParty", "isRoomsCall", "callerDisplayName"} {
		if v, ok := data[k]; ok {
			c[k] = v
		}
	}
	if g, ok := data["group"].(map[string]any); ok {
		if id, ok := g["id"].(string); ok {
			c["groupCallId"] = id
		}
	}
	if g, ok := data["room"].(map[string]any); ok {
		if id, ok := g["id"].(string); ok {
			c["roomId"] = id
		}
	}
	var ps []any
	seen := map[string]bool{}
	add := func(v any) {
		raw := rawID(v)
		if raw == "" || seen[raw] {
			return
		}
		seen[raw] = true
		ps = append(ps, Participant(raw))
	}
	for _, k := range []string{"startedBy", "from", "to", "participant", "user"} {
		add(data[k])
	}
	if list, ok := data["participants"].([]any); ok {
		for _, p := range list {
			add(p)
		}
	}
	if ps == nil {
		ps = []any{}
	}
	c["participants"] = ps
	return c
}

// Participant returns the CEL value of a participant raw id.
func Participant(raw string) map[string]any {
	kind, phone := "unknown", ""
	switch {
	case strings.HasPrefix(raw, "4:"):
		kind, phone = "phoneNumber", strings.TrimPrefix(raw, "4:")
	case strings.HasPrefix(raw, "8:acs:"), strings.HasPrefix(raw, "8:gcch-acs:"), strings.HasPrefix(raw, "8:dod-acs:"):
		kind = "communicationUser"
	case strings.HasPrefix(raw, "8:orgid:"), strings.HasPrefix(raw, "8:teamsvisitor:"), strings.HasPrefix(raw, "8:gcch:"), strings.HasPrefix(raw, "8:dod:"):
		kind = "microsoftTeamsUser"
	case strings.HasPrefix(raw, "28:"):
		kind = "microsoftTeamsApp"
	}
	return map[string]any{"rawId": raw, "kind": kind, "phone": phone}
}

// rawID finds the raw id of an identifier in its several wrappings:
// {rawId}, {communicationIdentifier: {rawId}}, {identifier: {rawId}}.
func rawID(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if s, ok := m["rawId"].(string); ok {
		return s
	}
	for k, inner := range m {
		if strings.EqualFold(k, "communicationIdentifier") || k == "identifier" {
			if s := rawID(inner); s != "" {
				return s
			}
		}
	}
	return ""
}

// DecodeEvents decodes a file or webhook body of events for a dry run: a
// JSON array (or single object) of Event Grid events (eventType, eventTime)
// or CloudEvents (type, time). Call is filled from each event's data.
func DecodeEvents(body []byte) ([]Event, error) {
	body = bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	var raws []json.RawMessage
	if len(body) > 0 && body[0] == '{' {
		raws = []json.RawMessage{body}
	} else if err := json.Unmarshal(body, &raws); err != nil {
		return nil, fmt.Errorf("decode events: %w", err)
	}
	out := make([]Event, 0, len(raws))
	for i, raw := range raws {
		var env struct {
			ID        string         `json:"id"`
			Type      string         `json:"type"`
			EventType string         `json:"eventType"`
			Subject   string         `json:"subject"`
			Time      string         `json:"time"`
			EventTime string         `json:"eventTime"`
			Data      map[string]any `json:"data"`
		}
		if err := json.Unmarshal(raw, &env); err != nil {
			return nil, fmt.Errorf("decode event %d: %w", i, err)
		}
		ev := Event{Type: env.Type, ID: env.ID, Subject: env.Subject, Data: env.Data}
		if ev.Type == "" {
			ev.Type = env.EventType
		}
		if ev.Type == "" {
			return nil, fmt.Errorf("decode event %d: no type or eventType", i)
		}
		ts := env.Time
		if ts == "" {
			ts = env.EventTime
		}
		if ts != "" {
			t, err := time.Parse(time.RFC3339Nano, ts)
			if err != nil {
				return nil, fmt.Errorf("decode event %d: time: %w", i, err)
			}
			ev.Time = t
		}
		if ev.Data == nil {
			ev.Data = map[string]any{}
		}
		ev.Call = CallFromData(ev.Data)
		out = append(out, ev)
	}
	return out, nil
}
