package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/callscope/callscope/internal/ingest"
	"github.com/callscope/callscope/recording/acs"
	"github.com/callscope/callscope/recording/acstest"
	"github.com/callscope/callscope/recording/control"
	"github.com/callscope/callscope/recording/rules"
)

// TestPlatformEventsReachRules: a CallStarted spool item processed by the
// ingest Processor reaches the rules through OnEvent and starts a recording.
func TestPlatformEventsReachRules(t *testing.T) {
	sim := acstest.NewServer(acstest.Options{})
	defer sim.Close()
	call := sim.AddCall(acstest.Call{})
	client, err := acs.NewClientFromConnectionString(sim.ConnectionString(), acs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.Load("../../testdata/rules/pci.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := control.Open(t.TempDir(), client, set, nil, control.Options{})
	if err != nil {
		t.Fatal(err)
	}
	recordingController = ctl
	defer func() { recordingController = nil }()
	p := &ingest.Processor{DataDir: t.TempDir(), OnEvent: platformEvent}
	body := fmt.Sprintf(`[{"id":"cs-1","topic":"/subscriptions/x","subject":"call/x","eventType":"Microsoft.Communication.CallStarted","eventTime":%q,"dataVersion":"1.0","metadataVersion":"1",
	"data":{"startedBy":{"communicationIdentifier":{"kind":"phoneNumber","rawId":"4:+18005550100"}},"serverCallId":%q,"correlationId":%q}}]`,
		time.Now().UTC().Format(time.RFC3339Nano), call.ServerCallID, call.CorrelationID)
	res, err := p.Process(context.Background(), []byte(body))
	if err != nil || !res.Ignored {
		t.Fatalf("process: %+v %v", res, err)
	}
	st, ok := ctl.Find(call.ServerCallID)
	if !ok || st.State != control.Active || st.StartedBy != "record-sales" {
		t.Fatalf("controller: %+v", st)
	}
	if n := len(sim.Recordings()); n != 1 {
		t.Errorf("%d recordings", n)
	}
}
