package acstest_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"

	"github.com/callscope/callscope/internal/azuritetest"
	"github.com/callscope/callscope/recording"
	"github.com/callscope/callscope/recording/acs"
	"github.com/callscope/callscope/recording/acstest"
)

func spec(t testing.TB) *acstest.Spec {
	t.Helper()
	s, err := acstest.LoadSpecFiles("../../testdata/acs/spec")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSpecCheckerCatches proves the OpenAPI checker fails on what the
// schema forbids (so a silent checker cannot pass the traffic tests).
func TestSpecCheckerCatches(t *testing.T) {
	s := spec(t)
	q := url.Values{"api-version": {"2025-06-15"}}
	h := http.Header{"Repeatability-Request-Id": {"3fa85f64-5717-4562-b3fc-2c963f66afa6"}, "Repeatability-First-Sent": {"Sun, 06 Nov 1994 08:49:37 GMT"}}
	good := `{"callLocator":{"kind":"serverCallLocator","serverCallId":"abc"},"recordingChannelType":"unmixed","channelAffinity":[{"channel":4,"participant":{"rawId":"4:+1"}}],"externalStorage":{"recordingStorageKind":"azureBlobStorage","recordingDestinationContainerUrl":"https://a.blob.core.windows.net/c"}}`
	if errs := s.CheckRequest("POST", "/calling/recordings", q, h, []byte(good)); len(errs) != 0 {
		t.Fatalf("good request rejected: %v", errs)
	}
	for _, tc := range []struct {
		name, method, path string
		q                  url.Values
		h                  http.Header
		body, want         string
	}{
		{"bad enum", "POST", "/calling/recordings", q, h, `{"recordingChannelType":"stereo"}`, "not in enum"},
		{"undeclared property", "POST", "/calling/recordings", q, h, `{"recordingChannel":"mixed"}`, `"recordingChannel" is not declared`},
		{"wrong type", "POST", "/calling/recordings", q, h, `{"pauseOnStart":"yes"}`, "want boolean"},
		{"channel out of range", "POST", "/calling/recordings", q, h, `{"channelAffinity":[{"channel":5,"participant":{}}]}`, "above maximum"},
		{"missing required", "POST", "/calling/recordings", q, h, `{"channelAffinity":[{"channel":1}]}`, `missing required property "participant"`},
		{"missing required in common.json", "POST", "/calling/recordings", q, h, `{"callLocator":{"kind":"serverCallLocator"},"audioChannelParticipantOrdering":[{"phoneNumber":{}}]}`, `missing required property "value"`},
		{"null", "POST", "/calling/recordings", q, h, `{"recordingContentType":null}`, "null is not allowed"},
		{"no api-version", "GET", "/calling/recordings/abc", url.Values{}, nil, "", "api-version"},
		{"bad request id", "POST", "/calling/recordings", q, http.Header{"Repeatability-Request-Id": {"x"}, "Repeatability-First-Sent": {"Sun, 06 Nov 1994 08:49:37 GMT"}}, `{}`, "not a uuid"},
		{"bad first-sent", "POST", "/calling/recordings", q, http.Header{"Repeatability-First-Sent": {"2024-01-01"}}, `{}`, "RFC 1123"},
		{"body on pause", "POST", "/calling/recordings/abc:pause", q, nil, `{}`, "takes no body"},
		{"unknown path", "GET", "/calling/records", q, nil, "", "no path template"},
	} {
		errs := s.CheckRequest(tc.method, tc.path, tc.q, tc.h, []byte(tc.body))
		if !containsErr(errs, tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.name, errs, tc.want)
		}
	}
	for _, tc := range []struct {
		method, path string
		status       int
		body, want   string
	}{
		{"POST", "/calling/recordings", 200, `{"recordingId":"x","recordingState":"paused"}`, "not in enum"},
		{"POST", "/calling/recordings/abc:pause", 200, ``, "not a declared response"},
		{"DELETE", "/calling/recordings/abc", 204, `{}`, "declares no body"},
		{"GET", "/calling/recordings/abc", 404, `{"error":{"code":"x"}}`, `missing required property "message"`},
		{"GET", "/calling/recordings/abc", 500, `<html>`, "not JSON"},
	} {
		errs := s.CheckResponse(tc.method, tc.path, tc.status, []byte(tc.body))
		if !containsErr(errs, tc.want) {
			t.Errorf("%s %s %d: errors %v, want %q", tc.method, tc.path, tc.status, errs, tc.want)
		}
	}
	if op := s.Operation("POST", "/calling/recordings/eyJQ%2Fx:resume"); op != "CallRecording_ResumeRecording" {
		t.Errorf("operation %q", op)
	}
}

