package eventgrid_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/callscope/callscope/recording/eventgrid"
)

func ExampleDecode() {
	evs, err := eventgrid.Decode([]byte(`[{"id":"1","eventType":"Microsoft.Communication.CallStarted","subject":"s","data":{},"eventTime":"2026-01-01T00:00:00Z"},
	 {"id":"2","type":"Microsoft.Communication.CallEnded","source":"/x","specversion":"1.0","data":{}}]`))
	if err != nil {
		panic(err)
	}
	for _, ev := range evs {
		fmt.Println(ev.Schema, ev.ID, ev.Type)
	}
	// Output:
	// eventgrid 1 Microsoft.Communication.CallStarted
	// cloudevents 2 Microsoft.Communication.CallEnded
}

type printSink struct{}

func (printSink) Accept(_ context.Context, evs []eventgrid.Event) error {
	fmt.Println("persisted", len(evs), "event(s)")
	return nil
}

func ExampleHandler() {
	h := eventgrid.NewHandler(printSink{}, eventgrid.HandlerOptions{Auth: eventgrid.NewSecretAuth("current", "next")})
	r := httptest.NewRequest(http.MethodPost, "/api/events?code=next", strings.NewReader(
		`[{"id":"7","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","data":{"validationCode":"abc","validationUrl":"https://example.invalid/v"}}]`))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Print(w.Code, " ", w.Body.String())
	// Output:
	// 200 {"validationResponse":"abc"}
}
