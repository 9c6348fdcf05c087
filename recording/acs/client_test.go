package acs_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/callscope/callscope/recording/acs"
	"github.com/callscope/callscope/recording/acstest"
)

func loadSpec(t testing.TB) *acstest.Spec {
	t.Helper()
	spec, err := acstest.LoadSpecFiles("../../testdata/acs/spec")
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// newSim starts a simulator that validates traffic against the spec and a
// client for it whose sleeps are instant.
func newSim(t *testing.T, opts acstest.Options) (*acstest.Server, *acs.Client) {
	t.Helper()
	if opts.Spec == nil {
		opts.Spec = loadSpec(t)
	}
	srv := acstest.NewServer(opts)
	t.Cleanup(srv.Close)
	c, err := acs.NewClientFromConnectionString(srv.ConnectionString(), acs.Options{RetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func checkSpec(t *testing.T, srv *acstest.Server) {
	t.Helper()
	for _, v := range srv.SpecViolations() {
		t.Errorf("spec violation: %s", v)
	}
	if len(srv.Exchanges()) == 0 {
		t.Error("no exchanges recorded")
	}
}

func TestRecordingLifecycle(t *testing.T) {
	srv, c := newSim(t, acstest.Options{})
	call := srv.AddCall(acstest.Call{CallConnectionIDs: []string{"10007f80-9180-4f18-97cd-781c3146c2c3"}, GroupCallID: "aca7bf5b-ff44-4f47-8385-cfd4e0232a6e"})
	ctx := context.Background()
	ch := 0
	cases := []struct {
		name string
		req  acs.StartRequest
	}{
		{"server call", acs.StartRequest{CallLocator: acs.ServerCall(call.ServerCallID), RecordingContentType: acs.ContentAudio, RecordingChannelType: acs.ChannelUnmixed, RecordingFormatType: acs.FormatWav,
			AudioChannelParticipantOrdering: []acs.Identifier{acs.IdentifierFromRawID("4:+14255550100")},
			ChannelAffinity:                 []acs.ChannelAffinity{{Channel: &ch, Participant: acs.IdentifierFromRawID("8:acs:631fa8d8-aab5-4ac5-8e15-261aa2590750_0000000c-d8b0")}}}},
		{"group call", acs.StartRequest{CallLocator: acs.GroupCall(call.GroupCallID), RecordingStateCallbackURI: "https://app.example.com/api/callbacks", PauseOnStart: true}},
		{"call connection", acs.StartRequest{CallConnectionID: call.CallConnectionIDs[0], RecordingContentType: acs.ContentAudio, RecordingFormatType: acs.FormatWav}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.req.RecordingContentType == "" {
				tc.req.RecordingContentType, tc.req.RecordingFormatType = acs.ContentAudio, acs.FormatWav
			}
			res, err := c.StartRecording(ctx, tc.req, acs.StartOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != http.StatusOK || res.RepeatabilityResult != "accepted" || res.RecordingState.RecordingState != acs.StateInactive || res.ChainID == "" {
				t.Errorf("start result %+v", res)
			}
			st, err := c.GetRecording(ctx, res.RecordingID)
			if err != nil {
				t.Fatal(err)
			}
			want := acs.StateActive
			if tc.req.PauseOnStart {
				want = acs.StateInactive
			}
			if st.RecordingState != want {
				t.Errorf("state %q, want %q", st.RecordingState, want)
			}
			if _, err := c.PauseRecording(ctx, res.RecordingID); err != nil {
				t.Fatal(err)
			}
			if st, _ := c.GetRecording(ctx, res.RecordingID); st.RecordingState != acs.StateInactive {
				t.Errorf("after pause: %q", st.RecordingState)
			}
			if _, err := c.ResumeRecording(ctx, res.RecordingID); err != nil {
				t.Fatal(err)
			}
			if st, _ := c.GetRecording(ctx, res.RecordingID); st.RecordingState != acs.StateActive {
				t.Errorf("after resume: %q", st.RecordingState)
			}
			if _, err := c.StopRecording(ctx, res.RecordingID); err != nil {
				t.Fatal(err)
			}
			_, err = c.StopRecording(ctx, res.RecordingID)
			if !errors.Is(err, acs.ErrNotFound) {
				t.Errorf("second stop: %v, want not found", err)
			}
			var re *acs.ResponseError
			if !errors.As(err, &re) || re.StatusCode != 404 || re.Code == "" || re.ChainID == "" || re.AzureRef == "" {
				t.Errorf("error lacks details: %#v", re)
			}
		})
	}
	checkSpec(t, srv)
}

func TestStartRetriesReuseRepeatabilityID(t *testing.T) {
	srv, c := newSim(t, acstest.Options{StartStatus: http.StatusAccepted})
	call := srv.AddCall(acstest.Call{})
	srv.SetFaults(acstest.Faults{FailRequests: 3, FailStatus: 503, RetryAfter: "0"})
	var sleeps atomic.Int32
	c.Sleep = func(ctx context.Context, d time.Duration) error { sleeps.Add(1); return nil }
	res, err := c.StartRecording(context.Background(), acs.StartRequest{CallLocator: acs.ServerCall(call.ServerCallID), RecordingContentType: acs.ContentAudio, RecordingChannelType: acs.ChannelUnmixed, RecordingFormatType: acs.FormatWav}, acs.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusAccepted {
		t.Errorf("status %d", res.StatusCode)
	}
	if sleeps.Load() != 3 {
		t.Errorf("slept %d times, want 3", sleeps.Load())
	}
	ex := srv.Exchanges()
	if len(ex) != 4 {
		t.Fatalf("%d exchanges, want 4", len(ex))
	}
	id, first := ex[0].Header.Get("Repeatability-Request-ID"), ex[0].Header.Get("Repeatability-First-Sent")
	for i, e := range ex {
		if e.Header.Get("Repeatability-Request-ID") != id || e.Header.Get("Repeatability-First-Sent") != first {
			t.Errorf("attempt %d changed repeatability headers", i)
		}
	}
	// Replaying the same start (as after a crash) must not start a second
	// recording.
	again, err := c.StartRecording(context.Background(), acs.StartRequest{CallLocator: acs.ServerCall(call.ServerCallID), RecordingContentType: acs.ContentAudio, RecordingChannelType: acs.ChannelUnmixed, RecordingFormatType: acs.FormatWav},
		acs.StartOptions{RepeatabilityRequestID: id, FirstSent: mustParse(t, first)})
	if err != nil {
		t.Fatal(err)
	}
	if again.RecordingID != res.RecordingID {
		t.Errorf("replay gave recording %s, want %s", again.RecordingID, res.RecordingID)
	}
	if n := len(srv.Recordings()); n != 1 {
		t.Errorf("%d recordings, want 1", n)
	}
	// A new request id while one is in progress is a conflict, not a second recording.
	_, err = c.StartRecording(context.Background(), acs.StartRequest{CallLocator: acs.ServerCall(call.ServerCallID), RecordingContentType: acs.ContentAudio, RecordingFormatType: acs.FormatWav}, acs.StartOptions{})
	if !errors.Is(err, acs.ErrConflict) {
		t.Errorf("second start: %v, want conflict", err)
	}
	checkSpec(t, srv)
}

func mustParse(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := http.ParseTime(s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestRetriesReSign(t *testing.T) {
	clock := acstest.NewManualClock(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	srv, c := newSim(t, acstest.Options{Clock: clock.Now})
	c.Now = clock.Now
	call := srv.AddCall(acstest.Call{})
	res, err := c.StartRecording(context.Background(), acs.StartRequest{CallLocator: acs.ServerCall(call.ServerCallID), RecordingContentType: acs.ContentAudio, RecordingFormatType: acs.FormatWav}, acs.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetFaults(acstest.Faults{FailRequests: 2, FailStatus: 429, RetryAfter: "7"})
	var waits []time.Duration
	c.Sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		clock.Advance(2 * time.Second)
		return nil
	}
	if _, err := c.PauseRecording(context.Background(), res.RecordingID); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 2 || waits[0] != 5*time.Millisecond { // Retry-After 7 s capped by MaxRetryDelay
		t.Errorf("waits %v", waits)
	}
	ex := srv.Exchanges()
	dates := map[string]bool{}
	for _, e := range ex[len(ex)-3:] {
		dates[e.Header.Get("x-ms-date")+e.Header.Get("Authorization")] = true
	}
	if len(dates) != 3 {
		t.Errorf("retries reused a signature: %d distinct of 3", len(dates))
	}
}

func TestErrorsDecodedLeniently(t *testing.T) {
	srv, c := newSim(t, acstest.Options{EmptyNotFoundBodies: true})
	c.Sleep = func(context.Context, time.Duration) error { return nil }
	ctx := context.Background()
	_, err := c.GetRecording(ctx, "eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiJ4In0")
	var re *acs.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 404 || re.Body != "" || re.Code != "" {
		t.Errorf("empty 404: %#v", err)
	}
	srv.SetFaults(acstest.Faults{FailRequests: 10, FailStatus: 500, HTMLErrors: true})
	_, err = c.GetRecording(ctx, "x")
	if !errors.As(err, &re) || re.StatusCode != 500 || !strings.HasPrefix(re.Body, "<!DOCTYPE") || re.Attempts != 5 || !errors.Is(err, acs.ErrServer) {
		t.Errorf("HTML 500: %#v", err)
	}
	srv.SetFaults(acstest.Faults{})
	_, err = c.StartRecording(ctx, acs.StartRequest{CallLocator: acs.ServerCall("not base64!"), RecordingContentType: acs.ContentAudio, RecordingFormatType: acs.FormatWav}, acs.StartOptions{})
	if !errors.Is(err, acs.ErrBadRequest) || !strings.Contains(err.Error(), "Base-64") {
		t.Errorf("bad server call id: %v", err)
	}
}

func TestBadSignatureRejected(t *testing.T) {
	srv, _ := newSim(t, acstest.Options{})
	other, err := acs.NewClientFromConnectionString("endpoint="+srv.URL()+";accesskey=b3RoZXIga2V5", acs.Options{MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.GetRecording(context.Background(), "abc")
	if !errors.Is(err, acs.ErrUnauthorized) {
		t.Errorf("wrong key: %v, want 401", err)
	}
	// A stale date is refused too (signed request lifetime).
	c, _ := acs.NewClientFromConnectionString(srv.ConnectionString(), acs.Options{MaxAttempts: 1})
	c.Now = func() time.Time { return time.Now().Add(-time.Hour) }
	if _, err := c.GetRecording(context.Background(), "abc"); !errors.Is(err, acs.ErrUnauthorized) {
		t.Errorf("stale date: %v, want 401", err)
	}
}

func TestRecordingIDEscaped(t *testing.T) {
	var got string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.EscapedPath()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer hs.Close()
	c, _ := acs.NewClientFromConnectionString("endpoint="+hs.URL+";accesskey=cHc=", acs.Options{})
	if _, err := c.PauseRecording(context.Background(), "a/b+c=:d"); err != nil {
		t.Fatal(err)
	}
	if want := "/calling/recordings/a%2Fb%2Bc%3D%3Ad:pause"; got != want {
		t.Errorf("path %q, want %q", got, want)
	}
}

func TestConnectionErrorsRetried(t *testing.T) {
	var n atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) < 3 {
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close() // drop the connection
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hs.Close()
	c, _ := acs.NewClientFromConnectionString("endpoint="+hs.URL+";accesskey=cHc=", acs.Options{})
	c.Sleep = func(context.Context, time.Duration) error { return nil }
	if _, err := c.StopRecording(context.Background(), "id"); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 3 {
		t.Errorf("%d attempts, want 3", n.Load())
	}
}

type staticToken struct{ calls atomic.Int32 }

func (s *staticToken) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	s.calls.Add(1)
	if len(o.Scopes) != 1 || o.Scopes[0] != acs.TokenScope {
		return azcore.AccessToken{}, errors.New("wrong scope")
	}
	return azcore.AccessToken{Token: "entra-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestEntraToken(t *testing.T) {
	srv := acstest.NewServer(acstest.Options{BearerToken: "entra-token", Spec: loadSpec(t)})
	defer srv.Close()
	cred := &staticToken{}
	c, err := acs.NewTokenClient(srv.URL(), cred, acs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	call := srv.AddCall(acstest.Call{})
	res, err := c.StartRecording(context.Background(), acs.StartRequest{CallLocator: acs.ServerCall(call.ServerCallID), RecordingContentType: acs.ContentAudio, RecordingFormatType: acs.FormatWav}, acs.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.StopRecording(context.Background(), res.RecordingID); err != nil {
		t.Fatal(err)
	}
	if cred.calls.Load() != 1 {
		t.Errorf("token fetched %d times, want 1 (cached)", cred.calls.Load())
	}
}

func TestClientValidation(t *testing.T) {
	c, _ := acs.NewClientFromConnectionString("endpoint=https://x.communication.azure.com;accesskey=cHc=", acs.Options{})
	seven := 7
	bad := []acs.StartRequest{
		{},
		{CallLocator: acs.ServerCall("a"), CallConnectionID: "b"},
		{CallLocator: &acs.CallLocator{Kind: "serverCallLocator"}},
		{CallLocator: acs.ServerCall("a"), RecordingChannelType: "stereo"},
		{CallLocator: acs.ServerCall("a"), ChannelAffinity: []acs.ChannelAffinity{{Channel: &seven}}},
		{CallLocator: acs.ServerCall("a"), ExternalStorage: &acs.ExternalStorage{}},
	}
	for i, r := range bad {
		if _, err := c.StartRecording(context.Background(), r, acs.StartOptions{}); err == nil {
			t.Errorf("case %d accepted", i)
		}
	}
}

func TestAttemptTimeoutRetried(t *testing.T) {
	srv, _ := newSim(t, acstest.Options{})
	c, err := acs.NewClientFromConnectionString(srv.ConnectionString(), acs.Options{AttemptTimeout: 30 * time.Millisecond, MaxAttempts: 2, RetryDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetFaults(acstest.Faults{Delay: 300 * time.Millisecond})
	start := time.Now()
	_, err = c.GetRecording(context.Background(), "abc")
	if err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Errorf("slow service: %v", err)
	}
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Errorf("took %v: attempts not bounded by AttemptTimeout", d)
	}
	// The caller's context ends the retries.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.GetRecording(ctx, "abc"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