func containsErr(errs []error, want string) bool {
	for _, e := range errs {
		if strings.Contains(e.Error(), want) {
			return true
		}
	}
	return false
}

type hook struct {
	mu     sync.Mutex
	bodies [][]byte
	hdr    []http.Header
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies = append(h.bodies, b)
	h.hdr = append(h.hdr, r.Header.Clone())
	h.mu.Unlock()
}

func (h *hook) events(t *testing.T) []eventGrid {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []eventGrid
	for _, b := range h.bodies {
		var evs []eventGrid
		if err := json.Unmarshal(b, &evs); err != nil {
			t.Fatalf("webhook body not an array of events: %v", err)
		}
		out = append(out, evs...)
	}
	return out
}

type eventGrid struct {
	ID              string                      `json:"id"`
	Topic           string                      `json:"topic"`
	Subject         string                      `json:"subject"`
	EventType       string                      `json:"eventType"`
	DataVersion     string                      `json:"dataVersion"`
	MetadataVersion string                      `json:"metadataVersion"`
	EventTime       string                      `json:"eventTime"`
	Data            recording.FileStatusUpdated `json:"data"`
}

func tone(freq float64, seconds float64) []float32 {
	out := make([]float32, int(seconds*16000))
	for i := range out {
		out[i] = float32(0.5 * math.Sin(2*math.Pi*freq*float64(i)/16000))
	}
	return out
}

type rig struct {
	clock  *acstest.ManualClock
	sim    *acstest.Server
	client *acs.Client
	hook   *hook
}

func newRig(t *testing.T, opts acstest.Options) *rig {
	t.Helper()
	r := &rig{clock: acstest.NewManualClock(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)), hook: &hook{}}
	hs := httptest.NewServer(r.hook)
	t.Cleanup(hs.Close)
	opts.Clock, opts.EventGridWebhook, opts.Spec = r.clock.Now, hs.URL, spec(t)
	r.sim = acstest.NewServer(opts)
	t.Cleanup(r.sim.Close)
	var err error
	r.client, err = acs.NewClientFromConnectionString(r.sim.ConnectionString(), acs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.client.Now = r.clock.Now
	return r
}

