package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/recording/acs"
	"github.com/callscope/callscope/recording/acstest"
)

func runRecCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &cli.Globals{Stdout: &out, Stderr: &errb}
	code := cli.Run(context.Background(), newRoot(g), args, &errb)
	return code, out.String(), errb.String()
}

func TestRecordingCommands(t *testing.T) {
	sim := acstest.NewServer(acstest.Options{})
	defer sim.Close()
	call := sim.AddCall(acstest.Call{GroupCallID: "aca7bf5b-ff44-4f47-8385-cfd4e0232a6e"})
	t.Setenv(acs.EnvConnectionString, sim.ConnectionString())

	code, out, errs := runRecCmd(t, "recording", "start", "--server-call-id", call.ServerCallID, "--callback-uri", "https://app.example.com/api/callbacks")
	if code != 0 {
		t.Fatalf("start: exit %d: %s", code, errs)
	}
	var st startOutput
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("start output %q: %v", out, err)
	}
	if st.RecordingID == "" || st.StatusCode != 200 || st.RepeatabilityResult != "accepted" || st.RecordingState != "inactive" {
		t.Errorf("start output %+v", st)
	}
	for _, tc := range []struct {
		op, state string
	}{{"pause", "inactive"}, {"resume", "active"}} {
		code, out, errs = runRecCmd(t, "recording", tc.op, "--recording-id", st.RecordingID)
		if code != 0 || !strings.Contains(out, `"operation": "`+tc.op+`"`) {
			t.Fatalf("%s: exit %d %s %s", tc.op, code, out, errs)
		}
		code, out, _ = runRecCmd(t, "recording", "state", "--recording-id", st.RecordingID)
		if code != 0 || !strings.Contains(out, `"recordingState": "`+tc.state+`"`) {
			t.Errorf("state after %s: %s", tc.op, out)
		}
	}
	if code, out, _ = runRecCmd(t, "recording", "stop", "--recording-id", st.RecordingID); code != 0 || !strings.Contains(out, `"statusCode": 204`) {
		t.Errorf("stop: %d %s", code, out)
	}
	// Unknown recording: exit 1, the service's error as JSON.
	code, out, errs = runRecCmd(t, "recording", "pause", "--recording-id", st.RecordingID)
	if code != 1 || !strings.Contains(out, `"statusCode": 404`) || !strings.Contains(out, `"chainId"`) || !strings.Contains(errs, "HTTP 404") {
		t.Errorf("pause after stop: exit %d out %s err %s", code, out, errs)
	}
	// Group call and BYOS flags reach the request.
	code, _, errs = runRecCmd(t, "recording", "start", "--group-call-id", call.GroupCallID, "--channel", "mixed", "--format", "wav", "--pause-on-start")
	if code != 0 {
		t.Errorf("group start: %d %s", code, errs)
	}
	// Usage errors exit 2.
	for _, args := range [][]string{
		{"recording", "start"},
		{"recording", "start", "--server-call-id", "a", "--group-call-id", "b"},
		{"recording", "state"},
		{"recording", "start", "--server-call-id", "a", "--connection-string", "endpoint=http://example.com;accesskey=cHc="},
	} {
		if code, _, _ := runRecCmd(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestACSSignCommand(t *testing.T) {
	code, _, errs := runRecCmd(t, "acs", "sign", "--connection-string", "endpoint=https://contoso.communication.azure.com;accesskey=pw==",
		"--method", "POST", "--url", "https://contoso.communication.azure.com/calling/recordings?api-version=2025-06-15",
		"--body", "testdata_body.json", "--date", "Wed, 13 Apr 2022 18:09:12 GMT")
	if code == 0 || !strings.Contains(errs, "testdata_body.json") {
		t.Fatal("missing body file accepted")
	}
	dir := t.TempDir()
	body := dir + "/body.json"
	if err := writeFile(body, `{"callLocator":{"kind":"serverCallLocator","serverCallId":"abc"},"recordingChannelType":"unmixed"}`); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runRecCmd(t, "acs", "sign", "--connection-string", "endpoint=https://contoso.communication.azure.com;accesskey=pw==",
		"--method", "POST", "--url", "https://contoso.communication.azure.com/calling/recordings?api-version=2025-06-15",
		"--body", body, "--date", "Wed, 13 Apr 2022 18:09:12 GMT")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// Vector 5 of testdata/acs/hmac-test-vectors.json.
	want := "x-ms-date: Wed, 13 Apr 2022 18:09:12 GMT\n" +
		"x-ms-content-sha256: VEHAEVC9wergF3QP/607sR5p8aJtrvEKVUNaq8pGhkA=\n" +
		"Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=dM1xvKTCrhxkpzN7lkHNmII6ZNLs22jJeMUAVmpXNCU=\n"
	if out != want {
		t.Errorf("output\n%s\nwant\n%s", out, want)
	}
	code, out, _ = runRecCmd(t, "acs", "sign", "--connection-string", "endpoint=https://example.com;accesskey=pw==",
		"--url", "https://storage.asm.skype.com/testPath?testQuery=test", "--signed-host", "example.com", "--date", "2022-04-13T18:09:12Z")
	if code != 0 || !strings.Contains(out, "x-ms-host: example.com\n") || !strings.Contains(out, "Signature=DGdgwggJWnQyc6EHjR/Vbqg1ES64KpD6U2XwTDDj3tU=") {
		t.Errorf("signed-host: %d %s", code, out)
	}
}
