package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/callscope/callscope/recording"
	"github.com/callscope/callscope/recording/rules"
)

// State of a call's recording.
type State string

// States.
const (
	Idle     State = "idle"
	Starting State = "starting"
	Active   State = "active"
	Paused   State = "paused"
	Stopped  State = "stopped"
)

// Who paused, besides rule names.
const (
	ByOperator = "operator" // manual control through the Controller
	ByExternal = "external" // seen only as a RecordingStateChanged
)

// Call is the persisted state of one call.
type Call struct {
	Key           string    `json:"key"`
	ServerCallID  string    `json:"serverCallId,omitempty"`
	CorrelationID string    `json:"correlationId,omitempty"`
	GroupCallID   string    `json:"groupCallId,omitempty"`
	RecordingID   string    `json:"recordingId,omitempty"`
	State         State     `json:"state"`
	PausedBy      string    `json:"pausedBy,omitempty"`
	StartedBy     string    `json:"startedBy,omitempty"` // rule or operator
	Ended         bool      `json:"ended,omitempty"`
	Participants  []string  `json:"participants,omitempty"` // raw ids seen
	Start         *Pending  `json:"start,omitempty"`        // the start in flight or last sent
	LastChange    time.Time `json:"lastChange,omitzero"`    // time of the last state transition
	SeenEvents    []string  `json:"seenEvents,omitempty"`   // recent event ids (dedupe)
	UpdatedAt     time.Time `json:"updatedAt"`
}

// Pending is a start request and its repeatability headers, persisted
// before sending.
type Pending struct {
	RepeatabilityID string       `json:"repeatabilityId"`
	FirstSent       time.Time    `json:"firstSent"`
	Rule            string       `json:"rule"`
	Params          rules.Params `json:"params"`
	Locator         string       `json:"locator"` // serverCallLocator | groupCallLocator
	LocatorID       string       `json:"locatorId"`
}

// maxSeen bounds SeenEvents.
const maxSeen = 128

func (c *Call) seen(id string) bool {
	if id == "" {
		return false
	}
	for _, s := range c.SeenEvents {
		if s == id {
			return true
		}
	}
	return false
}

func (c *Call) markSeen(id string) {
	if id == "" {
		return
	}
	c.SeenEvents = append(c.SeenEvents, id)
	if len(c.SeenEvents) > maxSeen {
		c.SeenEvents = c.SeenEvents[len(c.SeenEvents)-maxSeen:]
	}
}

func (c *Call) addParticipant(raw string) {
	if raw == "" {
		return
	}
	for _, p := range c.Participants {
		if p == raw {
			return
		}
	}
	if len(c.Participants) < 64 {
		c.Participants = append(c.Participants, raw)
	}
}

// callVar is the CEL "call" variable.
func (c *Call) callVar() map[string]any {
	ps := make([]any, 0, len(c.Participants))
	for _, p := range c.Participants {
		ps = append(ps, rules.Participant(p))
	}
	return map[string]any{
		"correlationId": c.CorrelationID, "serverCallId": c.ServerCallID, "groupCallId": c.GroupCallID,
		"participants": ps, "ended": c.Ended,
	}
}

// recordingVar is the CEL "recording" variable.
func (c *Call) recordingVar() map[string]any {
	return map[string]any{"state": string(c.State), "recordingId": c.RecordingID, "pausedBy": c.PausedBy, "startedBy": c.StartedBy}
}

// store keeps call files in a directory.
type store struct{ dir string }

func (s store) path(key string) string { return filepath.Join(s.dir, recording.SafeID(key)+".json") }

// save writes c atomically: temp file, fsync, rename, fsync directory.
func (s store) save(c *Call) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode call state: %w", err)
	}
	final := s.path(c.Key)
	tmp, err := os.CreateTemp(s.dir, ".call-*.tmp")
	if err != nil {
		return fmt.Errorf("save call state: %w", err)
	}
	_, werr := tmp.Write(append(b, '\n'))
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("save call state %s: %w", final, err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("save call state: %w", err)
	}
	if d, err := os.Open(s.dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// load reads every call file; unreadable files are returned as errors
// beside the calls that loaded.
func (s store) load() ([]*Call, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("read call states: %w", err)
	}
	var out []*Call
	var errs []error
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".call-") && strings.HasSuffix(name, ".tmp") {
			os.Remove(filepath.Join(s.dir, name)) // a crash mid-write
			continue
		}
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.dir, name))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var c Call
		if err := json.Unmarshal(b, &c); err != nil || c.Key == "" {
			errs = append(errs, fmt.Errorf("call state %s: corrupt: %v", name, err))
			continue
		}
		out = append(out, &c)
	}
	return out, errors.Join(errs...)
}

func (s store) remove(key string) error { return os.Remove(s.path(key)) }