func (r *rig) wait(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.sim.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) get(t *testing.T, loc, signedHost string, hdr http.Header) (int, http.Header, []byte) {
	t.Helper()
	signer, _ := acs.NewHMACSigner(r.sim.AccessKey())
	req, _ := http.NewRequest(http.MethodGet, loc, nil)
	for k, v := range hdr {
		req.Header[k] = v
	}
	if signedHost != "-" {
		_ = signer.Sign(req, nil, signedHost, r.clock.Now())
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// fetch follows the one redirect and returns the body.
func (r *rig) fetch(t *testing.T, loc string) []byte {
	t.Helper()
	status, h, _ := r.get(t, loc, r.sim.Host(), nil)
	if status != http.StatusFound {
		t.Fatalf("first hop: %d, want 302", status)
	}
	next := h.Get("Location")
	if u, _ := url.Parse(next); u.Host == r.sim.StorageHosts()[0] || u.Host != r.sim.StorageHosts()[1] {
		t.Fatalf("redirect to %s, want the second storage host", next)
	}
	status, h, b := r.get(t, next, r.sim.Host(), nil)
	if status != http.StatusOK || h.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("second hop: %d %s", status, h.Get("Content-Type"))
	}
	return b
}

func TestRecordingRendering(t *testing.T) {
	r := newRig(t, acstest.Options{ChunkDuration: 4 * time.Second})
	agent, customer := "8:acs:res_agent", "4:+14255550100"
	call := r.sim.AddCall(acstest.Call{Start: r.clock.Now(), Participants: []acstest.Participant{
		{RawID: agent, Audio: append(make([]float32, 16000*2), tone(500, 20)...)}, // speaks from 2 s
		{RawID: customer, Audio: tone(700, 20)},                                   // speaks from 0 s
	}})
	ctx := context.Background()
	res, err := r.client.StartRecording(ctx, acs.StartRequest{CallLocator: acs.ServerCall(call.ServerCallID),
		RecordingContentType: acs.ContentAudio, RecordingChannelType: acs.ChannelUnmixed, RecordingFormatType: acs.FormatWav}, acs.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(3 * time.Second) // active 0–3 s
	if _, err := r.client.PauseRecording(ctx, res.RecordingID); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(2 * time.Second) // paused 3–5 s
	if _, err := r.client.ResumeRecording(ctx, res.RecordingID); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(3 * time.Second) // active 5–8 s
	if _, err := r.client.StopRecording(ctx, res.RecordingID); err != nil {
		t.Fatal(err)
	}
	r.wait(t)
	evs := r.hook.events(t)
	if len(evs) != 1 || evs[0].EventType != recording.EventRecordingFileStatusUpdated || evs[0].DataVersion != "1.0" || evs[0].MetadataVersion != "1" {
		t.Fatalf("events %+v", evs)
	}
	if s := recording.ParseSubject(evs[0].Subject); s.RecordingID != res.RecordingID || s.ServerCallID != call.ServerCallID || s.CallID != call.CorrelationID {
		t.Errorf("subject %s", evs[0].Subject)
	}
	d := evs[0].Data
	if d.RecordingDurationMs != 6000 || !d.RecordingStartTime.Equal(call.Start) || d.RecordingChannelType != "Unmixed" {
		t.Errorf("data %+v", d)
	}
	chunks := d.RecordingStorageInfo.RecordingChunks
	if len(chunks) != 2 || chunks[0].EndReason != "ChunkMaximumTimeExceeded" || !chunks[1].IsLast() {
		t.Fatalf("chunks %+v", chunks)
	}
	// Chunk 0: 4 s of audio = 0–3 s and 5–6 s; the pause lies inside it.
	md0, err := recording.ParseMetadata(r.fetch(t, chunks[0].MetadataLocation))
	if err != nil {
		t.Fatal(err)
	}
	if md0.ChunkDurationMs != 4000 || len(md0.PauseResumeIntervals) != 1 || md0.PauseResumeIntervals[0].DurationMs != 2000 ||
		!md0.PauseResumeIntervals[0].StartTime.Equal(call.Start.Add(3*time.Second)) || md0.ResourceID != r.sim.ResourceID() {
		t.Errorf("chunk 0 metadata %+v", md0)
	}
	// The customer spoke first: channel 0.
	if p, _ := md0.ChannelParticipant(0); p.ParticipantID != customer {
		t.Errorf("channel 0 = %q, want the first speaker", p.ParticipantID)
	}
	md1, _ := recording.ParseMetadata(r.fetch(t, chunks[1].MetadataLocation))
	if md1.ChunkIndex != 1 || md1.ChunkDurationMs != 2000 || len(md1.PauseResumeIntervals) != 0 || !md1.ChunkStartTime.Equal(call.Start.Add(6*time.Second)) {
		t.Errorf("chunk 1 metadata %+v", md1)
	}
	wav := r.fetch(t, chunks[0].ContentLocation)
	if string(wav[:4]) != "RIFF" || binary.LittleEndian.Uint16(wav[22:]) != 2 || binary.LittleEndian.Uint32(wav[24:]) != 16000 || binary.LittleEndian.Uint16(wav[34:]) != 16 {
		t.Fatalf("bad WAV header % x", wav[:44])
	}
	pcm := wav[44:]
	if len(pcm) != 4*16000*4 {
		t.Fatalf("%d PCM bytes, want 4 s × 2 ch", len(pcm))
	}
	sample := func(frame, ch int) float64 {
		return float64(int16(binary.LittleEndian.Uint16(pcm[frame*4+ch*2:]))) / 32767
	}
	// Frame at audio offset 3.0 s is wall-clock 5.0 s: the agent's tone
	// there equals its source sample at 5.0 s (the pause was cut out).
	src := call.Participants[0].Audio
	for _, f := range []int{3*16000 + 10, 3*16000 + 123} {
		wall := f + 2*16000
		if got, want := sample(f, 1), float64(src[wall]); math.Abs(got-want) > 1e-3 {
			t.Errorf("frame %d agent %v, want source sample at wall %d: %v", f, got, wall, want)
		}
	}
	// The agent is silent before 2 s.
	if sample(16000, 1) != 0 {
		t.Error("agent channel not silent at 1 s")
	}
	// Range requests answer 206 with Content-Range.
	status, h, _ := r.get(t, strings.Replace(chunks[0].ContentLocation, r.sim.StorageHosts()[0], r.sim.StorageHosts()[1], 1), r.sim.Host(), http.Header{"Range": {"bytes=0-43"}})
	if status != http.StatusPartialContent || h.Get("Content-Range") != "bytes 0-43/"+itoa(len(wav)) {
		t.Errorf("range: %d %q", status, h.Get("Content-Range"))
	}
	for _, v := range r.sim.SpecViolations() {
		t.Errorf("spec: %s", v)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestContentEndpointAuth(t *testing.T) {
	r := newRig(t, acstest.Options{})
	call := r.sim.AddCall(acstest.Call{Start: r.clock.Now(), Participants: []acstest.Participant{{RawID: "4:+1", Audio: tone(300, 5)}}})
	ctx := context.Background()
	res, err := r.client.StartRecording(ctx, acs.StartRequest{CallLocator: acs.ServerCall(call.ServerCallID), RecordingContentType: acs.ContentAudio, RecordingFormatType: acs.FormatWav}, acs.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(2 * time.Second)
	if _, err := r.client.StopRecording(ctx, res.RecordingID); err != nil {
		t.Fatal(err)
	}
	r.wait(t)
	loc := r.hook.events(t)[0].Data.RecordingStorageInfo.RecordingChunks[0]
	for _, tc := range []struct {
		name, signedHost string
		want             int
	}{
		{"signed against the storage host (no x-ms-host)", "", 401},
		{"unsigned", "-", 401},
		{"wrong x-ms-host", "other.communication.azure.com", 401},
		{"signed against the ACS host", r.sim.Host(), 302},
	} {
		status, _, body := r.get(t, loc.ContentLocation, tc.signedHost, nil)
		if status != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, status, tc.want)
		}
		if status == 401 && !strings.Contains(string(body), `"title":"Unauthorized"`) {
			t.Errorf("%s: 401 body %s", tc.name, body)
		}
	}
	// Delete, then the content is gone (404, empty body).
	signer, _ := acs.NewHMACSigner(r.sim.AccessKey())
	req, _ := http.NewRequest(http.MethodDelete, loc.DeleteLocation, nil)
	_ = signer.Sign(req, nil, r.sim.Host(), r.clock.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("delete: %v %v", err, resp)
	}
	resp.Body.Close()
	if status, _, body := r.get(t, loc.MetadataLocation, r.sim.Host(), nil); status != 404 || len(body) != 0 {
		t.Errorf("after delete: %d %q", status, body)
	}
}

func TestCallbacksSignedAndOrdered(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]any
	var auths []string
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var evs []map[string]any
		_ = json.NewDecoder(r.Body).Decode(&evs)
		mu.Lock()
		got = append(got, evs...)
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
	}))
	defer cb.Close()
	r := newRig(t, acstest.Options{Faults: acstest.Faults{DuplicateCallbacks: true}})
	call := r.sim.AddCall(acstest.Call{})
	res, err := r.client.StartRecording(context.Background(), acs.StartRequest{CallLocator: acs.ServerCall(call.ServerCallID), RecordingStateCallbackURI: cb.URL,
		RecordingContentType: acs.ContentAudio, RecordingFormatType: acs.FormatWav}, acs.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r.wait(t)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 4 {
		t.Fatalf("%d callbacks, want inactive+active each twice", len(got))
	}
	first, second := got[0]["data"].(map[string]any), got[2]["data"].(map[string]any)
	if first["state"] != "inactive" || first["startDateTime"] != "0001-01-01T00:00:00+00:00" || second["state"] != "active" {
		t.Errorf("callbacks %v / %v", first, second)
	}
	if got[0]["id"] != got[1]["id"] {
		t.Error("duplicate has a different id")
	}
	// The bot's leg, not an app leg; the recording id inside the source.
	if first["recordingId"] != res.RecordingID || !strings.Contains(got[0]["source"].(string), res.RecordingID) || first["callConnectionId"] == "" {
		t.Errorf("callback ids %v", first)
	}
	// Callback data matches the swagger definitions of the events.
	sp := spec(t)
	for _, ev := range got {
		b, _ := json.Marshal(ev["data"])
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.UseNumber()
		var v any
		_ = dec.Decode(&v)
		for _, e := range sp.Validate("RecordingStateChanged", v, false) {
			t.Errorf("callback data: %v", e)
		}
	}
	if !strings.HasPrefix(auths[0], "Bearer ey") {
		t.Errorf("authorization %q", auths[0])
	}
}

