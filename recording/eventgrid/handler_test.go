package eventgrid

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

type memSink struct {
	mu  sync.Mutex
	evs []Event
	err error
}

func (s *memSink) Accept(_ context.Context, evs []Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.evs = append(s.evs, evs...)
	return nil
}

func post(h http.Handler, target, ct, body string, hdr map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandlerDeliveries(t *testing.T) {
	rfsu := string(readSample(t, "eventgrid-docs-recordingfilestatusupdated-array.json"))
	ce := string(readSample(t, "cloudevents-recordingfilestatusupdated.json"))
	auth := NewSecretAuth("s3cret-old", "s3cret-new")
	tests := []struct {
		name     string
		target   string
		ct       string
		body     string
		hdr      map[string]string
		sinkErr  error
		max      int64
		want     int
		wantEvs  int
		wantBody string
	}{
		{name: "eventgrid array, secret in query", target: "/api/events?code=s3cret-old", ct: "application/json", body: rfsu, want: 200, wantEvs: 1},
		{name: "rotated secret in header", target: "/api/events", ct: "application/json", body: rfsu, hdr: map[string]string{"X-Callscope-Secret": "s3cret-new"}, want: 200, wantEvs: 1},
		{name: "cloudevents single", target: "/api/events?code=s3cret-new", ct: "application/cloudevents+json; charset=utf-8", body: ce, want: 200, wantEvs: 1},
		{name: "cloudevents batch", target: "/api/events?code=s3cret-new", ct: "application/cloudevents-batch+json", body: "[" + ce + "," + ce + "]", want: 200, wantEvs: 2},
		{name: "unknown type acknowledged", target: "/api/events?code=s3cret-new", ct: "application/json", body: `[{"id":"u1","eventType":"Contoso.Unknown","subject":"x","data":{}}]`, want: 200, wantEvs: 1},
		{name: "no secret", target: "/api/events", ct: "application/json", body: rfsu, want: 401},
		{name: "wrong secret", target: "/api/events?code=nope", ct: "application/json", body: rfsu, want: 403},
		{name: "malformed json", target: "/api/events?code=s3cret-new", ct: "application/json", body: `[{"id":`, want: 400},
		{name: "oversized", target: "/api/events?code=s3cret-new", ct: "application/json", body: "[" + strings.Repeat(" ", 2000) + rfsu[1:], max: 1000, want: 413},
		{name: "wrong content type", target: "/api/events?code=s3cret-new", ct: "text/plain", body: rfsu, want: 415},
		{name: "sink down", target: "/api/events?code=s3cret-new", ct: "application/json", body: rfsu, sinkErr: errors.New("disk full"), want: 503},
		{name: "validation", target: "/api/events?code=s3cret-new", ct: "application/json", body: string(readSample(t, "eventgrid-subscription-validation-event.json")),
			hdr: map[string]string{"aeg-event-type": "SubscriptionValidation"}, want: 200, wantBody: strings.TrimSpace(`{"validationResponse":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &memSink{err: tt.sinkErr}
			var rejected []string
			h := NewHandler(sink, HandlerOptions{Auth: auth, MaxBodyBytes: tt.max, Hooks: Hooks{Rejected: func(r string) { rejected = append(rejected, r) }}})
			w := post(h, tt.target, tt.ct, tt.body, tt.hdr)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d (body %q)", w.Code, tt.want, w.Body.String())
			}
			if len(sink.evs) != tt.wantEvs {
				t.Errorf("sink got %d events, want %d", len(sink.evs), tt.wantEvs)
			}
			if tt.wantBody != "" && strings.TrimSpace(w.Body.String()) != tt.wantBody {
				t.Errorf("body %q, want %q", w.Body.String(), tt.wantBody)
			}
			if (tt.want >= 400) != (len(rejected) == 1) {
				t.Errorf("rejected hooks %v for status %d", rejected, w.Code)
			}
		})
	}
}

func TestHandlerOptionsHandshake(t *testing.T) {
	h := NewHandler(&memSink{}, HandlerOptions{Auth: NewSecretAuth("k")})
	r := httptest.NewRequest(http.MethodOptions, "/api/events?code=k", nil)
	r.Header.Set("WebHook-Request-Origin", "eventgrid.azure.net")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 || w.Header().Get("WebHook-Allowed-Origin") != "eventgrid.azure.net" {
		t.Fatalf("status %d, allowed origin %q", w.Code, w.Header().Get("WebHook-Allowed-Origin"))
	}
	r = httptest.NewRequest(http.MethodOptions, "/api/events?code=k", nil)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 400 {
		t.Fatalf("no origin: status %d, want 400", w.Code)
	}
	r = httptest.NewRequest(http.MethodOptions, "/api/events", nil)
	r.Header.Set("WebHook-Request-Origin", "eventgrid.azure.net")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 401 {
		t.Fatalf("no secret: status %d, want 401", w.Code)
	}
}

// entraFixture serves an OpenID discovery document and a JWKS for one RSA
// key, and signs tokens with it.
type entraFixture struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	issuer string
}

func newEntraFixture(t *testing.T) *entraFixture {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &entraFixture{key: key}
	mux := http.NewServeMux()
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.issuer = f.srv.URL + "/tenant/v2.0"
	mux.HandleFunc("/tenant/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": f.issuer, "jwks_uri": f.srv.URL + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		b64 := base64.RawURLEncoding
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "k1",
			"n": b64.EncodeToString(key.N.Bytes()),
			"e": b64.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	return f
}

func (f *entraFixture) token(t *testing.T, iss, aud string, exp time.Time, key *rsa.PrivateKey) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.RegisteredClaims{Issuer: iss, Audience: jwt.ClaimStrings{aud}, ExpiresAt: jwt.NewNumericDate(exp)})
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEntraAuth(t *testing.T) {
	f := newEntraFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := NewEntraAuth(ctx, EntraOptions{DiscoveryURL: f.issuer + "/.well-known/openid-configuration", Audiences: []string{"api://callscope", "app-id"}})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	now := time.Now()
	tests := []struct {
		name  string
		token string
		want  int
	}{
		{"valid", f.token(t, f.issuer, "api://callscope", now.Add(time.Hour), f.key), 200},
		{"second audience", f.token(t, f.issuer, "app-id", now.Add(time.Hour), f.key), 200},
		{"wrong audience", f.token(t, f.issuer, "someone-else", now.Add(time.Hour), f.key), 403},
		{"wrong issuer", f.token(t, "https://evil/", "api://callscope", now.Add(time.Hour), f.key), 403},
		{"expired", f.token(t, f.issuer, "api://callscope", now.Add(-time.Hour), f.key), 401},
		{"other key", f.token(t, f.issuer, "api://callscope", now.Add(time.Hour), other), 401},
		{"garbage", "abc.def.ghi", 401},
		{"none", "", 401},
	}
	h := NewHandler(&memSink{}, HandlerOptions{Auth: AnyAuth{Entra: a, Secret: NewSecretAuth("k")}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tt.token != "" {
				hdr["Authorization"] = "Bearer " + tt.token
			}
			w := post(h, "/api/events", "application/json", `[{"id":"1","eventType":"X","data":{}}]`, hdr)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d", w.Code, tt.want)
			}
		})
	}
	// The secret still works beside Entra.
	if w := post(h, "/api/events?code=k", "application/json", `[{"id":"1","eventType":"X","data":{}}]`, nil); w.Code != 200 {
		t.Fatalf("secret beside entra: %d", w.Code)
	}
}
