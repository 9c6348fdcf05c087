package acstest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/callscope/callscope/recording"
	"github.com/callscope/callscope/recording/acs"
	"github.com/callscope/callscope/recording/acstest"
	"github.com/callscope/callscope/recording/eventgrid"
)

type egSink struct {
	mu  sync.Mutex
	evs []eventgrid.Event
}

func (s *egSink) Accept(_ context.Context, evs []eventgrid.Event) error {
	s.mu.Lock()
	s.evs = append(s.evs, evs...)
	s.mu.Unlock()
	return nil
}

// TestWebhookSchemas: the simulator's handshakes and deliveries, in both
// schemas, are accepted by callscope's Event Grid webhook handler.
func TestWebhookSchemas(t *testing.T) {
	for _, ce := range []bool{false, true} {
		sink := &egSink{}
		hs := httptest.NewServer(eventgrid.NewHandler(sink, eventgrid.HandlerOptions{}))
		clock := acstest.NewManualClock(time.Now().UTC().Truncate(time.Second))
		sim := acstest.NewServer(acstest.Options{Clock: clock.Now, EventGridWebhook: hs.URL, CloudEvents: ce})
		if err := sim.ValidateWebhook(context.Background()); err != nil {
			t.Errorf("cloudevents=%v: handshake: %v", ce, err)
		}
		call := sim.AddCall(acstest.Call{Participants: []acstest.Participant{{RawID: "4:+1", Audio: tone(300, 3)}}})
		c, _ := acs.NewClientFromConnectionString(sim.ConnectionString(), acs.Options{})
		c.Now = clock.Now
		res, err := c.StartRecording(context.Background(), acs.StartRequest{CallLocator: acs.ServerCall(call.ServerCallID), RecordingContentType: acs.ContentAudio, RecordingFormatType: acs.FormatWav}, acs.StartOptions{})
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(2 * time.Second)
		if _, err := c.StopRecording(context.Background(), res.RecordingID); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := sim.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		sim.Close()
		hs.Close()
		sink.mu.Lock()
		if len(sink.evs) != 1 || !sink.evs[0].IsType(recording.EventRecordingFileStatusUpdated) {
			t.Errorf("cloudevents=%v: accepted %+v", ce, sink.evs)
		} else if want := eventgrid.SchemaCloudEvents; ce && sink.evs[0].Schema != want {
			t.Errorf("schema %v, want %v", sink.evs[0].Schema, want)
		}
		sink.mu.Unlock()
		for _, d := range sim.Deliveries() {
			if d.Status != http.StatusOK {
				t.Errorf("cloudevents=%v: delivery %s answered %d", ce, d.Type, d.Status)
			}
		}
	}
}