func TestBYOSToAzurite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Azurite")
	}
	az := azuritetest.Start(t)
	ctx := context.Background()
	bc, err := azblob.NewClientFromConnectionString(az.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bc.CreateContainer(ctx, "recordings", nil); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, acstest.Options{BlobConnectionString: az.ConnectionString()})
	call := r.sim.AddCall(acstest.Call{Start: r.clock.Now(), Participants: []acstest.Participant{{RawID: "4:+1", Audio: tone(300, 5)}, {RawID: "4:+2", Audio: tone(400, 5)}}})
	containerURL := az.BlobURL + "/recordings/byos"
	res, err := r.client.StartRecording(ctx, acs.StartRequest{CallLocator: acs.ServerCall(call.ServerCallID), RecordingContentType: acs.ContentAudio,
		RecordingChannelType: acs.ChannelUnmixed, RecordingFormatType: acs.FormatWav, PauseOnStart: true,
		ExternalStorage: &acs.ExternalStorage{RecordingStorageKind: acs.StorageBlob, RecordingDestinationContainerURL: containerURL}}, acs.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(time.Second)
	if _, err := r.client.ResumeRecording(ctx, res.RecordingID); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(2 * time.Second)
	if _, err := r.client.StopRecording(ctx, res.RecordingID); err != nil {
		t.Fatal(err)
	}
	r.wait(t)
	evs := r.hook.events(t)
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	ch := evs[0].Data.RecordingStorageInfo.RecordingChunks[0]
	if !strings.HasPrefix(ch.MetadataLocation, containerURL+"/20261120/"+call.CorrelationID+"/"+res.RecordingID[:8]+"-") ||
		!strings.HasSuffix(ch.MetadataLocation, "/0-acsmetadata."+ch.DocumentID+".json") || !strings.HasSuffix(ch.ContentLocation, "/0-audiowav."+ch.DocumentID+".wav") {
		t.Errorf("BYOS layout: %s / %s", ch.MetadataLocation, ch.ContentLocation)
	}
	var names []string
	pager := bc.NewListBlobsFlatPager("recordings", nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range page.Segment.BlobItems {
			names = append(names, *b.Name)
		}
	}
	if len(names) != 2 {
		t.Fatalf("blobs %v", names)
	}
	blobName := strings.TrimPrefix(ch.MetadataLocation, az.BlobURL+"/recordings/")
	dl, err := bc.DownloadStream(ctx, "recordings", blobName, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(dl.Body)
	dl.Body.Close()
	md, err := recording.ParseMetadata(b)
	if err != nil {
		t.Fatal(err)
	}
	if md.ChunkDurationMs != 2000 || len(md.Participants) != 2 || !md.ChunkStartTime.Equal(call.Start.Add(time.Second)) {
		t.Errorf("metadata %+v", md)
	}
}

// A recording stopped at the instant it started (or never resumed after
// pauseOnStart) produces no file and no event.
func TestEmptyRecordingProducesNothing(t *testing.T) {
	r := newRig(t, acstest.Options{})
	call := r.sim.AddCall(acstest.Call{Participants: []acstest.Participant{{RawID: "4:+1", Audio: tone(300, 1)}}})
	ctx := context.Background()
	for _, pause := range []bool{false, true} {
		res, err := r.client.StartRecording(ctx, acs.StartRequest{CallLocator: acs.ServerCall(call.ServerCallID), RecordingContentType: acs.ContentAudio, RecordingFormatType: acs.FormatWav, PauseOnStart: pause}, acs.StartOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r.clock.Advance(time.Duration(map[bool]int{false: 0, true: 2}[pause]) * time.Second)
		if _, err := r.client.StopRecording(ctx, res.RecordingID); err != nil {
			t.Fatal(err)
		}
	}
	r.wait(t)
	if evs := r.hook.events(t); len(evs) != 0 {
		t.Errorf("%d events for empty recordings", len(evs))
	}
}
