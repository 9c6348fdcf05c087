package acstest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/callscope/callscope/recording/acs"
)

// Options configure a Server. Zero values mean the documented defaults.
type Options struct {
	// AccessKey is the base64 HMAC key. Default: 32 random bytes.
	AccessKey string
	// ResourceID is the resource's immutable id: the callback JWT audience
	// and the metadata resourceId. Default: a random GUID.
	ResourceID string
	// Issuer is the callback JWT issuer published in the discovery
	// document. Default: the server's URL.
	Issuer string
	// APIVersions lists the accepted api-version values. Default: the
	// stable versions with recording (2023-10-15 … 2025-06-15).
	APIVersions []string
	// BearerToken, when set, is accepted as "Authorization: Bearer <token>"
	// instead of an HMAC signature (stands in for an Entra ID token).
	BearerToken string
	// MaxClockSkew bounds |x-ms-date - now|. Default 15 minutes.
	MaxClockSkew time.Duration
	// Clock is the simulated wall clock. Default time.Now.
	Clock func() time.Time
	// StartStatus is the success status of start: 200 (default) or 202.
	StartStatus int
	// SampleRate of rendered recordings. Default 16000.
	SampleRate int
	// ChunkDuration splits a recording into chunks of at most this much
	// audio. 0: one chunk.
	ChunkDuration time.Duration
	// SeparateChunkEvents delivers one RecordingFileStatusUpdated per chunk
	// instead of one event listing all chunks.
	SeparateChunkEvents bool
	// SwapRecordingInfo writes recordingInfo.contentType and channelType
	// swapped, as seen in real metadata captures.
	SwapRecordingInfo bool
	// NoRedirect serves content from the first storage host directly
	// instead of redirecting to the second one.
	NoRedirect bool
	// EventGridWebhook receives RecordingFileStatusUpdated (Event Grid
	// schema, JSON array). Empty: no delivery.
	EventGridWebhook string
	// CloudEvents delivers in the CloudEvents 1.0 schema instead (still a
	// JSON array, Content-Type application/cloudevents-batch+json).
	CloudEvents bool
	// BlobConnectionString is used to write bring-your-own-storage
	// recordings (an Azurite connection string in tests).
	BlobConnectionString string
	// EmptyNotFoundBodies answers 404 with an empty body (seen in real
	// captures) instead of a CommunicationErrorResponse.
	EmptyNotFoundBodies bool
	// Faults injects failures.
	Faults Faults
	// Spec, when set, validates every REST request and response; see
	// Server.SpecViolations.
	Spec *Spec
	// HTTPClient sends callbacks and webhook deliveries. Default: a client
	// with a 10 s timeout.
	HTTPClient *http.Client
	// Logger logs the simulator's activity. Default: discard.
	Logger *slog.Logger
}

// Faults are injected failures. Change them at run time with SetFaults.
type Faults struct {
	// FailRequests answers the next N REST requests with FailStatus
	// (default 503) and a CommunicationErrorResponse, before doing
	// anything else (a start that fails this way starts nothing).
	FailRequests int
	FailStatus   int
	// RetryAfter is sent with injected failures when non-empty.
	RetryAfter string
	// HTMLErrors makes injected failures carry an HTML body.
	HTMLErrors bool
	// Delay is added before every REST response.
	Delay time.Duration
	// DuplicateCallbacks delivers every callback twice.
	DuplicateCallbacks bool
	// ReorderCallbacks swaps consecutive callbacks (the held one is flushed
	// by WaitIdle or Close).
	ReorderCallbacks bool
	// CallbackDelay is waited before each callback delivery.
	CallbackDelay time.Duration
	// FailStarts makes the next N accepted starts fail asynchronously: the
	// request is answered 200/202 as usual, then StartRecordingFailed is
	// sent instead of RecordingStateChanged active, and the recording ends
	// without a file.
	FailStarts int
}

