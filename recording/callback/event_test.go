package callback

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "acs", "samples", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeJSInactiveThenActive(t *testing.T) {
	var deliveries []json.RawMessage
	if err := json.Unmarshal(readSample(t, "callbacks-js-recordingstatechanged-inactive-then-active-2025-07.json"), &deliveries); err != nil {
		t.Fatal(err)
	}
	var all []Event
	for _, d := range deliveries {
		evs, err := Decode(d)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, evs...)
	}
	if len(all) != 3 {
		t.Fatalf("%d events", len(all))
	}
	if all[0].Name != "CallConnected" || all[0].CorrelationID != "11949484-7bbe-45b8-845f-ed39519dde0d" {
		t.Errorf("event 0: %+v", all[0])
	}
	in, act := all[1], all[2]
	if in.Type != TypeRecordingStateChanged || in.State != "inactive" || !in.StartDateTime.IsZero() {
		t.Errorf("inactive event: state %q start %v", in.State, in.StartDateTime)
	}
	if act.State != "active" || act.StartDateTime.IsZero() || act.StartDateTime.Year() != 2025 {
		t.Errorf("active event: state %q start %v", act.State, act.StartDateTime)
	}
	// The recording callback's callConnectionId is the bot's leg: Key must
	// not use it.
	if k, v := act.Key(); k != "recordingId" || v != act.RecordingID {
		t.Errorf("Key = %s %s", k, v)
	}
	if act.CallConnectionID == all[0].CallConnectionID {
		t.Error("sample changed: expected different call connection ids")
	}
}

func TestDecodePythonCapture(t *testing.T) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(readSample(t, "callbacks-python-e2e-recording-2025-03.json"), &m); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]func(Event) bool{
		"CallConnected":    func(e Event) bool { return e.Result != nil && e.Result.Code == 200 },
		"CallDisconnected": func(e Event) bool { return e.Result != nil && e.Result.SubCode == 7000 },
		"ParticipantsUpdated": func(e Event) bool {
			return len(e.Participants) == 2 && e.SequenceNumber == 15 && strings.HasPrefix(e.Participants[0].RawID, "8:acs:")
		},
		"RecordingStateChanged": func(e Event) bool {
			return e.State == "active" && e.RecordingKind == "azureCommunicationServices" && e.StartDateTime.Year() == 2025
		},
	} {
		evs, err := Decode(m[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if evs[0].Name != name || !want(evs[0]) {
			t.Errorf("%s decoded as %+v", name, evs[0])
		}
		if k, _ := evs[0].Key(); name != "RecordingStateChanged" && k != "serverCallId" {
			t.Errorf("%s: key kind %s", name, k)
		}
	}
	disc := readSample(t, "callbacks-python-e2e-dtmf-stopped-and-disconnected-2024-02.json")
	var m2 map[string]json.RawMessage
	_ = json.Unmarshal(disc, &m2)
	evs, err := Decode(m2["ContinuousDtmfRecognitionStopped"])
	if err != nil || evs[0].Result != nil || evs[0].Type != TypeContinuousDtmfRecognitionStopped {
		t.Errorf("old payload without resultInformation: %v %+v", err, evs)
	}
}

func TestDecodeTones(t *testing.T) {
	evs, err := Decode(readSample(t, "callback-java-unittest-continuousdtmf-tonereceived.json"))
	if err != nil {
		t.Fatal(err)
	}
	if evs[0].Tone != "eight" || evs[0].SequenceID != 1 {
		t.Errorf("flat shape: %+v", evs[0])
	}
	old := `[{"id":"1","type":"Microsoft.Communication.ContinuousDtmfRecognitionToneReceived","specVersion":"1.0",
	"data":{"toneInfo":{"sequenceId":4,"tone":"asterisk","participantId":"4:+1555"},"serverCallId":"s","correlationId":"c"}}]`
	evs, err = Decode([]byte(old))
	if err != nil {
		t.Fatal(err)
	}
	if evs[0].Tone != "asterisk" || evs[0].SequenceID != 4 || evs[0].ToneParticipant != "4:+1555" {
		t.Errorf("toneInfo shape: %+v", evs[0])
	}
	if d, _ := ToneDigit(evs[0].Tone); d != "*" {
		t.Errorf("digit %q", d)
	}
	// Tones never reach logs.
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "event", evs[0])
	if strings.Contains(buf.String(), "asterisk") || strings.Contains(evs[0].String(), "asterisk") {
		t.Errorf("tone leaked into log: %s", buf.String())
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{``, "empty body"},
		{`[]`, "no events"},
		{`"x"`, "not a JSON array"},
		{`[{"data":{}}]`, "missing type"},
		{`[{"type":"t"}]`, "missing data"},
		{`[{"type":"t","data":{"sequenceId":"x"}}]`, "data.sequenceId"},
		{`[{"type":"t","data":{},"time":"yesterday"}]`, "time"},
		{`[{"type":"t","data":{"tone":"card-1234"}}]`, "unknown tone"},
	} {
		_, err := Decode([]byte(tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want %q", tc.body, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "card-1234") {
			t.Errorf("error echoes the tone value: %v", err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"callback-java-unittest-continuousdtmf-tonereceived.json"} {
		f.Add(readSample(f, name))
	}
	f.Add([]byte(`[{"type":"Microsoft.Communication.RecordingStateChanged","data":{"recordingId":"r","state":"inactive","startDateTime":"0001-01-01T00:00:00+00:00"}}]`))
	f.Add([]byte(`{"type":"x","data":{"toneInfo":{"tone":"one"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := Decode(body)
		if err != nil {
			return
		}
		for _, e := range evs {
			if e.Type == "" {
				t.Fatal("event without type accepted")
			}
			if e.Tone != "" && !validTone(e.Tone) {
				t.Fatal("invalid tone accepted")
			}
		}
	})
}
