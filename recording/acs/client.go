package acs

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// TokenScope is the Entra ID scope of the ACS data plane (the double slash
// is how the SDKs spell it).
const TokenScope = "https://communication.azure.com//.default"

// Options configure a Client. The zero value of a field means its default.
type Options struct {
	// APIVersion is the api-version query value. Default DefaultAPIVersion.
	APIVersion string `yaml:"api_version"`
	// MaxAttempts bounds attempts per operation (first try included) on
	// 5xx, 429, 408 and connection errors. Default 5.
	MaxAttempts int `yaml:"max_attempts"`
	// RetryDelay is the first backoff; it doubles per attempt with jitter,
	// up to MaxRetryDelay. A Retry-After header overrides it (capped at
	// MaxRetryDelay). Defaults 500ms and 30s.
	RetryDelay    time.Duration `yaml:"retry_delay"`
	MaxRetryDelay time.Duration `yaml:"max_retry_delay"`
	// AttemptTimeout bounds one HTTP exchange. Default 30s.
	AttemptTimeout time.Duration `yaml:"attempt_timeout"`

	// HTTPClient sends the requests; redirects are never followed (the
	// client copies it and sets CheckRedirect). Default: a new client.
	HTTPClient *http.Client `yaml:"-"`
	// Logger receives retry and failure logs. Default: discard.
	Logger *slog.Logger `yaml:"-"`
}

