package eventgrid

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// Authenticator decides whether a delivery comes from the subscription.
// It returns nil to accept, or an *AuthError.
type Authenticator interface {
	Authenticate(r *http.Request) error
}

// AuthError is a rejected delivery: Status is 401 (no or unusable
// credentials) or 403 (credentials present but wrong). Reason is a short
// label for metrics; it never holds the credential.
type AuthError struct {
	Status int
	Reason string
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("unauthenticated delivery (%d): %s", e.Status, e.Reason)
}

// Where a shared secret travels.
const (
	SecretQueryParam = "code"
	SecretHeader     = "X-Callscope-Secret"
)

// SecretAuth accepts a delivery carrying one of Secrets in the "code" query
// parameter or the X-Callscope-Secret header. Two secrets are accepted
// during a rotation. Comparison is constant-time and does not leak length.
type SecretAuth struct {
	Secrets []string
}

// NewSecretAuth returns a SecretAuth for the non-empty secrets, or nil when
// there is none.
func NewSecretAuth(secrets ...string) *SecretAuth {
	var s []string
	for _, v := range secrets {
		if v = strings.TrimSpace(v); v != "" {
			s = append(s, v)
		}
	}
	if len(s) == 0 {
		return nil
	}
	return &SecretAuth{Secrets: s}
}

// Present reports whether r carries a secret at all.
func (a *SecretAuth) Present(r *http.Request) bool {
	return r.Header.Get(SecretHeader) != "" || r.URL.Query().Get(SecretQueryParam) != ""
}

// Authenticate implements Authenticator.
func (a *SecretAuth) Authenticate(r *http.Request) error {
	got := r.Header.Get(SecretHeader)
	if got == "" {
		got = r.URL.Query().Get(SecretQueryParam)
	}
	if got == "" {
		return &AuthError{Status: http.StatusUnauthorized, Reason: "missing_secret"}
	}
	gh := sha256.Sum256([]byte(got))
	ok := 0
	for _, s := range a.Secrets {
		sh := sha256.Sum256([]byte(s))
		ok |= subtle.ConstantTimeCompare(gh[:], sh[:])
	}
	if ok != 1 {
		return &AuthError{Status: http.StatusForbidden, Reason: "bad_secret"}
	}
	return nil
}

// EntraOptions configures bearer-token validation.
type EntraOptions struct {
	// DiscoveryURL is the OpenID configuration document, e.g.
	// https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration.
	DiscoveryURL string `yaml:"discovery_url"`
	// Issuer overrides the discovery document's issuer when set.
	Issuer string `yaml:"issuer"`
	// JWKSURL overrides the discovery document's jwks_uri when set.
	JWKSURL string `yaml:"jwks_url"`
	// Audiences accepted in "aud" (the app ID and/or app ID URI). Required.
	Audiences []string `yaml:"audiences"`
	// Leeway tolerated on exp/nbf. Default 1 minute.
	Leeway time.Duration `yaml:"leeway"`
	// HTTPClient fetches the discovery document (default http.DefaultClient).
	HTTPClient *http.Client `yaml:"-"`
}

// EntraAuth validates "Authorization: Bearer <JWT>" against the issuer,
// audience and signing keys published by an OpenID discovery document.
type EntraAuth struct {
	issuer    string
	audiences []string
	kf        keyfunc.Keyfunc
	parsers   []*jwt.Parser // one per audience
}

// NewEntraAuth fetches the discovery document and the signing keys (which
// keyfunc then refreshes in the background until ctx ends).
func NewEntraAuth(ctx context.Context, o EntraOptions) (*EntraAuth, error) {
	if len(o.Audiences) == 0 {
		return nil, errors.New("entra auth: no audience configured")
	}
	if o.Leeway == 0 {
		o.Leeway = time.Minute
	}
	issuer, jwks := o.Issuer, o.JWKSURL
	if o.DiscoveryURL != "" && (issuer == "" || jwks == "") {
		doc, err := fetchDiscovery(ctx, o.HTTPClient, o.DiscoveryURL)
		if err != nil {
			return nil, fmt.Errorf("entra auth: %w", err)
		}
		if issuer == "" {
			issuer = doc.Issuer
		}
		if jwks == "" {
			jwks = doc.JWKSURI
		}
	}
	if issuer == "" || jwks == "" {
		return nil, errors.New("entra auth: issuer and jwks_uri are required (set a discovery URL or both)")
	}
	kf, err := keyfunc.NewDefaultCtx(ctx, []string{jwks})
	if err != nil {
		return nil, fmt.Errorf("entra auth: load signing keys: %w", err)
	}
	a := &EntraAuth{issuer: issuer, audiences: o.Audiences, kf: kf}
	for _, aud := range o.Audiences {
		a.parsers = append(a.parsers, jwt.NewParser(
			jwt.WithValidMethods([]string{"RS256", "RS384", "RS512", "PS256", "ES256"}),
			jwt.WithIssuer(issuer),
			jwt.WithAudience(aud),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(o.Leeway),
		))
	}
	return a, nil
}

type discovery struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

func fetchDiscovery(ctx context.Context, c *http.Client, u string) (*discovery, error) {
	if c == nil {
		c = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("openid discovery: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("openid discovery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("openid discovery %s: status %d", u, resp.StatusCode)
	}
	var d discovery
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&d); err != nil {
		return nil, fmt.Errorf("openid discovery %s: %w", u, err)
	}
	return &d, nil
}

// Present reports whether r carries a bearer token.
func (a *EntraAuth) Present(r *http.Request) bool {
	return strings.HasPrefix(strings.ToLower(r.Header.Get("Authorization")), "bearer ")
}

// Authenticate implements Authenticator.
func (a *EntraAuth) Authenticate(r *http.Request) error {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return &AuthError{Status: http.StatusUnauthorized, Reason: "missing_bearer"}
	}
	tok := strings.TrimSpace(h[7:])
	if len(tok) > 16<<10 {
		return &AuthError{Status: http.StatusUnauthorized, Reason: "bearer_too_long"}
	}
	var lastErr error
	for _, p := range a.parsers {
		_, err := p.Parse(tok, a.kf.Keyfunc)
		if err == nil {
			return nil
		}
		lastErr = err
		if !errors.Is(err, jwt.ErrTokenInvalidAudience) {
			break
		}
	}
	switch {
	case errors.Is(lastErr, jwt.ErrTokenInvalidAudience), errors.Is(lastErr, jwt.ErrTokenInvalidIssuer):
		return &AuthError{Status: http.StatusForbidden, Reason: "bad_token_claims"}
	default:
		return &AuthError{Status: http.StatusUnauthorized, Reason: "bad_token"}
	}
}

// AnyAuth accepts a delivery that one of its authenticators accepts. A
// request carrying a bearer token goes to Entra; otherwise to the secret.
type AnyAuth struct {
	Secret *SecretAuth
	Entra  *EntraAuth
}

// Authenticate implements Authenticator.
func (a AnyAuth) Authenticate(r *http.Request) error {
	if a.Entra != nil && (a.Secret == nil || a.Entra.Present(r)) {
		return a.Entra.Authenticate(r)
	}
	if a.Secret != nil {
		return a.Secret.Authenticate(r)
	}
	return &AuthError{Status: http.StatusUnauthorized, Reason: "no_authenticator"}
}