// Participant is one participant of a simulated call. Audio is mono float32
// at the server's sample rate, sample 0 at Call.Start.
type Participant struct {
	RawID string
	Audio []float32
}

// Call is a call the simulator knows; recordings can be started on it by
// its server call id, group call id or one of its call connection ids.
type Call struct {
	ServerCallID      string
	GroupCallID       string
	CallConnectionIDs []string
	CorrelationID     string
	Start             time.Time
	Participants      []Participant
}

// Server is a running simulator.
type Server struct {
	opts     Options
	signer   *acs.HMACSigner
	rsaKey   *rsa.PrivateKey
	kid      string
	rest     *httptest.Server
	storage  *httptest.Server
	storage2 *httptest.Server
	hc       *http.Client
	log      *slog.Logger
	ctx      context.Context
	cancel   context.CancelFunc

	mu         sync.Mutex
	faults     Faults
	calls      []*Call
	recordings map[string]*recordingState
	repeat     map[string]*repeatEntry
	objects    map[string]*object // documentId → stored chunk
	exchanges  []Exchange
	violations []string
	deliveries []Delivery

	cbMu    sync.Mutex
	cbCond  *sync.Cond
	cbQueue []delivery
	cbHeld  *delivery
	cbBusy  int
	closed  bool
	workers sync.WaitGroup
}

// NewServer starts a simulator. Call Close when done.
func NewServer(opts Options) *Server {
	if opts.AccessKey == "" {
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		opts.AccessKey = base64.StdEncoding.EncodeToString(k)
	}
	if opts.ResourceID == "" {
		opts.ResourceID = acs.NewUUID()
	}
	if len(opts.APIVersions) == 0 {
		opts.APIVersions = []string{"2023-10-15", "2024-04-15", "2024-09-15", "2025-05-15", "2025-06-15"}
	}
	if opts.MaxClockSkew <= 0 {
		opts.MaxClockSkew = 15 * time.Minute
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.StartStatus == 0 {
		opts.StartStatus = http.StatusOK
	}
	if opts.SampleRate <= 0 {
		opts.SampleRate = 16000
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	signer, err := acs.NewHMACSigner(opts.AccessKey)
	if err != nil {
		panic("acstest: " + err.Error())
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("acstest: " + err.Error())
	}
	s := &Server{
		opts:       opts,
		signer:     signer,
		rsaKey:     key,
		kid:        acs.NewUUID(),
		hc:         opts.HTTPClient,
		log:        opts.Logger,
		faults:     opts.Faults,
		recordings: map[string]*recordingState{},
		repeat:     map[string]*repeatEntry{},
		objects:    map[string]*object{},
	}
	if s.hc == nil {
		s.hc = &http.Client{Timeout: 10 * time.Second}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.cbCond = sync.NewCond(&s.cbMu)
	s.rest = httptest.NewServer(http.HandlerFunc(s.serveREST))
	s.storage = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serveContent(w, r, true) }))
	s.storage2 = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serveContent(w, r, false) }))
	if s.opts.Issuer == "" {
		s.opts.Issuer = s.rest.URL
	}
	s.workers.Add(1)
	go s.callbackWorker()
	return s
}

// URL returns the resource endpoint, http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.rest.URL }

// Host returns the resource endpoint's host:port (the host downloads are
// signed against and send as x-ms-host).
func (s *Server) Host() string { u, _ := url.Parse(s.rest.URL); return u.Host }

// StorageHosts returns the host:port of the two content hosts (the one in
// contentLocation and the one it redirects to), for download allow-lists.
func (s *Server) StorageHosts() []string {
	a, _ := url.Parse(s.storage.URL)
	b, _ := url.Parse(s.storage2.URL)
	return []string{a.Host, b.Host}
}

// AccessKey returns the base64 HMAC key.
func (s *Server) AccessKey() string { return s.opts.AccessKey }