// DefaultOptions returns the documented defaults.
func DefaultOptions() Options {
	return Options{
		APIVersion:     DefaultAPIVersion,
		MaxAttempts:    5,
		RetryDelay:     500 * time.Millisecond,
		MaxRetryDelay:  30 * time.Second,
		AttemptTimeout: 30 * time.Second,
	}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.APIVersion == "" {
		o.APIVersion = d.APIVersion
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = d.MaxAttempts
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = d.RetryDelay
	}
	if o.MaxRetryDelay <= 0 {
		o.MaxRetryDelay = d.MaxRetryDelay
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = d.AttemptTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Client calls the Call Automation recording API. It is safe for
// concurrent use.
type Client struct {
	endpoint *url.URL
	opts     Options
	hc       *http.Client
	auth     func(ctx context.Context, req *http.Request, body []byte, now time.Time) error

	// Now and Sleep are replaceable for tests.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// NewClient returns a client authenticating with the HMAC access key of a
// connection string.
func NewClient(cs ConnectionString, opts Options) (*Client, error) {
	signer, err := NewHMACSigner(cs.AccessKey)
	if err != nil {
		return nil, err
	}
	c := newClient(cs.Endpoint, opts)
	c.auth = func(_ context.Context, req *http.Request, body []byte, now time.Time) error {
		return signer.Sign(req, body, "", now)
	}
	return c, nil
}

// NewClientFromConnectionString parses cs and calls NewClient.
func NewClientFromConnectionString(cs string, opts Options) (*Client, error) {
	p, err := ParseConnectionString(cs)
	if err != nil {
		return nil, err
	}
	return NewClient(p, opts)
}

// NewTokenClient returns a client authenticating with Entra ID bearer
// tokens from cred (for example azidentity.NewDefaultAzureCredential) for
// the scope TokenScope.
func NewTokenClient(endpoint string, cred azcore.TokenCredential, opts Options) (*Client, error) {
	u, err := ParseEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	if cred == nil {
		return nil, errors.New("acs: nil token credential")
	}
	c := newClient(u, opts)
	tc := &tokenCache{cred: cred}
	c.auth = func(ctx context.Context, req *http.Request, _ []byte, now time.Time) error {
		tok, err := tc.get(ctx, now)
		if err != nil {
			return fmt.Errorf("get entra id token: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}
	return c, nil
}

func newClient(endpoint *url.URL, opts Options) *Client {
	opts = opts.withDefaults()
	var hc http.Client
	if opts.HTTPClient != nil {
		hc = *opts.HTTPClient
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{
		endpoint: endpoint,
		opts:     opts,
		hc:       &hc,
		Now:      time.Now,
		Sleep:    sleepCtx,
	}
}

// Endpoint returns the resource endpoint.
func (c *Client) Endpoint() string { return c.endpoint.String() }

// tokenCache keeps a token until five minutes before it expires.
type tokenCache struct {
	cred azcore.TokenCredential
	mu   sync.Mutex
	tok  azcore.AccessToken
}

func (t *tokenCache) get(ctx context.Context, now time.Time) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok.Token != "" && now.Add(5*time.Minute).Before(t.tok.ExpiresOn) {
		return t.tok.Token, nil
	}
	tok, err := t.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{TokenScope}})
	if err != nil {
		return "", err
	}
	t.tok = tok
	return tok.Token, nil
}

// StartRecording starts recording a call. The repeatability headers are
// generated once (unless so supplied) and sent unchanged on every retry, so
// a retried start never starts a second recording.
func (c *Client) StartRecording(ctx context.Context, req StartRequest, so StartOptions) (*StartResult, error) {
	if err := validateStart(&req); err != nil {
		return nil, err
	}
	if so.RepeatabilityRequestID == "" {
		so.RepeatabilityRequestID = NewUUID()
	}
	if so.FirstSent.IsZero() {
		so.FirstSent = c.Now()
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode start request: %w", err)
	}
	h := http.Header{}
	h.Set("Repeatability-Request-ID", so.RepeatabilityRequestID)
	h.Set("Repeatability-First-Sent", FormatDate(so.FirstSent))
	resp, err := c.do(ctx, "start recording", http.MethodPost, "/calling/recordings", h, body, http.StatusOK, http.StatusAccepted)
	if err != nil {
		return nil, err
	}
	res := &StartResult{StatusCode: resp.status, RepeatabilityResult: headerValue(resp.header, "Repeatability-Result"), ResponseInfo: responseInfo(resp.header)}
	if err := json.Unmarshal(resp.body, &res.RecordingState); err != nil {
		return nil, fmt.Errorf("acs start recording: decode response (HTTP %d): %w", resp.status, err)
	}
	if res.RecordingID == "" {
		return nil, fmt.Errorf("acs start recording: HTTP %d response has no recordingId", resp.status)
	}
	return res, nil
}

func validateStart(r *StartRequest) error {
	switch {
	case r.CallLocator == nil && r.CallConnectionID == "":
		return errors.New("acs start recording: need a call locator or a call connection id")
	case r.CallLocator != nil && r.CallConnectionID != "":
		return errors.New("acs start recording: give either a call locator or a call connection id, not both")
	}
	if l := r.CallLocator; l != nil {
		switch l.Kind {
		case LocatorServerCall:
			if l.ServerCallID == "" {
				return errors.New("acs start recording: serverCallLocator without serverCallId")
			}
		case LocatorGroupCall:
			if l.GroupCallID == "" {
				return errors.New("acs start recording: groupCallLocator without groupCallId")
			}
		case LocatorRoomCall:
			if l.RoomID == "" {
				return errors.New("acs start recording: roomCallLocator without roomId")
			}
		default:
			return fmt.Errorf("acs start recording: unknown call locator kind %q", l.Kind)
		}
	}
	if err := oneOf("recordingContentType", r.RecordingContentType, ContentAudio, ContentAudioVideo); err != nil {
		return err
	}
	if err := oneOf("recordingChannelType", r.RecordingChannelType, ChannelMixed, ChannelUnmixed); err != nil {
		return err
	}
	if err := oneOf("recordingFormatType", r.RecordingFormatType, FormatWav, FormatMp3, FormatMp4); err != nil {
		return err
	}
	for i, a := range r.ChannelAffinity {
		if a.Channel != nil && (*a.Channel < 0 || *a.Channel > 4) {
			return fmt.Errorf("acs start recording: channelAffinity[%d].channel %d out of range 0..4", i, *a.Channel)
		}
	}
	if s := r.ExternalStorage; s != nil {
		if err := oneOf("externalStorage.recordingStorageKind", s.RecordingStorageKind, StorageACS, StorageBlob); err != nil {
			return err
		}
		if s.RecordingStorageKind == "" {
			return errors.New("acs start recording: externalStorage.recordingStorageKind is required")
		}
		if s.RecordingDestinationContainerURL != "" {
			if u, err := url.Parse(s.RecordingDestinationContainerURL); err != nil || !u.IsAbs() {
				return errors.New("acs start recording: externalStorage.recordingDestinationContainerUrl is not an absolute URL")
			}
		}
	}
	return nil
}

func oneOf(field, v string, allowed ...string) error {
	if v == "" {
		return nil
	}
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("acs start recording: %s %q, want one of %s", field, v, strings.Join(allowed, ", "))
}

// GetRecording returns the recording's state.
func (c *Client) GetRecording(ctx context.Context, recordingID string) (*RecordingState, error) {
	p, err := recordingPath(recordingID, "")
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, "get recording state", http.MethodGet, p, nil, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var st RecordingState
	if err := json.Unmarshal(resp.body, &st); err != nil {
		return nil, fmt.Errorf("acs get recording state: decode response: %w", err)
	}
	return &st, nil
}

// PauseRecording pauses a recording (202 Accepted).
func (c *Client) PauseRecording(ctx context.Context, recordingID string) (ResponseInfo, error) {
	return c.simple(ctx, "pause recording", http.MethodPost, recordingID, ":pause", http.StatusAccepted)
}

// ResumeRecording resumes a paused recording (202 Accepted).
func (c *Client) ResumeRecording(ctx context.Context, recordingID string) (ResponseInfo, error) {
	return c.simple(ctx, "resume recording", http.MethodPost, recordingID, ":resume", http.StatusAccepted)
}

// StopRecording stops a recording (204 No Content).
func (c *Client) StopRecording(ctx context.Context, recordingID string) (ResponseInfo, error) {
	return c.simple(ctx, "stop recording", http.MethodDelete, recordingID, "", http.StatusNoContent)
}

func (c *Client) simple(ctx context.Context, op, method, id, suffix string, ok int) (ResponseInfo, error) {
	p, err := recordingPath(id, suffix)
	if err != nil {
		return ResponseInfo{}, err
	}
	resp, err := c.do(ctx, op, method, p, nil, nil, ok)
	if err != nil {
		return ResponseInfo{}, err
	}
	return responseInfo(resp.header), nil
}

// MaxRecordingIDLen bounds a recording id (real ones are ~160 bytes).
const MaxRecordingIDLen = 1024

// recordingPath returns the escaped path of a recording operation; the id
// is percent-escaped as one path segment ('/' and '+' included).
func recordingPath(id, suffix string) (string, error) {
	if id == "" {
		return "", errors.New("acs: empty recording id")
	}
	if len(id) > MaxRecordingIDLen {
		return "", fmt.Errorf("acs: recording id is %d bytes, limit %d", len(id), MaxRecordingIDLen)
	}
	return "/calling/recordings/" + escapeSegment(id) + suffix, nil
}

// escapeSegment percent-escapes everything but RFC 3986 unreserved
// characters, so '/', '+', '=' and ':' never change the path's meaning.
func escapeSegment(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '-' || ch == '.' || ch == '_' || ch == '~' {
			b.WriteByte(ch)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[ch>>4])
		b.WriteByte(hex[ch&15])
	}
	return b.String()
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// maxResponseBody bounds a success body (RecordingStateResponse is tiny).
const maxResponseBody = 1 << 20

// do sends one logical request with retries. escapedPath is already escaped.
func (c *Client) do(ctx context.Context, op, method, escapedPath string, hdr http.Header, body []byte, okStatus ...int) (*response, error) {
	u := *c.endpoint
	rawPath := strings.TrimSuffix(c.endpoint.EscapedPath(), "/") + escapedPath
	p, err := url.PathUnescape(rawPath)
	if err != nil {
		return nil, fmt.Errorf("acs %s: bad path: %w", op, err)
	}
	u.Path, u.RawPath = p, rawPath
	u.RawQuery = url.Values{"api-version": {c.opts.APIVersion}}.Encode()
	var lastErr error
	for attempt := 1; ; attempt++ {
		resp, err := c.attempt(ctx, method, &u, hdr, body)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, fmt.Errorf("acs %s: %w", op, ctx.Err())
			}
			lastErr = fmt.Errorf("acs %s: %w", op, err)
		case slices.Contains(okStatus, resp.status):
			return resp, nil
		default:
			re := newResponseError(op, resp.status, resp.header, resp.body)
			re.Attempts = attempt
			if !retryable(resp.status) {
				return nil, re
			}
			lastErr, wait = re, re.RetryAfter
		}
		if attempt >= c.opts.MaxAttempts {
			return nil, lastErr
		}
		if wait <= 0 {
			wait = c.backoff(attempt)
		}
		if wait > c.opts.MaxRetryDelay {
			wait = c.opts.MaxRetryDelay
		}
		c.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "acs request failed, retrying",
			slog.String("op", op), slog.Int("attempt", attempt), slog.Duration("wait", wait), slog.String("error", lastErr.Error()))
		if err := c.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("acs %s: %w (last error: %w)", op, err, lastErr)
		}
	}
}

func (c *Client) attempt(ctx context.Context, method string, u *url.URL, hdr http.Header, body []byte) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	req.Header.Set("Accept", "application/json")
	// Sign at send time: every retry gets a fresh date and signature.
	if err := c.auth(ctx, req, body, c.Now()); err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	limit := int64(maxResponseBody)
	if resp.StatusCode >= 300 {
		limit = maxErrorBody
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func retryable(status int) bool {
	return status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.RetryDelay << (attempt - 1)
	if d <= 0 || d > c.opts.MaxRetryDelay {
		d = c.opts.MaxRetryDelay
	}
	// Jitter in [d/2, d].
	return d/2 + time.Duration(mrand.Int64N(int64(d/2)+1))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// NewUUID returns a random (version 4) UUID.
func NewUUID() string {
	var b [16]byte
	if _, err := cryptoRead(b[:]); err != nil {
		panic("acs: crypto/rand: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

var cryptoRead = rand.Read
