package eventgrid

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callscope/callscope/recording"
)

const samples = "../../testdata/acs/samples"

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samples, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeSamples(t *testing.T) {
	tests := []struct {
		file   string
		n      int
		schema Schema
		typ    string
	}{
		{"eventgrid-schema-recordingfilestatusupdated.json", 1, SchemaEventGrid, recording.EventRecordingFileStatusUpdated},
		{"eventgrid-docs-recordingfilestatusupdated-array.json", 1, SchemaEventGrid, recording.EventRecordingFileStatusUpdated},
		{"cloudevents-recordingfilestatusupdated.json", 1, SchemaCloudEvents, recording.EventRecordingFileStatusUpdated},
		{"eventgrid-spec-callstarted.json", 1, SchemaCloudEvents, recording.EventCallStarted},
		{"eventgrid-spec-callended.json", 1, SchemaCloudEvents, recording.EventCallEnded},
		{"eventgrid-spec-incomingcall.json", 1, SchemaEventGrid, recording.EventIncomingCall},
		{"eventgrid-subscription-validation-event.json", 1, SchemaEventGrid, TypeSubscriptionValidation},
		{"callback-java-unittest-continuousdtmf-tonereceived.json", 1, SchemaCloudEvents, "Microsoft.Communication.ContinuousDtmfRecognitionToneReceived"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			evs, err := Decode(readSample(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != tt.n {
				t.Fatalf("got %d events, want %d", len(evs), tt.n)
			}
			ev := evs[0]
			if ev.Schema != tt.schema || ev.Type != tt.typ || ev.ID == "" {
				t.Errorf("got schema %q type %q id %q, want %q %q", ev.Schema, ev.Type, ev.ID, tt.schema, tt.typ)
			}
			if ev.Time.IsZero() && !strings.Contains(tt.file, "unittest") {
				t.Errorf("time not parsed")
			}
			if ev.IsType(recording.EventRecordingFileStatusUpdated) {
				var d recording.FileStatusUpdated
				if err := json.Unmarshal(ev.Data, &d); err != nil {
					t.Fatal(err)
				}
				if n := len(d.RecordingStorageInfo.RecordingChunks); n != 1 || !d.RecordingStorageInfo.RecordingChunks[0].IsLast() {
					t.Errorf("chunks = %+v", d.RecordingStorageInfo.RecordingChunks)
				}
				if s := recording.ParseSubject(ev.Subject); s.RecordingID != "{recording-id}" {
					t.Errorf("subject recording id %q", s.RecordingID)
				}
			}
		})
	}
}

// The JS capture is a list of deliveries (each a JSON array); the Python
// captures map event names to an event (or only its data).
func TestDecodeCallbackCaptures(t *testing.T) {
	var deliveries []json.RawMessage
	if err := json.Unmarshal(readSample(t, "callbacks-js-recordingstatechanged-inactive-then-active-2025-07.json"), &deliveries); err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, d := range deliveries {
		evs, err := Decode(d)
		if err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
		for _, ev := range evs {
			if ev.Schema != SchemaCloudEvents || ev.SpecVersion != "1.0" {
				t.Errorf("delivery %d: schema %q specversion %q", i, ev.Schema, ev.SpecVersion)
			}
			n++
		}
	}
	if n != 3 {
		t.Errorf("decoded %d events, want 3", n)
	}
	for _, f := range []string{"callbacks-python-e2e-recording-2025-03.json", "callbacks-python-e2e-dtmf-stopped-and-disconnected-2024-02.json"} {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(readSample(t, f), &m); err != nil {
			t.Fatal(err)
		}
		got := 0
		for name, raw := range m {
			if !strings.Contains(string(raw), `"specversion"`) {
				continue // only the event's data was captured
			}
			evs, err := Decode(raw)
			if err != nil {
				t.Fatalf("%s %s: %v", f, name, err)
			}
			if !strings.HasSuffix(evs[0].Type, name) {
				t.Errorf("%s: type %q for key %q", f, evs[0].Type, name)
			}
			got++
		}
		if got == 0 {
			t.Errorf("%s: no event decoded", f)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct{ name, body string }{
		{"empty", ""},
		{"empty array", "[]"},
		{"not json", "{not json"},
		{"scalar", "42"},
		{"array of scalars", "[1,2]"},
		{"no type", `{"id":"a","data":{}}`},
		{"no id", `{"eventType":"X","data":{}}`},
		{"truncated", `[{"id":"a","eventType":"X"`},
		{"long id", `{"id":"` + strings.Repeat("a", MaxIDLength+1) + `","type":"X"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.body))
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("got %v, want *DecodeError", err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	ents, _ := os.ReadDir(samples)
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(samples, e.Name()))
		f.Add(b)
	}
	f.Add([]byte(`[{"id":"x","type":"t","specVersion":"1.0"}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := Decode(b)
		if err != nil {
			return
		}
		for _, ev := range evs {
			if ev.ID == "" || ev.Type == "" || len(ev.Raw) == 0 {
				t.Fatalf("accepted event without id/type/raw: %+v", ev)
			}
		}
	})
}