// ConnectionString returns "endpoint=…;accesskey=…".
func (s *Server) ConnectionString() string {
	return "endpoint=" + s.rest.URL + "/;accesskey=" + s.opts.AccessKey
}

// ResourceID returns the immutable resource id (the callback audience).
func (s *Server) ResourceID() string { return s.opts.ResourceID }

// Issuer returns the callback JWT issuer.
func (s *Server) Issuer() string { return s.opts.Issuer }

// OpenIDConfigURL returns the discovery document URL.
func (s *Server) OpenIDConfigURL() string {
	return s.rest.URL + "/calling/.well-known/acsopenidconfiguration"
}

// Close flushes pending callbacks and stops the listeners.
func (s *Server) Close() {
	s.cbMu.Lock()
	if s.cbHeld != nil {
		s.cbQueue = append(s.cbQueue, *s.cbHeld)
		s.cbHeld = nil
	}
	s.closed = true
	s.cbCond.Broadcast()
	s.cbMu.Unlock()
	s.workers.Wait()
	s.cancel()
	s.rest.Close()
	s.storage.Close()
	s.storage2.Close()
}

// SetFaults replaces the fault configuration.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// AddCall registers a call. Missing ids are generated (ServerCallID as the
// base64 of a URL, like the real ones; CorrelationID as a GUID).
func (s *Server) AddCall(c Call) *Call {
	if c.ServerCallID == "" {
		c.ServerCallID = base64.StdEncoding.EncodeToString([]byte("https://api.flightproxy.skype.com/api/v2/cp/conv-sim.conv.skype.com/conv/" + acs.NewUUID() + "?i=10-60-1-83"))
	}
	if c.CorrelationID == "" {
		c.CorrelationID = acs.NewUUID()
	}
	if c.Start.IsZero() {
		c.Start = s.opts.Clock()
	}
	cp := c
	s.mu.Lock()
	s.calls = append(s.calls, &cp)
	s.mu.Unlock()
	return &cp
}

func (s *Server) findCall(kind, id string) *Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.calls {
		switch kind {
		case "server":
			if c.ServerCallID == id {
				return c
			}
		case "group":
			if c.GroupCallID != "" && c.GroupCallID == id {
				return c
			}
		case "connection":
			for _, cc := range c.CallConnectionIDs {
				if cc == id {
					return c
				}
			}
		}
	}
	return nil
}

// Exchange is one REST request and the simulator's answer.
type Exchange struct {
	Method        string
	EscapedPath   string
	Query         url.Values
	Header        http.Header
	Body          []byte
	Status        int
	RespHeader    http.Header
	RespBody      []byte
	Authenticated bool
}

// Exchanges returns every REST exchange so far.
func (s *Server) Exchanges() []Exchange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Exchange(nil), s.exchanges...)
}

// SpecViolations returns what Options.Spec found wrong in requests and
// responses so far.
func (s *Server) SpecViolations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// RecordingInfo is a snapshot of a simulated recording.
type RecordingInfo struct {
	ID            string
	State         string // active or inactive
	Stopped       bool
	ServerCallID  string
	CorrelationID string
	StartRequests int // start requests that reached this recording (replays included)
	Pauses        int // pause requests accepted
	Resumes       int
	DocumentIDs   []string
}

// Recording returns a snapshot of recording id.
func (s *Server) Recording(id string) (RecordingInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recordings[id]
	if !ok {
		return RecordingInfo{}, false
	}
	return r.info(), true
}

// Recordings returns snapshots of every recording, in start order.
func (s *Server) Recordings() []RecordingInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RecordingInfo, 0, len(s.recordings))
	for _, r := range s.recordings {
		out = append(out, r.info())
	}
	sortInfos(out, s.recordings)
	return out
}

func fmtGUIDish(prefix string) string {
	return fmt.Sprintf("%s-%s", prefix, strings.ReplaceAll(acs.NewUUID(), "-", "")[:24])
}
