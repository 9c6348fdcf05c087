package callback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// DefaultOpenIDConfigURL is the Call Automation OpenID discovery document.
const DefaultOpenIDConfigURL = "https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration"

// Options configure NewHandler. Fields tagged yaml fill from the "callbacks"
// section of the configuration file.
type Options struct {
	// OpenIDConfigURL is the discovery document giving the issuer and
	// jwks_uri. Default DefaultOpenIDConfigURL.
	OpenIDConfigURL string `yaml:"openid_config_url"`
	// Issuer and JWKSURL override the discovery document's values.
	Issuer  string `yaml:"issuer"`
	JWKSURL string `yaml:"jwks_url"`
	// Audience is the ACS resource's immutable resource id. Required.
	Audience string `yaml:"audience"`
	// MaxBodyBytes bounds a request body. Default 1 MiB.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// Leeway is the clock skew allowed on exp/nbf/iat. Default 1 minute.
	Leeway time.Duration `yaml:"leeway"`

	// HTTPClient fetches the discovery document. Default: 10 s timeout.
	HTTPClient *http.Client `yaml:"-"`
	// Logger; default discard.
	Logger *slog.Logger `yaml:"-"`
	// Now is the time tokens are checked against. Default time.Now.
	Now func() time.Time `yaml:"-"`
}

// DefaultOptions returns the documented defaults (Audience still empty).
func DefaultOptions() Options {
	return Options{OpenIDConfigURL: DefaultOpenIDConfigURL, MaxBodyBytes: 1 << 20, Leeway: time.Minute}
}

// Sink receives decoded callbacks. An error makes the handler answer 503.
type Sink interface {
	HandleCallbacks(ctx context.Context, events []Event) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, events []Event) error

// HandleCallbacks calls f.
func (f SinkFunc) HandleCallbacks(ctx context.Context, events []Event) error { return f(ctx, events) }

// Verifier validates callback JWTs.
type Verifier struct {
	issuer   string
	audience string
	kf       keyfunc.Keyfunc
	leeway   time.Duration
	now      func() time.Time
}

// NewVerifier reads the discovery document (unless Issuer and JWKSURL are
// both set) and starts fetching the signing keys; key refresh stops when
// ctx ends.
func NewVerifier(ctx context.Context, opts Options) (*Verifier, error) {
	opts = withDefaults(opts)
	if opts.Audience == "" {
		return nil, errors.New("callback: audience (the ACS immutable resource id) is required")
	}
	issuer, jwks := opts.Issuer, opts.JWKSURL
	if issuer == "" || jwks == "" {
		doc, err := fetchDiscovery(ctx, opts.HTTPClient, opts.OpenIDConfigURL)
		if err != nil {
			return nil, err
		}
		if issuer == "" {
			issuer = doc.Issuer
		}
		if jwks == "" {
			jwks = doc.JWKSURI
		}
	}
	if issuer == "" || jwks == "" {
		return nil, fmt.Errorf("callback: discovery document %s lacks issuer or jwks_uri", opts.OpenIDConfigURL)
	}
	kf, err := keyfunc.NewDefaultCtx(ctx, []string{jwks})
	if err != nil {
		return nil, fmt.Errorf("callback: signing keys from %s: %w", jwks, err)
	}
	return &Verifier{issuer: issuer, audience: opts.Audience, kf: kf, leeway: opts.Leeway, now: opts.Now}, nil
}

func withDefaults(o Options) Options {
	d := DefaultOptions()
	if o.OpenIDConfigURL == "" {
		o.OpenIDConfigURL = d.OpenIDConfigURL
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = d.MaxBodyBytes
	}
	if o.Leeway <= 0 {
		o.Leeway = d.Leeway
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

type discovery struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

func fetchDiscovery(ctx context.Context, hc *http.Client, u string) (*discovery, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("callback: discovery document: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("callback: fetch discovery document: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("callback: fetch discovery document %s: HTTP %d", u, resp.StatusCode)
	}
	var d discovery
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&d); err != nil {
		return nil, fmt.Errorf("callback: decode discovery document %s: %w", u, err)
	}
	return &d, nil
}

// Issuer returns the issuer tokens must carry.
func (v *Verifier) Issuer() string { return v.issuer }

// Verify checks an Authorization header value "Bearer <JWT>".
func (v *Verifier) Verify(authorization string) error {
	tok, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok || tok == "" {
		return errors.New("missing bearer token")
	}
	if len(tok) > 16<<10 {
		return errors.New("bearer token too long")
	}
	_, err := jwt.Parse(tok, v.kf.Keyfunc,
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(v.issuer),
		jwt.WithAudience(v.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(v.leeway),
		jwt.WithTimeFunc(v.now),
	)
	if err != nil {
		return fmt.Errorf("invalid token: %w", err)
	}
	return nil
}

// Handler serves POST /api/callbacks.
type Handler struct {
	v       *Verifier
	sink    Sink
	maxBody int64
	log     *slog.Logger
}

// NewHandler builds the callback endpoint: it validates each request's JWT
// with a Verifier built from opts (discovery is fetched now, with ctx; key
// refresh runs until ctx ends), decodes the events and passes them to sink.
// Mount it at POST /api/callbacks.
func NewHandler(ctx context.Context, opts Options, sink Sink) (*Handler, error) {
	if sink == nil {
		return nil, errors.New("callback: nil sink")
	}
	v, err := NewVerifier(ctx, opts)
	if err != nil {
		return nil, err
	}
	opts = withDefaults(opts)
	return &Handler{v: v, sink: sink, maxBody: opts.MaxBodyBytes, log: opts.Logger}, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if err := h.v.Verify(r.Header.Get("Authorization")); err != nil {
		h.log.Warn("callback rejected", "reason", err.Error(), "remote", r.RemoteAddr)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	events, err := Decode(body)
	if err != nil {
		h.log.Warn("callback undecodable", "error", err.Error())
		http.Error(w, "undecodable callback", http.StatusBadRequest)
		return
	}
	if err := h.sink.HandleCallbacks(r.Context(), events); err != nil {
		h.log.Error("callback sink failed", "events", len(events), "error", err.Error())
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	for _, e := range events {
		h.log.Debug("callback", "event", e)
	}
	w.WriteHeader(http.StatusOK)
}
